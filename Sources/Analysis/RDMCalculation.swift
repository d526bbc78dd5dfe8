// RDMs from response patterns (rsatoolbox.rdm.calc definitions).
//
// Shape legend: K conditions (stimuli), C channels (units, voxels or a layer's activations
// flattened), R runs (repeats, cross-validation folds). Patterns are Float (what models and datasets
// produce); all sums are accumulated in Double (dgemm).
//
// Definitions (x_i the pattern of condition i, a row of [K, C]):
//   correlation   d_ij = 1 − r(x_i, x_j), r the Pearson correlation across channels
//   euclidean     d_ij = ‖x_i − x_j‖² / C                      (squared Euclidean per channel)
//   cosine        d_ij = 1 − x_i·x_j / (‖x_i‖ ‖x_j‖)
//   crossnobis    d_ij = mean over runs r of (x̄_i^{¬r} − x̄_j^{¬r})ᵀ Λ (x_i^r − x_j^r) / C,
//                 x̄^{¬r} the mean of the other runs, x^r run r, Λ the noise precision (identity by
//                 default). Unbiased: its expectation is the true squared Mahalanobis distance per
//                 channel, so it can be negative.
import Foundation
import Tensors

/// How dissimilarities between two response patterns are measured.
public enum DissimilarityMeasure: String, CaseIterable, Sendable {
    case correlation, euclidean, cosine, crossnobis
}

/// The noise precision Λ (inverse noise covariance over channels) used by crossnobis.
public enum NoisePrecision: Sendable {
    /// Λ = I: cross-validated squared Euclidean distance per channel.
    case identity
    /// A given [C, C] row-major precision matrix.
    case matrix([Double])
    /// Estimated from the repeats: the residuals of each run from its condition's mean, covariance
    /// shrunk towards its diagonal (Schäfer & Strimmer 2005), inverted — rsatoolbox's
    /// `prec_from_measurements(dataset, obs_desc=<conditions>, method='shrinkage_diag')`, including
    /// its degrees of freedom (K − 1)·R.
    case shrinkageDiagonal
}

extension RDM {
    /// The RDM of K patterns, `patterns` [K, C] row-major.
    /// - Throws: `RSAError.invalidPatterns` for fewer than 3 conditions, a count that is not K·C,
    ///   non-finite values, a pattern with no variance across channels (correlation) or of zero
    ///   length (cosine); `.invalidOption` for `.crossnobis`, which needs runs (use `crossnobis`).
    public static func compute(patterns: [Float], conditions k: Int, channels c: Int,
                               measure: DissimilarityMeasure, source: String = "patterns") throws -> RDM {
        try checkPatterns(patterns, count: k * c, conditions: k, channels: c, source: source)
        return try compute(double: patterns.map { Double($0) }, conditions: k, channels: c, measure: measure, source: source)
    }

    /// The RDM of repeated measurements `patterns` [K, C, R] (run index fastest): correlation,
    /// euclidean and cosine are computed on the mean over runs (accumulated in Double, as rsatoolbox
    /// averages a dataset by condition); crossnobis cross-validates over the runs.
    public static func compute(repeatedPatterns patterns: [Float], conditions k: Int, channels c: Int, runs r: Int,
                               measure: DissimilarityMeasure, noise: NoisePrecision = .identity,
                               source: String = "patterns") throws -> RDM {
        if measure == .crossnobis {
            return try crossnobis(patterns: patterns, conditions: k, channels: c, runs: r, noise: noise, source: source)
        }
        guard r >= 1 else { throw RSAError.invalidPatterns(source: source, reason: "no runs") }
        try checkPatterns(patterns, count: k * c * r, conditions: k, channels: c, source: source)
        var mean = [Double](repeating: 0, count: k * c)
        for e in 0..<(k * c) {
            var sum = 0.0
            for q in 0..<r { sum += Double(patterns[e * r + q]) }
            mean[e] = sum / Double(r)
        }
        return try compute(double: mean, conditions: k, channels: c, measure: measure, source: source)
    }

    static func compute(double x: [Double], conditions k: Int, channels c: Int, measure: DissimilarityMeasure, source: String) throws -> RDM {
        var x = x                                                             // [K, C]
        switch measure {
        case .correlation:
            // rsatoolbox: remove each pattern's mean, scale to unit length, d = 1 − inner product.
            for i in 0..<k {
                var m = 0.0
                for j in 0..<c { m += x[i * c + j] }
                m /= Double(c)
                var ss = 0.0
                for j in 0..<c { x[i * c + j] -= m; ss += x[i * c + j] * x[i * c + j] }
                guard ss > 0 else { throw RSAError.invalidPatterns(source: source, reason: "pattern of condition \(i) is constant across channels; its correlation distance is undefined") }
                let s = 1 / ss.squareRoot()
                for j in 0..<c { x[i * c + j] *= s }
            }
            let g = gram(x, k, c)
            return RDM(conditions: k, dissimilarities: condensed(k) { i, j in 1 - g[i * k + j] }, measure: "correlation")
        case .cosine:
            let g = gram(x, k, c)
            for i in 0..<k where !(g[i * k + i] > 0) {
                throw RSAError.invalidPatterns(source: source, reason: "pattern of condition \(i) is all zeros; its cosine distance is undefined")
            }
            return RDM(conditions: k, dissimilarities: condensed(k) { i, j in
                1 - g[i * k + j] / (g[i * k + i].squareRoot() * g[j * k + j].squareRoot())
            }, measure: "cosine")
        case .euclidean:
            // rsatoolbox: (‖x_i‖² + ‖x_j‖² − 2 x_i·x_j) / C.
            let g = gram(x, k, c)
            let inv = 1 / Double(c)
            return RDM(conditions: k, dissimilarities: condensed(k) { i, j in
                (g[i * k + i] + g[j * k + j] - 2 * g[i * k + j]) * inv
            }, measure: "squared euclidean")
        case .crossnobis:
            throw RSAError.invalidOption(option: .measure, reason: "crossnobis needs repeated measurements [K, C, runs]")
        }
    }

    /// The RDM of a dataset's trials: `responses` [T, C] (one row per trial), `stimulusIndex` [T]
    /// (which of the K conditions each trial showed). Correlation, euclidean and cosine use the
    /// mean response to each condition (every condition needs a trial). Crossnobis uses repeats as
    /// folds — fold r holds the r-th trial of every condition, in trial order — and so needs the
    /// same number R ≥ 2 of trials for every condition; `repeats` caps R (the first R trials of each
    /// condition are used), which makes unequal repeat counts usable.
    public static func fromTrials(responses: [Float], stimulusIndex: [Int], conditions k: Int, channels c: Int,
                                  measure: DissimilarityMeasure, noise: NoisePrecision = .identity, repeats: Int? = nil,
                                  source: String = "responses") throws -> RDM {
        let t = stimulusIndex.count
        guard responses.count == t * c else {
            throw RSAError.invalidPatterns(source: source, reason: "\(responses.count) responses for \(t) trials × \(c) channels")
        }
        var trials = [[Int]](repeating: [], count: k)
        for (row, s) in stimulusIndex.enumerated() {
            guard s >= 0 && s < k else { throw RSAError.invalidPatterns(source: source, reason: "trial \(row) shows condition \(s), outside 0..<\(k)") }
            trials[s].append(row)
        }
        if let missing = trials.firstIndex(where: { $0.isEmpty }) {
            throw RSAError.invalidPatterns(source: source, reason: "condition \(missing) has no trials")
        }
        if measure != .crossnobis {
            let counts = trials.map { $0.count }
            try checkPatterns(responses, count: t * c, conditions: k, channels: c, source: source)
            var mean = [Double](repeating: 0, count: k * c)
            for i in 0..<k {
                for row in trials[i] { for j in 0..<c { mean[i * c + j] += Double(responses[row * c + j]) } }
                for j in 0..<c { mean[i * c + j] /= Double(counts[i]) }
            }
            return try compute(double: mean, conditions: k, channels: c, measure: measure, source: source)
        }
        let lo = trials.map { $0.count }.min()!, hi = trials.map { $0.count }.max()!
        let r: Int
        if let cap = repeats {
            guard cap >= 2 else { throw RSAError.invalidOption(option: .repeats, reason: "crossnobis needs at least 2 repeats; got \(cap)") }
            guard lo >= cap else { throw RSAError.invalidPatterns(source: source, reason: "crossnobis with \(cap) repeats: a condition has only \(lo) trial\(lo == 1 ? "" : "s")") }
            r = cap
        } else {
            guard lo == hi else {
                throw RSAError.unequalRepeats(source: source, lowest: lo, highest: hi)
            }
            r = lo
        }
        var x = [Float](repeating: 0, count: k * c * r)                     // [K, C, R]
        for i in 0..<k {
            for q in 0..<r {
                let row = trials[i][q]
                for j in 0..<c { x[(i * c + j) * r + q] = responses[row * c + j] }
            }
        }
        return try crossnobis(patterns: x, conditions: k, channels: c, runs: r, noise: noise, source: source)
    }

    /// Crossnobis RDM from repeated measurements, `patterns` [K, C, R] row-major (run index fastest):
    /// leave-one-run-out cross-validation, each fold's kernel (train means) Λ (test run)ᵀ, the RDM
    /// of each fold d_ij = k_ii + k_jj − k_ij − k_ji divided by C, averaged over folds
    /// (rsatoolbox `calc_rdm(..., method='crossnobis', cv_descriptor=<runs>, noise=Λ)`).
    /// - Throws: `RSAError.invalidPatterns` for fewer than 3 conditions or 2 runs, a wrong count,
    ///   non-finite values, a precision matrix of the wrong size, a covariance that cannot be inverted.
    public static func crossnobis(patterns: [Float], conditions k: Int, channels c: Int, runs r: Int,
                                  noise: NoisePrecision = .identity, source: String = "patterns") throws -> RDM {
        try checkPatterns(patterns, count: k * c * r, conditions: k, channels: c, source: source)
        guard r >= 2 else { throw RSAError.invalidPatterns(source: source, reason: "crossnobis needs at least 2 runs per condition; found \(r)") }
        let x = patterns.map { Double($0) }                                   // [K, C, R]
        var precision: [Double]? = nil                                        // [C, C]
        switch noise {
        case .identity: break
        case .matrix(let m):
            guard m.count == c * c else { throw RSAError.invalidPatterns(source: source, reason: "noise precision has \(m.count) values; [\(c), \(c)] expected") }
            guard m.allSatisfy({ $0.isFinite }) else { throw RSAError.invalidPatterns(source: source, reason: "noise precision has non-finite values") }
            precision = m
        case .shrinkageDiagonal:
            precision = try noisePrecisionShrinkageDiagonal(patterns: x, conditions: k, channels: c, runs: r, source: source)
        }
        var total = [Double](repeating: 0, count: pairCount(k))
        var train = [Double](repeating: 0, count: k * c)                     // [K, C]
        var test = [Double](repeating: 0, count: k * c)                      // [K, C]
        var kernel = [Double](repeating: 0, count: k * k)                    // [K, K]
        var weighted = [Double](repeating: 0, count: k * c)                  // [K, C] test · Λᵀ
        let invOthers = 1 / Double(r - 1)
        for fold in 0..<r {
            for i in 0..<k {
                for j in 0..<c {
                    var s = 0.0
                    for q in 0..<r where q != fold { s += x[(i * c + j) * r + q] }
                    train[i * c + j] = s * invOthers
                    test[i * c + j] = x[(i * c + j) * r + fold]
                }
            }
            if let lam = precision {
                test.withUnsafeBufferPointer { t in lam.withUnsafeBufferPointer { l in weighted.withUnsafeMutableBufferPointer { w in
                    // test · Λᵀ, so that train · (test Λᵀ)ᵀ = train Λ testᵀ
                    BLAS.dgemm(transposeA: false, transposeB: true, m: k, n: c, k: c, alpha: 1, a: t.baseAddress!, lda: c,
                               b: l.baseAddress!, ldb: c, beta: 0, c: w.baseAddress!, ldc: c)
                } } }
            } else {
                weighted = test
            }
            // kernel = train · (test Λ)ᵀ, [K, K]
            train.withUnsafeBufferPointer { a in weighted.withUnsafeBufferPointer { b in kernel.withUnsafeMutableBufferPointer { g in
                BLAS.dgemm(transposeA: false, transposeB: true, m: k, n: k, k: c, alpha: 1, a: a.baseAddress!, lda: c,
                           b: b.baseAddress!, ldb: c, beta: 0, c: g.baseAddress!, ldc: k)
            } } }
            var q = 0
            for i in 0..<k {
                for j in (i + 1)..<max(i + 1, k) {
                    total[q] += (kernel[i * k + i] + kernel[j * k + j] - kernel[i * k + j] - kernel[j * k + i]) / Double(c)
                    q += 1
                }
            }
        }
        let inv = 1 / Double(r)
        return RDM(conditions: k, dissimilarities: total.map { $0 * inv }, measure: "crossnobis")
    }

    /// rsatoolbox's shrinkage-to-diagonal noise precision from repeats, x [K, C, R] (see
    /// `NoisePrecision.shrinkageDiagonal`). Returns [C, C].
    ///
    /// Notes: residuals e = x − mean over runs (K·R rows of C); s = Σ e eᵀ / dof with
    /// dof = (K − 1)·R (rsatoolbox's value for this layout); the correlation-scale shrinkage
    /// λ = Σ_{j≠l} Var̂(r_jl) / Σ_{j≠l} r_jl², clipped to [0, 1], scales the off-diagonal of s by 1 − λ.
    public static func noisePrecisionShrinkageDiagonal(patterns x: [Double], conditions k: Int, channels c: Int,
                                                       runs r: Int, source: String = "patterns") throws -> [Double] {
        let n = k * r                                                         // residual rows
        var e = [Double](repeating: 0, count: n * c)                         // [K·R, C]
        for i in 0..<k {
            for j in 0..<c {
                var m = 0.0
                for q in 0..<r { m += x[(i * c + j) * r + q] }
                m /= Double(r)
                for q in 0..<r { e[(i * r + q) * c + j] = x[(i * c + j) * r + q] - m }
            }
        }
        let dof = Double((k - 1) * r)
        var sSum = [Double](repeating: 0, count: c * c), s2Sum = [Double](repeating: 0, count: c * c)
        for row in 0..<n {
            for a in 0..<c {
                let ea = e[row * c + a]
                for b in 0..<c {
                    let p = ea * e[row * c + b]
                    sSum[a * c + b] += p; s2Sum[a * c + b] += p * p
                }
            }
        }
        var std = [Double](repeating: 0, count: c)
        for a in 0..<c {
            std[a] = (sSum[a * c + a] / dof).squareRoot()
            guard std[a] > 0 else { throw RSAError.invalidPatterns(source: source, reason: "channel \(a) has no variance across repeats; the noise precision cannot be estimated") }
        }
        var num = 0.0, den = 0.0
        for a in 0..<c {
            for b in 0..<c where a != b {
                let sMean = sSum[a * c + b] / (std[a] * std[b]) / Double(n - 1)
                let s2Mean = s2Sum[a * c + b] / (std[a] * std[a]) / (std[b] * std[b]) / Double(n - 1)
                num += Double(n) / (dof * dof) * (s2Mean - sMean * sMean)
                den += sMean * sMean
            }
        }
        let lambda = c > 1 && den > 0 ? max(min(num / den, 1), 0) : 0
        var cov = [Double](repeating: 0, count: c * c)
        for a in 0..<c { for b in 0..<c { cov[a * c + b] = sSum[a * c + b] / dof * (a == b ? 1 : 1 - lambda) } }
        do { return try LAPACK.choleskyInverse(cov, n: c) } catch {
            throw RSAError.invalidPatterns(source: source, reason: "the shrunk noise covariance cannot be inverted (\(error))")
        }
    }

    // MARK: helpers

    private static func checkPatterns(_ p: [Float], count: Int, conditions k: Int, channels c: Int, source: String) throws {
        guard k >= 3 else { throw RSAError.invalidPatterns(source: source, reason: "\(k) condition\(k == 1 ? "" : "s"); at least 3 are needed for an RDM") }
        guard c >= 1 else { throw RSAError.invalidPatterns(source: source, reason: "patterns have no channels") }
        guard p.count == count else { throw RSAError.invalidPatterns(source: source, reason: "\(p.count) values where \(count) were expected") }
        if let bad = p.firstIndex(where: { !$0.isFinite }) {
            throw RSAError.invalidPatterns(source: source, reason: "non-finite value at flat index \(bad)")
        }
    }

    /// G = X Xᵀ for X [K, C], Double, [K, K].
    private static func gram(_ x: [Double], _ k: Int, _ c: Int) -> [Double] {
        var g = [Double](repeating: 0, count: k * k)
        x.withUnsafeBufferPointer { a in g.withUnsafeMutableBufferPointer { o in
            BLAS.dgemm(transposeA: false, transposeB: true, m: k, n: k, k: c, alpha: 1, a: a.baseAddress!, lda: c,
                       b: a.baseAddress!, ldb: c, beta: 0, c: o.baseAddress!, ldc: k)
        } }
        return g
    }

    private static func condensed(_ k: Int, _ f: (Int, Int) -> Double) -> [Double] {
        var v = [Double](); v.reserveCapacity(pairCount(k))
        for i in 0..<k { for j in (i + 1)..<max(i + 1, k) { v.append(f(i, j)) } }
        return v
    }
}
