// Typed errors of the NWB import. Each message is one line: the NWB file, the path inside it and
// what is wrong (and, where there is a choice to make, the candidates and the option that makes it).
import Foundation
import Tensors

public enum NWBImportError: Error, CustomStringConvertible, Equatable {
    /// The file is HDF5 but not NWB (no `nwb_version` attribute at the root).
    case notNWB(file: String)
    /// Something the import needs is absent at `path`; `alternative` is the setting that would
    /// make the import look elsewhere (e.g. a time series instead of a units table).
    case missing(file: String, path: String, what: String, alternative: DatasetParameter? = nil)
    /// None of a kind of object was found (e.g. no presentation table under /intervals).
    case noneFound(file: String, what: String, looked: String)
    /// Several candidates and no choice made: `option` is the setting that makes the choice.
    case ambiguous(file: String, what: String, candidates: [String], option: DatasetParameter)
    case missingColumn(file: String, table: String, column: String, available: [String])
    /// A ragged column's index (`…_index`) disagrees with the table or with its data.
    case badRaggedIndex(file: String, path: String, problem: String)
    case badShape(file: String, path: String, shape: [Int], expected: String)
    case indexBeyondTemplates(file: String, path: String, row: Int, value: Int, templateCount: Int, templates: String)
    case invalidStimulusIndex(file: String, path: String, row: Int, value: Double)
    case noTime(file: String, path: String)
    case unsortedTimes(file: String, path: String, position: Int)
    case nonFinite(file: String, path: String, position: Int)
    case externalImages(file: String, path: String, externalFiles: [String])
    case unorderedImages(file: String, path: String, count: Int)
    case unsupportedCompression(file: String, path: String, filters: [String])
    case emptyWindow(file: String, path: String, presentation: Int, onset: Double, window: ResponseWindow)
    case noPresentations(file: String, path: String)
    case tooFewStimuli(file: String, path: String, count: Int)
    case noUnitsLeft(file: String, path: String, filters: String, unitCount: Int)
    case badFilter(file: String, path: String, filter: String, problem: String)
    case invalidOption(option: DatasetParameter, problem: String)

    public var description: String {
        switch self {
        case .notNWB(let f):
            return "\(f): not an NWB file (HDF5, but no 'nwb_version' attribute at /)"
        case .missing(let f, let p, let what, let alternative):
            return "\(f): \(p): no \(what)" + (alternative.map { " (set the \($0) for another source)" } ?? "")
        case .noneFound(let f, let what, let looked):
            return "\(f): no \(what) (looked in \(looked))"
        case .ambiguous(let f, let what, let c, let o):
            return "\(f): several \(what): \(c.joined(separator: ", ")); name one as the \(o)"
        case .missingColumn(let f, let t, let c, let a):
            return "\(f): \(t): no column '\(c)' (columns: \(a.joined(separator: ", ")))"
        case .badRaggedIndex(let f, let p, let problem):
            return "\(f): \(p): \(problem)"
        case .badShape(let f, let p, let s, let e):
            return "\(f): \(p): has shape [\(s.map(String.init).joined(separator: ", "))]; expected \(e)"
        case .indexBeyondTemplates(let f, let p, let r, let v, let n, let t):
            return "\(f): \(p): row \(r) shows template \(v), but \(t) has \(n) templates (0..<\(n))"
        case .invalidStimulusIndex(let f, let p, let r, let v):
            return "\(f): \(p): row \(r) is \(v); a template index must be a whole number ≥ 0 (−1 marks a blank)"
        case .noTime(let f, let p):
            return "\(f): \(p): a time series with no time (neither 'timestamps' nor 'starting_time' with a 'rate')"
        case .unsortedTimes(let f, let p, let i):
            return "\(f): \(p): times are not ascending (entry \(i) is earlier than entry \(i - 1))"
        case .nonFinite(let f, let p, let i):
            return "\(f): \(p): non-finite value at entry \(i)"
        case .externalImages(let f, let p, let files):
            return "\(f): \(p): the images are external files (\(files.joined(separator: ", "))), which the import does not read; store them in the NWB file"
        case .unorderedImages(let f, let p, let n):
            return "\(f): \(p): Images with \(n) images but no 'order_of_images', so a template index cannot be matched to an image"
        case .unsupportedCompression(let f, let p, let filters):
            return "\(f): \(p): compressed with \(filters.joined(separator: ", ")), which this libhdf5 lacks; rewrite the file uncompressed or with gzip (e.g. h5repack -f GZIP=4 with the filter plugin on HDF5_PLUGIN_PATH)"
        case .emptyWindow(let f, let p, let i, let t, let w):
            return "\(f): \(p): no samples in the window \(w) after presentation \(i) (onset \(t) s); widen the window"
        case .noPresentations(let f, let p):
            return "\(f): \(p): no presentations left once blanks (−1) are dropped"
        case .tooFewStimuli(let f, let p, let n):
            return "\(f): \(p): shows \(n) distinct image\(n == 1 ? "" : "s"); a dataset needs at least 2 (train and test)"
        case .noUnitsLeft(let f, let p, let filters, let n):
            return "\(f): \(p): none of the \(n) units passes \(filters)"
        case .badFilter(let f, let p, let filter, let problem):
            return "\(f): \(p): cannot apply '\(filter)': \(problem)"
        case .invalidOption(let o, let problem):
            return "\(o): \(problem)"
        }
    }
}
