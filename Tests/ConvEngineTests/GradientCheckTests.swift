import XCTest
import Tensors
import ConvEngine

/// Finite-difference checks of every layer's backward (input and parameters), via GradientCheck.
/// Error = max |analytic − numeric| / max |numeric| per tensor (floored at 1e-3 of the largest gradient), central differences with ε = 1e-2
/// on float32 forwards; tolerance 1e-2 (observed errors are printed, typically 1e-4…1e-3).
final class GradientCheckTests: XCTestCase {
    let tolerance = 1e-2

    func assertGradients(_ layer: Layer, _ x: Tensor, training: Bool = true, epsilon: Float = 1e-2,
                         maxCoordinates: Int? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let r = GradientCheck.check(layer, input: x, training: training, epsilon: epsilon, seed: 7, maxCoordinates: maxCoordinates)
        print("[\(type(of: layer)) \(layer.name) training=\(training)] \(r)")
        XCTAssertLessThan(r.maxError, tolerance, "\(layer.name): \(r)", file: file, line: line)
        XCTAssertTrue(r.maxError.isFinite, file: file, line: line)
    }

    /// Standard normal values pushed away from 0 by at least 0.05 (ReLU kink).
    func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRandom(seed: seed)
        return rng.normalTensor(shape).map { $0 >= 0 ? $0 + 0.05 : $0 - 0.05 }
    }

    func testConv2D() {
        var rng = SeededRandom(seed: 1)
        let configs: [(Int, Int, Int, Int, Int, Int, Int, Bool)] = [  // cin, cout, k, s, p, d, g, bias
            (2, 3, 3, 1, 1, 1, 1, true), (4, 4, 3, 2, 1, 1, 2, true), (2, 2, 3, 1, 2, 2, 1, false), (3, 2, 1, 1, 0, 1, 1, true),
        ]
        for (cin, cout, k, s, p, d, g, b) in configs {
            let conv = Conv2D(inputChannels: cin, outputChannels: cout, kernelSize: k, stride: s, padding: p, dilation: d,
                              groups: g, bias: b, name: "conv k\(k) s\(s) p\(p) d\(d) g\(g)", random: &rng)
            assertGradients(conv, rng.normalTensor([2, cin, 6, 7]))
        }
    }

    func testPooling() {
        // A permutation of well-separated values: no ties, and ±ε never changes the argmax.
        var rng = SeededRandom(seed: 2)
        let shape = [2, 2, 7, 6]
        let x = Tensor(shape: shape, data: rng.permutation(shape.product).map { Float($0) * 0.1 - 4 })
        assertGradients(MaxPool2D(kernelSize: 2), x)
        assertGradients(MaxPool2D(kernelSize: 3, stride: 2, padding: 1), x)
        assertGradients(AvgPool2D(kernelSize: 2), x)
        assertGradients(AvgPool2D(kernelSize: 3, stride: 2, padding: 1), x)
    }

    func testBatchNormTrainingAndEvaluation() {
        var rng = SeededRandom(seed: 3)
        let bn = BatchNorm2D(channels: 3)
        bn.weight.value = rng.normalTensor([3]); bn.bias.value = rng.normalTensor([3])
        bn.state = ["running_mean": rng.normalTensor([3]), "running_var": rng.uniformTensor([3], 0.5, 2)]
        let x = rng.normalTensor([3, 3, 4, 5], mean: 0.5, std: 1.5)
        assertGradients(bn, x, training: true, epsilon: 3e-3)
        assertGradients(bn, x, training: false)
        // Rank-2 input [N, C].
        assertGradients(bn, rng.normalTensor([6, 3]), training: true, epsilon: 3e-3)
    }

    func testActivations() {
        let x = awayFromZero([2, 3, 4, 4], seed: 4)
        assertGradients(ReLU(), x)
        assertGradients(ELU(alpha: 0.7), x)
        assertGradients(Softplus(), x)
        assertGradients(Softplus(beta: 2, threshold: 1), x * 3)  // both sides of the threshold
        assertGradients(Exp(), x)
        assertGradients(Identity(), x)
    }

    func testLinearAndFlatten() {
        var rng = SeededRandom(seed: 5)
        assertGradients(Linear(inputFeatures: 6, outputFeatures: 4, random: &rng), rng.normalTensor([3, 6]))
        assertGradients(Linear(inputFeatures: 5, outputFeatures: 2, bias: false, random: &rng), rng.normalTensor([4, 5]))
        assertGradients(Flatten(), rng.normalTensor([2, 3, 2, 2]))
    }

    func testSequential() {
        var rng = SeededRandom(seed: 6)
        let model = Sequential([
            Conv2D(inputChannels: 1, outputChannels: 3, kernelSize: 3, padding: 1, random: &rng),
            BatchNorm2D(channels: 3), ELU(),
            Conv2D(inputChannels: 3, outputChannels: 2, kernelSize: 3, stride: 2, random: &rng),
            AvgPool2D(kernelSize: 2), Flatten(),
            Linear(inputFeatures: 2 * 1 * 1, outputFeatures: 3, random: &rng), Softplus(),
        ])
        let x = rng.normalTensor([3, 1, 7, 7])
        assertGradients(model, x, training: true)
        assertGradients(model, x, training: false)
    }
}
