// Where a dataset's arrays live inside its HDF5 file, and how to read it (DESIGN §3). Defaults are
// the contract's names; every path can be overridden so existing h5py files work unchanged.
import Tensors

/// Paths of the dataset's arrays inside the file. Optional arrays that are absent are simply
/// skipped; a required one (stimuli, responses) that is absent is an error.
public struct DatasetPaths: Codable, Equatable, Sendable {
    /// `[N, H, W]` or `[N, C, H, W]`, uint8 / integer / float32 / float64.
    public var stimuli: String
    /// `[T, U]`, any integer or float type.
    public var responses: String
    /// `[T]` integer, optional: which stimulus each trial showed.
    public var stimulusIndex: String
    /// `[N]` integer (0 train, 1 validation, 2 test), optional.
    public var split: String
    /// `[N, H, W]` uint8, optional foreground masks.
    public var masks: String
    /// `[U]` strings, optional.
    public var unitNames: String
    /// Group holding simulator ground truth, optional.
    public var groundTruth: String
    /// The optional arrays whose path the user named: for these, absence from the file is an error
    /// instead of "not there" (a path someone typed and the file lacks is never silently skipped).
    public var named: Set<DatasetArray> = []

    public init(stimuli: String = "/stimuli", responses: String = "/responses",
                stimulusIndex: String = "/stimulus_index", split: String = "/split",
                masks: String = "/masks", unitNames: String = "/unit_names",
                groundTruth: String = "/ground_truth") {
        self.stimuli = Self.absolute(stimuli); self.responses = Self.absolute(responses)
        self.stimulusIndex = Self.absolute(stimulusIndex); self.split = Self.absolute(split)
        self.masks = Self.absolute(masks); self.unitNames = Self.absolute(unitNames)
        self.groundTruth = Self.absolute(groundTruth)
    }

    public static let defaults = DatasetPaths()

    /// The path of one of the arrays.
    public func path(of array: DatasetArray) -> String {
        switch array {
        case .stimuli: return stimuli
        case .responses: return responses
        case .stimulusIndex: return stimulusIndex
        case .split: return split
        case .masks: return masks
        case .unitNames: return unitNames
        }
    }

    /// Paths inside a file are absolute; `stimuli` and `/stimuli` name the same dataset.
    static func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : "/" + p }
}

/// The arrays of the dataset contract (DESIGN §3), for errors and for `DatasetPaths.named`.
public enum DatasetArray: String, Codable, CaseIterable, Sendable, CustomStringConvertible {
    case stimuli, responses, stimulusIndex = "stimulus index", split, masks, unitNames = "unit names"
    public var description: String { rawValue }
}

/// Recording modality; picks the default observation model (Poisson for spikes, Gaussian for fMRI).
public enum Modality: String, Codable, CaseIterable, Sendable {
    case spikes, fmri
}

/// How the stimuli are held while a dataset is used.
public enum StimulusStorage: String, Codable, CaseIterable, Sendable {
    /// In memory when the float32 stimuli fit in half the available memory, streamed otherwise.
    case automatic
    /// Read whole into memory; a file that declares more than the available memory is refused.
    case memory
    /// Read in row ranges (hyperslabs) as batches are drawn; memory stays bounded.
    case stream
}

/// Everything that decides how a file is read and validated.
public struct DatasetLoadOptions: Equatable, Sendable {
    public var paths: DatasetPaths
    /// Overrides the file's `modality` attribute.
    public var modality: Modality?
    /// Accept non-integer spike counts (the Poisson likelihood is then a quasi-likelihood).
    public var quasiLikelihood: Bool
    /// Require responses to be counts: non-negative and (unless `quasiLikelihood`) integer. When
    /// nil, required exactly when the modality is spikes.
    public var countModel: Bool?
    /// Smallest image side the caller's model can take (its receptive field); 0 disables the check.
    public var minimumImageSize: Int
    public var storage: StimulusStorage
    /// Seed of the 80/10/10 split by stimulus used when the file has no `/split`.
    public var splitSeed: UInt64
    /// Memory budget the "too large" check compares against; nil means `availableMemoryBytes()`.
    public var availableMemory: Int?
    /// Streamed float stimuli: check each block for NaN/Inf when it is first read (training's
    /// first pass) instead of scanning the whole array before `load` returns. `fit` sets it.
    public var checkStreamedValuesOnRead = false
    /// Read only these response columns (units), as one hyperslab: the dataset then has
    /// `responseColumns.count` units (their names; no ground truth). How an MPI rank reads its
    /// share of many targets (ridge under mpirun; an empty range gives a rank with no targets).
    /// nil: all units.
    public var responseColumns: Range<Int>?

    public init(paths: DatasetPaths = .defaults, modality: Modality? = nil, quasiLikelihood: Bool = false,
                countModel: Bool? = nil, minimumImageSize: Int = 0, storage: StimulusStorage = .automatic,
                splitSeed: UInt64 = 0, availableMemory: Int? = nil) {
        self.paths = paths; self.modality = modality; self.quasiLikelihood = quasiLikelihood
        self.countModel = countModel; self.minimumImageSize = minimumImageSize; self.storage = storage
        self.splitSeed = splitSeed; self.availableMemory = availableMemory
    }
}

/// Which part of the data a stimulus belongs to. Splits are by stimulus, so all repeats of a
/// stimulus are in the same split.
public enum Split: UInt8, Codable, CaseIterable, Sendable, CustomStringConvertible {
    case train = 0, validation = 1, test = 2
    public var description: String {
        switch self { case .train: return "train"; case .validation: return "validation"; case .test: return "test" }
    }

    /// The seeded split used when a file has none: a permutation of the N stimuli, the first 80 %
    /// train, the next 10 % validation, the rest test (at least one test stimulus when N ≥ 2).
    public static func seeded(stimulusCount n: Int, seed: UInt64) -> [Split] {
        var rng = SeededRandom(seed: seed ^ 0x5EED_5B17)
        let order = rng.permutation(n)
        var nTest = Int((Double(n) * 0.1).rounded())
        let nValidation = Int((Double(n) * 0.1).rounded())
        if n >= 2 && nTest == 0 { nTest = 1 }
        var split = [Split](repeating: .train, count: n)
        for (k, s) in order.enumerated() {
            if k >= n - nTest { split[s] = .test } else if k >= n - nTest - nValidation { split[s] = .validation }
        }
        return split
    }
}
