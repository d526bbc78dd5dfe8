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
    /// [C, H, W].
    public var stimulusShape: [Int] {
        let s = stimulusInfo.shape
        return [s.count == 4 ? s[1] : 1, s[s.count - 2], s[s.count - 1]]
    }
}
