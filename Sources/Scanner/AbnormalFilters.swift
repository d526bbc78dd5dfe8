// Abnormal filters (thesis ch. 6, §6.2.2–6.2.5, Algorithm 6.1, Table 6-1). For each filter k of layer l:
//   1. filter learning images L^k(x_i) (eq. 6-2) of a batch of n stimuli, collapsed over channels [n, P];
//   2. PCA to 2-D (§6.2.2, PrincipalComponents);
//   3. Gaussian mixtures with full covariances (GaussianMixture, EM from seeded k-means starts)
//      for K = 2…Kmax (Kmax ≤ n − 1); hard labels; Calinski–Harabasz index of each labelling
//      (eq. 6-5…6-7); K* = the K with the largest CH, ties to the larger K (Algorithm 6.1 line 9
//      updates on "CH ≥ max CH" while K ascends);
//   4. the three criteria of §6.2.5 with the hyper-parameters of §6.3.1 / Table 6-1:
//        imbalanced   a cluster of K* with at most λ points is abnormal; the filter is imbalanced
//                     when the number of abnormal clusters exceeds α · K* ("超过总聚类数量的 α 倍")
//        high CH      CH(K*) > β × the mean CH(K*) over the layer's filters
//        activation   filters whose activation is below θ × the layer's mean activation are excluded
//      abnormal = imbalanced ∧ high CH ∧ not excluded.
// CH (eq. 6-6, 6-7) uses *unsquared* Euclidean norms, SSB = Σ Z_i‖m_i − m‖₂, SSW = ΣΣ‖x_ij − m_i‖₂;
// sklearn's squared form is `CHForm.squared` (ClusterValidity).
// Choices (the thesis is silent): the activation of a filter is its mean over stimuli and
// positions and the layer mean is the mean of those; a filter whose learning images do not vary
// (dead filter, CH undefined) is never abnormal and is left out of the mean CH.
// Sharpness (eq. 6-4) is reported separately (Sharpness.swift).
import Foundation
import Tensors
import Numerics

/// Table 6-1 of the thesis: (λ, α, β, θ) of the experiments of §6.3. Experiment 2 (λ = 5, the
/// outlier samples of §6.3.3) sets no filter criteria and is not a preset here.
public enum AbnormalFilterPreset: String, Sendable, CaseIterable, Codable {
    /// Experiment 1, LeNet-5 and the simple CNN: λ 50, α 0.2, β 1, θ 0.1.
    case experiment1Small = "exp1-small"
    /// Experiment 1, AlexNet, ResNet-18, VGG-16: λ 10, α 0.2, β 1, θ 0.1.
    case experiment1Large = "exp1-large"
    /// Experiment 3, LeNet-5 and the simple CNN: λ 20, α 0.2, β 1, θ 0.5.
    case experiment3Small = "exp3-small"
    /// Experiment 3, AlexNet, ResNet-18, VGG-16: λ 10, α 0.2, β 1, θ 0.1.
    case experiment3Large = "exp3-large"

    public var values: (lambda: Int, alpha: Double, beta: Double, theta: Double) {
        switch self {
        case .experiment1Small: return (50, 0.2, 1, 0.1)
        case .experiment1Large: return (10, 0.2, 1, 0.1)
        case .experiment3Small: return (20, 0.2, 1, 0.5)
        case .experiment3Large: return (10, 0.2, 1, 0.1)
        }
    }
}

public struct AbnormalFilterSettings: Sendable, Equatable, Codable {
    public var maxComponents: Int = 5
    /// λ: a cluster with at most λ points is abnormal (Table 6-1).
    public var lambda: Int = 50
    /// α: imbalanced when the abnormal clusters exceed α · K.
    public var alpha: Double = 0.2
    /// β: high CH when CH > β × the layer's mean CH.
    public var beta: Double = 1
    /// θ: excluded when the activation is below θ × the layer's mean activation.
    public var theta: Double = 0.1
    /// Eq. 6-6/6-7 as written (unsquared norms) or sklearn's squared form.
    public var chForm: CHForm = .thesis
    public var seed: UInt64 = 0
    public var restarts: Int = 2
    public var batchSize: Int = 16
    /// Defaults: Table 6-1, experiment 1, small models (LeNet-5 / simple CNN — the size of our encoders).
    public init() {}
    public init(preset: AbnormalFilterPreset) {
        let v = preset.values
        lambda = v.lambda; alpha = v.alpha; beta = v.beta; theta = v.theta
    }

    func validate() throws {
        guard maxComponents >= 2 else { throw ScannerError.invalidOption(option: .maxComponents, reason: "must be at least 2, got \(maxComponents)") }
        guard lambda >= 0 else { throw ScannerError.invalidOption(option: .lambda, reason: "must be ≥ 0, got \(lambda)") }
        guard alpha.isFinite, alpha >= 0 else { throw ScannerError.invalidOption(option: .alpha, reason: "must be a finite number ≥ 0, got \(alpha)") }
        guard beta.isFinite, beta >= 0 else { throw ScannerError.invalidOption(option: .beta, reason: "must be a finite number ≥ 0, got \(beta)") }
        guard theta.isFinite, theta >= 0 else { throw ScannerError.invalidOption(option: .theta, reason: "must be a finite number ≥ 0, got \(theta)") }
    }
}

public struct FilterClustering: Sendable, Codable, Equatable {
    public let filter: Int
    /// K* (0 when the filter's learning images do not vary).
    public let components: Int
    public let calinskiHarabasz: Double
    /// CH for K = 2…Kmax (NaN where a fit failed).
    public let calinskiHarabaszByK: [Double]
    /// Number of stimuli in each cluster of K*, descending.
    public let clusterSizes: [Int]
    /// Clusters of K* with at most λ points.
    public let abnormalClusters: Int
    public let activation: Double
    public let imbalanced: Bool
    public let highCH: Bool
    /// False when excluded by θ (activation below θ × the layer mean).
    public let highActivation: Bool
    public var abnormal: Bool { imbalanced && highCH && highActivation }
}

public struct AbnormalFilterReport: Sendable, Codable, Equatable {
    public let layer: String
    public let stimuli: Int
    public let settings: AbnormalFilterSettings
    public let filters: [FilterClustering]
    /// Mean CH(K*) over the layer's filters with a defined CH; β × it is the threshold.
    public let meanCH: Double
    public let chThreshold: Double
    /// Mean activation over the layer's filters; θ × it is the threshold.
    public let meanActivation: Double
    public let activationThreshold: Double
    public var abnormalCount: Int { filters.filter(\.abnormal).count }
    public var abnormalFilters: [Int] { filters.filter(\.abnormal).map(\.filter) }
}

/// The per-filter clustering result before the layer-level criteria are applied.
public struct FilterClusterInput: Sendable, Equatable {
    public var filter: Int
    public var components: Int
    public var calinskiHarabasz: Double
    public var calinskiHarabaszByK: [Double]
    public var clusterSizes: [Int]
    public var activation: Double
    public init(filter: Int, components: Int, calinskiHarabasz: Double, calinskiHarabaszByK: [Double] = [], clusterSizes: [Int], activation: Double) {
        self.filter = filter; self.components = components; self.calinskiHarabasz = calinskiHarabasz
        self.calinskiHarabaszByK = calinskiHarabaszByK; self.clusterSizes = clusterSizes; self.activation = activation
    }
}

public enum AbnormalFilterCriteria {
    /// Index of K* in `chByK` (K = first…): the largest CH, ties to the larger K (Algorithm 6.1,
    /// line 9: "CH ≥ max CH"); nil when no CH is finite.
    public static func bestIndex(_ chByK: [Double]) -> Int? {
        var best: Int?, bestCH = -Double.infinity
        for (i, ch) in chByK.enumerated() where ch.isFinite && ch >= bestCH { best = i; bestCH = ch }
        return best
    }

    /// Applies §6.3.1's three criteria to the filters of one layer.
    public static func apply(_ rows: [FilterClusterInput], layer: String, stimuli: Int, settings s: AbnormalFilterSettings) -> AbnormalFilterReport {
        let chs = rows.map(\.calinskiHarabasz).filter { $0.isFinite }
        let meanCH = chs.isEmpty ? Double.nan : chs.reduce(0, +) / Double(chs.count)
        let acts = rows.map(\.activation).filter { $0.isFinite }
        let meanAct = acts.isEmpty ? Double.nan : acts.reduce(0, +) / Double(acts.count)
        let chThreshold = s.beta * meanCH, actThreshold = s.theta * meanAct
        let filters = rows.map { r -> FilterClustering in
            let k = r.clusterSizes.count
            let small = r.clusterSizes.filter { $0 <= s.lambda }.count
            let imbalanced = k > 0 && Double(small) > s.alpha * Double(k)
            let highCH = r.calinskiHarabasz.isFinite && r.calinskiHarabasz > chThreshold
            let active = r.activation.isFinite && !(r.activation < actThreshold)
            return FilterClustering(filter: r.filter, components: r.components, calinskiHarabasz: r.calinskiHarabasz,
                                    calinskiHarabaszByK: r.calinskiHarabaszByK, clusterSizes: r.clusterSizes, abnormalClusters: small,
                                    activation: r.activation, imbalanced: imbalanced, highCH: highCH, highActivation: active)
        }
        return AbnormalFilterReport(layer: layer, stimuli: stimuli, settings: s, filters: filters, meanCH: meanCH, chThreshold: chThreshold,
                                    meanActivation: meanAct, activationThreshold: actThreshold)
    }
}

extension ScanNetwork {
    public func abnormalFilters(_ x: Tensor, layer l: Int, settings: AbnormalFilterSettings = AbnormalFilterSettings()) throws -> AbnormalFilterReport {
        try settings.validate()
        try validate(stimuli: x)
        try requireLayer(l)
        let n = x.shape[0]
        guard n >= 3 else { throw ScannerError.invalidOption(option: .stimuli, reason: "abnormal-filter clustering needs at least 3 stimuli, got \(n)") }
        let c = inputShape[0], img = inputShape.product, hw = inputShape[1] * inputShape[2]
        let k = channelCount(layer: l)
        let fl = try filterLearningImages(x, layer: l, batchSize: settings.batchSize)
        let act = outputs(x, through: l)
        let plane = neuronCount(layer: l) / k
        let kmax = min(settings.maxComponents, n - 1)
        var rows: [FilterClusterInput] = []
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
                rows.append(FilterClusterInput(filter: f, components: 0, calinskiHarabasz: .nan, clusterSizes: [], activation: activation)); continue
            }
            var byK: [Double] = [], labelsByK: [[Int]] = []
            for kk in 2...max(2, kmax) {
                var gs = GaussianMixtureSettings(restarts: settings.restarts, seed: settings.seed &+ UInt64(f * 100 + kk))
                gs.regularization = 1e-6 * max(1, pca.explainedVariance[0])
                guard let g = try? GaussianMixture.fit(data: pca.scores, rows: n, columns: 2, components: kk, settings: gs),
                      let labels = try? g.predict(data: pca.scores, rows: n) else { byK.append(.nan); labelsByK.append([]); continue }
                byK.append(ClusterValidity.calinskiHarabasz(data: pca.scores, rows: n, columns: 2, labels: labels, form: settings.chForm))
                labelsByK.append(labels)
            }
            guard let b = AbnormalFilterCriteria.bestIndex(byK) else {
                rows.append(FilterClusterInput(filter: f, components: 0, calinskiHarabasz: .nan, calinskiHarabaszByK: byK, clusterSizes: [], activation: activation)); continue
            }
            var counts = [Int: Int]()
            for lab in labelsByK[b] { counts[lab, default: 0] += 1 }
            rows.append(FilterClusterInput(filter: f, components: b + 2, calinskiHarabasz: byK[b], calinskiHarabaszByK: byK,
                                           clusterSizes: counts.values.sorted(by: >), activation: activation))
        }
        return AbnormalFilterCriteria.apply(rows, layer: layer(l).name, stimuli: n, settings: settings)
    }

}
