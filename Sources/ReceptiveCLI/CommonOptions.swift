// Options every command that has them declares the same way (one declaration, one help text),
// included with @OptionGroup: --force, --json, --quiet, --threads.
import ArgumentParser

/// --force: an existing output may be replaced (OutputPolicy).
struct ForceFlag: ParsableArguments {
    @Flag(help: "Overwrite existing output (the output file, or the files this command writes into its --out folder).")
    var force = false
}

/// --json: results as JSON on stdout instead of a table.
struct JSONFlag: ParsableArguments {
    @Flag(help: "Print the results as JSON on stdout instead of a table.")
    var json = false
}

/// --quiet: no progress lines on stderr (results and refusals are still printed).
struct QuietFlag: ParsableArguments {
    @Flag(help: "No progress lines on stderr.")
    var quiet = false
}

/// --threads: BLAS and the conv kernels (one setting for both).
struct ThreadsOption: ParsableArguments {
    @Option(help: "Threads for BLAS and the conv kernels.")
    var threads = 2

    /// Checked by ArgumentParser for every command that includes the group.
    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}

// The options as plain properties of the commands that include them (`force`, not `forceFlag.force`).
protocol WithForceFlag { var forceFlag: ForceFlag { get } }
extension WithForceFlag { var force: Bool { forceFlag.force } }
protocol WithJSONFlag { var jsonFlag: JSONFlag { get } }
extension WithJSONFlag { var json: Bool { jsonFlag.json } }
protocol WithQuietFlag { var quietFlag: QuietFlag { get } }
extension WithQuietFlag { var quiet: Bool { quietFlag.quiet } }
protocol WithThreadsOption { var threadsOption: ThreadsOption { get } }
extension WithThreadsOption { var threads: Int { threadsOption.threads } }
