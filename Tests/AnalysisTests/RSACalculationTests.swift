// RDMs from patterns: a hand-computed case, rsatoolbox's calc_rdm (correlation, euclidean,
// crossnobis with identity and shrinkage-diagonal noise precision) and scipy's cosine distance on
// a 12 × 20 × 4 pattern set (Tests/Fixtures/rsatoolbox.h5, /patterns), and the input errors.
import XCTest
import Foundation
import Tensors
import TestSupport
import Analysis

final class RSACalculationTests: XCTestCase {
    /// Three conditions, two channels: x0 = (1, 0), x1 = (0, 2), x2 = (3, 4).
    func testHandComputedRDMs() throws {
        let x: [Float] = [1, 0, 0, 2, 3, 4]
        let e = try RDM.compute(patterns: x, conditions: 3, channels: 2, measure: .euclidean)
        // squared distances / 2 channels: |x0−x1|² = 5, |x0−x2|² = 20, |x1−x2|² = 13
        XCTAssertTrue(compareArrays("euclidean, hand", e.dissimilarities, [2.5, 10, 6.5], atol: 1e-12).ok)
        let c = try RDM.compute(patterns: x, conditions: 3, channels: 2, measure: .cosine)
        // cos(x0,x1) = 0, cos(x0,x2) = 3/5, cos(x1,x2) = 8/(2·5)
        XCTAssertTrue(compareArrays("cosine, hand", c.dissimilarities, [1, 0.4, 0.2], atol: 1e-12).ok)
        // two channels: centred patterns are ±(d, −d), so r = ±1: x0 ↑, x1 ↓, x2 ↓
        let r = try RDM.compute(patterns: x, conditions: 3, channels: 2, measure: .correlation)
        XCTAssertTrue(compareArrays("correlation, hand", r.dissimilarities, [2, 2, 0], atol: 1e-12).ok)
        XCTAssertTrue(compareArrays("correlation, hand, square", r.squareMatrix(), [0, 2, 2, 2, 0, 0, 2, 0, 0], atol: 1e-12).ok)
    }

    /// Crossnobis by hand: 3 conditions, 1 channel, 2 runs: x = [[1, 3], [0, 0], [2, 2]].
    /// Fold 1 (test run 0, train run 1): k_ij = train_i · test_j; fold 2 the reverse.
    func testHandComputedCrossnobis() throws {
        let x: [Float] = [1, 3, 0, 0, 2, 2]                                  // [K=3, C=1, R=2]
        let d = try RDM.crossnobis(patterns: x, conditions: 3, channels: 1, runs: 2)
        // d_ij = mean over folds of (a_i − a_j)(b_i − b_j) with (a, b) = (train, test)
        // (0,1): (3−0)(1−0) = 3 and (1)(3) = 3 → 3; (0,2): (3−2)(1−2) = −1 twice → −1; (1,2): (−2)(−2) = 4 → 4
        XCTAssertTrue(compareArrays("crossnobis, hand", d.dissimilarities, [3, -1, 4], atol: 1e-12).ok)
    }

    func testMatchesRsatoolboxCalcRDM() throws {
        let fx = try RSAFixture.open()
        let r = try fx.file.readFloats("/patterns/data")                     // [12, 20, 4]
        let (k, c, runs) = (r.shape[0], r.shape[1], r.shape[2])
        for (measure, path) in [(DissimilarityMeasure.correlation, "correlation"), (.euclidean, "euclidean"), (.cosine, "cosine"), (.crossnobis, "crossnobis")] {
            let d = try RDM.compute(repeatedPatterns: r.values, conditions: k, channels: c, runs: runs, measure: measure)
            XCTAssertTrue(compareArrays("calc_rdm \(path) (12 × 20 × 4)", d.dissimilarities, try fx.doubles("/patterns/" + path), atol: 1e-6).ok)
        }
        let x = r.values.map { Double($0) }
        let prec = try RDM.noisePrecisionShrinkageDiagonal(patterns: x, conditions: k, channels: c, runs: runs)
        let expected = try fx.doubles("/patterns/precision_shrinkage_diag")
        XCTAssertTrue(compareArrays("prec_from_measurements shrinkage_diag", prec, expected, atol: 1e-6, rtol: 1e-9).ok)
        let d = try RDM.crossnobis(patterns: r.values, conditions: k, channels: c, runs: runs, noise: .shrinkageDiagonal)
        XCTAssertTrue(compareArrays("calc_rdm crossnobis, shrinkage_diag precision", d.dissimilarities,
                                    try fx.doubles("/patterns/crossnobis_shrinkage_diag"), atol: 1e-6).ok)
        let given = try RDM.crossnobis(patterns: r.values, conditions: k, channels: c, runs: runs, noise: .matrix(expected))
        XCTAssertTrue(compareArrays("calc_rdm crossnobis, given precision", given.dissimilarities,
                                    try fx.doubles("/patterns/crossnobis_shrinkage_diag"), atol: 1e-6).ok)
    }

    /// The Float-pattern entry point (activations) equals the Double path on the same values.
    func testActivationEntryPointMatchesAveragedPatterns() throws {
        var rng = SeededRandom(seed: 9)
        let k = 15, c = 40
        let x = (0..<(k * c)).map { _ in Float(rng.normal()) }
        for m in [DissimilarityMeasure.correlation, .euclidean, .cosine] {
            let a = try RDM.compute(patterns: x, conditions: k, channels: c, measure: m)
            let b = try RDM.compute(repeatedPatterns: x, conditions: k, channels: c, runs: 1, measure: m)
            XCTAssertEqual(a.dissimilarities, b.dissimilarities, "\(m)")
        }
    }

    func testBadPatternsAreClearErrors() {
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        let two = message { try RDM.compute(patterns: [1, 2, 3, 4], conditions: 2, channels: 2, measure: .euclidean) }
        XCTAssertTrue(two.contains("at least 3"), two)
        let count = message { try RDM.compute(patterns: [1, 2, 3], conditions: 3, channels: 2, measure: .euclidean) }
        XCTAssertTrue(count.contains("3 values where 6 were expected"), count)
        let nan = message { try RDM.compute(patterns: [1, 2, .nan, 4, 5, 6], conditions: 3, channels: 2, measure: .euclidean) }
        XCTAssertTrue(nan.contains("non-finite"), nan)
        let flat = message { try RDM.compute(patterns: [1, 2, 5, 5, 3, 1], conditions: 3, channels: 2, measure: .correlation) }
        XCTAssertTrue(flat.contains("condition 1 is constant"), flat)
        let zero = message { try RDM.compute(patterns: [1, 2, 0, 0, 3, 1], conditions: 3, channels: 2, measure: .cosine) }
        XCTAssertTrue(zero.contains("condition 1 is all zeros"), zero)
        let cn = message { try RDM.compute(patterns: [1, 2, 0, 0, 3, 1], conditions: 3, channels: 2, measure: .crossnobis) }
        XCTAssertTrue(cn.contains("crossnobis needs repeated measurements"), cn)
        let oneRun = message { try RDM.crossnobis(patterns: [1, 2, 3], conditions: 3, channels: 1, runs: 1) }
        XCTAssertTrue(oneRun.contains("at least 2 runs"), oneRun)
        let badPrecision = message { try RDM.crossnobis(patterns: [Float](repeating: 1, count: 12), conditions: 3, channels: 2, runs: 2, noise: .matrix([1, 0, 0])) }
        XCTAssertTrue(badPrecision.contains("[2, 2] expected"), badPrecision)
    }
}

final class RSATrialRDMTests: XCTestCase {
    /// Trials in shuffled order with 3 repeats per condition give the RDMs of the [K, C, R] patterns
    /// (fold r = the r-th trial of each condition); unequal repeats need --repeats for crossnobis.
    func testTrialsGiveTheRepeatedPatternRDMs() throws {
        var rng = SeededRandom(seed: 17)
        let k = 6, c = 5, r = 3
        let x = (0..<(k * c * r)).map { _ in Float(rng.normal()) }          // [K, C, R]
        var order = Array(0..<(k * r))                                      // trial = (condition, repeat)
        rng.shuffle(&order)
        // keep repeats of a condition in increasing order along the trials
        var seen = [Int](repeating: 0, count: k)
        var index: [Int] = [], responses: [Float] = []
        for o in order {
            let i = o / r
            let q = seen[i]; seen[i] += 1
            index.append(i)
            for j in 0..<c { responses.append(x[(i * c + j) * r + q]) }
        }
        for m in DissimilarityMeasure.allCases {
            let a = try RDM.fromTrials(responses: responses, stimulusIndex: index, conditions: k, channels: c, measure: m)
            let b = try RDM.compute(repeatedPatterns: x, conditions: k, channels: c, runs: r, measure: m)
            XCTAssertTrue(compareArrays("trials vs [K, C, R], \(m.rawValue)", a.dissimilarities, b.dissimilarities, atol: 1e-12).ok)
        }
        // one extra trial of condition 2: crossnobis needs --repeats
        let idx2 = index + [2], resp2 = responses + [Float](repeating: 1, count: c)
        do {
            _ = try RDM.fromTrials(responses: resp2, stimulusIndex: idx2, conditions: k, channels: c, measure: .crossnobis)
            XCTFail("unequal repeats accepted")
        } catch {
            XCTAssertTrue("\(error)".contains("found 3 to 4"), "\(error)")
        }
        let capped = try RDM.fromTrials(responses: resp2, stimulusIndex: idx2, conditions: k, channels: c, measure: .crossnobis, repeats: 3)
        let b = try RDM.compute(repeatedPatterns: x, conditions: k, channels: c, runs: r, measure: .crossnobis)
        XCTAssertTrue(compareArrays("trials, first 3 repeats, crossnobis", capped.dissimilarities, b.dissimilarities, atol: 1e-12).ok)
        do {
            _ = try RDM.fromTrials(responses: responses, stimulusIndex: index.map { $0 == 4 ? 3 : $0 }, conditions: k, channels: c, measure: .correlation)
            XCTFail("a condition without trials accepted")
        } catch {
            XCTAssertTrue("\(error)".contains("condition 4 has no trials"), "\(error)")
        }
    }
}
