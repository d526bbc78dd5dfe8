// Poisson observations (spike counts) and the quasi-Poisson variant.
//
// Notes
//   log p(y | λ) = y log λ − λ − log Γ(y + 1)            (full likelihood, nats)
//   ∂(−log p)/∂λ = 1 − y/λ
//   unit deviance d = 2[y log(y/λ) − (y − λ)], with 0·log 0 = 0
//   P(Y ≤ k) = Q(k + 1, λ) (regularized upper incomplete gamma)
// λ is clamped at ObservationConstants.meanFloor = 1e-8 wherever its log (or 1/λ) is taken; the
// linear −λ term uses λ itself.
import Foundation
import Tensors
import Numerics

/// Poisson observation model: no nuisance parameters.
public struct PoissonObservation: ObservationModel {
    public init() {}

    public var kind: ObservationKind { .poisson }
    public var name: String { kind.rawValue }
    public var isDiscrete: Bool { true }
    public var isQuasi: Bool { false }
    public var unitCount: Int { 0 }
    public var parameters: ObservationParameters { ObservationParameters(kind: .poisson, perUnit: []) }

    @inline(__always)
    public func logLikelihood(y: Double, mean: Double, unit: Int) -> Double {
        PoissonObservation.logPMF(y: y, mean: mean)
    }

    /// log p(y | λ), full, with the λ floor (see the file header).
    @inline(__always)
    public static func logPMF(y: Double, mean: Double) -> Double {
        let logTerm = y == 0 ? 0 : y * Foundation.log(max(mean, ObservationConstants.meanFloor))
        return logTerm - mean - SpecialFunctions.logFactorial(y)
    }

    @inline(__always)
    public func negativeLogLikelihoodGradient(y: Float, mean: Float, unit: Int) -> Float {
        1 - y / max(mean, Float(ObservationConstants.meanFloor))
    }

    public func lossAndGradient(y: UnsafePointer<Float>, mean: UnsafePointer<Float>, dMean: UnsafeMutablePointer<Float>,
                                count: Int, units: Int, scale: Float) -> Double {
        PoissonObservation.poissonLossAndGradient(y: y, mean: mean, dMean: dMean, n: count * units, scale: scale)
    }

    /// Σ −log p over n elements; dMean[i] = scale·(1 − y/λ). Shared with quasi-Poisson.
    static func poissonLossAndGradient(y: UnsafePointer<Float>, mean: UnsafePointer<Float>, dMean: UnsafeMutablePointer<Float>,
                                       n: Int, scale: Float) -> Double {
        let floor = ObservationConstants.meanFloor
        let tableSize = SpecialFunctions.logFactorialTableSize
        return SpecialFunctions.logFactorialTable.withUnsafeBufferPointer { table -> Double in
            var loss = 0.0
            for i in 0..<n {
                let yi = Double(y[i]), m = Double(mean[i])
                let mc = max(m, floor)
                var nll = m
                if yi != 0 {
                    let k = Int(yi)
                    let logFact = (Double(k) == yi && k >= 0 && k < tableSize) ? table[k] : SpecialFunctions.logGamma(yi + 1)
                    nll += logFact - yi * Foundation.log(mc)
                }
                loss += nll
                dMean[i] = scale * Float(1 - yi / mc)
            }
            return Double(scale) * loss
        }
    }

    public func deviance(y: Double, mean: Double, unit: Int) -> Double {
        PoissonObservation.unitDeviance(y: y, mean: mean)
    }

    @inline(__always)
    static func unitDeviance(y: Double, mean: Double) -> Double {
        let mc = max(mean, ObservationConstants.meanFloor)
        let t = y > 0 ? y * Foundation.log(y / mc) : 0
        return 2 * (t - (y - mean))
    }

    public func cdf(y: Double, mean: Double, unit: Int) -> Double { PoissonObservation.cdf(y: y, mean: mean) }

    /// P(Y ≤ y) = Q(⌊y⌋ + 1, λ); 0 for y < 0, 1 when λ = 0 and y ≥ 0.
    static func cdf(y: Double, mean: Double) -> Double {
        if y < 0 { return 0 }
        if mean <= 0 { return 1 }
        return SpecialFunctions.regularizedGammaQ(Foundation.floor(y) + 1, mean)
    }

    public func sample(mean: Double, unit: Int, rng: inout SeededRandom) -> Double {
        Double(rng.poisson(max(mean, 0)))
    }

    /// Nothing to estimate: checks the inputs only.
    public mutating func fitNuisance(y: [Double], mean: [Double], units: Int, parametersPerUnit: Int) throws {
        try checkNuisanceInput(y: y, mean: mean, units: units, expectedUnits: units)
    }
}

/// Quasi-Poisson: the Poisson score and log-likelihood with a per-unit dispersion φ_u (variance
/// φ·μ) estimated as Pearson χ²/(N − p) on training data:
///   φ_u = Σ_n (y_nu − μ_nu)² / μ_nu / (N − p).
/// `logLikelihood` reports the Poisson log-likelihood (`isQuasi` is true: reports say "quasi");
/// the gradient is the Poisson one (the estimating equations do not depend on φ). φ is used by
/// `sample` and is what inflates standard errors. `sample` draws from the moment-matched
/// negative binomial (r = μ/(φ − 1)) when φ > 1 and from the Poisson when φ ≤ 1 (it cannot make
/// counts under-dispersed). `cdf` (for the PIT) is the Poisson CDF.
public struct QuasiPoissonObservation: ObservationModel {
    /// φ_u per unit, [U], dimensionless (1 = Poisson variance).
    public private(set) var dispersion: [Double]

    public init(units: Int) { dispersion = [Double](repeating: 1, count: units) }
    public init(dispersion: [Double]) { self.dispersion = dispersion }

    public var kind: ObservationKind { .quasiPoisson }
    public var name: String { kind.rawValue }
    public var isDiscrete: Bool { true }
    public var isQuasi: Bool { true }
    public var unitCount: Int { dispersion.count }
    public var parameters: ObservationParameters { ObservationParameters(kind: .quasiPoisson, perUnit: dispersion) }

    public func logLikelihood(y: Double, mean: Double, unit: Int) -> Double { PoissonObservation.logPMF(y: y, mean: mean) }

    public func negativeLogLikelihoodGradient(y: Float, mean: Float, unit: Int) -> Float {
        1 - y / max(mean, Float(ObservationConstants.meanFloor))
    }

    public func lossAndGradient(y: UnsafePointer<Float>, mean: UnsafePointer<Float>, dMean: UnsafeMutablePointer<Float>,
                                count: Int, units: Int, scale: Float) -> Double {
        PoissonObservation.poissonLossAndGradient(y: y, mean: mean, dMean: dMean, n: count * units, scale: scale)
    }

    public func deviance(y: Double, mean: Double, unit: Int) -> Double { PoissonObservation.unitDeviance(y: y, mean: mean) }

    public func cdf(y: Double, mean: Double, unit: Int) -> Double { PoissonObservation.cdf(y: y, mean: mean) }

    public func sample(mean: Double, unit: Int, rng: inout SeededRandom) -> Double {
        let m = max(mean, 0), phi = dispersion[unit]
        if phi > 1 && m > 0 { return Double(rng.negativeBinomial(mean: m, dispersion: m / (phi - 1))) }
        return Double(rng.poisson(m))
    }

    public mutating func fitNuisance(y: [Double], mean: [Double], units: Int, parametersPerUnit: Int) throws {
        try checkNuisanceInput(y: y, mean: mean, units: units, expectedUnits: units)
        let n = y.count / units
        let dof = n - parametersPerUnit
        guard dof > 0 else { throw ObservationModelError.tooFewObservations(kind: kind, observations: n, parameters: parametersPerUnit) }
        let observed = ResponseMatrix(rows: n, columns: units, values: y)
        let predicted = ResponseMatrix(rows: n, columns: units, values: mean)
        var chi2 = [Double](repeating: 0, count: units)
        for t in 0..<n {
            for u in 0..<units {
                let m = max(predicted[t, u], ObservationConstants.meanFloor)
                let r = observed[t, u] - predicted[t, u]
                chi2[u] += r * r / m
            }
        }
        // φ floored at 1e-12 so that a unit fitted exactly keeps a valid (positive) parameter.
        dispersion = chi2.map { max($0 / Double(dof), 1e-12) }
    }
}
