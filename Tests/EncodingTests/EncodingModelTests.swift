// The estimator (EncodingModel): fit → predict → score on a small simulated dataset for the GLM
// and CNN kinds, predictions and scores checked against a naive computation from the stored
// weights, notFitted thrown before a fit, save → load round trips bit-identical, simulate seeded
// with the predicted means as its mean; and layer handles resolved against the architecture.
import Foundation
import XCTest
import Tensors
import NeuralData
import Encoding
import TestSupport

final class EncodingModelTests: XCTestCase {
    /// 120 stimuli of 5×5 pixels, 2 repeats, 3 Poisson units (SmallTrainingData), seeded split.
    func data() -> Dataset { SmallTrainingData.poisson(stimuli: 120, side: 5, units: 3, repeats: 2, seed: 13) }

    func rawPreprocessing(_ ds: Dataset) throws -> Preprocessing {
        var po = PreprocessingOptions(grayscale: true)
        po.normalization = .none
        return try Preprocessing.fit(on: ds, options: po)
    }

    func temporaryModelPath(_ name: String) -> String {
        let dir = TestPaths.temporaryDirectory("estimator")
        let path = dir + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    func assertNotFitted(_ operation: String, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? EncodingError, .notFitted(operation: operation), file: file, line: line)
        }
    }

    func testNotFittedIsThrownBeforeFit() throws {
        let ds = data()
        for model in [EncodingModel(glm: .poisson), EncodingModel(cnn: .linear(inputChannels: 1, height: 5, width: 5, units: 3))] {
            XCTAssertFalse(model.isFitted)
            assertNotFitted("predict") { _ = try model.predict(ds, stimuli: [0, 1]) }
            assertNotFitted("predict") { _ = try model.predict(rawStimuli: try ds.stimuli([0])) }
            assertNotFitted("score") { _ = try model.score(ds, split: .test) }
            assertNotFitted("simulate") { _ = try model.simulate(ds, stimuli: [0], seed: 1) }
            let path = temporaryModelPath("unfitted.h5")
            assertNotFitted("save") { try model.save(to: path, overwrite: false) }
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing written before a fit")
        }
        XCTAssertEqual(EncodingError.notFitted(operation: "score").description,
                       "cannot score: the model has not been fitted (call fit or load it from a model file first)")
    }

    func testGLMFitPredictScoreAndRoundTrip() throws {
        let ds = data()
        let prep = try rawPreprocessing(ds)
        let model = EncodingModel(glm: .poisson, ridgeGrid: [0, 1])
        XCTAssertEqual(model.kind, .glm)
        let fitted = try model.fit(ds, preprocessing: prep)
        XCTAssertTrue(model.isFitted)
        XCTAssertEqual(fitted.config.kind, .glm)
        XCTAssertEqual(fitted.config.ridgePerUnit?.count, 3)

        // Predictions against exp(w·x + b) from the stored readout, in Double.
        let test = ds.stimuli(in: .test)
        let rates = try model.predict(ds, stimuli: test)
        XCTAssertEqual(rates.rows, test.count); XCTAssertEqual(rates.columns, 3)
        let readout = fitted.encoder.readout.parameters
        let w = readout[0].value.data, b = readout[1].value.data
        let x = prep.apply(try ds.stimuli(test))
        var naive: [Double] = []
        for k in 0..<test.count { for j in 0..<3 {
            var eta = Double(b[j])
            for p in 0..<25 { eta += Double(w[j * 25 + p]) * Double(x.data[k * 25 + p]) }
            naive.append(Foundation.exp(eta))
        } }
        let pd = compareArrays("GLM predict vs exp(w·x + b)", rates.values.map(Double.init), naive, atol: 1e-9, rtol: 1e-5)
        XCTAssertTrue(pd.ok)

        // Score: the per-unit LL per trial against the Poisson log pmf summed by hand.
        let report = try model.score(ds, split: .test)
        let trials = ds.trials(in: .test)
        let y = ds.responseMatrix
        var row: [Int: Int] = [:]
        for (k, s) in test.enumerated() { row[s] = k }
        for j in 0..<3 {
            var ll = 0.0
            for t in trials {
                let mu = naive[row[ds.stimulusIndex[t]]! * 3 + j], yy = Double(y[t, j])
                ll += yy * Foundation.log(mu) - mu - Foundation.lgamma(yy + 1)
            }
            ll /= Double(trials.count)
            let got = report.llPerTrial.perUnit[j] ?? .nan
            print("GLM unit \(j): LL/trial \(got), by hand \(ll), |Δ| \(abs(got - ll))")
            XCTAssertEqual(got, ll, accuracy: 1e-5 * abs(ll))
        }
        XCTAssertGreaterThan(report.bitsPerSpike.mean ?? -1, 0.05, "the GLM must beat the training-mean null on this data")

        // Save → load: the same model, the same predictions and scores, bit for bit.
        let path = temporaryModelPath("glm.h5")
        try model.save(to: path, overwrite: false)
        let loaded = try EncodingModel.load(from: path)
        XCTAssertEqual(loaded.kind, .glm)
        XCTAssertEqual(try loaded.fitted().config, fitted.config)
        XCTAssertEqual(try loaded.predict(ds, stimuli: test), rates)
        XCTAssertEqual(try loaded.score(ds, split: .test), report)
        XCTAssertThrowsError(try model.save(to: path, overwrite: false), "an existing model file needs overwrite")
    }

    func testCNNFitPredictScoreAndRoundTrip() throws {
        let ds = data()
        let prep = try Preprocessing.fit(on: ds, options: PreprocessingOptions(grayscale: true))
        var arch = EncoderArchitecture.stacked3(inputChannels: 1, height: 5, width: 5, units: 3, channels: 4)
        arch.blocks = [ConvBlockSpec(channels: 4, kernel: 3, batchNorm: true, activation: .elu)]
        var o = TrainingOptions()
        o.epochs = 3; o.batchSize = 16; o.seed = 5
        let model = EncodingModel(cnn: arch, training: o)
        XCTAssertEqual(model.kind, .cnn)
        let fitted = try model.fit(ds, preprocessing: prep)
        XCTAssertEqual(fitted.history.count, 3)

        // predict = the encoder's forward pass on the preprocessed stimuli (evaluation mode).
        let stimuli = Array(0..<ds.stimulusCount)
        let rates = try model.predict(ds, stimuli: stimuli)
        let forward = fitted.encoder.forward(prep.apply(try ds.stimuli(stimuli)), training: false)
        XCTAssertEqual(compareArrays("CNN predict vs forward", rates.values, forward.data, atol: 0).maxDiff, 0)
        XCTAssertEqual(try model.predict(rawStimuli: try ds.stimuli(stimuli)), rates)

        // The same fit twice: the same weights (seeded batches).
        let again = try EncodingModel(cnn: arch, training: o).fit(ds, preprocessing: prep)
        XCTAssertEqual(again.encoder.parameters.flatMap { $0.value.data }, fitted.encoder.parameters.flatMap { $0.value.data })

        let report = try model.score(ds, split: .test)
        let path = temporaryModelPath("cnn.h5")
        try model.save(to: path, overwrite: false)
        let loaded = try EncodingModel.load(from: path)
        let lf = try loaded.fitted()
        XCTAssertEqual(lf.config, fitted.config)
        XCTAssertEqual(lf.history, fitted.history)
        XCTAssertEqual(lf.encoder.parameters.flatMap { $0.value.data }, fitted.encoder.parameters.flatMap { $0.value.data })
        XCTAssertEqual(try loaded.predict(ds, stimuli: stimuli), rates, "predictions after save/load are bit-identical")
        XCTAssertEqual(try loaded.score(ds, split: .test), report)
    }

    func testSimulateIsSeededAndCentredOnThePredictions() throws {
        let ds = data()
        let model = EncodingModel(glm: .poisson, ridgeGrid: [0])
        try model.fit(ds, preprocessing: try rawPreprocessing(ds))
        let stimuli = [0, 1, 2]
        let repeats = 2000
        let list = stimuli.flatMap { s in Array(repeating: s, count: repeats) }
        let a = try model.simulate(ds, stimuli: list, seed: 7)
        XCTAssertEqual(a, try model.simulate(ds, stimuli: list, seed: 7), "same seed, same draws")
        XCTAssertNotEqual(a, try model.simulate(ds, stimuli: list, seed: 8))
        XCTAssertTrue(a.values.allSatisfy { $0 >= 0 && $0 == $0.rounded() }, "Poisson draws are counts")
        let mu = try model.predict(ds, stimuli: stimuli)
        var worst = 0.0
        for (k, _) in stimuli.enumerated() {
            let mean = a.columnMeans(of: Array((k * repeats)..<((k + 1) * repeats)))
            for j in 0..<3 {
                let m = Double(mu[k, j]), se = (m / Double(repeats)).squareRoot()
                worst = max(worst, abs(mean[j] - m) / se)
            }
        }
        print("simulate: largest |sample mean − μ| over 9 cells = \(worst) standard errors")
        XCTAssertLessThan(worst, 4.5)
    }

    func testLayerHandlesResolveAgainstTheArchitecture() throws {
        let arch = EncoderArchitecture.stacked3(inputChannels: 1, height: 12, width: 12, units: 2, channels: 4)
        let encoder = try NeuralEncoder(architecture: arch, seed: 0)
        XCTAssertEqual(arch.layerHandles.map(\.name), encoder.layerNames)
        for name in encoder.layerNames {
            let h = try XCTUnwrap(LayerHandle(name: name))
            XCTAssertEqual(h.name, name)
            XCTAssertEqual(encoder.layer(h)?.name, name)
        }
        XCTAssertEqual(LayerHandle(name: "act1"), .activation(block: 1))
        XCTAssertEqual(LayerHandle(name: "core"), .coreOutput)
        for bad in ["act", "act0", "act01", "relu1", "", "conv-1"] { XCTAssertNil(LayerHandle(name: bad), bad) }
        XCTAssertNil(arch.coreIndex(of: .pool(block: 1)), "stacked3 has no pooling")
        XCTAssertThrowsError(try arch.resolve(.conv(block: 4))) { e in
            XCTAssertEqual(e as? EncodingError, .noSuchLayer(layer: "conv4", available: encoder.layerNames))
        }
        var rng = SeededRandom(seed: 1)
        let x = rng.normalTensor([2, 1, 12, 12])
        // By hand: the core's layers forwarded in order, stopped at the layer of that name.
        func byName(_ name: String?) -> [Float] {
            var h = x
            for l in encoder.core.layers { h = l.forward(h, training: false); if l.name == name { break } }
            return h.data
        }
        for name in ["conv1", "act2", "bn3"] {
            let byHandle = try encoder.activations(x, at: try XCTUnwrap(LayerHandle(name: name)))
            XCTAssertEqual(byHandle.data, byName(name), name)
        }
        XCTAssertEqual(try encoder.activations(x, at: .coreOutput).data, byName(nil))
    }
}

final class EncodingEstimatorKindTests: XCTestCase {
    /// Every kind is saved and read back as the estimator of its kind through one loader.
    func testOneLoaderForEveryKind() throws {
        let ds = SmallTrainingData.poisson(stimuli: 60, side: 4, units: 2, repeats: 1, seed: 3)
        let dir = TestPaths.temporaryDirectory("estimator-kinds")
        var po = PreprocessingOptions(grayscale: true)
        po.normalization = .none
        let prep = try Preprocessing.fit(on: ds, options: po)
        var o = TrainingOptions()
        o.epochs = 1
        let estimators: [any EncodingEstimator] = [
            try { let m = EncodingModel(glm: .poisson, ridgeGrid: [1]); try m.fit(ds, preprocessing: prep); return m }(),
            try { let m = EncodingModel(cnn: .linear(inputChannels: 1, height: 4, width: 4, units: 2), training: o)
                  try m.fit(ds, preprocessing: prep); return m }(),
            try RidgeModel.fit(dataset: ds, sources: [.pixels(size: nil)], alphas: [1, 10], folds: 3),
        ]
        for e in estimators {
            XCTAssertTrue(e.isFitted)
            let path = dir + "/\(e.kind.rawValue).h5"
            try? FileManager.default.removeItem(atPath: path)
            try e.save(to: path, overwrite: false)
            let back = try EncodingEstimators.load(from: path)
            XCTAssertEqual(back.kind, e.kind)
            switch (e, back) {
            case (let a as EncodingModel, let b as EncodingModel):
                XCTAssertEqual(try b.predict(ds, stimuli: [0, 1, 2]), try a.predict(ds, stimuli: [0, 1, 2]))
            case (let a as RidgeModel, let b as RidgeModel):
                XCTAssertEqual(try b.predict(dataset: ds, stimuli: [0, 1, 2]), try a.predict(dataset: ds, stimuli: [0, 1, 2]))
            default:
                XCTFail("\(e.kind) came back as \(type(of: back))")
            }
        }
        XCTAssertThrowsError(try EncodingModel.load(from: dir + "/ridge.h5"), "a ridge file is not a CNN/GLM estimator")
    }
}
