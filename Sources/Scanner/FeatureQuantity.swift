// Feature quantity FQ (thesis ch. 4, eq. 4-1…4-7, 4-12), as implemented here. Per stimulus, maps
// at input resolution collapsed over channels (P = H·W pixels):
//
//   a_p = |I_p| / max_p |I_p|                       learning-image magnitude in [0, 1]
//   b_p = (x_p − min x) / (max x − min x)           stimulus intensity in [0, 1]
//   M   foreground mask (/masks; else the threshold rule below), N = P, N_f = |M|
//   active pixels A = {p : a_p > τ}; effective part E = A ∩ M (N_e = |E|);
//   noise part A \ M; N_n = N − |A \ M|  (the pixels free of noise)
//   over the foreground pixels (population statistics):
//     l = (2 μ_a μ_b + C1) / (μ_a² + μ_b² + C1)                 luminance (4-3)
//     c = (2 σ_a σ_b + C2) / (σ_a² + σ_b² + C2)                 contrast  (4-4)
//     s = (σ_ab + C3) / (σ_a σ_b + C3)                          structure (4-5)
//   F = K · (N_n / N) · (N_e / N_f) · l · c · s,  K = 1e4, C1 = 1e-4, C2 = 3e-4, C3 = 1.5e-4  (4-6)
//   FQ of a neuron / filter = max over the stimuli of F (4-7)
// Per layer: Pearson r over filters between the filter's mean activation and its FQ (4-12); mean
// and variance of FQ over filters; feature diversity = number of DBSCAN clusters of the FQ of
// sampled neurons within each filter (values divided by their largest |FQ|, eps 0.05, minSamples 2).
//
// Choices made here (thesis text not at hand): the SSIM terms compare the learning image's
// effective part with the stimulus' foreground; N_n counts noise-free pixels (so more noise lowers
// F, as a "feature quantity" should); masks absent ⇒ foreground = pixels whose |x_p − median(x)|
// exceeds the mean of |x − median(x)| (documented, crude; pass /masks for real analyses).
import Foundation
import Tensors

public struct FeatureQuantitySettings: Sendable, Equatable, Codable {
    public var k: Double = 1e4
    public var c1: Double = 1e-4
    public var c2: Double = 3e-4
    public var c3: Double = 1.5e-4
    /// τ: a pixel of the learning image is active when a_p > τ.
    public var activityThreshold: Double = 1e-3
    public var batchSize: Int = 16
    /// Neurons sampled per filter (a regular grid of positions) for the diversity clusters; 0 skips.
    public var neuronsPerFilter: Int = 16
    /// Stimuli used for the per-neuron FQ of the diversity clusters (the first ones).
    public var diversityStimuli: Int = 8
    public var diversityEps: Double = 0.05
    public var diversityMinSamples: Int = 2
    public init() {}
}

/// F of one learning image and its parts.
public struct FeatureScore: Sendable, Codable, Equatable {
    public let value: Double
    public let luminance: Double, contrast: Double, structure: Double
    public let effectivePixels: Int, noiseFreePixels: Int, foregroundPixels: Int, pixels: Int
}

public struct LayerFeatureQuantity: Sendable, Codable, Equatable {
    public let layer: String
    /// FQ per filter (max over stimuli of F of the filter learning image) [K].
    public let filterFQ: [Double]
    /// Mean activation per filter (over stimuli and positions) [K].
    public let filterActivation: [Double]
    /// Pearson r between activation and FQ over filters (4-12); nil when undefined.
    public let activationCorrelation: Double?
    public let meanFQ: Double
    public let varianceFQ: Double
    /// Clusters of neuron FQ per filter [K] (empty when not computed).
    public let diversity: [Int]
    /// True when masks came from the threshold rule.
    public let thresholdMasks: Bool
}

public enum FeatureQuantity {
    /// F for learning image `image` and stimulus `stimulus` (both [P], channel-collapsed) with
    /// foreground `mask` [P].
    public static func score(image: [Float], stimulus: [Float], mask: [Bool], settings: FeatureQuantitySettings = FeatureQuantitySettings()) -> FeatureScore {
        let p = image.count
        precondition(stimulus.count == p && mask.count == p)
        let mi = image.reduce(0.0) { max($0, Double(abs($1))) }
        let a = image.map { mi > 0 ? Double(abs($0)) / mi : 0 }
        let lo = stimulus.min().map(Double.init) ?? 0, hi = stimulus.max().map(Double.init) ?? 0
        let b = stimulus.map { hi > lo ? (Double($0) - lo) / (hi - lo) : 0 }
        var nf = 0, ne = 0, noise = 0
        for q in 0..<p {
            let active = a[q] > settings.activityThreshold
            if mask[q] { nf += 1; if active { ne += 1 } } else if active { noise += 1 }
        }
        let nn = p - noise
        guard nf > 0 else {
            return FeatureScore(value: 0, luminance: .nan, contrast: .nan, structure: .nan, effectivePixels: 0, noiseFreePixels: nn, foregroundPixels: 0, pixels: p)
        }
        var ma = 0.0, mb = 0.0
        for q in 0..<p where mask[q] { ma += a[q]; mb += b[q] }
        ma /= Double(nf); mb /= Double(nf)
        var va = 0.0, vb = 0.0, cab = 0.0
        for q in 0..<p where mask[q] {
            va += (a[q] - ma) * (a[q] - ma); vb += (b[q] - mb) * (b[q] - mb); cab += (a[q] - ma) * (b[q] - mb)
        }
        va /= Double(nf); vb /= Double(nf); cab /= Double(nf)
        let sa = va.squareRoot(), sb = vb.squareRoot()
        let l = (2 * ma * mb + settings.c1) / (ma * ma + mb * mb + settings.c1)
        let c = (2 * sa * sb + settings.c2) / (va + vb + settings.c2)
        let s = (cab + settings.c3) / (sa * sb + settings.c3)
        let f = settings.k * (Double(nn) / Double(p)) * (Double(ne) / Double(nf)) * l * c * s
        return FeatureScore(value: f, luminance: l, contrast: c, structure: s, effectivePixels: ne, noiseFreePixels: nn, foregroundPixels: nf, pixels: p)
    }

    /// Foreground by the threshold rule: |x_p − median(x)| > mean_p |x_p − median(x)|.
    public static func thresholdMask(stimulus: [Float]) -> [Bool] {
        let sorted = stimulus.sorted()
        let n = sorted.count
        let med = n % 2 == 1 ? Double(sorted[n / 2]) : (Double(sorted[n / 2 - 1]) + Double(sorted[n / 2])) / 2
        let dev = stimulus.map { abs(Double($0) - med) }
        let mean = dev.reduce(0, +) / Double(max(n, 1))
        return dev.map { $0 > mean }
    }

    /// Validates masks [N, H, W] (uint8, non-zero = foreground) against stimuli x [N, C, H, W].
    public static func checkMasks(_ masks: [UInt8], shape: [Int], stimuli x: Tensor, path: String = "/masks") throws {
        let expected = [x.shape[0], x.shape[2], x.shape[3]]
        guard shape == expected, masks.count == expected.product else {
            throw ScannerError.maskShape(path: path, shape: shape, expected: expected)
        }
    }
}

extension ScanNetwork {
    /// Feature quantity of layer `l` over stimuli x [N, C, H, W] with optional masks [N, H, W].
    public func featureQuantity(_ x: Tensor, masks: [UInt8]?, maskShape: [Int]? = nil, layer l: Int,
                                settings: FeatureQuantitySettings = FeatureQuantitySettings()) throws -> LayerFeatureQuantity {
        try validate(stimuli: x)
        try requireLayer(l)
        if let m = masks { try FeatureQuantity.checkMasks(m, shape: maskShape ?? [x.shape[0], x.shape[2], x.shape[3]], stimuli: x) }
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let (n, img, hw) = (x.shape[0], c * h * w, h * w)
        let k = channelCount(layer: l)
        let stim = (0..<n).map { KnowledgeMeasures.collapse(x.data[($0 * img)..<(($0 + 1) * img)], channels: c) }
        let fg: [[Bool]] = (0..<n).map { i in
            if let m = masks { return (0..<hw).map { m[i * hw + $0] != 0 } }
            return FeatureQuantity.thresholdMask(stimulus: stim[i])
        }
        let fl = try filterLearningImages(x, layer: l, batchSize: settings.batchSize)
        var fq = [Double](repeating: -.infinity, count: k)
        for i in 0..<n { for f in 0..<k {
            let base = (i * k + f) * img
            let li = KnowledgeMeasures.collapse(fl.data[base..<(base + img)], channels: c)
            fq[f] = max(fq[f], FeatureQuantity.score(image: li, stimulus: stim[i], mask: fg[i], settings: settings).value)
        } }
        let act = outputs(x, through: l)
        let plane = neuronCount(layer: l) / k
        let activation = (0..<k).map { f -> Double in
            var s = 0.0
            for i in 0..<n { for p in 0..<plane { s += Double(act.data[(i * k + f) * plane + p]) } }
            return s / Double(n * plane)
        }
        let r = ScanStatistics.pearson(activation, fq)
        var diversity: [Int] = []
        if settings.neuronsPerFilter > 0, layerShapes[l].count == 3 {
            let (hh, ww) = (layerShapes[l][1], layerShapes[l][2])
            let side = max(1, Int(Double(settings.neuronsPerFilter).squareRoot()))
            let ys = Self.grid(hh, side), xs = Self.grid(ww, side)
            let positions = ys.flatMap { y in xs.map { y * ww + $0 } }
            let ns = min(n, max(1, settings.diversityStimuli))
            for f in 0..<k {
                let neurons = positions.map { f * hh * ww + $0 }
                var best = [Double](repeating: -.infinity, count: neurons.count)
                for i in 0..<ns {
                    let lis = try learningImages(of: x.slice(i..<(i + 1)), layer: l, neurons: neurons)
                    for j in 0..<neurons.count {
                        let li = KnowledgeMeasures.collapse(lis.data[(j * img)..<((j + 1) * img)], channels: c)
                        best[j] = max(best[j], FeatureQuantity.score(image: li, stimulus: stim[i], mask: fg[i], settings: settings).value)
                    }
                }
                let scale = best.reduce(0) { max($0, abs($1)) }
                let v = best.map { scale > 0 ? $0 / scale : 0 }
                let labels = DBSCAN.cluster(data: v, rows: v.count, columns: 1, eps: settings.diversityEps, minSamples: settings.diversityMinSamples)
                diversity.append(Set(labels.filter { $0 >= 0 }).count)
            }
        }
        return LayerFeatureQuantity(layer: layer(l).name, filterFQ: fq, filterActivation: activation,
                                    activationCorrelation: r.isFinite ? r : nil, meanFQ: ScanStatistics.mean(fq),
                                    varianceFQ: ScanStatistics.variance(fq), diversity: diversity, thresholdMasks: masks == nil)
    }

    /// `count` evenly spread indices in 0..<n (all when n ≤ count).
    static func grid(_ n: Int, _ count: Int) -> [Int] {
        if n <= count { return Array(0..<n) }
        return (0..<count).map { Int((Double($0) + 0.5) * Double(n) / Double(count)) }
    }
}
