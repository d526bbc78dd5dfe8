// Gaussian observations (fMRI responses, or any continuous response) with a per-unit variance.
//
// Notes
//   log p(y | μ) = −½ log(2πσ²_u) − (y − μ)²/(2σ²_u)       (full, nats)
//   ∂(−log p)/∂μ = (μ − y)/σ²_u
//   unit deviance d = (y − μ)² (unscaled, as statsmodels' Gaussian family)
//   σ²_u = Σ_n (y_nu − μ_nu)² / (N − p) from training residuals (p = 0: the ML estimate)
// Until `fitNuisance` runs, σ²_u = 1, so training minimises ½·squared error (plus a constant).
import Foundation
import Tensors
import Numerics

public struct GaussianObservation: ObservationModel {
    /// σ²_u per unit, [U], in squared response units.
    public private(set) var variance: [Double]
    /// 1/σ²_u, [U] (kept so the batched loss does no division or log per element).
    private var inverseVariance: [Double]
    /// ½ log(2πσ²_u), [U].
    private var logNormalizer: [Double]

    public init(units: Int) { self.init(variance: [Double](repeating: 1, count: units)) }

    public init(variance: [Double]) {
        self.variance = variance
        inverseVariance = variance.map { 1 / $0 }
        logNormalizer = variance.map { 0.5 * Foundation.log(2 * Double.pi * $0) }
    }

    public var kind: ObservationKind { .gaussian }
    public var name: String { kind.rawValue }
    public var isDiscrete: Bool { false }
    public var isQuasi: Bool { false }
    public var unitCount: Int { variance.count }
    public var parameters: ObservationParameters { ObservationParameters(kind: .gaussian, perUnit: variance) }

    public func logLikelihood(y: Double, mean: Double, unit: Int) -> Double {
        let r = y - mean
        return -logNormalizer[unit] - 0.5 * r * r * inverseVariance[unit]
    }

    public func negativeLogLikelihoodGradient(y: Float, mean: Float, unit: Int) -> Float {
        Float(Double(mean - y) * inverseVariance[unit])
    }

    public func lossAndGradient(y: UnsafePointer<Float>, mean: UnsafePointer<Float>, dMean: UnsafeMutablePointer<Float>,
                                count: Int, units: Int, scale: Float) -> Double {
        precondition(units == variance.count, "Gaussian observation model has \(variance.count) units, buffers have \(units)")
        return inverseVariance.withUnsafeBufferPointer { iv in logNormalizer.withUnsafeBufferPointer { ln in
            var loss = 0.0
            for b in 0..<count {
                let row = b * units
                for u in 0..<units {
                    let r = Double(mean[row + u]) - Double(y[row + u])
                    loss += ln[u] + 0.5 * r * r * iv[u]
                    dMean[row + u] = scale * Float(r * iv[u])
                }
            }
            return Double(scale) * loss
        } }
    }

    public func deviance(y: Double, mean: Double, unit: Int) -> Double { (y - mean) * (y - mean) }

    public func cdf(y: Double, mean: Double, unit: Int) -> Double {
        SpecialFunctions.normalCDF((y - mean) * inverseVariance[unit].squareRoot())
    }

    public func sample(mean: Double, unit: Int, rng: inout SeededRandom) -> Double {
        rng.normal(mean: mean, std: variance[unit].squareRoot())
    }

    public mutating func fitNuisance(y: [Double], mean: [Double], units: Int, parametersPerUnit: Int) throws {
        try checkNuisanceInput(y: y, mean: mean, units: units, expectedUnits: variance.count)
        let n = y.count / units
        let dof = n - parametersPerUnit
        guard dof > 0 else { throw ObservationModelError.tooFewObservations(kind: kind, observations: n, parameters: parametersPerUnit) }
        let observed = ResponseMatrix(rows: n, columns: units, values: y)
        let predicted = ResponseMatrix(rows: n, columns: units, values: mean)
        var sse = [Double](repeating: 0, count: units)
        for t in 0..<n {
            for u in 0..<units {
                let r = observed[t, u] - predicted[t, u]
                sse[u] += r * r
            }
        }
        // Floored so that a unit predicted exactly keeps a finite log-likelihood.
        self = GaussianObservation(variance: sse.map { max($0 / Double(dof), ObservationConstants.varianceFloor) })
    }
}
