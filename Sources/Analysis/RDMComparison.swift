// RDM comparison methods, pooling and the noise ceiling: the reference implementation.
//
// A direct port of rsatoolbox (rdm/compare.py, util/inference_util.py pool_rdm,
// inference/noise_ceiling.py boot_noise_ceiling) on condensed vectors that may hold NaN where a
// bootstrap sample put two copies of one condition against each other (those positions are dropped,
// as rsatoolbox's _parse_input_rdms drops them). Simple and slow (Kendall τ-a is O(P²)); the fast
// weighted kernels in RSAEvaluator are tested against it and both against rsatoolbox.
//
// Definitions, for RDM vectors a, b of length n (dropped positions removed):
//   cosine            a·b / (‖a‖ ‖b‖)                       (0 when either norm is 0, as rsatoolbox)
//   pearson           cosine of the mean-centred vectors
//   spearman          pearson of the average ranks (ties share their mean rank)
//   rho-a             12 Σ (ra − (n+1)/2)(rb − (n+1)/2) / (n³ − n), ranks as above
//   kendall-tau-a     (concordant − discordant pairs) / (n(n−1)/2), ties count as neither
//   whitened-cosine   cosine after the RDM-covariance whitening under σ_k = I: the RDM as the
//                     second-moment matrix G = −½ D double-centred (with missing pairs: the weighted
//                     least-squares centring of rsatoolbox's _cov_weighting), off-diagonal entries
//                     weighted √2, the diagonal appended (linear CKA for complete RDMs)
//   whitened-pearson  whitened-cosine of the mean-centred vectors
import Foundation
import Tensors
import Numerics

/// How two RDMs are compared. Raw values are the command-line names.
public enum RDMComparisonMethod: String, CaseIterable, Sendable {
    case spearman
    case pearson
    case kendallTauA = "kendall-tau-a"
    case rhoA = "rho-a"
    case cosine
    case whitenedPearson = "whitened-pearson"
    case whitenedCosine = "whitened-cosine"

    /// rsatoolbox's name for the same method (rsatoolbox.rdm.compare(method=...)).
    public var rsatoolboxName: String {
        switch self {
        case .spearman: return "spearman"
        case .pearson: return "corr"
        case .kendallTauA: return "tau-a"
        case .rhoA: return "rho-a"
        case .cosine: return "cosine"
        case .whitenedPearson: return "corr_cov"
        case .whitenedCosine: return "cosine_cov"
        }
    }

    var isRankBased: Bool { self == .spearman || self == .rhoA || self == .kendallTauA }
    var isWhitened: Bool { self == .whitenedPearson || self == .whitenedCosine }
    /// Pooling for the noise ceiling: ranks, z-scores or RMS-normalised values.
    enum Pooling { case ranks, zScores, rms }
    var pooling: Pooling {
        switch self {
        case .spearman, .rhoA, .kendallTauA: return .ranks
        case .pearson, .whitenedPearson: return .zScores
        case .cosine, .whitenedCosine: return .rms
        }
    }
    /// Whether a constant RDM makes the comparison undefined (everything but the cosines).
    var needsVariance: Bool { self != .cosine && self != .whitenedCosine }
}

public enum RDMComparison {
    /// Similarity of two condensed RDM vectors of equal length (K(K−1)/2), rsatoolbox's
    /// compare(rdm1, rdm2, method) for one pair. Positions where either is NaN are dropped.
    public static func compare(_ a: [Double], _ b: [Double], method: RDMComparisonMethod) -> Double {
        precondition(a.count == b.count, "compare: vectors of \(a.count) and \(b.count) values")
        let k = conditions(forPairs: a.count)
        var keep = [Bool](repeating: true, count: a.count)
        for q in 0..<a.count where a[q].isNaN || b[q].isNaN { keep[q] = false }
        let x = zip(a, keep).filter { $0.1 }.map { $0.0 }
        let y = zip(b, keep).filter { $0.1 }.map { $0.0 }
        switch method {
        case .cosine: return cosine(x, y)
        case .pearson: return cosine(centred(x), centred(y))
        case .spearman: return cosine(centred(Ranks.average(x)), centred(Ranks.average(y)))
        case .rhoA:
            let rx = centred(Ranks.average(x)), ry = centred(Ranks.average(y))
            let n = Double(x.count)
            return zip(rx, ry).reduce(0) { $0 + $1.0 * $1.1 } / (n * n * n - n) * 12
        case .kendallTauA: return tauA(x, y)
        case .whitenedCosine:
            return cosine(whitened(x, keep: keep, conditions: k), whitened(y, keep: keep, conditions: k))
        case .whitenedPearson:
            return cosine(whitened(centred(x), keep: keep, conditions: k), whitened(centred(y), keep: keep, conditions: k))
        }
    }

    /// rsatoolbox's pool_rdm: the RDM (with NaN where the inputs have NaN) that best represents
    /// several RDMs under `method`: the mean of ranks (rank methods), of z-scores shifted to a
    /// minimum of 0 (pearson), of RMS-normalised RDMs (cosine).
    public static func pool(_ rdms: [[Double]], method: RDMComparisonMethod) -> [Double] {
        precondition(!rdms.isEmpty)
        let n = rdms[0].count
        let valid = (0..<n).filter { !rdms[0][$0].isNaN }
        var sum = [Double](repeating: 0, count: n)
        for v in rdms {
            var t = [Double](repeating: .nan, count: n)
            let xs = valid.map { v[$0] }
            let m = Double(xs.count)
            switch method.pooling {
            case .ranks:
                let r = Ranks.average(xs)
                for (i, q) in valid.enumerated() { t[q] = r[i] }
            case .zScores:
                let mu = xs.reduce(0, +) / m
                let sd = (xs.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / m).squareRoot()
                for q in valid { t[q] = (v[q] - mu) / sd }
            case .rms:
                let rms = (xs.reduce(0) { $0 + $1 * $1 } / m).squareRoot()
                for q in valid { t[q] = v[q] / rms }
            }
            for q in valid { sum[q] += t[q] }
        }
        var out = [Double](repeating: .nan, count: n)
        for q in valid { out[q] = sum[q] / Double(rdms.count) }
        if method.pooling == .zScores, let mn = valid.map({ out[$0] }).min() {
            for q in valid { out[q] -= mn }
        }
        return out
    }

    /// rsatoolbox's boot_noise_ceiling: lower = mean over subjects of compare(pool(the others),
    /// subject), upper = mean over subjects of compare(pool(all), subject). Needs ≥ 2 subjects.
    public static func noiseCeiling(_ subjects: [[Double]], method: RDMComparisonMethod) -> (lower: Double, upper: Double) {
        precondition(subjects.count >= 2)
        let all = pool(subjects, method: method)
        var lo = 0.0, up = 0.0
        for t in 0..<subjects.count {
            var others = subjects; others.remove(at: t)
            lo += compare(pool(others, method: method), subjects[t], method: method)
            up += compare(all, subjects[t], method: method)
        }
        return (lo / Double(subjects.count), up / Double(subjects.count))
    }

    // MARK: pieces

    /// K from K(K−1)/2.
    public static func conditions(forPairs p: Int) -> Int {
        let k = Int((1 + (1 + 8 * Double(p)).squareRoot()) / 2 + 0.5)
        precondition(k * (k - 1) / 2 == p, "\(p) is not K(K−1)/2 for any K")
        return k
    }

    static func centred(_ x: [Double]) -> [Double] {
        let m = x.reduce(0, +) / Double(x.count)
        return x.map { $0 - m }
    }

    static func cosine(_ x: [Double], _ y: [Double]) -> Double {
        var xy = 0.0, xx = 0.0, yy = 0.0
        for i in 0..<x.count { xy += x[i] * y[i]; xx += x[i] * x[i]; yy += y[i] * y[i] }
        guard xx > 0 && yy > 0 else { return 0 }
        return xy / xx.squareRoot() / yy.squareRoot()
    }

    /// Kendall τ-a by counting all pairs, O(n²).
    static func tauA(_ x: [Double], _ y: [Double]) -> Double {
        let n = x.count
        var s = 0.0
        for i in 0..<n {
            for j in (i + 1)..<max(i + 1, n) {
                let dx = x[i] - x[j], dy = y[i] - y[j]
                if dx != 0 && dy != 0 { s += (dx > 0) == (dy > 0) ? 1 : -1 }
            }
        }
        let t = s / (Double(n) * Double(n - 1) / 2)
        return min(1, max(-1, t))
    }

    /// rsatoolbox's _cov_weighting for one vector: `x` holds the kept positions of an RDM over
    /// `k` conditions (`keep` marks them among all K(K−1)/2). Returns the kept off-diagonal entries
    /// (×√2) followed by the K diagonal entries of the centred second-moment matrix.
    static func whitened(_ x: [Double], keep: [Bool], conditions k: Int) -> [Double] {
        var pi: [Int] = [], pj: [Int] = []
        for i in 0..<k { for j in (i + 1)..<max(i + 1, k) { pi.append(i); pj.append(j) } }
        let kept = keep.indices.filter { keep[$0] }
        let w = x.map { -0.5 * $0 }
        var out = [Double](repeating: 0, count: x.count + k)
        if kept.count == keep.count {
            // complete RDM: double centring of G (zero diagonal): G − row means − column means + grand mean
            var rowSum = [Double](repeating: 0, count: k)
            for (t, q) in kept.enumerated() { rowSum[pi[q]] += w[t]; rowSum[pj[q]] += w[t] }
            let grand = rowSum.reduce(0, +) / Double(k * k)
            for (t, q) in kept.enumerated() {
                out[t] = (w[t] - rowSum[pi[q]] / Double(k) - rowSum[pj[q]] / Double(k) + grand) * 2.0.squareRoot()
            }
            for a in 0..<k { out[x.count + a] = -2 * rowSum[a] / Double(k) + grand }
        } else {
            // missing pairs: β = (Sᵀ D S)⁻¹ Sᵀ w with S the pair→condition indicator (diagonal rows
            // halved), D = ½ for pairs, 1 for the diagonal; entries minus D·S·β (rsatoolbox's formula)
            var a = [Double](repeating: 0, count: k * k)
            var rhs = [Double](repeating: 0, count: k)
            for i in 0..<k { a[i * k + i] = 1 }
            for (t, q) in kept.enumerated() {
                let i = pi[q], j = pj[q]
                a[i * k + i] += 0.5; a[j * k + j] += 0.5; a[i * k + j] += 0.5; a[j * k + i] += 0.5
                rhs[i] += w[t]; rhs[j] += w[t]
            }
            // a = I + a sum of positive semi-definite terms: positive definite, always solvable
            let beta = (try? LAPACK.choleskySolve(a, rhs, n: k)) ?? [Double](repeating: .nan, count: k)
            for (t, q) in kept.enumerated() {
                out[t] = (w[t] - 0.5 * (beta[pi[q]] + beta[pj[q]])) * 2.0.squareRoot()
            }
            for c in 0..<k { out[x.count + c] = -beta[c] }
        }
        return out
    }
}
