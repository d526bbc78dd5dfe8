import XCTest
import Tensors
import ConvEngine
import TestSupport

/// Regression: a layer's first forward on one image, then a larger batch, must not reuse stale
/// scratch (reported for 3→4 and 4→4 channels, kernel 3, padding 1).
final class BatchSizeChangeTests: XCTestCase {
    func testBatchOneThenLargerBatchMatchesNaive() {
        var rng = SeededRandom(seed: 9)
        for (cin, cout, k, p) in [(3, 4, 3, 1), (4, 4, 3, 1), (1, 4, 5, 2), (8, 8, 3, 1)] {
            let conv = Conv2D(inputChannels: cin, outputChannels: cout, kernelSize: k, padding: p)
            let x1 = rng.normalTensor([1, cin, 12, 12]), x8 = rng.normalTensor([8, cin, 12, 12])
            _ = conv.forward(x1, training: false)
            let y = conv.forward(x8, training: false)
            let ref = NaiveConvolution.forward(x8, weight: conv.weight.value, bias: conv.bias?.value, stride: 1, padding: p, dilation: 1, groups: 1)
            XCTAssertTrue(compareArrays("batch 1 then 8, \(cin)→\(cout) k\(k)", y.data, ref.data, atol: 1e-4).ok)
        }
    }
}
