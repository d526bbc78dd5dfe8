// Sharpness of a fitted model (thesis eq. 6-4): the largest eigenvalue of the Hessian of the loss
// (mean negative log-likelihood per observation of `HeldOutData`) with respect to all parameters,
// by power iteration (PowerIteration.swift) on Hessian-vector products.
//
// The conv engine has no second-order backward, so H·v is a central difference of gradients:
//   H v ≈ (∇ℓ(θ + ε v) − ∇ℓ(θ − ε v)) / (2ε),  ‖v‖ = 1,
// error O(ε²) plus Float32 round-off of order (gradient precision)/ε; ε = 1e-3 by default. The
// parameters are restored exactly afterwards. Batch-norm uses running statistics (evaluation mode).
import Foundation
import Tensors
import ConvEngine

public struct SharpnessSettings: Sendable, Equatable, Codable {
    public var maxIterations: Int = 30
    public var tolerance: Double = 1e-3
    public var epsilon: Double = 1e-3
    public var seed: UInt64 = 0
    public init() {}
}

extension ScanNetwork {
    /// Top Hessian eigenvalue of the mean NLL on `data`.
    public func sharpness(_ data: HeldOutData, settings: SharpnessSettings = SharpnessSettings()) throws -> EigenEstimate {
        guard settings.epsilon > 0 else { throw ScannerError.invalidOption(option: .epsilon, reason: "must be positive") }
        let params = parameters
        let original = params.map { $0.value }
        let n = params.reduce(0) { $0 + $1.value.count }
        defer { for (p, v) in zip(params, original) { p.value = v; p.zeroGrad() } }
        func gradient(at v: [Double], scale: Double) throws -> [Double] {
            var o = 0
            for (p, base) in zip(params, original) {
                var t = base
                for i in 0..<t.count { t.data[i] += Float(scale * v[o + i]) }
                p.value = t
                o += t.count
            }
            _ = try lossAndParameterGradients(data)
            return params.flatMap { $0.grad.data.map(Double.init) }
        }
        let eps = settings.epsilon
        let (estimate, _) = try PowerIteration.topEigenvalue(dimension: n, maxIterations: settings.maxIterations,
                                                             tolerance: settings.tolerance, seed: settings.seed) { v in
            let gp = try gradient(at: v, scale: eps)
            let gm = try gradient(at: v, scale: -eps)
            return zip(gp, gm).map { ($0 - $1) / (2 * eps) }
        }
        return estimate
    }
}
