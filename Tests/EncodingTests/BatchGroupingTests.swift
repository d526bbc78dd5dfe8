import XCTest
import Tensors
import NeuralData
import Encoding
import TestSupport

/// Minibatches of stimuli with all their repeats (`--batch-by stimulus`, the default) optimise the
/// same summed trial log-likelihood as minibatches of single trials: with one batch holding the
/// whole training split, one Adam step must give the same weights either way (no batch-norm here,
/// whose batch statistics would see a repeated image once or several times).
final class BatchGroupingTests: XCTestCase {
    func dataWithRepeats(repeats: Int) -> Dataset {
        var rng = SeededRandom(seed: 5)
        let n = 60, h = 5, w = 5, u = 3, p = h * w
        let x = rng.normalTensor([n, 1, h, w])
        let weights = (0..<(u * p)).map { _ in Float(rng.normal() * 0.2) }
        var index: [Int] = []
        for s in 0..<n { for _ in 0..<repeats { index.append(s) } }
        var y = Tensor(shape: [index.count, u])
        for (t, s) in index.enumerated() { for j in 0..<u {
            var eta: Float = 0.5
            for k in 0..<p { eta += weights[j * p + k] * x.data[s * p + k] }
            y.data[t * u + j] = Float(rng.poisson(Double(exp(eta))))
        } }
        return Dataset(stimuli: x, responses: y, stimulusIndex: index)
    }

    func oneStep(_ ds: Dataset, by grouping: BatchGrouping, batch: Int) throws -> [Float] {
        var po = PreprocessingOptions(grayscale: true)
        po.normalization = .none
        let prep = try Preprocessing.fit(on: ds, options: po)
        let arch = EncoderArchitecture.linear(inputChannels: 1, height: 5, width: 5, units: 3)
        var o = TrainingOptions()
        o.epochs = 1; o.batchSize = batch; o.batchBy = grouping; o.learningRate = 0.05
        o.laplace = 0; o.maskL1 = 0
        let m = try ModelFitting.fitCNN(dataset: ds, preprocessing: prep, architecture: arch, options: o)
        return m.encoder.parameters.flatMap { $0.value.data }
    }

    func testFullBatchStepIsTheSameWithEitherGrouping() throws {
        let ds = dataWithRepeats(repeats: 4)
        let byStimulus = try oneStep(ds, by: .stimulus, batch: 1000)
        let byTrial = try oneStep(ds, by: .trial, batch: 1000)
        let initial = try NeuralEncoder(architecture: .linear(inputChannels: 1, height: 5, width: 5, units: 3), seed: 0)
            .parameters.flatMap { $0.value.data }
        let moved = zip(byTrial, initial).map { abs($0 - $1) }.max()!
        let diff = zip(byStimulus, byTrial).map { abs($0 - $1) }.max()!
        print("full-batch Adam step, stimulus vs trial grouping: max |Δw| \(diff) (step size \(moved))")
        XCTAssertGreaterThan(moved, 1e-3, "the step must move the weights for the comparison to mean anything")
        XCTAssertLessThan(diff, 1e-5)
    }

    func testSmallBatchesGroupDifferently() throws {
        // With batches of 8 stimuli (≈ 32 trials) vs 8 trials, the steps differ (a different number
        // of steps per epoch): the grouping is really used.
        let ds = dataWithRepeats(repeats: 4)
        let a = try oneStep(ds, by: .stimulus, batch: 8)
        let b = try oneStep(ds, by: .trial, batch: 8)
        let diff = zip(a, b).map { abs($0 - $1) }.max()!
        print("one epoch, batches of 8 stimuli vs 8 trials: max |Δw| \(diff)")
        XCTAssertGreaterThan(diff, 1e-3)
    }

    func testGroupsKeepEveryTrialOnce() {
        let index = [3, 1, 3, 2, 1, 3]
        let trials = [0, 1, 2, 4, 5]
        XCTAssertEqual(Trainer.batchGroups(trials: trials, stimulusIndex: index, by: .stimulus), [[0, 2, 5], [1, 4]])
        XCTAssertEqual(Trainer.batchGroups(trials: trials, stimulusIndex: index, by: .trial), [[0], [1], [2], [4], [5]])
    }
}
