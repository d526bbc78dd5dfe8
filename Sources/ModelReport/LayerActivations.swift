// Activations of named layers of a fitted encoder over a dataset's stimuli, for RSA.
import Foundation
import Tensors
import NeuralData
import Encoding
import Analysis

public enum LayerActivations {
    /// The layers an RSA layer profile uses by default: every activation and pooling layer, then
    /// the readout (predicted rates).
    public static func defaultLayers(_ model: FittedModel) -> [String] {
        model.encoder.architecture.layerHandles.filter { h in
            switch h {
            case .activation, .pool: return true
            case .conv, .batchNorm, .coreOutput: return false
            }
        }.map(\.name) + ["readout"]
    }

    /// The core index of a layer's name (resolved once per layer, not per batch), or
    /// `EncodingError.noSuchLayer`.
    private static func coreIndex(_ name: String, in model: FittedModel) throws -> Int {
        let architecture = model.encoder.architecture
        guard let h = LayerHandle(name: name) else {
            throw EncodingError.noSuchLayer(layer: name, available: architecture.layerHandles.map(\.name))
        }
        return try architecture.resolve(h)
    }

    /// Activations [K, C·H·W] of each layer in `names` ("readout": the predicted rates) for the
    /// dataset's `stimuli`, in batches of 64.
    /// - Throws: `EncodingError.incompatibleData` when model and data do not match;
    ///   `EncodingError.noSuchLayer` for an unknown name; errors of the stimulus source.
    public static func collect(model: FittedModel, dataset: Dataset, stimuli: [Int], names: [String]) throws -> [RSALayerActivations] {
        try EncodingModel.checkCompatible(model: model, dataset: dataset)
        let enc = model.encoder
        let provider = try PreprocessedStimuli(dataset: dataset, preprocessing: model.config.preprocessing)
        var out: [RSALayerActivations] = []
        for name in names {
            let layerIndex: Int? = try name == "readout" ? nil : coreIndex(name, in: model)   // nil: the readout
            var values: [Float] = []
            var channels = 0
            var start = 0
            while start < stimuli.count {
                let end = min(stimuli.count, start + 64)
                let x = try provider.stimuli(Array(stimuli[start..<end]))
                let a = layerIndex.map { enc.core.forward(x, upTo: $0) } ?? enc.forward(x, training: false)
                channels = a.count / a.shape[0]
                values.append(contentsOf: a.data)
                start = end
            }
            out.append(RSALayerActivations(name: name, activations: values, channels: channels))
        }
        return out
    }
}
