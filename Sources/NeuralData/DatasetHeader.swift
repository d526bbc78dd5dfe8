// What a dataset file declares, read from its metadata alone (`Dataset.readHeader`): shapes,
// element types, which optional arrays are present, modality. Every header check of the contract
// has passed; no array's values have been read.
import Tensors

public struct DatasetHeader {
    public let file: String
    let h5: HDF5File
    public let paths: DatasetPaths
    public let stimulusInfo: HDF5DatasetInfo
    public let responseInfo: HDF5DatasetInfo
    public let hasIndex: Bool
    public let hasSplit: Bool
    public let hasMasks: Bool
    public let hasNames: Bool
    public let modality: Modality
    public let countModel: Bool

    /// N, T, U.
    public var stimulusCount: Int { stimulusInfo.shape[0] }
    public var trialCount: Int { responseInfo.shape[0] }
    public var unitCount: Int { responseInfo.shape[1] }

    /// Every unit name the file holds (nil when it has none): what a process that loaded only some
    /// response columns (`DatasetLoadOptions.responseColumns`) writes or prints for the whole file.
    public func allUnitNames() throws -> [String]? {
        guard hasNames else { return nil }
        do { return try HDF5File.open(file).readStrings(paths.unitNames) } catch { throw DatasetError.from(error, file: file, path: paths.unitNames) }
    }
    /// [C, H, W].
    public var stimulusShape: [Int] {
        let s = stimulusInfo.shape
        return [s.count == 4 ? s[1] : 1, s[s.count - 2], s[s.count - 1]]
    }
}
