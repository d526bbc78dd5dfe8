// Small statistics used across the scanner, in Double on Float or Double inputs:
//   mean, population variance Σ(v − v̄)²/n, covariance Σ(a − ā)(b − b̄)/n,
//   Pearson r = cov(a, b) / (σ_a σ_b)  (NaN when either is constant, as scipy.stats.pearsonr warns),
//   Spearman ρ on ranks with ties averaged (Numerics' Ranks.average, scipy "average"): ρ = Pearson r of ranks
//   (scipy.stats.spearmanr).
import Foundation
import Numerics

public enum ScanStatistics {
    public static func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }

    /// Population variance Σ(v − v̄)² / n.
    public static func variance(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return .nan }
        let m = mean(v)
        return v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)
    }

    /// Population covariance Σ(a − ā)(b − b̄) / n.
    public static func covariance(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "covariance of \(a.count) and \(b.count) values")
        guard !a.isEmpty else { return .nan }
        let ma = mean(a), mb = mean(b)
        var s = 0.0
        for i in 0..<a.count { s += (a[i] - ma) * (b[i] - mb) }
        return s / Double(a.count)
    }

    /// Pearson correlation; NaN when either vector is constant or the vectors are shorter than 2.
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "correlation of \(a.count) and \(b.count) values")
        guard a.count >= 2 else { return .nan }
        let ma = mean(a), mb = mean(b)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<a.count {
            let da = a[i] - ma, db = b[i] - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        guard saa > 0, sbb > 0 else { return .nan }
        return max(-1, min(1, sab / (saa * sbb).squareRoot()))
    }

    public static func pearson(_ a: [Float], _ b: [Float]) -> Double {
        pearson(a.map(Double.init), b.map(Double.init))
    }

    /// Spearman rank correlation (Pearson r of average ranks).
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        pearson(Ranks.average(a), Ranks.average(b))
    }
}
