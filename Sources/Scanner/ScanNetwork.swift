// The network as the scanner sees it:
//
//   x [N, C, H, W] → core layers 0…L−1 (a Sequential) → readout (optional) → η [N, U]
//
// Layers are addressed by index: 0…L−1 are the core's layers, L is the readout (when present).
// A "neuron" of layer l is one element of that layer's output for one stimulus (flat index
// within the per-stimulus output, (c·H′ + y)·W′ + x for maps, the unit index for the readout).
// For the thesis' neuron of a conv block ("conv → BN → ReLU"), address the block's activation
// layer: its output is the gated value S(z)·z.
//
// Everything runs in evaluation mode (batch-norm running statistics) with every layer retaining
// what backward needs. `inputGradient` walks the chain backwards; convolutions use their
// data-only gradient (no weight-gradient work, parameter gradients untouched); other layers run
// their ordinary backward, which accumulates their parameter gradients (zero them before training).
import Foundation
import Tensors
import ConvEngine

/// The gate S of the learning-image construction (eq. 3-9, 3-10: c_pq = S(x_q)·w_pq).
public enum LearningImageGate: String, Sendable, Codable, CaseIterable {
    /// Eq. 3-9: S = 1 where the neuron's value (after its activation, eq. 3-6) is > 0, else 0 —
    /// for every activation (ELU: z > 0; softplus and exp are always positive, so S ≡ 1).
    case step
    /// Ours, not the thesis': S = f′(z), the derivative at the operating point (what backward
    /// computes; the learning image is then the gradient × input split).
    case derivative
}

public final class ScanNetwork {
    public let core: Sequential
    public let readout: Layer?
    /// Per-stimulus input shape [C, H, W].
    public let inputShape: [Int]
    /// Origin of the learning-image split x₀ [C, H, W] (see LearningImages.swift); nil means 0.
    public var inputOrigin: Tensor? {
        didSet { if let o = inputOrigin { precondition(o.count == inputShape.product, "input origin \(o.shape) ≠ \(inputShape)") } }
    }
    /// Gate of the learning images (eq. 3-9 step by default). Gradients for attribution and MEI
    /// (`inputGradient`) are always true derivatives.
    public var gate: LearningImageGate = .step
    /// Per-stimulus output shape of every layer (index as above), e.g. [C′, H′, W′] or [U].
    public let layerShapes: [[Int]]

    // Saved by the last forward: the input of every layer that ran (for data-only conv gradients)
    // and the output of every layer that ran.
    private(set) var layerInputs: [Tensor] = []
    public private(set) var activations: [Tensor] = []
    private(set) var lastForwardEnd = -1

    /// - Parameters:
    ///   - core: the feature layers.
    ///   - readout: maps the core output [N, C′, H′, W′] to [N, U], or nil.
    ///   - inputShape: per-stimulus [C, H, W].
    public init(core: Sequential, readout: Layer? = nil, inputShape: [Int]) throws {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ScannerError.stimulusShape(shape: inputShape, expected: [-1, -1, -1])
        }
        self.core = core
        self.readout = readout
        self.inputShape = inputShape
        var shapes: [[Int]] = []
        var s = [1] + inputShape
        for l in core.layers {
            let next = l.outputShape(for: s)
            guard !next.isEmpty else { throw ScannerError.stimulusShape(shape: inputShape, expected: s) }
            shapes.append(Array(next.dropFirst()))
            s = next
        }
        if let r = readout {
            let next = r.outputShape(for: s)
            guard next.count == 2 else { throw ScannerError.notApplicable(method: "readout", reason: "readout '\(r.name)' does not map \(s) to [N, U]") }
            shapes.append(Array(next.dropFirst()))
        }
        layerShapes = shapes
    }

    public var layerCount: Int { layerShapes.count }
    public var readoutIndex: Int? { readout == nil ? nil : core.layers.count }
    public func layer(_ i: Int) -> Layer { i < core.layers.count ? core.layers[i] : readout! }
    public var layerNames: [String] { (0..<layerCount).map { layer($0).name } }

    /// Index of the layer called `name` ("readout" or the readout's name for the readout).
    public func layerIndex(named name: String) throws -> Int {
        if let i = core.layers.firstIndex(where: { $0.name == name }) { return i }
        if let r = readout, name == r.name || name == "readout" { return core.layers.count }
        throw ScannerError.unknownLayer(name: name, available: layerNames)
    }

    /// Number of neurons per stimulus in layer `l`.
    public func neuronCount(layer l: Int) -> Int { layerShapes[l].product }
    /// Number of channels (filters) of layer `l`: C′ for maps, U for the readout / flat layers.
    public func channelCount(layer l: Int) -> Int { layerShapes[l][0] }

    /// Checks that `stimuli` is [N, C, H, W] with the model's per-stimulus shape.
    public func validate(stimuli: Tensor) throws {
        guard stimuli.rank == 4, Array(stimuli.shape.dropFirst()) == inputShape else {
            throw ScannerError.stimulusShape(shape: stimuli.shape, expected: [-1] + inputShape)
        }
    }

    // MARK: forward / backward

    /// Evaluation-mode forward through layers 0…`end`, saving what `inputGradient` needs.
    /// Returns the output of layer `end`.
    @discardableResult
    public func forward(_ x: Tensor, through end: Int) -> Tensor {
        precondition(end >= 0 && end < layerCount, "layer \(end) out of range 0..<\(layerCount)")
        precondition(x.rank == 4 && Array(x.shape.dropFirst()) == inputShape, "scan input \(x.shape) ≠ [N] + \(inputShape)")
        layerInputs.removeAll(keepingCapacity: true)
        activations.removeAll(keepingCapacity: true)
        var h = x
        for i in 0...end {
            let l = layer(i)
            l.retainsForBackward = true
            layerInputs.append(h)
            h = l.forward(h, training: false)
            activations.append(h)
        }
        lastForwardEnd = end
        return h
    }

    /// Evaluation-mode outputs of layer `end` for a batch, without saving anything. With
    /// `masking`, the listed channels of that layer's output are set to 0 before the next layer
    /// (a removed filter).
    public func outputs(_ x: Tensor, through end: Int, batchSize: Int = 64, masking: ChannelMask? = nil) -> Tensor {
        let n = x.shape[0]
        let per = layerShapes[end].product
        var out = Tensor(shape: [n] + layerShapes[end])
        var start = 0
        while start < n {
            let stop = min(n, start + batchSize)
            var h = x.slice(start..<stop)
            for i in 0...end {
                let l = layer(i)
                l.retainsForBackward = false
                h = l.forward(h, training: false)
                if let m = masking, m.layer == i { m.apply(&h) }
            }
            h.data.withUnsafeBufferPointer { src in
                out.data.withUnsafeMutableBufferPointer { dst in
                    (dst.baseAddress! + start * per).update(from: src.baseAddress!, count: src.count)
                }
            }
            start = stop
        }
        return out
    }

    /// Full backward (every layer's ordinary backward, parameter gradients accumulated) from
    /// layer `layerIndex` after a `forward` through it; returns ∂(Σ gradient ⊙ out)/∂x.
    @discardableResult
    public func backwardWithParameterGradients(from layerIndex: Int, gradient: Tensor) -> Tensor {
        precondition(layerIndex <= lastForwardEnd, "backward from layer \(layerIndex) after a forward through \(lastForwardEnd)")
        var g = gradient
        for i in stride(from: layerIndex, through: 0, by: -1) { g = layer(i).backward(g) }
        return g
    }

    /// Every trainable parameter (core, then readout).
    public var parameters: [Parameter] { core.parameters + (readout?.parameters ?? []) }

    /// ∂(Σ gradient ⊙ out_layer)/∂x [N, C, H, W] after a `forward` through at least `layer`
    /// (gradient has that layer's output shape for the forward's batch).
    public func inputGradient(from layerIndex: Int, gradient: Tensor) -> Tensor {
        inputGradient(from: layerIndex, gradient: gradient, gate: .derivative)
    }

    /// The backward pass of the learning images: like `inputGradient`, but activation layers
    /// multiply by the gate `gate` (eq. 3-10) instead of f′ when it is `.step`.
    func learningImageGradient(from layerIndex: Int, gradient: Tensor) -> Tensor {
        inputGradient(from: layerIndex, gradient: gradient, gate: gate)
    }

    func inputGradient(from layerIndex: Int, gradient: Tensor, gate: LearningImageGate) -> Tensor {
        precondition(layerIndex <= lastForwardEnd, "inputGradient from layer \(layerIndex) after a forward through \(lastForwardEnd)")
        precondition(gradient.shape == activations[layerIndex].shape,
                     "gradient \(gradient.shape) ≠ output of layer \(layerIndex) \(activations[layerIndex].shape)")
        var g = gradient
        for i in stride(from: layerIndex, through: 0, by: -1) {
            if gate == .step, Self.isGatedActivation(layer(i)) {
                // S(x_q) = [x_q > 0] on the layer's output (eq. 3-6, 3-9); fresh tensor, the
                // layer's own backward state is left alone.
                let out = activations[i]
                var next = Tensor(shape: g.shape)
                for j in 0..<g.count where out.data[j] > 0 { next.data[j] = g.data[j] }
                g = next
            } else if let conv = layer(i) as? Conv2D {
                g = conv.inputGradient(g, inputShape: layerInputs[i].shape)
            } else {
                g = layer(i).backward(g)
            }
        }
        return g
    }
}

extension ScanNetwork {
    /// Activations the step gate replaces (Identity is no non-linearity and passes unchanged).
    static func isGatedActivation(_ l: Layer) -> Bool {
        l is ReLU || l is ELU || l is Softplus || l is Exp
    }
}

/// Channels of one layer's output to zero (filters removed), per stimulus.
public struct ChannelMask: Sendable, Equatable {
    public let layer: Int
    public let channels: Set<Int>
    public init(layer: Int, channels: Set<Int>) { self.layer = layer; self.channels = channels }

    /// Zeroes the channels of h [N, K, …] (K = h.shape[1]).
    func apply(_ h: inout Tensor) {
        guard !channels.isEmpty else { return }
        let n = h.shape[0], k = h.shape[1], plane = h.count / max(1, n * k)
        for i in 0..<n { for c in channels where c < k { for p in 0..<plane { h.data[(i * k + c) * plane + p] = 0 } } }
    }
}
