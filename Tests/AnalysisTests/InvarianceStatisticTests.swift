// The invariance statistic itself (InvarianceTest.run): hand-computed D, B and index, the CI and
// the falsification rule, invariance to response scale, the two limiting cases, option errors.
import Foundation
import XCTest
import Tensors
import Analysis

final class InvarianceStatisticTests: XCTestCase {

    /// One response of 1 among S − 1 zeros: every cyclic pairing has exactly two edges touching the
    /// 1, so B = 2/S whatever the permutation; with T adding c, D = c and the index is c·S/2.
    func testHandComputedIndex() throws {
        let s = 10
        var original = [Double](repeating: 0, count: s)
        original[3] = 1
        for c in [0.0, 0.05, 0.2] {
            let transformed = original.map { $0 + c }
            let r = try InvarianceTest.run(original: original, transformed: transformed, stimuli: s, units: 1,
                                           settings: InvarianceSettings(threshold: 0.5, bootstrap: 200, seed: 3))[0]
            XCTAssertEqual(r.d, c, accuracy: 1e-15)
            XCTAssertEqual(r.b, 2.0 / Double(s), accuracy: 1e-15)
            XCTAssertEqual(r.index, c * Double(s) / 2, accuracy: 1e-12)
            XCTAssertLessThanOrEqual(r.ciLow, r.ciHigh)
            XCTAssertEqual(r.falsified, r.ciLow > 0.5)
        }
    }

    func testIdenticalResponsesGiveZeroAndUnrelatedGiveOne() throws {
        var rng = SeededRandom(seed: 5)
        let s = 3000, u = 2
        var original = [Double](), transformed = [Double]()
        let other = rng.permutation(s)
        let values = (0..<s).map { _ in rng.gamma(shape: 2, scale: 1) }
        for i in 0..<s {
            original += [values[i], values[i]]
            transformed += [values[i], values[other[i]]]   // unit 0 invariant, unit 1 unrelated
        }
        let r = try InvarianceTest.run(original: original, transformed: transformed, stimuli: s, units: u,
                                       settings: InvarianceSettings(bootstrap: 300, seed: 1))
        print("[invariance limits] invariant index \(r[0].index), unrelated index \(r[1].index) CI [\(r[1].ciLow), \(r[1].ciHigh)]")
        XCTAssertEqual(r[0].index, 0)
        XCTAssertEqual(r[0].ciHigh, 0)
        XCTAssertFalse(r[0].falsified)
        XCTAssertEqual(r[1].index, 1, accuracy: 0.06)
        XCTAssertTrue(r[1].falsified)
        XCTAssertLessThan(r[1].ciLow, r[1].index)
        XCTAssertGreaterThan(r[1].ciHigh, r[1].index)
    }

    func testIndexDoesNotDependOnResponseScale() throws {
        var rng = SeededRandom(seed: 8)
        let s = 200
        let o = (0..<s).map { _ in rng.uniform() }, t = o.map { $0 + 0.3 * rng.normal() }
        let settings = InvarianceSettings(bootstrap: 100, seed: 2)
        let a = try InvarianceTest.run(original: o, transformed: t, stimuli: s, units: 1, settings: settings)[0]
        let b = try InvarianceTest.run(original: o.map { 7 * $0 + 2 }, transformed: t.map { 7 * $0 + 2 }, stimuli: s, units: 1,
                                       settings: settings)[0]
        XCTAssertEqual(a.index, b.index, accuracy: 1e-12)
        XCTAssertEqual(a.ciLow, b.ciLow, accuracy: 1e-12)
        XCTAssertEqual(a.ciHigh, b.ciHigh, accuracy: 1e-12)
    }

    func testOptionErrors() {
        for t in [0.0, -1, .infinity, .nan] {
            XCTAssertThrowsError(try InvarianceSettings(threshold: t).validate()) { e in
                XCTAssertTrue("\(e)".hasPrefix("invariance threshold τ:"), "\(e)")
            }
        }
        XCTAssertThrowsError(try InvarianceSettings(bootstrap: 5).validate())
        XCTAssertThrowsError(try InvarianceSettings(confidence: 1).validate())
        XCTAssertThrowsError(try InvarianceTest.run(original: [1, 2], transformed: [1, 2], stimuli: 2, units: 1, settings: InvarianceSettings())) { e in
            XCTAssertEqual(e as? InvarianceError, .tooFewStimuli(2))
        }
        XCTAssertEqual(InvarianceSettings().threshold, 0.5)
    }
}
