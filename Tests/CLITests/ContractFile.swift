// Builds small dataset files for tests: a valid contract file whose parts can each be replaced or
// left out, so every validation error has its own minimal file.
import Foundation
import Tensors

/// A typed array to write.
enum Column {
    case uint8([UInt8], [Int])
    case int32([Int32], [Int])
    case int64([Int], [Int])
    case float32([Float], [Int])
    case float64([Double], [Int])
    case strings([String])
    /// A dataset created without data (lazily allocated chunks): declares any size, costs nothing.
    case declared(HDF5ElementType, [Int])

    func write(_ f: HDF5File, _ path: String) throws {
        switch self {
        case .uint8(let v, let s): try f.write(path, uint8s: v, shape: s)
        case .int32(let v, let s): try f.write(path, int32s: v, shape: s)
        case .int64(let v, let s): try f.write(path, int64s: v, shape: s)
        case .float32(let v, let s): try f.write(path, floats: v, shape: s)
        case .float64(let v, let s): try f.write(path, doubles: v, shape: s)
        case .strings(let v): try f.write(path, strings: v)
        case .declared(let t, let s): try f.createDataset(path, type: t, shape: s, chunkRows: 1)
        }
    }
}

struct ContractFile {
    static let n = 10, t = 20, u = 3, side = 8

    var stimuli: Column? = .uint8((0..<(n * side * side)).map { UInt8($0 % 251) }, [n, side, side])
    var responses: Column? = .int32((0..<(t * u)).map { Int32($0 % 5) }, [t, u])
    var stimulusIndex: Column? = .int64((0..<t).map { $0 % n }, [t])
    var split: Column? = .uint8([0, 0, 0, 0, 0, 0, 1, 1, 2, 2], [n])
    var masks: Column? = nil
    var unitNames: Column? = .strings(["a", "b", "c"])
    var modality: String? = "spikes"
    var extra: [(String, Column)] = []

    func write(to path: String) throws {
        let f = try HDF5File.create(path)
        defer { f.close() }
        if let c = stimuli { try c.write(f, "/stimuli") }
        if let c = responses { try c.write(f, "/responses") }
        if let c = stimulusIndex { try c.write(f, "/stimulus_index") }
        if let c = split { try c.write(f, "/split") }
        if let c = masks { try c.write(f, "/masks") }
        if let c = unitNames { try c.write(f, "/unit_names") }
        for (p, c) in extra { try c.write(f, p) }
        if let m = modality { try f.setAttribute("modality", string: m) }
    }
}
