// The output policy of every command, on Tensors' `AtomicOutput`: outputs are checked before any
// work (an existing one needs --force), written to a temporary file or folder and renamed into
// place, so nothing partial is left and a previous output survives a failure. This file only turns
// the library's refusals into messages naming the option (--out unless said otherwise).
import Foundation
import Tensors

enum OutputPolicy {
    /// Before any work: `path` may be written.
    static func checkFile(_ path: String, force: Bool, option: String = "--out") throws {
        do { try AtomicOutput.prepare(path, overwrite: force) } catch let e as AtomicOutputError { throw refusal(e, option: option) }
    }

    /// Before any work: the folder `dir` may receive `files`.
    static func checkFolder(_ dir: String, files: [String], force: Bool, option: String = "--out") throws {
        do { try AtomicOutput.prepareFolder(dir, files: files, overwrite: force) } catch let e as AtomicOutputError { throw refusal(e, option: option) }
    }

    /// Before any work: the folder `dir`, written as a whole, may be (re)placed.
    static func checkWholeFolder(_ dir: String, force: Bool, option: String = "--out") throws {
        do { try AtomicOutput.prepareWholeFolder(dir, overwrite: force) } catch let e as AtomicOutputError { throw refusal(e, option: option) }
    }

    /// Creates a folder checked by `checkFolder`.
    static func createFolder(_ dir: String, option: String = "--out") throws {
        do { try AtomicOutput.createFolder(dir) } catch let e as AtomicOutputError { throw refusal(e, option: option) }
    }

    static func refusal(_ e: AtomicOutputError, option: String) -> OptionError {
        switch e.kind {
        case .exists: return OptionError(option: option, reason: "\(e.file) already exists; pass --force to overwrite")
        case .isDirectory: return OptionError(option: option, reason: "\(e.file) is a directory")
        case .notAFolder: return OptionError(option: option, reason: "\(e.file) is a file, not a folder")
        case .folderMissing, .conflict, .system: return OptionError(option: option, reason: e.reason)
        }
    }
}
