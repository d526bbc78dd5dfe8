// The layer profile of a network: one RDM per layer from its activations to the K stimuli, each
// compared with the subject RDMs — how brain-like each depth of the model is. The lead wires a
// fitted model's forward pass into this (the activations of every layer on the dataset's stimuli).
import Foundation

/// The activations of one layer to K stimuli, [K, C] row-major (C = channels × height × width).
public struct RSALayerActivations: Sendable {
    public var name: String
    public var activations: [Float]
    public var channels: Int

    public init(name: String, activations: [Float], channels: Int) {
        self.name = name; self.activations = activations; self.channels = channels
    }
}

extension RSA {
    /// One RDM per layer (`measure`, correlation distance by default), then the full analysis of
    /// those layer RDMs as models against `subjects`: the result's models are the layers, in order.
    /// Returns the result and the layer RDMs (for the heatmaps).
    public static func layerProfile(layers: [RSALayerActivations], subjects: RDMSet,
                                    measure: DissimilarityMeasure = .correlation,
                                    options: RSAOptions) throws -> (result: RSAResult, layerRDMs: RDMSet) {
        guard !layers.isEmpty else { throw RSAError.invalidOption(option: .layers, reason: "no layers selected") }
        let k = subjects.conditions
        var rdms: [RDM] = []
        for layer in layers {
            guard layer.channels > 0, layer.activations.count == k * layer.channels else {
                throw RSAError.invalidPatterns(source: "layer \(layer.name)",
                                               reason: "\(layer.activations.count) activations for \(k) stimuli × \(layer.channels) channels")
            }
            rdms.append(try RDM.compute(patterns: layer.activations, conditions: k, channels: layer.channels,
                                        measure: measure, source: "layer \(layer.name)"))
        }
        let set = RDMSet(rdms, names: layers.map { $0.name })
        let result = try analyse(subjects: subjects, models: set, options: options, modelsSource: "layer RDMs")
        return (result, set)
    }
}
