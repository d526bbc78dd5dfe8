// What `receptive invariance` asks for, as one value, and the choice of which test answers it (the
// CLI only parses options and prints). The science lives here: which stimuli are probed, where the
// transform acts, how stored pairs and splits combine, and which reference distribution x comes from
// (ModelInvariance.swift).
import Foundation
import Tensors
import NeuralData
import Encoding

/// What is tested for invariance: a fitted model, the generating model of a simulated dataset, or
/// the neurons' recorded responses to stored pairs.
public enum InvarianceSubject {
    case model(FittedModel)
    case groundTruth
    case recorded

    /// The response function (nil for recorded responses) and the unit names to report, for the
    /// stimuli of `file` (`dataset` when the file has responses; `itemShape` [C, H, W]).
    public func responseFunction(file: String, dataset: Dataset?, itemShape: [Int]) throws -> (function: StimulusResponseFunction?, unitNames: [String]?) {
        switch self {
        case .model(let m):
            let f = EncoderResponseFunction(model: m)
            try f.checkStimulusShape(itemShape, file: file)
            return (f, m.config.data.unitNames ?? (dataset?.unitCount == f.unitCount ? dataset?.unitNames : nil))
        case .groundTruth:
            guard let ds = dataset else {
                throw ModelAnalysisError.groundTruthUnavailable(file: file, problem: "a stimulus set has no /ground_truth; give the simulated dataset")
            }
            return (try GroundTruthResponseFunction(dataset: ds), ds.unitNames)
        case .recorded:
            guard dataset != nil else {
                throw ModelAnalysisError.invalidOption(option: .recorded, reason: "\(file) is a stimulus set without responses")
            }
            return (nil, nil)
        }
    }
}

public struct InvarianceRequest {
    /// What responds: a response function (fitted model, ground truth), or nil for the recorded
    /// responses of `dataset` to its stored pairs.
    public var function: StimulusResponseFunction?
    public var source: StimulusSource
    /// The validated dataset when the stimuli file has responses (needed for `recorded` and for
    /// filtering stored pairs by split).
    public var dataset: Dataset?
    /// Stimuli of the selected split (or all).
    public var indices: [Int]
    public var split: Split?
    public var pairs: StimulusPairs?
    /// The transform applied on the fly; nil = the stored pairs.
    public var transform: ImageTransform?
    public var reference: InvarianceReference
    public var settings: InvarianceSettings
    public var unitNames: [String]?

    public init(function: StimulusResponseFunction?, source: StimulusSource, dataset: Dataset?, indices: [Int], split: Split?,
                pairs: StimulusPairs?, transform: ImageTransform?, reference: InvarianceReference = .natural,
                settings: InvarianceSettings, unitNames: [String]? = nil) {
        self.function = function; self.source = source; self.dataset = dataset; self.indices = indices; self.split = split
        self.pairs = pairs; self.transform = transform; self.reference = reference; self.settings = settings; self.unitNames = unitNames
        // Stored pairs, translation and contrast: T is not random, so one draw is all there is.
        if !(transform is PhaseScrambleTransform) { self.settings.draws = 1 }
    }

    /// The stimuli T is applied to: with stored pairs in the file, an explicit transform acts on the
    /// originals only (not on the stored scrambles).
    public var baseIndices: [Int] {
        guard let p = pairs else { return indices }
        let originals = Set(p.originals)
        return indices.filter { originals.contains($0) }
    }

    /// Checks the combination before any response is computed.
    /// - Throws: `InvarianceError.invalidOption` naming the option.
    public func validate() throws {
        try settings.validate()
        if reference == .scrambled {
            guard function != nil else {
                throw InvarianceError.invalidOption(option: .reference, reason: "scrambled draws new stimuli from the phase-randomised distribution; recorded responses exist only for the stimuli shown")
            }
            guard transform is PhaseScrambleTransform else {
                throw InvarianceError.needsTransform(option: .reference, value: "scrambled", transform: "phase-scramble", reason: "x and T(x) both phase-randomised")
            }
        }
        if function == nil, dataset == nil {
            throw InvarianceError.invalidOption(option: .recorded, reason: "a stimulus set has no recorded responses")
        }
        if transform == nil, pairs == nil {
            throw InvarianceError.invalidOption(option: .transform, reason: "the stimuli have no stored pairs; choose a transform")
        }
        if function == nil, transform != nil {
            throw InvarianceError.invalidOption(option: .transform, reason: "a transform cannot be applied to recorded responses; use the stored pairs")
        }
    }

    /// A one-line description of what is about to run (for progress output).
    public var summary: String {
        switch (function, transform) {
        case (nil, _): return "invariance of \(dataset?.unitCount ?? 0) recorded units over stored pairs (\(pairs?.source ?? ""))"
        case (let f?, nil): return "invariance of \(f.unitCount) units over stored pairs (\(pairs?.source ?? ""))"
        case (let f?, let t?):
            return "invariance of \(f.unitCount) units to \(t.name) on \(baseIndices.count) stimuli (reference \(reference.rawValue), \(settings.draws) draw(s) of T)"
        }
    }

    /// Runs the test the request describes.
    public func run() throws -> InvarianceResult {
        try validate()
        switch (function, transform) {
        case (nil, _):
            return try ModelInvariance.recorded(dataset: dataset!, pairs: pairs!, split: split, settings: settings)
        case (let f?, nil):
            var p = pairs!
            if let s = split, let d = dataset {
                p = StimulusPairs(pairs: p.pairs.filter { d.split[$0.original] == s }, source: p.source)
            }
            return try ModelInvariance.run(function: f, source: source, pairs: p, settings: settings, unitNames: unitNames)
        case (let f?, let t?):
            return try ModelInvariance.run(function: f, source: source, indices: baseIndices, transform: t, settings: settings,
                                           unitNames: unitNames, reference: reference)
        }
    }
}
