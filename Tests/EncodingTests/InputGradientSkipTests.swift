import XCTest
import Tensors
import ConvEngine
import NeuralData
import Encoding

/// Training skips the first convolution's backward-data pass (nothing consumes ∂L/∂image); the
/// parameter gradients must be the same to the bit, and the input gradient still there when asked.
final class InputGradientSkipTests: XCTestCase {
    private func gradients(_ enc: NeuralEncoder, x: Tensor, dMean: Tensor, inputGradient: Bool) -> (grads: [[Float]], dx: Tensor) {
        _ = enc.forward(x, training: true)
        enc.zeroGradients()
        let dx = enc.backward(dMean, inputGradient: inputGradient)
        return (enc.parameters.map { $0.grad.data }, dx)
    }

    func testParameterGradientsIdenticalWithAndWithoutFirstLayerInputGradient() throws {
        let arch = EncoderArchitecture.stacked3(inputChannels: 1, height: 16, width: 16, units: 5, channels: 4)
        let enc = try NeuralEncoder(architecture: arch, seed: 3)
        var rng = SeededRandom(seed: 4)
        let x = rng.normalTensor([6, 1, 16, 16]), dMean = rng.normalTensor([6, 5])
        let conv1 = try XCTUnwrap(enc.firstConv)
        let convs = enc.core.layers.compactMap { $0 as? Conv2D }
        XCTAssertGreaterThan(convs.count, 1)

        let before1 = conv1.inputGradientPasses
        let full = gradients(enc, x: x, dMean: dMean, inputGradient: true)
        XCTAssertEqual(conv1.inputGradientPasses, before1 + 1, "asked for ∂L/∂x: the first layer computes it")
        XCTAssertEqual(full.dx.shape, [6, 1, 16, 16])

        let before = convs.map(\.inputGradientPasses)
        let skipped = gradients(enc, x: x, dMean: dMean, inputGradient: false)
        XCTAssertEqual(conv1.inputGradientPasses, before[0], "the first layer must not compute its input gradient")
        for (c, b) in zip(convs.dropFirst(), before.dropFirst()) {
            XCTAssertEqual(c.inputGradientPasses, b + 1, "\(c.name) still passes its gradient down")
        }
        XCTAssertEqual(skipped.dx.shape, [0])

        var maxDiff: Float = 0, bitsDiffer = 0
        for (a, b) in zip(full.grads, skipped.grads) {
            maxDiff = max(maxDiff, maxAbsDifference(a, b))
            bitsDiffer += zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
        }
        print("parameter gradients with vs without the first layer's dX: max |Δ| \(maxDiff), \(bitsDiffer) values differ in their bits")
        XCTAssertEqual(bitsDiffer, 0)
        XCTAssertEqual(full.grads.count, enc.parameters.count)
        XCTAssertTrue(full.grads.contains { g in g.contains { $0 != 0 } })
    }

    /// A whole fit: the trainer never runs the first convolution's backward-data pass, the
    /// second convolution's every step.
    func testTrainerSkipsFirstLayerInputGradient() throws {
        let u = 2
        let ds = SmallTrainingData.poisson(stimuli: 64, side: 10, units: u, seed: 5)
        let prep = try Preprocessing.fit(on: ds, options: PreprocessingOptions(grayscale: true))
        let arch = EncoderArchitecture.stacked3(inputChannels: 1, height: 10, width: 10, units: u, channels: 3)
        var o = TrainingOptions()
        o.epochs = 2; o.patience = 2; o.batchSize = 16
        let m = try EncodingModel(cnn: arch, training: o).fit(ds, preprocessing: prep)
        let convs = m.encoder.core.layers.compactMap { $0 as? Conv2D }
        print("input-gradient passes after a 2-epoch fit: \(convs.map { "\($0.name) \($0.inputGradientPasses)" })")
        XCTAssertEqual(convs[0].inputGradientPasses, 0)
        XCTAssertGreaterThan(convs[1].inputGradientPasses, 0)
    }
}
