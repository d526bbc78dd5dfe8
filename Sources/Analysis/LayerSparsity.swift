// Sparsity of one core layer's activations over a set of stimuli (Sparsity.swift for the measures):
// raw stimuli → the model's preprocessing → core up to `layer` → [n, C, H, W] activations →
// unit matrix ([n, C·H·W] every position, or [n, C] spatial mean) → lifetime sparsity of every unit
// over stimuli and population sparsity of every stimulus over units, for Treves–Rolls, Hoyer and
// excess kurtosis; each summarised by its mean and median over the defined values.
import Foundation
import Tensors
import NeuralData
import Encoding

/// Mean and median of one measure over units (lifetime) or stimuli (population).
public struct SparsityValue: Codable, Equatable, Sendable {
    public var mean: Double
    public var median: Double
    /// Units (or stimuli) where the measure is undefined (e.g. a unit that never responds).
    public var undefined: Int

    public init(_ s: SparsitySummary) { mean = s.mean; median = s.median; undefined = s.undefined }
}

public struct LayerSparsityReport: Codable, Equatable, Sendable {
    public var layer: String
    public var pooling: String
    /// Stimuli and units (columns of the unit matrix).
    public var stimuli: Int
    public var units: Int
    public var lifetimeTrevesRolls: SparsityValue
    public var populationTrevesRolls: SparsityValue
    public var lifetimeHoyer: SparsityValue
    public var populationHoyer: SparsityValue
    public var lifetimeKurtosis: SparsityValue
    public var populationKurtosis: SparsityValue

    enum CodingKeys: String, CodingKey {
        case layer, pooling, stimuli, units
        case lifetimeTrevesRolls = "lifetime_treves_rolls", populationTrevesRolls = "population_treves_rolls"
        case lifetimeHoyer = "lifetime_hoyer", populationHoyer = "population_hoyer"
        case lifetimeKurtosis = "lifetime_kurtosis", populationKurtosis = "population_kurtosis"
    }
}

public enum LayerSparsity {
    /// - Parameters:
    ///   - model: the fitted model (its preprocessing and encoder).
    ///   - source: raw stimuli of the model's input shape; `indices` the stimuli to use.
    ///   - layer: a core layer of the model (`model.encoder.architecture.layerHandles`).
    ///   - availableMemory: bytes the activation matrix may use (nil: no check).
    /// - Throws: `ModelAnalysisError.invalidOption` for an unknown layer or < 2 stimuli,
    ///   `.tooLarge` when the matrix would not fit, `SparsityError` for non-finite activations.
    public static func measure(model: FittedModel, source: StimulusSource, indices: [Int], layer: LayerHandle,
                               pooling: ConvUnitPooling = .everyPosition, availableMemory: Int? = nil,
                               batchSize: Int = 128) throws -> LayerSparsityReport {
        let encoder = model.encoder
        guard let last = encoder.architecture.coreIndex(of: layer) else {
            throw ModelAnalysisError.invalidOption(option: .layer,
                reason: "no layer named '\(layer.name)' in this model (layers: \(encoder.layerNames.joined(separator: ", ")))")
        }
        guard indices.count >= 2 else {
            throw ModelAnalysisError.invalidOption(option: .stimuli, reason: "sparsity needs at least 2 stimuli, got \(indices.count)")
        }
        // Size of the unit matrix, from the layers' shapes (no forward pass: a first forward of a
        // single image can leave some conv layouts wrong for the next, larger batch).
        let prep = model.config.preprocessing
        var shape = [1] + prep.outputShape
        for l in encoder.core.layers[...last] { shape = l.outputShape(for: shape) }
        let perStimulus = pooling == .everyPosition ? shape.product : shape[1]
        let bytes = indices.count.multipliedReportingOverflow(by: perStimulus * 4)
        if let avail = availableMemory, bytes.overflow || bytes.partialValue > avail / 2 {
            throw ModelAnalysisError.tooLarge(what: "the activations of \(layer.name) for \(indices.count) stimuli",
                                              bytes: bytes.overflow ? Int.max : bytes.partialValue, availableBytes: avail)
        }
        var values = [Float]()
        values.reserveCapacity(indices.count * perStimulus)
        var start = 0
        while start < indices.count {
            let end = min(indices.count, start + batchSize)
            let a = try encoder.activations(prep.apply(try source.stimuli(Array(indices[start..<end]))), at: layer)
            values += try Sparsity.unitMatrix(convActivations: a, pooling: pooling).data
            start = end
        }
        let matrix = Tensor(shape: [indices.count, perStimulus], data: values)
        func pair(_ m: SparsityMeasure) throws -> (SparsityValue, SparsityValue) {
            (SparsityValue(SparsitySummary(try Sparsity.lifetime(m, activations: matrix))),
             SparsityValue(SparsitySummary(try Sparsity.population(m, activations: matrix))))
        }
        let tr = try pair(.trevesRolls), ho = try pair(.hoyer), ku = try pair(.kurtosis)
        return LayerSparsityReport(layer: layer.name, pooling: pooling.rawValue, stimuli: indices.count, units: perStimulus,
                                   lifetimeTrevesRolls: tr.0, populationTrevesRolls: tr.1, lifetimeHoyer: ho.0,
                                   populationHoyer: ho.1, lifetimeKurtosis: ku.0, populationKurtosis: ku.1)
    }
}
