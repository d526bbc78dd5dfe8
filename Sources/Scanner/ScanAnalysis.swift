// Whole-model analyses behind `receptive scan --properties` and `--abnormal-filters`: the per-layer
// measures of KnowledgeQuantity, FeatureQuantity, InterpretableProperties, AbnormalFilters and
// Sharpness gathered into Codable reports (the CLI writes them as JSON).
import Foundation
import Tensors
import ConvEngine

public struct PropertiesReport: Sendable, Codable {
    public let stimuli: Int
    public let layers: [String]
    public let knowledge: [LayerKnowledge]
    public let featureQuantity: [LayerFeatureQuantity]
    public let properties: [LayerProperties]
    /// Across depth: mean and variance of FQ per layer, in layer order.
    public let fqMeanByDepth: [Double]
    public let fqVarianceByDepth: [Double]
}

public struct AbnormalFiltersReport: Sendable, Codable {
    public let model: String
    public let layers: [AbnormalFilterReport]
    public let sharpness: EigenEstimate?
    public let totalAbnormal: Int
}

public struct ScanAnalysisSettings: Sendable {
    public var knowledge = KnowledgeSettings()
    public var featureQuantity = FeatureQuantitySettings()
    public var properties = PropertySettings()
    public var abnormal = AbnormalFilterSettings()
    public var sharpness = SharpnessSettings()
    public init() {}
}

public enum ScanAnalysis {
    /// The layers analysed by default: the core's activation layers (the thesis' neurons: the
    /// gated outputs of the conv blocks), else the core's last layer.
    public static func defaultLayers(_ net: ScanNetwork) -> [Int] {
        let acts = net.core.layers.indices.filter { i in
            let l = net.core.layers[i]
            return (l is ReLU || l is ELU || l is Softplus || l is Exp || l is Identity) && net.layerShapes[i].count == 3
        }
        return acts.isEmpty ? [net.core.layers.count - 1] : acts
    }

    public static func properties(_ net: ScanNetwork, stimuli x: Tensor, masks: [UInt8]?, heldOut: HeldOutData?,
                                  layers: [Int], settings: ScanAnalysisSettings = ScanAnalysisSettings(),
                                  progress: ((String) -> Void)? = nil) throws -> PropertiesReport {
        try net.validate(stimuli: x)
        for l in layers { try net.requireLayer(l) }
        if let m = masks { try FeatureQuantity.checkMasks(m, shape: [x.shape[0], x.shape[2], x.shape[3]], stimuli: x) }
        var k: [LayerKnowledge] = [], fq: [LayerFeatureQuantity] = [], props: [LayerProperties] = []
        for l in layers {
            progress?("layer \(net.layerNames[l]): knowledge quantity")
            k.append(try net.knowledge(x, layer: l, settings: settings.knowledge))
            progress?("layer \(net.layerNames[l]): feature quantity")
            fq.append(try net.featureQuantity(x, masks: masks, layer: l, settings: settings.featureQuantity))
            progress?("layer \(net.layerNames[l]): interpretable properties, SoU, AIPC")
            props.append(try net.interpretableProperties(x, layer: l, heldOut: heldOut, masks: masks, settings: settings.properties))
        }
        return PropertiesReport(stimuli: x.shape[0], layers: layers.map { net.layerNames[$0] }, knowledge: k, featureQuantity: fq,
                                properties: props, fqMeanByDepth: fq.map(\.meanFQ), fqVarianceByDepth: fq.map(\.varianceFQ))
    }

    public static func abnormalFilters(_ net: ScanNetwork, name: String, stimuli x: Tensor, layers: [Int],
                                       sharpnessData: HeldOutData?, settings: ScanAnalysisSettings = ScanAnalysisSettings(),
                                       progress: ((String) -> Void)? = nil) throws -> AbnormalFiltersReport {
        try net.validate(stimuli: x)
        for l in layers { try net.requireLayer(l) }
        var reports: [AbnormalFilterReport] = []
        for l in layers {
            progress?("\(name): layer \(net.layerNames[l]): clustering filter learning images")
            reports.append(try net.abnormalFilters(x, layer: l, settings: settings.abnormal))
        }
        var sharp: EigenEstimate?
        if let d = sharpnessData {
            progress?("\(name): top Hessian eigenvalue (power iteration)")
            sharp = try net.sharpness(d, settings: settings.sharpness)
        }
        return AbnormalFiltersReport(model: name, layers: reports, sharpness: sharp, totalAbnormal: reports.reduce(0) { $0 + $1.abnormalCount })
    }
}
