// NNS learning images by the literal construction of the thesis (eq. 3-11, 3-13), the naive
// reference for `ScanNetwork.neuronLearningImages` and friends. For tiny networks only: every
// layer becomes a dense Double matrix.
//
// One stimulus x with P = C·H·W pixels is split into P images, pixel p's image being x_p·e_p;
// they are the learning images of the input "neurons": I^(0) = diag(x − x₀)  [P, P]
// (x₀ = the network's inputOrigin, 0 by default).
// Each layer l has a contribution matrix C^(l) [m_l, m_{l−1}] with c_qp = S(x_q)·w_qp:
//   Conv2D      w_qp = weight[co, ci, ky, kx] when input p lies under output q's window (index
//               arithmetic written out here, independent of the conv kernels); groups honoured
//   Linear      w_qp = weight[q, p]
//   AvgPool2D   1/K² for the inputs in the window (padding counts in K², as PyTorch)
//   MaxPool2D   1 for the input the window selects (largest value of the literal forward; ties:
//               first in scan order, as the layer), else 0: the selected neuron's image passes unchanged
//   BatchNorm2D diag(γ/√(running_var + ε)) — evaluation mode; the shift is a bias
//   Flatten     identity
//   ReLU, ELU, Softplus, Exp   diag(S), with the network's gate: .step (eq. 3-9, default)
//               S = 1 if the value f(z) > 0 else 0; .derivative (ours) S = f′(z) (LearningImages.swift)
//   Identity    identity
//   any other layer (a readout)  probed: column p = f(e_p) − f(0), checked to be affine at x
// and I^(l) = C^(l) · I^(l−1) (row q of I^(l) is neuron q's learning image over the P pixels), i.e.
// I^(l) = C^(l) ⋯ C^(1) · diag(x). Values are carried alongside: z^(l) = W z^(l−1) + b, so gates
// and max-pool selections come from this forward, not from the layers' saved state.
import Foundation
import Tensors
import ConvEngine

public struct LiteralLearningImages {
    /// Pixels of the stimulus, P = C·H·W.
    public let pixelCount: Int
    /// Per layer (index as ScanNetwork): learning images of all its neurons, row-major [m_l, P].
    public private(set) var images: [[Double]] = []
    /// Per layer: the literal forward's values [m_l].
    public private(set) var values: [[Double]] = []
    /// Per layer: the contribution matrix C^(l), row-major [m_l, m_{l−1}].
    public private(set) var contributions: [[Double]] = []

    /// - Parameter stimulus: one stimulus [C, H, W] or [1, C, H, W].
    public init(network: ScanNetwork, stimulus: Tensor) throws {
        let x1 = stimulus.rank == 3 ? stimulus.reshaped([1] + stimulus.shape) : stimulus
        try network.validate(stimuli: x1)
        let p = network.inputShape.product
        pixelCount = p
        var v = x1.data.map(Double.init)
        var img = [Double](repeating: 0, count: p * p)
        let split = network.splitValues(x1).data
        for i in 0..<p { img[i * p + i] = Double(split[i]) }
        var shape = network.inputShape
        for l in 0..<network.layerCount {
            let layer = network.layer(l)
            let (c, b) = try Self.contribution(layer, input: v, shape: shape, outShape: network.layerShapes[l], gate: network.gate)
            let mIn = v.count, mOut = network.layerShapes[l].product
            precondition(c.count == mOut * mIn)
            // Values: the layer's own function (affine part plus the non-linearity for activations).
            var next = [Double](repeating: 0, count: mOut)
            if let f = Self.activation(layer) {
                for q in 0..<mOut { next[q] = f(v[q]) }
            } else {
                for q in 0..<mOut {
                    var s = b[q]
                    for i in 0..<mIn where c[q * mIn + i] != 0 { s += c[q * mIn + i] * v[i] }
                    next[q] = s
                }
            }
            // Images: I^(l) = C^(l) · I^(l−1).
            var nextImg = [Double](repeating: 0, count: mOut * p)
            c.withUnsafeBufferPointer { pc in img.withUnsafeBufferPointer { pi in nextImg.withUnsafeMutableBufferPointer { po in
                BLAS.dgemm(transposeA: false, transposeB: false, m: mOut, n: p, k: mIn, alpha: 1, a: pc.baseAddress!, lda: mIn,
                           b: pi.baseAddress!, ldb: p, beta: 0, c: po.baseAddress!, ldc: p)
            } } }
            contributions.append(c)
            values.append(next)
            images.append(nextImg)
            v = next; img = nextImg; shape = network.layerShapes[l]
        }
    }

    /// Learning image of neuron q of layer l [P].
    public func image(layer l: Int, neuron q: Int) -> [Double] {
        Array(images[l][(q * pixelCount)..<((q + 1) * pixelCount)])
    }

    // MARK: per-layer matrices

    /// The element-wise function of an activation layer, nil for other layers.
    static func activation(_ layer: Layer) -> ((Double) -> Double)? {
        switch layer {
        case is ReLU: return { $0 > 0 ? $0 : 0 }
        case let e as ELU: let a = Double(e.alpha); return { $0 > 0 ? $0 : a * Foundation.expm1($0) }
        case let s as Softplus:
            let b = Double(s.beta), t = Double(s.threshold)
            return { $0 * b > t ? $0 : Foundation.log1p(Foundation.exp($0 * b)) / b }
        case is Exp: return { Foundation.exp($0) }
        case is Identity: return { $0 }
        default: return nil
        }
    }

    /// The gate S of an activation layer at its input z: eq. 3-9's step on the value f(z), or f′(z).
    static func gate(_ layer: Layer, _ mode: LearningImageGate) -> ((Double) -> Double)? {
        if mode == .step, ScanNetwork.isGatedActivation(layer), let f = activation(layer) { return { f($0) > 0 ? 1 : 0 } }
        switch layer {
        case is ReLU: return { $0 > 0 ? 1 : 0 }
        case let e as ELU: let a = Double(e.alpha); return { $0 > 0 ? 1 : a * Foundation.exp($0) }
        case let s as Softplus:
            let b = Double(s.beta), t = Double(s.threshold)
            return { z in z * b > t ? 1 : 1 / (1 + Foundation.exp(-z * b)) }
        case is Exp: return { Foundation.exp($0) }
        case is Identity: return { _ in 1 }
        default: return nil
        }
    }

    /// Contribution matrix [m_out, m_in] and bias [m_out] of one layer at input values v.
    static func contribution(_ layer: Layer, input v: [Double], shape s: [Int], outShape o: [Int], gate mode: LearningImageGate) throws -> ([Double], [Double]) {
        let mIn = v.count, mOut = o.product
        var c = [Double](repeating: 0, count: mOut * mIn)
        var b = [Double](repeating: 0, count: mOut)
        if let g = gate(layer, mode) {
            for q in 0..<mIn { c[q * mIn + q] = g(v[q]) }
            return (c, b)
        }
        switch layer {
        case let conv as Conv2D:
            let (ci, h, w) = (s[0], s[1], s[2]), (co, oh, ow) = (o[0], o[1], o[2])
            let k = conv.kernelSize, cig = ci / conv.groups, cog = co / conv.groups
            let wt = conv.weight.value.data
            for oc in 0..<co {
                let grp = oc / cog
                for oy in 0..<oh { for ox in 0..<ow {
                    let q = (oc * oh + oy) * ow + ox
                    b[q] = Double(conv.bias?.value.data[oc] ?? 0)
                    for icl in 0..<cig {
                        let ic = grp * cig + icl
                        for ky in 0..<k { for kx in 0..<k {
                            let iy = oy * conv.stride - conv.padding + ky * conv.dilation
                            let ix = ox * conv.stride - conv.padding + kx * conv.dilation
                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                            c[q * mIn + (ic * h + iy) * w + ix] += Double(wt[((oc * cig + icl) * k + ky) * k + kx])
                        } }
                    }
                } }
            }
        case let lin as Linear:
            for q in 0..<mOut {
                b[q] = Double(lin.bias?.value.data[q] ?? 0)
                for i in 0..<mIn { c[q * mIn + i] = Double(lin.weight.value.data[q * mIn + i]) }
            }
        case is Flatten:
            for q in 0..<mOut { c[q * mIn + q] = 1 }
        case let pool as AvgPool2D:
            let g = pool.geometry
            poolWindows(g, s, o) { q, window in
                for i in window { c[q * mIn + i] = 1 / Double(g.kernelSize * g.kernelSize) }
            }
        case let pool as MaxPool2D:
            poolWindows(pool.geometry, s, o) { q, window in
                var best = -Double.infinity, at = window.first!
                for i in window where v[i] > best || v[i].isNaN { best = v[i]; at = i; if v[i].isNaN { break } }
                c[q * mIn + at] = 1
            }
        case let bn as BatchNorm2D:
            let hw = s.count == 3 ? s[1] * s[2] : 1
            for ch in 0..<s[0] {
                let scale = Double(bn.weight.value.data[ch]) / (Double(bn.runningVar.data[ch]) + bn.epsilon).squareRoot()
                let shift = Double(bn.bias.value.data[ch]) - Double(bn.runningMean.data[ch]) * scale
                for j in 0..<hw { let q = ch * hw + j; c[q * mIn + q] = scale; b[q] = shift }
            }
        default:
            // Probe an affine layer (a readout): f(e_p) − f(0) column by column, in one batch.
            var probes = Tensor(shape: [mIn + 1] + s)
            for i in 0..<mIn { probes.data[(i + 1) * mIn + i] = 1 }
            layer.retainsForBackward = false
            let y = layer.forward(probes, training: false)
            guard y.count == (mIn + 1) * mOut else {
                throw ScannerError.notApplicable(method: "literal learning images", reason: "layer '\(layer.name)' has an unexpected output shape \(y.shape)")
            }
            for q in 0..<mOut {
                b[q] = Double(y.data[q])
                for i in 0..<mIn { c[q * mIn + i] = Double(y.data[(i + 1) * mOut + q]) - b[q] }
            }
            // Affine at x: f(x) must equal C·x + b.
            let fx = layer.forward(Tensor(shape: [1] + s, data: v.map(Float.init)), training: false)
            for q in 0..<mOut {
                var t = b[q]
                for i in 0..<mIn { t += c[q * mIn + i] * v[i] }
                let tol = 1e-3 * (1 + abs(t))
                guard abs(t - Double(fx.data[q])) <= tol else {
                    throw ScannerError.notApplicable(method: "literal learning images",
                                                     reason: "layer '\(layer.name)' (\(type(of: layer))) is not affine; no contribution matrix")
                }
            }
        }
        return (c, b)
    }

    /// Calls `body(q, inputs)` for every output q of a pooling layer with the flat input indices
    /// of its window (padding positions omitted).
    static func poolWindows(_ g: PoolingGeometry, _ s: [Int], _ o: [Int], _ body: (Int, [Int]) throws -> Void) rethrows {
        let (ch, h, w, oh, ow) = (s[0], s[1], s[2], o[1], o[2])
        for c in 0..<ch { for oy in 0..<oh { for ox in 0..<ow {
            var window: [Int] = []
            for ky in 0..<g.kernelSize { for kx in 0..<g.kernelSize {
                let iy = oy * g.stride - g.padding + ky, ix = ox * g.stride - g.padding + kx
                if iy >= 0 && iy < h && ix >= 0 && ix < w { window.append((c * h + iy) * w + ix) }
            } }
            try body((c * oh + oy) * ow + ox, window)
        } } }
    }
}
