// A recording (or simulation) read from an HDF5 file that follows the dataset contract (DESIGN §3),
// validated whole before anything is computed.
//
// Shapes: N stimuli, T trials, U units, C channels, H × W pixels. Responses are row-major [T, U]
// (one row per trial); `stimulusIndex[t]` is the stimulus trial t showed; `split[n]` the split of
// stimulus n. Splits are by stimulus, so the repeats of a stimulus never cross splits.
import Foundation
import Tensors

public final class Dataset {
    /// Path of the file it was read from ("(memory)" for a dataset built in memory).
    public let file: String
    public let paths: DatasetPaths
    /// N.
    public let stimulusCount: Int
    /// T.
    public let trialCount: Int
    /// U.
    public let unitCount: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// Shape of `/stimuli` as stored ([N, H, W] or [N, C, H, W]).
    public let storedStimulusShape: [Int]
    /// Element type of the stimuli and of the responses as stored.
    public let stimulusType: HDF5ElementType
    public let responseType: HDF5ElementType
    public let modality: Modality
    /// Whether responses were validated as counts (non-negative; integer unless quasi-likelihood).
    public let countModel: Bool
    public let quasiLikelihood: Bool
    /// Responses, row-major [T, U], in the file's units (spike counts per trial, or BOLD amplitude).
    public let responses: [Float]
    /// [T]: the stimulus each trial showed (0..<N).
    public let stimulusIndex: [Int]
    /// Whether the file had a stimulus index (otherwise trial t showed stimulus t).
    public let hasStimulusIndex: Bool
    /// [N]: the split of each stimulus.
    public let split: [Split]
    /// Whether the split came from the file (otherwise the seeded 80/10/10 split by stimulus).
    public let splitFromFile: Bool
    /// Foreground masks [N, H, W] (0 background, non-zero foreground), when the file has them.
    public let masks: [UInt8]?
    /// [U]: names from the file, or "unit0", "unit1", … when it has none.
    public let unitNames: [String]
    public let hasUnitNames: Bool
    /// Simulator ground truth (`/ground_truth`), when present.
    public let groundTruth: GroundTruth?
    /// Where the stimulus pixels come from (memory, or streamed from the file).
    public let stimulusSource: StimulusSource

    /// "simple" / "complex" / "v2" / "voxel" per unit, for simulated files.
    public var unitTypes: [String]? { groundTruth.flatMap { $0.unitTypes.isEmpty ? nil : $0.unitTypes } }
    /// [C, H, W].
    public var stimulusShape: [Int] { [channels, height, width] }
    public var isStreaming: Bool { stimulusSource is HDF5StimulusSource }

    /// [N]: number of trials (repeats) of each stimulus.
    public private(set) lazy var repeatsPerStimulus: [Int] = {
        var c = [Int](repeating: 0, count: stimulusCount)
        for s in stimulusIndex { c[s] += 1 }
        return c
    }()

    // MARK: built in memory

    /// A dataset built in memory (tests, simulations). Shapes are programmer contracts here
    /// (preconditions); use `load` for anything a user supplies.
    /// - Parameters:
    ///   - stimuli: [N, C, H, W] raw values.
    ///   - responses: [T, U].
    ///   - stimulusIndex: [T], or nil when T = N and trial t showed stimulus t.
    ///   - split: [N], or nil for the seeded 80/10/10 split.
    public init(stimuli: Tensor, responses: Tensor, stimulusIndex: [Int]? = nil, split: [Split]? = nil,
                modality: Modality = .spikes, unitNames: [String]? = nil, masks: [UInt8]? = nil,
                groundTruth: GroundTruth? = nil, splitSeed: UInt64 = 0, name: String = "(memory)") {
        precondition(stimuli.rank == 4 && responses.rank == 2, "stimuli [N,C,H,W] and responses [T,U] expected")
        let n = stimuli.shape[0], t = responses.shape[0]
        let index = stimulusIndex ?? Array(0..<t)
        precondition(index.count == t && index.allSatisfy { $0 >= 0 && $0 < n }, "stimulus index must be [T] in 0..<N")
        precondition(split == nil || split!.count == n)
        file = name; paths = .defaults
        stimulusCount = n; trialCount = t; unitCount = responses.shape[1]
        channels = stimuli.shape[1]; height = stimuli.shape[2]; width = stimuli.shape[3]
        storedStimulusShape = stimuli.shape
        stimulusType = .float32; responseType = .float32
        self.modality = modality; countModel = false; quasiLikelihood = false
        self.responses = responses.data; self.stimulusIndex = index; hasStimulusIndex = stimulusIndex != nil
        self.split = split ?? Split.seeded(stimulusCount: n, seed: splitSeed); splitFromFile = split != nil
        self.masks = masks
        self.unitNames = unitNames ?? (0..<responses.shape[1]).map { "unit\($0)" }
        hasUnitNames = unitNames != nil
        self.groundTruth = groundTruth
        stimulusSource = InMemoryStimulusSource(tensor: stimuli)
    }

    init(file: String, paths: DatasetPaths, shape: [Int], stimulusType: HDF5ElementType,
                 responseType: HDF5ElementType, modality: Modality, countModel: Bool, quasiLikelihood: Bool,
                 responses: [Float], unitCount: Int, stimulusIndex: [Int], hasStimulusIndex: Bool,
                 split: [Split], splitFromFile: Bool, masks: [UInt8]?, unitNames: [String]?,
                 groundTruth: GroundTruth?, source: StimulusSource) {
        self.file = file; self.paths = paths
        stimulusCount = shape[0]; trialCount = stimulusIndex.count; self.unitCount = unitCount
        channels = source.channels; height = source.height; width = source.width
        storedStimulusShape = shape
        self.stimulusType = stimulusType; self.responseType = responseType
        self.modality = modality; self.countModel = countModel; self.quasiLikelihood = quasiLikelihood
        self.responses = responses; self.stimulusIndex = stimulusIndex; self.hasStimulusIndex = hasStimulusIndex
        self.split = split; self.splitFromFile = splitFromFile; self.masks = masks
        self.unitNames = unitNames ?? (0..<unitCount).map { "unit\($0)" }
        hasUnitNames = unitNames != nil
        self.groundTruth = groundTruth; stimulusSource = source
    }

    // MARK: queries

    /// The responses as a (T, U) matrix (shares `responses`' storage; no copy).
    public var responseMatrix: ResponseMatrix<Float> { ResponseMatrix(rows: trialCount, columns: unitCount, values: responses) }

    /// Trials whose stimulus is in `split`, ascending.
    public func trials(in split: Split) -> [Int] {
        (0..<trialCount).filter { self.split[stimulusIndex[$0]] == split }
    }

    /// Stimuli marked `split`, ascending (including any that no trial shows).
    public func stimuli(in split: Split) -> [Int] {
        (0..<stimulusCount).filter { self.split[$0] == split }
    }

    /// Stimuli marked `split` that at least one trial shows, ascending (the evaluation set).
    public func shownStimuli(in split: Split) -> [Int] {
        let shown = repeatsPerStimulus
        return stimuli(in: split).filter { shown[$0] > 0 }
    }

    /// Repeat-averaged responses and per-unit repeat statistics of `shownStimuli(in: split)`
    /// (rows of `meanResponses` follow `stimuli`).
    public func repeatStatistics(in split: Split) -> RepeatStatistics {
        RepeatStatistics(dataset: self, stimuli: shownStimuli(in: split))
    }

    /// Raw stimuli [n, C, H, W] for stimulus indices `indices`.
    public func stimuli(_ indices: [Int]) throws -> Tensor {
        do { return try stimulusSource.stimuli(indices) } catch { throw DatasetError.from(error, file: file, path: paths.stimuli) }
    }

    /// Responses of `trials`, [n, U].
    public func responses(trials: [Int]) -> Tensor {
        Tensor(shape: [trials.count, unitCount], data: responseMatrix.rows(trials).values)
    }

    /// One minibatch: the stimulus each trial showed (preprocessed when `preprocessing` is given)
    /// and the trial's responses. Each distinct stimulus is read once.
    public func minibatch(trials: [Int], preprocessing: Preprocessing? = nil) throws -> Minibatch {
        var unique: [Int] = []
        var slot = [Int: Int]()
        var rows = [Int](repeating: 0, count: trials.count)
        for (k, t) in trials.enumerated() {
            let s = stimulusIndex[t]
            if let j = slot[s] { rows[k] = j } else { slot[s] = unique.count; rows[k] = unique.count; unique.append(s) }
        }
        var images = try stimuli(unique)
        if let p = preprocessing { images = p.apply(images) }
        if unique.count != trials.count || rows != Array(0..<trials.count) { images = images.gather(rows) }
        return Minibatch(trials: trials, stimulusIndices: trials.map { stimulusIndex[$0] },
                         stimuli: images, responses: responses(trials: trials))
    }
}

/// Stimuli and responses of a set of trials.
public struct Minibatch {
    /// [B] trial indices.
    public let trials: [Int]
    /// [B] the stimulus each trial showed.
    public let stimulusIndices: [Int]
    /// [B, C, H, W]: raw, or preprocessed when the batch was drawn with a `Preprocessing`.
    public let stimuli: Tensor
    /// [B, U].
    public let responses: Tensor
}
