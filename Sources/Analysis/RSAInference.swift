// Inference for RSA: bootstrap over conditions (confidence intervals), permutation of condition
// labels (p-values), and the whole analysis (point values, noise ceiling, both of those) in one call.
//
// Reproducibility: resample r draws its conditions from SeededRandom.derived(seed, stream: r) (and
// permutation r from stream 2^32 + r), so the results do not depend on the number of threads or
// on their scheduling.
import Foundation
import Tensors

/// Options of an RSA run.
public struct RSAOptions: Sendable {
    public var method: RDMComparisonMethod
    /// Bootstrap resamples over conditions (0: no confidence intervals).
    public var bootstrap: Int
    /// Random permutations of condition labels (0: no p-values).
    public var permutations: Int
    public var seed: UInt64
    /// Coverage of the percentile confidence interval, in (0, 1).
    public var confidence: Double
    /// Worker threads (default: the active processor count).
    public var threads: Int

    public init(method: RDMComparisonMethod = .spearman, bootstrap: Int = 1000, permutations: Int = 1000,
                seed: UInt64 = 0, confidence: Double = 0.95, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.method = method; self.bootstrap = bootstrap; self.permutations = permutations
        self.seed = seed; self.confidence = confidence; self.threads = max(1, threads)
    }

    func validate() throws {
        guard bootstrap >= 0 else { throw RSAError.invalidOption(option: .bootstrap, reason: "must be ≥ 0; got \(bootstrap)") }
        guard permutations >= 0 else { throw RSAError.invalidOption(option: .permutations, reason: "must be ≥ 0; got \(permutations)") }
        guard confidence > 0 && confidence < 1 else { throw RSAError.invalidOption(option: .confidence, reason: "must lie strictly between 0 and 1; got \(confidence)") }
    }
}

/// One model's result.
public struct RSAModelResult: Sendable, Equatable {
    public var name: String
    /// Mean over subjects of the model's comparison with each subject RDM.
    public var value: Double
    /// Percentile bootstrap confidence interval (nil without bootstrap).
    public var ciLow: Double?
    public var ciHigh: Double?
    /// Bootstrap standard deviation of the value (nil without bootstrap).
    public var standardError: Double?
    /// One-sided permutation p-value, (1 + #{permuted ≥ observed}) / (1 + permutations) (nil without).
    public var p: Double?
    /// [S] the comparison with each subject RDM.
    public var perSubject: [Double]
}

/// The result of an RSA run: what the JSON output and the figures are made of.
public struct RSAResult: Sendable {
    public var method: RDMComparisonMethod
    public var models: [RSAModelResult]
    public var subjectNames: [String]
    public var conditions: Int
    public var noiseCeilingLower: Double?
    public var noiseCeilingUpper: Double?
    public var bootstrap: Int
    public var permutations: Int
    public var seed: UInt64
    public var confidence: Double
    /// Resamples with at least 3 distinct conditions (the others are skipped, as in rsatoolbox).
    public var validResamples: Int
    /// [bootstrap, M] model values per resample (NaN rows for skipped resamples).
    public var bootstrapValues: [Double]
    /// [bootstrap, 2] noise ceiling (lower, upper) per resample (NaN with < 2 subjects).
    public var bootstrapNoiseCeiling: [Double]
    public var seconds: Double
}

public enum RSA {
    /// The full analysis: point values (eval_fixed), noise ceiling, bootstrap CIs and permutation
    /// p-values, as `options` asks.
    public static func analyse(subjects: RDMSet, models: RDMSet, options: RSAOptions,
                               subjectsSource: String = "subject RDMs", modelsSource: String = "model RDMs") throws -> RSAResult {
        try options.validate()
        let start = DispatchTime.now().uptimeNanoseconds
        let ev = try RSAEvaluator(subjects: subjects, models: models, method: options.method,
                                  subjectsSource: subjectsSource, modelsSource: modelsSource)
        let point = ev.evaluate()
        let nM = models.count, nS = subjects.count
        var results = (0..<nM).map { m in
            RSAModelResult(name: models.names[m], value: point.values[m], ciLow: nil, ciHigh: nil, standardError: nil, p: nil,
                           perSubject: Array(point.perSubject[(m * nS)..<((m + 1) * nS)]))
        }
        var boot = (values: [Double](), ceiling: [Double]())
        var valid = 0
        if options.bootstrap > 0 {
            boot = bootstrap(ev, resamples: options.bootstrap, seed: options.seed, threads: options.threads)
            let lowQ = (1 - options.confidence) / 2
            for m in 0..<nM {
                let col = (0..<options.bootstrap).map { boot.values[$0 * nM + m] }.filter { $0.isFinite }
                valid = col.count
                guard !col.isEmpty else { continue }
                let sorted = col.sorted()
                results[m].ciLow = quantile(sorted, lowQ)
                results[m].ciHigh = quantile(sorted, 1 - lowQ)
                let mean = col.reduce(0, +) / Double(col.count)
                results[m].standardError = col.count > 1 ? (col.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(col.count - 1)).squareRoot() : nil
            }
        }
        if options.permutations > 0 {
            let p = permutationTest(ev, permutations: options.permutations, seed: options.seed, threads: options.threads)
            for m in 0..<nM { results[m].p = p[m] }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return RSAResult(method: options.method, models: results, subjectNames: subjects.names, conditions: subjects.conditions,
                         noiseCeilingLower: point.noiseCeilingLower, noiseCeilingUpper: point.noiseCeilingUpper,
                         bootstrap: options.bootstrap, permutations: options.permutations, seed: options.seed,
                         confidence: options.confidence, validResamples: valid,
                         bootstrapValues: boot.values, bootstrapNoiseCeiling: boot.ceiling, seconds: seconds)
    }

    /// The condition multiplicities of bootstrap resample r: K draws with replacement from K.
    public static func resampleCounts(conditions k: Int, seed: UInt64, resample r: Int) -> [Int] {
        var rng = SeededRandom.derived(seed: seed, stream: UInt64(r))
        var c = [Int](repeating: 0, count: k)
        for _ in 0..<k { c[rng.int(below: k)] += 1 }
        return c
    }

    /// Bootstrap over conditions (rsatoolbox eval_bootstrap_pattern): for each resample the model
    /// values (mean over subjects) and the noise ceiling. Returns values [N, M] and ceiling [N, 2];
    /// rows of resamples with fewer than 3 distinct conditions are NaN.
    public static func bootstrap(_ ev: RSAEvaluator, resamples n: Int, seed: UInt64, threads: Int,
                                 noiseCeiling: Bool = true) -> (values: [Double], ceiling: [Double]) {
        let nM = ev.nM
        var values = [Double](repeating: .nan, count: n * nM)
        var ceiling = [Double](repeating: .nan, count: n * 2)
        let workers = max(1, min(threads, n))
        values.withUnsafeMutableBufferPointer { vB in ceiling.withUnsafeMutableBufferPointer { cB in
            let vp = vB.baseAddress!, cp = cB.baseAddress!
            let doCeiling = noiseCeiling && ev.nS >= 2
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let ws = ev.makeWorkspace()
                var r = worker
                while r < n {
                    let counts = resampleCounts(conditions: ev.k, seed: seed, resample: r)
                    ev.run(counts: counts, ws, values: vp + r * nM, ceiling: doCeiling ? cp + r * 2 : nil)
                    r += workers
                }
            }
        } }
        return (values, ceiling)
    }

    /// Permutation test over condition labels: the model RDMs' conditions are relabelled by a
    /// uniformly random permutation (rows and columns together) and the value recomputed; the
    /// p-value of model m is (1 + #{permuted value ≥ observed}) / (1 + N), one-sided.
    public static func permutationTest(_ ev: RSAEvaluator, permutations n: Int, seed: UInt64, threads: Int) -> [Double] {
        let perm = RSAPermutation(ev)
        let nM = ev.nM
        var exceed = [Int](repeating: 0, count: nM)
        let workers = max(1, min(threads, n))
        var counts = [[Int]](repeating: [Int](repeating: 0, count: nM), count: workers)
        counts.withUnsafeMutableBufferPointer { cB in
            let cp = cB.baseAddress!
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var local = [Int](repeating: 0, count: nM)
                var scratch = perm.makeScratch()
                var r = worker
                while r < n {
                    var rng = SeededRandom.derived(seed: seed, stream: (1 << 32) + UInt64(r))
                    let pi = rng.permutation(ev.k)
                    for m in 0..<nM {
                        let v = perm.value(model: m, permutation: pi, &scratch)
                        if v >= perm.observed[m] - 1e-12 * max(1, abs(perm.observed[m])) { local[m] += 1 }
                    }
                    r += workers
                }
                cp[worker] = local
            }
        }
        for w in counts { for m in 0..<nM { exceed[m] += w[m] } }
        return exceed.map { Double(1 + $0) / Double(1 + n) }
    }

    /// Quantile of sorted values with linear interpolation (numpy's default, "type 7").
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        precondition(!sorted.isEmpty)
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}
