// HDF5 access: open read-only or create, read/write n-d arrays of the common dtypes with row-range
// (hyperslab) reads, string and numeric attributes, groups. Every failure becomes an `HDF5Error`
// naming the file and the path inside it; HDF5's own error printing is silenced once at start-up.
import CHDF5
import CKernels
import Foundation

public enum HDF5Error: Error, CustomStringConvertible, Equatable {
    case fileNotFound(file: String)
    case notHDF5(file: String)
    case cannotOpen(file: String, reason: String)
    case cannotCreate(file: String, reason: String)
    case missingPath(file: String, path: String)
    case notADataset(file: String, path: String)
    case unsupportedType(file: String, path: String, type: String)
    case readFailed(file: String, path: String, reason: String)
    case writeFailed(file: String, path: String, reason: String)
    case rowRange(file: String, path: String, range: Range<Int>, rows: Int)

    public var description: String { Self.render(self).singleLine }

    private static func render(_ e: HDF5Error) -> String {
        switch e {
        case .fileNotFound(let f): return "\(f): no such file"
        case .notHDF5(let f): return "\(f): not an HDF5 file (no HDF5 signature)"
        case .cannotOpen(let f, let r): return "\(f): cannot open as HDF5 (\(r)); the file may be truncated or corrupt"
        case .cannotCreate(let f, let r): return "\(f): cannot create (\(r))"
        case .missingPath(let f, let p): return "\(f): no dataset or group at '\(p)'"
        case .notADataset(let f, let p): return "\(f): '\(p)' is not a dataset"
        case .unsupportedType(let f, let p, let t): return "\(f): '\(p)' has unsupported type \(t)"
        case .readFailed(let f, let p, let r): return "\(f): reading '\(p)' failed (\(r)); the file may be truncated or corrupt"
        case .writeFailed(let f, let p, let r): return "\(f): writing '\(p)' failed (\(r))"
        case .rowRange(let f, let p, let r, let n): return "\(f): rows \(r.lowerBound)..<\(r.upperBound) requested from '\(p)' which has \(n) rows"
        }
    }
}

extension String {
    /// The text with control characters (newlines included) replaced by U+FFFD, so that a name
    /// read from a damaged file cannot break a one-line message.
    public var singleLine: String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\u{FFFD}" : $0 }))
    }
}

/// Element type of a dataset as stored in the file.
public enum HDF5ElementType: Equatable, CustomStringConvertible, Sendable {
    case uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64
    case string
    case other(String)

    public var isNumeric: Bool {
        switch self { case .string, .other: return false; default: return true }
    }
    public var isInteger: Bool {
        switch self { case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: return true; default: return false }
    }
    public var isFloat: Bool { self == .float32 || self == .float64 }
    public var byteSize: Int {
        switch self {
        case .uint8, .int8: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        default: return 8
        }
    }
    public var description: String {
        switch self {
        case .uint8: return "uint8"; case .int8: return "int8"; case .uint16: return "uint16"; case .int16: return "int16"
        case .uint32: return "uint32"; case .int32: return "int32"; case .uint64: return "uint64"; case .int64: return "int64"
        case .float32: return "float32"; case .float64: return "float64"; case .string: return "string"
        case .other(let s): return s
        }
    }
}

public struct HDF5DatasetInfo: Equatable, Sendable {
    public let shape: [Int]
    public let type: HDF5ElementType
    public var count: Int { shape.product }
    public var byteCount: Int { count * type.byteSize }
    public init(shape: [Int], type: HDF5ElementType) { self.shape = shape; self.type = type }
}

private let hdf5Initialised: Bool = {
    // No clean-up at process exit: every file we write is closed explicitly (and checked), and
    // HDF5 1.10's exit handler crashes when it retries a file whose close failed (a full disk).
    _ = H5dont_atexit()
    // A fault inside libhdf5 on a damaged file ends the process with one line naming the file
    // (CKernels/faultguard.c) instead of a signal.
    rcp_fault_guard_install()
    _ = rcp_h5_init()
    rcp_h5_silence_errors()
    return true
}()

/// The file named by the fault guard's message (see `rcp_fault_guard_install`).
nonisolated(unsafe) private var faultGuardOwner: ObjectIdentifier?

private func setFaultGuard(_ path: String) {
    rcp_fault_guard_set_message("Error: \(path): corrupt HDF5 file (the HDF5 library faulted reading its structure; the file is damaged)\n")
}

public final class HDF5File {
    public let path: String

    /// Names this file in the fault guard's message before a call into HDF5 that reads it.
    private func guardReads() {
        let me = ObjectIdentifier(self)
        if faultGuardOwner != me { faultGuardOwner = me; setFaultGuard(path) }
    }
    public let readOnly: Bool
    private var id: hid_t

    private init(path: String, id: hid_t, readOnly: Bool) {
        self.path = path; self.id = id; self.readOnly = readOnly
    }

    deinit { close() }

    /// Opens an existing file. Read-only unless `writable`.
    public static func open(_ path: String, writable: Bool = false) throws -> HDF5File {
        _ = hdf5Initialised
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw HDF5Error.fileNotFound(file: path) }
        if isDir.boolValue { throw HDF5Error.cannotOpen(file: path, reason: "it is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw HDF5Error.cannotOpen(file: path, reason: "permission denied") }
        faultGuardOwner = nil
        setFaultGuard(path)
        let sig = H5Fis_hdf5(path)
        if sig <= 0 { throw HDF5Error.notHDF5(file: path) }
        let fid = H5Fopen(path, writable ? rcp_h5f_acc_rdwr() : rcp_h5f_acc_rdonly(), rcp_h5p_default())
        if fid < 0 { throw HDF5Error.cannotOpen(file: path, reason: "the HDF5 library could not read its structure") }
        return HDF5File(path: path, id: fid, readOnly: !writable)
    }

    /// Creates (truncating) a file.
    public static func create(_ path: String) throws -> HDF5File {
        _ = hdf5Initialised
        let fid = H5Fcreate(path, rcp_h5f_acc_trunc(), rcp_h5p_default(), rcp_h5p_default())
        if fid < 0 {
            let detail = systemErrorDetail()
            throw HDF5Error.cannotCreate(file: path, reason: detail.isEmpty ? "check that the folder exists and is writable" : String(detail.dropFirst(2).dropLast()))
        }
        return HDF5File(path: path, id: fid, readOnly: false)
    }

    /// Writes a file atomically (`AtomicOutput`): `body` fills a temporary file next to `path`,
    /// which is closed (every HDF5 flush checked), fsynced and moved over `path`. Without
    /// `overwrite`, an existing `path` is an error, and so is one that another process creates
    /// meanwhile (both an `AtomicOutputError`). On any error (a full disk included) the temporary
    /// file is removed and `path` is untouched.
    public static func writeAtomically(to path: String, overwrite: Bool, _ body: (HDF5File) throws -> Void) throws {
        do {
            try AtomicOutput.write(to: path, overwrite: overwrite) { tmp in
                let f = try create(tmp)
                do { try body(f) } catch { f.close(); throw error }
                try f.closeChecked()
            }
        } catch HDF5Error.cannotCreate(_, let reason) {
            throw HDF5Error.cannotCreate(file: path, reason: reason)
        } catch HDF5Error.writeFailed(_, let inner, let reason) {
            throw HDF5Error.writeFailed(file: path, path: inner, reason: reason)
        }
    }

    /// Closes the file and reports a failed flush or close (a full disk shows up here when HDF5
    /// held the last blocks in its caches).
    public func closeChecked() throws {
        guard id >= 0 else { return }
        let flushed = H5Fflush(id, H5F_SCOPE_GLOBAL)
        let detail = flushed < 0 ? HDF5File.systemErrorDetail() : ""
        let closed = H5Fclose(id)
        let closeDetail = closed < 0 ? HDF5File.systemErrorDetail() : ""
        id = -1
        if flushed < 0 || closed < 0 {
            let why = detail.isEmpty ? closeDetail : detail
            throw HDF5Error.cannotCreate(file: path, reason: "could not write it to disk" + (why.isEmpty ? "" : ": " + why.dropFirst(2).dropLast()))
        }
    }

    /// The operating system's message behind the latest HDF5 failure (e.g. " (No space left on
    /// device)"), or "" when HDF5's error stack names none.
    static func systemErrorDetail() -> String {
        final class Box { var message = "" }
        let box = Box()
        let ptr = Unmanaged.passUnretained(box).toOpaque()
        H5Ewalk2(hid_t(0), H5E_WALK_DOWNWARD, { _, e, data in
            guard let e, let d = e.pointee.desc, let data else { return 0 }
            let text = String(cString: d)
            if let r = text.range(of: "error message = '") {
                let rest = text[r.upperBound...]
                let msg = rest.prefix { $0 != "'" }
                Unmanaged<Box>.fromOpaque(data).takeUnretainedValue().message = String(msg)
                return 1
            }
            return 0
        }, ptr)
        return box.message.isEmpty ? "" : " (\(box.message))"
    }

    public func close() {
        if id >= 0 { H5Fflush(id, H5F_SCOPE_GLOBAL); H5Fclose(id); id = -1 }
    }

    // MARK: structure

    /// True when a link exists at `path` (each intermediate group is checked, as HDF5 requires).
    public func exists(_ path: String) -> Bool {
        guardReads()
        let parts = path.split(separator: "/")
        var prefix = ""
        for p in parts {
            prefix += "/" + p
            if H5Lexists(id, prefix, rcp_h5p_default()) <= 0 { return false }
        }
        return true
    }

    public func isGroup(_ path: String) -> Bool {
        guard exists(path) else { return path == "/" }
        var info = H5O_info_t()
        guard H5Oget_info_by_name1(id, path, &info, rcp_h5p_default()) >= 0 else { return false }
        return info.type == H5O_TYPE_GROUP
    }

    /// Names of the direct children of a group.
    public func children(of group: String = "/") -> [String] {
        guardReads()
        guard group == "/" || exists(group) else { return [] }
        let gid = H5Gopen2(id, group, rcp_h5p_default())
        guard gid >= 0 else { return [] }
        defer { H5Gclose(gid) }
        var info = H5G_info_t()
        guard H5Gget_info(gid, &info) >= 0 else { return [] }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let n = H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, rcp_h5p_default())
            guard n >= 0 else { continue }
            var buf = [CChar](repeating: 0, count: Int(n) + 1)
            H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, Int(n) + 1, rcp_h5p_default())
            names.append(String(cString: buf))
        }
        return names
    }

    /// Creates a group and any missing parents.
    /// Groups and datasets are written without modification times, so the same content gives the
    /// same bytes (reproducible files).
    public func createGroup(_ path: String) throws {
        if exists(path) { return }
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if exists(prefix) { continue }
            let gcpl = H5Pcreate(H5P_CLS_GROUP_CREATE_ID_g)
            H5Pset_obj_track_times(gcpl, false)
            defer { H5Pclose(gcpl) }
            let gid = H5Gcreate2(id, prefix, rcp_h5p_default(), gcpl, rcp_h5p_default())
            if gid < 0 { throw HDF5Error.writeFailed(file: self.path, path: path, reason: "cannot create group") }
            H5Gclose(gid)
        }
    }

    // MARK: dataset metadata

    private func openDataset(_ path: String) throws -> hid_t {
        guardReads()
        guard exists(path) else { throw HDF5Error.missingPath(file: self.path, path: path) }
        let d = H5Dopen2(id, path, rcp_h5p_default())
        if d < 0 { throw HDF5Error.notADataset(file: self.path, path: path) }
        return d
    }

    private static func elementType(_ t: hid_t) -> HDF5ElementType {
        let cls = H5Tget_class(t)
        let size = H5Tget_size(t)
        switch cls {
        case H5T_INTEGER:
            // Only whole-width integers: HDF5 1.10's conversion of an integer whose declared
            // precision exceeds its size (a corrupt header) overruns its stack.
            let precision = H5Tget_precision(t), offset = H5Tget_offset(t)
            guard offset == 0, precision == 8 * size, size > 0 else {
                return .other("integer of \(precision) bits at bit \(offset) of \(size) bytes")
            }
            let signed = H5Tget_sign(t) == H5T_SGN_2
            switch size {
            case 1: return signed ? .int8 : .uint8
            case 2: return signed ? .int16 : .uint16
            case 4: return signed ? .int32 : .uint32
            case 8: return signed ? .int64 : .uint64
            default: return .other("integer of \(size) bytes")
            }
        case H5T_FLOAT:
            // Only IEEE binary32/binary64 layouts (sign, exponent, mantissa where IEEE puts them).
            var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
            H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize)
            let precision = H5Tget_precision(t), offset = H5Tget_offset(t), bias = H5Tget_ebias(t)
            if size == 4, precision == 32, offset == 0, spos == 31, epos == 23, esize == 8, mpos == 0, msize == 23, bias == 127 { return .float32 }
            if size == 8, precision == 64, offset == 0, spos == 63, epos == 52, esize == 11, mpos == 0, msize == 52, bias == 1023 { return .float64 }
            return .other("float of \(size) bytes that is not IEEE binary32/binary64")
        case H5T_STRING: return .string
        case H5T_COMPOUND: return .other("compound")
        case H5T_ENUM: return .other("enum")
        case H5T_ARRAY: return .other("array")
        case H5T_VLEN: return .other("variable-length sequence")
        case H5T_OPAQUE: return .other("opaque")
        case H5T_REFERENCE: return .other("reference")
        case H5T_BITFIELD: return .other("bitfield")
        default: return .other("unknown")
        }
    }

    private static func shape(ofSpace s: hid_t) -> [Int] {
        let r = Int(H5Sget_simple_extent_ndims(s))
        guard r > 0 else { return [] }
        var dims = [hsize_t](repeating: 0, count: r)
        H5Sget_simple_extent_dims(s, &dims, nil)
        return dims.map { Int($0) }
    }

    public func info(_ path: String) throws -> HDF5DatasetInfo {
        let d = try openDataset(path)
        defer { H5Dclose(d) }
        let t = H5Dget_type(d); defer { H5Tclose(t) }
        let s = H5Dget_space(d); defer { H5Sclose(s) }
        return HDF5DatasetInfo(shape: HDF5File.shape(ofSpace: s), type: HDF5File.elementType(t))
    }

    // MARK: numeric reads

    /// Opens a numeric dataset and reads, converted to `memType`, the box `select` picks from its
    /// shape (start and count per axis; nil: all of it). The one open / type check / hyperslab / read
    /// path of the row-range and box reads.
    private func readSelection<T>(_ path: String, memType: hid_t, zero: T,
                                  select: ([Int]) throws -> (start: [Int], count: [Int])?) throws -> (shape: [Int], values: [T]) {
        let d = try openDataset(path)
        defer { H5Dclose(d) }
        let t = H5Dget_type(d); defer { H5Tclose(t) }
        let et = HDF5File.elementType(t)
        guard et.isNumeric else { throw HDF5Error.unsupportedType(file: self.path, path: path, type: et.description) }
        let fs = H5Dget_space(d); defer { H5Sclose(fs) }
        let shape = HDF5File.shape(ofSpace: fs)
        guard let box = try select(shape) else {
            var values = [T](repeating: zero, count: shape.product)
            if values.isEmpty { return (shape, values) }
            let st = values.withUnsafeMutableBytes { H5Dread(d, memType, rcp_h5s_all(), rcp_h5s_all(), rcp_h5p_default(), $0.baseAddress) }
            if st < 0 { throw HDF5Error.readFailed(file: self.path, path: path, reason: "data could not be read") }
            return (shape, values)
        }
        let n = box.count.reduce(1, *)
        if n == 0 { return (box.count, []) }
        let st = box.start.map { hsize_t($0) }, cn = box.count.map { hsize_t($0) }
        guard H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, nil, cn, nil) >= 0 else {
            throw HDF5Error.readFailed(file: self.path, path: path, reason: "cannot select box \(box.start) + \(box.count)")
        }
        let ms = H5Screate_simple(Int32(box.count.count), cn, nil); defer { H5Sclose(ms) }
        var values = [T](repeating: zero, count: n)
        let r = values.withUnsafeMutableBytes { H5Dread(d, memType, ms, fs, rcp_h5p_default(), $0.baseAddress) }
        if r < 0 { throw HDF5Error.readFailed(file: self.path, path: path, reason: "data could not be read") }
        return (box.count, values)
    }

    private func readNumeric<T>(_ path: String, rows: Range<Int>?, memType: hid_t, zero: T) throws -> (shape: [Int], values: [T]) {
        try readSelection(path, memType: memType, zero: zero) { shape in
            guard let rows else { return nil }
            guard !shape.isEmpty, rows.lowerBound >= 0, rows.upperBound <= shape[0] else {
                throw HDF5Error.rowRange(file: self.path, path: path, range: rows, rows: shape.first ?? 0)
            }
            return ([rows.lowerBound] + Array(repeating: 0, count: shape.count - 1), [rows.count] + shape.dropFirst())
        }
    }

    /// Reads a numeric dataset (any integer or float type), converted to Float32. `rows` selects a
    /// range of the first axis (hyperslab) without reading the rest.
    public func readFloats(_ path: String, rows: Range<Int>? = nil) throws -> (shape: [Int], values: [Float]) {
        try readNumeric(path, rows: rows, memType: rcp_h5t_native_float(), zero: Float(0))
    }

    public func readDoubles(_ path: String, rows: Range<Int>? = nil) throws -> (shape: [Int], values: [Double]) {
        try readNumeric(path, rows: rows, memType: rcp_h5t_native_double(), zero: Double(0))
    }

    /// Reads an integer dataset as Int64 (float datasets are refused: an index must be an integer type).
    public func readInts(_ path: String, rows: Range<Int>? = nil) throws -> (shape: [Int], values: [Int]) {
        let i = try info(path)
        guard i.type.isInteger else { throw HDF5Error.unsupportedType(file: self.path, path: path, type: "\(i.type) (an integer type is required)") }
        let r = try readNumeric(path, rows: rows, memType: rcp_h5t_native_int64(), zero: Int64(0))
        return (r.shape, r.values.map { Int($0) })
    }

    public func readUInt8(_ path: String, rows: Range<Int>? = nil) throws -> (shape: [Int], values: [UInt8]) {
        try readNumeric(path, rows: rows, memType: rcp_h5t_native_uint8(), zero: UInt8(0))
    }

    /// Reads the box `start ..< start + count` (one entry per axis) of a numeric dataset as
    /// Float32, without touching the rest: how a bounded sample of a huge array is taken.
    public func readFloats(_ path: String, start: [Int], count: [Int]) throws -> [Float] {
        try readBox(path, start: start, count: count, memType: rcp_h5t_native_float(), zero: Float(0))
    }

    /// Like `readFloats(_:start:count:)`, in double precision (integers up to 2⁵³ exact).
    public func readDoubles(_ path: String, start: [Int], count: [Int]) throws -> [Double] {
        try readBox(path, start: start, count: count, memType: rcp_h5t_native_double(), zero: Double(0))
    }

    private func readBox<T>(_ path: String, start: [Int], count: [Int], memType: hid_t, zero: T) throws -> [T] {
        try readSelection(path, memType: memType, zero: zero) { shape in
            guard start.count == shape.count, count.count == shape.count,
                  zip(zip(start, count), shape).allSatisfy({ $0.0 >= 0 && $0.1 >= 0 && $0.0 + $0.1 <= $1 }) else {
                throw HDF5Error.readFailed(file: self.path, path: path, reason: "box \(start) + \(count) is outside shape \(shape)")
            }
            return (start, count)
        }.values
    }

    /// Chunk shape of a chunked dataset; nil for contiguous or compact storage.
    public func chunkShape(_ path: String) throws -> [Int]? {
        let d = try openDataset(path)
        defer { H5Dclose(d) }
        let p = H5Dget_create_plist(d); defer { H5Pclose(p) }
        guard H5Pget_layout(p) == H5D_CHUNKED else { return nil }
        var dims = [hsize_t](repeating: 0, count: 32)
        let r = H5Pget_chunk(p, 32, &dims)
        guard r > 0 else { return nil }
        return dims.prefix(Int(r)).map { Int($0) }
    }

    public func readTensor(_ path: String, rows: Range<Int>? = nil) throws -> Tensor {
        let r = try readFloats(path, rows: rows)
        return Tensor(shape: r.shape, data: r.values)
    }

    // MARK: strings

    /// Reads a 1-d (or scalar) string dataset, fixed or variable length.
    public func readStrings(_ path: String) throws -> [String] {
        let d = try openDataset(path)
        defer { H5Dclose(d) }
        let t = H5Dget_type(d); defer { H5Tclose(t) }
        guard H5Tget_class(t) == H5T_STRING else {
            throw HDF5Error.unsupportedType(file: self.path, path: path, type: "\(HDF5File.elementType(t)) (strings expected)")
        }
        let s = H5Dget_space(d); defer { H5Sclose(s) }
        let n = max(1, HDF5File.shape(ofSpace: s).product)
        return try readStringData(t, count: n, path: path) { mt, buf in H5Dread(d, mt, rcp_h5s_all(), rcp_h5s_all(), rcp_h5p_default(), buf) }
    }

    private func readStringData(_ t: hid_t, count n: Int, path: String, read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
        // Variable-length strings live in the global heap, which HDF5 1.10 can loop on forever
        // when it is damaged: a watchdog ends the process with the guard's one-line message.
        rcp_fault_guard_watch(20)
        defer { rcp_fault_guard_unwatch() }
        if H5Tis_variable_str(t) > 0 {
            let mt = H5Tcopy(rcp_h5t_c_s1()); defer { H5Tclose(mt) }
            H5Tset_size(mt, rcp_h5t_variable())
            H5Tset_cset(mt, H5Tget_cset(t))
            var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            let st = ptrs.withUnsafeMutableBytes { read(mt, $0.baseAddress!) }
            if st < 0 { throw HDF5Error.readFailed(file: self.path, path: path, reason: "strings could not be read") }
            defer { for p in ptrs { free(p) } }
            return ptrs.map { $0.map { String(cString: $0) } ?? "" }
        } else {
            let size = H5Tget_size(t)
            let mt = H5Tcopy(t); defer { H5Tclose(mt) }
            var buf = [CChar](repeating: 0, count: n * size + 1)
            let st = buf.withUnsafeMutableBytes { read(mt, $0.baseAddress!) }
            if st < 0 { throw HDF5Error.readFailed(file: self.path, path: path, reason: "strings could not be read") }
            return (0..<n).map { i in
                let bytes = buf[(i * size)..<((i + 1) * size)].prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
                return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            }
        }
    }

    // MARK: writes

    private func writeNumeric(_ path: String, shape: [Int], memType: hid_t, bytes: UnsafeRawPointer, compress: Bool = false) throws {
        precondition(!readOnly, "write to a read-only file")
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try createGroup(String(path[..<slash]))
        }
        if exists(path) { H5Ldelete(id, path, rcp_h5p_default()) }
        let dims = shape.map { hsize_t($0) }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), dims, nil)
        defer { H5Sclose(space) }
        let dcpl = H5Pcreate(rcp_h5p_dataset_create())
        defer { H5Pclose(dcpl) }
        H5Pset_obj_track_times(dcpl, false)
        if compress, shape.count >= 1, shape.product > 4096 {
            var chunk = dims
            chunk[0] = 1
            H5Pset_chunk(dcpl, Int32(shape.count), chunk)
            H5Pset_deflate(dcpl, 4)
        }
        let d = H5Dcreate2(id, path, memType, space, rcp_h5p_default(), dcpl, rcp_h5p_default())
        if d < 0 { throw HDF5Error.writeFailed(file: self.path, path: path, reason: "cannot create dataset" + HDF5File.systemErrorDetail()) }
        defer { H5Dclose(d) }
        if shape.product > 0 && H5Dwrite(d, memType, rcp_h5s_all(), rcp_h5s_all(), rcp_h5p_default(), bytes) < 0 {
            throw HDF5Error.writeFailed(file: self.path, path: path, reason: "cannot write data" + HDF5File.systemErrorDetail())
        }
    }

    /// Creates a dataset of `type` and `shape` without writing data (contiguous storage, or chunks
    /// of `chunkRows` rows of the first axis); fill it in row ranges with `writeRows`. This is how a
    /// file larger than memory is written.
    public func createDataset(_ path: String, type: HDF5ElementType, shape: [Int], chunkRows: Int? = nil) throws {
        precondition(!readOnly, "write to a read-only file")
        let memType: hid_t
        switch type {
        case .uint8: memType = rcp_h5t_native_uint8()
        case .int32: memType = rcp_h5t_native_int32()
        case .int64: memType = rcp_h5t_native_int64()
        case .float32: memType = rcp_h5t_native_float()
        case .float64: memType = rcp_h5t_native_double()
        default: throw HDF5Error.writeFailed(file: self.path, path: path, reason: "creating \(type) datasets is not supported")
        }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex { try createGroup(String(path[..<slash])) }
        if exists(path) { H5Ldelete(id, path, rcp_h5p_default()) }
        let dims = shape.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(shape.count), dims, nil)
        defer { H5Sclose(space) }
        let dcpl = H5Pcreate(rcp_h5p_dataset_create())
        defer { H5Pclose(dcpl) }
        H5Pset_obj_track_times(dcpl, false)
        if let rows = chunkRows, !shape.isEmpty {
            var chunk = dims
            chunk[0] = hsize_t(max(1, min(rows, shape[0])))
            H5Pset_chunk(dcpl, Int32(shape.count), chunk)
        }
        let d = H5Dcreate2(id, path, memType, space, rcp_h5p_default(), dcpl, rcp_h5p_default())
        if d < 0 { throw HDF5Error.writeFailed(file: self.path, path: path, reason: "cannot create dataset" + HDF5File.systemErrorDetail()) }
        H5Dclose(d)
    }

    private func writeRows(_ path: String, rows: Range<Int>, memType: hid_t, count: Int, bytes: UnsafeRawPointer) throws {
        precondition(!readOnly, "write to a read-only file")
        guard exists(path) else { throw HDF5Error.missingPath(file: self.path, path: path) }
        let d = H5Dopen2(id, path, rcp_h5p_default())
        if d < 0 { throw HDF5Error.notADataset(file: self.path, path: path) }
        defer { H5Dclose(d) }
        let fs = H5Dget_space(d); defer { H5Sclose(fs) }
        let shape = HDF5File.shape(ofSpace: fs)
        guard !shape.isEmpty, rows.lowerBound >= 0, rows.upperBound <= shape[0] else {
            throw HDF5Error.rowRange(file: self.path, path: path, range: rows, rows: shape.first ?? 0)
        }
        precondition(count == rows.count * shape.dropFirst().reduce(1, *), "\(path): \(count) values for rows \(rows)")
        if rows.isEmpty { return }
        var start = [hsize_t](repeating: 0, count: shape.count)
        var cnt = shape.map { hsize_t($0) }
        start[0] = hsize_t(rows.lowerBound); cnt[0] = hsize_t(rows.count)
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, nil, cnt, nil)
        let ms = H5Screate_simple(Int32(shape.count), cnt, nil); defer { H5Sclose(ms) }
        if H5Dwrite(d, memType, ms, fs, rcp_h5p_default(), bytes) < 0 {
            throw HDF5Error.writeFailed(file: self.path, path: path, reason: "cannot write rows \(rows.lowerBound)..<\(rows.upperBound)" + HDF5File.systemErrorDetail())
        }
    }

    /// Writes rows `rows` of the first axis of a dataset made by `createDataset` (values converted
    /// to the dataset's type; `floats.count` = rows.count × the size of one row).
    public func writeRows(_ path: String, rows: Range<Int>, floats: [Float]) throws {
        try floats.withUnsafeBytes { try writeRows(path, rows: rows, memType: rcp_h5t_native_float(), count: floats.count, bytes: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!) }
    }

    public func writeRows(_ path: String, rows: Range<Int>, uint8s: [UInt8]) throws {
        try uint8s.withUnsafeBytes { try writeRows(path, rows: rows, memType: rcp_h5t_native_uint8(), count: uint8s.count, bytes: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!) }
    }

    public func write(_ path: String, floats: [Float], shape: [Int], compress: Bool = false) throws {
        precondition(floats.count == shape.product, "\(path): \(floats.count) values for shape \(shape)")
        try floats.withUnsafeBytes { try writeNumeric(path, shape: shape, memType: rcp_h5t_native_float(), bytes: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, compress: compress) }
    }

    public func write(_ path: String, tensor: Tensor, compress: Bool = false) throws {
        try write(path, floats: tensor.data, shape: tensor.shape, compress: compress)
    }

    public func write(_ path: String, doubles: [Double], shape: [Int]) throws {
        precondition(doubles.count == shape.product)
        try doubles.withUnsafeBytes { try writeNumeric(path, shape: shape, memType: rcp_h5t_native_double(), bytes: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!) }
    }

    public func write(_ path: String, int64s: [Int], shape: [Int]) throws {
        precondition(int64s.count == shape.product)
        let v = int64s.map { Int64($0) }
        try v.withUnsafeBytes { try writeNumeric(path, shape: shape, memType: rcp_h5t_native_int64(), bytes: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!) }
    }

    public func write(_ path: String, int32s: [Int32], shape: [Int]) throws {
        precondition(int32s.count == shape.product)
        try int32s.withUnsafeBytes { try writeNumeric(path, shape: shape, memType: rcp_h5t_native_int32(), bytes: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!) }
    }

    public func write(_ path: String, uint8s: [UInt8], shape: [Int], compress: Bool = false) throws {
        precondition(uint8s.count == shape.product)
        try uint8s.withUnsafeBytes { try writeNumeric(path, shape: shape, memType: rcp_h5t_native_uint8(), bytes: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, compress: compress) }
    }

    /// Writes a 1-d array of variable-length UTF-8 strings (what h5py writes for `str` data).
    public func write(_ path: String, strings: [String]) throws {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex { try createGroup(String(path[..<slash])) }
        if exists(path) { H5Ldelete(id, path, rcp_h5p_default()) }
        let t = H5Tcopy(rcp_h5t_c_s1()); defer { H5Tclose(t) }
        H5Tset_size(t, rcp_h5t_variable()); H5Tset_cset(t, H5T_CSET_UTF8)
        var dims = [hsize_t(strings.count)]
        let space = H5Screate_simple(1, &dims, nil); defer { H5Sclose(space) }
        let dcpl = H5Pcreate(rcp_h5p_dataset_create())
        defer { H5Pclose(dcpl) }
        H5Pset_obj_track_times(dcpl, false)
        let d = H5Dcreate2(id, path, t, space, rcp_h5p_default(), dcpl, rcp_h5p_default())
        if d < 0 { throw HDF5Error.writeFailed(file: self.path, path: path, reason: "cannot create dataset" + HDF5File.systemErrorDetail()) }
        defer { H5Dclose(d) }
        let cstrs = strings.map { strdup($0) }
        defer { cstrs.forEach { free($0) } }
        var ptrs = cstrs.map { UnsafePointer<CChar>($0) }
        if !strings.isEmpty, ptrs.withUnsafeMutableBytes({ H5Dwrite(d, t, rcp_h5s_all(), rcp_h5s_all(), rcp_h5p_default(), $0.baseAddress) }) < 0 {
            throw HDF5Error.writeFailed(file: self.path, path: path, reason: "cannot write strings" + HDF5File.systemErrorDetail())
        }
    }

    // MARK: links (hostile-file tests: loops, dangling and external links)

    /// A soft link at `path` naming `target` (which need not exist).
    public func createSoftLink(_ path: String, target: String) throws {
        if H5Lcreate_soft(target, id, path, rcp_h5p_default(), rcp_h5p_default()) < 0 {
            throw HDF5Error.writeFailed(file: self.path, path: path, reason: "cannot create soft link")
        }
    }

    /// A hard link at `path` to the existing object `target` (a group linked into itself makes a cycle).
    public func createHardLink(_ path: String, target: String) throws {
        if H5Lcreate_hard(id, target, id, path, rcp_h5p_default(), rcp_h5p_default()) < 0 {
            throw HDF5Error.writeFailed(file: self.path, path: path, reason: "cannot create hard link")
        }
    }

    /// An external link at `path` to `target` inside `file` (neither need exist).
    public func createExternalLink(_ path: String, file: String, target: String) throws {
        if H5Lcreate_external(file, target, id, path, rcp_h5p_default(), rcp_h5p_default()) < 0 {
            throw HDF5Error.writeFailed(file: self.path, path: path, reason: "cannot create external link")
        }
    }

    // MARK: attributes

    private func openObject(_ path: String) throws -> hid_t {
        guardReads()
        guard path == "/" || exists(path) else { throw HDF5Error.missingPath(file: self.path, path: path) }
        let o = H5Oopen(id, path, rcp_h5p_default())
        if o < 0 { throw HDF5Error.missingPath(file: self.path, path: path) }
        return o
    }

    public func hasAttribute(_ name: String, at path: String = "/") -> Bool {
        guard let o = try? openObject(path) else { return false }
        defer { H5Oclose(o) }
        return H5Aexists(o, name) > 0
    }

    /// Opens attribute `name` of the object at `path` and passes it, its type and its element count
    /// (at least 1) to `body`; nil when the attribute is absent.
    private func withAttribute<T>(_ name: String, at path: String, _ body: (hid_t, hid_t, Int) throws -> T) throws -> T? {
        let o = try openObject(path)
        defer { H5Oclose(o) }
        guard H5Aexists(o, name) > 0 else { return nil }
        let a = H5Aopen(o, name, rcp_h5p_default())
        if a < 0 { throw HDF5Error.readFailed(file: self.path, path: "\(path)@\(name)", reason: "cannot open attribute") }
        defer { H5Aclose(a) }
        let t = H5Aget_type(a); defer { H5Tclose(t) }
        let s = H5Aget_space(a); defer { H5Sclose(s) }
        return try body(a, t, max(1, HDF5File.shape(ofSpace: s).product))
    }

    /// A string attribute (fixed or variable length, scalar or 1-element), or nil when absent.
    public func stringAttribute(_ name: String, at path: String = "/") throws -> String? {
        try withAttribute(name, at: path) { a, t, n in
            guard H5Tget_class(t) == H5T_STRING else {
                throw HDF5Error.unsupportedType(file: self.path, path: "\(path)@\(name)", type: "\(HDF5File.elementType(t)) (a string is required)")
            }
            return try readStringData(t, count: n, path: "\(path)@\(name)") { mt, buf in H5Aread(a, mt, buf) }.first
        } ?? nil
    }

    /// A numeric attribute's first element as Double, or nil when absent.
    public func doubleAttribute(_ name: String, at path: String = "/") throws -> Double? {
        try withAttribute(name, at: path) { a, t, n in
            guard HDF5File.elementType(t).isNumeric else {
                throw HDF5Error.unsupportedType(file: self.path, path: "\(path)@\(name)", type: "\(HDF5File.elementType(t)) (a number is required)")
            }
            var v = [Double](repeating: 0, count: n)
            if H5Aread(a, rcp_h5t_native_double(), &v) < 0 { throw HDF5Error.readFailed(file: self.path, path: "\(path)@\(name)", reason: "cannot read attribute") }
            return v[0]
        }
    }

    public func setAttribute(_ name: String, string value: String, at path: String = "/") throws {
        let o = try openObject(path)
        defer { H5Oclose(o) }
        if H5Aexists(o, name) > 0 { H5Adelete(o, name) }
        let t = H5Tcopy(rcp_h5t_c_s1()); defer { H5Tclose(t) }
        H5Tset_size(t, rcp_h5t_variable()); H5Tset_cset(t, H5T_CSET_UTF8)
        let s = H5Screate(H5S_SCALAR); defer { H5Sclose(s) }
        let a = H5Acreate2(o, name, t, s, rcp_h5p_default(), rcp_h5p_default())
        if a < 0 { throw HDF5Error.writeFailed(file: self.path, path: "\(path)@\(name)", reason: "cannot create attribute") }
        defer { H5Aclose(a) }
        let c = strdup(value); defer { free(c) }
        var p = UnsafePointer<CChar>(c)
        if H5Awrite(a, t, &p) < 0 { throw HDF5Error.writeFailed(file: self.path, path: "\(path)@\(name)", reason: "cannot write attribute") }
    }

    // MARK: references, links, filters (what NWB files use)

    /// Path of the object that a dereferenced id names (one of its paths, as HDF5 reports it).
    private func name(ofObject o: hid_t) -> String {
        let n = H5Iget_name(o, nil, 0)
        guard n > 0 else { return "?" }
        var buf = [CChar](repeating: 0, count: Int(n) + 1)
        H5Iget_name(o, &buf, Int(n) + 1)
        return String(cString: buf)
    }

    private func dereference(_ refs: [hobj_ref_t], path: String) throws -> [String] {
        try refs.map { r in
            var ref = r
            let o = H5Rdereference2(id, rcp_h5p_default(), H5R_OBJECT, &ref)
            if o < 0 { throw HDF5Error.readFailed(file: self.path, path: path, reason: "an object reference points nowhere") }
            defer { H5Oclose(o) }
            return name(ofObject: o)
        }
    }

    /// Reads a dataset of object references (HDF5 `H5T_STD_REF_OBJ`, what h5py's `ref_dtype` and
    /// NWB's `ImageReferences` store) and returns the path of each referenced object.
    public func readObjectReferences(_ path: String) throws -> [String] {
        let d = try openDataset(path)
        defer { H5Dclose(d) }
        let t = H5Dget_type(d); defer { H5Tclose(t) }
        guard H5Tget_class(t) == H5T_REFERENCE, H5Tequal(t, rcp_h5t_std_ref_obj()) > 0 else {
            throw HDF5Error.unsupportedType(file: self.path, path: path, type: "\(HDF5File.elementType(t)) (object references are required)")
        }
        let s = H5Dget_space(d); defer { H5Sclose(s) }
        let n = HDF5File.shape(ofSpace: s).product
        var refs = [hobj_ref_t](repeating: 0, count: n)
        if n > 0, H5Dread(d, rcp_h5t_std_ref_obj(), rcp_h5s_all(), rcp_h5s_all(), rcp_h5p_default(), &refs) < 0 {
            throw HDF5Error.readFailed(file: self.path, path: path, reason: "references could not be read")
        }
        return try dereference(refs, path: path)
    }

    /// The path an object-reference attribute points to, or nil when the attribute is absent.
    public func referenceAttribute(_ name: String, at path: String) throws -> String? {
        try withAttribute(name, at: path) { a, t, n in
            guard H5Tget_class(t) == H5T_REFERENCE, H5Tequal(t, rcp_h5t_std_ref_obj()) > 0 else {
                throw HDF5Error.unsupportedType(file: self.path, path: "\(path)@\(name)", type: "\(HDF5File.elementType(t)) (an object reference is required)")
            }
            // Room for every element: an attribute holding several references is read whole.
            var refs = [hobj_ref_t](repeating: 0, count: n)
            if H5Aread(a, rcp_h5t_std_ref_obj(), &refs) < 0 {
                throw HDF5Error.readFailed(file: self.path, path: "\(path)@\(name)", reason: "cannot read attribute")
            }
            return try dereference([refs[0]], path: "\(path)@\(name)").first
        } ?? nil
    }

    /// The target path of a soft link at `path`, or nil when `path` is a hard link (or absent).
    public func softLinkTarget(_ path: String) -> String? {
        guard exists(path) else { return nil }
        var info = H5L_info_t()
        guard H5Lget_info(id, path, &info, rcp_h5p_default()) >= 0, info.type == H5L_TYPE_SOFT else { return nil }
        let size = Int(info.u.val_size)
        var buf = [CChar](repeating: 0, count: size + 1)
        guard H5Lget_val(id, path, &buf, size + 1, rcp_h5p_default()) >= 0 else { return nil }
        return String(cString: buf)
    }

    /// Names of the filters in a dataset's pipeline that this libhdf5 cannot apply (e.g. LZF or
    /// Blosc, which h5py and hdf5plugin add), in pipeline order; empty when all are available.
    public func unavailableFilters(_ path: String) throws -> [String] {
        let d = try openDataset(path)
        defer { H5Dclose(d) }
        let p = H5Dget_create_plist(d); defer { H5Pclose(p) }
        var missing: [String] = []
        for i in 0..<max(0, Int(H5Pget_nfilters(p))) {
            var flags: UInt32 = 0
            var nElements = 0
            var config: UInt32 = 0
            var nameBuf = [CChar](repeating: 0, count: 256)
            let f = H5Pget_filter2(p, UInt32(i), &flags, &nElements, nil, 256, &nameBuf, &config)
            if f < 0 { continue }
            if H5Zfilter_avail(f) <= 0 {
                let own = String(cString: nameBuf)
                missing.append(own.isEmpty ? HDF5File.filterName(Int(f)) : "\(own) (filter \(f))")
            }
        }
        return missing
    }

    public func setAttribute(_ name: String, double value: Double, at path: String = "/") throws {
        let o = try openObject(path)
        defer { H5Oclose(o) }
        if H5Aexists(o, name) > 0 { H5Adelete(o, name) }
        let s = H5Screate(H5S_SCALAR); defer { H5Sclose(s) }
        let a = H5Acreate2(o, name, rcp_h5t_native_double(), s, rcp_h5p_default(), rcp_h5p_default())
        if a < 0 { throw HDF5Error.writeFailed(file: self.path, path: "\(path)@\(name)", reason: "cannot create attribute") }
        defer { H5Aclose(a) }
        var v = value
        if H5Awrite(a, rcp_h5t_native_double(), &v) < 0 { throw HDF5Error.writeFailed(file: self.path, path: "\(path)@\(name)", reason: "cannot write attribute") }
    }
}

extension HDF5File {
    /// HDF5's name for a filter id (the predefined ones; others by number).
    public static func filterName(_ id: Int) -> String {
        switch id {
        case 1: return "deflate (gzip)"; case 2: return "shuffle"; case 3: return "fletcher32"; case 4: return "szip"
        case 5: return "nbit"; case 6: return "scaleoffset"; case 32000: return "lzf"; case 32001: return "blosc"
        case 32004: return "lz4"; case 32008: return "bitshuffle"; case 32015: return "zstd"
        default: return "filter \(id)"
        }
    }
}

/// Memory the kernel reports as available (MemAvailable), in bytes; nil where unknown.
public func availableMemoryBytes() -> Int? {
    guard let s = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
    for line in s.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
        let parts = line.split(separator: " ")
        if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
    }
    return nil
}

/// Peak resident set size of this process (VmHWM), in bytes.
public func peakResidentBytes() -> Int? {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let parts = line.split(separator: " ")
        if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
    }
    return nil
}
