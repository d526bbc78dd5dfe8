// Output nonlinearities ("inverse links" in GLM language): the map from the model's linear
// predictor η to the predicted mean μ = g⁻¹(η) of the observation model.
//
// Positivity: count models (Poisson, negative binomial, quasi-Poisson) need μ > 0 strictly. The
// links `softplus`, `exp` and `elu+1` are positive in exact arithmetic but underflow to 0 in
// Float for very negative η (all three compute e^η there, which is 0 below η ≈ −104). Rather
// than change the link, the count observation models clamp the mean at
// `ObservationConstants.meanFloor` = 1e-8 wherever they take a log or divide by it
// (PoissonObservation.swift). The torch peer instead adds 1e-6 to its softplus output; a model
// that wants that behaviour adds the constant after the link — the link here is the pure function.
import Foundation

/// The inverse link μ = g⁻¹(η) applied to a model's linear predictor.
public enum Link: String, Codable, CaseIterable, Sendable {
    /// log(1 + e^η), computed as η for η > 20 and log1p(e^η) otherwise (torch's threshold), so
    /// it never overflows; derivative σ(η) = 1/(1 + e^−η).
    case softplus
    /// e^η (the canonical Poisson link; the GLM uses it). Derivative e^η. Overflows to +∞ above
    /// η ≈ 88.7 in Float (709.8 in Double); a trainer using it should keep η bounded.
    case exp
    /// ELU(η) + 1 = η + 1 for η > 0, e^η for η ≤ 0 (Lurz et al. 2021 readouts). Derivative 1 or e^η.
    case eluPlusOne = "elu+1"
    /// η (Gaussian / fMRI). Derivative 1.
    case identity

    /// Softplus switches to the identity above this η (as torch.nn.functional.softplus with
    /// threshold 20: there log1p(e^η) − η < 2.1e-9, below Float resolution of η).
    public static let softplusThreshold: Double = 20

    /// μ = g⁻¹(η).
    @inline(__always)
    public func apply(_ eta: Double) -> Double {
        switch self {
        case .softplus: return eta > Link.softplusThreshold ? eta : Foundation.log1p(Foundation.exp(eta))
        case .exp: return Foundation.exp(eta)
        case .eluPlusOne: return eta > 0 ? eta + 1 : Foundation.exp(eta)
        case .identity: return eta
        }
    }

    /// dμ/dη at η.
    @inline(__always)
    public func derivative(_ eta: Double) -> Double {
        switch self {
        case .softplus:
            // σ(η) computed without overflow on either side.
            if eta >= 0 { return 1 / (1 + Foundation.exp(-eta)) }
            let e = Foundation.exp(eta)
            return e / (1 + e)
        case .exp: return Foundation.exp(eta)
        case .eluPlusOne: return eta > 0 ? 1 : Foundation.exp(eta)
        case .identity: return 1
        }
    }

    @inline(__always)
    public func apply(_ eta: Float) -> Float {
        switch self {
        case .softplus: return eta > Float(Link.softplusThreshold) ? eta : Foundation.log1p(Foundation.exp(eta))
        case .exp: return Foundation.exp(eta)
        case .eluPlusOne: return eta > 0 ? eta + 1 : Foundation.exp(eta)
        case .identity: return eta
        }
    }

    @inline(__always)
    public func derivative(_ eta: Float) -> Float {
        switch self {
        case .softplus:
            if eta >= 0 { return 1 / (1 + Foundation.exp(-eta)) }
            let e = Foundation.exp(eta)
            return e / (1 + e)
        case .exp: return Foundation.exp(eta)
        case .eluPlusOne: return eta > 0 ? 1 : Foundation.exp(eta)
        case .identity: return 1
        }
    }

    // MARK: batched (training hot path; no allocation)

    /// In place: x[i] ← g⁻¹(x[i]) for i < count.
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .identity: return
        case .softplus:
            for i in 0..<count { let e = x[i]; x[i] = e > 20 ? e : Foundation.log1p(Foundation.exp(e)) }
        case .exp:
            for i in 0..<count { x[i] = Foundation.exp(x[i]) }
        case .eluPlusOne:
            for i in 0..<count { let e = x[i]; x[i] = e > 0 ? e + 1 : Foundation.exp(e) }
        }
    }

    /// Forward for training: mean[i] = g⁻¹(eta[i]) and, for the backward pass, slope[i] = dμ/dη
    /// at eta[i]. All three buffers have `count` elements ([B, U] row-major for a readout).
    public func forward(eta: UnsafePointer<Float>, mean: UnsafeMutablePointer<Float>,
                        slope: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .identity:
            for i in 0..<count { mean[i] = eta[i]; slope[i] = 1 }
        case .softplus:
            for i in 0..<count {
                let e = eta[i]
                if e > 20 { mean[i] = e; slope[i] = 1; continue }
                let ex = Foundation.exp(e)
                mean[i] = Foundation.log1p(ex)
                slope[i] = ex / (1 + ex)
            }
        case .exp:
            for i in 0..<count { let m = Foundation.exp(eta[i]); mean[i] = m; slope[i] = m }
        case .eluPlusOne:
            for i in 0..<count {
                let e = eta[i]
                if e > 0 { mean[i] = e + 1; slope[i] = 1 } else { let m = Foundation.exp(e); mean[i] = m; slope[i] = m }
            }
        }
    }

    /// Backward: dEta[i] += dMean[i] · slope[i] (accumulating, like every `d` buffer).
    public func backward(dEta: UnsafeMutablePointer<Float>, dMean: UnsafePointer<Float>,
                         slope: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { dEta[i] += dMean[i] * slope[i] }
    }
}
