import XCTest
import Tensors
import NeuralData
import Encoding
import TestSupport

/// `fit --core F --freeze-core`: only the readout learns; the core's weights and its batch-norm
/// running statistics stay exactly as loaded (batch-norm runs in evaluation mode while training).
final class FrozenCoreTests: XCTestCase {
    func testFrozenCoreStaysUntouchedAndReadoutLearns() throws {
        let u = 2
        let ds = SmallTrainingData.poisson(stimuli: 120, side: 10, units: u, seed: 9)
        let prep = try Preprocessing.fit(on: ds, options: PreprocessingOptions(grayscale: true))
        let arch = EncoderArchitecture.stacked3(inputChannels: 1, height: 10, width: 10, units: u, channels: 3)
        var o = TrainingOptions()
        o.epochs = 3; o.patience = 3; o.batchSize = 16; o.trainCore = false

        let initial = try NeuralEncoder(architecture: arch, seed: o.seed)
        let m = try EncodingModel(cnn: arch, training: o).fit(ds, preprocessing: prep)
        XCTAssertFalse(m.encoder.coreFrozen, "the fitted encoder must be usable for gradients again")
        XCTAssertTrue(m.encoder.parameters.allSatisfy { $0.trainable }, "freezing lasts for the fit only")
        var coreDiff: Float = 0, stateDiff: Float = 0, readoutMove: Float = 0
        for (a, b) in zip(m.encoder.core.layers, initial.core.layers) {
            for (p, q) in zip(a.parameters, b.parameters) { coreDiff = max(coreDiff, maxAbsDifference(p.value.data, q.value.data)) }
            for (k, v) in a.state { stateDiff = max(stateDiff, maxAbsDifference(v.data, b.state[k]!.data)) }
        }
        for (p, q) in zip(m.encoder.readout.parameters, initial.readout.parameters) {
            readoutMove = max(readoutMove, maxAbsDifference(p.value.data, q.value.data))
        }
        print("frozen core: max |Δ core weights| \(coreDiff), max |Δ batch-norm state| \(stateDiff); readout moved \(readoutMove)")
        XCTAssertEqual(coreDiff, 0)
        XCTAssertEqual(stateDiff, 0)
        XCTAssertGreaterThan(readoutMove, 1e-3)

        // Trained core for contrast: weights and running statistics move.
        o.trainCore = true
        let t = try EncodingModel(cnn: arch, training: o).fit(ds, preprocessing: prep)
        let bnMean = t.encoder.core.layers.first { $0.name == "bn1" }!.state["running_mean"]!.data
        XCTAssertGreaterThan(bnMean.map(abs).max()!, 1e-4)
    }
}
