// Largest-magnitude eigenvalue of a symmetric linear operator given only as v ↦ A·v, by power
// iteration from a seeded random unit vector:
//   v ← A v / ‖A v‖,  λ = vᵀ A v (Rayleigh quotient), until |λ_t − λ_{t−1}| ≤ tol·|λ_t|.
// Used for the sharpness of a fitted model (top Hessian eigenvalue of the loss, thesis eq. 6-4)
// with Hessian-vector products as the operator.
import Foundation
import Tensors

public struct EigenEstimate: Sendable, Codable, Equatable {
    /// Rayleigh quotient vᵀAv at the last iterate (signed).
    public let value: Double
    public let iterations: Int
    public let converged: Bool
    /// |λ_t − λ_{t−1}| / |λ_t| at the end.
    public let relativeChange: Double
}

public enum PowerIteration {
    public static func topEigenvalue(dimension n: Int, maxIterations: Int = 100, tolerance: Double = 1e-4, seed: UInt64 = 0,
                                     apply: ([Double]) throws -> [Double]) rethrows -> (estimate: EigenEstimate, vector: [Double]) {
        precondition(n > 0)
        var rng = SeededRandom(seed: seed)
        var v = (0..<n).map { _ in rng.normal() }
        normalize(&v)
        var lambda = 0.0, previous = Double.nan, change = Double.infinity
        var it = 0
        var converged = false
        while it < maxIterations {
            it += 1
            let av = try apply(v)
            precondition(av.count == n, "operator returned \(av.count) values for dimension \(n)")
            lambda = zip(v, av).reduce(0) { $0 + $1.0 * $1.1 }
            var w = av
            let norm = normalize(&w)
            if previous.isFinite {
                change = abs(lambda - previous) / max(abs(lambda), 1e-300)
                if change <= tolerance { converged = true; v = w; break }
            }
            previous = lambda
            if norm == 0 { converged = true; change = 0; break }     // A v = 0: eigenvalue 0
            v = w
        }
        return (EigenEstimate(value: lambda, iterations: it, converged: converged, relativeChange: change), v)
    }

    @discardableResult
    static func normalize(_ v: inout [Double]) -> Double {
        let s = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if s > 0 { for i in v.indices { v[i] /= s } }
        return s
    }
}
