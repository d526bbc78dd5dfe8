// Tensor-level helpers over `Link` for the encoder.
import Foundation
import Tensors

extension Link {
    /// μ = g(η) element-wise, written into `storage`.
    public func apply(_ eta: Tensor, into storage: ReusableStorage) -> Tensor {
        storage.tensor(eta.shape) { mu in
            eta.data.withUnsafeBufferPointer { mu.update(from: $0.baseAddress!, count: $0.count) }
            apply(mu, count: eta.count)
        }
    }

    /// d ⊙ g′(η), turning ∂L/∂μ into ∂L/∂η, written into `storage`.
    public func multiplyByDerivative(_ d: Tensor, at eta: Tensor, into storage: ReusableStorage) -> Tensor {
        precondition(d.count == eta.count, "∂L/∂μ \(d.shape) ≠ η \(eta.shape)")
        return storage.tensor(d.shape) { out in
            for i in 0..<d.count { out[i] = d.data[i] * derivative(eta.data[i]) }
        }
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
