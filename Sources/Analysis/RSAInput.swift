// RDMs stored in HDF5: `FILE:/path` names a dataset [n, K, K] (or one [K, K]) of any numeric type,
// with an optional JSON `names` attribute (a list of n strings) on the dataset. Everything is
// checked before an analysis starts: shape, type, K ≥ 3, finite values, symmetry, zero diagonal,
// the names.
import Foundation
import Tensors

/// A dataset inside an HDF5 file, written `FILE:/path` on the command line.
public struct RSASource: Equatable, Sendable, CustomStringConvertible {
    public let file: String
    public let path: String

    public init(file: String, path: String) {
        self.file = file
        self.path = path.hasPrefix("/") ? path : "/" + path
    }

    /// Parses `FILE:/path` (split at the last ":/"); `option` names the flag in messages.
    public init(parsing spec: String, option: String) throws {
        guard let r = spec.range(of: ":/", options: .backwards), r.lowerBound != spec.startIndex else {
            throw RSAError.badSource(option: option, value: spec)
        }
        let file = String(spec[..<r.lowerBound])
        let path = String(spec[spec.index(after: r.lowerBound)...])
        guard !file.isEmpty, path.count > 1 else { throw RSAError.badSource(option: option, value: spec) }
        self.init(file: file, path: path)
    }

    public var description: String { "\(file):\(path)" }
}

public enum RSAInput {
    /// Reads and validates the RDMs at `source`.
    public static func read(_ source: RSASource) throws -> RDMSet {
        let f = try HDF5File.open(source.file)
        return try read(source, file: f)
    }

    /// Reads and validates the RDMs at `source.path` of an open file.
    public static func read(_ source: RSASource, file f: HDF5File) throws -> RDMSet {
        let label = source.description
        guard f.exists(source.path) else { throw HDF5Error.missingPath(file: source.file, path: source.path) }
        let info = try f.info(source.path)
        guard info.type.isNumeric else { throw RSAError.notNumeric(source: label, type: info.type.description) }
        let shape = info.shape
        let (n, k): (Int, Int)
        switch shape.count {
        case 2 where shape[0] == shape[1]: (n, k) = (1, shape[0])
        case 3 where shape[1] == shape[2]: (n, k) = (shape[0], shape[1])
        default: throw RSAError.wrongShape(source: label, shape: shape)
        }
        if n == 0 { throw RSAError.emptySet(source: label) }
        if k < 3 { throw RSAError.tooFewConditions(source: label, conditions: k) }
        if let avail = availableMemoryBytes(), info.count * 8 * 3 > avail {
            throw RSAError.invalidPatterns(source: label, reason: "\(info.count) values need more memory than is available (\(avail / (1 << 20)) MiB)")
        }
        let names = try readNames(f, source: source, count: n)
        let values = try f.readDoubles(source.path).values
        return try RDMSet(squareMatrices: values, count: n, conditions: k, names: names, source: label)
    }

    /// The `names` attribute: a JSON list of n strings; absent → "<dataset name> 0", "… 1", ….
    static func readNames(_ f: HDF5File, source: RSASource, count n: Int) throws -> [String] {
        let label = source.description
        let attr: String?
        do { attr = try f.stringAttribute("names", at: source.path) } catch {
            throw RSAError.badNames(source: label, reason: "cannot be read as a string (\(error))")
        }
        guard let text = attr else {
            let base = source.path.split(separator: "/").last.map(String.init) ?? "rdm"
            return n == 1 ? [base] : (0..<n).map { "\(base) \($0)" }
        }
        guard let data = text.data(using: .utf8), let json = try? JSONSerialization.jsonObject(with: data),
              let list = json as? [Any] else {
            throw RSAError.badNames(source: label, reason: "is not a JSON list (\(text.prefix(60)))")
        }
        guard let names = list as? [String] else { throw RSAError.badNames(source: label, reason: "must list strings only") }
        guard names.count == n else { throw RSAError.badNames(source: label, reason: "lists \(names.count) names for \(n) RDMs") }
        return names
    }
}
