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
    func dataWithRepeats() -> Dataset { SmallTrainingData.poisson(stimuli: 60, side: 5, units: 3, repeats: 4, seed: 5) }

    func oneStep(_ ds: Dataset, by grouping: BatchGrouping, batch: Int) throws -> [Float] {
        var po = PreprocessingOptions(grayscale: true)
        po.normalization = .none
        let prep = try Preprocessing.fit(on: ds, options: po)
        let arch = EncoderArchitecture.linear(inputChannels: 1, height: 5, width: 5, units: 3)
        var o = TrainingOptions()
        o.epochs = 1; o.batchSize = batch; o.batchBy = grouping; o.learningRate = 0.05
        o.laplace = 0; o.maskL1 = 0
        let m = try EncodingModel(cnn: arch, training: o).fit(ds, preprocessing: prep)
        return m.encoder.parameters.flatMap { $0.value.data }
    }

    func testFullBatchStepIsTheSameWithEitherGrouping() throws {
        let ds = dataWithRepeats()
        let byStimulus = try oneStep(ds, by: .stimulus, batch: 1000)
        let byTrial = try oneStep(ds, by: .trial, batch: 1000)
        let initial = try NeuralEncoder(architecture: .linear(inputChannels: 1, height: 5, width: 5, units: 3), seed: 0)
            .parameters.flatMap { $0.value.data }
        let moved = compareArrays("full-batch step size", byTrial, initial, atol: 0).maxDiff
        let diff = compareArrays("full-batch step, stimulus vs trial grouping", byStimulus, byTrial, atol: 1e-5).maxDiff
        XCTAssertGreaterThan(moved, 1e-3, "the step must move the weights for the comparison to mean anything")
        XCTAssertLessThan(diff, 1e-5)
    }

    func testSmallBatchesGroupDifferently() throws {
        // With batches of 8 stimuli (≈ 32 trials) vs 8 trials, the steps differ (a different number
        // of steps per epoch): the grouping is really used.
        let ds = dataWithRepeats()
        let a = try oneStep(ds, by: .stimulus, batch: 8)
        let b = try oneStep(ds, by: .trial, batch: 8)
        let diff = compareArrays("one epoch, batches of 8 stimuli vs 8 trials", a, b, atol: 0).maxDiff
        XCTAssertGreaterThan(diff, 1e-3)
    }

    func testGroupsKeepEveryTrialOnce() {
        let index = [3, 1, 3, 2, 1, 3]
        let trials = [0, 1, 2, 4, 5]
        XCTAssertEqual(MinibatchSampler.groups(trials: trials, stimulusIndex: index, by: .stimulus), [[0, 2, 5], [1, 4]])
        XCTAssertEqual(MinibatchSampler.groups(trials: trials, stimulusIndex: index, by: .trial), [[0], [1], [2], [4], [5]])
    }
}
