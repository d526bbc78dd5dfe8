// Interpretable properties of filters, TIP (thesis ch. 5), saliency measures and AIPC, as
// implemented here. For filter k of layer l and stimulus x, L = Σ_c L^k (its filter learning
// image, eq. 5-2, collapsed over channels) and X = Σ_c x, both over the P = H·W pixels:
//
//   mean        μ_L = (1/P) Σ_p L_p                                   (5-3)
//   variance    σ²_L = (1/P) Σ_p (L_p − μ_L)²                         (5-4)
//   covariance  cov(L, X) = (1/P) Σ_p (L_p − μ_L)(X_p − μ_X)          (5-5)
//   correlation ρ(L, X) = cov(L, X) / (σ_L σ_X)  (skipped when undefined)   (5-6)
//   each averaged over the stimuli                                    (5-7)
// Saliency of filter k:
//   AVoU_k = mean over stimuli and positions of the activation a_kij  (5-8)
//   SoU_k  = ℓ(full model) − ℓ(filter k removed): the drop of the held-out mean log-likelihood
//            per observation when channel k of layer l is set to 0   (5-9, 5-10; the encoding
//            analogue of the loss change)
// Spearman ρ between each TIP property and each saliency measure over the layer's filters.
// Foreground / background filters (5-11), when masks exist: share_k = mean over stimuli of
// Σ_{p∈M} |L_p| / Σ_p |L_p|; foreground when share_k > `foregroundThreshold` (0.5).
//
// AIPC: for a ranking of the filters by a property (descending; undefined values last), remove
// the top m_j = round(j·K/S) filters for j = 0…S and record the drop ℓ(full) − ℓ(removed); the
// score is the area under drop versus removed fraction j/S (trapezoids). A ranking that puts the
// filters the model relies on first has the larger area. A seeded random ranking is the baseline.
import Foundation
import Tensors

public struct PropertySettings: Sendable, Equatable {
    public var batchSize: Int = 16
    public var aipcSteps: Int = 10
    public var foregroundThreshold: Double = 0.5
    public var seed: UInt64 = 0
    public init() {}
}

public struct AIPCCurve: Sendable, Codable, Equatable {
    public let ranking: String
    public let fractions: [Double]
    /// ℓ(full) − ℓ(top filters removed) at each fraction.
    public let drops: [Double]
    public let area: Double
}

public struct LayerProperties: Sendable, Codable, Equatable {
    public let layer: String
    /// Per filter [K], averaged over stimuli.
    public let mean: [Double]
    public let variance: [Double]
    public let covariance: [Double]
    public let correlation: [Double]
    public let avou: [Double]
    /// nil without held-out responses.
    public let sou: [Double]?
    /// Spearman ρ: "property/measure" → ρ (e.g. "variance/sou").
    public let spearman: [String: Double]
    /// Per filter share of |L| inside the masks, and the type; nil without masks.
    public let foregroundShare: [Double]?
    public let filterTypes: [String]?
    public let aipc: [AIPCCurve]?
    public let heldOutLogLikelihood: Double?
}

extension ScanNetwork {
    public func interpretableProperties(_ x: Tensor, layer l: Int, heldOut: HeldOutData?, masks: [UInt8]? = nil,
                                        settings: PropertySettings = PropertySettings()) throws -> LayerProperties {
        try validate(stimuli: x)
        try requireLayer(l)
        if let m = masks { try FeatureQuantity.checkMasks(m, shape: [x.shape[0], x.shape[2], x.shape[3]], stimuli: x) }
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let (n, img, hw) = (x.shape[0], c * h * w, h * w)
        let k = channelCount(layer: l)
        let fl = try filterLearningImages(x, layer: l, batchSize: settings.batchSize)
        var mean = [Double](repeating: 0, count: k), variance = mean, cov = mean, corr = mean, share = mean
        var corrCount = [Int](repeating: 0, count: k), shareCount = corrCount
        for i in 0..<n {
            let xs = KnowledgeMeasures.collapse(x.data[(i * img)..<((i + 1) * img)], channels: c).map(Double.init)
            for f in 0..<k {
                let base = (i * k + f) * img
                let li = KnowledgeMeasures.collapse(fl.data[base..<(base + img)], channels: c).map(Double.init)
                mean[f] += ScanStatistics.mean(li)
                variance[f] += ScanStatistics.variance(li)
                cov[f] += ScanStatistics.covariance(li, xs)
                let r = ScanStatistics.pearson(li, xs)
                if r.isFinite { corr[f] += r; corrCount[f] += 1 }
                if let m = masks {
                    var inside = 0.0, total = 0.0
                    for p in 0..<hw { let v = abs(li[p]); total += v; if m[i * hw + p] != 0 { inside += v } }
                    if total > 0 { share[f] += inside / total; shareCount[f] += 1 }
                }
            }
        }
        for f in 0..<k {
            mean[f] /= Double(n); variance[f] /= Double(n); cov[f] /= Double(n)
            corr[f] = corrCount[f] > 0 ? corr[f] / Double(corrCount[f]) : .nan
            share[f] = shareCount[f] > 0 ? share[f] / Double(shareCount[f]) : .nan
        }
        let act = outputs(x, through: l)
        let plane = neuronCount(layer: l) / k
        let avou = (0..<k).map { f -> Double in
            var s = 0.0
            for i in 0..<n { for p in 0..<plane { s += Double(act.data[(i * k + f) * plane + p]) } }
            return s / Double(n * plane)
        }
        var sou: [Double]?
        var full: Double?
        if let data = heldOut {
            let base = try heldOutLogLikelihood(data, batchSize: settings.batchSize)
            full = base
            sou = try (0..<k).map { f in base - (try heldOutLogLikelihood(data, masking: ChannelMask(layer: l, channels: [f]), batchSize: settings.batchSize)) }
        }
        let props: [(String, [Double])] = [("mean", mean), ("variance", variance), ("covariance", cov), ("correlation", corr)]
        var measures: [(String, [Double])] = [("avou", avou)]
        if let s = sou { measures.append(("sou", s)) }
        var spearman: [String: Double] = [:]
        for (pn, pv) in props {
            for (mn, mv) in measures {
                let idx = (0..<k).filter { pv[$0].isFinite && mv[$0].isFinite }
                spearman["\(pn)/\(mn)"] = idx.count >= 2 ? ScanStatistics.spearman(idx.map { pv[$0] }, idx.map { mv[$0] }) : .nan
            }
        }
        var curves: [AIPCCurve]?
        if let data = heldOut {
            var rankings = props
            rankings.append(("avou", avou))
            curves = try aipc(layer: l, rankings: rankings, heldOut: data, settings: settings)
        }
        return LayerProperties(layer: layer(l).name, mean: mean, variance: variance, covariance: cov, correlation: corr,
                               avou: avou, sou: sou, spearman: spearman,
                               foregroundShare: masks == nil ? nil : share,
                               filterTypes: masks == nil ? nil : share.map { $0 > settings.foregroundThreshold ? "foreground" : "background" },
                               aipc: curves, heldOutLogLikelihood: full)
    }

    /// AIPC curves of layer `l` for each ranking (values per filter [K]) and a seeded random ranking.
    public func aipc(layer l: Int, rankings: [(String, [Double])], heldOut data: HeldOutData,
                     settings: PropertySettings = PropertySettings()) throws -> [AIPCCurve] {
        try requireLayer(l)
        let k = channelCount(layer: l)
        guard settings.aipcSteps >= 1 else { throw ScannerError.invalidOption(option: "--aipc-steps", reason: "must be at least 1") }
        let full = try heldOutLogLikelihood(data, batchSize: settings.batchSize)
        var rng = SeededRandom(seed: settings.seed)
        var all = rankings
        all.append(("random", rng.permutation(k).map(Double.init)))
        var out: [AIPCCurve] = []
        for (name, values) in all {
            precondition(values.count == k, "ranking \(name) has \(values.count) values for \(k) filters")
            let order = (0..<k).sorted { a, b in
                let va = values[a], vb = values[b]
                if va.isFinite != vb.isFinite { return va.isFinite }
                return va != vb ? va > vb : a < b
            }
            var fractions: [Double] = [], drops: [Double] = []
            for j in 0...settings.aipcSteps {
                let m = Int((Double(j * k) / Double(settings.aipcSteps)).rounded())
                let ll = m == 0 ? full : try heldOutLogLikelihood(data, masking: ChannelMask(layer: l, channels: Set(order.prefix(m))),
                                                                     batchSize: settings.batchSize)
                fractions.append(Double(j) / Double(settings.aipcSteps)); drops.append(full - ll)
            }
            var area = 0.0
            for j in 1..<fractions.count { area += (fractions[j] - fractions[j - 1]) * (drops[j] + drops[j - 1]) / 2 }
            out.append(AIPCCurve(ranking: name, fractions: fractions, drops: drops, area: area))
        }
        return out
    }
}
