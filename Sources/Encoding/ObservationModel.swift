// The observation model: the distribution p(y | μ) of a unit's response given the predicted mean
// μ (after the link), with per-unit nuisance parameters (Gaussian variance, negative-binomial
// dispersion, quasi-Poisson dispersion). A small contract in the spirit of nemos: full
// log-likelihood, its gradient in μ for the trainer, deviance, CDF (for calibration), sampling,
// and fitting the nuisance parameters on training residuals.
//
// Shape letters: B batch (trials in a batch), U units, T trials, N observations.
// Buffers are row-major [B, U]: element (b, u) at b·U + u, and unit u uses nuisance[u].
import Foundation
import Tensors

/// Which observation family. Raw values are what model files and `--observation` use.
public enum ObservationKind: String, Codable, CaseIterable, Sendable {
    case poisson
    case gaussian
    case negativeBinomial = "negative-binomial"
    case quasiPoisson = "quasi-poisson"

    /// A model of this kind for `units` units with default nuisance parameters (variance 1,
    /// dispersion r = 1 for the negative binomial, φ = 1), to be replaced by `fitNuisance`.
    public func makeModel(units: Int) -> any ObservationModel {
        switch self {
        case .poisson: return PoissonObservation()
        case .gaussian: return GaussianObservation(units: units)
        case .negativeBinomial: return NegativeBinomialObservation(units: units)
        case .quasiPoisson: return QuasiPoissonObservation(units: units)
        }
    }
}

/// Numerical constants shared by the observation models.
public enum ObservationConstants {
    /// Count models take log(max(μ, meanFloor)): a predicted mean of 0 (a link underflow) with
    /// an observed count y > 0 then costs y·log(1e-8) ≈ −18.4·y nats instead of −∞, and the
    /// gradient 1 − y/μ stays finite. Means ≥ 1e-8 are untouched.
    public static let meanFloor: Double = 1e-8
    /// Smallest variance a Gaussian unit may have (a unit whose training residuals are all 0
    /// would otherwise get σ² = 0 and an infinite log-likelihood).
    public static let varianceFloor: Double = 1e-12
}

/// Serializable per-unit nuisance parameters: what a model file stores to rebuild the model.
/// JSON: `{"kind": "negative-binomial", "per_unit": [r_0, r_1, …]}`; `per_unit` holds the
/// variance σ²_u (gaussian, response units²), the dispersion r_u (negative-binomial; variance
/// μ + μ²/r), the dispersion φ_u (quasi-poisson; variance φ·μ) and is empty for poisson.
public struct ObservationParameters: Codable, Equatable, Sendable {
    public var kind: ObservationKind
    public var perUnit: [Double]

    public init(kind: ObservationKind, perUnit: [Double]) {
        self.kind = kind
        self.perUnit = perUnit
    }

    enum CodingKeys: String, CodingKey { case kind, perUnit = "per_unit" }

    /// Rebuilds the model; a wrong number or an invalid value is a typed error.
    public func makeModel() throws -> any ObservationModel {
        for (u, v) in perUnit.enumerated() where !(v.isFinite && v > 0) {
            throw ObservationModelError.invalidParameter(kind: kind, unit: u, value: v)
        }
        switch kind {
        case .poisson:
            guard perUnit.isEmpty else { throw ObservationModelError.parameterCount(kind: kind, expected: 0, got: perUnit.count) }
            return PoissonObservation()
        case .gaussian: return GaussianObservation(variance: perUnit)
        case .negativeBinomial: return NegativeBinomialObservation(dispersion: perUnit)
        case .quasiPoisson: return QuasiPoissonObservation(dispersion: perUnit)
        }
    }
}

public enum ObservationModelError: Error, CustomStringConvertible, Equatable {
    case invalidParameter(kind: ObservationKind, unit: Int, value: Double)
    case parameterCount(kind: ObservationKind, expected: Int, got: Int)
    case shapeMismatch(what: String, expected: Int, got: Int)
    case tooFewObservations(kind: ObservationKind, observations: Int, parameters: Int)
    case nonFinite(what: String, index: Int, value: Double)

    public var description: String {
        switch self {
        case .invalidParameter(let k, let u, let v):
            return "\(k.rawValue) observation model: parameter of unit \(u) is \(v); it must be finite and positive"
        case .parameterCount(let k, let e, let g):
            return "\(k.rawValue) observation model: expected \(e) per-unit parameters, got \(g)"
        case .shapeMismatch(let w, let e, let g):
            return "observation model: \(w) has \(g) values, expected \(e)"
        case .tooFewObservations(let k, let n, let p):
            return "\(k.rawValue) observation model: \(n) observations per unit cannot estimate a dispersion with \(p) parameters per unit"
        case .nonFinite(let w, let i, let v):
            return "observation model: \(w) has a non-finite or negative value \(v) at index \(i)"
        }
    }
}

/// The distribution of a response y given its predicted mean μ, per unit.
///
/// Conventions: `logLikelihood` is always the FULL log-likelihood (log y! and 2π terms
/// included) in nats; `negativeLogLikelihoodGradient` and `lossAndGradient` are what a trainer
/// minimises. `unit` indexes the per-unit nuisance parameters (ignored by Poisson).
public protocol ObservationModel: Sendable {
    var kind: ObservationKind { get }
    /// Display name, e.g. "poisson", "negative-binomial".
    var name: String { get }
    /// True for count models (PIT is randomised, bits/spike is defined).
    var isDiscrete: Bool { get }
    /// True when `logLikelihood` is not a likelihood of a proper distribution with the fitted
    /// dispersion (quasi-Poisson reports the Poisson log-likelihood; reports must mark it).
    var isQuasi: Bool { get }
    /// Number of units with nuisance parameters (0 for Poisson: any unit index is fine).
    var unitCount: Int { get }
    /// Nuisance parameters for model files.
    var parameters: ObservationParameters { get }

    /// Full log p(y | μ) in nats for one observation of `unit`.
    func logLikelihood(y: Double, mean: Double, unit: Int) -> Double
    /// ∂(−log p(y | μ))/∂μ for one observation.
    func negativeLogLikelihoodGradient(y: Float, mean: Float, unit: Int) -> Float
    /// Batched loss for training, over row-major [B, U] buffers (`count` = B rows, `units` = U):
    /// returns scale·Σ −log p(y | μ) (full likelihood, summed in Double) and writes (overwrites)
    /// dMean[i] = scale·∂(−log p)/∂μ[i] — the seed of the backward pass. Allocation-free.
    func lossAndGradient(y: UnsafePointer<Float>, mean: UnsafePointer<Float>, dMean: UnsafeMutablePointer<Float>,
                         count: Int, units: Int, scale: Float) -> Double
    /// Unit deviance d(y, μ) = 2[log p(y | y) − log p(y | μ)] (Gaussian: (y − μ)², unscaled,
    /// as statsmodels), so Σ d is the model deviance.
    func deviance(y: Double, mean: Double, unit: Int) -> Double
    /// P(Y ≤ y | μ). For count models y is an integer count; for the Gaussian the normal CDF.
    func cdf(y: Double, mean: Double, unit: Int) -> Double
    /// One draw from p(y | μ).
    func sample(mean: Double, unit: Int, rng: inout SeededRandom) -> Double
    /// Re-estimates the nuisance parameters from training observations y and fitted means μ,
    /// both row-major [N, U] (`units` = U). `parametersPerUnit` (p) is subtracted from N where a
    /// degrees-of-freedom correction applies (Gaussian variance SSE/(N − p): p = 0 gives the
    /// maximum-likelihood variance; quasi-Poisson φ = Pearson χ²/(N − p)). The negative
    /// binomial's r is the maximum-likelihood estimate regardless of p.
    mutating func fitNuisance(y: [Double], mean: [Double], units: Int, parametersPerUnit: Int) throws
}

extension ObservationModel {
    /// Batched loss with scale 1 (sum over the batch).
    public func lossAndGradient(y: UnsafePointer<Float>, mean: UnsafePointer<Float>, dMean: UnsafeMutablePointer<Float>,
                                count: Int, units: Int) -> Double {
        lossAndGradient(y: y, mean: mean, dMean: dMean, count: count, units: units, scale: 1)
    }

    /// Nuisance fit with the maximum-likelihood convention (no degrees-of-freedom correction).
    public mutating func fitNuisance(y: [Double], mean: [Double], units: Int) throws {
        try fitNuisance(y: y, mean: mean, units: units, parametersPerUnit: 0)
    }

    /// Σ log p over row-major [N, U] arrays (Double), in nats.
    public func totalLogLikelihood(y: [Double], mean: [Double], units: Int) -> Double {
        precondition(y.count == mean.count && units > 0 && y.count % units == 0)
        var s = 0.0
        for i in 0..<y.count { s += logLikelihood(y: y[i], mean: mean[i], unit: i % units) }
        return s
    }

    /// Σ d(y, μ) over row-major [N, U] arrays.
    public func totalDeviance(y: [Double], mean: [Double], units: Int) -> Double {
        precondition(y.count == mean.count && units > 0 && y.count % units == 0)
        var s = 0.0
        for i in 0..<y.count { s += deviance(y: y[i], mean: mean[i], unit: i % units) }
        return s
    }

    /// Shared argument checks for `fitNuisance`.
    func checkNuisanceInput(y: [Double], mean: [Double], units: Int, expectedUnits: Int) throws {
        guard units == expectedUnits else { throw ObservationModelError.shapeMismatch(what: "units", expected: expectedUnits, got: units) }
        guard y.count == mean.count else { throw ObservationModelError.shapeMismatch(what: "mean", expected: y.count, got: mean.count) }
        guard units > 0, y.count % units == 0 else { throw ObservationModelError.shapeMismatch(what: "y (a multiple of \(units) units)", expected: units * max(1, y.count / max(1, units)), got: y.count) }
        for i in 0..<y.count where !y[i].isFinite { throw ObservationModelError.nonFinite(what: "y", index: i, value: y[i]) }
        for i in 0..<mean.count where !mean[i].isFinite { throw ObservationModelError.nonFinite(what: "mean", index: i, value: mean[i]) }
    }
}
