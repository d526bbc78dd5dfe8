// The layer contract. Shape letters used across ConvEngine:
//   N batch, C channels (Cin/Cout), H rows, W columns, K kernel extent, F features (Linear).
// Images are NCHW Float32 (see Tensors/Tensor.swift).
//
// A layer is a forward/backward pair (STYLE.md): `forward` computes the output and, when
// `training` or `keepForBackward` is set, saves exactly what `backward` needs; `backward` takes the
// upstream gradient dOut (shape of the last output), ACCUMULATES (+=) into each parameter's `grad`
// and returns dInput. Zeroing gradients is explicit (`Parameter.zeroGrad()`).
// Outputs and dInput are written into the layer's `ReusableStorage` (Tensors), in place when nobody
// holds the last pass's tensor any more; `releaseSaved()` drops what forward saved, so that a
// training step allocates no tensor (docs/performance.md, "Allocation per step").
import Tensors

/// A trainable array with its accumulated gradient.
public final class Parameter {
    /// Unique name within a model: equal to `localName` until a `Sequential` collects the
    /// parameter, which sets the path of layer names, "conv1.weight" ("block.conv1.weight" when nested).
    public internal(set) var name: String
    /// Name within its own layer ("weight", "bias").
    public let localName: String
    public var value: Tensor
    public var grad: Tensor
    /// Excluded from optimiser updates (frozen pretrained core) when false.
    public var trainable: Bool = true

    public init(name: String, value: Tensor) {
        self.name = name
        self.localName = name
        self.value = value
        self.grad = Tensor(shape: value.shape)
    }

    public func zeroGrad() { grad.fill(0) }
}

public protocol Layer: AnyObject {
    /// Unique within a model (e.g. "conv1", "bn1"); used for parameter paths in model files.
    var name: String { get set }
    /// Trainable parameters (empty for parameter-free layers).
    var parameters: [Parameter] { get }
    /// Non-trainable state saved with the model (batch-norm running statistics), by name.
    var state: [String: Tensor] { get set }
    /// Output shape for an input shape (NCHW or [N, F]); used to validate models before running.
    func outputShape(for inputShape: [Int]) -> [Int]
    /// Forward pass. `training` selects training behaviour (batch-norm batch statistics) and
    /// makes the layer save what backward needs.
    func forward(_ x: Tensor, training: Bool) -> Tensor
    /// Backward pass from dOut; accumulates parameter gradients and returns dInput.
    /// Valid after a forward with saved values (training, or `retainsForBackward == true`).
    func backward(_ dOut: Tensor) -> Tensor
    /// When true, forward saves what backward needs even in evaluation mode (attribution maps
    /// take gradients of a model in evaluation mode).
    var retainsForBackward: Bool { get set }
    /// Lets go of what the last forward saved for backward (its input, output, intermediates).
    /// Sequential and NeuralEncoder call it on every layer a forward pass is about to run (each
    /// would replace its saved values anyway), and the trainer after each step: the tensors of the
    /// last pass are then held by nobody and the layers write the next pass into the same storage
    /// (`ReusableStorage`: no allocation per step). A backward needs a forward after it.
    func releaseSaved()
    /// A description of the layer's configuration for model files (JSON-serialisable values).
    var config: [String: LayerConfigValue] { get }
}

/// JSON-serialisable configuration value for model files.
public enum LayerConfigValue: Equatable, Codable, Sendable {
    case int(Int), double(Double), string(String), bool(Bool), ints([Int])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode([Int].self) { self = .ints(v) }
        else { self = .string(try c.decode(String.self)) }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .ints(let v): try c.encode(v)
        }
    }
}
