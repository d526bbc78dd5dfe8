// Classic attribution maps for one output f = a_q of layer l (a readout unit η_u, or any neuron),
// per stimulus x [N, C, H, W]. Gradients are ∂f/∂x from `ScanNetwork.inputGradient`.
//
//   saliency              |∂f/∂x|                                   (Simonyan et al. 2014)
//   input × gradient      (x − x₀) ⊙ ∂f/∂x — equals the NNS learning image (LearningImages.swift;
//                         x₀ = inputOrigin, 0 by default)
//   integrated gradients  (x − b) ⊙ (1/m) Σ_{k=1…m} ∂f/∂x |_{b + ((k − ½)/m)(x − b)}
//                         (Sundararajan et al. 2017, midpoint Riemann sum with m steps; the
//                         completeness gap Σ IG − (f(x) − f(b)) is reported and → 0 as m grows)
//   Grad-CAM              on a map layer A [K, H′, W′] before l: α_k = (1/H′W′) Σ_ij ∂f/∂A_kij,
//                         ReLU(Σ_k α_k A_k), bilinearly upsampled to [H, W] (align_corners=False,
//                         ImageResampling.bilinear)                  (Selvaraju et al. 2017)
//   occlusion             a square window (size w, stride s) set to a constant baseline in all
//                         channels; window origins 0, s, 2s, … plus H − w (resp. W − w) when not on
//                         that grid so the border is covered; a pixel's value is the mean over the
//                         windows covering it of f(x) − f(x with the window occluded)  (Zeiler & Fergus 2014)
//   nns                   the NNS learning image of the target (same numbers as input × gradient)
//
// Maps with channels ([N, C, H, W]) are reduced to one plane per stimulus [N, H, W] by summing
// over channels (`collapseChannels`) for display and for the faithfulness scores.
import Foundation
import Tensors
import ConvEngine

public enum AttributionMethod: String, CaseIterable, Sendable, Codable {
    case saliency
    case inputXGradient = "input-x-gradient"
    case integratedGradients = "integrated-gradients"
    case gradCAM = "grad-cam"
    case occlusion
    case nns
}

public struct AttributionSettings: Sendable, Equatable {
    /// Integrated gradients: number of interpolation points m.
    public var integratedGradientSteps: Int = 64
    /// Integrated gradients and occlusion: the constant baseline value (in model input units).
    public var baseline: Float = 0
    /// Grad-CAM: index of the map layer (nil: the last layer with a [K, H′, W′] output before the target).
    public var gradCAMLayer: Int?
    public var occlusionWindow: Int = 8
    public var occlusionStride: Int = 4
    public var batchSize: Int = 32

    public init() {}
}

/// One output of the network to explain: neuron `neuron` (flat per-stimulus index) of `layer`.
public struct ScanTarget: Sendable, Equatable {
    public let layer: Int
    public let neuron: Int
    public init(layer: Int, neuron: Int) { self.layer = layer; self.neuron = neuron }
}

extension ScanNetwork {
    /// Readout unit u as a target (typed error when absent or out of range).
    public func unitTarget(_ u: Int) throws -> ScanTarget {
        guard let r = readoutIndex else {
            throw ScannerError.invalidOption(option: .unit, reason: "the model has no readout; name a layer and a neuron instead")
        }
        guard u >= 0 && u < neuronCount(layer: r) else {
            throw ScannerError.indexOutOfRange(option: .unit, index: u, count: neuronCount(layer: r), what: "unit")
        }
        return ScanTarget(layer: r, neuron: u)
    }

    func check(_ t: ScanTarget) throws {
        try requireLayer(t.layer)
        let per = neuronCount(layer: t.layer)
        guard t.neuron >= 0 && t.neuron < per else {
            throw ScannerError.indexOutOfRange(option: t.layer == readoutIndex ? .unit : .neuron, index: t.neuron, count: per,
                                               what: t.layer == readoutIndex ? "unit" : "neuron")
        }
    }

    /// f(x) for each stimulus [N].
    public func targetValues(_ x: Tensor, target t: ScanTarget, batchSize: Int = 64) throws -> [Float] {
        try validate(stimuli: x)
        try check(t)
        let out = outputs(x, through: t.layer, batchSize: batchSize)
        let per = neuronCount(layer: t.layer)
        return (0..<x.shape[0]).map { out.data[$0 * per + t.neuron] }
    }

    /// ∂f/∂x [N, C, H, W].
    public func gradient(_ x: Tensor, target t: ScanTarget, batchSize: Int = 32) throws -> Tensor {
        try validate(stimuli: x)
        try check(t)
        let per = neuronCount(layer: t.layer)
        return chunked(x, batchSize: batchSize) { xb in
            let a = forward(xb, through: t.layer)
            var g = Tensor(shape: a.shape)
            for n in 0..<xb.shape[0] { g.data[n * per + t.neuron] = 1 }
            return inputGradient(from: t.layer, gradient: g)
        }
    }

    public func saliency(_ x: Tensor, target t: ScanTarget, batchSize: Int = 32) throws -> Tensor {
        try gradient(x, target: t, batchSize: batchSize).map { abs($0) }
    }

    public func inputTimesGradient(_ x: Tensor, target t: ScanTarget, batchSize: Int = 32) throws -> Tensor {
        var g = try gradient(x, target: t, batchSize: batchSize)
        multiplyBySplit(&g, x)
        return g
    }

    /// Integrated gradients with a constant baseline; also returns per stimulus the completeness
    /// gap Σ IG − (f(x) − f(b)).
    public func integratedGradients(_ x: Tensor, target t: ScanTarget, steps m: Int, baseline: Float = 0,
                                    batchSize: Int = 32) throws -> (map: Tensor, completenessGap: [Double]) {
        try validate(stimuli: x)
        try check(t)
        guard m >= 1 else { throw ScannerError.invalidOption(option: .steps, reason: "integrated gradients need at least 1 step, got \(m)") }
        let b = Tensor(shape: x.shape, repeating: baseline)
        let diff = x - b
        var acc = Tensor(shape: x.shape)
        for k in 1...m {
            let alpha = (Float(k) - 0.5) / Float(m)
            var xi = b
            xi.add(diff, scaledBy: alpha)
            acc.add(try gradient(xi, target: t, batchSize: batchSize))
        }
        acc.scale(by: 1 / Float(m))
        acc.multiply(by: diff)
        let fx = try targetValues(x, target: t), fb = try targetValues(b, target: t)
        let img = inputShape.product
        let gap = (0..<x.shape[0]).map { n -> Double in
            var s = 0.0
            for i in 0..<img { s += Double(acc.data[n * img + i]) }
            return s - (Double(fx[n]) - Double(fb[n]))
        }
        return (acc, gap)
    }

    /// The default Grad-CAM layer: the last layer before `target` with a [K, H′, W′] output.
    public func defaultGradCAMLayer(before target: Int) -> Int? {
        (0..<target).last { layerShapes[$0].count == 3 }
    }

    /// Grad-CAM maps [N, H, W] on map layer `camLayer` (< target layer).
    public func gradCAM(_ x: Tensor, target t: ScanTarget, layer cam: Int, batchSize: Int = 32) throws -> Tensor {
        try validate(stimuli: x)
        try check(t)
        try requireLayer(cam)
        guard cam < t.layer, layerShapes[cam].count == 3 else {
            throw ScannerError.notApplicable(method: "grad-cam",
                                             reason: "layer '\(layer(cam).name)' must be a feature-map layer ([K, H, W] output) before '\(layer(t.layer).name)'")
        }
        let (k, hh, ww) = (layerShapes[cam][0], layerShapes[cam][1], layerShapes[cam][2])
        let (h, w) = (inputShape[1], inputShape[2])
        let per = neuronCount(layer: t.layer)
        let n = x.shape[0]
        var out = Tensor(shape: [n, h, w])
        var start = 0
        while start < n {
            let stop = min(n, start + batchSize)
            let xb = x.slice(start..<stop)
            let a = forward(xb, through: t.layer)
            let maps = activations[cam]
            // dF/dA for the cam layer: backward from the target down to (and excluding) the cam layer.
            var g = Tensor(shape: a.shape)
            for i in 0..<(stop - start) { g.data[i * per + t.neuron] = 1 }
            for i in stride(from: t.layer, to: cam, by: -1) {
                if let conv = layer(i) as? Conv2D { g = conv.inputGradient(g, inputShape: layerInputs[i].shape) } else { g = layer(i).backward(g) }
            }
            for i in 0..<(stop - start) {
                var plane = [Float](repeating: 0, count: hh * ww)
                for c in 0..<k {
                    let base = (i * k + c) * hh * ww
                    var alpha = 0.0
                    for p in 0..<(hh * ww) { alpha += Double(g.data[base + p]) }
                    let al = Float(alpha / Double(hh * ww))
                    for p in 0..<(hh * ww) { plane[p] += al * maps.data[base + p] }
                }
                for p in plane.indices { plane[p] = max(plane[p], 0) }
                let up = ImageResampling.bilinear(plane, height: hh, width: ww, toHeight: h, toWidth: w)
                for p in 0..<(h * w) { out.data[(start + i) * h * w + p] = up[p] }
            }
            start = stop
        }
        return out
    }

    /// Window origins along an axis of length n: 0, s, 2s, … ≤ n − w, plus n − w when missing.
    static func occlusionOrigins(_ n: Int, window w: Int, stride s: Int) -> [Int] {
        var o = Array(Swift.stride(from: 0, through: n - w, by: s))
        if o.last != n - w { o.append(n - w) }
        return o
    }

    /// Occlusion maps [N, H, W].
    public func occlusion(_ x: Tensor, target t: ScanTarget, window: Int, stride: Int, baseline: Float = 0,
                          batchSize: Int = 64) throws -> Tensor {
        try validate(stimuli: x)
        try check(t)
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        guard window >= 1, window <= min(h, w) else {
            throw ScannerError.invalidOption(option: .window, reason: "occlusion window \(window) must be in 1...\(min(h, w))")
        }
        guard stride >= 1 else { throw ScannerError.invalidOption(option: .stride, reason: "occlusion stride must be at least 1, got \(stride)") }
        let ys = Self.occlusionOrigins(h, window: window, stride: stride), xs = Self.occlusionOrigins(w, window: window, stride: stride)
        let positions = ys.flatMap { y in xs.map { (y, $0) } }
        let n = x.shape[0], img = c * h * w
        let base = try targetValues(x, target: t, batchSize: batchSize)
        var total = [Double](repeating: 0, count: n * h * w)
        var count = [Double](repeating: 0, count: h * w)
        for (y0, x0) in positions { for yy in y0..<(y0 + window) { for xx in x0..<(x0 + window) { count[yy * w + xx] += 1 } } }
        for i in 0..<n {
            // All occluded copies of stimulus i, in batches.
            var p0 = 0
            while p0 < positions.count {
                let p1 = min(positions.count, p0 + batchSize)
                var batch = Tensor(shape: [p1 - p0, c, h, w])
                for (j, (y0, x0)) in positions[p0..<p1].enumerated() {
                    for q in 0..<img { batch.data[j * img + q] = x.data[i * img + q] }
                    for ch in 0..<c { for yy in y0..<(y0 + window) { for xx in x0..<(x0 + window) {
                        batch.data[j * img + (ch * h + yy) * w + xx] = baseline
                    } } }
                }
                let f = try targetValues(batch, target: t, batchSize: batchSize)
                for (j, (y0, x0)) in positions[p0..<p1].enumerated() {
                    let d = Double(base[i]) - Double(f[j])
                    for yy in y0..<(y0 + window) { for xx in x0..<(x0 + window) { total[i * h * w + yy * w + xx] += d } }
                }
                p0 = p1
            }
        }
        var out = Tensor(shape: [n, h, w])
        for i in 0..<n { for p in 0..<(h * w) where count[p] > 0 { out.data[i * h * w + p] = Float(total[i * h * w + p] / count[p]) } }
        return out
    }

    /// Attribution maps [N, H, W] of `method` for target `t` (channel maps summed over channels).
    public func attribution(_ method: AttributionMethod, _ x: Tensor, target t: ScanTarget,
                            settings: AttributionSettings = AttributionSettings()) throws -> Tensor {
        switch method {
        case .saliency: return Self.collapseChannels(try saliency(x, target: t, batchSize: settings.batchSize))
        case .inputXGradient: return Self.collapseChannels(try inputTimesGradient(x, target: t, batchSize: settings.batchSize))
        case .nns: return Self.collapseChannels(try neuronLearningImages(x, layer: t.layer, neuron: t.neuron, batchSize: settings.batchSize))
        case .integratedGradients:
            return Self.collapseChannels(try integratedGradients(x, target: t, steps: settings.integratedGradientSteps,
                                                                 baseline: settings.baseline, batchSize: settings.batchSize).map)
        case .gradCAM:
            try check(t)
            guard let cam = settings.gradCAMLayer ?? defaultGradCAMLayer(before: t.layer) else {
                throw ScannerError.notApplicable(method: "grad-cam", reason: "no feature-map layer before '\(layer(t.layer).name)'")
            }
            return try gradCAM(x, target: t, layer: cam, batchSize: settings.batchSize)
        case .occlusion:
            return try occlusion(x, target: t, window: settings.occlusionWindow, stride: settings.occlusionStride,
                                 baseline: settings.baseline, batchSize: settings.batchSize)
        }
    }

    /// [N, C, H, W] → [N, H, W], summing over channels.
    public static func collapseChannels(_ m: Tensor) -> Tensor {
        precondition(m.rank == 4)
        let (n, c, hw) = (m.shape[0], m.shape[1], m.shape[2] * m.shape[3])
        var out = Tensor(shape: [n, m.shape[2], m.shape[3]])
        for i in 0..<n { for ch in 0..<c { for p in 0..<hw { out.data[i * hw + p] += m.data[(i * c + ch) * hw + p] } } }
        return out
    }
}
