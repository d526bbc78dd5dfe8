// Feature quantity FQ (thesis ch. 4, eq. 4-1…4-12). Per stimulus and neuron, maps at input
// resolution collapsed over channels (Σ_c), P = H·W pixels. I is the split input x − x₀ (what the
// learning images add up to, LearningImages.swift), I_x the neuron's learning image, M^f the
// foreground mask and M^b its complement; "∩ M" keeps the image's pixels inside M and zeroes the
// others, so every masked image keeps the size H × W ("掩码…确保图像尺寸的一致性").
//
//   active pixels of an image v:  |v_p| > τ · max_p |v_p|  (τ = `activityThreshold`, 0: non-zero)
//   I^f = I ∩ M^f                                                     foreground image
//   I_x^e = I_x ∩ M^f,  I_x^n = I_x ∩ M^b                             (4-1)
//   I_x^{fe} = I^f ∩ M_x,  M_x = the active pixels of I_x             (4-2)
//   l_x = 2 μ^{fe} μ^e / (μ^{fe}² + μ^e² + C1)                         (4-3)
//   c_x = 2 σ^{fe} σ^e / (σ^{fe}² + σ^e² + C2)                         (4-4)
//   s_x = σ^{fee} / (σ^{fe} σ^e + C3)                                  (4-5)
//     (means, standard deviations, covariance of the two H × W images I_x^{fe}, I_x^e over all P
//      pixels, population form; C1, C2, C3 only in the denominators, as written)
//   F(I, x) = K (N_x^n / N)(N_x^e / N_f)(l_x · c_x · s_x), K = 1e4,  (4-6)
//     N = active pixels of I, N_f = of I^f, N_x^e = of I_x^e, and N_x^n (see below)
//   FQ(x) = max over the stimuli of F (4-7)
// No normalisation of I or I_x: with I_x = p·I, μ and σ scale by p (4-8, 4-9), so F depends on p.
//
// N_x^n. The text under 4-6 defines N_x^n as the active pixels of the noise part I_x^n, but the
// check of 4-9 states N_x^n = N when I_x = p·I — true only if N_x^n counts the active pixels of
// the whole learning image I_x (the noise part of p·I has the background's pixels, not N). The
// thesis contradicts itself; by default this follows the equation (4-9): N_x^n = active pixels of
// I_x (`NoiseCount.learningImage`); `NoiseCount.noisePart` is the text's definition.
// Eq. 4-10 as printed also drops K and writes s_x as p²σ²/(σ² + C3) where 4-5 gives
// pσ²/(pσ² + C3); the tests work 4-6 out directly.
//
// Per layer (§4.3): the neurons of a filter are sampled on a regular grid of positions
// (`neuronsPerFilter`, *choice*: all K·H′·W′ neurons cost one backward each per stimulus); for
// them FQ (4-7), the Pearson r over the sampled neurons between activation and FQ (4-12; a
// neuron's activation is its mean over the stimuli, *choice*), the mean and variance of FQ over
// them (§4.3.2) and, per filter, the number of DBSCAN clusters of its neurons' FQ (§4.3.3; values
// divided by the layer's largest |FQ|, eps 0.05, minSamples 2, *choice*: the thesis names DBSCAN
// without its parameters).
// Masks absent ⇒ foreground = pixels whose |I_p − median I| exceeds the mean of |I − median I|
// (*choice*, crude: the thesis uses bounding boxes; pass /masks for real analyses).
import Foundation
import Tensors

/// What N_x^n counts (see above).
public enum NoiseCount: String, Sendable, Codable, CaseIterable {
    /// Active pixels of the learning image I_x — the reading under which eq. 4-9 holds (default).
    case learningImage
    /// Active pixels of the noise part I_x^n = I_x ∩ M^b — the text's definition under eq. 4-6.
    case noisePart
}

public struct FeatureQuantitySettings: Sendable, Equatable, Codable {
    public var k: Double = 1e4
    public var c1: Double = 1e-4
    public var c2: Double = 3e-4
    public var c3: Double = 1.5e-4
    /// τ: a pixel is active when |v_p| > τ · max|v|; 0 = non-zero.
    public var activityThreshold: Double = 0
    public var noiseCount: NoiseCount = .learningImage
    public var batchSize: Int = 16
    /// Neurons sampled per filter (a regular grid of positions; all when the map is smaller).
    public var neuronsPerFilter: Int = 16
    public var diversityEps: Double = 0.05
    public var diversityMinSamples: Int = 2
    public init() {}
}

/// F of one learning image and its parts.
public struct FeatureScore: Sendable, Codable, Equatable {
    public let value: Double
    public let luminance: Double, contrast: Double, structure: Double
    /// N_x^n, N_x^e, N_f, N (eq. 4-6).
    public let noisePixels: Int, effectivePixels: Int, foregroundPixels: Int, pixels: Int
}

public struct LayerFeatureQuantity: Sendable, Codable, Equatable {
    public let layer: String
    /// Sampled neurons (flat indices into the layer's per-stimulus output) [Q].
    public let neurons: [Int]
    /// The filter (channel) of each sampled neuron [Q].
    public let neuronFilter: [Int]
    /// FQ of each sampled neuron (eq. 4-7) [Q].
    public let neuronFQ: [Double]
    /// Mean activation of each sampled neuron over the stimuli [Q].
    public let neuronActivation: [Double]
    /// Mean FQ of each filter's sampled neurons [K] (*choice*: the thesis defines FQ per neuron).
    public let filterFQ: [Double]
    /// Mean activation per filter (over stimuli and positions) [K].
    public let filterActivation: [Double]
    /// Pearson r over the sampled neurons between activation and FQ (4-12); nil when undefined.
    public let activationCorrelation: Double?
    public let meanFQ: Double
    public let varianceFQ: Double
    /// DBSCAN clusters of the neurons' FQ per filter [K] (§4.3.3).
    public let diversity: [Int]
    /// True when masks came from the threshold rule.
    public let thresholdMasks: Bool
}

public enum FeatureQuantity {
    /// Active-pixel mask of v: |v_p| > τ · max|v| (all false for a zero image).
    static func active(_ v: [Double], _ tau: Double) -> [Bool] {
        let m = v.reduce(0.0) { max($0, abs($1)) }
        guard m > 0 else { return [Bool](repeating: false, count: v.count) }
        return v.map { abs($0) > tau * m }
    }

    /// F (eq. 4-6) for learning image `image` I_x and split input `stimulus` I (both [P],
    /// channel-collapsed) with foreground `mask` M^f [P].
    public static func score(image: [Float], stimulus: [Float], mask: [Bool], settings s: FeatureQuantitySettings = FeatureQuantitySettings()) -> FeatureScore {
        let p = image.count
        precondition(stimulus.count == p && mask.count == p)
        let ix = image.map(Double.init), i = stimulus.map(Double.init)
        let iF = (0..<p).map { mask[$0] ? i[$0] : 0 }                      // I^f
        let mx = active(ix, s.activityThreshold)                          // M_x
        let e = (0..<p).map { mask[$0] ? ix[$0] : 0 }                     // I_x^e (4-1)
        let noise = (0..<p).map { mask[$0] ? 0 : ix[$0] }                 // I_x^n (4-1)
        let fe = (0..<p).map { mx[$0] ? iF[$0] : 0 }                      // I_x^{fe} (4-2)
        func count(_ v: [Double]) -> Int { active(v, s.activityThreshold).filter { $0 }.count }
        let n = count(i), nf = count(iF), ne = count(e)
        let nn = s.noiseCount == .learningImage ? mx.filter { $0 }.count : count(noise)
        let pd = Double(p)
        let muFE = fe.reduce(0, +) / pd, muE = e.reduce(0, +) / pd
        var vFE = 0.0, vE = 0.0, cov = 0.0
        for q in 0..<p { let a = fe[q] - muFE, b = e[q] - muE; vFE += a * a; vE += b * b; cov += a * b }
        vFE /= pd; vE /= pd; cov /= pd
        let sFE = vFE.squareRoot(), sE = vE.squareRoot()
        let l = 2 * muFE * muE / (muFE * muFE + muE * muE + s.c1)          // (4-3)
        let c = 2 * sFE * sE / (vFE + vE + s.c2)                          // (4-4)
        let st = cov / (sFE * sE + s.c3)                                  // (4-5)
        let f = (n > 0 && nf > 0) ? s.k * (Double(nn) / Double(n)) * (Double(ne) / Double(nf)) * l * c * st : 0   // (4-6)
        return FeatureScore(value: f, luminance: l, contrast: c, structure: st, noisePixels: nn, effectivePixels: ne, foregroundPixels: nf, pixels: n)
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
    /// The neurons `featureQuantity` samples in layer `l`: per filter, a grid of about
    /// `perFilter` positions (maps), or every unit (flat layers). Returns (neuron, filter) pairs.
    public func sampledNeurons(layer l: Int, perFilter: Int) -> [(neuron: Int, filter: Int)] {
        let shape = layerShapes[l]
        guard shape.count == 3 else { return (0..<shape.product).map { ($0, $0) } }
        let (k, hh, ww) = (shape[0], shape[1], shape[2])
        let side = max(1, Int(Double(max(1, perFilter)).squareRoot()))
        let ys = Self.grid(hh, side), xs = Self.grid(ww, side)
        return (0..<k).flatMap { f in ys.flatMap { y in xs.map { (f * hh * ww + y * ww + $0, f) } } }
    }

    /// Feature quantity of layer `l` over stimuli x [N, C, H, W] with optional masks [N, H, W].
    public func featureQuantity(_ x: Tensor, masks: [UInt8]?, maskShape: [Int]? = nil, layer l: Int,
                                settings: FeatureQuantitySettings = FeatureQuantitySettings()) throws -> LayerFeatureQuantity {
        try validate(stimuli: x)
        try requireLayer(l)
        if let m = masks { try FeatureQuantity.checkMasks(m, shape: maskShape ?? [x.shape[0], x.shape[2], x.shape[3]], stimuli: x) }
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let (n, img, hw) = (x.shape[0], c * h * w, h * w)
        let k = channelCount(layer: l)
        let split = splitValues(x)
        let stim = (0..<n).map { KnowledgeMeasures.collapse(split.data[($0 * img)..<(($0 + 1) * img)], channels: c) }
        let fg: [[Bool]] = (0..<n).map { i in
            if let m = masks { return (0..<hw).map { m[i * hw + $0] != 0 } }
            return FeatureQuantity.thresholdMask(stimulus: stim[i])
        }
        let act = outputs(x, through: l)
        let per = neuronCount(layer: l), plane = per / k
        let sampled = sampledNeurons(layer: l, perFilter: settings.neuronsPerFilter)
        let neurons = sampled.map(\.neuron)
        var fq = [Double](repeating: -.infinity, count: neurons.count)
        var nAct = [Double](repeating: 0, count: neurons.count)
        let chunk = max(1, settings.batchSize * 8)
        for i in 0..<n {
            var start = 0
            while start < neurons.count {
                let part = Array(neurons[start..<min(neurons.count, start + chunk)])
                let lis = try learningImages(of: x.slice(i..<(i + 1)), layer: l, neurons: part)
                for (j, q) in part.enumerated() {
                    let li = KnowledgeMeasures.collapse(lis.data[(j * img)..<((j + 1) * img)], channels: c)
                    fq[start + j] = max(fq[start + j], FeatureQuantity.score(image: li, stimulus: stim[i], mask: fg[i], settings: settings).value)
                    nAct[start + j] += Double(act.data[i * per + q]) / Double(n)
                }
                start += part.count
            }
        }
        let filterActivation = (0..<k).map { f -> Double in
            var s = 0.0
            for i in 0..<n { for p in 0..<plane { s += Double(act.data[(i * k + f) * plane + p]) } }
            return s / Double(n * plane)
        }
        var filterFQ = [Double](repeating: .nan, count: k)
        var diversity = [Int](repeating: 0, count: k)
        let scale = fq.reduce(0) { max($0, abs($1)) }
        for f in 0..<k {
            let mine = sampled.indices.filter { sampled[$0].filter == f }.map { fq[$0] }
            guard !mine.isEmpty else { continue }
            filterFQ[f] = ScanStatistics.mean(mine)
            let v = mine.map { scale > 0 ? $0 / scale : 0 }
            let labels = DBSCAN.cluster(data: v, rows: v.count, columns: 1, eps: settings.diversityEps, minSamples: settings.diversityMinSamples)
            diversity[f] = Set(labels.filter { $0 >= 0 }).count
        }
        let r = ScanStatistics.pearson(nAct, fq)
        return LayerFeatureQuantity(layer: layer(l).name, neurons: neurons, neuronFilter: sampled.map(\.filter), neuronFQ: fq,
                                    neuronActivation: nAct, filterFQ: filterFQ, filterActivation: filterActivation,
                                    activationCorrelation: r.isFinite ? r : nil, meanFQ: ScanStatistics.mean(fq),
                                    varianceFQ: ScanStatistics.variance(fq), diversity: diversity, thresholdMasks: masks == nil)
    }

    /// `count` evenly spread indices in 0..<n (all when n ≤ count).
    static func grid(_ n: Int, _ count: Int) -> [Int] {
        if n <= count { return Array(0..<n) }
        return (0..<count).map { Int((Double($0) + 0.5) * Double(n) / Double(count)) }
    }
}
