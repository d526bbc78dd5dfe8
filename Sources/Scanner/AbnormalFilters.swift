// Abnormal filters (thesis ch. 6), as implemented here. For each filter k of layer l:
//   1. filter learning images L^k(x_i) of a batch of n stimuli, collapsed over channels [n, P];
//   2. PCA to 2-D (PrincipalComponents);
//   3. Gaussian mixtures with full covariances (GaussianMixture, EM from seeded k-means starts)
//      for K = 2…Kmax (Kmax ≤ n − 1); hard labels; Calinski–Harabasz index of each labelling
//      (6-5…6-7); K* = the K with the largest CH;
//   4. abnormal when all three hold (thresholds configurable, defaults in brackets):
//        imbalanced   the smallest cluster of K* holds < `imbalance` of the stimuli [0.1]
//        high CH      CH(K*) > median_k CH + `chFactor` · 1.4826 · MAD_k CH over the layer's
//                     filters [3] (a robust "unusually high")
//        high activation  AVoU_k (mean activation) > the `activationQuantile` quantile of AVoU
//                     over the layer's filters [0.5]
// A filter whose learning images do not vary (dead filter) is never abnormal (CH undefined).
// Sharpness (eq. 6-4) is reported separately (Sharpness.swift).
import Foundation
import Tensors

public struct AbnormalFilterSettings: Sendable, Equatable, Codable {
    public var maxComponents: Int = 5
    public var imbalance: Double = 0.1
    public var chFactor: Double = 3
    public var activationQuantile: Double = 0.5
    public var seed: UInt64 = 0
    public var restarts: Int = 2
    public var batchSize: Int = 16
    public init() {}

    func validate() throws {
        guard maxComponents >= 2 else { throw ScannerError.invalidOption(option: "--max-components", reason: "must be at least 2, got \(maxComponents)") }
        guard imbalance > 0, imbalance < 1 else { throw ScannerError.invalidOption(option: "--imbalance", reason: "must lie in (0, 1), got \(imbalance)") }
        guard activationQuantile >= 0, activationQuantile <= 1 else {
            throw ScannerError.invalidOption(option: "--activation-quantile", reason: "must lie in [0, 1], got \(activationQuantile)")
        }
    }
}

public struct FilterClustering: Sendable, Codable, Equatable {
    public let filter: Int
    /// K* (0 when the filter's learning images do not vary).
    public let components: Int
    public let calinskiHarabasz: Double
    /// CH for K = 2…Kmax (NaN where a fit failed).
    public let calinskiHarabaszByK: [Double]
    /// Share of the stimuli in each cluster of K*, descending.
    public let clusterShares: [Double]
    public let activation: Double
    public let imbalanced: Bool
    public let highCH: Bool
    public let highActivation: Bool
    public var abnormal: Bool { imbalanced && highCH && highActivation }
}

public struct AbnormalFilterReport: Sendable, Codable, Equatable {
    public let layer: String
    public let stimuli: Int
    public let filters: [FilterClustering]
    public let chThreshold: Double
    public let activationThreshold: Double
    public var abnormalCount: Int { filters.filter(\.abnormal).count }
    public var abnormalFilters: [Int] { filters.filter(\.abnormal).map(\.filter) }
}

extension ScanNetwork {
    public func abnormalFilters(_ x: Tensor, layer l: Int, settings: AbnormalFilterSettings = AbnormalFilterSettings()) throws -> AbnormalFilterReport {
        try settings.validate()
        try validate(stimuli: x)
        try requireLayer(l)
        let n = x.shape[0]
        guard n >= 3 else { throw ScannerError.invalidOption(option: "--stimuli", reason: "abnormal-filter clustering needs at least 3 stimuli, got \(n)") }
        let c = inputShape[0], img = inputShape.product, hw = inputShape[1] * inputShape[2]
        let k = channelCount(layer: l)
        let fl = try filterLearningImages(x, layer: l, batchSize: settings.batchSize)
        let act = outputs(x, through: l)
        let plane = neuronCount(layer: l) / k
        let kmax = min(settings.maxComponents, n - 1)
        var rows: [(Int, Int, Double, [Double], [Double], Double)] = []   // filter, K*, CH, CH by K, shares, activation
        for f in 0..<k {
            var data = [Double](repeating: 0, count: n * hw)
            for i in 0..<n {
                let base = (i * k + f) * img
                let li = KnowledgeMeasures.collapse(fl.data[base..<(base + img)], channels: c)
                for p in 0..<hw { data[i * hw + p] = Double(li[p]) }
            }
            var s = 0.0
            for i in 0..<n { for p in 0..<plane { s += Double(act.data[(i * k + f) * plane + p]) } }
            let activation = s / Double(n * plane)
            guard let pca = try? PrincipalComponents(data: data, rows: n, columns: hw, components: 2),
                  pca.explainedVariance[0] > 1e-20 else {
                rows.append((f, 0, .nan, [], [], activation)); continue
            }
            var bestK = 0, bestCH = -Double.infinity, bestLabels: [Int] = []
            var byK: [Double] = []
            for kk in 2...max(2, kmax) {
                var gs = GaussianMixtureSettings(restarts: settings.restarts, seed: settings.seed &+ UInt64(f * 100 + kk))
                gs.regularization = 1e-6 * max(1, pca.explainedVariance[0])
                guard let g = try? GaussianMixture.fit(data: pca.scores, rows: n, columns: 2, components: kk, settings: gs),
                      let labels = try? g.predict(data: pca.scores, rows: n) else { byK.append(.nan); continue }
                let ch = ClusterValidity.calinskiHarabasz(data: pca.scores, rows: n, columns: 2, labels: labels)
                byK.append(ch)
                if ch.isFinite && ch > bestCH { bestCH = ch; bestK = kk; bestLabels = labels }
            }
            var shares: [Double] = []
            if bestK > 0 {
                var counts = [Int: Int]()
                for lab in bestLabels { counts[lab, default: 0] += 1 }
                shares = counts.values.map { Double($0) / Double(n) }.sorted(by: >)
            }
            rows.append((f, bestK, bestK > 0 ? bestCH : .nan, byK, shares, activation))
        }
        let chs = rows.map(\.2).filter { $0.isFinite }
        let med = Self.quantile(chs, 0.5)
        let mad = Self.quantile(chs.map { abs($0 - med) }, 0.5)
        let chThreshold = med + settings.chFactor * 1.4826 * mad
        let actThreshold = Self.quantile(rows.map(\.5), settings.activationQuantile)
        let filters = rows.map { r in
            FilterClustering(filter: r.0, components: r.1, calinskiHarabasz: r.2, calinskiHarabaszByK: r.3, clusterShares: r.4,
                             activation: r.5, imbalanced: (r.4.last ?? 1) < settings.imbalance,
                             highCH: r.2.isFinite && r.2 > chThreshold, highActivation: r.5 > actThreshold)
        }
        return AbnormalFilterReport(layer: layer(l).name, stimuli: n, filters: filters, chThreshold: chThreshold, activationThreshold: actThreshold)
    }

    /// Linear-interpolation quantile (numpy's default) of finite values; NaN when empty.
    static func quantile(_ v: [Double], _ q: Double) -> Double {
        let s = v.filter { $0.isFinite }.sorted()
        guard !s.isEmpty else { return .nan }
        let pos = q * Double(s.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (pos - Double(lo)) * (s[hi] - s[lo])
    }
}
