import XCTest
import Tensors
import TestSupport
import ConvEngine

/// Tiny cases worked out by hand (values in the comments), exact up to float rounding (atol 1e-5).
final class HandComputedTests: XCTestCase {
    /// x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]] as [1, 1, 3, 3].
    let x = Tensor(shape: [1, 1, 3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9])

    func testConvolutionTwoByTwoKernel() {
        // w = [[1, 0], [0, −1]], bias 0.5: y[i, j] = x[i, j] − x[i+1, j+1] + 0.5 = −3.5 everywhere.
        let conv = Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 2,
                          weight: Tensor(shape: [1, 1, 2, 2], data: [1, 0, 0, -1]), bias: Tensor(shape: [1], data: [0.5]))
        let y = conv.forward(x, training: true)
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertTrue(compareArrays("hand conv y", y.data, [-3.5, -3.5, -3.5, -3.5], atol: 1e-5).ok)
        // dY = 1: dX[r, c] = Σ_{outputs using x[r, c]} w = [[1, 1, 0], [1, 0, −1], [0, −1, −1]];
        // dW[kh, kw] = Σ of the 2×2 block of x at (kh, kw) = [[12, 16], [24, 28]]; db = 4.
        let dx = conv.backward(.ones([1, 1, 2, 2]))
        XCTAssertTrue(compareArrays("hand conv dx", dx.data, [1, 1, 0, 1, 0, -1, 0, -1, -1], atol: 1e-5).ok)
        XCTAssertTrue(compareArrays("hand conv dw", conv.weight.grad.data, [12, 16, 24, 28], atol: 1e-5).ok)
        XCTAssertTrue(compareArrays("hand conv db", conv.bias!.grad.data, [4], atol: 1e-5).ok)
    }

    func testConvolutionPaddedBoxFilter() {
        // 3×3 box of ones with zero padding 1: neighbourhood sums [[12, 21, 16], [27, 45, 33], [24, 39, 28]].
        let conv = Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 3, padding: 1, weight: .ones([1, 1, 3, 3]), bias: nil)
        XCTAssertTrue(compareArrays("hand box", conv.forward(x, training: false).data, [12, 21, 16, 27, 45, 33, 24, 39, 28], atol: 1e-5).ok)
    }

    func testConvolutionStrideTwoOneByOne() {
        // 1×1 kernel 2, stride 2: picks x[0,0], x[0,2], x[2,0], x[2,2] times 2 = [2, 6, 14, 18].
        let conv = Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 1, stride: 2, weight: Tensor(shape: [1, 1, 1, 1], data: [2]), bias: nil)
        let y = conv.forward(x, training: true)
        XCTAssertTrue(compareArrays("hand stride", y.data, [2, 6, 14, 18], atol: 1e-5).ok)
        // dX: 2 at the picked pixels, 0 elsewhere.
        XCTAssertTrue(compareArrays("hand stride dx", conv.backward(.ones([1, 1, 2, 2])).data, [2, 0, 2, 0, 0, 0, 2, 0, 2], atol: 1e-5).ok)
    }

    func testConvolutionTwoChannelsGroups() {
        // Two channels x and 10·x; groups 2 with 1×1 weights [1], [−1]: y = [x, −10x]. Groups 1 with
        // weight [[1, 1]]: y = 11x.
        let x2 = Tensor(shape: [1, 2, 3, 3], data: x.data + x.data.map { $0 * 10 })
        let grouped = Conv2D(inputChannels: 2, outputChannels: 2, kernelSize: 1, groups: 2,
                             weight: Tensor(shape: [2, 1, 1, 1], data: [1, -1]), bias: nil)
        XCTAssertTrue(compareArrays("hand groups", grouped.forward(x2, training: false).data, x.data + x.data.map { -10 * $0 }, atol: 1e-5).ok)
        let full = Conv2D(inputChannels: 2, outputChannels: 1, kernelSize: 1, weight: Tensor(shape: [1, 2, 1, 1], data: [1, 1]), bias: nil)
        XCTAssertTrue(compareArrays("hand full", full.forward(x2, training: false).data, x.data.map { 11 * $0 }, atol: 1e-4).ok)
    }

    func testPooling() {
        // Max 2×2 stride 1: [[5, 6], [8, 9]], selected flat indices 4, 5, 7, 8.
        let maxPool = MaxPool2D(kernelSize: 2, stride: 1)
        XCTAssertEqual(maxPool.forward(x, training: false).data, [5, 6, 8, 9])
        XCTAssertEqual(maxPool.argmax, [4, 5, 7, 8])
        // Backward routes each dY to its selected input; x[1, 1] = 5 is selected once.
        XCTAssertEqual(maxPool.backward(Tensor(shape: [1, 1, 2, 2], data: [1, 2, 3, 4])).data, [0, 0, 0, 0, 1, 2, 0, 3, 4])
        // Average 2×2 stride 2 padding 1, padded zeros counted: [1/4, (2+3)/4, (4+7)/4, (5+6+8+9)/4].
        let avg = AvgPool2D(kernelSize: 2, stride: 2, padding: 1)
        XCTAssertTrue(compareArrays("hand avgpool", avg.forward(x, training: false).data, [0.25, 1.25, 2.75, 7], atol: 1e-6).ok)
        XCTAssertTrue(compareArrays("hand avgpool dx", avg.backward(.ones([1, 1, 2, 2])).data, [Float](repeating: 0.25, count: 9), atol: 1e-6).ok)
    }

    func testBatchNorm() {
        // One channel, values 1…4: mean 2.5, biased variance 1.25, unbiased 5/3.
        let bn = BatchNorm2D(channels: 1)
        let v = Tensor(shape: [4, 1, 1, 1], data: [1, 2, 3, 4])
        let y = bn.forward(v, training: true)
        let s = Float(1 / (1.25 + 1e-5).squareRoot())
        XCTAssertTrue(compareArrays("hand bn y", y.data, [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s], atol: 1e-6).ok)
        XCTAssertTrue(compareArrays("hand bn running mean", bn.runningMean.data, [0.25], atol: 1e-7).ok)
        XCTAssertTrue(compareArrays("hand bn running var", bn.runningVar.data, [0.9 + 0.1 * 5 / 3], atol: 1e-6).ok)
        // Evaluation uses the running statistics: (x − 0.25)/√(1.0666… + ε).
        let e = bn.forward(v, training: false)
        let runningVar: Double = 0.9 + 0.1 * 5.0 / 3
        let se = Float(1 / (runningVar + 1e-5).squareRoot())
        XCTAssertTrue(compareArrays("hand bn eval", e.data, [0.75 * se, 1.75 * se, 2.75 * se, 3.75 * se], atol: 1e-6).ok)
    }

    func testActivationsAndFlatten() {
        let v = Tensor(shape: [1, 4], data: [-2, -0.5, 0, 3])
        XCTAssertEqual(ReLU().forward(v, training: false).data, [0, 0, 0, 3])
        XCTAssertTrue(compareArrays("hand elu", ELU(alpha: 2).forward(v, training: false).data,
                                    [2 * (expf(-2) - 1), 2 * (expf(-0.5) - 1), 0, 3], atol: 1e-6).ok)
        XCTAssertTrue(compareArrays("hand softplus", Softplus().forward(v, training: false).data,
                                    [log1pf(expf(-2)), log1pf(expf(-0.5)), logf(2), log1pf(expf(3))], atol: 1e-6).ok)
        XCTAssertTrue(compareArrays("hand exp", Exp().forward(v, training: false).data, v.data.map { expf($0) }, atol: 1e-6).ok)
        XCTAssertEqual(Identity().forward(v, training: false), v)
        let f = Flatten()
        XCTAssertEqual(f.forward(x, training: false).shape, [1, 9])
        XCTAssertEqual(f.backward(.ones([1, 9])).shape, [1, 1, 3, 3])
        // Linear: W = [[1, 2], [3, 4], [0, −1]], b = [1, 0, 0]; x = [1, 1] → [4, 7, −1].
        let lin = Linear(weight: Tensor(shape: [3, 2], data: [1, 2, 3, 4, 0, -1]), bias: Tensor(shape: [3], data: [1, 0, 0]))
        XCTAssertTrue(compareArrays("hand linear", lin.forward(.ones([1, 2]), training: false).data, [4, 7, -1], atol: 1e-6).ok)
    }
}
