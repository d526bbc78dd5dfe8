// Element-wise activations (any shape; output shape = input shape), each as PyTorch defines it:
//   ReLU      y = max(x, 0)                       dy/dx = [x > 0]
//   ELU(α)    y = x (x > 0), α·(eˣ − 1) (x ≤ 0)     dy/dx = 1 (x > 0), α·eˣ (x ≤ 0)
//   Softplus  y = log(1 + e^{βx}) / β, or x where βx > threshold;  dy/dx = σ(βx), or 1
//   Exp       y = eˣ                              dy/dx = y
//   Identity  y = x
// Each saves what its backward needs (input or output) when training or retainsForBackward.
// Kernels: Sources/CKernels/elementwise.c (AVX2, Cephes exp/log to ~1–2 ulp), threaded over
// contiguous ranges.
import CKernels
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
    // Storage of the output and of dX, reused from pass to pass when nobody holds the last ones.
    let storage = LayerStorage()

    init(layerName: String) { self.name = layerName }

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func releaseSaved() { savedInput = nil; savedOutput = nil }

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

    /// y = kernel(x) element-wise (shape of x), into `storage`.
    static func unary(_ x: Tensor, into storage: ReusableStorage,
                      _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        let n = x.count
        return storage.tensor(x.shape) { po in
            x.data.withUnsafeBufferPointer { px in
                let px = px.baseAddress!
                Parallel.forEachRange(n) { r in kernel(px + r.lowerBound, po + r.lowerBound, r.count) }
            }
        }
    }

    /// out = kernel(a, b) element-wise (shape of a; b has as many elements), into `storage`.
    static func binary(_ a: Tensor, _ b: Tensor, into storage: ReusableStorage,
                       _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        precondition(a.count == b.count, "element counts differ: \(a.shape) vs \(b.shape)")
        let n = a.count
        return storage.tensor(a.shape) { po in
            a.data.withUnsafeBufferPointer { pa in b.data.withUnsafeBufferPointer { pb in
                let pa = pa.baseAddress!, pb = pb.baseAddress!
                Parallel.forEachRange(n) { r in kernel(pa + r.lowerBound, pb + r.lowerBound, po + r.lowerBound, r.count) }
            } }
        }
    }

    /// out = kernel(a, b) element-wise, in a new tensor.
    static func binary(_ a: Tensor, _ b: Tensor,
                       _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        let storage = ReusableStorage()
        return binary(a, b, into: storage, kernel)
    }
}

public final class ReLU: ElementwiseActivation, Layer {
    public init(name: String = "relu") { super.init(layerName: name) }
    public var config: [String: LayerConfigValue] { ["type": .string("relu")] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // NaN propagates (as torch.relu).
        let y = Self.unary(x, into: storage.output(kept: training || retainsForBackward)) { rcp_relu_forward($0, $1, $2) }
        save(x, y, training: training)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let (x, _) = saved(dOut)
        return Self.binary(dOut, x, into: storage.inputGradient) { rcp_relu_backward($0, $1, $2, $3) }
    }

    /// Gate of the last saved forward, same shape as the input: 1 where x > 0, else 0. Nil when
    /// the last forward did not save (evaluation without retainsForBackward).
    public var mask: Tensor? {
        savedInput.map { x in Self.binary(Tensor.ones(x.shape), x) { rcp_relu_backward($0, $1, $2, $3) } }
    }
    /// The same gate as Booleans (row-major over the input shape).
    public var gate: [Bool]? { savedInput.map { $0.data.map { $0 > 0 } } }
}

public final class ELU: ElementwiseActivation, Layer {
    public let alpha: Float
    public init(alpha: Float = 1, name: String = "elu") { self.alpha = alpha; super.init(layerName: name) }
    public var config: [String: LayerConfigValue] { ["type": .string("elu"), "alpha": .double(Double(alpha))] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let a = alpha
        let y = Self.unary(x, into: storage.output(kept: training || retainsForBackward)) { rcp_elu_forward($0, $1, $2, a) }
        save(x, y, training: training)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let (x, _) = saved(dOut)
        let a = alpha
        return Self.binary(dOut, x, into: storage.inputGradient) { rcp_elu_backward($0, $1, $2, $3, a) }
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
        // Computed as (max(βx, 0) + log1p(e^{−|βx|}))/β: no overflow, full precision for βx ≪ 0.
        let y = Self.unary(x, into: storage.output(kept: training || retainsForBackward)) { rcp_softplus_forward($0, $1, $2, b, t) }
        save(x, y, training: training)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let (x, _) = saved(dOut)
        let b = beta, t = threshold
        return Self.binary(dOut, x, into: storage.inputGradient) { rcp_softplus_backward($0, $1, $2, $3, b, t) }
    }
}

public final class Exp: ElementwiseActivation, Layer {
    public init(name: String = "exp") { super.init(layerName: name) }
    public var config: [String: LayerConfigValue] { ["type": .string("exp")] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let y = Self.unary(x, into: storage.output(kept: training || retainsForBackward)) { rcp_exp_forward($0, $1, $2) }
        save(x, y, training: training)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let (_, y) = saved(dOut)
        return Self.binary(dOut, y, into: storage.inputGradient) { rcp_mul($0, $1, $2, $3) }
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
