// Image identification (Kay, Naselaris, Prenger & Gallant 2008): for each measured response
// pattern, which of a set of candidate images the encoding model says was shown.
//
// Inputs: measured patterns Y [S, U] (repeat-averaged test responses), the model's predicted
// patterns M [S, U] for the same S images (row s of both is image s), per-target variances σ² [U].
// Notes. Scores of candidate c for measured pattern s:
//   correlation  r(Y_s, M_c), Pearson over targets
//   gaussian     log N(Y_s | M_c, diag σ²) = const_s + Σ_u Y_su M_cu / σ²_u − ½ Σ_u M_cu² / σ²_u
// The pattern is identified when the true image scores strictly highest; with k candidates tied at
// the top (the true one among them) it counts 1/k. With a set size N < S, each pattern's candidates
// are the true image and N − 1 others drawn without replacement (seeded), `draws` times; accuracy
// is the mean over patterns and draws. Chance is 1/N.
import Foundation
import Tensors

public struct IdentificationPoint: Codable, Equatable {
    public var setSize: Int
    public var chance: Double
    public var correlation: Double
    public var gaussian: Double
    enum CodingKeys: String, CodingKey { case chance, correlation, gaussian, setSize = "set_size" }
    public init(setSize: Int, chance: Double, correlation: Double, gaussian: Double) {
        self.setSize = setSize; self.chance = chance; self.correlation = correlation; self.gaussian = gaussian
    }
}

public enum ImageIdentification {
    /// [S, S] score matrices (row: measured pattern, column: candidate image).
    public static func scores(measured y: [Float], predicted m: [Float], images s: Int, targets u: Int, variance: [Double]) -> (correlation: [Double], gaussian: [Double]) {
        precondition(y.count == s * u && m.count == s * u && variance.count == u)
        let measured = ResponseMatrix(rows: s, columns: u, values: y), predicted = ResponseMatrix(rows: s, columns: u, values: m)
        // Each image's pattern over targets, centred and scaled to unit norm.
        func standardised(_ a: ResponseMatrix<Float>) -> [Double] {
            var out = ResponseMatrix<Double>(rows: s, columns: u)
            for i in 0..<s {
                var mean = 0.0
                for v in a.row(i) { mean += Double(v) }
                mean /= Double(u)
                var ss = 0.0
                for v in a.row(i) { let d = Double(v) - mean; ss += d * d }
                let sd = ss > 0 ? ss.squareRoot() : 1
                out.setRow(i, to: a.row(i).map { (Double($0) - mean) / sd })
            }
            return out.values
        }
        let yz = standardised(measured), mz = standardised(predicted)
        var corr = [Double](repeating: 0, count: s * s)
        yz.withUnsafeBufferPointer { pa in mz.withUnsafeBufferPointer { pb in corr.withUnsafeMutableBufferPointer { pc in
            BLAS.dgemm(transposeA: false, transposeB: true, m: s, n: s, k: u, alpha: 1, a: pa.baseAddress!, lda: u,
                       b: pb.baseAddress!, ldb: u, beta: 0, c: pc.baseAddress!, ldc: s)
        } } }
        var yw = ResponseMatrix<Double>(rows: s, columns: u), half = [Double](repeating: 0, count: s)
        let md = predicted.converted(to: Double.self).values
        for i in 0..<s { for j in 0..<u {
            yw[i, j] = Double(measured[i, j]) / variance[j]
            half[i] += 0.5 * Double(predicted[i, j]) * Double(predicted[i, j]) / variance[j]
        } }
        var gauss = [Double](repeating: 0, count: s * s)
        yw.values.withUnsafeBufferPointer { pa in md.withUnsafeBufferPointer { pb in gauss.withUnsafeMutableBufferPointer { pc in
            BLAS.dgemm(transposeA: false, transposeB: true, m: s, n: s, k: u, alpha: 1, a: pa.baseAddress!, lda: u,
                       b: pb.baseAddress!, ldb: u, beta: 0, c: pc.baseAddress!, ldc: s)
        } } }
        for i in 0..<s { for c in 0..<s { gauss[i * s + c] -= half[c] } }
        return (corr, gauss)
    }

    /// Accuracy among `setSize` candidates (Notes) from an [S, S] score matrix.
    public static func accuracy(scores: [Double], images s: Int, setSize n: Int, draws: Int, seed: UInt64) -> Double {
        precondition(n >= 2 && n <= s)
        var rng = SeededRandom(seed: seed)
        var total = 0.0
        let rounds = n == s ? 1 : draws
        for i in 0..<s {
            let others = (0..<s).filter { $0 != i }
            for _ in 0..<rounds {
                var pool = others
                // Partial Fisher–Yates: the first n − 1 of `pool` are the distractors.
                if n < s { for k in 0..<(n - 1) { let j = k + Int(rng.uniform() * Double(pool.count - k)); pool.swapAt(k, min(j, pool.count - 1)) } }
                let truth = scores[i * s + i]
                var better = 0, tied = 0
                for c in pool.prefix(n - 1) {
                    let v = scores[i * s + c]
                    if v > truth { better += 1 } else if v == truth { tied += 1 }
                }
                if better == 0 { total += 1 / Double(tied + 1) }
            }
        }
        return total / Double(s * rounds)
    }

    /// Set sizes of the curve: 2, 5, 10, 20, 50, 100, … below S, and S.
    public static func curveSizes(images s: Int) -> [Int] {
        var out: [Int] = [], base = 1
        while true {
            for k in [2, 5, 10] { let v = k * base; if v < s { out.append(v) } else { return out + [s] } }
            base *= 10
        }
    }
}
