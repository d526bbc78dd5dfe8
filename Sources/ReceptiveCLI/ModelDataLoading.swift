// Loading a dataset for a fitted model: dataset paths default to those the model was fitted with.
import ArgumentParser
import Foundation
import Encoding
import NeuralData

extension DatasetOptions {
    /// Paths given on the command line win; paths left at their defaults take the model's.
    func loadOptions(for model: FittedModel) -> DatasetLoadOptions {
        var o = loadOptions(countModel: model.config.architecture.observation != .gaussian)
        let defaults = DatasetPaths.defaults, m = model.config.data.paths
        if o.paths.stimuli == defaults.stimuli { o.paths.stimuli = m.stimuli }
        if o.paths.responses == defaults.responses { o.paths.responses = m.responses }
        if o.paths.stimulusIndex == defaults.stimulusIndex { o.paths.stimulusIndex = m.stimulusIndex }
        if o.paths.split == defaults.split { o.paths.split = m.split }
        if o.paths.masks == defaults.masks { o.paths.masks = m.masks }
        if o.paths.unitNames == defaults.unitNames { o.paths.unitNames = m.unitNames }
        if model.config.architecture.observation == .quasiPoisson { o.quasiLikelihood = true }
        o.minimumImageSize = 0
        return o
    }
}

extension Split: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "train", "training": self = .train
        case "validation", "val": self = .validation
        case "test": self = .test
        default: return nil
        }
    }
    public static var allValueStrings: [String] { ["train", "validation", "test"] }
    public var defaultValueDescription: String { description }
}
