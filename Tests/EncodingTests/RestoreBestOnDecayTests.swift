import XCTest
import Tensors
import NeuralData
import Encoding
import TestSupport

/// `fit --restore-best-on-decay`: at the epoch where the plateau schedule lowers the learning rate,
/// training continues from the best weights so far. With a learning rate so small that nothing
/// counts as an improvement after epoch 1, the schedule lowers the rate after `lrPatience` flat
/// epochs; at that moment the weights must equal epoch 1's exactly with the option, and not without.
final class RestoreBestOnDecayTests: XCTestCase {
    func run(restore: Bool) throws -> (atDecay: Float, beforeDecay: Float, decayEpoch: Int) {
        let u = 2
        let ds = SmallTrainingData.poisson(stimuli: 80, side: 10, units: u, seed: 4)
        let prep = try Preprocessing.fit(on: ds, options: PreprocessingOptions(grayscale: true))
        // No batch-norm: its running statistics would move (and change the validation score) at any rate.
        let arch = EncoderArchitecture(name: "custom", inputChannels: 1, inputHeight: 10, inputWidth: 10,
                                       blocks: [ConvBlockSpec(channels: 2, kernel: 3, dilation: 1, batchNorm: false, activation: .elu, pool: .none)],
                                       readout: .factorized, link: .softplus, observation: .poisson, units: u)
        var o = TrainingOptions()
        o.epochs = 5; o.patience = 10; o.lrPatience = 1; o.learningRate = 1e-7; o.minLearningRate = 1e-10; o.batchSize = 16
        o.restoreBestOnDecay = restore
        let encoder = try NeuralEncoder(architecture: arch, seed: 0)
        let trainer = try Trainer(encoder: encoder, data: try TrainingData(dataset: ds, preprocessing: prep),
                                  observation: PoissonObservation(), options: o)
        func distance(_ a: [String: Tensor], _ b: [String: Tensor]) -> Float {
            a.keys.map { maxAbsDifference(a[$0]!.data, b[$0]!.data) }.max() ?? 0
        }
        var atDecay: Float = -1, beforeDecay: Float = -1, decayEpoch = 0
        trainer.checkpointHandler = { state in
            let h = state.history
            guard h.count >= 2, let best = state.bestParameters else { return }
            let d = distance(trainer.snapshot(), best)
            if h[h.count - 1].learningRate < h[h.count - 2].learningRate, decayEpoch == 0 {
                atDecay = d; decayEpoch = h.count
            } else if decayEpoch == 0 {
                beforeDecay = d
            }
        }
        _ = try trainer.fit()
        XCTAssertEqual(trainer.state.bestEpoch, 1, "with lr 1e-7 no later epoch may count as an improvement")
        return (atDecay, beforeDecay, decayEpoch)
    }

    func testWeightsReturnToTheBestWhenTheRateDrops() throws {
        let with = try run(restore: true), without = try run(restore: false)
        print("restore-best-on-decay: |w − w_best| at the decay epoch \(with.atDecay) (without the option \(without.atDecay)); the epoch before \(with.beforeDecay)")
        XCTAssertEqual(with.decayEpoch, 3, "lr patience 1: epoch 2 is flat, the rate drops after epoch 3")
        XCTAssertEqual(with.atDecay, 0)
        XCTAssertGreaterThan(with.beforeDecay, 0, "the weights must have moved since the best epoch")
        XCTAssertGreaterThan(without.atDecay, 0)
    }
}
