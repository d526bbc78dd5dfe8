// Generalized linear models fitted by Newton's method (= IRLS for canonical links) with LAPACK
// Cholesky solves, in Double. The GLM baseline of every encoding-model comparison, and the
// reference the CNN trainer must agree with on a one-layer exp-output encoder (DESIGN §5).
//
// Shape letters: N observations (trials), P features (columns of X, without the intercept),
// Q = P + 1 with an intercept (its column of ones comes FIRST), U units (responses sharing X).
//
// Notes
//   Families and (canonical) links:  poisson  μ = exp(η);   gaussian  μ = η;   η = Xβ + offset.
//   Objective minimised:   ½·D(β) + λ‖w‖²
//     D is the deviance (poisson: 2Σ[y log(y/μ) − (y − μ)], i.e. ½D = −LL + const;
//     gaussian: Σ(y − μ)², i.e. ridge regression with α = 2λ), w are the non-intercept weights
//     (the intercept is never penalised).
//   Newton step:  (Xᵀ W X + 2λ I_w) Δ = Xᵀ(y − μ) − 2λ w,   W = diag(μ) (poisson), I (gaussian).
//   Step-halving: if the penalised deviance D + 2λ‖w‖² does not decrease (or is not finite), the
//     step is halved, up to 40 times.
//   Convergence: |Dₖ − Dₖ₋₁| / (|Dₖ| + 0.1) < tolerance (R's glm.fit rule on the penalised
//     deviance; default 1e-8, statsmodels' default tol), at most `maxIterations` Newton steps.
//   The Gaussian fit is one Cholesky solve; all units share one factorisation of XᵀX + 2λI_w.
//   Poisson: one XᵀWX (dsyrk on √μ-scaled rows) and one Cholesky factorisation per unit per
//     iteration.
import Foundation
import Tensors
import Numerics

public enum GLMFamily: String, Codable, CaseIterable, Sendable {
    /// Counts, log link (μ = e^η).
    case poisson
    /// Continuous responses, identity link; variance σ² (ML estimate SSE/N) reported with the fit.
    case gaussian

    /// The inverse link the family uses.
    public var link: Link { self == .poisson ? .exp : .identity }
}

public enum GLMError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(what: String, expected: Int, got: Int)
    case nonFinite(what: String, index: Int)
    case negativeCount(index: Int, value: Double)
    case noCounts(unit: Int)
    case invalidOption(String)
    case singular(unit: Int, order: Int)
    case diverged(unit: Int, iteration: Int)

    public var description: String {
        switch self {
        case .shapeMismatch(let w, let e, let g): return "GLM: \(w) has \(g) values, expected \(e)"
        case .nonFinite(let w, let i): return "GLM: \(w) has a non-finite value at index \(i)"
        case .negativeCount(let i, let v): return "GLM: a Poisson response must be a non-negative count; y[\(i)] = \(v)"
        case .noCounts(let u): return "GLM: unit \(u) has no counts in the training data (all zero); a Poisson GLM has no finite maximum-likelihood fit for it — drop the unit"
        case .invalidOption(let s): return "GLM: \(s)"
        case .singular(let u, let q): return "GLM: unit \(u): the \(q)×\(q) system XᵀWX is singular (collinear or too few observations); use a ridge penalty λ > 0"
        case .diverged(let u, let it): return "GLM: unit \(u): the fit diverged (non-finite deviance) at iteration \(it)"
        }
    }
}

extension GLMError {
    /// The same error with its unit number shifted by `first`: a fit of units first..<first+k of a
    /// larger set (one MPI rank's share) numbers its units from 0, a message must name the file's.
    public func numberingUnits(from first: Int) -> GLMError {
        switch self {
        case .noCounts(let u): return .noCounts(unit: u + first)
        case .singular(let u, let q): return .singular(unit: u + first, order: q)
        case .diverged(let u, let it): return .diverged(unit: u + first, iteration: it)
        default: return self
        }
    }
}

/// A GLM estimator: configure, then `fit`. Returns a `GLMFit` (there is no unfitted state).
public struct GLM: Sendable {
    public var family: GLMFamily
    /// λ ≥ 0 of the penalty λ‖w‖² on the non-intercept weights (see the file header).
    public var ridge: Double
    public var addIntercept: Bool
    /// Relative change of the penalised deviance that stops the iterations.
    public var tolerance: Double
    public var maxIterations: Int

    public init(family: GLMFamily = .poisson, ridge: Double = 0, addIntercept: Bool = true,
                tolerance: Double = 1e-8, maxIterations: Int = 100) {
        self.family = family
        self.ridge = ridge
        self.addIntercept = addIntercept
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    /// Fits one response.
    /// - Parameters:
    ///   - X: [N, P] row-major design (without an intercept column).
    ///   - y: [N] responses (counts for poisson).
    ///   - offset: [N] added to the linear predictor (e.g. log exposure), or nil.
    public func fit(X: [Double], rows n: Int, columns p: Int, y: [Double], offset: [Double]? = nil) throws -> GLMFit {
        try fit(X: X, rows: n, columns: p, Y: y, units: 1, offset: offset)[0]
    }

    /// Fits U responses that share the design X: Y is [N, U] row-major; returns one fit per unit.
    public func fit(X: [Double], rows n: Int, columns p: Int, Y: [Double], units: Int, offset: [Double]? = nil) throws -> [GLMFit] {
        let design = try GLMDesign(X: X, rows: n, columns: p, addIntercept: addIntercept)
        try checkResponses(Y, rows: n, units: units, offset: offset)
        return try fitUnits(design: design, Y: Y, units: units, offset: offset, starts: nil)
    }

    // MARK: internals shared with the ridge path

    func checkResponses(_ Y: [Double], rows n: Int, units: Int, offset: [Double]?) throws {
        guard ridge >= 0, ridge.isFinite else { throw GLMError.invalidOption("ridge λ must be finite and ≥ 0, got \(ridge)") }
        guard tolerance > 0, maxIterations > 0 else { throw GLMError.invalidOption("tolerance must be > 0 and maxIterations ≥ 1") }
        guard units > 0 else { throw GLMError.invalidOption("at least one unit is needed") }
        guard Y.count == n * units else { throw GLMError.shapeMismatch(what: "y", expected: n * units, got: Y.count) }
        for i in 0..<Y.count {
            guard Y[i].isFinite else { throw GLMError.nonFinite(what: "y", index: i) }
            if family == .poisson && Y[i] < 0 { throw GLMError.negativeCount(index: i, value: Y[i]) }
        }
        if let o = offset {
            guard o.count == n else { throw GLMError.shapeMismatch(what: "offset", expected: n, got: o.count) }
            for i in 0..<n where !o[i].isFinite { throw GLMError.nonFinite(what: "offset", index: i) }
        }
        if family == .poisson {
            let y = ResponseMatrix(rows: n, columns: units, values: Y)
            for u in 0..<units {
                var s = 0.0
                for t in 0..<n { s += y[t, u] }
                if s == 0 { throw GLMError.noCounts(unit: u) }
            }
        }
    }

    /// Fits every unit; `starts[u]` (coefficients, [Q]) warm-starts unit u when given.
    func fitUnits(design: GLMDesign, Y: [Double], units: Int, offset: [Double]?, starts: [[Double]]?) throws -> [GLMFit] {
        switch family {
        case .gaussian: return try fitGaussian(design: design, Y: Y, units: units, offset: offset)
        case .poisson:
            var solver = PoissonNewtonSolver(design: design, ridge: ridge, tolerance: tolerance, maxIterations: maxIterations)
            var fits: [GLMFit] = []
            fits.reserveCapacity(units)
            let y = ResponseMatrix(rows: design.n, columns: units, values: Y)
            for u in 0..<units {
                let yu = y.column(u)
                let r = try solver.solve(y: yu, offset: offset, start: starts?[u], unit: u)
                fits.append(makeFit(design: design, coefficients: r.coefficients, y: yu, offset: offset,
                                    iterations: r.iterations, converged: r.converged))
            }
            return fits
        }
    }

    /// Gaussian: (XᵀX + 2λI_w) B = Xᵀ(Y − offset) for all units at once.
    private func fitGaussian(design: GLMDesign, Y: [Double], units: Int, offset: [Double]?) throws -> [GLMFit] {
        let n = design.n, q = design.q
        var a = design.gram
        for j in design.firstPenalised..<q { a[j * q + j] += 2 * ridge }
        var target = ResponseMatrix(rows: n, columns: units, values: Y)
        if let o = offset { for t in 0..<n { for u in 0..<units { target[t, u] -= o[t] } } }
        var rhs = [Double](repeating: 0, count: q * units)        // [Q, U]
        design.values.withUnsafeBufferPointer { x in target.values.withUnsafeBufferPointer { yt in rhs.withUnsafeMutableBufferPointer { r in
            BLAS.dgemm(transposeA: true, transposeB: false, m: q, n: units, k: n, alpha: 1, a: x.baseAddress!, lda: q,
                       b: yt.baseAddress!, ldb: units, beta: 0, c: r.baseAddress!, ldc: units)
        } } }
        let solution: [Double]
        do { solution = try LAPACK.choleskySolve(a, rhs, n: q, nrhs: units) } catch { throw GLMError.singular(unit: 0, order: q) }
        var fits: [GLMFit] = []
        let y = ResponseMatrix(rows: n, columns: units, values: Y)
        let coefficients = ResponseMatrix(rows: q, columns: units, values: solution)   // [Q, U]
        for u in 0..<units {
            let beta = coefficients.column(u)
            let yu = y.column(u)
            fits.append(makeFit(design: design, coefficients: beta, y: yu, offset: offset, iterations: 1, converged: true))
        }
        return fits
    }

    /// Builds a GLMFit with training deviance, null deviance, variance and log-likelihood.
    private func makeFit(design: GLMDesign, coefficients: [Double], y: [Double], offset: [Double]?,
                         iterations: Int, converged: Bool) -> GLMFit {
        let n = design.n
        let eta = design.linearPredictor(coefficients, offset: offset)   // gaussian: μ = η
        // Null model: intercept only (with the offset), as statsmodels' null deviance.
        var nullMu = [Double](repeating: 0, count: n)
        switch family {
        case .poisson:
            var sy = 0.0, se = 0.0
            for i in 0..<n { sy += y[i]; se += Foundation.exp(offset?[i] ?? 0) }
            for i in 0..<n { nullMu[i] = Foundation.exp(offset?[i] ?? 0) * sy / se }
        case .gaussian:
            var s = 0.0
            for i in 0..<n { s += y[i] - (offset?[i] ?? 0) }
            for i in 0..<n { nullMu[i] = (offset?[i] ?? 0) + s / Double(n) }
        }
        var dev = 0.0, nullDev = 0.0
        for i in 0..<n {
            switch family {
            case .poisson:
                dev += PoissonObservation.unitDevianceFromEta(y: y[i], eta: eta[i])
                nullDev += PoissonObservation.unitDeviance(y: y[i], mean: nullMu[i])
            case .gaussian:
                dev += (y[i] - eta[i]) * (y[i] - eta[i])
                nullDev += (y[i] - nullMu[i]) * (y[i] - nullMu[i])
            }
        }
        let variance = family == .gaussian ? max(dev / Double(n), ObservationConstants.varianceFloor) : nil
        var fit = GLMFit(family: family, addIntercept: design.hasIntercept, ridge: ridge, coefficients: coefficients,
                         iterations: iterations, converged: converged, deviance: dev, nullDeviance: nullDev,
                         logLikelihood: 0, variance: variance, observations: n)
        fit.logLikelihood = fit.logLikelihood(y: y, eta: eta)
        return fit
    }
}

/// A fitted GLM. Coefficients are [Q]: the intercept first when `addIntercept`, then the P weights.
public struct GLMFit: Codable, Sendable, Equatable {
    public let family: GLMFamily
    public let addIntercept: Bool
    public let ridge: Double
    /// [Q] = [intercept?, w_1 … w_P].
    public let coefficients: [Double]
    /// Newton iterations used (1 for gaussian).
    public let iterations: Int
    public let converged: Bool
    /// Training deviance (unpenalised) and the intercept-only null deviance.
    public let deviance: Double
    public let nullDeviance: Double
    /// Full training log-likelihood (nats, summed over observations); gaussian uses `variance`.
    public internal(set) var logLikelihood: Double
    /// Gaussian: ML residual variance SSE/N on the training data; nil for poisson.
    public let variance: Double?
    /// N, training observations.
    public let observations: Int

    public var intercept: Double { addIntercept ? coefficients[0] : 0 }
    /// [P] weights without the intercept.
    public var weights: [Double] { addIntercept ? Array(coefficients.dropFirst()) : coefficients }
    public var featureCount: Int { coefficients.count - (addIntercept ? 1 : 0) }

    /// The observation model that scores this fit (Poisson, or Gaussian with the training variance).
    public var observationModel: any ObservationModel {
        family == .poisson ? PoissonObservation() : GaussianObservation(variance: [variance ?? 1])
    }

    /// η = Xw + b + offset for X [N, P] row-major; returns [N].
    public func linearPredictor(X: [Double], rows n: Int, offset: [Double]? = nil) -> [Double] {
        let p = featureCount
        precondition(X.count == n * p, "GLMFit: X has \(X.count) values, expected \(n)×\(p)")
        precondition(offset == nil || offset!.count == n, "GLMFit: offset has \(offset!.count) values, expected \(n)")
        var eta = [Double](repeating: intercept, count: n)
        if let o = offset { for i in 0..<n { eta[i] += o[i] } }
        if p > 0 && n > 0 {
            let w = weights
            X.withUnsafeBufferPointer { x in w.withUnsafeBufferPointer { pw in eta.withUnsafeMutableBufferPointer { e in
                BLAS.dgemm(transposeA: false, transposeB: false, m: n, n: 1, k: p, alpha: 1, a: x.baseAddress!, lda: p,
                           b: pw.baseAddress!, ldb: 1, beta: 1, c: e.baseAddress!, ldc: 1)
            } } }
        }
        return eta
    }

    /// Predicted means μ = g⁻¹(η), [N].
    public func predict(X: [Double], rows n: Int, offset: [Double]? = nil) -> [Double] {
        let eta = linearPredictor(X: X, rows: n, offset: offset)
        return family == .poisson ? eta.map { Foundation.exp($0) } : eta
    }

    /// Full log-likelihood Σ log p(y | μ) of responses y [N] (nats); gaussian uses the training variance.
    public func logLikelihood(X: [Double], rows n: Int, y: [Double], offset: [Double]? = nil) -> Double {
        precondition(y.count == n)
        return logLikelihood(y: y, eta: linearPredictor(X: X, rows: n, offset: offset))
    }

    /// Unpenalised deviance of responses y [N] under this fit.
    public func deviance(X: [Double], rows n: Int, y: [Double], offset: [Double]? = nil) -> Double {
        precondition(y.count == n)
        let eta = linearPredictor(X: X, rows: n, offset: offset)
        var d = 0.0
        for i in 0..<n {
            d += family == .poisson ? PoissonObservation.unitDevianceFromEta(y: y[i], eta: eta[i]) : (y[i] - eta[i]) * (y[i] - eta[i])
        }
        return d
    }

    /// Mean log-likelihood per observation (nats) — the held-out score.
    public func score(X: [Double], rows n: Int, y: [Double], offset: [Double]? = nil) -> Double {
        logLikelihood(X: X, rows: n, y: y, offset: offset) / Double(max(n, 1))
    }

    func logLikelihood(y: [Double], eta: [Double]) -> Double {
        var ll = 0.0
        switch family {
        case .poisson:
            // y·η − e^η − log y!  (η directly: no log of an underflowed μ).
            for i in 0..<y.count { ll += y[i] * eta[i] - Foundation.exp(eta[i]) - SpecialFunctions.logFactorial(y[i]) }
        case .gaussian:
            let v = variance ?? 1
            let c = 0.5 * Foundation.log(2 * Double.pi * v)
            for i in 0..<y.count { let r = y[i] - eta[i]; ll -= c + 0.5 * r * r / v }
        }
        return ll
    }
}

extension PoissonObservation {
    /// Poisson unit deviance from the linear predictor (log link): 2[y(log y − η) − y + e^η].
    @inline(__always)
    static func unitDevianceFromEta(y: Double, eta: Double) -> Double {
        2 * ((y > 0 ? y * (Foundation.log(y) - eta) : 0) - y + Foundation.exp(eta))
    }
}

/// The design with its intercept column: values [N, Q] row-major, ones in column 0 when
/// `hasIntercept`. Shared by all units and all λ of a ridge path.
final class GLMDesign {
    let n: Int, p: Int, q: Int
    let hasIntercept: Bool
    let values: [Double]
    /// Index of the first penalised coefficient (1 with an intercept, else 0).
    var firstPenalised: Int { hasIntercept ? 1 : 0 }

    init(X: [Double], rows n: Int, columns p: Int, addIntercept: Bool) throws {
        guard n > 0, p >= 0 else { throw GLMError.invalidOption("the design needs at least one row (got \(n) × \(p))") }
        guard X.count == n * p else { throw GLMError.shapeMismatch(what: "X (\(n) × \(p))", expected: n * p, got: X.count) }
        guard addIntercept || p > 0 else { throw GLMError.invalidOption("a model with no intercept and no features has nothing to fit") }
        for i in 0..<X.count where !X[i].isFinite { throw GLMError.nonFinite(what: "X", index: i) }
        self.n = n; self.p = p; hasIntercept = addIntercept; q = p + (addIntercept ? 1 : 0)
        if addIntercept {
            var v = [Double](repeating: 1, count: n * q)
            for i in 0..<n { for j in 0..<p { v[i * q + 1 + j] = X[i * p + j] } }
            values = v
        } else {
            values = X
        }
    }

    /// XᵀX [Q, Q] (computed once, used by the gaussian family).
    lazy var gram: [Double] = {
        var g = [Double](repeating: 0, count: q * q)
        values.withUnsafeBufferPointer { x in g.withUnsafeMutableBufferPointer { pg in
            BLAS.dsyrk(transpose: true, n: q, k: n, alpha: 1, a: x.baseAddress!, lda: q, beta: 0, c: pg.baseAddress!, ldc: q)
            BLAS.fillSymmetric(n: q, c: pg.baseAddress!, ldc: q)
        } }
        return g
    }()

    /// η = X β + offset, [N].
    func linearPredictor(_ beta: [Double], offset: [Double]?) -> [Double] {
        var eta = offset ?? [Double](repeating: 0, count: n)
        linearPredictor(beta, offset: offset, into: &eta)
        return eta
    }

    func linearPredictor(_ beta: [Double], offset: [Double]?, into eta: inout [Double]) {
        if let o = offset { for i in 0..<n { eta[i] = o[i] } } else { for i in 0..<n { eta[i] = 0 } }
        values.withUnsafeBufferPointer { x in beta.withUnsafeBufferPointer { b in eta.withUnsafeMutableBufferPointer { e in
            BLAS.dgemm(transposeA: false, transposeB: false, m: n, n: 1, k: q, alpha: 1, a: x.baseAddress!, lda: q,
                       b: b.baseAddress!, ldb: 1, beta: 1, c: e.baseAddress!, ldc: 1)
        } } }
    }
}

/// Newton / IRLS for the Poisson family with its buffers, reused across units.
struct PoissonNewtonSolver {
    let design: GLMDesign
    let ridge: Double, tolerance: Double, maxIterations: Int
    private var eta: [Double], trialEta: [Double]   // [N]
    private var weighted: [Double]                   // [N, Q]: √μ_i · X_i
    private var hessian: [Double]                    // [Q, Q]
    private var gradient: [Double]                   // [Q]
    private var residual: [Double]                   // [N]: y − μ

    init(design: GLMDesign, ridge: Double, tolerance: Double, maxIterations: Int) {
        self.design = design; self.ridge = ridge; self.tolerance = tolerance; self.maxIterations = maxIterations
        eta = [Double](repeating: 0, count: design.n); trialEta = eta
        weighted = [Double](repeating: 0, count: design.n * design.q)
        hessian = [Double](repeating: 0, count: design.q * design.q)
        gradient = [Double](repeating: 0, count: design.q)
        residual = eta
    }

    /// Penalised deviance D(β) + 2λ‖w‖² at the linear predictor `eta`.
    private func penalisedDeviance(y: [Double], eta: [Double], beta: [Double]) -> Double {
        var d = 0.0
        for i in 0..<y.count { d += PoissonObservation.unitDevianceFromEta(y: y[i], eta: eta[i]) }
        var pen = 0.0
        for j in design.firstPenalised..<design.q { pen += beta[j] * beta[j] }
        return d + 2 * ridge * pen
    }

    mutating func solve(y: [Double], offset: [Double]?, start: [Double]?, unit: Int) throws
        -> (coefficients: [Double], iterations: Int, converged: Bool) {
        let n = design.n, q = design.q
        var beta: [Double]
        if let s = start, s.count == q {
            beta = s
        } else {
            beta = [Double](repeating: 0, count: q)
            if design.hasIntercept {
                // Intercept-only MLE: e^b Σ e^offset = Σ y.
                var sy = 0.0, se = 0.0
                for i in 0..<n { sy += y[i]; se += Foundation.exp(offset?[i] ?? 0) }
                beta[0] = Foundation.log(sy / se)
            }
        }
        design.linearPredictor(beta, offset: offset, into: &eta)
        var dev = penalisedDeviance(y: y, eta: eta, beta: beta)
        guard dev.isFinite else { throw GLMError.diverged(unit: unit, iteration: 0) }
        for iteration in 1...maxIterations {
            // Gradient of ½·penalised deviance (negated): Xᵀ(y − μ) − 2λw; Hessian XᵀWX + 2λI_w.
            let x = design.values
            x.withUnsafeBufferPointer { px in weighted.withUnsafeMutableBufferPointer { pw in
                for i in 0..<n {
                    let s = Foundation.exp(0.5 * eta[i])               // √μ_i
                    let row = i * q
                    for j in 0..<q { pw[row + j] = s * px[row + j] }
                }
            } }
            for i in 0..<n { residual[i] = y[i] - Foundation.exp(eta[i]) }
            x.withUnsafeBufferPointer { px in residual.withUnsafeBufferPointer { pr in gradient.withUnsafeMutableBufferPointer { pg in
                BLAS.dgemm(transposeA: true, transposeB: false, m: q, n: 1, k: n, alpha: 1, a: px.baseAddress!, lda: q,
                           b: pr.baseAddress!, ldb: 1, beta: 0, c: pg.baseAddress!, ldc: 1)
            } } }
            weighted.withUnsafeBufferPointer { pw in hessian.withUnsafeMutableBufferPointer { ph in
                // Lower triangle only (dsyrk, half a dgemm's flops): the Cholesky reads no more.
                BLAS.dsyrk(transpose: true, n: q, k: n, alpha: 1, a: pw.baseAddress!, lda: q, beta: 0, c: ph.baseAddress!, ldc: q)
            } }
            for j in design.firstPenalised..<q {
                hessian[j * q + j] += 2 * ridge
                gradient[j] -= 2 * ridge * beta[j]
            }
            let step: [Double]
            do { step = try LAPACK.choleskySolve(hessian, gradient, n: q) } catch { throw GLMError.singular(unit: unit, order: q) }

            // Step-halving on the penalised deviance.
            var t = 1.0
            var trial = beta
            var trialDev = Double.infinity
            for _ in 0...40 {
                for j in 0..<q { trial[j] = beta[j] + t * step[j] }
                design.linearPredictor(trial, offset: offset, into: &trialEta)
                trialDev = penalisedDeviance(y: y, eta: trialEta, beta: trial)
                if trialDev.isFinite && trialDev <= dev * (1 + 1e-15) + 1e-300 { break }
                t *= 0.5
            }
            guard trialDev.isFinite else { throw GLMError.diverged(unit: unit, iteration: iteration) }
            let change = abs(trialDev - dev) / (abs(trialDev) + 0.1)
            if trialDev > dev {
                // No decrease even after 40 halvings: at the optimum to rounding error.
                return (beta, iteration, change < tolerance)
            }
            beta = trial
            swap(&eta, &trialEta)
            dev = trialDev
            if change < tolerance { return (beta, iteration, true) }
        }
        return (beta, maxIterations, false)
    }
}
