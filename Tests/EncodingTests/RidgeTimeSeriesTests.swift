// Ridge on time series and runs: banded ridge on delayed features against a naive stacked-delays
// design solved by the same banded search, and the folds of stimulus rows grouped by /runs.
import XCTest
import Tensors
import NeuralData
import Encoding
import TestSupport

final class RidgeTimeSeriesTests: XCTestCase {
    /// 4 runs × 30 TRs, 4×4 stimuli (one per TR), 3 targets. Two feature spaces (`pixels`: 16
    /// columns, `pixels:2`: 4) delayed by 0, 1, 2 TRs: the design is built here by hand, row by row
    /// (zeros where the delayed TR is before the run's start), one block per space
    /// [space: delay 0 | delay 1 | delay 2], standardised and centred by hand, and given to
    /// BandedRidge.crossValidate with the same weightings and run folds. Weights, α and γ must match
    /// RidgeModel.fitTimeSeries (tolerance 1e-5 on float32 weights: only the summation order of the
    /// standardisation differs).
    func testBandedOnDelayedFeaturesMatchesNaiveStackedDesign() throws {
        var rng = SeededRandom(seed: 9)
        let runs = 4, perRun = 30, n = runs * perRun, u = 3, side = 4
        let stim = (0..<(n * side * side)).map { _ in Float(rng.normal()) }
        var resp = [Float](repeating: 0, count: n * u)
        for t in 0..<n { for j in 0..<u {
            var v = 0.0
            if t % perRun >= 1 { v += Double(stim[(t - 1) * 16 + j]) }          // lag 1 on pixel j
            if t % perRun >= 2 { v += 0.5 * Double(stim[(t - 2) * 16 + 5]) }    // lag 2 on pixel 5
            resp[t * u + j] = Float(v + 0.3 * rng.normal())
        } }
        let runOf = (0..<n).map { $0 / perRun }
        let ds = Dataset(stimuli: Tensor(shape: [n, 1, side, side], data: stim), responses: Tensor(shape: [n, u], data: resp),
                         split: (0..<n).map { $0 < 3 * perRun ? .train : .test }, modality: .fmri)
        let sources: [FeatureSource] = [.pixels(size: nil), .pixels(size: 2)]
        let delays = [0, 1, 2], alphas = [0.1, 1, 10, 100, 1000], folds = 3
        let model = try RidgeModel.fitTimeSeries(dataset: ds, runs: runOf, delays: delays, sources: sources, alphas: alphas, folds: folds,
                                                 bandedSamples: 6, seed: 2)

        // Naive: features per stimulus, then the delayed rows one by one.
        let trials = ds.trials(in: .train)
        let phi = try sources.map { try FeatureSpace.compute($0, dataset: ds, stimuli: Array(0..<n)) }
        var rows = [[Double]]()
        for t in trials {
            var row = [Double]()
            for m in phi { for d in delays {
                let src = t - d
                for j in 0..<m.columns { row.append(src >= 0 && runOf[src] == runOf[t] ? Double(m.values[src * m.columns + j]) : 0) }
            } }
            rows.append(row)
        }
        let p = rows[0].count, nr = rows.count
        XCTAssertEqual(p, 3 * 16 + 3 * 4)
        XCTAssertEqual(model.featureCount, p)
        var x = [Double](repeating: 0, count: nr * p)
        for j in 0..<p {
            let mean = rows.reduce(0) { $0 + $1[j] } / Double(nr)
            var sd = (rows.reduce(0) { $0 + ($1[j] - mean) * ($1[j] - mean) } / Double(nr)).squareRoot()
            if sd == 0 { sd = 1 }
            for i in 0..<nr { x[i * p + j] = (rows[i][j] - mean) / sd }
        }
        var y = [Float](repeating: 0, count: nr * u)
        for t in 0..<u {
            let mean = trials.reduce(0.0) { $0 + Double(resp[$1 * u + t]) } / Double(nr)
            for (i, tr) in trials.enumerated() { y[i * u + t] = Float(Double(resp[tr * u + t]) - mean) }
        }
        let foldOfRow = trials.map { min(runOf[$0], folds - 1) }   // 3 training runs → 3 folds, one run each
        let gammas = BandedRidge.simplexSamples(count: 6, spaces: 2, seed: 2)
        let naive = try BandedRidge.crossValidate(x: x, rows: nr, spaceSizes: [48, 12], y: y, targetCount: u, foldOfRow: foldOfRow,
                                                  alphas: alphas, gammas: gammas)
        XCTAssertEqual(model.fit.cv.bestAlphas, naive.bestAlphas)
        XCTAssertEqual(model.fit.spaceWeights, naive.spaceWeights)
        let dw = zip(model.fit.cv.weights, naive.weights).map { abs(Double($0) - Double($1)) }.max() ?? .nan
        let scale = naive.weights.map { abs(Double($0)) }.max() ?? 1
        print("banded ridge on delayed features vs the naive stacked design: max |Δ weight| = \(dw) (largest weight \(scale)), α \(naive.bestAlphas), γ \(naive.spaceWeights)")
        XCTAssertLessThanOrEqual(dw, 1e-5 * max(1, scale))
        XCTAssertEqual(model.config.featureCounts, [16, 4])   // per space, before the delays (as the file stores them)
        // Written and read back: the same weights, and the same test predictions.
        let path = TestPaths.temporaryDirectory("ridge-ts") + "/banded-delays.h5"
        try model.write(to: path, overwrite: true)
        let back = try RidgeModel.load(path)
        XCTAssertEqual(back.fit.cv.weights, model.fit.cv.weights)
        XCTAssertEqual(try back.predictTrials(dataset: ds, runs: runOf, trials: ds.trials(in: .test)),
                       try model.predictTrials(dataset: ds, runs: runOf, trials: ds.trials(in: .test)))
        XCTAssertEqual(model.config.bandedSamples, 6)
        // Predictions of the test trials use the same per-space layout.
        let pred = try model.predictTrials(dataset: ds, runs: runOf, trials: ds.trials(in: .test))
        var sse = 0.0, sst = 0.0
        let test = ds.trials(in: .test)
        for (i, tr) in test.enumerated() { for t in 0..<u {
            let d = Double(pred[i * u + t]) - Double(resp[tr * u + t]); sse += d * d; sst += Double(resp[tr * u + t] * resp[tr * u + t])
        } }
        print("held-out R² (uncentred) of the banded delayed model: \(1 - sse / sst)")
        XCTAssertGreaterThan(1 - sse / sst, 0.5)
    }

    /// Stimulus rows with /runs: each stimulus goes with the run of its first trial in the file,
    /// runs (in order of first appearance among the rows) are dealt into contiguous blocks
    /// (worked out by hand).
    func testStimulusFoldsFollowRuns() throws {
        // 6 stimuli; trials (stimulus, run): (0,a) (1,a) (2,b) (0,b) (3,c) (4,c) (5,d) (2,d); runs a=7 b=3 c=9 d=1.
        let index = [0, 1, 2, 0, 3, 4, 5, 2], runs = [7, 7, 3, 3, 9, 9, 1, 1]
        let ds = Dataset(stimuli: Tensor(shape: [6, 1, 2, 2]), responses: Tensor(shape: [8, 1], data: (0..<8).map(Float.init)),
                         stimulusIndex: index, split: [Split](repeating: .train, count: 6), modality: .fmri)
        // First runs: stimulus 0→7, 1→7, 2→3, 3→9, 4→9, 5→1; order of first appearance 7, 3, 9, 1;
        // 2 folds of runs: {7, 3} → 0, {9, 1} → 1.
        XCTAssertEqual(try RidgeModel.runFolds(dataset: ds, runs: runs, stimuli: [0, 1, 2, 3, 4, 5], folds: 2), [0, 0, 0, 1, 1, 1])
        // 4 folds: one run each, in order of first appearance among the rows (1, 3, 7, 9).
        XCTAssertEqual(try RidgeModel.runFolds(dataset: ds, runs: runs, stimuli: [5, 2, 0, 3], folds: 4), [0, 1, 2, 3])
        XCTAssertThrowsError(try RidgeModel.runFolds(dataset: ds, runs: runs, stimuli: [0, 1, 2, 3, 4, 5], folds: 5))
    }
}
