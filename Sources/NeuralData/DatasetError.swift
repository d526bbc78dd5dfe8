// Typed errors for everything a user's dataset file or flag can cause. Each message is one line:
// the file, the path inside it, and what is wrong (and, where there is one, what to do about it).
import Foundation
import Tensors

public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(file: String)
    case notHDF5(file: String)
    /// The file is shorter than its HDF5 superblock declares (an interrupted copy or download).
    case truncated(file: String, bytes: Int, declaredBytes: Int)
    case corrupt(file: String, reason: String)
    /// A required dataset is absent; `array` is the array whose path can be named instead (nil
    /// when the caller read a path of its own).
    case missingDataset(file: String, path: String, role: String, array: DatasetArray?)
    /// An optional array whose path the user named explicitly is not in the file (never silently
    /// treated as absent: a seeded split in place of a named one would score other stimuli).
    case namedPathMissing(file: String, path: String, array: DatasetArray)
    case notADataset(file: String, path: String)
    case wrongRank(file: String, path: String, shape: [Int], expected: String)
    case unsupportedType(file: String, path: String, type: String, expected: String)
    case shapeMismatch(file: String, path: String, problem: String)
    case indexOutOfRange(file: String, path: String, position: Int, value: Int, count: Int)
    case nonFinite(file: String, path: String, position: [Int], value: Float)
    case negativeResponse(file: String, path: String, trial: Int, unit: Int, value: Double)
    case nonIntegerCount(file: String, path: String, trial: Int, unit: Int, value: Double)
    case invalidSplitValue(file: String, path: String, position: Int, value: Int)
    case emptySplit(file: String, path: String, split: String, problem: String)
    case imageTooSmall(file: String, path: String, height: Int, width: Int, minimum: Int)
    case tooLarge(file: String, path: String, bytes: Int, availableBytes: Int)
    case invalidModality(file: String, value: String)
    case readFailed(file: String, path: String, reason: String)
    case invalidOption(option: DatasetParameter, problem: String)
    /// Responses with a row per trial, more trials than stimuli and no trial → stimulus index.
    case missingStimulusIndex(file: String, responses: String, trials: Int, stimuli: String, stimulusCount: Int, indexPath: String)
    /// A simulation whose arrays would not fit in memory.
    case simulationTooLarge(trials: Int, units: Int, stimuli: Int, imageSize: Int)

    public var description: String { Self.render(self).singleLine }

    private static func render(_ e: DatasetError) -> String {
        switch e {
        case .fileNotFound(let f):
            return "\(f): no such file"
        case .notHDF5(let f):
            return "\(f): not an HDF5 file (no HDF5 signature)"
        case .truncated(let f, let n, let d):
            return "\(f): truncated file: it has \(n) bytes but its HDF5 header declares \(d); copy or download it again"
        case .corrupt(let f, let r):
            return "\(f): corrupt HDF5 file (\(r))"
        case .missingDataset(let f, let p, let role, let array):
            return "\(f): \(p): no such dataset (the \(role) are required; name another path for the \(array?.description ?? role) array)"
        case .namedPathMissing(let f, let p, let a):
            return "\(f): \(p): no such dataset (the path of the \(a) array was named explicitly; the file has nothing there)"
        case .notADataset(let f, let p):
            return "\(f): \(p): is a group, not a dataset"
        case .wrongRank(let f, let p, let s, let e):
            return "\(f): \(p): has shape \(Self.shape(s)) (rank \(s.count)); expected \(e)"
        case .unsupportedType(let f, let p, let t, let e):
            return "\(f): \(p): unsupported element type \(t); expected \(e)"
        case .shapeMismatch(let f, let p, let problem):
            return "\(f): \(p): \(problem)"
        case .indexOutOfRange(let f, let p, let i, let v, let n):
            return "\(f): \(p): entry \(i) is \(v), outside the stimulus range 0..<\(n)"
        case .nonFinite(let f, let p, let pos, let v):
            return "\(f): \(p): non-finite value \(v) at \(Self.position(pos))"
        case .negativeResponse(let f, let p, let t, let u, let v):
            return "\(f): \(p): negative response \(v) at trial \(t), unit \(u); spike counts must be non-negative (signed responses need the fmri modality)"
        case .nonIntegerCount(let f, let p, let t, let u, let v):
            return "\(f): \(p): non-integer count \(v) at trial \(t), unit \(u); the Poisson model needs integer counts (non-integer responses need the quasi-likelihood)"
        case .invalidSplitValue(let f, let p, let i, let v):
            return "\(f): \(p): entry \(i) is \(v); split values must be 0 (train), 1 (validation) or 2 (test)"
        case .emptySplit(let f, let p, let s, let problem):
            return "\(f): \(p): no \(s) stimuli (\(problem))"
        case .imageTooSmall(let f, let p, let h, let w, let m):
            return "\(f): \(p): images are \(h)×\(w) pixels, smaller than the model's receptive field of \(m)×\(m)"
        case .tooLarge(let f, let p, let b, let a):
            return "\(f): \(p): reading it whole needs \(Self.bytes(b)), more than the \(Self.bytes(a)) of available memory"
        case .invalidModality(let f, let v):
            return "\(f): / (attribute 'modality'): is '\(v)'; expected 'spikes' or 'fmri' (the modality can be given instead)"
        case .readFailed(let f, let p, let r):
            return "\(f): \(p): could not be read (\(r)); the file may be truncated or corrupt"
        case .invalidOption(let o, let problem):
            return "\(o): \(problem)"
        case .missingStimulusIndex(let f, let r, let t, let s, let n, let i):
            return "\(f): \(r): has \(t) trials but \(s) has \(n) stimuli, and there is no \(i) to say which stimulus each trial showed"
        case .simulationTooLarge(let t, let u, let n, let s):
            return "the simulation (\(t) trials × \(u) units, \(n) stimuli of \(s)×\(s)) would not fit in memory; reduce the stimulus count, repeats or image size"
        }
    }

    static func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }

    static func position(_ p: [Int]) -> String {
        p.count == 1 ? "index \(p[0])" : "index " + shape(p)
    }

    static func bytes(_ b: Int) -> String {
        let gib = Double(b) / 1_073_741_824
        if gib >= 1 { return String(format: "%.1f GiB", gib) }
        return String(format: "%.1f MiB", Double(b) / 1_048_576)
    }

    /// Maps an error from the HDF5 layer to a dataset error naming the same file and path.
    static func from(_ error: Error, file: String, path: String) -> DatasetError {
        if let d = error as? DatasetError { return d }
        guard let h = error as? HDF5Error else { return .readFailed(file: file, path: path, reason: "\(error)") }
        switch h {
        case .fileNotFound(let f): return .fileNotFound(file: f)
        case .notHDF5(let f): return .notHDF5(file: f)
        case .cannotOpen(let f, let r): return .corrupt(file: f, reason: r)
        case .missingPath(let f, let p): return .missingDataset(file: f, path: p, role: "data", array: nil)
        case .notADataset(let f, let p): return .notADataset(file: f, path: p)
        case .unsupportedType(let f, let p, let t): return .unsupportedType(file: f, path: p, type: t, expected: "a numeric type")
        case .readFailed(let f, let p, let r): return .readFailed(file: f, path: p, reason: r)
        case .rowRange(let f, let p, let r, let n):
            return .readFailed(file: f, path: p, reason: "rows \(r.lowerBound)..<\(r.upperBound) requested of \(n)")
        case .cannotCreate(let f, let r), .writeFailed(let f, _, let r): return .readFailed(file: f, path: path, reason: r)
        }
    }
}
