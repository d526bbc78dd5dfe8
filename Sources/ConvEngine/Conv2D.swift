// 2-D convolution layer (cross-correlation, like torch.nn.Conv2d): zero padding, stride,
// dilation, groups, optional bias; square kernels.
//
//   x [N, Ci, H, W] → y [N, Co, OH, OW],  OH = ⌊(H + 2P − D(K − 1) − 1) / S⌋ + 1 (same for OW)
//   weight [Co, Ci/G, K, K], bias [Co]
//
// Forward and both backward products run on the AVX2 kernels of FastConvolution; the definition
// is kept in NaiveConvolution (tests check one against the other and against PyTorch). A layer
// owns reusable scratch buffers: use one layer from one thread at a time.
//
// Stride-1, dilation-1, ungrouped layers with large kernels run on FFTConvolution instead
// (`Conv2D.algorithm`, `Conv2D.usesFFT`; docs/performance.md, "Session 6: FFT convolution").
import Foundation
import Tensors

/// Which convolution path Conv2D layers take: the direct kernels (FastConvolution), the FFT path
/// (FFTConvolution) wherever it applies, or the measured rule (`Conv2D.usesFFT`).
public enum ConvolutionAlgorithm: String, CaseIterable, Sendable {
    case direct, fft, auto

    /// From the environment variable RECEPTIVE_CONV (`direct`, `fft` or `auto`; unset: auto) — an
    /// override for tests and benchmarks. The command line refuses other values
    /// (`EnvironmentOverrides.check`); here they mean auto.
    public static var fromEnvironment: ConvolutionAlgorithm {
        ProcessInfo.processInfo.environment["RECEPTIVE_CONV"].flatMap { ConvolutionAlgorithm(rawValue: $0.lowercased()) } ?? .auto
    }
}

/// An environment override of the convolution engine set to a value it does not accept.
public struct EnvironmentOverrideError: Error, Equatable, Sendable {
    public enum Problem: Equatable, Sendable {
        /// Not one of the values the variable takes.
        case unknownValue
        /// A value it takes, but not on this CPU (RECEPTIVE_KERNELS=avx512 without AVX-512).
        case unsupportedByThisCPU
    }
    public let variable: String
    public let value: String
    public let problem: Problem
    /// The values it takes here.
    public let accepted: [String]
}

/// The environment variables that change how the convolution engine runs: RECEPTIVE_CONV (the
/// path, `ConvolutionAlgorithm`) and RECEPTIVE_KERNELS (`avx2` forces the AVX2 kernels on an
/// AVX-512 CPU; `avx512` is the default where the CPU has it).
public enum EnvironmentOverrides {
    /// Throws for the first of them set to a value it does not accept (a misspelt override would
    /// otherwise silently run the default, and `avx512` on a CPU without it the AVX2 kernels).
    public static func check(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let v = environment["RECEPTIVE_CONV"], ConvolutionAlgorithm(rawValue: v.lowercased()) == nil {
            throw EnvironmentOverrideError(variable: "RECEPTIVE_CONV", value: v, problem: .unknownValue,
                                           accepted: ConvolutionAlgorithm.allCases.map(\.rawValue))
        }
        if let v = environment["RECEPTIVE_KERNELS"] {
            let supported = KernelInstructionSet.allCases.filter(\.isSupported).map(\.rawValue)
            if !supported.contains(v) {
                throw EnvironmentOverrideError(variable: "RECEPTIVE_KERNELS", value: v,
                                               problem: KernelInstructionSet(rawValue: v) == nil ? .unknownValue : .unsupportedByThisCPU,
                                               accepted: supported)
            }
        }
    }
}

public final class Conv2D: Layer {
    public var name: String
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let dilation: Int
    public let groups: Int
    /// [Co, Ci/G, K, K]
    public let weight: Parameter
    /// [Co], nil when the layer has no bias.
    public let bias: Parameter?
    public var state: [String: Tensor] = [:]
    public var retainsForBackward = false

    // Saved by forward for backward: the input x [N, Ci, H, W].
    private var savedInput: Tensor?
    // Storage of the output and of dX, reused from pass to pass when nobody holds the last ones.
    private let storage = LayerStorage()
    private let engine = FastConvolution()
    private lazy var fftEngine = FFTConvolution()

    /// The path every Conv2D takes (read from RECEPTIVE_CONV at start; tests and benches may set it).
    nonisolated(unsafe) public static var algorithm: ConvolutionAlgorithm = .fromEnvironment

    /// Whether a layer of geometry `g` runs on the FFT path under `algorithm`. The auto rule, from
    /// the measurements in docs/performance.md: stride 1, dilation 1, one group, kernel ≥ 5,
    /// both image sides ≥ 16 and at least 8 input and 8 output channels.
    public static func usesFFT(_ g: ConvolutionGeometry, algorithm: ConvolutionAlgorithm = Conv2D.algorithm) -> Bool {
        guard FFTConvolution.accepts(g) else { return false }
        switch algorithm {
        case .direct: return false
        case .fft: return true
        case .auto:
            return g.kernelSize >= 5 && min(g.height, g.width) >= 16 && g.inputChannels >= 8 && g.outputChannels >= 8
        }
    }

    /// Weights and bias drawn like PyTorch's default: U(−1/√fanIn, 1/√fanIn), fanIn = Ci/G·K².
    public convenience init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            name: String = "conv", seed: UInt64 = 0) {
        var random = SeededRandom(seed: seed)
        self.init(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize, stride: stride,
                  padding: padding, dilation: dilation, groups: groups, bias: bias, name: name, random: &random)
    }

    /// Weights and bias drawn like PyTorch's default from `random`.
    public convenience init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            name: String = "conv", random: inout SeededRandom) {
        precondition(inputChannels > 0 && outputChannels > 0 && groups > 0 && inputChannels % groups == 0,
                     "Conv2D: bad channels \(inputChannels)→\(outputChannels) for groups \(groups)")
        precondition(kernelSize > 0, "Conv2D: kernel size must be positive")
        let bound = Float(1 / Double(inputChannels / groups * kernelSize * kernelSize).squareRoot())
        let w = random.uniformTensor([outputChannels, inputChannels / groups, kernelSize, kernelSize], -bound, bound)
        let b = bias ? random.uniformTensor([outputChannels], -bound, bound) : nil
        self.init(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize, stride: stride,
                  padding: padding, dilation: dilation, groups: groups, name: name, weight: w, bias: b)
    }

    /// Given initial values: weight [Co, Ci/G, K, K], bias [Co] or nil for no bias.
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, name: String = "conv", weight: Tensor, bias: Tensor?) {
        precondition(inputChannels > 0 && outputChannels > 0 && groups > 0, "Conv2D: channel counts must be positive")
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0,
                     "Conv2D: channels \(inputChannels)→\(outputChannels) not divisible by groups \(groups)")
        precondition(kernelSize > 0 && stride > 0 && dilation > 0 && padding >= 0, "Conv2D: invalid hyper-parameters")
        precondition(weight.shape == [outputChannels, inputChannels / groups, kernelSize, kernelSize],
                     "Conv2D: weight shape \(weight.shape) ≠ [\(outputChannels), \(inputChannels / groups), \(kernelSize), \(kernelSize)]")
        if let b = bias { precondition(b.shape == [outputChannels], "Conv2D: bias shape \(b.shape) ≠ [\(outputChannels)]") }
        self.name = name
        self.inputChannels = inputChannels; self.outputChannels = outputChannels; self.kernelSize = kernelSize
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        self.weight = Parameter(name: "weight", value: weight)
        self.bias = bias.map { Parameter(name: "bias", value: $0) }
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public var config: [String: LayerConfigValue] {
        ["type": .string("conv2d"), "input_channels": .int(inputChannels), "output_channels": .int(outputChannels),
         "kernel_size": .int(kernelSize), "stride": .int(stride), "padding": .int(padding),
         "dilation": .int(dilation), "groups": .int(groups), "bias": .bool(bias != nil)]
    }

    /// The geometry for an input of `height` × `width`.
    public func geometry(height: Int, width: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(inputChannels: inputChannels, outputChannels: outputChannels, groups: groups,
                            height: height, width: width, kernelSize: kernelSize, stride: stride,
                            padding: padding, dilation: dilation)
    }

    /// [N, Co, OH, OW]; [] when the shape is not [N, Ci, H, W] or the image is smaller than the
    /// receptive field.
    public func outputShape(for inputShape: [Int]) -> [Int] {
        guard inputShape.count == 4, inputShape[1] == inputChannels else { return [] }
        let g = geometry(height: inputShape[2], width: inputShape[3])
        guard g.outputHeight > 0, g.outputWidth > 0 else { return [] }
        return [inputShape[0], outputChannels, g.outputHeight, g.outputWidth]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let shape = outputShape(for: x.shape)
        precondition(!shape.isEmpty, "\(name): input \(x.shape) does not fit Conv2D(\(inputChannels)→\(outputChannels), k\(kernelSize), s\(stride), p\(padding), d\(dilation))")
        savedInput = (training || retainsForBackward) ? x : nil
        let g = geometry(height: x.shape[2], width: x.shape[3])
        return storage.output(kept: training || retainsForBackward).tensor(shape) { y in
            x.data.withUnsafeBufferPointer { px in weight.value.data.withUnsafeBufferPointer { pw in
                let fft = Self.usesFFT(g)
                func run(_ pb: UnsafePointer<Float>?) {
                    if fft {
                        fftEngine.forward(g, batch: x.shape[0], x: px.baseAddress!, weight: pw.baseAddress!, bias: pb, y: y)
                    } else {
                        engine.forward(g, batch: x.shape[0], x: px.baseAddress!, weight: pw.baseAddress!, bias: pb, y: y)
                    }
                }
                if let b = bias { b.value.data.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
            } }
        }
    }

    public func releaseSaved() { savedInput = nil }

    /// How many input gradients (backward-data passes) this layer has computed: lets tests check
    /// that training skips the first layer's, which nothing consumes.
    public private(set) var inputGradientPasses = 0

    /// Accumulates weight.grad (and bias.grad) and returns dX [N, Ci, H, W].
    public func backward(_ dOut: Tensor) -> Tensor {
        let inputShape = accumulateParameterGradients(dOut)
        return inputGradient(dOut, inputShape: inputShape)
    }

    /// The parameter half of `backward`: accumulates weight.grad (and bias.grad) from dOut and
    /// skips dX (for a first layer, whose input gradient nothing consumes). Returns the saved
    /// input's shape.
    @discardableResult
    public func accumulateParameterGradients(_ dOut: Tensor) -> [Int] {
        guard let x = savedInput else {
            preconditionFailure("\(name): backward without a saved forward (run forward with training or retainsForBackward)")
        }
        precondition(dOut.shape == outputShape(for: x.shape), "\(name): dOut \(dOut.shape) ≠ output \(outputShape(for: x.shape))")
        let g = geometry(height: x.shape[2], width: x.shape[3])
        let n = x.shape[0]
        x.data.withUnsafeBufferPointer { px in dOut.data.withUnsafeBufferPointer { pdy in
            weight.grad.data.withUnsafeMutableBufferPointer { pdw in
                let fft = Self.usesFFT(g)
                func run(_ pdb: UnsafeMutablePointer<Float>?) {
                    if fft {
                        fftEngine.backwardWeights(g, batch: n, x: px.baseAddress!, dy: pdy.baseAddress!, dWeight: pdw.baseAddress!, dBias: pdb)
                    } else {
                        engine.backwardWeights(g, batch: n, x: px.baseAddress!, dy: pdy.baseAddress!, dWeight: pdw.baseAddress!, dBias: pdb)
                    }
                }
                if let b = bias { b.grad.data.withUnsafeMutableBufferPointer { run($0.baseAddress!) } } else { run(nil) }
            }
        } }
        return x.shape
    }

    /// dX [N, Ci, H, W] for an upstream gradient dOut without touching parameter gradients
    /// (does not need a saved forward: the convolution is linear in x).
    public func inputGradient(_ dOut: Tensor, inputShape: [Int]) -> Tensor {
        precondition(dOut.shape == outputShape(for: inputShape), "\(name): dOut \(dOut.shape) ≠ output \(outputShape(for: inputShape))")
        let g = geometry(height: inputShape[2], width: inputShape[3])
        inputGradientPasses += 1
        return storage.inputGradient.tensor(inputShape) { dx in
            dOut.data.withUnsafeBufferPointer { pdy in weight.value.data.withUnsafeBufferPointer { pw in
                if Self.usesFFT(g) {
                    fftEngine.backwardData(g, batch: inputShape[0], dy: pdy.baseAddress!, weight: pw.baseAddress!, dx: dx)
                } else {
                    engine.backwardData(g, batch: inputShape[0], dy: pdy.baseAddress!, weight: pw.baseAddress!, dx: dx)
                }
            } }
        }
    }
}
