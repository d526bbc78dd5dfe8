// Scanning a fitted encoder (Encoding target): the encoder's core and readout as a ScanNetwork,
// and held-out responses of a dataset with the model's own link and observation model.
// Learning images and attributions of a readout unit are taken on η (before the link), in the
// model's input units (preprocessed stimuli: normalised by the training split's mean and std).
import Foundation
import Tensors
import ConvEngine
import Encoding
import NeuralData

extension ScanNetwork {
    /// The encoder's core (conv1, bn1, act1, pool1, …) and readout as a ScanNetwork. Shares the
    /// encoder's layers (no copy). With `preprocessing`, the split origin x₀ is the model input of
    /// an all-zero stimulus, P(0), so learning images split the stimulus (LearningImages.swift).
    public convenience init(encoder: NeuralEncoder, preprocessing: Preprocessing? = nil) throws {
        let a = encoder.architecture
        try self.init(core: encoder.core, readout: encoder.readout, inputShape: [a.inputChannels, a.inputHeight, a.inputWidth])
        if let p = preprocessing {
            guard p.outputShape == inputShape else {
                throw ScannerError.stimulusShape(shape: p.outputShape, expected: inputShape)
            }
            inputOrigin = p.apply(Tensor(shape: [1] + p.inputShape)).reshaped(inputShape)
        }
    }

    /// A fitted model with its own preprocessing (split origin P(0)).
    public convenience init(model: FittedModel) throws {
        try self.init(encoder: model.encoder, preprocessing: model.config.preprocessing)
    }
}

extension HeldOutData {
    /// The responses of `trials` of `data` with the distinct stimuli they showed, scored with the
    /// model's link and observation model (its fitted nuisance parameters).
    public init(model: FittedModel, data: TrainingData, trials: [Int]) throws {
        guard !trials.isEmpty else { throw ScannerError.invalidOption(option: .evaluationSplit, reason: "the selected split has no trials") }
        guard data.units == model.config.architecture.units else {
            throw ScannerError.invalidOption(option: .data, reason: "the dataset has \(data.units) units, the model \(model.config.architecture.units)")
        }
        let distinct = Array(Set(trials.map { data.stimulusIndex[$0] })).sorted()
        var row = [Int: Int]()
        for (k, s) in distinct.enumerated() { row[s] = k }
        let stimuli = try data.stimuli.stimuli(distinct)
        let u = data.units
        let y = data.responses.rows(trials).values
        let link = model.config.architecture.link
        let observation = try model.config.observation.makeModel()
        try self.init(stimuli: stimuli, responses: y, stimulusIndex: trials.map { row[data.stimulusIndex[$0]]! }, units: u,
                      link: { link.apply($0) }, linkDerivative: { link.derivative($0) },
                      logLikelihood: { observation.logLikelihood(y: $0, mean: $1, unit: $2) },
                      nllGradient: { observation.negativeLogLikelihoodGradient(y: $0, mean: $1, unit: $2) })
    }
}
