// Errors of the Report target: everything here that a user's path or flag can cause.
import Foundation

/// A failure to write a figure, table or JSON document. The message names the file and the cause.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    /// `path` could not be written (missing folder, permission, existing file without overwrite, ...).
    case cannotWrite(file: String, reason: String)
    /// `file` could not be read back (a PNG that cairo cannot decode, …).
    case cannotRead(file: String, reason: String)
    /// cairo failed to draw or encode a figure.
    case cannotRender(reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let f, let r): return "\(f): cannot write (\(r))"
        case .cannotRead(let f, let r): return "\(f): cannot read (\(r))"
        case .cannotRender(let r): return "cannot draw the figure (\(r))"
        }
    }
}
