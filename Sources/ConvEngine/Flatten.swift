// Flatten: [N, C, H, W] (or any [N, ...]) → [N, C·H·W], row-major order kept (torch.flatten(x, 1)).
// Backward reshapes dOut back to the input shape of the last forward.
import Tensors

public final class Flatten: Layer {
    public var name: String
    public var state: [String: Tensor] = [:]
    public var retainsForBackward = false
    public var parameters: [Parameter] { [] }
    private var lastInputShape: [Int] = []

    public init(name: String = "flatten") { self.name = name }

    public var config: [String: LayerConfigValue] { ["type": .string("flatten")] }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        guard inputShape.count >= 1 else { return [] }
        return [inputShape[0], inputShape.dropFirst().reduce(1, *)]
    }

    /// Saves no tensor (only the input shape).
    public func releaseSaved() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.rank >= 1, "\(name): cannot flatten a scalar")
        lastInputShape = x.shape
        return x.reshaped(outputShape(for: x.shape))
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        precondition(!lastInputShape.isEmpty, "\(name): backward before forward")
        precondition(dOut.count == lastInputShape.product, "\(name): dOut \(dOut.shape) does not match input \(lastInputShape)")
        return dOut.reshaped(lastInputShape)
    }
}
