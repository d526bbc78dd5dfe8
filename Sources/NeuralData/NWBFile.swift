// Read access to the parts of an NWB 2 file (Neurodata Without Borders: HDF5 with a schema) that
// the import uses, through libhdf5 alone: neurodata types and object ids (attributes), DynamicTable
// columns (plain and ragged, `col` + `col_index`), TimeSeries data and time, soft links and object
// references. Every read first checks that libhdf5 has the dataset's compression filters, so a file
// compressed with e.g. LZF or Blosc is reported as such instead of as a corrupt file.
import Foundation
import Tensors

public final class NWBFile {
    /// Path of the NWB file.
    public let file: String
    let h5: HDF5File

    /// Opens `file` read-only; it must be HDF5 with an `nwb_version` attribute at the root unless
    /// `requireNWB` is false (a plain HDF5 file holding templates).
    public init(_ file: String, requireNWB: Bool = true) throws {
        do { h5 = try HDF5File.open(file) } catch { throw DatasetError.from(error, file: file, path: "/") }
        self.file = file
        guard !requireNWB || h5.hasAttribute("nwb_version") else { throw NWBImportError.notNWB(file: file) }
    }

    public var nwbVersion: String? { try? h5.stringAttribute("nwb_version") }

    /// A scalar string dataset at the root (identifier, session_description, session_start_time).
    public func rootString(_ name: String) -> String? {
        guard h5.exists("/" + name), let s = try? h5.readStrings("/" + name) else { return nil }
        return s.first
    }

    public func exists(_ path: String) -> Bool { h5.exists(path) }
    public func isGroup(_ path: String) -> Bool { h5.isGroup(path) }
    public func children(_ path: String) -> [String] { h5.children(of: path) }

    /// The object's `neurodata_type` attribute (e.g. "Units", "TimeIntervals", "Images").
    public func neurodataType(_ path: String) -> String? { try? h5.stringAttribute("neurodata_type", at: path) }

    /// The object's `object_id` attribute (a UUID every NWB container carries).
    public func objectID(_ path: String) -> String? { try? h5.stringAttribute("object_id", at: path) }

    // MARK: checked reads

    /// Shape and type of a dataset, after checking that libhdf5 can decompress it.
    func info(_ path: String) throws -> HDF5DatasetInfo {
        let missing = try h5.unavailableFilters(path)
        if !missing.isEmpty { throw NWBImportError.unsupportedCompression(file: file, path: path, filters: missing) }
        return try h5.info(path)
    }

    func doubles(_ path: String, rows: Range<Int>? = nil) throws -> (shape: [Int], values: [Double]) {
        let i = try info(path)
        guard i.type.isNumeric else { throw DatasetError.unsupportedType(file: file, path: path, type: i.type.description, expected: "a numeric type") }
        return try h5.readDoubles(path, rows: rows)
    }

    func uint8s(_ path: String, rows: Range<Int>? = nil) throws -> (shape: [Int], values: [UInt8]) {
        _ = try info(path)
        return try h5.readUInt8(path, rows: rows)
    }

    func strings(_ path: String) throws -> [String] {
        _ = try info(path)
        return try h5.readStrings(path)
    }

    /// Doubles that must all be finite.
    func finiteDoubles(_ path: String) throws -> [Double] {
        let v = try doubles(path).values
        if let i = v.firstIndex(where: { !$0.isFinite }) { throw NWBImportError.nonFinite(file: file, path: path, position: i) }
        return v
    }

    // MARK: DynamicTable

    /// Names of a table's columns: its datasets other than `id` and the `…_index` datasets of
    /// ragged columns.
    public func columns(_ table: String) -> [String] {
        let kids = children(table)
        return kids.filter { k in
            k != "id" && !isGroup(table + "/" + k) && !(k.hasSuffix("_index") && kids.contains(String(k.dropLast(6))))
        }
    }

    /// Number of rows: the length of `id`.
    func rowCount(_ table: String) throws -> Int {
        guard exists(table + "/id") else { throw NWBImportError.missing(file: file, path: table + "/id", what: "'id' column (a DynamicTable needs one)") }
        let s = try info(table + "/id").shape
        guard s.count == 1 else { throw NWBImportError.badShape(file: file, path: table + "/id", shape: s, expected: "[rows]") }
        return s[0]
    }

    /// A plain column as numbers, or as strings when it holds text. Ragged columns are refused.
    func column(_ table: String, _ name: String) throws -> TableColumn {
        let path = table + "/" + name
        guard exists(path), !isGroup(path) else {
            throw NWBImportError.missingColumn(file: file, table: table, column: name, available: columns(table))
        }
        if exists(path + "_index") {
            throw NWBImportError.badFilter(file: file, path: path, filter: name, problem: "it is a ragged column (one list per row)")
        }
        let rows = try rowCount(table)
        let i = try info(path)
        guard i.shape.first == rows, i.shape.count == 1 else {
            throw NWBImportError.badShape(file: file, path: path, shape: i.shape, expected: "[\(rows)] (one value per row of \(table))")
        }
        if i.type == .string { return .strings(try strings(path)) }
        return .numbers(try doubles(path).values)
    }

    /// A ragged column (`name` with `name_index`): the values of row r are values[ends[r−1] ..< ends[r]].
    func raggedColumn(_ table: String, _ name: String) throws -> (values: [Double], ends: [Int]) {
        let path = table + "/" + name, indexPath = path + "_index"
        guard exists(path) else { throw NWBImportError.missingColumn(file: file, table: table, column: name, available: columns(table)) }
        guard exists(indexPath) else {
            throw NWBImportError.missing(file: file, path: indexPath, what: "index of the ragged column '\(name)'")
        }
        let rows = try rowCount(table)
        let idx = try doubles(indexPath)
        guard idx.shape.count == 1 else { throw NWBImportError.badShape(file: file, path: indexPath, shape: idx.shape, expected: "[\(rows)]") }
        if idx.values.count != rows {
            throw NWBImportError.badRaggedIndex(file: file, path: indexPath,
                                                problem: "has \(idx.values.count) entries but \(table) has \(rows) rows (the index is truncated or the table is)")
        }
        let values = try finiteDoubles(path)
        var ends: [Int] = []
        ends.reserveCapacity(rows)
        var previous = 0
        for (r, e) in idx.values.enumerated() {
            guard e >= Double(previous), e == e.rounded(), e <= Double(values.count) else {
                let problem = e > Double(values.count)
                    ? "entry \(r) ends at \(e < 9e15 ? String(Int(e)) : String(e)) but \(path) has only \(values.count) values (the data is truncated)"
                    : "entry \(r) is \(e), not a whole number at least \(previous) (an index must be ascending offsets)"
                throw NWBImportError.badRaggedIndex(file: file, path: indexPath, problem: problem)
            }
            previous = Int(e)
            ends.append(previous)
        }
        return (values, ends)
    }

    // MARK: TimeSeries

    /// Times (seconds) of the first `count` samples of a TimeSeries: `timestamps`, or
    /// `starting_time + i / rate` (the `rate` attribute of `starting_time`). Must ascend.
    func sampleTimes(_ series: String, count: Int) throws -> [Double] {
        let ts = series + "/timestamps", st = series + "/starting_time"
        var times: [Double]
        if exists(ts) {
            times = try finiteDoubles(ts)
            guard times.count >= count else {
                throw NWBImportError.badShape(file: file, path: ts, shape: [times.count], expected: "at least \(count) entries (one per sample of data)")
            }
            times = Array(times.prefix(count))
        } else if exists(st), let rate = try h5.doubleAttribute("rate", at: st) {
            let t0 = try finiteDoubles(st).first ?? 0
            guard rate > 0, rate.isFinite else { throw NWBImportError.badShape(file: file, path: st + "@rate", shape: [1], expected: "a positive rate") }
            // t_i = t0 + i / rate in float64 (the same expression pynwb's users write).
            times = (0..<count).map { t0 + Double($0) / rate }
        } else {
            throw NWBImportError.noTime(file: file, path: series)
        }
        for i in 1..<max(1, times.count) where times[i] < times[i - 1] {
            throw NWBImportError.unsortedTimes(file: file, path: exists(ts) ? ts : st, position: i)
        }
        return times
    }

    // MARK: finding things

    /// Groups below `root` (depth-first, up to `depth` levels) for which `accept` holds.
    func groups(under root: String, depth: Int, _ accept: (String) -> Bool) -> [String] {
        guard exists(root), isGroup(root) else { return [] }
        var found: [String] = []
        for k in children(root) {
            let p = root == "/" ? "/" + k : root + "/" + k
            guard isGroup(p) else { continue }
            if accept(p) { found.append(p) } else if depth > 1 { found += groups(under: p, depth: depth - 1, accept) }
        }
        return found
    }
}

/// One column of a DynamicTable.
enum TableColumn {
    case numbers([Double])
    case strings([String])

    var count: Int {
        switch self { case .numbers(let v): return v.count; case .strings(let v): return v.count }
    }
}
