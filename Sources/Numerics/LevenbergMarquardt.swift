// Levenberg–Marquardt for small dense nonlinear least squares, min_p ½‖r(p)‖², in Double.
//
// Each iteration solves the damped normal equations
//     (JᵀJ + λ·D) δ = −Jᵀr,      D = diag(d),  d_j = max over iterations of (JᵀJ)_jj
// — Marquardt's scaling (damping proportional to the curvature of each parameter, so the step
// does not depend on the units of the parameters) with Moré's non-decreasing update of d, which
// keeps the damping from collapsing on a parameter whose curvature vanishes momentarily. A step is
// accepted when it lowers the cost; λ then follows the gain ratio ϱ = actual / predicted reduction
// (Nielsen 1999; Madsen, Nielsen & Tingleff 2004, eq. 3.16): λ ← λ·max(1/3, 1 − (2ϱ − 1)³), ν ← 2;
// a rejected (or inadmissible) step sets λ ← λ·ν, ν ← 2ν.
// Predicted reduction of the linear model: ½ δᵀ(λ·D·δ − Jᵀr).
// The n×n system (n ≈ 9 here) is solved by Cholesky (LAPACK dpotrf + dpotrs).
import Foundation
import Tensors

/// A least-squares problem: residuals r(p) [m] and their Jacobian J [m, n] (row-major,
/// J[i·n + j] = ∂r_i/∂p_j) for parameters p [n].
public protocol LeastSquaresProblem {
    var parameterCount: Int { get }
    var residualCount: Int { get }
    /// Fills `residuals` [m]; when `computeJacobian`, also `jacobian` [m·n]. Both arrays arrive
    /// with the right sizes and are overwritten.
    func evaluate(_ p: [Double], residuals: inout [Double], jacobian: inout [Double], computeJacobian: Bool)
    /// Whether p lies in the region where the model is meaningful (steps outside are rejected).
    func isAdmissible(_ p: [Double]) -> Bool
}

extension LeastSquaresProblem {
    public func isAdmissible(_ p: [Double]) -> Bool { true }
}

public struct LevenbergMarquardt: Sendable {
    public enum StopReason: String, Sendable {
        case gradient       // ‖Jᵀr‖∞ ≤ gradientTolerance
        case step           // ‖δ‖ ≤ stepTolerance·(‖p‖ + stepTolerance)
        case cost           // relative cost reduction of an accepted step ≤ costTolerance
        case noProgress     // λ grew past 1e16 without an acceptable step
        case maxIterations
    }

    public struct Result: Sendable {
        public let parameters: [Double]
        /// ½‖r‖² at `parameters`.
        public let cost: Double
        public let iterations: Int
        public let stopReason: StopReason
    }

    public var maxIterations: Int
    public var gradientTolerance: Double
    public var stepTolerance: Double
    public var costTolerance: Double
    /// λ₀, relative to the Marquardt scaling D.
    public var initialDamping: Double

    public init(maxIterations: Int = 200, gradientTolerance: Double = 1e-10, stepTolerance: Double = 1e-10,
                costTolerance: Double = 1e-12, initialDamping: Double = 1e-3) {
        self.maxIterations = maxIterations; self.gradientTolerance = gradientTolerance
        self.stepTolerance = stepTolerance; self.costTolerance = costTolerance
        self.initialDamping = initialDamping
    }

    public func minimize<P: LeastSquaresProblem>(_ problem: P, from start: [Double]) -> Result {
        let n = problem.parameterCount, m = problem.residualCount
        precondition(start.count == n, "start has \(start.count) parameters, problem has \(n)")
        precondition(n > 0 && m > 0, "a least-squares problem needs parameters and residuals (got \(n), \(m))")
        var p = start
        var r = [Double](repeating: 0, count: m)            // (m)
        var jac = [Double](repeating: 0, count: m * n)      // (m, n)
        var rTrial = r, unusedJacobian = [Double]()
        var jtj = [Double](repeating: 0, count: n * n)      // (n, n)
        var g = [Double](repeating: 0, count: n)            // Jᵀr (n)
        var d = [Double](repeating: 0, count: n)            // Marquardt scaling (n)
        var system = jtj, delta = g, pTrial = p

        problem.evaluate(p, residuals: &r, jacobian: &jac, computeJacobian: true)
        var cost = 0.5 * r.reduce(0) { $0 + $1 * $1 }
        var lambda = initialDamping, nu = 2.0
        var needNormal = true
        var iteration = 0
        var reason = StopReason.maxIterations

        while iteration < maxIterations {
            iteration += 1
            if needNormal {
                // JᵀJ (dsyrk, both triangles filled) and Jᵀr from the current Jacobian.
                jac.withUnsafeBufferPointer { pj in
                    jtj.withUnsafeMutableBufferPointer { pa in
                        BLAS.dsyrk(transpose: true, n: n, k: m, alpha: 1, a: pj.baseAddress!, lda: n, beta: 0, c: pa.baseAddress!, ldc: n)
                        BLAS.fillSymmetric(n: n, c: pa.baseAddress!, ldc: n)
                    }
                    r.withUnsafeBufferPointer { pr in g.withUnsafeMutableBufferPointer { pg in
                        BLAS.dgemm(transposeA: true, transposeB: false, m: n, n: 1, k: m, alpha: 1, a: pj.baseAddress!, lda: n,
                                   b: pr.baseAddress!, ldb: 1, beta: 0, c: pg.baseAddress!, ldc: 1)
                    } }
                }
                var dmax = 0.0
                for j in 0..<n { d[j] = max(d[j], jtj[j * n + j]); dmax = max(dmax, d[j]) }
                // Floor for parameters with no curvature yet, so the damped system stays definite.
                for j in 0..<n { d[j] = max(d[j], 1e-12 * max(dmax, 1e-300)) }
                needNormal = false
                if (g.map { abs($0) }.max() ?? 0) <= gradientTolerance { reason = .gradient; break }
            }

            system = jtj
            for j in 0..<n { system[j * n + j] += lambda * d[j] }
            for j in 0..<n { delta[j] = -g[j] }
            guard let solved = try? LAPACK.choleskySolve(system, delta, n: n), solved.allSatisfy(\.isFinite) else {
                lambda *= nu; nu *= 2
                if lambda > 1e16 { reason = .noProgress; break }
                continue
            }
            delta = solved
            var stepNorm = 0.0, pNorm = 0.0
            for j in 0..<n { stepNorm += delta[j] * delta[j]; pNorm += p[j] * p[j] }
            stepNorm = stepNorm.squareRoot(); pNorm = pNorm.squareRoot()
            if stepNorm <= stepTolerance * (pNorm + stepTolerance) { reason = .step; break }

            for j in 0..<n { pTrial[j] = p[j] + delta[j] }
            var accepted = false
            if problem.isAdmissible(pTrial) {
                problem.evaluate(pTrial, residuals: &rTrial, jacobian: &unusedJacobian, computeJacobian: false)
                let trialCost = 0.5 * rTrial.reduce(0) { $0 + $1 * $1 }
                var predicted = 0.0
                for j in 0..<n { predicted += delta[j] * (lambda * d[j] * delta[j] - g[j]) }
                predicted *= 0.5
                let actual = cost - trialCost
                if trialCost.isFinite && actual > 0 && predicted > 0 {
                    let rho = actual / predicted
                    let t = 2 * rho - 1
                    lambda *= max(1.0 / 3.0, 1 - t * t * t)
                    nu = 2
                    let relative = actual / max(cost, 1e-300)
                    swap(&p, &pTrial)
                    cost = trialCost
                    problem.evaluate(p, residuals: &r, jacobian: &jac, computeJacobian: true)
                    needNormal = true
                    accepted = true
                    if relative <= costTolerance { reason = .cost; break }
                }
            }
            if !accepted {
                lambda *= nu; nu *= 2
                if lambda > 1e16 { reason = .noProgress; break }
            }
        }
        return Result(parameters: p, cost: cost, iterations: iteration, stopReason: reason)
    }
}
