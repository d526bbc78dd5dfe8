// Knowledge quantity and neuron learning rules (thesis §3.3.1–3.4.2, eq. 3-15…3-20). All maps
// are per stimulus at input resolution, collapsed over input channels (Σ_c); P = H·W. I is the
// split input x − x₀ (what the learning images add up to). A pixel of an image v is active when
// |v_p| > τ·max_p|v_p| (τ = `activityThreshold`, default 0: non-zero — the thesis' "激活像素").
//
//   activation count (§3.3.1)  count(I_q) = active pixels of neuron q's learning image; the
//                              layer's = mean_q count(I_q) / count(I) ("该层所有神经元的平均激活
//                              数量与输入图像激活数量的百分比", as a fraction)
//   intensity (§3.3.1)         Σ_p I_q,p (the sum of pixel intensities, signed as written; |·| with
//                              `absoluteIntensity`); the layer's = mean_q Σ_p I_q,p / Σ_p I_p
//   distance (3-15)            dist_o^I = ‖I_o − I‖₂, raw (no normalisation); the layer's = mean
//                              over its neurons; beside it the distance of the same learning image
//                              to an unrelated stimulus (Fig. 3-9's comparison; *choice*: the next
//                              stimulus of the batch, i + 1 mod n)
//   class distance (3-16)      DIST_o^c = Σ_{I∈I^c} dist_o^I / N_c, the mean over the class' stimuli
//                              (`KnowledgeMeasures.classAveragedDistance`); an encoding data set has
//                              no classes, so `unitDistance` is 3-16 with all stimuli as one class,
//                              per readout unit o (*choice*)
//   overlap (3-17)             C^{k,l} = |S^{k,l} ∩ I^{k,l}| / |I^{k,l}|: active pixels of the
//                              bilinearly upsampled feature map S (align_corners = False) inside
//                              the active pixels of the filter learning image I^{k,l} = Σ_xy I_xy f_xy,
//                              over those of I^{k,l}; (3-18) C^l = mean over the K filters
//                              (filters whose learning image is empty are left out, *choice*)
//   top-2 IoU (3-19)           per feature map k, the two neurons with the largest activation;
//                              IoU^{k,l} = |A₁ ∩ A₂| / |A₁ ∪ A₂| of their active pixels;
//                              (3-20) IoU^l = mean over the K filters
// Per stimulus, then averaged over the stimuli (*choice*: the thesis reports one input at a time).
// Counts, intensities and distances over "all neurons of the layer" cost one backward per neuron
// and stimulus; they are taken over the neurons `sampledNeurons(layer:perFilter:)` picks (a grid
// of `neuronsPerFilter` positions per filter, every unit of a flat layer), *choice*; 0 = every neuron.
import Foundation
import Tensors

public struct KnowledgeSettings: Sendable, Equatable {
    public var activityThreshold: Float = 0
    /// Sum |I_p| instead of the signed sum for the intensity.
    public var absoluteIntensity = false
    /// Neurons per filter for count / intensity / distance (0 = all).
    public var neuronsPerFilter: Int = 16
    public var batchSize: Int = 16
    public init() {}
}

/// Knowledge quantity of one layer, averaged over stimuli (per-stimulus values alongside).
public struct LayerKnowledge: Sendable, Codable, Equatable {
    public let layer: String
    /// Neurons the count, intensity and distances average over.
    public let neurons: Int
    public let activationCount: Double
    public let intensity: Double
    /// Mean ‖I_o − I‖ over the neurons (3-15).
    public let distance: Double
    /// Mean ‖I_o − I′‖ to an unrelated stimulus I′ (Fig. 3-9); nil with one stimulus.
    public let distanceToOther: Double?
    /// Per unit o of a flat layer (the readout): DIST_o over all stimuli (3-16, one class); empty for maps.
    public let unitDistance: [Double]
    /// C^l (3-18); nil for layers without feature maps or with no defined C^{k,l}.
    public let layerCorrelation: Double?
    /// C^{k,l} per filter averaged over stimuli [K] (NaN where undefined); empty for flat layers.
    public let filterCorrelations: [Double]
    /// IoU^l (3-20); nil for flat layers or when undefined.
    public let topTwoIoU: Double?
    /// IoU^{k,l} per filter averaged over stimuli [K].
    public let filterTopTwoIoU: [Double]
    public let perStimulusCount: [Double]
    public let perStimulusIntensity: [Double]
}

public enum KnowledgeMeasures {
    /// Σ_c of a [C, H, W] map → [H·W].
    public static func collapse(_ v: ArraySlice<Float>, channels c: Int) -> [Float] {
        let hw = v.count / c
        var out = [Float](repeating: 0, count: hw)
        let base = v.startIndex
        for ch in 0..<c { for p in 0..<hw { out[p] += v[base + ch * hw + p] } }
        return out
    }

    public static func activeMask(_ v: [Float], threshold: Float) -> [Bool] {
        let m = v.reduce(Float(0)) { max($0, abs($1)) }
        guard m > 0 else { return [Bool](repeating: false, count: v.count) }
        return v.map { abs($0) > threshold * m }
    }

    /// (active pixels, Σ pixels) of one image.
    public static func countAndIntensity(_ v: [Float], threshold: Float, absolute: Bool = false) -> (count: Int, intensity: Double) {
        (activeMask(v, threshold: threshold).filter { $0 }.count, v.reduce(0.0) { $0 + (absolute ? Double(abs($1)) : Double($1)) })
    }

    /// (count(I_q) / count(I), Σ I_q / Σ I) of one learning image against its split input (§3.3.1).
    public static func quantity(image: [Float], input: [Float], threshold: Float, absolute: Bool = false) -> (count: Double, intensity: Double) {
        let a = countAndIntensity(image, threshold: threshold, absolute: absolute), b = countAndIntensity(input, threshold: threshold, absolute: absolute)
        return (b.count > 0 ? Double(a.count) / Double(b.count) : .nan, b.intensity != 0 ? a.intensity / b.intensity : .nan)
    }

    /// ‖a − b‖₂ (eq. 3-15).
    public static func distance(_ a: [Float], _ b: [Float]) -> Double {
        var s = 0.0
        for p in 0..<a.count { let d = Double(a[p]) - Double(b[p]); s += d * d }
        return s.squareRoot()
    }

    /// DIST_o^c (eq. 3-16): the mean of `distances` (dist_o^I per stimulus) over the stimuli of
    /// each class; keys are the class labels.
    public static func classAveragedDistance(distances: [Double], labels: [Int]) -> [Int: Double] {
        precondition(distances.count == labels.count)
        var sum = [Int: Double](), count = [Int: Int]()
        for (d, c) in zip(distances, labels) { sum[c, default: 0] += d; count[c, default: 0] += 1 }
        var out = [Int: Double]()
        for (c, v) in sum { out[c] = v / Double(count[c]!) }
        return out
    }

    /// C^{k,l} (eq. 3-17): |S ∩ I| / |I| over active pixels; NaN when I has none.
    public static func overlapRatio(featureMap s: [Bool], learningImage i: [Bool]) -> Double {
        var inter = 0, ni = 0
        for p in 0..<i.count where i[p] { ni += 1; if s[p] { inter += 1 } }
        return ni > 0 ? Double(inter) / Double(ni) : .nan
    }

    public static func intersectionOverUnion(_ a: [Bool], _ b: [Bool]) -> Double {
        var inter = 0, union = 0
        for p in 0..<a.count { if a[p] && b[p] { inter += 1 }; if a[p] || b[p] { union += 1 } }
        return union > 0 ? Double(inter) / Double(union) : .nan
    }
}

extension ScanNetwork {
    /// Knowledge quantity and learning rules of layer `l` over stimuli x [N, C, H, W].
    public func knowledge(_ x: Tensor, layer l: Int, settings: KnowledgeSettings = KnowledgeSettings()) throws -> LayerKnowledge {
        try validate(stimuli: x)
        try requireLayer(l)
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let img = c * h * w, n = x.shape[0]
        let tau = settings.activityThreshold
        let split = splitValues(x)
        let inputs = (0..<n).map { KnowledgeMeasures.collapse(split.data[($0 * img)..<(($0 + 1) * img)], channels: c) }
        let perFilter = settings.neuronsPerFilter > 0 ? settings.neuronsPerFilter : Int.max / 4
        let neurons = sampledNeurons(layer: l, perFilter: perFilter).map(\.neuron)
        let isMap = layerShapes[l].count == 3
        let acts = outputs(x, through: l)
        let per = neuronCount(layer: l)
        var counts: [Double] = [], intens: [Double] = [], dists: [Double] = [], others: [Double] = []
        var unitSums = [Double](repeating: 0, count: isMap ? 0 : neurons.count)
        let chunk = max(1, settings.batchSize * 8)
        for i in 0..<n {
            let (nx, sx) = KnowledgeMeasures.countAndIntensity(inputs[i], threshold: tau, absolute: settings.absoluteIntensity)
            let other = inputs[(i + 1) % n]
            var cSum = 0.0, iSum = 0.0, dSum = 0.0, oSum = 0.0
            var start = 0
            while start < neurons.count {
                let part = Array(neurons[start..<min(neurons.count, start + chunk)])
                let lis = try learningImages(of: x.slice(i..<(i + 1)), layer: l, neurons: part)
                for j in 0..<part.count {
                    let li = KnowledgeMeasures.collapse(lis.data[(j * img)..<((j + 1) * img)], channels: c)
                    let (cq, iq) = KnowledgeMeasures.countAndIntensity(li, threshold: tau, absolute: settings.absoluteIntensity)
                    cSum += Double(cq); iSum += iq
                    let d = KnowledgeMeasures.distance(li, inputs[i])
                    dSum += d; oSum += KnowledgeMeasures.distance(li, other)
                    if !isMap { unitSums[start + j] += d / Double(n) }
                }
                start += part.count
            }
            let q = Double(neurons.count)
            counts.append(nx > 0 ? (cSum / q) / Double(nx) : .nan)
            intens.append(sx != 0 ? (iSum / q) / sx : .nan)
            dists.append(dSum / q); others.append(oSum / q)
        }
        // 3-17/3-18 and 3-19/3-20 (maps only).
        var filterC: [Double] = [], filterIoU: [Double] = []
        var layerC: Double?, layerIoU: Double?
        if isMap {
            let (k, hh, ww) = (layerShapes[l][0], layerShapes[l][1], layerShapes[l][2])
            let fl = try filterLearningImages(x, layer: l, batchSize: settings.batchSize)
            var cs = [Double](repeating: 0, count: k), cn = [Int](repeating: 0, count: k)
            var us = [Double](repeating: 0, count: k), un = [Int](repeating: 0, count: k)
            for i in 0..<n {
                var tops: [Int] = []
                for f in 0..<k {
                    let base = (i * k + f) * img
                    let li = KnowledgeMeasures.activeMask(KnowledgeMeasures.collapse(fl.data[base..<(base + img)], channels: c), threshold: tau)
                    let planeStart = i * per + f * hh * ww
                    let plane = Array(acts.data[planeStart..<(planeStart + hh * ww)])
                    let up = ImageResampling.bilinear(plane, height: hh, width: ww, toHeight: h, toWidth: w)
                    let r = KnowledgeMeasures.overlapRatio(featureMap: KnowledgeMeasures.activeMask(up, threshold: tau), learningImage: li)
                    if r.isFinite { cs[f] += r; cn[f] += 1 }
                    if hh * ww >= 2 {
                        let order = (0..<(hh * ww)).sorted { plane[$0] != plane[$1] ? plane[$0] > plane[$1] : $0 < $1 }
                        tops += [f * hh * ww + order[0], f * hh * ww + order[1]]
                    }
                }
                guard !tops.isEmpty else { continue }
                let lis = try learningImages(of: x.slice(i..<(i + 1)), layer: l, neurons: tops)
                for f in 0..<k {
                    let a = KnowledgeMeasures.activeMask(KnowledgeMeasures.collapse(lis.data[(2 * f * img)..<((2 * f + 1) * img)], channels: c), threshold: tau)
                    let b = KnowledgeMeasures.activeMask(KnowledgeMeasures.collapse(lis.data[((2 * f + 1) * img)..<((2 * f + 2) * img)], channels: c), threshold: tau)
                    let v = KnowledgeMeasures.intersectionOverUnion(a, b)
                    if v.isFinite { us[f] += v; un[f] += 1 }
                }
            }
            filterC = (0..<k).map { cn[$0] > 0 ? cs[$0] / Double(cn[$0]) : .nan }
            filterIoU = (0..<k).map { un[$0] > 0 ? us[$0] / Double(un[$0]) : .nan }
            let okC = filterC.filter { $0.isFinite }, okU = filterIoU.filter { $0.isFinite }
            layerC = okC.isEmpty ? nil : ScanStatistics.mean(okC)
            layerIoU = okU.isEmpty ? nil : ScanStatistics.mean(okU)
        }
        func finiteMean(_ v: [Double]) -> Double { let f = v.filter { $0.isFinite }; return f.isEmpty ? .nan : ScanStatistics.mean(f) }
        return LayerKnowledge(layer: layer(l).name, neurons: neurons.count, activationCount: finiteMean(counts), intensity: finiteMean(intens),
                              distance: finiteMean(dists), distanceToOther: n > 1 ? finiteMean(others) : nil, unitDistance: unitSums,
                              layerCorrelation: layerC, filterCorrelations: filterC, topTwoIoU: layerIoU, filterTopTwoIoU: filterIoU,
                              perStimulusCount: counts, perStimulusIntensity: intens)
    }
}
