// The one way every output file is published (docs/reliability.md): the content is written to a
// temporary file in the destination's folder, flushed and fsynced, then moved into place in one
// step — `rename` when overwriting is allowed, `link` (which fails if the name exists) when it is
// not, so two processes racing for the same name cannot both win. The folder is fsynced after.
// Readers therefore see either the old file or the whole new one, never a partial file; on any
// failure (a full disk included) the temporary file is removed and the destination is untouched.
//
// The one output policy of the tool: every file a command writes goes through this family —
// `write(to:overwrite:_:)` with a writer of its own, `HDF5File.writeAtomically` (models,
// checkpoints, predictions, result arrays), `write(bytes:…)` / `write(text:…)` (JSON, SVG, PNG,
// HTML) — and every output folder through `prepareFolder` (a folder of such files) or
// `writeFolder` (a folder published as a whole). `prepare` / `prepareFolder` let a command refuse
// an existing output before any work; the write refuses it again (another process may have made
// it meanwhile). Errors are `AtomicOutputError`s with a kind, so a caller can say how to proceed.
import Foundation

/// Why an atomic output failed, naming the file. Every writer (HDF5, bytes, text) throws this
/// type unchanged, so a caller tells "exists" (overwriting needs permission) from a system error.
public struct AtomicOutputError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The file exists and overwriting was not allowed.
        case exists
        /// Another process created the file while this one wrote it; nothing was overwritten.
        case conflict
        /// The destination's folder does not exist.
        case folderMissing
        /// A file was to be written where a folder is.
        case isDirectory
        /// An output folder was asked for where a file is.
        case notAFolder
        case system
    }
    public let file: String
    public let kind: Kind
    public let reason: String
    public init(file: String, kind: Kind, reason: String) { self.file = file; self.kind = kind; self.reason = reason }
    public var description: String { "\(file): cannot create (\(reason))" }
}

public enum AtomicOutput {
    /// Checks that `path` may be written: its folder exists, it is not a folder, and (without
    /// `overwrite`) it does not exist yet. Removes temporary files of `path` left by killed processes.
    public static func prepare(_ path: String, overwrite: Bool) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { throw AtomicOutputError(file: path, kind: .isDirectory, reason: "it is a directory") }
            if !overwrite { throw AtomicOutputError(file: path, kind: .exists, reason: "it already exists") }
        }
        let dir = folder(of: path)
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw AtomicOutputError(file: path, kind: .folderMissing, reason: "folder \(dir) does not exist")
        }
        removeStaleTemporaries(of: path)
    }

    /// A fresh temporary name next to `path`: `.<name>.tmp-<pid>-<random>`.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return folder(of: path) + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Fsyncs `temporary` and moves it to `path` (see the file comment). On failure `temporary` is
    /// removed and `path` is as it was.
    public static func publish(_ temporary: String, to path: String, overwrite: Bool) throws {
        func fail(_ kind: AtomicOutputError.Kind, _ reason: String) -> AtomicOutputError {
            unlink(temporary)
            return AtomicOutputError(file: path, kind: kind, reason: reason)
        }
        let fd = open(temporary, O_RDONLY)
        if fd < 0 { throw fail(.system, String(cString: strerror(errno))) }
        let synced = fsync(fd) == 0 ? 0 : errno
        close(fd)
        if synced != 0 { throw fail(.system, String(cString: strerror(synced))) }
        if overwrite {
            if rename(temporary, path) != 0 { throw fail(.system, String(cString: strerror(errno))) }
        } else {
            if link(temporary, path) != 0 {
                let e = errno
                if e == EEXIST {
                    throw fail(.conflict, "it was created by another process while this one was writing it; nothing was overwritten")
                }
                // Filesystems without hard links: the existence check in `prepare` is the guard.
                guard e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EXDEV || e == EMLINK else {
                    throw fail(.system, String(cString: strerror(e)))
                }
                if rename(temporary, path) != 0 { throw fail(.system, String(cString: strerror(errno))) }
            } else {
                unlink(temporary)
            }
        }
        let dfd = open(folder(of: path), O_RDONLY | O_DIRECTORY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Writes a file atomically: `body` fills the temporary path it is given (and may throw), then
    /// the file is published. On any error the temporary file is removed.
    public static func write(to path: String, overwrite: Bool, _ body: (String) throws -> Void) throws {
        try prepare(path, overwrite: overwrite)
        let tmp = temporaryPath(for: path)
        do { try body(tmp) } catch { unlink(tmp); throw error }
        try publish(tmp, to: path, overwrite: overwrite)
    }

    /// Writes `bytes` to `path` atomically (see `write(to:overwrite:_:)`); a short write (a full
    /// disk) is an `AtomicOutputError` of kind `.system` and leaves `path` as it was.
    public static func write(bytes: [UInt8], to path: String, overwrite: Bool) throws {
        try write(to: path, overwrite: overwrite) { tmp in
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            if fd < 0 { throw AtomicOutputError(file: path, kind: .system, reason: String(cString: strerror(errno))) }
            var failure: String? = nil
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = String(cString: strerror(errno)); return
                    }
                    offset += n
                }
            }
            if close(fd) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
            if let failure { throw AtomicOutputError(file: path, kind: .system, reason: failure) }
        }
    }

    /// Writes UTF-8 `text` to `path` atomically; see `write(bytes:to:overwrite:)`.
    public static func write(text: String, to path: String, overwrite: Bool) throws {
        try write(bytes: Array(text.utf8), to: path, overwrite: overwrite)
    }

    /// Checks an output folder that will receive `files` (each then written atomically): its
    /// parent exists, it is not a file, and without `overwrite` none of `files` exists in it.
    public static func prepareFolder(_ dir: String, files: [String], overwrite: Bool) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir, isDirectory: &isDir) {
            guard isDir.boolValue else { throw AtomicOutputError(file: dir, kind: .notAFolder, reason: "it is a file, not a folder") }
            if !overwrite, let f = files.first(where: { fm.fileExists(atPath: dir + "/" + $0) }) {
                throw AtomicOutputError(file: dir + "/" + f, kind: .exists, reason: "it already exists")
            }
        } else {
            let parent = folder(of: dir)
            guard fm.fileExists(atPath: parent, isDirectory: &isDir), isDir.boolValue else {
                throw AtomicOutputError(file: dir, kind: .folderMissing, reason: "folder \(parent) does not exist")
            }
        }
    }

    /// Creates an output folder checked by `prepareFolder` (an existing folder is kept).
    public static func createFolder(_ dir: String) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false) } catch {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue { return }
            throw AtomicOutputError(file: dir, kind: .system, reason: "cannot create the folder: \(error.localizedDescription)")
        }
    }

    /// Checks a folder published as a whole: its parent exists; it is new, or `overwrite` (it is
    /// then replaced).
    public static func prepareWholeFolder(_ dir: String, overwrite: Bool) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
            if !isDir.boolValue { throw AtomicOutputError(file: dir, kind: .notAFolder, reason: "it exists and is not a folder") }
            if !overwrite { throw AtomicOutputError(file: dir, kind: .exists, reason: "it already exists") }
        }
        let parent = folder(of: dir)
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDir), isDir.boolValue else {
            throw AtomicOutputError(file: dir, kind: .folderMissing, reason: "folder \(parent) does not exist")
        }
    }

    /// Writes a folder as a whole: `body` fills a staging folder next to `dir` (given its path),
    /// which then replaces `dir`. On any error the staging folder is removed and `dir` is as it was.
    public static func writeFolder(to dir: String, overwrite: Bool, _ body: (String) throws -> Void) throws {
        try prepareWholeFolder(dir, overwrite: overwrite)
        let url = URL(fileURLWithPath: dir)
        let staging = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(UUID().uuidString.prefix(8))").path
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: staging, withIntermediateDirectories: false) } catch {
            throw AtomicOutputError(file: dir, kind: .system, reason: "cannot create \(staging): \(error.localizedDescription)")
        }
        do {
            try body(staging)
            if fm.fileExists(atPath: dir) {
                guard overwrite else { throw AtomicOutputError(file: dir, kind: .conflict, reason: "it was created by another process while this one was writing it; nothing was overwritten") }
                try fm.removeItem(atPath: dir)
            }
            try fm.moveItem(atPath: staging, toPath: dir)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
    }

    /// Removes `.<name>.tmp-<pid>-*` files next to `path` whose process no longer runs (a process
    /// killed while writing cannot clean up after itself).
    public static func removeStaleTemporaries(of path: String) {
        let dir = folder(of: path)
        let prefix = "." + URL(fileURLWithPath: path).lastPathComponent + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let pidText = rest.split(separator: "-").first, let pid = Int32(pidText), pid > 0 else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH { unlink(dir + "/" + name) }
        }
    }

    static func folder(of path: String) -> String {
        let d = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return d.isEmpty ? "." : d
    }
}
