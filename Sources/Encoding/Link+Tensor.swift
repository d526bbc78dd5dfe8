// Tensor-level helpers over `Link` for the encoder.
import Foundation
import Tensors

extension Link {
    /// μ = g(η) element-wise.
    public func apply(_ eta: Tensor) -> Tensor {
        var out = eta
        out.data.withUnsafeMutableBufferPointer { p in apply(p.baseAddress!, count: p.count) }
        return out
    }

    /// d ← d ⊙ g′(η), turning ∂L/∂μ into ∂L/∂η.
    public func multiplyByDerivative(_ d: inout Tensor, at eta: Tensor) {
        precondition(d.count == eta.count)
        for i in 0..<d.count { d.data[i] *= derivative(eta.data[i]) }
    }

    /// g⁻¹(μ), used to start the readout bias at the training-mean rate. μ must be in the link's range.
    public func inverseLink(_ mu: Float) -> Float {
        let m = Double(mu)
        switch self {
        case .softplus: return Float(m > 20 ? m : Foundation.log(Foundation.expm1(m)))
        case .exp: return Float(Foundation.log(m))
        case .eluPlusOne: return Float(m >= 1 ? m - 1 : Foundation.log(m))
        case .identity: return mu
        }
    }
}
