// Ridge regression with one penalty per target, chosen by K-fold cross-validation
// (the voxel-wise encoding models of fMRI; gallantlab/himalaya's RidgeCV does the same).
//
// Shapes: n rows (training stimuli), p features, u targets (voxels), k folds, r = rank of the
// decomposition (p in the primal form, n_f = rows of a fold's training part in the dual form),
// m = rows of a fold's validation part, B = targets in one batch.
//
// Notes. For each target t and penalty α,
//     ŵ_t(α) = argmin ‖y_t − X w‖² + α ‖w‖² = (XᵀX + α I)⁻¹ Xᵀ y_t.
// With one eigendecomposition per fold — XᵀX = V Λ Vᵀ (primal, when p ≤ n_f) or of the kernel
// XXᵀ = U Λ Uᵀ (dual, when n_f < p) — the validation predictions for every α and every target are
//     primal: P_α = (X_v V) · diag(1/(λ+α)) · (Vᵀ X_fᵀ Y_f)
//     dual:   P_α = (X_v X_fᵀ U) · diag(1/(λ+α)) · (Uᵀ Y_f)
// so the direct loop costs a fold one decomposition, two products per target batch and one
// product (m × r × B) per α. The resolvent path (`RidgeCVPath`) drops the per-α products: with
// A the validation map (m × r), z_t = column t of Z = basisᵀ·(training targets), c = Aᵀ Y_v,
// G = AᵀA and R_α = diag(1/(λ_i+α)),
//     m·MSE_α(t) = ‖y_t‖² − 2 Σ_i R_α,i c_it z_it + z_tᵀ R_α G R_α z_t,
// and since R_i R_j = (R_i − R_j)/(λ_j − λ_i), with H_ij = G_ij/(λ_j − λ_i) (antisymmetric),
//     zᵀ R G R z = Σ_i G_ii z_i² R_i² + 2 Σ_i R_i z_i (H z)_i        (exact).
// So per fold and batch three products (Z, c, H·Z) and then two small (n_α × r)·(r × B) ones for
// all α. Rounding in H·Z is amplified by (λ+α_min)/|λ_i − λ_j|: pairs with a relative gap below
// 1e-2 are taken out of the float32 H and added in double (sparse), below 1e-7 they leave H and
// their 2 G_ij z_i z_j R_i R_j terms are added exactly per α; a fold with more than r such pairs
// (many repeated eigenvalues), more than 32·r near pairs or where the direct loop needs fewer flops
// (n_α·m ≤ r + m + 3 n_α) takes the direct loop. The CV score of (t, α) is himalaya's: the mean over folds of −(1/m) Σ (y − P)², plus
// 1e-10·log α so that equal scores choose the larger α; the best α per target is the argmax
// (the first on exact ties). The weights are then refitted on all n rows from one more
// decomposition — in the dual form, when the caller asks (`dualStorage`), kept as dual
// coefficients D = U·diag(1/(λ+α_t))·Uᵀy_t with W = Xᵀ D never formed (RidgeDualCoefficients).
// Eigenvalues below zero (rounding) are set to zero. The decompositions are float32 (ssyevd, as
// himalaya's float32 eigh); the Gram matrix, the α loop's products, the resolvent path's three
// products (Z, c, H·Z) and the refit's products float32 (sgemm, twice the speed); the direct
// loop's fold projections, the resolvent's near pairs and small products, and the scores double.
// Targets go in batches of B so memory stays O(n·B + r²) besides X and the output; the batches
// are read in place from the targets (rows in fold order) and written in place into the output.
//
// The caller standardises X and centres Y (no intercept here): `RidgeRegression.fit` does both.
import Foundation
import Tensors

public enum RidgeForm: String, Codable, Sendable { case primal, dual }

/// How a fold's validation errors are computed for the whole α grid (Notes): `direct` forms the
/// predictions of every α (one m × r × B product per α); `resolvent` uses the resolvent identity
/// (three products per fold and batch, then two small ones for all α); `automatic` takes the
/// resolvent unless the direct loop costs fewer flops or the fold has more than r pairs of close
/// eigenvalues (a rank-deficient design), where it falls back to the direct loop.
public enum RidgeCVPath: String, Sendable { case automatic, direct, resolvent }

public enum RidgeError: Error, CustomStringConvertible, Equatable {
    case invalidAlphas(String)
    case invalidFolds(String)
    case shape(String)
    case nonFinite(what: String, row: Int, column: Int)
    public var description: String {
        switch self {
        case .invalidAlphas(let r): return "ridge penalties: \(r)"
        case .invalidFolds(let r): return "cross-validation folds: \(r)"
        case .shape(let r): return r
        case .nonFinite(let w, let r, let c): return "\(w) has a NaN or infinite value at row \(r), column \(c)"
        }
    }
}

/// Per-target penalties chosen by cross-validation and the weights refitted with them.
public struct RidgeCVResult {
    /// [u] the chosen α of each target.
    public var bestAlphas: [Double]
    /// [u] its index in the grid.
    public var bestAlphaIndex: [Int]
    /// [u] mean over folds of the validation mean squared error at the chosen α (the CV residual
    /// variance of each target on the training split).
    public var cvMeanSquaredError: [Double]
    /// [p, u] row-major weights on the standardised features; empty when the refit is stored as
    /// dual coefficients (`dual`).
    public var weights: [Float]
    public var form: RidgeForm
    /// The path each fold took (`direct` or `resolvent`), in fold order.
    public var foldPaths: [RidgeCVPath] = []
    /// Dual storage: the weights are W = Xᵀ D and are never formed (RidgeDualCoefficients).
    public var dual: RidgeDualCoefficients? = nil

    /// [p, u] the weights: stored, or Xᵀ D formed from the dual coefficients.
    public func primalWeights() -> [Float] {
        guard let d = dual else { return weights }
        let u = d.coefficients.count / max(d.rows, 1), p = d.design.count / max(d.rows, 1)
        return RidgeRegression.product32(d.design, d.coefficients, m: p, n: u, k: d.rows, transposeA: true, transposeB: false)
    }

    /// The same result for the targets `columns` only (weight or dual-coefficient columns, α, index, CV MSE).
    public func targets(_ columns: Range<Int>) -> RidgeCVResult {
        var r = self
        let u = bestAlphas.count
        if let d = dual {
            r.dual!.coefficients = ResponseMatrix(rows: d.rows, columns: u, values: d.coefficients).columns(columns).values
        } else {
            r.weights = ResponseMatrix(rows: weights.count / max(u, 1), columns: u, values: weights).columns(columns).values
        }
        r.bestAlphas = Array(bestAlphas[columns]); r.bestAlphaIndex = Array(bestAlphaIndex[columns])
        r.cvMeanSquaredError = Array(cvMeanSquaredError[columns])
        return r
    }
}

/// A refit stored in the dual form (when the design has fewer rows n than features p): the weights
/// are W = Xᵀ D with X the standardised training design, so the fit writes D (n × u) and X (n × p)
/// instead of W (p × u) — fewer flops in the refit (2n²u instead of 2npu for the last product)
/// and fewer bytes — and predictions are (Z_q Xᵀ) D. himalaya's KernelRidge stores the same.
public struct RidgeDualCoefficients {
    /// [n, u] row-major D = U · diag(1/(λ+α_t)) · Uᵀ y_t (U, λ: eigenvectors/values of XXᵀ).
    public var coefficients: [Float]
    /// [n, p] row-major standardised training design, rows in the order of D's rows.
    public var design: [Float]
    public var rows: Int
}

/// A fitted multi-target ridge with its standardisation.
public struct RidgeFit {
    /// [p] feature means and standard deviations on the training rows (ddof 0; 1 for a constant feature).
    public var featureMean: [Float]
    public var featureStd: [Float]
    /// [u] training mean of each target.
    public var intercept: [Float]
    public var cv: RidgeCVResult
    /// Banded ridge: [S, u] the weight γ of each feature space per target (nil for one penalty).
    public var spaceWeights: [Double]?
}

public enum RidgeRegression {
    /// sklearn's `KFold(n_splits: k, shuffle: false)`: contiguous blocks, the first n mod k one row larger.
    public static func contiguousFolds(count n: Int, folds k: Int) -> [Int] {
        precondition(k >= 1 && n >= k)
        var out = [Int](repeating: 0, count: n)
        var row = 0
        for f in 0..<k {
            let size = n / k + (f < n % k ? 1 : 0)
            for _ in 0..<size { out[row] = f; row += 1 }
        }
        return out
    }

    /// Folds over rows that keep each group (a stimulus's repeats, a run) in one fold: groups are
    /// dealt, in order of first appearance, into k contiguous blocks of groups as `contiguousFolds`.
    public static func groupedFolds(groups: [Int], folds k: Int) throws -> [Int] {
        var order: [Int] = [], seen = [Int: Int]()
        for g in groups where seen[g] == nil { seen[g] = order.count; order.append(g) }
        guard order.count >= k else { throw RidgeError.invalidFolds("\(k) folds need at least \(k) groups, there are \(order.count)") }
        let foldOfGroup = contiguousFolds(count: order.count, folds: k)
        return groups.map { foldOfGroup[seen[$0]!] }
    }

    /// Standardises the features (on these rows), centres the targets and runs `crossValidate`.
    /// - Parameters:
    ///   - features: [n, p] row-major raw features of the training rows.
    ///   - targets: [n, u] row-major responses.
    ///   - foldOfRow: [n] fold of each row, 0..<k.
    ///   - dualStorage: keep a dual-form refit as dual coefficients (banded ridge always forms the weights).
    public static func fit(features: [Float], rows n: Int, featureCount p: Int, targets: [Float], targetCount u: Int,
                           foldOfRow: [Int], alphas: [Double], targetBatch: Int = 4096, standardize: Bool = true,
                           bandedSpaces: [Int]? = nil, gammas: [[Double]] = [], dualStorage: Bool = true,
                           progress: ((String, Int, Int) -> Void)? = nil) throws -> RidgeFit {
        guard features.count == n * p else { throw RidgeError.shape("features hold \(features.count) values, expected \(n) × \(p)") }
        guard targets.count == n * u else { throw RidgeError.shape("responses hold \(targets.count) values, expected \(n) × \(u)") }
        var mean = [Double](repeating: 0, count: p), sq = [Double](repeating: 0, count: p)
        features.withUnsafeBufferPointer { pf in mean.withUnsafeMutableBufferPointer { pm in
            for i in 0..<n { let row = pf.baseAddress! + i * p; for j in 0..<p { pm[j] += Double(row[j]) } }
        } }
        // A NaN or infinity makes its column's sum non-finite: only then look for the first one.
        if mean.contains(where: { !$0.isFinite }) {
            for i in 0..<n { for j in 0..<p where !features[i * p + j].isFinite {
                throw RidgeError.nonFinite(what: "the feature matrix", row: i, column: j)
            } }
        }
        for j in 0..<p { mean[j] /= Double(n) }
        features.withUnsafeBufferPointer { pf in mean.withUnsafeBufferPointer { pm in sq.withUnsafeMutableBufferPointer { ps in
            for i in 0..<n { let row = pf.baseAddress! + i * p; for j in 0..<p { let d = Double(row[j]) - pm[j]; ps[j] += d * d } }
        } } }
        var std = sq.map { s -> Double in let v = (s / Double(n)).squareRoot(); return v > 0 ? v : 1 }
        // As given (himalaya's fit_intercept=False on the user's features): no z-scoring, no intercept.
        if !standardize { mean = [Double](repeating: 0, count: p); std = [Double](repeating: 1, count: p) }
        let x = [Double](unsafeUninitializedCapacity: n * p) { px, count in
            features.withUnsafeBufferPointer { pf in mean.withUnsafeBufferPointer { pm in std.withUnsafeBufferPointer { pd in
                for i in 0..<n { for j in 0..<p { px[i * p + j] = (Double(pf[i * p + j]) - pm[j]) / pd[j] } }
            } } }
            count = n * p
        }
        var ymean = [Double](repeating: 0, count: u)
        var y = targets
        if standardize {
            targets.withUnsafeBufferPointer { pt in ymean.withUnsafeMutableBufferPointer { pm in
                for i in 0..<n { let row = pt.baseAddress! + i * u; for t in 0..<u { pm[t] += Double(row[t]) } }
                for t in 0..<u { pm[t] /= Double(n) }
            } }
            ymean.withUnsafeBufferPointer { pm in y.withUnsafeMutableBufferPointer { py in
                for i in 0..<n { let row = py.baseAddress! + i * u; for t in 0..<u { row[t] = Float(Double(row[t]) - pm[t]) } }
            } }
        }
        var cv: RidgeCVResult, spaceWeights: [Double]? = nil
        if let spaces = bandedSpaces {
            let b = try BandedRidge.crossValidate(x: x, rows: n, spaceSizes: spaces, y: y, targetCount: u, foldOfRow: foldOfRow,
                                                  alphas: alphas, gammas: gammas, targetBatch: targetBatch, progress: progress)
            cv = RidgeCVResult(bestAlphas: b.bestAlphas, bestAlphaIndex: b.bestAlphas.map { a in alphas.firstIndex(of: a) ?? -1 },
                               cvMeanSquaredError: b.cvMeanSquaredError, weights: b.weights, form: b.form)
            spaceWeights = b.spaceWeights
        } else {
            cv = try crossValidate(x: x, rows: n, featureCount: p, y: y, targetCount: u, foldOfRow: foldOfRow,
                                   alphas: alphas, targetBatch: targetBatch, dualStorage: dualStorage, progress: progress)
        }
        var fit = RidgeFit(featureMean: mean.map { Float($0) }, featureStd: std.map { Float($0) },
                           intercept: ymean.map { Float($0) }, cv: cv)
        fit.spaceWeights = spaceWeights
        return fit
    }

    /// Per-target α by K-fold CV and the refit (Notes above).
    /// - Parameters:
    ///   - x: [n, p] row-major standardised features.
    ///   - y: [n, u] row-major centred targets.
    ///   - foldOfRow: [n] fold of each row, 0..<k, every fold non-empty and k ≥ 2.
    ///   - alphas: the grid, every value > 0.
    ///   - dualStorage: in the dual form, return the refit as dual coefficients (`dual`) instead
    ///     of forming the weights (no effect in the primal form).
    ///   - progress: called with a stage name and (done, total) steps.
    public static func crossValidate(x: [Double], rows n: Int, featureCount p: Int, y: [Float], targetCount u: Int,
                                     foldOfRow: [Int], alphas: [Double], targetBatch: Int = 4096, path: RidgeCVPath = .automatic,
                                     dualStorage: Bool = false,
                                     progress: ((String, Int, Int) -> Void)? = nil) throws -> RidgeCVResult {
        guard x.count == n * p, y.count == n * u, foldOfRow.count == n else {
            throw RidgeError.shape("ridge: X is \(x.count) values for \(n) × \(p), Y \(y.count) for \(n) × \(u), folds \(foldOfRow.count) for \(n) rows")
        }
        guard !alphas.isEmpty, alphas.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw RidgeError.invalidAlphas("every penalty must be a finite number > 0, got \(alphas)")
        }
        // x − x is 0 for a finite x and NaN otherwise: one vectorised pass, then the first bad one.
        let allFinite = y.withUnsafeBufferPointer { py in
            var acc: Float = 0
            for i in 0..<py.count { acc += py[i] - py[i] }
            return acc == 0
        }
        if !allFinite {
            for i in 0..<n { for t in 0..<u where !y[i * u + t].isFinite { throw RidgeError.nonFinite(what: "the responses", row: i, column: t) } }
        }
        let k = (foldOfRow.max() ?? 0) + 1
        guard k >= 2, foldOfRow.allSatisfy({ $0 >= 0 }) else { throw RidgeError.invalidFolds("need at least 2 folds, got \(k)") }
        var foldSizes = [Int](repeating: 0, count: k)
        for f in foldOfRow { foldSizes[f] += 1 }
        if let empty = foldSizes.firstIndex(of: 0) { throw RidgeError.invalidFolds("fold \(empty) has no rows") }
        let batch = max(1, min(targetBatch, u))

        // Rows reordered so that every fold is a contiguous block [start, end).
        let order = (0..<n).sorted { (foldOfRow[$0], $0) < (foldOfRow[$1], $1) }
        var xs = [Double](repeating: 0, count: n * p)
        for (r, i) in order.enumerated() { for j in 0..<p { xs[r * p + j] = x[i * p + j] } }
        // The targets in the same row order, float32 (no copy when the folds are already contiguous):
        // the products read their batches in place (leading dimension u).
        let ys: [Float]
        if order.elementsEqual(0..<n) {
            ys = y
        } else {
            ys = [Float](unsafeUninitializedCapacity: n * u) { buffer, count in
                for (r, i) in order.enumerated() { for t in 0..<u { buffer[r * u + t] = y[i * u + t] } }
                count = n * u
            }
        }
        var starts = [0]
        for f in 0..<k { starts.append(starts[f] + foldSizes[f]) }
        let maxTrain = n - (foldSizes.min() ?? 0)
        let form: RidgeForm = maxTrain < p ? .dual : .primal
        // The kernel XXᵀ (dual) or XᵀX (primal) of all rows, from which each fold's is cut.
        // The Gram matrix and the refit's products run in float32 (sgemm; the eigendecompositions,
        // the fold projections and the CV scores stay double).
        let xs32 = xs.map { Float($0) }
        let gram: [Double]
        if form == .dual {
            gram = product32(xs32, xs32, m: n, n: n, k: p, transposeA: false, transposeB: true).map { Double($0) }
        } else {
            gram = product32(xs32, xs32, m: p, n: p, k: n, transposeA: true, transposeB: false).map { Double($0) }
        }

        let na = alphas.count
        var scores = [Double](repeating: 0, count: na * u)          // (α, target): mean over folds of −MSE
        // The direct loop's batch in double: (n, B), rows in `order`.
        var yb = [Double]()
        func loadBatch(_ c0: Int, _ b: Int) {
            if yb.count < n * b { yb = [Double](repeating: 0, count: n * b) }
            for r in 0..<n { for t in 0..<b { yb[r * b + t] = Double(ys[r * u + c0 + t]) } }
        }
        let steps = k * ((u + batch - 1) / batch)
        var step = 0
        var foldPaths = [RidgeCVPath]()
        for f in 0..<k {
            let s = starts[f], e = starts[f + 1], m = e - s, nf = n - m
            // Decomposition of the fold's training part and the validation map A = X_v V or K_vf U: (m, r).
            let r = form == .dual ? nf : p
            var (lambda, basis) = try decomposeFold(form: form, gram: gram, xs: xs, n: n, p: p, s: s, e: e)
            for i in 0..<r where lambda[i] < 0 { lambda[i] = 0 }
            var a = [Double](repeating: 0, count: m * r)
            if form == .primal {
                xs.withUnsafeBufferPointer { px in basis.withUnsafeBufferPointer { pv in a.withUnsafeMutableBufferPointer { pa in
                    BLAS.dgemm(transposeA: false, transposeB: false, m: m, n: p, k: p, alpha: 1, a: px.baseAddress! + s * p, lda: p,
                               b: pv.baseAddress!, ldb: p, beta: 0, c: pa.baseAddress!, ldc: p)
                } } }
            } else {
                // K_vf: (m, nf) the validation rows against the training rows [0, s) ∪ [e, n).
                var kvf = [Double](repeating: 0, count: m * nf)
                for i in 0..<m {
                    for j in 0..<s { kvf[i * nf + j] = gram[(s + i) * n + j] }
                    for j in e..<n { kvf[i * nf + (j - m)] = gram[(s + i) * n + j] }
                }
                a = product(kvf, basis, m: m, n: nf, k: nf, transposeA: false, transposeB: false)
            }
            // The α loop runs in float32 (sgemm, twice the speed of dgemm): A, the scaled Z and the
            // predictions; squared errors are summed in double.
            let a32 = a.map { Float($0) }
            let plan = path == .direct ? nil : try resolventPlan(lambda: lambda, a: a, m: m, r: r, alphas: alphas, forced: path == .resolvent)
            foldPaths.append(plan == nil ? .direct : .resolvent)
            let basis32 = plan == nil ? [] : basis.map { Float($0) }
            let direct = plan == nil
            var z = [Double](repeating: 0, count: direct ? r * batch : 0), scaled = [Float](repeating: 0, count: direct ? r * batch : 0)
            var pred = [Float](repeating: 0, count: direct ? m * batch : 0)
            var c0 = 0
            while c0 < u {
                let b = min(batch, u - c0)
                if let plan {
                    resolventScores(plan: plan, form: form, xs32: xs32, basis32: basis32, a32: a32, y: ys, n: n, p: p, s: s, e: e,
                                    b: b, weight: 1 / Double(m * k), scores: &scores, column: c0, targetCount: u)
                } else {
                    loadBatch(c0, b)
                    // Z = Vᵀ X_fᵀ Y_f (primal) or Uᵀ Y_f (dual): (r, B).
                    if form == .primal {
                        var g = [Double](repeating: 0, count: p * b)
                        xs.withUnsafeBufferPointer { px in yb.withUnsafeBufferPointer { py in g.withUnsafeMutableBufferPointer { pg in
                            trainingRowsProduct(dgemmTransposedA, first: px.baseAddress!, second: px.baseAddress! + e * p, m: p,
                                                y: py.baseAddress!, ldy: b, b: b, s: s, e: e, n: n, c: pg.baseAddress!)
                        } } }
                        basis.withUnsafeBufferPointer { pv in g.withUnsafeBufferPointer { pg in z.withUnsafeMutableBufferPointer { pz in
                            BLAS.dgemm(transposeA: true, transposeB: false, m: p, n: b, k: p, alpha: 1, a: pv.baseAddress!, lda: p,
                                       b: pg.baseAddress!, ldb: b, beta: 0, c: pz.baseAddress!, ldc: b)
                        } } }
                    } else {
                        basis.withUnsafeBufferPointer { pu in yb.withUnsafeBufferPointer { py in z.withUnsafeMutableBufferPointer { pz in
                            trainingRowsProduct(dgemmTransposedA, first: pu.baseAddress!, second: pu.baseAddress! + s * nf, m: nf,
                                                y: py.baseAddress!, ldy: b, b: b, s: s, e: e, n: n, c: pz.baseAddress!)
                        } } }
                    }
                    for (ai, alpha) in alphas.enumerated() {
                        z.withUnsafeBufferPointer { pz in scaled.withUnsafeMutableBufferPointer { ps in
                            for i in 0..<r {
                                let w = 1 / (lambda[i] + alpha)
                                for t in 0..<b { ps[i * b + t] = Float(pz[i * b + t] * w) }
                            }
                        } }
                        a32.withUnsafeBufferPointer { pa in scaled.withUnsafeBufferPointer { ps in pred.withUnsafeMutableBufferPointer { pp in
                            BLAS.sgemm(transposeA: false, transposeB: false, m: m, n: b, k: r, alpha: 1, a: pa.baseAddress!, lda: r,
                                       b: ps.baseAddress!, ldb: b, beta: 0, c: pp.baseAddress!, ldc: b)
                        } } }
                        let base = ai * u + c0
                        let weight = 1 / Double(m * k)
                        yb.withUnsafeBufferPointer { py in pred.withUnsafeBufferPointer { pp in scores.withUnsafeMutableBufferPointer { psc in
                            for i in 0..<m {
                                let row = (s + i) * b
                                for t in 0..<b {
                                    let d = py[row + t] - Double(pp[i * b + t])
                                    psc[base + t] -= d * d * weight
                                }
                            }
                        } } }
                    }
                }
                c0 += b
                step += 1
                progress?("cross-validation", step, steps)
            }
        }

        // Best α per target: argmax of the mean score + 1e-10 log α (himalaya's tie-break).
        var bestIndex = [Int](repeating: 0, count: u), bestAlpha = [Double](repeating: 0, count: u), mse = [Double](repeating: 0, count: u)
        for t in 0..<u {
            var best = -Double.infinity, bi = 0
            for ai in 0..<na {
                let v = scores[ai * u + t] + 1e-10 * log(alphas[ai])
                if v > best { best = v; bi = ai }
            }
            bestIndex[t] = bi; bestAlpha[t] = alphas[bi]; mse[t] = -scores[bi * u + t]
        }

        // Refit on all rows. Every weight (or dual coefficient) is written by the products below (β = 0).
        let storeDual = dualStorage && form == .dual
        let outRows = storeDual ? n : p
        var weights = [Float](unsafeUninitializedCapacity: outRows * u) { _, count in count = outRows * u }
        let rAll = form == .dual ? n : p
        let (lambda32, basis) = try LAPACK.symmetricEigenFloat(gram.map { Float($0) }, n: rAll)
        let lambda = lambda32.map { max(Double($0), 0) }
        // Dual: w = (Xᵀ U) · diag(1/(λ+α_t)) · Uᵀ y_t with Xᵀ U (p × n) formed once, or stored as
        // d = U · diag(1/(λ+α_t)) · Uᵀ y_t; primal: w = V · diag(1/(λ+α_t)) · Vᵀ Xᵀ y_t. Each
        // batch's columns are written in place.
        let xtu = form == .dual && !storeDual ? product32(xs32, basis, m: p, n: n, k: n, transposeA: true, transposeB: false) : []
        var z = [Float](repeating: 0, count: rAll * batch), rhs = [Float](repeating: 0, count: form == .primal ? p * batch : 0)
        var c0 = 0
        ys.withUnsafeBufferPointer { py0 in xs32.withUnsafeBufferPointer { px in basis.withUnsafeBufferPointer { pb in
            xtu.withUnsafeBufferPointer { pxtu in z.withUnsafeMutableBufferPointer { pz in rhs.withUnsafeMutableBufferPointer { pr in
                weights.withUnsafeMutableBufferPointer { pw in
                    while c0 < u {
                        let b = min(batch, u - c0)
                        let py = py0.baseAddress! + c0
                        if form == .primal {
                            BLAS.sgemm(transposeA: true, transposeB: false, m: p, n: b, k: n, alpha: 1, a: px.baseAddress!, lda: p,
                                       b: py, ldb: u, beta: 0, c: pr.baseAddress!, ldc: b)
                            BLAS.sgemm(transposeA: true, transposeB: false, m: rAll, n: b, k: rAll, alpha: 1, a: pb.baseAddress!, lda: rAll,
                                       b: pr.baseAddress!, ldb: b, beta: 0, c: pz.baseAddress!, ldc: b)
                        } else {
                            BLAS.sgemm(transposeA: true, transposeB: false, m: rAll, n: b, k: n, alpha: 1, a: pb.baseAddress!, lda: rAll,
                                       b: py, ldb: u, beta: 0, c: pz.baseAddress!, ldc: b)
                        }
                        for i in 0..<rAll {
                            let zi = pz.baseAddress! + i * b
                            for t in 0..<b { zi[t] = Float(Double(zi[t]) / (lambda[i] + bestAlpha[c0 + t])) }
                        }
                        BLAS.sgemm(transposeA: false, transposeB: false, m: outRows, n: b, k: rAll, alpha: 1,
                                   a: form == .dual && !storeDual ? pxtu.baseAddress! : pb.baseAddress!, lda: rAll,
                                   b: pz.baseAddress!, ldb: b, beta: 0, c: pw.baseAddress! + c0, ldc: u)
                        c0 += b
                        progress?("refit", c0, u)
                    }
                }
            } } }
        } } }
        if storeDual {
            return RidgeCVResult(bestAlphas: bestAlpha, bestAlphaIndex: bestIndex, cvMeanSquaredError: mse, weights: [], form: form,
                                 foldPaths: foldPaths, dual: RidgeDualCoefficients(coefficients: weights, design: xs32, rows: n))
        }
        return RidgeCVResult(bestAlphas: bestAlpha, bestAlphaIndex: bestIndex, cvMeanSquaredError: mse, weights: weights, form: form,
                             foldPaths: foldPaths)
    }

    /// A fold's data for the resolvent path (Notes): H_ij = G_ij/(λ_j − λ_i) split by the relative
    /// gap g = |λ_i − λ_j| / (max(λ_i, λ_j) + α_min) into a dense float32 part (g ≥ nearGap), a sparse
    /// double part (closeGap ≤ g < nearGap: the pairs i < j with H_ij; H_ji = −H_ij) and the close
    /// pairs (g < closeGap, not in H) whose terms are added exactly with their 2·G_ij; G = AᵀA's
    /// diagonal; the coefficients [R_α,i | R_α,i² | R_α,i·R_α,j per close pair] (n_α × (2r + pairs)).
    struct ResolventPlan {
        var r: Int, m: Int
        var h: [Float]
        var near: [(Int, Int, Double)]
        var gDiagonal: [Double]
        var pairs: [(Int, Int)]
        var pairWeight: [Double]
        var coefficients: [Double]
    }

    /// Relative gaps (ResolventPlan) below which a pair leaves the dense float32 H (rounding there is
    /// amplified by 1/g: ≤ 6e-8/1e-2 of the pair's term) and below which it leaves H altogether
    /// (in double, ≤ 2.2e-16/1e-7).
    static let nearGap = 1e-2, closeGap = 1e-7

    /// The resolvent plan of a fold, or nil when (not `forced`) the direct loop is cheaper or there
    /// are more than r close pairs.
    static func resolventPlan(lambda: [Double], a: [Double], m: Int, r: Int, alphas: [Double], forced: Bool) throws -> ResolventPlan? {
        let na = alphas.count
        // Flops per target: direct n_α·m·r; resolvent r·r (H·Z) + r·m (Aᵀ Y_v) + 2·n_α·r (+ pairs).
        if !forced && r + m + 3 * na >= na * m { return nil }
        let alphaMin = alphas.min()!
        let sorted = (0..<r).sorted { lambda[$0] < lambda[$1] }
        var pairs = [(Int, Int)](), nearPairs = [(Int, Int)]()
        for x in 0..<r {
            let i = sorted[x]
            var y = x + 1
            while y < r {
                let j = sorted[y]
                let g = (lambda[j] - lambda[i]) / (lambda[j] + alphaMin)
                guard g < nearGap else { break }
                if g < closeGap { pairs.append((min(i, j), max(i, j))) } else { nearPairs.append((min(i, j), max(i, j))) }
                if !forced && (pairs.count > r || nearPairs.count > 32 * r) { return nil }
                y += 1
            }
        }
        var g = [Double](repeating: 0, count: r * r)
        a.withUnsafeBufferPointer { pa in g.withUnsafeMutableBufferPointer { pg in
            BLAS.dgemm(transposeA: true, transposeB: false, m: r, n: r, k: m, alpha: 1, a: pa.baseAddress!, lda: r,
                       b: pa.baseAddress!, ldb: r, beta: 0, c: pg.baseAddress!, ldc: r)
        } }
        var h = [Float](repeating: 0, count: r * r)
        for i in 0..<r {
            for j in 0..<r where i != j {
                let gap = lambda[j] - lambda[i]
                if gap != 0 { h[i * r + j] = Float(g[i * r + j] / gap) }
            }
        }
        for (i, j) in pairs + nearPairs { h[i * r + j] = 0; h[j * r + i] = 0 }
        let near = nearPairs.map { ($0.0, $0.1, g[$0.0 * r + $0.1] / (lambda[$0.1] - lambda[$0.0])) }
        let width = 2 * r + pairs.count
        var coefficients = [Double](repeating: 0, count: na * width)
        for (ai, alpha) in alphas.enumerated() {
            for i in 0..<r {
                let w = 1 / (lambda[i] + alpha)
                coefficients[ai * width + i] = w
                coefficients[ai * width + r + i] = w * w
            }
            for (q, (i, j)) in pairs.enumerated() {
                coefficients[ai * width + 2 * r + q] = 1 / ((lambda[i] + alpha) * (lambda[j] + alpha))
            }
        }
        return ResolventPlan(r: r, m: m, h: h, near: near, gDiagonal: (0..<r).map { g[$0 * r + $0] }, pairs: pairs,
                             pairWeight: pairs.map { 2 * g[$0.0 * r + $0.1] }, coefficients: coefficients)
    }

    /// Adds one batch's −MSE·weight of every α to `scores` by the resolvent path: Z = basisᵀ·(training
    /// targets), c = Aᵀ Y_v and H·Z (float32 products, reading the batch's columns of `y` in place),
    /// then, per chunk of `scoreChunk` targets (so the double work stays in cache),
    ///     m·MSE_α(t) = ‖y_t‖² + Σ_i R_α,i (2 z_i (Hz)_i − 2 c_i z_i) + Σ_i R_α,i² G_ii z_i² + Σ_pairs R_α,i R_α,j 2 G_ij z_i z_j
    /// as one double product coefficients · V.
    /// - Parameter y: [n, u] targets, rows in fold order; the batch is columns [c0, c0 + b).
    static func resolventScores(plan: ResolventPlan, form: RidgeForm, xs32: [Float], basis32: [Float], a32: [Float], y: [Float],
                                n: Int, p: Int, s: Int, e: Int, b: Int, weight: Double, scores: inout [Double], column c0: Int, targetCount u: Int) {
        let r = plan.r, m = plan.m, nf = n - m
        var z = [Float](repeating: 0, count: r * b), c = [Float](repeating: 0, count: r * b)
        var yy = [Double](repeating: 0, count: b)
        y.withUnsafeBufferPointer { py0 in xs32.withUnsafeBufferPointer { px in basis32.withUnsafeBufferPointer { pu in
            a32.withUnsafeBufferPointer { pa in z.withUnsafeMutableBufferPointer { pz in c.withUnsafeMutableBufferPointer { pc in
                let py = py0.baseAddress! + c0
                if form == .primal {
                    var g = [Float](repeating: 0, count: p * b)
                    g.withUnsafeMutableBufferPointer { pg in
                        trainingRowsProduct(sgemmTransposedA, first: px.baseAddress!, second: px.baseAddress! + e * p, m: p,
                                            y: py, ldy: u, b: b, s: s, e: e, n: n, c: pg.baseAddress!)
                        BLAS.sgemm(transposeA: true, transposeB: false, m: p, n: b, k: p, alpha: 1, a: pu.baseAddress!, lda: p,
                                   b: pg.baseAddress!, ldb: b, beta: 0, c: pz.baseAddress!, ldc: b)
                    }
                } else {
                    trainingRowsProduct(sgemmTransposedA, first: pu.baseAddress!, second: pu.baseAddress! + s * nf, m: nf,
                                        y: py, ldy: u, b: b, s: s, e: e, n: n, c: pz.baseAddress!)
                }
                BLAS.sgemm(transposeA: true, transposeB: false, m: r, n: b, k: m, alpha: 1, a: pa.baseAddress!, lda: r,
                           b: py + s * u, ldb: u, beta: 0, c: pc.baseAddress!, ldc: b)
                for i in s..<e {
                    let row = py + i * u
                    for t in 0..<b { let v = Double(row[t]); yy[t] += v * v }
                }
            } } }
        } } }
        let hz = product32(plan.h, z, m: r, n: b, k: r, transposeA: false, transposeB: false)
        let width = 2 * r + plan.pairs.count
        let na = plan.coefficients.count / width
        let chunk = min(b, scoreChunk)
        let chunkCount = (b + chunk - 1) / chunk
        // The chunks are independent (their own targets' columns of `scores`): split over the
        // BLAS threads, each worker calling a one-thread dgemm on its own buffers. The chunk
        // boundaries do not depend on the number of workers, so neither do the scores.
        let threads = BLAS.threads
        let workers = max(1, min(threads, chunkCount))
        if workers > 1 { BLAS.setThreads(1) }
        defer { if workers > 1 { BLAS.setThreads(threads) } }
        z.withUnsafeBufferPointer { pz0 in hz.withUnsafeBufferPointer { ph0 in c.withUnsafeBufferPointer { pc0 in
            plan.coefficients.withUnsafeBufferPointer { pk in yy.withUnsafeBufferPointer { pyy in scores.withUnsafeMutableBufferPointer { psb in
                let psc = psb.baseAddress!
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    // Every entry of a chunk's hz and v is written before it is read.
                    let ph = UnsafeMutablePointer<Double>.allocate(capacity: r * chunk)
                    let pv = UnsafeMutablePointer<Double>.allocate(capacity: width * chunk)
                    let pq = UnsafeMutablePointer<Double>.allocate(capacity: na * chunk)
                    defer { ph.deallocate(); pv.deallocate(); pq.deallocate() }
                    for index in (worker * chunkCount / workers)..<((worker + 1) * chunkCount / workers) {
                        let t0 = index * chunk, tb = min(chunk, b - t0)
                        let pz = pz0.baseAddress! + t0, pc = pc0.baseAddress! + t0
                        for i in 0..<r {
                            let src = ph0.baseAddress! + i * b + t0, dst = ph + i * tb
                            for t in 0..<tb { dst[t] = Double(src[t]) }
                        }
                        for (i, j, hij) in plan.near {
                            let hi = ph + i * tb, hj = ph + j * tb
                            let zi = pz + i * b, zj = pz + j * b
                            for t in 0..<tb { hi[t] += hij * Double(zj[t]); hj[t] -= hij * Double(zi[t]) }
                        }
                        for i in 0..<r {
                            let gi = plan.gDiagonal[i]
                            let zi = pz + i * b, hi = ph + i * tb, ci = pc + i * b
                            let v1 = pv + i * tb, v2 = pv + (r + i) * tb
                            for t in 0..<tb {
                                let zt = Double(zi[t])
                                v1[t] = 2 * zt * (hi[t] - Double(ci[t]))
                                v2[t] = gi * zt * zt
                            }
                        }
                        for (q, (i, j)) in plan.pairs.enumerated() {
                            let w = plan.pairWeight[q], row = pv + (2 * r + q) * tb
                            let zi = pz + i * b, zj = pz + j * b
                            for t in 0..<tb { row[t] = w * Double(zi[t]) * Double(zj[t]) }
                        }
                        BLAS.dgemm(transposeA: false, transposeB: false, m: na, n: tb, k: width, alpha: 1, a: pk.baseAddress!, lda: width,
                                   b: pv, ldb: tb, beta: 0, c: pq, ldc: tb)
                        for ai in 0..<na {
                            let base = ai * u + c0 + t0
                            for t in 0..<tb { psc[base + t] -= (pyy[t0 + t] + pq[ai * tb + t]) * weight }
                        }
                    }
                }
            } } }
        } } }
    }

    /// Targets whose resolvent scores are formed together (V is (2r + pairs) × this many doubles:
    /// 640 KB at r = 1280, within a core's L2).
    static let scoreChunk = 32

    /// A product C (m, n) = Aᵀ·B with alpha 1, row-major (A: lda columns, B: ldb, C: ldc), by sgemm or dgemm.
    typealias TransposedAProduct<T> = (_ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<T>, _ lda: Int,
                                       _ b: UnsafePointer<T>, _ ldb: Int, _ beta: T, _ c: UnsafeMutablePointer<T>, _ ldc: Int) -> Void
    static let sgemmTransposedA: TransposedAProduct<Float> = {
        BLAS.sgemm(transposeA: true, transposeB: false, m: $0, n: $1, k: $2, alpha: 1, a: $3, lda: $4, b: $5, ldb: $6, beta: $7, c: $8, ldc: $9)
    }
    static let dgemmTransposedA: TransposedAProduct<Double> = {
        BLAS.dgemm(transposeA: true, transposeB: false, m: $0, n: $1, k: $2, alpha: 1, a: $3, lda: $4, b: $5, ldb: $6, beta: $7, c: $8, ldc: $9)
    }

    /// C (m, b) = Aᵀ·Y over a fold's training rows, [0, s) ∪ [e, n) of Y (b columns, leading
    /// dimension ldy, rows in fold order), without copying them: Y's rows [0, s) pair with the s rows of A at `first`, its rows
    /// [e, n) with the n − e rows at `second` (A has m columns); one product per non-empty block,
    /// the second accumulating. (Primal: A = X, second = X's row e; dual: A = U, second = U's row s.)
    static func trainingRowsProduct<T: BinaryFloatingPoint>(_ gemm: TransposedAProduct<T>, first: UnsafePointer<T>, second: UnsafePointer<T>,
                                                            m: Int, y: UnsafePointer<T>, ldy: Int, b: Int, s: Int, e: Int, n: Int,
                                                            c: UnsafeMutablePointer<T>) {
        var beta: T = 0
        if s > 0 { gemm(m, b, s, first, m, y, ldy, 0, c, b); beta = 1 }
        if e < n { gemm(m, b, n - e, second, m, y + e * ldy, ldy, beta, c, b) }
    }

    /// Eigendecomposition of fold [s, e)'s training part: XᵀX − X_vᵀX_v (primal, p × p) or the kernel
    /// of the training rows cut from XXᵀ (dual, n_f × n_f).
    private static func decomposeFold(form: RidgeForm, gram: [Double], xs: [Double], n: Int, p: Int, s: Int, e: Int) throws -> ([Double], [Double]) {
        let m = e - s
        if form == .primal {
            var c = gram
            xs.withUnsafeBufferPointer { px in c.withUnsafeMutableBufferPointer { pc in
                BLAS.dgemm(transposeA: true, transposeB: false, m: p, n: p, k: m, alpha: -1, a: px.baseAddress! + s * p, lda: p,
                           b: px.baseAddress! + s * p, ldb: p, beta: 1, c: pc.baseAddress!, ldc: p)
            } }
            return try eigen(c, n: p)
        }
        let nf = n - m
        var kf = [Double](repeating: 0, count: nf * nf)
        let train = Array(0..<s) + Array(e..<n)
        for (i, gi) in train.enumerated() { for (j, gj) in train.enumerated() { kf[i * nf + j] = gram[gi * n + gj] } }
        return try eigen(kf, n: nf)
    }

    /// The fold decompositions in float32 (LAPACK ssyevd, twice the speed of dsyevd, as himalaya's
    /// float32 eigh); values and vectors returned in double.
    private static func eigen(_ a: [Double], n: Int) throws -> ([Double], [Double]) {
        let (w, v) = try LAPACK.symmetricEigenFloat(a.map { Float($0) }, n: n)
        return (w.map { Double($0) }, v.map { Double($0) })
    }

    /// C (m, n) = op(A) · op(B), row-major doubles.
    static func product(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            BLAS.dgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                       a: pa.baseAddress!, lda: transposeA ? m : k, b: pb.baseAddress!, ldb: transposeB ? k : n,
                       beta: 0, c: pc.baseAddress!, ldc: n)
        } } }
        return c
    }

    /// C (m, n) = op(A) · op(B), row-major floats.
    /// C (m, n) = op(A) · op(B), row-major floats; B's values from `bOffset` on (a row block of B).
    static func product32(_ a: [Float], _ b: [Float], bOffset: Int = 0, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                       a: pa.baseAddress!, lda: transposeA ? m : k, b: pb.baseAddress! + bOffset, ldb: transposeB ? k : n,
                       beta: 0, c: pc.baseAddress!, ldc: n)
        } } }
        return c
    }

    /// Predictions (q, u) = ((Φ − mean) / std) · W + intercept for raw features Φ (q, p), float32;
    /// with dual coefficients W = Xᵀ D, so the product is (Z Xᵀ) · D (Z Xᵀ: q × n, once).
    /// With `targetBlock` the last product is taken per block of that many targets from target 0,
    /// so a subset of whole blocks (an MPI rank's share) gives the same numbers as the whole
    /// (OpenBLAS rounds a product over 20 columns differently from one over 40).
    public static func predict(features: [Float], rows q: Int, fit: RidgeFit, targetBlock: Int? = nil) -> [Float] {
        let p = fit.featureMean.count, u = fit.intercept.count
        precondition(features.count == q * p)
        var z = features
        for i in 0..<q { for j in 0..<p { z[i * p + j] = (z[i * p + j] - fit.featureMean[j]) / fit.featureStd[j] } }
        var out = [Float](repeating: 0, count: q * u)
        for i in 0..<q { for t in 0..<u { out[i * u + t] = fit.intercept[t] } }
        guard q > 0, u > 0, p > 0 else { return out }
        // The left factor (q × k) and the right one (k × u): Z and W, or Z Xᵀ and D.
        let left: [Float], right: [Float], k: Int
        if let d = fit.cv.dual {
            precondition(d.design.count == d.rows * p && d.coefficients.count == d.rows * u)
            left = product32(z, d.design, m: q, n: d.rows, k: p, transposeA: false, transposeB: true)
            right = d.coefficients; k = d.rows
        } else {
            precondition(fit.cv.weights.count == p * u)
            left = z; right = fit.cv.weights; k = p
        }
        guard k > 0 else { return out }
        let block = max(1, targetBlock ?? u)
        left.withUnsafeBufferPointer { pz in right.withUnsafeBufferPointer { pw in out.withUnsafeMutableBufferPointer { po in
            for t0 in stride(from: 0, to: u, by: block) {
                BLAS.sgemm(transposeA: false, transposeB: false, m: q, n: min(block, u - t0), k: k, alpha: 1, a: pz.baseAddress!, lda: k,
                           b: pw.baseAddress! + t0, ldb: u, beta: 1, c: po.baseAddress! + t0, ldc: u)
            }
        } } }
        return out
    }
}
