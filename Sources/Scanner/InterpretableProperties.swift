// Interpretable properties of filters, TIP (thesis ch. 5), saliency measures and AIPC. For filter
// k of layer l and stimulus x, L = Σ_c L^k (its filter learning image, eq. 5-2, collapsed over
// channels) and X = Σ_c (x − x₀) the split input (*choice*: what the learning image decomposes),
// both over the P = H·W pixels (the thesis writes M × M, the feature map's size, for images of the
// input's size; the sums run over the learning image's pixels):
//
//   mean        P_m = (1/P) Σ_p L_p                                   (5-3)
//   variance    P_v = (1/P) Σ_p (L_p − μ_L)²                          (5-4)
//   covariance  P_c = (1/P) Σ_p (L_p − μ_L)(X_p − μ_X)                (5-5)
//   correlation P_cor = Σ_p (L_p − μ_L)(X_p − μ_X) / (σ_L σ_X)        (5-6, as written: no 1/P,
//               so P_cor = P × Pearson r; skipped when σ_L σ_X = 0)
//   T^k = each averaged over the stimuli                             (5-7)
// Saliency of filter k:
//   AVoU_k = mean over stimuli and positions of the activation a_kij  (5-8)
//   SoU_k (5-9, 5-10) = (1/(W·S)) Σ_x Σ_w |loss_w(x; all connections) − loss_w(x; connection w
//            removed)|, w the W = C_in/groups·K² weights of filter k in the convolution feeding
//            layer l (bias not counted, *choice*), loss(x) the mean negative log-likelihood of
//            stimulus x's held-out observations (the encoding analogue of a sample's loss), S
//            the held-out stimuli. Exact when W ≤ `souConnections`; otherwise a uniform random
//            subset of `souConnections` connections without replacement (seeded), whose mean is
//            an unbiased estimate of the mean over all W.
// Spearman ρ (5-12; average ranks for ties, as scipy) between each TIP property and each saliency
// measure over the layer's filters.
// Foreground / background types (§5.3.3, 5-11), when masks exist: T^f_k and T^b_k are the same
// properties with the sums restricted to the foreground / background pixels (means over those
// pixels; *choice*: the thesis names T measured "in the foreground and in the background"); per
// property the filters are ranked by T^f and by T^b; high = top `typeFraction` (30 %), low = bottom
// 30 % (⌈0.3·K⌉ filters each); the six types rfb = rf ∩ rb: high-fg/high-bg, high-fg/not-high-bg,
// not-high-fg/high-bg, low-fg/low-bg, low-fg/not-low-bg, not-low-fg/low-bg, reported as the
// filters and |rfb|/K. Alongside, share_k = mean over stimuli of Σ_{p∈M}|L_p| / Σ_p|L_p|.
//
// AIPC (§5.3.1, Table 5-1): rank the filters by a property (descending, undefined last), remove
// the top m_j = round(j·M/S) filters (j = 0…S, M = max(1, round(f·K)), f = `aipcTopFraction` = 10 %,
// S = `aipcSteps`)
// and record the drop ℓ(full) − ℓ(removed) of the held-out mean log-likelihood per observation
// (in place of the accuracy change); the score is the area under drop versus removed fraction
// m_j/K (trapezoids), i.e. over the top 10 % of filters as Table 5-1 reports. f = 1 gives the
// whole curve. A seeded random ranking is the baseline.
import Foundation
import Tensors
import ConvEngine

public struct PropertySettings: Sendable, Equatable {
    public var batchSize: Int = 16
    public var aipcSteps: Int = 10
    /// Fraction of the filters the AIPC curve covers (Table 5-1: the top 10 %).
    public var aipcTopFraction: Double = 0.1
    /// Connections per filter for SoU (5-10): all when W ≤ this, else a random subset of this size.
    public var souConnections: Int = 64
    /// §5.3.3: top / bottom fraction of T^f, T^b that counts as high / low.
    public var typeFraction: Double = 0.3
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

/// One of the six foreground/background types of §5.3.3 for one property.
public struct FilterTypeGroup: Sendable, Codable, Equatable {
    public let property: String
    public let type: String
    public let filters: [Int]
    public let fraction: Double
}

public struct LayerProperties: Sendable, Codable, Equatable {
    public let layer: String
    /// Per filter [K], averaged over stimuli.
    public let mean: [Double]
    public let variance: [Double]
    public let covariance: [Double]
    public let correlation: [Double]
    public let avou: [Double]
    /// SoU (5-10); nil without held-out responses or without a convolution before the layer.
    public let sou: [Double]?
    /// Connections per filter SoU averaged over (W when exact).
    public let souConnections: Int?
    /// Connections per filter (W).
    public let souConnectionCount: Int?
    /// Spearman ρ: "property/measure" → ρ (e.g. "variance/sou").
    public let spearman: [String: Double]
    /// Per filter share of |L| inside the masks; nil without masks.
    public let foregroundShare: [Double]?
    public let filterTypes: [String]?
    /// T^f, T^b per property [K] ("mean", …); nil without masks.
    public let foregroundProperties: [String: [Double]]?
    public let backgroundProperties: [String: [Double]]?
    /// §5.3.3's six types per property; nil without masks.
    public let typeGroups: [FilterTypeGroup]?
    public let aipc: [AIPCCurve]?
    public let heldOutLogLikelihood: Double?
}

/// The four TIP statistics of L against X over a pixel subset (all pixels when `subset` is nil):
/// P_m, P_v, P_c with 1/n (5-3…5-5) and P_cor = Σ (L − μ_L)(X − μ_X) / (σ_L σ_X) as written (5-6).
public enum TIPStatistics {
    public static func properties(_ l: [Double], _ x: [Double], subset: [Int]? = nil) -> (mean: Double, variance: Double, covariance: Double, correlation: Double) {
        let idx = subset ?? Array(0..<l.count)
        guard !idx.isEmpty else { return (.nan, .nan, .nan, .nan) }
        let n = Double(idx.count)
        var ml = 0.0, mx = 0.0
        for p in idx { ml += l[p]; mx += x[p] }
        ml /= n; mx /= n
        var vl = 0.0, vx = 0.0, c = 0.0
        for p in idx { let a = l[p] - ml, b = x[p] - mx; vl += a * a; vx += b * b; c += a * b }
        let sl = (vl / n).squareRoot(), sx = (vx / n).squareRoot()
        return (ml, vl / n, c / n, sl * sx > 0 ? c / (sl * sx) : .nan)   // 5-3, 5-4, 5-5, 5-6 (Σ, not the mean, over σσ)
    }

    /// §5.3.3: the six type groups from T^f and T^b [K] (NaN values rank last and are never high/low).
    public static func typeGroups(property: String, foreground tf: [Double], background tb: [Double], fraction: Double) -> [FilterTypeGroup] {
        let k = tf.count
        let m = Int((fraction * Double(k)).rounded(.up))
        func top(_ v: [Double], high: Bool) -> Set<Int> {
            let ok = (0..<k).filter { v[$0].isFinite }
            let sorted = ok.sorted { v[$0] != v[$1] ? (high ? v[$0] > v[$1] : v[$0] < v[$1]) : $0 < $1 }
            return Set(sorted.prefix(m))
        }
        let all = Set(0..<k)
        let hf = top(tf, high: true), hb = top(tb, high: true), lf = top(tf, high: false), lb = top(tb, high: false)
        let groups: [(String, Set<Int>)] = [
            ("high-fg/high-bg", hf.intersection(hb)), ("high-fg/not-high-bg", hf.intersection(all.subtracting(hb))),
            ("not-high-fg/high-bg", all.subtracting(hf).intersection(hb)), ("low-fg/low-bg", lf.intersection(lb)),
            ("low-fg/not-low-bg", lf.intersection(all.subtracting(lb))), ("not-low-fg/low-bg", all.subtracting(lf).intersection(lb)),
        ]
        return groups.map { FilterTypeGroup(property: property, type: $0.0, filters: $0.1.sorted(), fraction: k > 0 ? Double($0.1.count) / Double(k) : .nan) }
    }
}

extension HeldOutData {
    /// Per stimulus (row of `stimuli`): the mean negative log-likelihood of its observations (its
    /// trials × units), NaN for stimuli without trials.
    public func perStimulusLoss(eta: Tensor) -> [Double] {
        precondition(eta.shape == [stimuli.shape[0], units], "η \(eta.shape) ≠ [\(stimuli.shape[0]), \(units)]")
        var s = [Double](repeating: 0, count: stimuli.shape[0]), n = [Int](repeating: 0, count: stimuli.shape[0])
        let y = responseMatrix
        for (t, si) in stimulusIndex.enumerated() {
            for u in 0..<units {
                s[si] -= logLikelihood(Double(y[t, u]), Double(link(eta[si, u])), u)
                n[si] += 1
            }
        }
        return (0..<s.count).map { n[$0] > 0 ? s[$0] / Double(n[$0]) : .nan }
    }
}

extension ScanNetwork {
    /// The convolution whose output channel k is channel k of layer `l` (the nearest Conv2D at or
    /// before l with as many output channels), nil when there is none.
    func feedingConvolution(of l: Int) -> Conv2D? {
        guard l < core.layers.count, layerShapes[l].count == 3 else { return nil }
        for i in stride(from: l, through: 0, by: -1) {
            if let c = core.layers[i] as? Conv2D { return c.outputChannels == layerShapes[l][0] ? c : nil }
        }
        return nil
    }

    /// SoU_k (eq. 5-9, 5-10) of every filter of layer `l`: the mean over the held-out stimuli and
    /// the filter's connections of |Δ loss| when one connection is removed. Returns the values [K],
    /// the number of connections used per filter and W.
    public func sensitivity(layer l: Int, heldOut data: HeldOutData, connections: Int, seed: UInt64, batchSize: Int = 64) throws -> (sou: [Double], used: Int, total: Int) {
        try requireLayer(l)
        let r = try requireReadout("SoU")
        guard data.units == neuronCount(layer: r) else {
            throw ScannerError.invalidOption(option: .responses, reason: "\(data.units) units, the model has \(neuronCount(layer: r))")
        }
        guard connections >= 1 else { throw ScannerError.invalidOption(option: .souConnections, reason: "must be at least 1, got \(connections)") }
        guard let conv = feedingConvolution(of: l) else {
            throw ScannerError.notApplicable(method: "SoU", reason: "no convolution feeds layer '\(layer(l).name)'")
        }
        let k = conv.outputChannels
        let w = conv.weight.value.count / k
        let base = data.perStimulusLoss(eta: outputs(data.stimuli, through: r, batchSize: batchSize))
        var rng = SeededRandom(seed: seed)
        let used = min(w, connections)
        var sou = [Double](repeating: 0, count: k)
        for f in 0..<k {
            let chosen = used == w ? Array(0..<w) : Array(rng.permutation(w).prefix(used))
            var total = 0.0, count = 0
            for c in chosen {
                let idx = f * w + c
                let saved = conv.weight.value.data[idx]
                conv.weight.value.data[idx] = 0
                let removed = data.perStimulusLoss(eta: outputs(data.stimuli, through: r, batchSize: batchSize))
                conv.weight.value.data[idx] = saved
                for (a, b) in zip(base, removed) where a.isFinite { total += abs(a - b); count += 1 }   // |Δloss_w(x)| (5-9)
            }
            sou[f] = count > 0 ? total / Double(count) : .nan   // (5-10): / (W·S)
        }
        return (sou, used, w)
    }

    public func interpretableProperties(_ x: Tensor, layer l: Int, heldOut: HeldOutData?, masks: [UInt8]? = nil,
                                        settings: PropertySettings = PropertySettings()) throws -> LayerProperties {
        try validate(stimuli: x)
        try requireLayer(l)
        if let m = masks { try FeatureQuantity.checkMasks(m, shape: [x.shape[0], x.shape[2], x.shape[3]], stimuli: x) }
        guard settings.typeFraction > 0, settings.typeFraction <= 1 else {
            throw ScannerError.invalidOption(option: .typeFraction, reason: "must lie in (0, 1], got \(settings.typeFraction)")
        }
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let (n, img, hw) = (x.shape[0], c * h * w, h * w)
        let k = channelCount(layer: l)
        let fl = try filterLearningImages(x, layer: l, batchSize: settings.batchSize)
        let split = splitValues(x)
        let names = ["mean", "variance", "covariance", "correlation"]
        var sums = [[Double]](repeating: [Double](repeating: 0, count: k), count: 4), counts = [[Int]](repeating: [Int](repeating: 0, count: k), count: 4)
        var fgSums = sums, fgCounts = counts, bgSums = sums, bgCounts = counts
        var share = [Double](repeating: 0, count: k), shareCount = [Int](repeating: 0, count: k)
        func add(_ v: (Double, Double, Double, Double), _ f: Int, _ s: inout [[Double]], _ cnt: inout [[Int]]) {
            for (j, value) in [v.0, v.1, v.2, v.3].enumerated() where value.isFinite { s[j][f] += value; cnt[j][f] += 1 }
        }
        for i in 0..<n {
            let xs = KnowledgeMeasures.collapse(split.data[(i * img)..<((i + 1) * img)], channels: c).map(Double.init)
            let fgIdx = masks.map { m in (0..<hw).filter { m[i * hw + $0] != 0 } }
            let bgIdx = masks.map { m in (0..<hw).filter { m[i * hw + $0] == 0 } }
            for f in 0..<k {
                let base = (i * k + f) * img
                let li = KnowledgeMeasures.collapse(fl.data[base..<(base + img)], channels: c).map(Double.init)
                add(TIPStatistics.properties(li, xs), f, &sums, &counts)
                if let fi = fgIdx, let bi = bgIdx {
                    add(TIPStatistics.properties(li, xs, subset: fi), f, &fgSums, &fgCounts)
                    add(TIPStatistics.properties(li, xs, subset: bi), f, &bgSums, &bgCounts)
                    var inside = 0.0, total = 0.0
                    for p in 0..<hw { let v = abs(li[p]); total += v; if masks![i * hw + p] != 0 { inside += v } }
                    if total > 0 { share[f] += inside / total; shareCount[f] += 1 }
                }
            }
        }
        func average(_ s: [[Double]], _ cnt: [[Int]]) -> [[Double]] {
            (0..<4).map { j in (0..<k).map { cnt[j][$0] > 0 ? s[j][$0] / Double(cnt[j][$0]) : .nan } }   // 5-7
        }
        let tip = average(sums, counts)
        let (mean, variance, cov, corr) = (tip[0], tip[1], tip[2], tip[3])
        let act = outputs(x, through: l)
        let plane = neuronCount(layer: l) / k
        let avou = (0..<k).map { f -> Double in
            var s = 0.0
            for i in 0..<n { for p in 0..<plane { s += Double(act.data[(i * k + f) * plane + p]) } }
            return s / Double(n * plane)
        }
        var sou: [Double]?, souUsed: Int?, souTotal: Int?
        var full: Double?
        if let data = heldOut {
            full = try heldOutLogLikelihood(data, batchSize: settings.batchSize)
            if feedingConvolution(of: l) != nil {
                let s = try sensitivity(layer: l, heldOut: data, connections: settings.souConnections, seed: settings.seed, batchSize: settings.batchSize)
                sou = s.sou; souUsed = s.used; souTotal = s.total
            }
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
        var fgProps: [String: [Double]]?, bgProps: [String: [Double]]?, groups: [FilterTypeGroup]?
        if masks != nil {
            let tf = average(fgSums, fgCounts), tb = average(bgSums, bgCounts)
            fgProps = Dictionary(uniqueKeysWithValues: zip(names, tf)); bgProps = Dictionary(uniqueKeysWithValues: zip(names, tb))
            groups = (0..<4).flatMap { TIPStatistics.typeGroups(property: names[$0], foreground: tf[$0], background: tb[$0], fraction: settings.typeFraction) }
            for f in 0..<k { share[f] = shareCount[f] > 0 ? share[f] / Double(shareCount[f]) : .nan }
        }
        var curves: [AIPCCurve]?
        if let data = heldOut {
            var rankings = props
            rankings.append(("avou", avou))
            if let s = sou { rankings.append(("sou", s)) }
            curves = try aipc(layer: l, rankings: rankings, heldOut: data, settings: settings, fullLogLikelihood: full)
        }
        return LayerProperties(layer: layer(l).name, mean: mean, variance: variance, covariance: cov, correlation: corr,
                               avou: avou, sou: sou, souConnections: souUsed, souConnectionCount: souTotal, spearman: spearman,
                               foregroundShare: masks == nil ? nil : share,
                               filterTypes: masks == nil ? nil : share.map { $0 > settings.foregroundThreshold ? "foreground" : "background" },
                               foregroundProperties: fgProps, backgroundProperties: bgProps, typeGroups: groups,
                               aipc: curves, heldOutLogLikelihood: full)
    }

    /// AIPC curves of layer `l` for each ranking (values per filter [K]) and a seeded random ranking,
    /// over the top `aipcTopFraction` of the filters (Table 5-1: 10 %). `fullLogLikelihood`: the
    /// intact model's held-out LL/obs on `data` when the caller has it (computed here otherwise).
    public func aipc(layer l: Int, rankings: [(String, [Double])], heldOut data: HeldOutData,
                     settings: PropertySettings = PropertySettings(), fullLogLikelihood: Double? = nil) throws -> [AIPCCurve] {
        try requireLayer(l)
        let k = channelCount(layer: l)
        guard settings.aipcSteps >= 1 else { throw ScannerError.invalidOption(option: .aipcSteps, reason: "must be at least 1") }
        guard settings.aipcTopFraction > 0, settings.aipcTopFraction <= 1 else {
            throw ScannerError.invalidOption(option: .aipcTop, reason: "must lie in (0, 1], got \(settings.aipcTopFraction)")
        }
        let full = try fullLogLikelihood ?? heldOutLogLikelihood(data, batchSize: settings.batchSize)
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
            var cache: [Int: Double] = [0: full]
            let top = max(1, Int((settings.aipcTopFraction * Double(k)).rounded()))   // filters in the top fraction (≥ 1)
            for j in 0...settings.aipcSteps {
                let m = Int((Double(j * top) / Double(settings.aipcSteps)).rounded())
                if cache[m] == nil {
                    cache[m] = try heldOutLogLikelihood(data, masking: ChannelMask(layer: l, channels: Set(order.prefix(m))), batchSize: settings.batchSize)
                }
                fractions.append(Double(m) / Double(k)); drops.append(full - cache[m]!)
            }
            var area = 0.0
            for j in 1..<fractions.count { area += (fractions[j] - fractions[j - 1]) * (drops[j] + drops[j - 1]) / 2 }
            out.append(AIPCCurve(ranking: name, fractions: fractions, drops: drops, area: area))
        }
        return out
    }
}
