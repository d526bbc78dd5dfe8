// A chain of layers, itself a Layer. Besides forward/backward it exposes what attribution and
// NNS code needs: the activation after any layer, backward from any layer's output with any
// upstream gradient, the saved activations, and the gate mask of every ReLU.
import Tensors

public enum SequentialError: Error, CustomStringConvertible, Equatable {
    case unknownLayer(name: String, available: [String])
    case shapeMismatch(layer: String, index: Int, inputShape: [Int])

    public var description: String {
        switch self {
        case .unknownLayer(let n, let a):
            return "no layer named '\(n)' in the model (layers: \(a.joined(separator: ", ")))"
        case .shapeMismatch(let l, let i, let s):
            return "layer \(i) '\(l)' cannot take an input of shape \(s) (wrong rank or channel count, or an image smaller than its window)"
        }
    }
}

/// The gate of one ReLU after a forward: 1 where its input was > 0, else 0 (input shape).
public struct GateMask {
    public let layerIndex: Int
    public let layerName: String
    public let mask: Tensor
}

public final class Sequential: Layer {
    public var name: String
    public let layers: [Layer]
    /// Outputs of layers 0...k after the last forward that saved them (k = the last layer run).
    public private(set) var activations: [Tensor] = []
    /// When true every forward saves `activations` (otherwise only forwards asked to).
    public var savesActivations = false
    /// dInput of the last backward (∂(Σ gradient ⊙ output of the start layer)/∂input).
    public private(set) var inputGradient: Tensor?
    /// Index of the last layer the last forward ran (backward(_:) starts there).
    public private(set) var lastForwardEnd: Int

    /// Layer names must be unique for parameter paths: a repeated (or empty) name is replaced by
    /// "name_i", i the layer's index.
    public init(_ layers: [Layer], name: String = "sequential") {
        precondition(!layers.isEmpty, "Sequential needs at least one layer")
        self.name = name
        self.layers = layers
        self.lastForwardEnd = layers.count - 1
        var seen = Set<String>()
        for (i, layer) in layers.enumerated() {
            var n = layer.name.isEmpty ? "layer" : layer.name
            if seen.contains(n) || layer.name.isEmpty {
                n = "\(n)_\(i)"
                while seen.contains(n) { n += "_" }
                layer.name = n
            }
            seen.insert(n)
        }
    }

    /// Every layer's `releaseSaved`, and the saved activations.
    public func releaseSaved() {
        activations = []
        for l in layers { l.releaseSaved() }
    }

    public var retainsForBackward: Bool = false {
        didSet { for l in layers { l.retainsForBackward = retainsForBackward } }
    }

    // MARK: lookup

    public func index(ofLayerNamed name: String) -> Int? { layers.firstIndex { $0.name == name } }
    public func layer(named name: String) -> Layer? { index(ofLayerNamed: name).map { layers[$0] } }

    /// The index of a named layer, or a typed error listing the layers.
    public func requireIndex(ofLayerNamed name: String) throws -> Int {
        guard let i = index(ofLayerNamed: name) else {
            throw SequentialError.unknownLayer(name: name, available: layers.map(\.name))
        }
        return i
    }

    // MARK: parameters and state

    /// All parameters, in layer order; their `name`s are set to unique paths "layer.weight"
    /// ("block.layer.weight" inside a nested Sequential).
    public var parameters: [Parameter] { collectParameters(prefix: "") }

    private func collectParameters(prefix: String) -> [Parameter] {
        var out: [Parameter] = []
        for layer in layers {
            if let s = layer as? Sequential {
                out += s.collectParameters(prefix: prefix + s.name + ".")
            } else {
                for p in layer.parameters { p.name = prefix + layer.name + "." + p.localName; out.append(p) }
            }
        }
        return out
    }

    /// Zeroes every parameter gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Children's state under "layer.key" (e.g. "bn1.running_mean"). Setting routes each key to
    /// the layer named before the first ".".
    public var state: [String: Tensor] {
        get {
            var out: [String: Tensor] = [:]
            for l in layers { for (k, v) in l.state { out[l.name + "." + k] = v } }
            return out
        }
        set {
            var perLayer: [String: [String: Tensor]] = [:]
            for (k, v) in newValue {
                guard let dot = k.firstIndex(of: ".") else { continue }
                perLayer[String(k[..<dot]), default: [:]][String(k[k.index(after: dot)...])] = v
            }
            for l in layers { if let s = perLayer[l.name] { l.state = s } }
        }
    }

    public var config: [String: LayerConfigValue] {
        ["type": .string("sequential"), "layers": .int(layers.count)]
    }

    // MARK: shapes

    /// The output shape, or [] when some layer cannot take its input shape.
    public func outputShape(for inputShape: [Int]) -> [Int] {
        (try? validate(inputShape: inputShape)) ?? []
    }

    /// The output shape, or a typed error naming the first layer that refuses its input shape.
    @discardableResult
    public func validate(inputShape: [Int]) throws -> [Int] {
        var s = inputShape
        for (i, l) in layers.enumerated() {
            let next = l.outputShape(for: s)
            if next.isEmpty { throw SequentialError.shapeMismatch(layer: l.name, index: i, inputShape: s) }
            s = next
        }
        return s
    }

    // MARK: forward

    private func run(_ x: Tensor, through end: Int, training: Bool, save: Bool) -> Tensor {
        precondition(end >= 0 && end < layers.count, "layer index \(end) out of range 0..<\(layers.count)")
        // Drop the last pass's saved tensors first, so the layers can write this pass into the
        // same storage (Layer.releaseSaved).
        activations = []
        for i in 0...end { layers[i].releaseSaved() }
        var h = x
        var saved: [Tensor] = []
        if save { saved.reserveCapacity(end + 1) }
        for i in 0...end {
            h = layers[i].forward(h, training: training)
            if save { saved.append(h) }
        }
        activations = saved
        lastForwardEnd = end
        return h
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        run(x, through: layers.count - 1, training: training, save: savesActivations)
    }

    /// Forward through all layers, saving every layer's output in `activations` when asked.
    public func forward(_ x: Tensor, training: Bool, saveActivations: Bool) -> Tensor {
        run(x, through: layers.count - 1, training: training, save: saveActivations || savesActivations)
    }

    /// The output of layer `index` (layers 0...index run; later layers untouched).
    public func forward(_ x: Tensor, upTo index: Int, training: Bool = false, saveActivations: Bool = false) -> Tensor {
        run(x, through: index, training: training, save: saveActivations || savesActivations)
    }

    /// The output of the layer called `name`.
    public func forward(_ x: Tensor, upTo name: String, training: Bool = false, saveActivations: Bool = false) throws -> Tensor {
        forward(x, upTo: try requireIndex(ofLayerNamed: name), training: training, saveActivations: saveActivations)
    }

    // MARK: backward

    /// Backward from the output of the last layer the last forward ran; returns dInput.
    public func backward(_ dOut: Tensor) -> Tensor {
        backward(from: lastForwardEnd, gradient: dOut)
    }

    /// Backward from the output of layer `layerIndex` with an arbitrary upstream `gradient` (shape
    /// of that output) down to the input: returns ∂(Σ gradient ⊙ a_layerIndex)/∂x. Layers
    /// 0...layerIndex must have saved their forward (training or retainsForBackward); their
    /// parameter gradients accumulate as in any backward.
    public func backward(from layerIndex: Int, gradient: Tensor) -> Tensor {
        precondition(layerIndex >= 0 && layerIndex <= lastForwardEnd,
                     "backward from layer \(layerIndex), but the last forward ran layers 0...\(lastForwardEnd)")
        if layerIndex < activations.count {
            precondition(gradient.shape == activations[layerIndex].shape,
                         "gradient \(gradient.shape) ≠ output of layer \(layerIndex) \(activations[layerIndex].shape)")
        }
        var g = gradient
        for i in stride(from: layerIndex, through: 0, by: -1) { g = layers[i].backward(g) }
        inputGradient = g
        return g
    }

    /// Backward from the output of the layer called `name`.
    public func backward(from name: String, gradient: Tensor) throws -> Tensor {
        backward(from: try requireIndex(ofLayerNamed: name), gradient: gradient)
    }

    // MARK: gates

    /// Gate masks of the ReLU layers the last forward ran (top level), in layer order. Taken from
    /// the ReLU's saved input, or from the saved activation (ReLU output > 0 ⇔ input > 0); a ReLU
    /// with neither is skipped.
    public var reluMasks: [GateMask] {
        var out: [GateMask] = []
        for i in 0...lastForwardEnd {
            guard let relu = layers[i] as? ReLU else { continue }
            if let m = relu.mask {
                out.append(GateMask(layerIndex: i, layerName: relu.name, mask: m))
            } else if i < activations.count {
                out.append(GateMask(layerIndex: i, layerName: relu.name, mask: activations[i].map { $0 > 0 ? 1 : 0 }))
            }
        }
        return out
    }
}
