import XCTest
import Tensors
import NeuralData
import Encoding
import TestSupport

/// `--feature-l1` (TrainingOptions.featureL1): λ·‖features‖₁ on the factorized readout's
/// units × channels weights. Adam's first step moves every parameter by lr·g/(|g| + ε') ≈ lr·sign(g)
/// (bias-corrected m̂ = g, v̂ = g²), so with λ far larger than the likelihood's gradient, one
/// full-batch step must move each feature weight by exactly −lr·sign(w) — worked out by hand from
/// the penalty, not from the code — and without the penalty it does not.
final class FeatureL1Tests: XCTestCase {
    func stepped(featureL1: Float?) throws -> (before: [Float], after: [Float]) {
        let ds = SmallTrainingData.poisson(stimuli: 40, side: 6, units: 3, repeats: 2, seed: 8)
        var po = PreprocessingOptions(grayscale: true)
        po.normalization = .none
        let prep = try Preprocessing.fit(on: ds, options: po)
        let arch = EncoderArchitecture(name: "custom", inputChannels: 1, inputHeight: 6, inputWidth: 6,
                                       blocks: [ConvBlockSpec(channels: 2, kernel: 3, activation: .relu)],
                                       readout: .factorized, link: .softplus, observation: .poisson, units: 3)
        var o = TrainingOptions()
        o.epochs = 1; o.batchSize = 1000; o.learningRate = 0.01
        o.laplace = 0; o.maskL1 = 0; o.featureL1 = featureL1
        let initial = try NeuralEncoder(architecture: arch, seed: o.seed)
        let before = try XCTUnwrap(initial.parameters.first { $0.name == "features" }).value.data
        let m = try EncodingModel(cnn: arch, training: o).fit(ds, preprocessing: prep)
        let after = try XCTUnwrap(m.encoder.parameters.first { $0.name == "features" }).value.data
        return (before, after)
    }

    func testOneStepMovesFeaturesAgainstTheirSign() throws {
        let (before, after) = try stepped(featureL1: 100)
        let expected = before.map { $0 - 0.01 * ($0 > 0 ? 1 : -1) }
        let d = compareArrays("features after one step with λ_feat = 100 vs w − lr·sign(w)", after, expected, atol: 1e-5).maxDiff
        XCTAssertLessThan(d, 1e-5)
    }

    func testWithoutThePenaltyTheStepFollowsTheLikelihood() throws {
        let (before, after) = try stepped(featureL1: nil)
        let expected = before.map { $0 - 0.01 * ($0 > 0 ? 1 : -1) }
        let d = compareArrays("features after one step without the penalty vs w − lr·sign(w)", after, expected, atol: 0).maxDiff
        XCTAssertGreaterThan(d, 1e-3, "some weights move with the likelihood's gradient, not against their sign")
    }

    func testOlderOptionsDecodeWithoutTheKey() throws {
        var o = TrainingOptions()
        o.featureL1 = nil
        let json = try JSONEncoder().encode(o)
        XCTAssertFalse(String(decoding: json, as: UTF8.self).contains("featureL1"), "an unset penalty leaves model files as before")
        XCTAssertNil(try JSONDecoder().decode(TrainingOptions.self, from: json).featureL1)
    }
}
