// Batch normalisation over the channels of NCHW tensors, like torch.nn.BatchNorm2d (affine, with
// running statistics). Also accepts [N, C] (treated as [N, C, 1, 1]).
//
// Training:   μ_c, σ²_c = mean and biased variance of x[·, c, ·, ·] over M = N·H·W values,
//             x̂ = (x − μ_c) / √(σ²_c + ε),  y = γ_c x̂ + β_c,
//             running_mean ← (1 − m) running_mean + m μ_c,
//             running_var  ← (1 − m) running_var  + m σ²_c · M / (M − 1)   (unbiased, as PyTorch).
// Evaluation: x̂ = (x − running_mean) / √(running_var + ε).
// Backward (training): dx = γ/√(σ² + ε) · (dy − mean(dy) − x̂ · mean(dy · x̂)), dγ += Σ dy x̂, dβ += Σ dy.
// Backward (evaluation): dx = dy · γ / √(running_var + ε) (a per-channel scale), same dγ, dβ.
// Statistics: float vector lanes within an [H, W] plane, Double across planes, shifted by the
// channel's first value for stability (Sources/CKernels/elementwise.c); threaded over channels.
import CKernels
import Tensors

public final class BatchNorm2D: Layer {
    public var name: String
    public let channels: Int
    public let momentum: Double
    public let epsilon: Double
    /// γ [C]
    public let weight: Parameter
    /// β [C]
    public let bias: Parameter
    /// [C] each.
    public private(set) var runningMean: Tensor
    public private(set) var runningVar: Tensor
    public var retainsForBackward = false
    /// Data-parallel training (Encoding's Trainer under MPI): sums a buffer element-wise over all
    /// processes, each holding a share of the batch, so that training-mode statistics and their
    /// gradient terms are those of the whole batch. nil (one process): local statistics, as always.
    public var crossReplicaSum: ((inout [Double]) -> Void)?
    private var savedCount = 0.0

    // Saved by forward for backward: x̂ (same shape as x), the per-channel 1/√(var + ε) used, and
    // whether batch statistics were used.
    private var savedNormalized: Tensor?
    private var savedInverseStd: [Double] = []
    private var savedTraining = false
    // Storage of the output and of dX, reused from pass to pass when nobody holds the last ones.
    private let storage = LayerStorage()
    private let normalized = ReusableStorage()  // x̂: saved for backward, storage of its own

    /// γ = 1, β = 0, running mean 0, running variance 1 (PyTorch's initial values).
    public init(channels: Int, momentum: Double = 0.1, epsilon: Double = 1e-5, name: String = "bn") {
        precondition(channels > 0, "BatchNorm2D: channels must be positive")
        precondition(momentum >= 0 && momentum <= 1, "BatchNorm2D: momentum must be in [0, 1]")
        precondition(epsilon > 0, "BatchNorm2D: epsilon must be positive")
        self.name = name; self.channels = channels; self.momentum = momentum; self.epsilon = epsilon
        weight = Parameter(name: "weight", value: .ones([channels]))
        bias = Parameter(name: "bias", value: .zeros([channels]))
        runningMean = .zeros([channels])
        runningVar = .ones([channels])
    }

    public var parameters: [Parameter] { [weight, bias] }

    /// "running_mean" and "running_var", each [C]. Setting replaces the named statistics (shapes
    /// must be [C]); other keys are ignored.
    public var state: [String: Tensor] {
        get { ["running_mean": runningMean, "running_var": runningVar] }
        set {
            if let m = newValue["running_mean"] {
                precondition(m.count == channels, "\(name): running_mean has \(m.count) values, expected \(channels)")
                runningMean = m.reshaped([channels])
            }
            if let v = newValue["running_var"] {
                precondition(v.count == channels, "\(name): running_var has \(v.count) values, expected \(channels)")
                runningVar = v.reshaped([channels])
            }
        }
    }

    public var config: [String: LayerConfigValue] {
        ["type": .string("batchnorm2d"), "channels": .int(channels), "momentum": .double(momentum), "epsilon": .double(epsilon)]
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        guard (inputShape.count == 4 || inputShape.count == 2), inputShape[1] == channels else { return [] }
        return inputShape
    }

    /// (N, C, pixels per plane)
    private func dims(_ shape: [Int]) -> (Int, Int, Int) {
        (shape[0], shape[1], shape.count == 4 ? shape[2] * shape[3] : 1)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(!outputShape(for: x.shape).isEmpty, "\(name): input \(x.shape) does not fit BatchNorm2D(\(channels))")
        let (n, c, hw) = dims(x.shape)
        var m = n * hw
        if training && crossReplicaSum == nil { precondition(m > 1, "\(name): training needs more than one value per channel (got input \(x.shape))") }
        var mean = [Double](repeating: 0, count: c), variance = [Double](repeating: 0, count: c)
        if training {
            if m > 0 {
                x.data.withUnsafeBufferPointer { px in mean.withUnsafeMutableBufferPointer { pm in variance.withUnsafeMutableBufferPointer { pv in
                    let px = px.baseAddress!, pm = pm.baseAddress!, pv = pv.baseAddress!
                    Parallel.forEachRange(c, minimumPerChunk: max(1, (1 << 15) / max(1, m))) { r in
                        for ch in r { rcp_channel_moments(px, n, c, hw, ch, pm + ch, pv + ch) }
                    }
                } } }
            }
            if let sum = crossReplicaSum {
                // Whole-batch moments from every share's count, Σx and Σx² (each from its own
                // shifted moments): mean = Σx / M, variance = Σx² / M − mean².
                let local = Double(m)
                var buf = [Double](repeating: 0, count: 1 + 2 * c)
                buf[0] = local
                for ch in 0..<c { buf[1 + ch] = local * mean[ch]; buf[1 + c + ch] = local * (variance[ch] + mean[ch] * mean[ch]) }
                sum(&buf)
                precondition(buf[0] > 1, "\(name): training needs more than one value per channel in the whole batch")
                m = Int(buf[0])
                for ch in 0..<c {
                    mean[ch] = buf[1 + ch] / buf[0]
                    variance[ch] = max(0, buf[1 + c + ch] / buf[0] - mean[ch] * mean[ch])
                }
            }
            for ch in 0..<c {
                runningMean.data[ch] = Float((1 - momentum) * Double(runningMean.data[ch]) + momentum * mean[ch])
                runningVar.data[ch] = Float((1 - momentum) * Double(runningVar.data[ch])
                                            + momentum * variance[ch] * Double(m) / Double(m - 1))
            }
        } else {
            for ch in 0..<c { mean[ch] = Double(runningMean.data[ch]); variance[ch] = Double(runningVar.data[ch]) }
        }
        let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        let keep = training || retainsForBackward
        // rcp_batchnorm_apply writes every value of y (and of x̂ when asked).
        var xhat = keep ? normalized.take(x.shape) : Tensor(shape: [0])
        var y = storage.output(kept: training || retainsForBackward).take(x.shape)
        let gamma = weight.value.data, beta = bias.value.data
        if x.count > 0 {
            x.data.withUnsafeBufferPointer { px in y.data.withUnsafeMutableBufferPointer { py in xhat.data.withUnsafeMutableBufferPointer { ph in
                let px = px.baseAddress!, py = py.baseAddress!, ph = keep ? ph.baseAddress : nil
                Parallel.forEachRange(c, minimumPerChunk: max(1, (1 << 15) / max(1, m))) { r in
                    for ch in r {
                        rcp_batchnorm_apply(px, py, ph, n, c, hw, ch, Float(mean[ch]), Float(invStd[ch]), gamma[ch], beta[ch])
                    }
                }
            } } }
        }
        if keep { normalized.keep(xhat) }
        storage.output(kept: training || retainsForBackward).keep(y)
        savedNormalized = keep ? xhat : nil
        savedInverseStd = invStd
        savedTraining = training
        savedCount = Double(m)
        return y
    }

    public func releaseSaved() { savedNormalized = nil }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let xhat = savedNormalized else {
            preconditionFailure("\(name): backward without a saved forward (run forward with training or retainsForBackward)")
        }
        precondition(dOut.shape == xhat.shape, "\(name): dOut \(dOut.shape) ≠ output \(xhat.shape)")
        let (n, c, hw) = dims(dOut.shape)
        let m = Double(n * hw)
        var sumDy = [Double](repeating: 0, count: c), sumDyXhat = [Double](repeating: 0, count: c)
        // rcp_batchnorm_backward_apply writes every value of dX.
        var dx = storage.inputGradient.take(dOut.shape)
        let gamma = weight.value.data, invStd = savedInverseStd, training = savedTraining
        let chunk = max(1, (1 << 15) / max(1, n * hw))
        // Per channel Σdy and Σdy·x̂ (dβ, dγ: the local sums; the trainer sums parameter gradients over shares).
        if dOut.count > 0 {
            dOut.data.withUnsafeBufferPointer { pd in xhat.data.withUnsafeBufferPointer { ph in
                sumDy.withUnsafeMutableBufferPointer { ps in sumDyXhat.withUnsafeMutableBufferPointer { pt in
                    let pd = pd.baseAddress!, ph = ph.baseAddress!, ps = ps.baseAddress!, pt = pt.baseAddress!
                    Parallel.forEachRange(c, minimumPerChunk: chunk) { r in
                        for ch in r { rcp_batchnorm_grad_sums(pd, ph, n, c, hw, ch, ps + ch, pt + ch) }
                    }
                } }
            } }
        }
        // dx needs the whole batch's mean(dy) and mean(dy·x̂): across shares (data-parallel ranks)
        // the local sums are summed first — the one difference from a single share.
        var sums = sumDy + sumDyXhat
        var total = m
        if training, let sum = crossReplicaSum { sum(&sums); total = savedCount }
        if dOut.count > 0 {
            dOut.data.withUnsafeBufferPointer { pd in xhat.data.withUnsafeBufferPointer { ph in dx.data.withUnsafeMutableBufferPointer { px in
                let pd = pd.baseAddress!, ph = ph.baseAddress!, px = px.baseAddress!
                Parallel.forEachRange(c, minimumPerChunk: chunk) { r in
                    for ch in r {
                        let scale = Float(Double(gamma[ch]) * invStd[ch])
                        if training {
                            rcp_batchnorm_backward_apply(pd, ph, px, n, c, hw, ch, scale, Float(sums[ch] / total), Float(sums[c + ch] / total))
                        } else {
                            rcp_batchnorm_backward_apply(pd, nil, px, n, c, hw, ch, scale, 0, 0)
                        }
                    }
                }
            } } }
        }
        for ch in 0..<c {
            weight.grad.data[ch] += Float(sumDyXhat[ch])
            bias.grad.data[ch] += Float(sumDy[ch])
        }
        storage.inputGradient.keep(dx)
        return dx
    }

    /// The per-channel scale γ / √(running_var + ε) an evaluation-mode forward applies (the
    /// batch-norm contribution on the linear path of an NNS learning image).
    public var evaluationScale: Tensor {
        Tensor(shape: [channels], data: (0..<channels).map {
            Float(Double(weight.value.data[$0]) / (Double(runningVar.data[$0]) + epsilon).squareRoot())
        })
    }
}
