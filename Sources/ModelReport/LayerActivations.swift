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

    /// Activations [K, C·H·W] of each layer in `names` ("readout": the predicted rates) for the
    /// dataset's `stimuli`, in batches of 64.
    /// - Throws: `EncodingError.incompatibleData` when model and data do not match; errors of the
    ///   stimulus source.
    /// The handle of a core layer's name, or `EncodingError.noSuchLayer`.
    private static func handle(_ name: String, in model: FittedModel) throws -> LayerHandle {
        guard let h = LayerHandle(name: name), model.encoder.architecture.coreIndex(of: h) != nil else {
            throw EncodingError.noSuchLayer(layer: name, available: model.encoder.architecture.layerHandles.map(\.name))
        }
        return h
    }

    public static func collect(model: FittedModel, dataset: Dataset, stimuli: [Int], names: [String]) throws -> [RSALayerActivations] {
        try EncodingModel.checkCompatible(model: model, dataset: dataset)
        let enc = model.encoder
        let provider = try PreprocessedStimuli(dataset: dataset, preprocessing: model.config.preprocessing)
        var out: [RSALayerActivations] = []
        for name in names {
            var values: [Float] = []
            var channels = 0
            var start = 0
            while start < stimuli.count {
                let end = min(stimuli.count, start + 64)
                let x = try provider.stimuli(Array(stimuli[start..<end]))
                let a = name == "readout" ? enc.forward(x, training: false) : try enc.activations(x, at: try handle(name, in: model))
                channels = a.count / a.shape[0]
                values.append(contentsOf: a.data)
                start = end
            }
            out.append(RSALayerActivations(name: name, activations: values, channels: channels))
        }
        return out
    }
}
