// The one place where library errors become messages that name command-line options. The library
// speaks in types (errors with fields: which setting, which value, which file); only this file
// knows which option sets which value. Messages are one line: the option or file, then the problem.
import Analysis
import ConvEngine
import Encoding
import Foundation
import NeuralData
import Scanner
import Tensors

enum ErrorMessages {
    /// The message for a library error whose text names an option, or nil when the error's own
    /// description is the message.
    static func message(for error: Error) -> String? {
        switch error {
        case let e as AtomicOutputError: return message(e)
        case let e as EnvironmentOverrideError:
            let accepted = e.accepted.joined(separator: ", ")
            switch e.problem {
            case .unknownValue: return "environment variable \(e.variable)=\(e.value): expected one of \(accepted) (or unset)"
            case .unsupportedByThisCPU: return "environment variable \(e.variable)=\(e.value): this CPU does not support it; expected one of \(accepted) (or unset)"
            }
        case let e as DatasetError: return message(e)
        case let e as NWBImportError: return message(e)
        case let e as EncodingError: return message(e)
        case let e as ScannerError: return message(e)
        case let e as InvarianceError: return message(e)
        case let e as RSAError: return message(e)
        case let e as ModelAnalysisError:
            if case .invalidOption(let o, let r) = e { return "\(flag(o)): \(r)" }
        case let e as ModelComparisonError:
            if case .invalidOption(let o, let r) = e { return "\(flag(o)): \(r)" }
        case let e as GaborFitError:
            switch e {
            case .invalidRestarts(let r): return "--restarts must be at least 1; got \(r)"
            case .invalidThreshold(let t): return "--threshold (R² for 'Gabor-like') must be in [0, 1]; got \(t)"
            default: return nil
            }
        case let e as ImageTransformError:
            switch e {
            case .invalidAlpha, .invalidBand, .unparsableBand: return "--" + e.description
            default: return nil
            }
        default: break
        }
        return nil
    }

    // MARK: outputs

    static func message(_ e: AtomicOutputError) -> String? {
        switch e.kind {
        case .exists: return "\(e.file): cannot create (\(e.reason); pass --force to overwrite)"
        case .conflict: return "\(e.file): cannot create (\(e.reason); pass --force to replace it)"
        default: return nil
        }
    }

    // MARK: NeuralData

    static func flag(_ p: DatasetParameter) -> String {
        switch p {
        case .cells: return "--cells"
        case .stimulusCount: return "--stimuli"
        case .repeats: return "--repeats"
        case .testRepeats: return "--test-repeats"
        case .imageSize: return "--size"
        case .gratingFrames: return "--frames"
        case .rateRange: return "--rate"
        case .unitsPerFamily: return "--units-per-family"
        case .modality: return "--modality"
        case .quasiLikelihood: return "--quasi-likelihood"
        case .resize: return "--resize"
        case .crop: return "--crop"
        case .whiteningCutoff: return "--whitening-cutoff"
        case .normalization: return "preprocessing"
        case .windows: return "--window"
        case .presentations: return "--presentations"
        case .templates: return "--templates"
        case .series: return "--series"
        case .output: return "--out"
        }
    }

    /// The option that names the path of a dataset array inside the file.
    static func flag(_ a: DatasetArray) -> String {
        switch a {
        case .stimuli: return "--stimuli"
        case .responses: return "--responses"
        case .stimulusIndex: return "--stimulus-index"
        case .split: return "--split-path"
        case .masks: return "--masks"
        case .unitNames: return "--unit-names"
        }
    }

    static func message(_ e: DatasetError) -> String? {
        switch e {
        case .invalidOption(let o, let problem):
            return "\(flag(o)): \(problem)"
        case .missingDataset(let f, let p, let role, let array):
            return "\(f): \(p): no such dataset (the \(role) are required; name another path with \(array.map(flag) ?? "the matching path option"))"
        case .missingStimulusIndex(let f, let r, let t, let s, let n, let i):
            return "\(f): \(r): has \(t) trials but \(s) has \(n) stimuli, and there is no \(i) to say which stimulus each trial showed (name it with \(flag(DatasetArray.stimulusIndex)))"
        case .negativeResponse(let f, let p, let t, let u, let v):
            return "\(f): \(p): negative response \(v) at trial \(t), unit \(u); spike counts must be non-negative (use \(flag(DatasetParameter.modality)) fmri for signed responses)"
        case .nonIntegerCount(let f, let p, let t, let u, let v):
            return "\(f): \(p): non-integer count \(v) at trial \(t), unit \(u); the Poisson model needs integer counts (pass \(flag(DatasetParameter.quasiLikelihood)) to fit non-integer responses)"
        case .invalidModality(let f, let v):
            return "\(f): / (attribute 'modality'): is '\(v)'; expected 'spikes' or 'fmri' (override with \(flag(DatasetParameter.modality)))"
        case .simulationTooLarge:
            return "\(flag(DatasetParameter.stimulusCount)): the simulation would not fit in memory; reduce --stimuli, --repeats or --size"
        default:
            return nil
        }
    }

    static func message(_ e: NWBImportError) -> String? {
        switch e {
        case .invalidOption(let o, let problem):
            return "\(flag(o)): \(problem)"
        case .ambiguous(let f, let what, let c, let o):
            return "\(f): several \(what): \(c.joined(separator: ", ")); name one with \(flag(o))"
        case .missing(let f, let p, let what, let alternative?):
            return "\(f): \(p): no \(what) (pass \(flag(alternative)) for a \(alternative))"
        default:
            return nil
        }
    }

    // MARK: Encoding

    static func flag(_ p: EncodingParameter) -> String {
        switch p {
        case .inputSize: return "--size"
        case .units: return "--units"
        case .architecture: return "--arch"
        case .kernels: return "--kernels"
        case .pooling: return "--pool"
        case .layer: return "--layer"
        case .features: return "--features"
        case .observation: return "--observation"
        case .activationL1: return "--activation-l1"
        case .core: return "--core"
        case .gaborSize: return "--gabor-size"
        case .gaborOrientations: return "--gabor-orientations"
        case .gaborFrequencies: return "--gabor-frequencies"
        case .gaborEnvelope: return "--gabor-spacing"
        case .gaborEnergyExponent: return "--gabor-energy-exponent"
        case .restarts: return "--restarts"
        }
    }

    static func message(_ e: EncodingError) -> String? {
        switch e {
        case .invalidOption(let o, let r):
            return "\(flag(o)): \(r)"
        case .unusableCheckpoint(let f, let p):
            switch p {
            case .otherOptions: return "\(f): \(p.description); run without --resume (or with the original options)"
            case .corrupt: return "\(f): \(p.description); delete it and fit without --resume"
            case .notCNNCheckpoint, .otherData: return "\(f): \(p.description); delete it or run without --resume"
            }
        case .gaborFeatureArguments(let s):
            return "--features: '\(s)': gabor takes its options from --gabor-* flags"
        case .ridgeTooLarge(let n, let p, let u, let need, let have):
            return String(format: "ridge on %d stimuli × %d features × %d targets needs about %.1f GB, %.1f GB are available (fewer targets, a smaller --target-batch or fewer features)",
                          n, p, u, Double(need) / 1e9, Double(have) / 1e9)
        case .delaysMismatch(let delays):
            return delays ? "a time-series (--delays) model predicts trials, not stimuli: use score" : "not a time-series (--delays) model"
        case .nonFiniteLoss:
            return e.description.replacingOccurrences(of: "(try a smaller learning rate)", with: "(try a smaller --lr)")
        default:
            return nil
        }
    }

    // MARK: Scanner

    static func flag(_ p: ScannerParameter) -> String {
        switch p {
        case .evaluationSplit: return "--eval-split"
        case .layer: return "--layer"
        case .unit: return "--unit"
        case .neuron: return "--neuron"
        case .filter: return "--filter"
        case .meiFilter: return "mei --filter"
        case .stimulus: return "--stimulus"
        case .stimuli: return "--stimuli"
        case .maxComponents: return "--max-components"
        case .lambda: return "--lambda"
        case .alpha: return "--alpha"
        case .beta: return "--beta"
        case .theta: return "--theta"
        case .steps: return "--steps"
        case .learningRate: return "--learning-rate"
        case .norm: return "--norm"
        case .blur: return "--blur"
        case .clamp: return "--clamp"
        case .window: return "--window"
        case .stride: return "--stride"
        case .epsilon: return "--epsilon"
        case .souConnections: return "--sou-connections"
        case .typeFraction: return "--type-fraction"
        case .aipcSteps: return "--aipc-steps"
        case .aipcTop: return "--aipc-top"
        case .attribution, .responses, .stimulusIndex, .data: return p.rawValue
        }
    }

    static func message(_ e: ScannerError) -> String? { e.message(naming: flag) }

    // MARK: Analysis

    static func flag(_ p: AnalysisParameter) -> String {
        switch p {
        case .reference: return "--reference"
        case .recorded: return "--recorded"
        case .transform: return "--transform"
        case .translateTransform: return "--transform translate"
        case .invarianceThreshold, .similarityThreshold: return "--threshold"
        case .bootstrap: return "--bootstrap"
        case .confidence: return "--confidence"
        case .draws: return "--draws"
        case .layers: return "--layers"
        case .repeats: return "--repeats"
        case .permutations: return "--permutations"
        case .layer: return "--layer"
        case .stimuli: return "--data"
        case .model: return "MODEL"
        case .measure: return "--measure"
        }
    }

    static func message(_ e: InvarianceError) -> String? {
        switch e {
        case .invalidOption(let o, let r): return "\(flag(o)): \(r)"
        case .needsTransform(let o, let v, let t, let r): return "\(flag(o)): \(v) needs \(flag(AnalysisParameter.transform)) \(t) (\(r))"
        default: return nil
        }
    }

    static func message(_ e: RSAError) -> String? {
        switch e {
        case .invalidOption(let o, let r): return "\(flag(o)): \(r)"
        case .unequalRepeats(let s, let lo, let hi):
            return "\(s): crossnobis needs the same number of repeats for every condition (found \(lo) to \(hi)); use the first \(lo) with \(flag(AnalysisParameter.repeats)) \(lo)"
        default: return nil
        }
    }
}
