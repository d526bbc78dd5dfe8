// Principal component analysis of a data matrix X [n, d] (rows are samples), in Double:
//   X_c = X − x̄,   X_c = U Σ Vᵀ,   components = first k rows of Vᵀ,
//   explained variance λ_i = σ_i² / (n − 1),   scores = X_c · componentsᵀ   [n, k].
// Computed from the smaller of the two Gram matrices: X_c X_cᵀ (n × n) when n ≤ d — the usual
// case for learning images (a batch of tens of images of thousands of pixels) — else X_cᵀ X_c
// (d × d); both by LAPACK dsyevd.
// Sign convention (sklearn's svd_flip on Vᵀ): each component's entry of largest |value| is positive.
import Foundation
import Tensors

public struct PrincipalComponents: Sendable {
    /// Column means x̄ [d].
    public let mean: [Double]
    /// Principal axes, row-major [k, d], unit length.
    public let components: [Double]
    /// Variance along each axis, σ_i² / (n − 1) [k], descending.
    public let explainedVariance: [Double]
    /// Projections of the fitted samples X_c · componentsᵀ, row-major [n, k].
    public let scores: [Double]
    public let sampleCount: Int
    public let dimension: Int
    public let componentCount: Int

    /// Fits `k` components to `data` (row-major [n, d]). Needs n ≥ 2 and k ≤ min(n, d).
    public init(data: [Double], rows n: Int, columns d: Int, components k: Int) throws {
        precondition(data.count == n * d, "PCA: \(data.count) values for a \(n)×\(d) matrix")
        guard n >= 2 else { throw NumericsError.numerical(what: "PCA", reason: "needs at least 2 samples, got \(n)") }
        guard k >= 1, k <= min(n, d) else {
            throw NumericsError.numerical(what: "PCA", reason: "cannot take \(k) components of \(n) samples in \(d) dimensions")
        }
        var mu = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mu[j] += data[i * d + j] } }
        for j in 0..<d { mu[j] /= Double(n) }
        var xc = data
        for i in 0..<n { for j in 0..<d { xc[i * d + j] -= mu[j] } }

        var axes = [Double](repeating: 0, count: k * d)
        var variances = [Double](repeating: 0, count: k)
        if n <= d {
            // Gram G = X_c X_cᵀ [n, n]; G u = σ² u; v = X_cᵀ u / σ.
            var g = [Double](repeating: 0, count: n * n)
            xc.withUnsafeBufferPointer { px in g.withUnsafeMutableBufferPointer { pg in
                BLAS.dgemm(transposeA: false, transposeB: true, m: n, n: n, k: d, alpha: 1, a: px.baseAddress!, lda: d,
                           b: px.baseAddress!, ldb: d, beta: 0, c: pg.baseAddress!, ldc: n)
            } }
            let (values, vectors) = try LAPACK.symmetricEigen(g, n: n)
            var uScaled = [Double](repeating: 0, count: k * n)   // row c: u_c / σ_c
            for c in 0..<k {
                let col = n - 1 - c                         // eigenvalues ascend
                let s2 = max(values[col], 0)
                variances[c] = s2 / Double(n - 1)
                let s = s2.squareRoot()
                guard s > 0 else { continue }                // a zero-variance axis stays 0
                for i in 0..<n { uScaled[c * n + i] = vectors[i * n + col] / s }
            }
            // axes [k, d] = (U/σ)ᵀ X_c.
            uScaled.withUnsafeBufferPointer { pu in xc.withUnsafeBufferPointer { px in axes.withUnsafeMutableBufferPointer { pa in
                BLAS.dgemm(transposeA: false, transposeB: false, m: k, n: d, k: n, alpha: 1, a: pu.baseAddress!, lda: n,
                           b: px.baseAddress!, ldb: d, beta: 0, c: pa.baseAddress!, ldc: d)
            } } }
        } else {
            var cov = [Double](repeating: 0, count: d * d)
            xc.withUnsafeBufferPointer { px in cov.withUnsafeMutableBufferPointer { pc in
                BLAS.dgemm(transposeA: true, transposeB: false, m: d, n: d, k: n, alpha: 1, a: px.baseAddress!, lda: d,
                           b: px.baseAddress!, ldb: d, beta: 0, c: pc.baseAddress!, ldc: d)
            } }
            let (values, vectors) = try LAPACK.symmetricEigen(cov, n: d)
            for c in 0..<k {
                let col = d - 1 - c
                variances[c] = max(values[col], 0) / Double(n - 1)
                for j in 0..<d { axes[c * d + j] = vectors[j * d + col] }
            }
        }
        // Sign: the largest-|value| entry of each axis is positive.
        for c in 0..<k {
            var best = 0.0
            for j in 0..<d where abs(axes[c * d + j]) > abs(best) { best = axes[c * d + j] }
            if best < 0 { for j in 0..<d { axes[c * d + j] = -axes[c * d + j] } }
        }
        let sc = Self.project(xc, rows: n, onto: axes, dimension: d, components: k)
        mean = mu; components = axes; explainedVariance = variances; scores = sc
        sampleCount = n; dimension = d; componentCount = k
    }

    /// Projections of new samples (row-major [m, d]) onto the axes: [m, k].
    public func transform(_ x: [Double], rows m: Int) -> [Double] {
        let d = dimension, k = componentCount
        precondition(x.count == m * d, "PCA transform: \(x.count) values for \(m)×\(d)")
        var centred = x
        for i in 0..<m { for j in 0..<d { centred[i * d + j] -= mean[j] } }
        return Self.project(centred, rows: m, onto: components, dimension: d, components: k)
    }

    /// Centred samples [m, d] times the axesᵀ [d, k] (dgemm): [m, k].
    private static func project(_ centred: [Double], rows m: Int, onto axes: [Double], dimension d: Int, components k: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m * k)
        guard m > 0 else { return out }
        centred.withUnsafeBufferPointer { px in axes.withUnsafeBufferPointer { pa in out.withUnsafeMutableBufferPointer { po in
            BLAS.dgemm(transposeA: false, transposeB: true, m: m, n: k, k: d, alpha: 1, a: px.baseAddress!, lda: d,
                       b: pa.baseAddress!, ldb: d, beta: 0, c: po.baseAddress!, ldc: k)
        } } }
        return out
    }
}
