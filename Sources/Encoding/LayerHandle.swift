// Typed references to the layers of an encoder's core, resolved against its architecture, instead
// of name strings such as "act1" inside the library. The CLI parses what a user types
// (`LayerHandle(name:)`) and reports an unknown name with the option it came from.
import Foundation
import Tensors
import ConvEngine

/// One layer of an encoder's core. Blocks are numbered from 1, as in the layer names of model files
/// (conv1, bn1, act1, pool1, conv2, …).
public enum LayerHandle: Hashable, Sendable, CustomStringConvertible {
    case conv(block: Int)
    case batchNorm(block: Int)
    case activation(block: Int)
    case pool(block: Int)
    /// The output of the whole core (its last layer).
    case coreOutput

    /// The handle of a layer name as stored in model files ("conv2", "bn1", "act3", "pool1", "core");
    /// nil for anything else.
    public init?(name: String) {
        if name == "core" { self = .coreOutput; return }
        for (prefix, make) in [("conv", LayerHandle.conv), ("bn", LayerHandle.batchNorm),
                               ("act", LayerHandle.activation), ("pool", LayerHandle.pool)] as [(String, (Int) -> LayerHandle)] {
            if name.hasPrefix(prefix), let k = Int(name.dropFirst(prefix.count)), k >= 1,
               String(k) == name.dropFirst(prefix.count) {
                self = make(k); return
            }
        }
        return nil
    }

    /// The layer's name in model files and tables.
    public var name: String {
        switch self {
        case .conv(let k): return "conv\(k)"
        case .batchNorm(let k): return "bn\(k)"
        case .activation(let k): return "act\(k)"
        case .pool(let k): return "pool\(k)"
        case .coreOutput: return "core"
        }
    }

    public var description: String { name }
}

extension EncoderArchitecture {
    /// The core's layers in order, as handles (what `NeuralEncoder` builds from the blocks).
    public var layerHandles: [LayerHandle] {
        var out: [LayerHandle] = []
        for (i, b) in blocks.enumerated() {
            let k = i + 1
            out.append(.conv(block: k))
            if b.batchNorm { out.append(.batchNorm(block: k)) }
            out.append(.activation(block: k))
            if b.pool != .none { out.append(.pool(block: k)) }
        }
        return out
    }

    /// Index of `handle` among the core's layers (`.coreOutput`: the last one), or nil when this
    /// architecture has no such layer.
    public func coreIndex(of handle: LayerHandle) -> Int? {
        let handles = layerHandles
        if handle == .coreOutput { return handles.isEmpty ? nil : handles.count - 1 }
        return handles.firstIndex(of: handle)
    }

    /// `coreIndex(of:)`, or `EncodingError.noSuchLayer` naming the layers there are.
    public func resolve(_ handle: LayerHandle) throws -> Int {
        guard let i = coreIndex(of: handle) else {
            throw EncodingError.noSuchLayer(layer: handle.name, available: layerHandles.map(\.name))
        }
        return i
    }
}

extension NeuralEncoder {
    /// The core layer a handle refers to, or nil.
    public func layer(_ handle: LayerHandle) -> Layer? {
        architecture.coreIndex(of: handle).map { core.layers[$0] }
    }

    /// Output of the core layer `handle` (evaluation mode).
    public func activations(_ x: Tensor, at handle: LayerHandle) throws -> Tensor {
        core.forward(x, upTo: try architecture.resolve(handle))
    }
}
