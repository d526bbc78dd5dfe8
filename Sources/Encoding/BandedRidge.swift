// Banded ridge: two or more feature spaces, one regularisation per space and target
// (Nunez-Elizalde, Huth & Gallant 2019; himalaya's GroupRidgeCV / "BandedRidgeCV" with the random
// search solver).
//
// Notes. With spaces X_1 … X_S (columns of X, standardised), a weight vector γ on the simplex
// (γ_i ≥ 0, Σ γ_i = 1) and a penalty α, target t solves
//     min ‖y_t − Σ_i √γ_i X_i b_i‖² + α ‖b‖²,   i.e. per-space penalties α/γ_i on w_i = √γ_i b_i.
// The search: for each γ of a list (the first 1/S each, then Dirichlet draws cycling through the
// concentrations 0.1 and 1, seeded), RidgeRegression.crossValidate on the scaled design picks the
// best α per target with its CV score (mean over folds of −MSE, + 1e-10 log α); a target keeps the
// (γ, α) and refitted weights of the first γ whose score beats its best so far by more than 2.2e-16
// (himalaya's rule). Weights are stored for the unscaled standardised features: w_i = √γ_i b_i.
// Each space's share of a target's explained variance (himalaya's r2_score_split with
// correlations): R²_i = Σ_s (2 ŷ_is y_s − ŷ_is ŷ_s) / Σ_s y_s², y centred, ŷ_i = X_i w_i, ŷ = Σ_i ŷ_i;
// the shares add up to the joint R² against the centred y.
import Foundation
import Tensors

public struct BandedRidgeResult {
    /// [S, u] the chosen space weight γ of each space and target.
    public var spaceWeights: [Double]
    public var bestAlphas: [Double]
    /// [u] −(best CV score), the cross-validated mean squared error at the chosen (γ, α).
    public var cvMeanSquaredError: [Double]
    /// [p, u] weights on the standardised (unscaled) features.
    public var weights: [Float]
    public var form: RidgeForm
}

public enum BandedRidge {
    /// himalaya's `generate_dirichlet_samples` in distribution (not in numbers: our generator is
    /// SeededRandom): `count` points of the simplex, the first the centre.
    public static func simplexSamples(count: Int, spaces: Int, concentrations: [Double] = [0.1, 1], seed: UInt64) -> [[Double]] {
        var rng = SeededRandom(seed: seed)
        var out: [[Double]] = [[Double](repeating: 1 / Double(spaces), count: spaces)]
        var k = 0
        while out.count < count {
            let c = concentrations[k % concentrations.count]; k += 1
            var g = (0..<spaces).map { _ in rng.gamma(shape: c, scale: 1) }
            let s = g.reduce(0, +)
            if s > 0 { g = g.map { $0 / s }; out.append(g) }
        }
        return out
    }

    /// - Parameters:
    ///   - x: [n, p] standardised features, the spaces' columns consecutive (`spaceSizes`).
    ///   - y: [n, u] centred targets.
    ///   - gammas: the points of the simplex to try, each `spaceSizes.count` long.
    public static func crossValidate(x: [Double], rows n: Int, spaceSizes: [Int], y: [Float], targetCount u: Int,
                                     foldOfRow: [Int], alphas: [Double], gammas: [[Double]], targetBatch: Int = 4096,
                                     progress: ((String, Int, Int) -> Void)? = nil) throws -> BandedRidgeResult {
        let p = spaceSizes.reduce(0, +), sCount = spaceSizes.count
        guard x.count == n * p else { throw RidgeError.shape("banded ridge: X has \(x.count) values for \(n) × \(p)") }
        guard sCount >= 2 else { throw RidgeError.shape("banded ridge needs at least two feature spaces") }
        guard !gammas.isEmpty, gammas.allSatisfy({ $0.count == sCount && $0.allSatisfy { $0 >= 0 } && $0.reduce(0, +) > 0 }) else {
            throw RidgeError.shape("banded ridge: every space weighting must have \(sCount) non-negative values")
        }
        var space = [Int](), start = 0
        for (i, c) in spaceSizes.enumerated() { space += [Int](repeating: i, count: c); start += c }
        var best = [Double](repeating: -.infinity, count: u), alpha = [Double](repeating: 0, count: u), mse = best
        var gammaOf = [Double](repeating: 0, count: sCount * u)
        var weights = [Float](repeating: 0, count: p * u)
        var form = RidgeForm.primal
        for (gi, g) in gammas.enumerated() {
            let root = g.map { $0.squareRoot() }
            var xg = x
            for i in 0..<n { for j in 0..<p { xg[i * p + j] *= root[space[j]] } }
            let r = try RidgeRegression.crossValidate(x: xg, rows: n, featureCount: p, y: y, targetCount: u, foldOfRow: foldOfRow,
                                                      alphas: alphas, targetBatch: targetBatch)
            form = r.form
            for t in 0..<u {
                let score = -r.cvMeanSquaredError[t] + 1e-10 * log(r.bestAlphas[t])
                guard score > best[t] + Double.ulpOfOne else { continue }
                best[t] = score; alpha[t] = r.bestAlphas[t]; mse[t] = r.cvMeanSquaredError[t]
                for i in 0..<sCount { gammaOf[i * u + t] = g[i] }
                for j in 0..<p { weights[j * u + t] = r.weights[j * u + t] * Float(root[space[j]]) }
            }
            progress?("banded search", gi + 1, gammas.count)
        }
        return BandedRidgeResult(spaceWeights: gammaOf, bestAlphas: alpha, cvMeanSquaredError: mse, weights: weights, form: form)
    }

    /// [S, u] each space's share of the explained variance (Notes) of centred targets `y` [q, u]
    /// by the standardised features `z` [q, p] and weights [p, u].
    public static func varianceSplit(z: [Float], rows q: Int, spaceSizes: [Int], weights: [Float], y: [Double], targetCount u: Int) -> [Double] {
        let p = spaceSizes.reduce(0, +), sCount = spaceSizes.count
        var parts = [[Float]](), c0 = 0
        for c in spaceSizes {
            var pred = [Float](repeating: 0, count: q * u)
            z.withUnsafeBufferPointer { pz in weights.withUnsafeBufferPointer { pw in pred.withUnsafeMutableBufferPointer { pp in
                BLAS.sgemm(transposeA: false, transposeB: false, m: q, n: u, k: c, alpha: 1, a: pz.baseAddress! + c0, lda: p,
                           b: pw.baseAddress! + c0 * u, ldb: u, beta: 0, c: pp.baseAddress!, ldc: u)
            } } }
            parts.append(pred); c0 += c
        }
        var out = [Double](repeating: 0, count: sCount * u)
        for t in 0..<u {
            var sst = 0.0
            for s in 0..<q { sst += y[s * u + t] * y[s * u + t] }
            for i in 0..<sCount {
                var acc = 0.0
                for s in 0..<q {
                    var total = 0.0
                    for k in 0..<sCount { total += Double(parts[k][s * u + t]) }
                    let yi = Double(parts[i][s * u + t])
                    acc += 2 * yi * y[s * u + t] - yi * total
                }
                out[i * u + t] = sst > 0 ? acc / sst : .nan
            }
        }
        return out
    }
}
