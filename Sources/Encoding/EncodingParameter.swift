// The settings of model fitting (architecture, training, features) that a caller can get wrong,
// named by what they are. Errors carry one of these; the command line (ReceptiveCLI) maps each to
// the option that sets it, so the library never names a flag.

public enum EncodingParameter: String, Sendable, CaseIterable, CustomStringConvertible {
    case inputSize = "input size", units, architecture, kernels, pooling, layer, features, observation
    case activationL1 = "activation L1 penalty", core = "pretrained core"
    case gaborSize = "gabor size", gaborOrientations = "gabor orientations", gaborFrequencies = "gabor frequencies"
    case gaborEnvelope = "gabor envelope", gaborEnergyExponent = "gabor energy exponent"
    case restarts

    public var description: String { rawValue }
}

/// Why a checkpoint cannot be resumed from.
public enum CheckpointProblem: Sendable, Equatable {
    /// The file is a model, but not a checkpoint of a CNN fit.
    case notCNNCheckpoint
    /// Made with other training options or architecture.
    case otherOptions
    /// Made from other data (another file, split or preprocessing).
    case otherData
    /// Its training state does not match the checksum written with it.
    case corrupt

    public var description: String {
        switch self {
        case .notCNNCheckpoint: return "not a checkpoint of a CNN fit"
        case .otherOptions: return "the checkpoint was made with different options"
        case .otherData: return "the checkpoint was made from different data (another file, split or preprocessing)"
        case .corrupt: return "corrupt checkpoint: its training state does not match the checksum written with it"
        }
    }
}
