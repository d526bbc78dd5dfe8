// Element-wise activations (any shape; output shape = input shape), each as PyTorch defines it:
//   ReLU      y = max(x, 0)                       dy/dx = [x > 0]
//   ELU(α)    y = x (x > 0), α·(eˣ − 1) (x ≤ 0)     dy/dx = 1 (x > 0), α·eˣ (x ≤ 0)
//   Softplus  y = log(1 + e^{βx}) / β, or x where βx > threshold;  dy/dx = σ(βx), or 1
//   Exp       y = eˣ                              dy/dx = y
//   Identity  y = x
// Each saves what its backward needs (input or output) when training or retainsForBackward.
import Foundation
import Tensors

/// Shared plumbing of element-wise layers.
public class ElementwiseActivation {
    public var name: String
    public var state: [String: Tensor] = [:]
    public var retainsForBackward = false
    public var parameters: [Parameter] { [] }
    // Saved by forward: the input x and output y (copy-on-write references, no copy).
    var savedInput: Tensor?
    var savedOutput: Tensor?

    init(layerName: String) { self.name = layerName }

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    func save(_ x: Tensor, _ y: Tensor, training: Bool) {
        let keep = training || retainsForBackward
        savedInput = keep ? x : nil
        savedOutput = keep ? y : nil
    }

    func saved(_ dOut: Tensor) -> (x: Tensor, y: Tensor) {
        guard let x = savedInput, let y = savedOutput else {
            preconditionFailure("\(name): backward without a saved forward (run forward with training or retainsForBackward)")
        }
        precondition(dOut.shape == y.shape, "\(name): dOut \(dOut.shape) ≠ output \(y.shape)")
        return (x, y)
    }

    /// out[i] = f(a[i], b[i]) over equal-length tensors.
    static func zip(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        var out = [Float](repeating: 0, count: a.count)
        a.data.withUnsafeBufferPointer { pa in b.data.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { po in
            for i in 0..<po.count { po[i] = f(pa[i], pb[i]) }
        } } }
        return Tensor(shape: a.shape, data: out)
    }
}

public final class ReLU: ElementwiseActivation, Layer {
    public init(name: String = "relu") { super.init(layerName: name) }
    public var config: [String: LayerConfigValue] { ["type": .string("relu")] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // NaN propagates (as torch.relu).
        let y = x.map { $0 > 0 || $0.isNaN ? $0 : 0 }
        save(x, y, training: training)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let (x, _) = saved(dOut)
        return Self.zip(dOut, x) { g, v in v > 0 ? g : 0 }
    }

    /// Gate of the last saved forward, same shape as the input: 1 where x > 0, else 0. Nil when
    /// the last forward did not save (evaluation without retainsForBackward).
    public var mask: Tensor? { savedInput.map { $0.map { $0 > 0 ? 1 : 0 } } }
    /// The same gate as Booleans (row-major over the input shape).
    public var gate: [Bool]? { savedInput.map { $0.data.map { $0 > 0 } } }
}

public final class ELU: ElementwiseActivation, Layer {
    public let alpha: Float
    public init(alpha: Float = 1, name: String = "elu") { self.alpha = alpha; super.init(layerName: name) }
    public var config: [String: LayerConfigValue] { ["type": .string("elu"), "alpha": .double(Double(alpha))] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let a = alpha
        let y = x.map { $0 > 0 ? $0 : a * Foundation.expm1($0) }
        save(x, y, training: training)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let (x, _) = saved(dOut)
        let a = alpha
        return Self.zip(dOut, x) { g, v in v > 0 ? g : g * a * Foundation.exp(v) }
    }
}

public final class Softplus: ElementwiseActivation, Layer {
    public let beta: Float
    public let threshold: Float
    public init(beta: Float = 1, threshold: Float = 20, name: String = "softplus") {
        precondition(beta > 0, "Softplus: beta must be positive")
        self.beta = beta; self.threshold = threshold; super.init(layerName: name)
    }
    public var config: [String: LayerConfigValue] {
        ["type": .string("softplus"), "beta": .double(Double(beta)), "threshold": .double(Double(threshold))]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let b = beta, t = threshold
        // log1p(e^{βx}) loses nothing for large negative βx (e^{βx} underflows to 0 ⇒ y = 0).
        let y = x.map { v in v * b > t ? v : Foundation.log1p(Foundation.exp(v * b)) / b }
        save(x, y, training: training)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let (x, _) = saved(dOut)
        let b = beta, t = threshold
        return Self.zip(dOut, x) { g, v in
            if v * b > t { return g }
            let z = Foundation.exp(v * b)
            return g * z / (z + 1)
        }
    }
}

public final class Exp: ElementwiseActivation, Layer {
    public init(name: String = "exp") { super.init(layerName: name) }
    public var config: [String: LayerConfigValue] { ["type": .string("exp")] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let y = x.map { Foundation.exp($0) }
        save(x, y, training: training)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let (_, y) = saved(dOut)
        return Self.zip(dOut, y) { g, v in g * v }
    }
}

public final class Identity: ElementwiseActivation, Layer {
    public init(name: String = "identity") { super.init(layerName: name) }
    public var config: [String: LayerConfigValue] { ["type": .string("identity")] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        save(x, x, training: training)
        return x
    }

    /// dX = dOut (needs no saved forward).
    public func backward(_ dOut: Tensor) -> Tensor { dOut }
}
