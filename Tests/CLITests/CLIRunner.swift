// Runs the built `receptive` binary (release build, made by `make test` before the tests run).
import Foundation
import TestSupport

struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum CLIRunner {
    /// The release binary, or nil (tests then skip with a printed reason).
    static let binary: String? = {
        for config in ["release", "debug"] {
            let p = TestPaths.repositoryRoot + "/.build/\(config)/receptive"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }()

    static let skipReason = "the receptive binary is not built (run `swift build -c release --product receptive` first; `make test` does)"

    /// `environment`: variables set (over this process's environment) for the run.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
        guard let bin = binary else { throw NSError(domain: "CLIRunner", code: 1, userInfo: [NSLocalizedDescriptionKey: skipReason]) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.data
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Holds the data one reader thread fills; read only after that thread has finished (group.wait).
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
