// The architecture of an encoder: a stack of conv blocks (the core), a readout, a link and an
// observation model. Serialised as JSON in a model file's `config` attribute (docs/model-file.md).
import Foundation
import Tensors
import ConvEngine

public enum ActivationKind: String, Codable, CaseIterable, Sendable { case elu, relu, softplus, identity }
public enum PoolKind: String, Codable, CaseIterable, Sendable { case none, max, avg }
public enum ReadoutKind: String, Codable, CaseIterable, Sendable { case factorized, gaussian, full }

/// One conv block: convolution → optional batch-norm → activation → optional pooling.
public struct ConvBlockSpec: Codable, Equatable, Sendable {
    public var channels: Int
    public var kernel: Int
    public var stride: Int = 1
    public var dilation: Int = 1
    /// Zero padding; nil means "same" for stride 1 (dilation·(kernel−1)/2).
    public var padding: Int? = nil
    public var bias: Bool = true
    public var batchNorm: Bool = false
    public var activation: ActivationKind = .elu
    public var pool: PoolKind = .none
    public var poolSize: Int = 2

    public init(channels: Int, kernel: Int, stride: Int = 1, dilation: Int = 1, padding: Int? = nil, bias: Bool = true,
                batchNorm: Bool = false, activation: ActivationKind = .elu, pool: PoolKind = .none, poolSize: Int = 2) {
        self.channels = channels; self.kernel = kernel; self.stride = stride; self.dilation = dilation
        self.padding = padding; self.bias = bias; self.batchNorm = batchNorm; self.activation = activation
        self.pool = pool; self.poolSize = poolSize
    }

    public var effectivePadding: Int { padding ?? dilation * (kernel - 1) / 2 }
}

public struct EncoderArchitecture: Codable, Equatable, Sendable {
    public var name: String
    /// Input after preprocessing: channels, height, width.
    public var inputChannels: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var blocks: [ConvBlockSpec]
    public var readout: ReadoutKind
    public var link: Link
    public var observation: ObservationKind
    public var units: Int

    public init(name: String, inputChannels: Int, inputHeight: Int, inputWidth: Int, blocks: [ConvBlockSpec],
                readout: ReadoutKind, link: Link, observation: ObservationKind, units: Int) {
        self.name = name; self.inputChannels = inputChannels; self.inputHeight = inputHeight; self.inputWidth = inputWidth
        self.blocks = blocks; self.readout = readout; self.link = link; self.observation = observation; self.units = units
    }

    /// The `stacked3` recipe of ../shared/peers/torch_encoder.py: conv 9 / 7 / 7 with 32 channels,
    /// "same" padding, batch-norm and ELU after each, factorized readout, softplus, Poisson.
    public static func stacked3(inputChannels: Int, height: Int, width: Int, units: Int, channels: Int = 32,
                                readout: ReadoutKind = .factorized, link: Link = .softplus,
                                observation: ObservationKind = .poisson) -> EncoderArchitecture {
        EncoderArchitecture(name: "stacked3", inputChannels: inputChannels, inputHeight: height, inputWidth: width,
                            blocks: [ConvBlockSpec(channels: channels, kernel: 9, batchNorm: true, activation: .elu),
                                     ConvBlockSpec(channels: channels, kernel: 7, batchNorm: true, activation: .elu),
                                     ConvBlockSpec(channels: channels, kernel: 7, batchNorm: true, activation: .elu)],
                            readout: readout, link: link, observation: observation, units: units)
    }

    /// The GLM-equivalent encoder (DESIGN §5): one 1×1 conv layer (C → C channels) with identity
    /// activation and no bias, read out by a full linear readout. With an exp link and a Poisson
    /// observation model it is a Poisson GLM on the preprocessed pixels: a fitted GLM is stored as
    /// this architecture with the identity as conv weight and the GLM weights in the readout.
    public static func linear(inputChannels: Int, height: Int, width: Int, units: Int,
                              link: Link = .exp, observation: ObservationKind = .poisson) -> EncoderArchitecture {
        EncoderArchitecture(name: "linear", inputChannels: inputChannels, inputHeight: height, inputWidth: width,
                            blocks: [ConvBlockSpec(channels: inputChannels, kernel: 1, padding: 0, bias: false, batchNorm: false, activation: .identity)],
                            readout: .full, link: link, observation: observation, units: units)
    }

    /// Spatial size of each block's output, and the core's output shape (C, H, W).
    public func coreOutputShape() -> (channels: Int, height: Int, width: Int) {
        var c = inputChannels, h = inputHeight, w = inputWidth
        for b in blocks {
            let k = b.dilation * (b.kernel - 1) + 1
            h = (h + 2 * b.effectivePadding - k) / b.stride + 1
            w = (w + 2 * b.effectivePadding - k) / b.stride + 1
            c = b.channels
            if b.pool != .none { h = h / b.poolSize; w = w / b.poolSize }
        }
        return (c, h, w)
    }

    /// Receptive field of one core output unit, in input pixels.
    public var receptiveField: Int {
        var rf = 1, jump = 1
        for b in blocks {
            rf += b.dilation * (b.kernel - 1) * jump
            jump *= b.stride
            if b.pool != .none { rf += (b.poolSize - 1) * jump; jump *= b.poolSize }
        }
        return rf
    }

    /// Checks that the architecture can run on its input; throws a message naming the option.
    public func validate() throws {
        guard inputHeight > 0, inputWidth > 0, inputChannels > 0 else {
            throw EncodingError.invalidOption(option: .inputSize, reason: "the input must have positive size, got \(inputChannels)×\(inputHeight)×\(inputWidth)")
        }
        guard units > 0 else { throw EncodingError.invalidOption(option: .units, reason: "the dataset has no units") }
        var h = inputHeight, w = inputWidth
        for (i, b) in blocks.enumerated() {
            guard b.channels > 0, b.kernel > 0, b.stride > 0, b.dilation > 0 else {
                throw EncodingError.invalidOption(option: .architecture, reason: "block \(i + 1): channels, kernel, stride and dilation must be positive")
            }
            let k = b.dilation * (b.kernel - 1) + 1
            // A kernel wider than the map it slides over sees mostly padding: refused.
            if k > h || k > w {
                throw EncodingError.invalidOption(option: .kernels,
                    reason: "block \(i + 1): kernel extent \(k) (kernel \(b.kernel), dilation \(b.dilation)) is larger than its \(h)×\(w) input")
            }
            h = (h + 2 * b.effectivePadding - k) / b.stride + 1
            w = (w + 2 * b.effectivePadding - k) / b.stride + 1
            if b.pool != .none {
                if h < b.poolSize || w < b.poolSize {
                    throw EncodingError.invalidOption(option: .pooling, reason: "block \(i + 1): pooling \(b.poolSize)×\(b.poolSize) on a \(h)×\(w) map")
                }
                h /= b.poolSize; w /= b.poolSize
            }
        }
    }
}

public enum EncodingError: Error, CustomStringConvertible, Equatable {
    case invalidOption(option: EncodingParameter, reason: String)
    case modelFile(file: String, reason: String)
    /// A checkpoint that cannot be resumed from.
    case unusableCheckpoint(file: String, problem: CheckpointProblem)
    /// A feature specification `gabor:…`: the Gabor pyramid takes its settings elsewhere.
    case gaborFeatureArguments(specification: String)
    /// A ridge fit whose arrays would not fit in memory.
    case ridgeTooLarge(stimuli: Int, features: Int, targets: Int, neededBytes: Int, availableBytes: Int)
    /// A ridge model used for what its kind (time series with delays, or per stimulus) cannot do.
    case delaysMismatch(modelHasDelays: Bool)
    case incompatibleData(reason: String)
    case nonFiniteLoss(epoch: Int, checkpoint: String?)
    /// `operation` (predict, score, simulate, save, …) was asked of an estimator before `fit` or `load`.
    case notFitted(operation: String)
    /// A layer handle or name that the model's architecture does not have.
    case noSuchLayer(layer: String, available: [String])
    /// Training stopped on request (SIGINT/SIGTERM) after a completed step; the state is in `checkpoint`.
    case interrupted(epoch: Int, step: Int, steps: Int, checkpoint: String?)

    public var description: String {
        switch self {
        case .invalidOption(let o, let r): return "\(o): \(r)"
        case .modelFile(let f, let r): return "\(f): \(r)"
        case .unusableCheckpoint(let f, let p): return "\(f): \(p.description); delete it or fit from the start"
        case .gaborFeatureArguments(let s): return "features '\(s)': gabor takes no arguments; its settings are the Gabor pyramid options"
        case .ridgeTooLarge(let n, let p, let u, let need, let have):
            return String(format: "ridge on %d stimuli × %d features × %d targets needs about %.1f GB, %.1f GB are available (fewer targets, a smaller target batch or fewer features)",
                          n, p, u, Double(need) / 1e9, Double(have) / 1e9)
        case .delaysMismatch(let delays):
            return delays ? "a time-series model (fitted with delays) predicts trials, not stimuli: use score"
                          : "not a time-series model (it was fitted without delays)"
        case .incompatibleData(let r): return r
        case .nonFiniteLoss(let e, let c):
            return "training stopped at epoch \(e): the loss became NaN or infinite (try a smaller learning rate)" +
                (c.map { "; the last good model is in \($0)" } ?? "")
        case .notFitted(let op): return "cannot \(op): the model has not been fitted (call fit or load it from a model file first)"
        case .noSuchLayer(let l, let a): return "no layer named '\(l)' in the model (layers: \(a.joined(separator: ", ")))"
        case .interrupted(let e, let s, let n, let c):
            return (n == 0 ? "training interrupted after epoch \(e)" : "training interrupted in epoch \(e) after step \(s) of \(n)")
                + (c.map { "; its state is saved in \($0)" } ?? "")
        }
    }
}
