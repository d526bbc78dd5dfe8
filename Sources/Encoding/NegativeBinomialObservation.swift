// Negative-binomial observations for over-dispersed counts, with a per-unit dispersion r
// (variance μ + μ²/r; r → ∞ is Poisson). scipy's nbinom(n = r, p = r/(r + μ)).
//
// Notes
//   log p(y | μ, r) = log Γ(y + r) − log Γ(r) − log Γ(y + 1) + r log(r/(r + μ)) + y log(μ/(r + μ))
//                   (r log(r/(r + μ)) is computed as −r·log1p(μ/r): no cancellation for large r)
//   ∂(−log p)/∂μ    = (y + r)/(r + μ) − y/μ
//   unit deviance   = 2[y log(y/μ) − (y + r) log((y + r)/(μ + r))]
//   P(Y ≤ k)        = I_p(r, k + 1), p = r/(r + μ)
//   score in r      S(r) = Σ ψ(y + r) − ψ(r) − log1p(μ/r) + (μ − y)/(r + μ)
//   S′(r)           = Σ ψ′(y + r) − ψ′(r) + 1/r − 1/(r + μ) − (μ − y)/(r + μ)²
// The dispersion MLE solves S(r) = 0 by Newton in log r, safeguarded by bisection on a bracket
// inside [minimumDispersion, maximumDispersion]; when the data are not over-dispersed
// (S > 0 up to the upper bound) r is the upper bound, i.e. practically Poisson.
// μ is floored at ObservationConstants.meanFloor wherever it is divided by or logged.
import Foundation
import Tensors
import Numerics

public struct NegativeBinomialObservation: ObservationModel {
    /// r_u per unit, [U], dimensionless (counts); variance μ + μ²/r.
    public private(set) var dispersion: [Double]
    /// log Γ(r_u), [U] (kept for the batched loss).
    private var logGammaDispersion: [Double]

    /// Bounds of the dispersion search. r = 1e8 adds μ²·1e-8 to the Poisson variance: Poisson for
    /// every practical purpose. r = 1e-6 is extreme over-dispersion.
    public static let minimumDispersion: Double = 1e-6
    public static let maximumDispersion: Double = 1e8

    /// Default r = 1 per unit (geometric), to be replaced by `fitNuisance`.
    public init(units: Int) { self.init(dispersion: [Double](repeating: 1, count: units)) }

    public init(dispersion: [Double]) {
        self.dispersion = dispersion
        logGammaDispersion = dispersion.map { SpecialFunctions.logGamma($0) }
    }

    public var kind: ObservationKind { .negativeBinomial }
    public var name: String { kind.rawValue }
    public var isDiscrete: Bool { true }
    public var isQuasi: Bool { false }
    public var unitCount: Int { dispersion.count }
    public var parameters: ObservationParameters { ObservationParameters(kind: .negativeBinomial, perUnit: dispersion) }

    public func logLikelihood(y: Double, mean: Double, unit: Int) -> Double {
        NegativeBinomialObservation.logPMF(y: y, mean: mean, dispersion: dispersion[unit], logGammaR: logGammaDispersion[unit])
    }

    /// Full log p(y | μ, r).
    @inline(__always)
    public static func logPMF(y: Double, mean: Double, dispersion r: Double, logGammaR: Double? = nil) -> Double {
        let m = max(mean, ObservationConstants.meanFloor)
        var ll = -r * Foundation.log1p(m / r)
        if y != 0 {
            ll += SpecialFunctions.logGamma(y + r) - (logGammaR ?? SpecialFunctions.logGamma(r)) - SpecialFunctions.logFactorial(y)
                + y * (Foundation.log(m) - Foundation.log(r + m))
        }
        return ll
    }

    public func negativeLogLikelihoodGradient(y: Float, mean: Float, unit: Int) -> Float {
        let r = dispersion[unit], m = max(Double(mean), ObservationConstants.meanFloor), yd = Double(y)
        return Float((yd + r) / (r + m) - yd / m)
    }

    public func lossAndGradient(y: UnsafePointer<Float>, mean: UnsafePointer<Float>, dMean: UnsafeMutablePointer<Float>,
                                count: Int, units: Int, scale: Float) -> Double {
        precondition(units == dispersion.count, "negative-binomial observation model has \(dispersion.count) units, buffers have \(units)")
        let floor = ObservationConstants.meanFloor
        return dispersion.withUnsafeBufferPointer { rs in logGammaDispersion.withUnsafeBufferPointer { lgr in
            var loss = 0.0
            for b in 0..<count {
                let row = b * units
                for u in 0..<units {
                    let r = rs[u], yd = Double(y[row + u]), m = max(Double(mean[row + u]), floor)
                    var nll = r * Foundation.log1p(m / r)
                    var g = r / (r + m)
                    if yd != 0 {
                        nll -= SpecialFunctions.logGamma(yd + r) - lgr[u] - SpecialFunctions.logFactorial(yd)
                            + yd * (Foundation.log(m) - Foundation.log(r + m))
                        g = (yd + r) / (r + m) - yd / m
                    }
                    loss += nll
                    dMean[row + u] = scale * Float(g)
                }
            }
            return Double(scale) * loss
        } }
    }

    public func deviance(y: Double, mean: Double, unit: Int) -> Double {
        let r = dispersion[unit], m = max(mean, ObservationConstants.meanFloor)
        if y == 0 { return 2 * r * Foundation.log1p(m / r) }
        return 2 * (y * Foundation.log(y / m) - (y + r) * Foundation.log((y + r) / (m + r)))
    }

    public func cdf(y: Double, mean: Double, unit: Int) -> Double {
        NegativeBinomialObservation.cdf(y: y, mean: mean, dispersion: dispersion[unit])
    }

    /// P(Y ≤ y) = I_p(r, ⌊y⌋ + 1), p = r/(r + μ); 0 for y < 0; 1 when μ = 0.
    public static func cdf(y: Double, mean: Double, dispersion r: Double) -> Double {
        if y < 0 { return 0 }
        if mean <= 0 { return 1 }
        return SpecialFunctions.regularizedBeta(r, Foundation.floor(y) + 1, x: r / (r + mean), complement: mean / (r + mean))
    }

    public func sample(mean: Double, unit: Int, rng: inout SeededRandom) -> Double {
        mean > 0 ? Double(rng.negativeBinomial(mean: mean, dispersion: dispersion[unit])) : 0
    }

    /// Maximum-likelihood r_u for every unit, from training counts y and fitted means μ ([N, U]).
    /// `parametersPerUnit` is ignored (the estimate is the MLE).
    public mutating func fitNuisance(y: [Double], mean: [Double], units: Int, parametersPerUnit: Int) throws {
        try checkNuisanceInput(y: y, mean: mean, units: units, expectedUnits: dispersion.count)
        let n = y.count / units
        var r = [Double](repeating: 0, count: units)
        let observed = ResponseMatrix(rows: n, columns: units, values: y)
        let predicted = ResponseMatrix(rows: n, columns: units, values: mean)
        for u in 0..<units {
            r[u] = NegativeBinomialObservation.maximumLikelihoodDispersion(y: observed.column(u), mean: predicted.column(u))
        }
        self = NegativeBinomialObservation(dispersion: r)
    }

    /// Score S(r) and its derivative S′(r) of Σ log p(y_n | μ_n, r) (see the file header).
    public static func dispersionScore(y: [Double], mean: [Double], r: Double) -> (score: Double, slope: Double) {
        var s = 0.0, ds = 0.0
        for i in 0..<y.count {
            let m = max(mean[i], ObservationConstants.meanFloor), yi = y[i]
            let rm = r + m
            s += SpecialFunctions.digammaDifference(yi, r) - Foundation.log1p(m / r) + (m - yi) / rm
            ds += SpecialFunctions.trigammaDifference(yi, r) + m / (r * rm) - (m - yi) / (rm * rm)
        }
        return (s, ds)
    }

    /// The r maximising Σ_n log p(y_n | μ_n, r) over [minimumDispersion, maximumDispersion].
    /// y: [N] counts, mean: [N] fitted means.
    public static func maximumLikelihoodDispersion(y: [Double], mean: [Double]) -> Double {
        precondition(y.count == mean.count)
        guard !y.isEmpty else { return maximumDispersion }
        // Newton / bisection on θ = log r; the root of S(r) with S changing sign from + to −.
        var lo = Foundation.log(minimumDispersion), hi = Foundation.log(maximumDispersion)
        let sHi = dispersionScore(y: y, mean: mean, r: maximumDispersion).score
        if sHi >= 0 { return maximumDispersion }            // not over-dispersed
        let sLo = dispersionScore(y: y, mean: mean, r: minimumDispersion).score
        if sLo <= 0 { return minimumDispersion }
        // Start from the method of moments: Var = μ + μ²/r ⇒ r = Σμ² / Σ[(y − μ)² − μ].
        var num = 0.0, den = 0.0
        for i in 0..<y.count { let d = y[i] - mean[i]; num += mean[i] * mean[i]; den += d * d - mean[i] }
        var theta = (den > 0 && num > 0) ? Foundation.log(num / den) : 0
        theta = min(max(theta, lo + 1), hi - 1)
        for _ in 0..<200 {
            let r = Foundation.exp(theta)
            let (s, ds) = dispersionScore(y: y, mean: mean, r: r)
            if s > 0 { lo = theta } else { hi = theta }
            // dS/dθ = r·S′(r); Newton step in θ, bisection when it leaves the bracket or S is not decreasing.
            let slope = r * ds
            var next = slope < 0 ? theta - s / slope : .nan
            if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
            if abs(next - theta) < 1e-12 || hi - lo < 1e-12 { theta = next; break }
            theta = next
        }
        return Foundation.exp(theta)
    }
}
