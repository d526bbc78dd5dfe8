// Atomic file output: bytes go to a temporary file next to the destination, which is fsynced and
// renamed over it, so a reader never sees a partial figure or JSON document and a failure leaves
// the destination untouched.
import Foundation

public enum AtomicFile {
    /// Writes `bytes` to `path` atomically (temporary file in the same folder, fsync, rename).
    /// Without `overwrite`, an existing `path` is an error. On any error the temporary file is
    /// removed and `path` is untouched.
    /// - Throws: `ReportError.cannotWrite` naming `path` and the reason.
    public static func write(_ bytes: [UInt8], to path: String, overwrite: Bool = true) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { throw ReportError.cannotWrite(file: path, reason: "it is a directory") }
            if !overwrite { throw ReportError.cannotWrite(file: path, reason: "it already exists; pass --force to overwrite") }
        }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw ReportError.cannotWrite(file: path, reason: "folder \(dir) does not exist")
        }
        let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        if fd < 0 { throw ReportError.cannotWrite(file: path, reason: String(cString: strerror(errno))) }
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
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil && rename(tmp, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(tmp)
            throw ReportError.cannotWrite(file: path, reason: failure)
        }
    }

    /// Writes UTF-8 `text` to `path` atomically; see `write(_:to:overwrite:)`.
    public static func write(text: String, to path: String, overwrite: Bool = true) throws {
        try write(Array(text.utf8), to: path, overwrite: overwrite)
    }
}
