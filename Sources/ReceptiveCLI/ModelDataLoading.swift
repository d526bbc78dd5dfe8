// Loading a dataset for a fitted model: dataset paths default to those the model was fitted with.
import ArgumentParser
import Foundation
import Encoding
import NeuralData

extension DatasetOptions {
    /// Paths given on the command line win; paths left at their defaults take the model's.
    func loadOptions(for model: FittedModel) -> DatasetLoadOptions {
        var o = loadOptions(countModel: model.config.architecture.observation != .gaussian, fittedWith: model.config.data.paths)
        if model.config.architecture.observation == .quasiPoisson { o.quasiLikelihood = true }
        return o
    }

    /// Load options for applying a model fitted with the dataset paths `m`: each path the user
    /// did not name is the model's; no receptive-field check (the model's preprocessing resizes).
    func loadOptions(countModel: Bool, fittedWith m: DatasetPaths) -> DatasetLoadOptions {
        var o = loadOptions(countModel: countModel)
        if stimuliPath == nil { o.paths.stimuli = m.stimuli }
        if responsesPath == nil { o.paths.responses = m.responses }
        if stimulusIndexPath == nil { o.paths.stimulusIndex = m.stimulusIndex }
        if splitPath == nil { o.paths.split = m.split }
        if masksPath == nil { o.paths.masks = m.masks }
        if unitNamesPath == nil { o.paths.unitNames = m.unitNames }
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
