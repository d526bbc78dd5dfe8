// Atomic file output (the byte front end of Tensors' `AtomicOutput`): bytes go to a temporary file next to the destination, which is fsynced and
// renamed over it, so a reader never sees a partial figure or JSON document and a failure leaves
// the destination untouched.
import Foundation
import Tensors

public enum AtomicFile {
    /// Writes `bytes` to `path` atomically (temporary file in the same folder, fsync, rename).
    /// Without `overwrite`, an existing `path` is an error. On any error the temporary file is
    /// removed and `path` is untouched.
    /// - Throws: `AtomicOutputError` naming `path` and the reason.
    public static func write(_ bytes: [UInt8], to path: String, overwrite: Bool = true) throws {
        try AtomicOutput.write(to: path, overwrite: overwrite) { tmp in
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

    /// Writes UTF-8 `text` to `path` atomically; see `write(_:to:overwrite:)`.
    public static func write(text: String, to path: String, overwrite: Bool = true) throws {
        try write(Array(text.utf8), to: path, overwrite: overwrite)
    }
}
