import XCTest
import Tensors
import NeuralData
import Encoding
import TestSupport

/// `fitWithRestarts` (fit --restarts N): N whole fits from seeds base, base+1, …, the best
/// validation log-likelihood kept. Checked against plain fits run here with each seed: the kept
/// model must be bit for bit the plain fit whose validation LL is the largest (chosen in the test,
/// from the plain fits' own histories), and N = 1 must be the plain fit itself.
final class RestartTests: XCTestCase {
    let ds = SmallTrainingData.poisson(stimuli: 60, side: 8, units: 3, repeats: 2, seed: 21)
    let arch = EncoderArchitecture(name: "custom", inputChannels: 1, inputHeight: 8, inputWidth: 8,
                                   blocks: [ConvBlockSpec(channels: 3, kernel: 3, activation: .relu)],
                                   readout: .factorized, link: .softplus, observation: .poisson, units: 3)
    func training(seed: UInt64) -> TrainingOptions {
        var o = TrainingOptions()
        o.epochs = 4; o.batchSize = 16; o.seed = seed
        return o
    }
    func prep() throws -> Preprocessing { try Preprocessing.fit(on: ds, options: PreprocessingOptions(grayscale: true)) }
    let fitOptions = EncodingFitOptions(validationFraction: 0.2)

    func parameters(_ m: FittedModel) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: m.encoder.namedParameters.map { ("\($0.0)/\($0.1.localName)", $0.1.value.data) })
    }
    func bestLL(_ m: FittedModel) -> Double { m.history.first { $0.epoch == m.config.bestEpoch }!.validationLL }

    func testKeptModelIsThePlainFitWithTheWinningSeed() throws {
        let p = try prep()
        let base: UInt64 = 6
        let shared = fitOptions
        let plain = try (0..<3).map { i in
            try EncodingModel(cnn: arch, training: training(seed: base + UInt64(i))).fit(ds, preprocessing: p, options: shared)
        }
        let plainLL = plain.map(bestLL)
        let winner = plainLL.indices.max { plainLL[$0] < plainLL[$1] }!
        // The restarts differ at all (otherwise the choice would be vacuous).
        XCTAssertGreaterThan(Set(plainLL).count, 1, "three seeds gave the same validation LL: \(plainLL)")
        XCTAssertNotEqual(winner, 0, "with base 6 a later restart wins, so the choice is exercised, not the first fit returned")

        var started: [UInt64] = [], finished: [Double] = []
        let kept = try EncodingModel.fitWithRestarts(cnn: arch, training: training(seed: base), count: 3, dataset: ds,
                                                     preprocessing: p, options: fitOptions,
                                                     willStart: { _, s in started.append(s); return nil },
                                                     finished: { _, _, ll in finished.append(ll) }).fitted()
        let record = try XCTUnwrap(kept.config.restarts)
        print("restarts: plain validation LL \(plainLL), recorded \(record.validationLL), kept \(record.kept), winner \(winner)")
        XCTAssertEqual(record.seeds, [6, 7, 8])
        XCTAssertEqual(started, [6, 7, 8])
        XCTAssertEqual(record.validationLL, plainLL, "each restart is the plain fit with its seed")
        XCTAssertEqual(finished, plainLL)
        XCTAssertEqual(record.kept, winner)
        XCTAssertEqual(kept.config.training.seed, base + UInt64(winner))
        let a = parameters(kept), b = parameters(plain[winner])
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        var maxDiff: Float = 0
        for (k, v) in a { maxDiff = max(maxDiff, maxAbsDifference(v, b[k]!)) }
        print("restarts: max |kept − plain fit with seed \(base + UInt64(winner))| over all parameters = \(maxDiff)")
        for (k, v) in a { XCTAssertEqual(v, b[k]!, "parameter \(k) differs from the plain fit with the winning seed") }
        XCTAssertEqual(kept.history.map(\.trainLoss), plain[winner].history.map(\.trainLoss))
        XCTAssertEqual(kept.history.map(\.validationLL), plain[winner].history.map(\.validationLL))
    }

    /// A file without a validation split: every restart validates on the stimuli drawn with the base
    /// seed, so their likelihoods are comparable; the kept model is the plain fit with its seed and
    /// that shared draw (and differs from one that drew its own held-out stimuli).
    func testRestartsShareOneHeldOutDraw() throws {
        var rng = SeededRandom(seed: 31)
        let n = 60, side = 8
        let x = rng.normalTensor([n, 1, side, side])
        var y = Tensor(shape: [n, 3])
        for s in 0..<n { for j in 0..<3 { y.data[s * 3 + j] = Float(rng.poisson(2 * Foundation.exp(0.5 * Double(x.data[s * 64 + 35 + j])))) } }
        let split: [Split] = (0..<n).map { $0 < 48 ? .train : .test }   // no validation split
        let data = Dataset(stimuli: x, responses: y, split: split)
        let p = try Preprocessing.fit(on: data, options: PreprocessingOptions(grayscale: true))
        let base: UInt64 = 6
        let kept = try EncodingModel.fitWithRestarts(cnn: arch, training: training(seed: base), count: 3, dataset: data,
                                                     preprocessing: p, options: fitOptions).fitted()
        let record = try XCTUnwrap(kept.config.restarts)
        let held = try XCTUnwrap(kept.config.heldOutValidation)
        XCTAssertEqual(held.seed, base, "one held-out draw, the base seed's, for every restart")
        var shared = fitOptions
        shared.validationSeed = base
        let plainLL = try (0..<3).map { i -> Double in
            let m = try EncodingModel(cnn: arch, training: training(seed: base + UInt64(i))).fit(data, preprocessing: p, options: shared)
            XCTAssertEqual(m.config.heldOutValidation, held)
            return bestLL(m)
        }
        print("restarts without a validation split: LL \(record.validationLL), kept \(record.kept), held-out stimuli \(held.stimuli)")
        XCTAssertEqual(record.validationLL, plainLL)
        if record.kept > 0 {
            let own = try EncodingModel(cnn: arch, training: training(seed: base + UInt64(record.kept))).fit(data, preprocessing: p, options: fitOptions)
            XCTAssertNotEqual(own.config.heldOutValidation?.stimuli, held.stimuli, "a plain fit draws its own held-out stimuli")
        }
    }

    func testOneRestartIsTheOrdinaryFit() throws {
        let p = try prep()
        let plain = try EncodingModel(cnn: arch, training: training(seed: 9)).fit(ds, preprocessing: p, options: fitOptions)
        let one = try EncodingModel.fitWithRestarts(cnn: arch, training: training(seed: 9), count: 1, dataset: ds,
                                                    preprocessing: p, options: fitOptions).fitted()
        XCTAssertNil(one.config.restarts, "a single fit records no restarts, so its model file is today's")
        XCTAssertEqual(one.config, plain.config)
        let a = parameters(one), b = parameters(plain)
        for (k, v) in a { XCTAssertEqual(v, b[k]!, "parameter \(k)") }
    }

    func testBadCountsAndCheckpointsRefused() throws {
        let p = try prep()
        for n in [0, -2] {
            XCTAssertThrowsError(try EncodingModel.fitWithRestarts(cnn: arch, training: training(seed: 0), count: n, dataset: ds,
                                                                   preprocessing: p, options: fitOptions)) { e in
                guard case EncodingError.invalidOption(.restarts, _) = e else { return XCTFail("\(e)") }
            }
        }
        var o = fitOptions
        o.checkpointPath = TestPaths.temporaryDirectory("restarts") + "/ck.h5"
        XCTAssertThrowsError(try EncodingModel.fitWithRestarts(cnn: arch, training: training(seed: 0), count: 2, dataset: ds,
                                                               preprocessing: p, options: o)) { e in
            guard case EncodingError.invalidOption(.restarts, _) = e else { return XCTFail("\(e)") }
        }
    }

    func testBestSkipsNaNAndKeepsTheFirstOnTies() {
        XCTAssertEqual(RestartRecord.best(of: [.nan, -2, -1, -1]), 2)
        XCTAssertNil(RestartRecord.best(of: [.nan, .nan]))
        XCTAssertEqual(RestartRecord.seeds(base: UInt64.max, count: 2), [UInt64.max, 0])
    }

    func testRecordRoundTripsThroughTheModelFile() throws {
        let p = try prep()
        let m = try EncodingModel.fitWithRestarts(cnn: arch, training: training(seed: 1), count: 2, dataset: ds,
                                                  preprocessing: p, options: fitOptions)
        let path = TestPaths.temporaryDirectory("restarts-file") + "/m.h5"
        try m.save(to: path, overwrite: true)
        let back = try EncodingModel.load(from: path).fitted()
        XCTAssertEqual(back.config.restarts, try m.fitted().config.restarts)
        XCTAssertEqual(back.config.restarts?.seeds, [1, 2])
    }
}
