// An encoder predicts the mean response of every unit to a stimulus:
//   x (N, C, H, W) → core (conv blocks) → h (N, C', H', W') → readout → η (N, U) → link → μ (N, U)
// and an observation model turns μ into a distribution p(y | x). See DESIGN §5.
import Foundation
import Tensors
import ConvEngine

public final class NeuralEncoder {
    public let architecture: EncoderArchitecture
    /// The conv blocks as one Sequential (layers named conv1, bn1, act1, pool1, conv2, …).
    public let core: Sequential
    public let readout: Layer
    public var link: Link { architecture.link }

    /// When true, `forward(training: true)` runs the core in evaluation mode (batch-norm uses its
    /// running statistics and they stay as they are) and `backward` stops at the core's output, so
    /// only the readout learns: a frozen pretrained core (`fit --core F --freeze-core`).
    public var coreFrozen = false

    // Saved by forward for backward: the readout output η (N, U) and each core layer's output.
    private var eta = Tensor(shape: [0])
    private var coreOutputs: [Tensor] = []
    private var coreInput = Tensor(shape: [0])
    // Storage of μ and of ∂L/∂η, reused from pass to pass when nobody holds the last ones.
    // (∂L/∂η and its sum with a penalty's gradient live briefly: borrowed from the shared pool.)
    private let meanStorage = ReusableStorage(), etaGradientStorage = ReusableStorage(pool: .shared)
    private let penalisedGradientStorage = ReusableStorage(pool: .shared)

    public init(architecture: EncoderArchitecture, seed: UInt64) throws {
        try architecture.validate()
        self.architecture = architecture
        var rng = SeededRandom.derived(seed: seed, stream: 1)
        var layers: [Layer] = []
        var cin = architecture.inputChannels
        for (i, b) in architecture.blocks.enumerated() {
            let k = i + 1
            let conv = Conv2D(inputChannels: cin, outputChannels: b.channels, kernelSize: b.kernel, stride: b.stride,
                              padding: b.effectivePadding, dilation: b.dilation, groups: 1, bias: b.bias)
            conv.name = "conv\(k)"
            // PyTorch's default conv initialisation (kaiming-uniform, a = √5), seeded.
            let fanIn = cin * b.kernel * b.kernel
            let bound = Float(1 / Double(fanIn).squareRoot())
            conv.weight.value = rng.uniformTensor(conv.weight.value.shape, -bound, bound)
            if let bias = conv.bias { bias.value = rng.uniformTensor(bias.value.shape, -bound, bound) }
            layers.append(conv)
            if b.batchNorm { let bn = BatchNorm2D(channels: b.channels); bn.name = "bn\(k)"; layers.append(bn) }
            let act: Layer
            switch b.activation {
            case .elu: act = ELU()
            case .relu: act = ReLU()
            case .softplus: act = Softplus()
            case .identity: act = Identity()
            }
            act.name = "act\(k)"
            layers.append(act)
            switch b.pool {
            case .none: break
            case .max: let p = MaxPool2D(kernelSize: b.poolSize, stride: b.poolSize, padding: 0); p.name = "pool\(k)"; layers.append(p)
            case .avg: let p = AvgPool2D(kernelSize: b.poolSize, stride: b.poolSize, padding: 0); p.name = "pool\(k)"; layers.append(p)
            }
            cin = b.channels
        }
        core = Sequential(layers)
        core.name = "core"
        let out = architecture.coreOutputShape()
        switch architecture.readout {
        case .factorized:
            readout = FactorizedReadout(channels: out.channels, height: out.height, width: out.width, units: architecture.units, rng: &rng)
        case .gaussian:
            readout = GaussianReadout(channels: out.channels, height: out.height, width: out.width, units: architecture.units, rng: &rng)
        case .full:
            readout = FullLinearReadout(channels: out.channels, height: out.height, width: out.width, units: architecture.units, rng: &rng)
        }
    }

    /// All parameters, named "<layer>.<parameter>" as in model files.
    public var namedParameters: [(layer: String, parameter: Parameter)] {
        var out: [(String, Parameter)] = []
        for l in core.layers { for p in l.parameters { out.append((l.name, p)) } }
        for p in readout.parameters { out.append((readout.name, p)) }
        return out
    }

    public var parameters: [Parameter] { namedParameters.map { $0.parameter } }

    /// The first convolution (its weights are the "first-layer filters").
    public var firstConv: Conv2D? { core.layers.first { $0 is Conv2D } as? Conv2D }

    /// Names of the core's layers, in order.
    public var layerNames: [String] { core.layers.map { $0.name } }

    /// Readout bias initialised to log of the training-mean rate (inverse link), as the peer does.
    public func initialiseBias(meanRates: [Float]) {
        guard let bias = readout.parameters.first(where: { $0.localName == "bias" }) else { return }
        for u in 0..<min(meanRates.count, bias.value.count) {
            bias.value.data[u] = architecture.link.inverseLink(max(meanRates[u], 1e-3))
        }
    }

    /// Forward pass to predicted means μ (N, U). With `training` (or `retain`), saves what
    /// `backward` needs; `training` also puts batch-norm in batch-statistics mode.
    public func forward(_ x: Tensor, training: Bool, retain: Bool = false) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == architecture.inputChannels && x.shape[2] == architecture.inputHeight
                     && x.shape[3] == architecture.inputWidth, "encoder input \(x.shape) does not match the architecture")
        let save = training || retain
        let coreTraining = training && !coreFrozen, saveCore = save && !coreFrozen
        releaseSaved()
        var h = x
        if saveCore { coreInput = x }
        for l in core.layers {
            l.retainsForBackward = retain && !coreFrozen
            h = l.forward(h, training: coreTraining)
            if saveCore { coreOutputs.append(h) }
        }
        readout.retainsForBackward = retain
        let e = readout.forward(h, training: training)
        if save { eta = e }
        return architecture.link.apply(e, into: meanStorage)
    }

    /// Lets go of everything the last forward saved for backward (here and in every layer): the
    /// trainer calls it after each step, so that the next step's tensors are written into the same
    /// storage (`Layer.releaseSaved`).
    public func releaseSaved() {
        coreInput = Tensor(shape: [0])
        coreOutputs.removeAll(keepingCapacity: true)
        eta = Tensor(shape: [0])
        for l in core.layers { l.releaseSaved() }
        readout.releaseSaved()
    }

    /// An encoder of a `linear` architecture (identity 1×1 convolution, full linear readout) with
    /// the readout weights `weights` (U, P) (P = C·H·W in the stimulus' layout) and biases `bias` (U):
    /// how a fitted GLM is stored.
    public convenience init(linear architecture: EncoderArchitecture, weights: ResponseMatrix<Double>, bias: [Double]) throws {
        try self.init(architecture: architecture, seed: 0)
        let c = architecture.inputChannels, p = c * architecture.inputHeight * architecture.inputWidth
        guard let conv = firstConv, conv.weight.value.count == c * c, let full = readout as? FullLinearReadout,
              weights.rows == architecture.units, weights.columns == p, bias.count == architecture.units,
              full.weight.value.count == weights.values.count, full.bias.value.count == bias.count else {
            throw EncodingError.incompatibleData(reason: "architecture '\(architecture.name)' is not a linear encoder of \(weights.rows) units on \(weights.columns) inputs")
        }
        conv.weight.value.fill(0)
        for k in 0..<c { conv.weight.value.data[k * c + k] = 1 }
        full.weight.value.data = weights.values.map(Float.init)
        full.bias.value.data = bias.map(Float.init)
    }

    /// Backward from ∂L/∂μ (N, U): accumulates every parameter's gradient and returns ∂L/∂x
    /// (∂L/∂ of the core's output when `coreFrozen`).
    /// `extraGradient(i, output)` may return an additional gradient for core layer i's output
    /// (activity penalties); it is added before that layer's backward.
    /// With `inputGradient: false` (training: nothing consumes ∂L/∂x) a first layer that is a
    /// convolution accumulates its parameter gradients only, skipping its backward-data pass, and
    /// the result is an empty tensor (shape [0]); parameter gradients are the same either way.
    @discardableResult
    public func backward(_ dMean: Tensor, inputGradient: Bool = true,
                         extraGradient: ((Int, Tensor) -> Tensor?)? = nil) -> Tensor {
        precondition(dMean.count == eta.count, "backward: ∂L/∂μ \(dMean.shape) ≠ saved η \(eta.shape) (run forward with training or retain)")
        let dEta = architecture.link.multiplyByDerivative(dMean, at: eta, into: etaGradientStorage)
        var d = readout.backward(dEta)
        if coreFrozen { return d }  // ∂L/∂(core output); the core is not trained
        for i in stride(from: core.layers.count - 1, through: 0, by: -1) {
            if let extra = extraGradient?(i, coreOutputs[i]) {
                // d + extra in storage of its own (d is the layer's, and may not change in place).
                precondition(extra.count == d.count, "extra gradient \(extra.shape) ≠ \(d.shape) at core layer \(i)")
                let upstream = d
                d = penalisedGradientStorage.tensor(upstream.shape) { out in
                    upstream.data.withUnsafeBufferPointer { a in extra.data.withUnsafeBufferPointer { b in
                        for k in 0..<a.count { out[k] = a[k] + b[k] }
                    } }
                }
            }
            if i == 0, !inputGradient, let conv = core.layers[0] as? Conv2D {
                conv.accumulateParameterGradients(d)
                return Tensor(shape: [0])
            }
            d = core.layers[i].backward(d)
        }
        return d
    }

    public func zeroGradients() { for p in parameters { p.zeroGrad() } }
}
