// What both `inspect` reports say about a file before anything specific to how it was read:
// counts, shapes, element types, modality, where the split comes from, optional groups. Shared by
// `DatasetSummary` (a file read whole) and `DatasetOverview` (a file sampled); both encode these
// fields at their top level (flattened), so their JSON is as before.

/// The fields every dataset report starts with.
public struct DatasetDescription: Codable, Equatable, Sendable {
    public var file: String
    public var stimulusCount: Int
    public var trialCount: Int
    public var unitCount: Int
    /// [C, H, W].
    public var stimulusShape: [Int]
    /// Shape as stored in the file.
    public var storedStimulusShape: [Int]
    public var stimulusType: String
    public var responseType: String
    public var modality: String
    /// "file" when the split is read from the file, "seeded" for the fallback split.
    public var splitSource: String
    public var hasMasks: Bool
    public var hasGroundTruth: Bool

    public init(file: String, stimulusCount: Int, trialCount: Int, unitCount: Int, stimulusShape: [Int],
                storedStimulusShape: [Int], stimulusType: String, responseType: String, modality: String,
                splitSource: String, hasMasks: Bool, hasGroundTruth: Bool) {
        self.file = file; self.stimulusCount = stimulusCount; self.trialCount = trialCount; self.unitCount = unitCount
        self.stimulusShape = stimulusShape; self.storedStimulusShape = storedStimulusShape
        self.stimulusType = stimulusType; self.responseType = responseType; self.modality = modality
        self.splitSource = splitSource; self.hasMasks = hasMasks; self.hasGroundTruth = hasGroundTruth
    }

    /// From a loaded dataset.
    public init(_ d: Dataset) {
        self.init(file: d.file, stimulusCount: d.stimulusCount, trialCount: d.trialCount, unitCount: d.unitCount,
                  stimulusShape: d.stimulusShape, storedStimulusShape: d.storedStimulusShape,
                  stimulusType: d.stimulusType.description, responseType: d.responseType.description,
                  modality: d.modality.rawValue, splitSource: d.splitFromFile ? "file" : "seeded",
                  hasMasks: d.masks != nil, hasGroundTruth: d.groundTruth != nil)
    }
}

/// A report that starts with a `DatasetDescription`: its fields read as the report's own.
public protocol DescribesDataset {
    var dataset: DatasetDescription { get set }
}

extension DescribesDataset {
    public subscript<T>(dynamicMember path: WritableKeyPath<DatasetDescription, T>) -> T {
        get { dataset[keyPath: path] }
        set { dataset[keyPath: path] = newValue }
    }
}
