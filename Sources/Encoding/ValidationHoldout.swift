// Files with only a training and a test split (the Allen Brain Observatory and NSD publish them so):
// CNN and GLM fits hold out a seeded fraction of the training *stimuli* (with all their repeats) as
// the validation set for early stopping and the GLM's ridge choice. Recorded in the model file
// (`config.heldOutValidation`). Ridge models choose α by folds inside the training split instead.
import Foundation
import Tensors
import NeuralData

public struct HeldOutValidation: Codable, Equatable, Sendable {
    /// The fraction asked for and the seed of the draw.
    public var fraction: Double
    public var seed: UInt64
    /// The training stimuli used for validation, ascending.
    public var stimuli: [Int]
    public init(fraction: Double, seed: UInt64, stimuli: [Int]) { self.fraction = fraction; self.seed = seed; self.stimuli = stimuli }
}

extension TrainingData {
    /// The dataset's splits; when the validation split has no trials and `validationFraction` > 0,
    /// round(fraction · S) of the S shown training stimuli (at least 1, at most S − 1), drawn by a
    /// seeded permutation, become validation stimuli.
    public static func withValidation(dataset: Dataset, preprocessing: Preprocessing, validationFraction: Double,
                                      seed: UInt64) throws -> (data: TrainingData, holdout: HeldOutValidation?) {
        let data = try TrainingData(dataset: dataset, preprocessing: preprocessing)
        guard data.validationTrials.isEmpty, validationFraction > 0 else { return (data, nil) }
        guard let held = ValidationHoldout.stimuli(dataset: dataset, fraction: validationFraction, seed: seed) else { return (data, nil) }
        let heldSet = Set(held)
        let train = data.trainTrials.filter { !heldSet.contains(dataset.stimulusIndex[$0]) }
        let val = data.trainTrials.filter { heldSet.contains(dataset.stimulusIndex[$0]) }
        return (TrainingData(stimuli: data.stimuli, responses: data.responses, stimulusIndex: data.stimulusIndex,
                             trainTrials: train, validationTrials: val, testTrials: data.testTrials),
                HeldOutValidation(fraction: validationFraction, seed: seed, stimuli: held))
    }
}

public enum ValidationHoldout {
    /// The held-out training stimuli (Notes above), or nil when fewer than 2 training stimuli are shown.
    public static func stimuli(dataset: Dataset, fraction: Double, seed: UInt64) -> [Int]? {
        let shown = dataset.repeatsPerStimulus
        let train = dataset.stimuli(in: .train).filter { shown[$0] > 0 }
        guard train.count >= 2 else { return nil }
        let k = min(train.count - 1, max(1, Int((fraction * Double(train.count)).rounded())))
        var rng = SeededRandom(seed: seed &+ 0x5A11D)
        let perm = rng.permutation(train.count)
        return perm.prefix(k).map { train[$0] }.sorted()
    }
}
