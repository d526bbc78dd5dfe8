// Bootstrap, permutation test and the whole analysis: reproducibility (seeded, independent of the
// number of threads), agreement of the permutation shortcut with recomputing permuted RDMs, the
// bootstrap's spread against rsatoolbox's, and the speed of 1000 resamples on the 92-image data.
import XCTest
import Foundation
import Tensors
import TestSupport
import Analysis

final class RSAInferenceTests: XCTestCase {
    func testBootstrapIsReproducibleAndThreadIndependent() throws {
        let fx = try RSAFixture.open()
        let subjects = try fx.rdmSet("/small/subjects"), models = try fx.rdmSet("/small/models")
        for method in [RDMComparisonMethod.spearman, .whitenedPearson, .kendallTauA] {
            let ev = try RSAEvaluator(subjects: subjects, models: models, method: method)
            let a = RSA.bootstrap(ev, resamples: 200, seed: 11, threads: 1)
            let b = RSA.bootstrap(ev, resamples: 200, seed: 11, threads: 3)
            let c = RSA.bootstrap(ev, resamples: 200, seed: 12, threads: 2)
            XCTAssertEqual(a.values, b.values, "\(method): bootstrap depends on the thread count")
            XCTAssertEqual(a.ceiling, b.ceiling)
            XCTAssertNotEqual(a.values, c.values, "\(method): a different seed gave the same resamples")
            // each resample equals the evaluator on that resample's counts
            for r in [0, 57, 199] {
                let e = ev.evaluate(counts: RSA.resampleCounts(conditions: 10, seed: 11, resample: r))
                XCTAssertEqual(Array(a.values[(r * 3)..<(r * 3 + 3)]), e.values)
                XCTAssertEqual([a.ceiling[2 * r], a.ceiling[2 * r + 1]], [e.noiseCeilingLower!, e.noiseCeilingUpper!])
            }
        }
    }

    /// The permutation shortcut (gathered dot products / relabelled orders) equals recomputing the
    /// comparison of each relabelled model RDM with the reference implementation.
    func testPermutedValuesMatchRecomputation() throws {
        let fx = try RSAFixture.open()
        let subjects = try fx.rdmSet("/small/subjects"), models = try fx.rdmSet("/small/models")
        let k = subjects.conditions
        for method in RDMComparisonMethod.allCases {
            let ev = try RSAEvaluator(subjects: subjects, models: models, method: method)
            let n = 300, seed: UInt64 = 5
            let p = RSA.permutationTest(ev, permutations: n, seed: seed, threads: 2)
            // recompute: the same permutations, relabelled RDMs, reference comparisons
            var exceed = [Int](repeating: 0, count: models.count)
            let observed = (0..<models.count).map { m in
                (0..<subjects.count).map { RDMComparison.compare(Array(models.vector(m)), Array(subjects.vector($0)), method: method) }.reduce(0, +) / Double(subjects.count)
            }
            for r in 0..<n {
                var rng = SeededRandom.derived(seed: seed, stream: (1 << 32) + UInt64(r))
                let pi = rng.permutation(k)
                for m in 0..<models.count {
                    var permuted = [Double]()
                    for i in 0..<k { for j in (i + 1)..<k { permuted.append(models.vector(m)[models.vector(m).startIndex + RDM.pairIndex(pi[i], pi[j], conditions: k)]) } }
                    let v = (0..<subjects.count).map { RDMComparison.compare(permuted, Array(subjects.vector($0)), method: method) }.reduce(0, +) / Double(subjects.count)
                    if v >= observed[m] - 1e-12 * max(1, abs(observed[m])) { exceed[m] += 1 }
                }
            }
            let expected = exceed.map { Double(1 + $0) / Double(1 + n) }
            XCTAssertTrue(compareArrays("permutation p-values \(method.rawValue) vs recomputation", p, expected, atol: 1e-12).ok)
        }
    }

    /// A model equal to the subjects' common structure is significant; a random one is not.
    func testPermutationTestSeparatesRelatedFromUnrelatedModels() throws {
        var rng = SeededRandom(seed: 3)
        let k = 30, c = 12
        let truth = (0..<(k * c)).map { _ in Float(rng.normal()) }
        func noisy(_ s: Double) -> [Float] { truth.map { $0 + Float(s * rng.normal()) } }
        let subj = try (0..<5).map { _ in try RDM.compute(patterns: noisy(1.0), conditions: k, channels: c, measure: .correlation) }
        let related = try RDM.compute(patterns: noisy(0.5), conditions: k, channels: c, measure: .correlation)
        let unrelated = try RDM.compute(patterns: (0..<(k * c)).map { _ in Float(rng.normal()) }, conditions: k, channels: c, measure: .correlation)
        let result = try RSA.analyse(subjects: RDMSet(subj, names: (0..<5).map { "s\($0)" }),
                                     models: RDMSet([related, unrelated], names: ["related", "unrelated"]),
                                     options: RSAOptions(method: .spearman, bootstrap: 300, permutations: 500, seed: 1))
        print("related: value \(result.models[0].value) p \(result.models[0].p!) CI [\(result.models[0].ciLow!), \(result.models[0].ciHigh!)]")
        print("unrelated: value \(result.models[1].value) p \(result.models[1].p!) CI [\(result.models[1].ciLow!), \(result.models[1].ciHigh!)]")
        XCTAssertEqual(result.models[0].p!, 1.0 / 501, accuracy: 1e-12)
        XCTAssertGreaterThan(result.models[1].p!, 0.01)
        XCTAssertLessThan(result.models[0].ciLow!, result.models[0].value)
        XCTAssertGreaterThan(result.models[0].ciHigh!, result.models[0].value)
        XCTAssertGreaterThan(result.models[0].ciLow!, result.models[1].ciHigh!)
        XCTAssertGreaterThan(result.noiseCeilingUpper!, result.noiseCeilingLower!)
    }

    /// The bootstrap's spread agrees with rsatoolbox's eval_bootstrap_pattern (different random
    /// streams, so in distribution: the standard deviations within 20 %; theirs from 300 samples,
    /// ours from 2000).
    func testBootstrapSpreadMatchesRsatoolbox() throws {
        let fx = try RSAFixture.open()
        let data = try Kriegeskorte92.load()
        let theirs = try fx.doubles("/k92/subjects4/spearman/bootstrap_sd")
        let ev = try RSAEvaluator(subjects: data.subjects, models: data.models, method: .spearman)
        let boot = RSA.bootstrap(ev, resamples: 2000, seed: 1, threads: ProcessInfo.processInfo.activeProcessorCount, noiseCeiling: false)
        var ours = [Double]()
        for m in 0..<8 {
            let col = (0..<2000).map { boot.values[$0 * 8 + m] }
            let mean = col.reduce(0, +) / 2000
            ours.append((col.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 1999).squareRoot())
        }
        XCTAssertTrue(compareArrays("bootstrap SD (spearman, 92 images) vs rsatoolbox", ours, theirs, atol: 0, rtol: 0.2).ok)
    }

    /// 1000 resamples over 92 stimuli, 8 subject RDMs, 8 models, with the noise ceiling, per method.
    func testBootstrapSpeedOn92Images() throws {
        let data = try Kriegeskorte92.load()
        let threads = ProcessInfo.processInfo.activeProcessorCount
        func cpuSeconds() -> Double {
            var u = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
            return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
        }
        // RSA_SPEED_METHODS=spearman,cosine limits the methods timed (profiling)
        let only = ProcessInfo.processInfo.environment["RSA_SPEED_METHODS"].map { $0.split(separator: ",").map(String.init) }
        for method in RDMComparisonMethod.allCases where only?.contains(method.rawValue) ?? true {
            let ev = try RSAEvaluator(subjects: data.sessions, models: data.models, method: method)
            _ = RSA.bootstrap(ev, resamples: 20, seed: 0, threads: threads)            // warm-up
            // τ-a (O(L log L) per comparison) is timed on 200 resamples and scaled, to keep the suite short
            let n = method == .kendallTauA ? 200 : 1000
            let t0 = DispatchTime.now().uptimeNanoseconds, c0 = cpuSeconds()
            let boot = RSA.bootstrap(ev, resamples: n, seed: 0, threads: threads)
            let scale = 1000 / Double(n)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 * scale, dc = (cpuSeconds() - c0) * scale
            print(String(format: "bootstrap 1000 × (92 stimuli, 8 subjects, 8 models, noise ceiling), %@: %.3f s wall, %.3f s CPU, %d threads%@",
                         method.rawValue, dt, dc, threads, n < 1000 ? " (from \(n) resamples)" : ""))
            XCTAssertTrue(boot.values.allSatisfy { $0.isFinite })
        }
    }
}
