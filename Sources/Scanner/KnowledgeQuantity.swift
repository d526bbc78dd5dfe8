// Knowledge quantity of learning images (thesis §3.3.1, eq. 3-14…3-20), as implemented here.
// All maps are per stimulus at input resolution, collapsed over input channels (Σ_c); P = H·W.
// "Active" means |v_p| > τ·max_p |v_p| (τ = `activityThreshold`, default 1e-3): learning images
// are exact zeros outside a neuron's receptive field / gates, τ only absorbs float round-off.
//
//   activation count (3-14)  κ_count = #{p : I_p active} / #{p : x_p active}   (relative to the input)
//   intensity (3-14)         κ_int   = Σ_p |I_p| / Σ_p |x_p|
//   distance (3-15)          d = ‖Î − x̂‖₂, Î = I/‖I‖₂, x̂ = x/‖x‖₂ (0 … 2; 0 when I ∝ x)
//   similarity (3-16)        cos = ⟨Î, x̂⟩ = 1 − d²/2
//   layer correlation (3-17) r_k = Pearson(|L^k|, up(A_k)), up = bilinear upsampling of the
//                            channel-k feature map to H × W; (3-18) R_l = mean_k r_k over filters
//                            with a defined r (dead or constant filters are skipped)
//   top-2 IoU (3-19, 3-20)   the two neurons of the layer with the largest activation;
//                            IoU = |A₁ ∩ A₂| / |A₁ ∪ A₂| over their active pixels
// Choices made here (thesis text not at hand): absolute values for count/intensity (signed
// pixels would cancel), unit-norm signed maps for the distance, |L^k| for the correlation.
import Foundation
import Tensors

public struct KnowledgeSettings: Sendable, Equatable {
    public var activityThreshold: Float = 1e-3
    public var batchSize: Int = 16
    public init() {}
}

/// Knowledge quantity of one layer, averaged over stimuli (per-stimulus values alongside).
public struct LayerKnowledge: Sendable, Codable, Equatable {
    public let layer: String
    public let activationCount: Double
    public let intensity: Double
    public let distance: Double
    public let cosine: Double
    /// R_l (3-18); nil for layers without feature maps or with no defined r_k.
    public let layerCorrelation: Double?
    /// Per filter r_k averaged over stimuli [K] (NaN where undefined); empty for flat layers.
    public let filterCorrelations: [Double]
    public let topTwoIoU: Double?
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

    /// (κ_count, κ_int) of learning image `image` for input `input` (both [P]).
    public static func quantity(image: [Float], input: [Float], threshold: Float) -> (count: Double, intensity: Double) {
        let ni = activeMask(image, threshold: threshold).filter { $0 }.count
        let nx = activeMask(input, threshold: threshold).filter { $0 }.count
        let si = image.reduce(0.0) { $0 + Double(abs($1)) }, sx = input.reduce(0.0) { $0 + Double(abs($1)) }
        return (nx > 0 ? Double(ni) / Double(nx) : .nan, sx > 0 ? si / sx : .nan)
    }

    /// (d, cos) between unit-norm image and input; NaN when either is 0.
    public static func distance(image: [Float], input: [Float]) -> (distance: Double, cosine: Double) {
        let ni = image.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let nx = input.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        guard ni > 0, nx > 0 else { return (.nan, .nan) }
        var d2 = 0.0, dot = 0.0
        for p in 0..<image.count {
            let a = Double(image[p]) / ni, b = Double(input[p]) / nx
            d2 += (a - b) * (a - b); dot += a * b
        }
        return (d2.squareRoot(), dot)
    }

    public static func intersectionOverUnion(_ a: [Bool], _ b: [Bool]) -> Double {
        var inter = 0, union = 0
        for p in 0..<a.count { if a[p] && b[p] { inter += 1 }; if a[p] || b[p] { union += 1 } }
        return union > 0 ? Double(inter) / Double(union) : .nan
    }
}

extension ScanNetwork {
    /// Knowledge quantity of layer `l` over stimuli x [N, C, H, W]: the layer learning image for
    /// count, intensity and distances; filter learning images for the layer correlation; the two
    /// most active neurons' learning images for the IoU.
    public func knowledge(_ x: Tensor, layer l: Int, settings: KnowledgeSettings = KnowledgeSettings()) throws -> LayerKnowledge {
        try validate(stimuli: x)
        try requireLayer(l)
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let img = c * h * w, n = x.shape[0]
        let layerLI = try layerLearningImages(x, layer: l, batchSize: settings.batchSize)
        var counts: [Double] = [], intens: [Double] = [], dists: [Double] = [], coss: [Double] = []
        for i in 0..<n {
            let xi = KnowledgeMeasures.collapse(x.data[(i * img)..<((i + 1) * img)], channels: c)
            let li = KnowledgeMeasures.collapse(layerLI.data[(i * img)..<((i + 1) * img)], channels: c)
            let q = KnowledgeMeasures.quantity(image: li, input: xi, threshold: settings.activityThreshold)
            let d = KnowledgeMeasures.distance(image: li, input: xi)
            counts.append(q.count); intens.append(q.intensity); dists.append(d.distance); coss.append(d.cosine)
        }
        // Layer correlation (maps only).
        var filterR: [Double] = []
        var layerR: Double?
        let isMap = layerShapes[l].count == 3
        if isMap {
            let (k, hh, ww) = (layerShapes[l][0], layerShapes[l][1], layerShapes[l][2])
            let fl = try filterLearningImages(x, layer: l, batchSize: settings.batchSize)
            let maps = outputs(x, through: l)
            var sums = [Double](repeating: 0, count: k), defined = [Int](repeating: 0, count: k)
            for i in 0..<n {
                for f in 0..<k {
                    let base = (i * k + f) * img
                    let li = KnowledgeMeasures.collapse(fl.data[base..<(base + img)], channels: c).map { abs($0) }
                    let plane = Array(maps.data[((i * k + f) * hh * ww)..<((i * k + f + 1) * hh * ww)])
                    let up = ImageResampling.bilinear(plane, height: hh, width: ww, toHeight: h, toWidth: w)
                    let r = ScanStatistics.pearson(li, up)
                    if r.isFinite { sums[f] += r; defined[f] += 1 }
                }
            }
            filterR = (0..<k).map { defined[$0] > 0 ? sums[$0] / Double(defined[$0]) : .nan }
            let ok = filterR.filter { $0.isFinite }
            layerR = ok.isEmpty ? nil : ScanStatistics.mean(ok)
        }
        // IoU of the two most active neurons, per stimulus.
        var ious: [Double] = []
        if neuronCount(layer: l) >= 2 {
            let a = outputs(x, through: l)
            let per = neuronCount(layer: l)
            for i in 0..<n {
                let row = a.data[(i * per)..<((i + 1) * per)]
                let sorted = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
                let top = [sorted[0] - i * per, sorted[1] - i * per]
                let lis = try learningImages(of: x.slice(i..<(i + 1)), layer: l, neurons: top)
                let m1 = KnowledgeMeasures.activeMask(KnowledgeMeasures.collapse(lis.data[0..<img], channels: c), threshold: settings.activityThreshold)
                let m2 = KnowledgeMeasures.activeMask(KnowledgeMeasures.collapse(lis.data[img..<(2 * img)], channels: c), threshold: settings.activityThreshold)
                let v = KnowledgeMeasures.intersectionOverUnion(m1, m2)
                if v.isFinite { ious.append(v) }
            }
        }
        func finiteMean(_ v: [Double]) -> Double { let f = v.filter { $0.isFinite }; return f.isEmpty ? .nan : ScanStatistics.mean(f) }
        return LayerKnowledge(layer: layer(l).name, activationCount: finiteMean(counts), intensity: finiteMean(intens),
                              distance: finiteMean(dists), cosine: finiteMean(coss), layerCorrelation: layerR,
                              filterCorrelations: filterR, topTwoIoU: ious.isEmpty ? nil : ScanStatistics.mean(ious),
                              perStimulusCount: counts, perStimulusIntensity: intens)
    }
}
