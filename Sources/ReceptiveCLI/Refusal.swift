// How a command that fails ends: one line on stderr, `Error: <message>`, the message naming the
// option or file and the problem (library errors are turned into messages by `ErrorMessages`), and
// the exit status ArgumentParser assigns (1 for a refusal from a command, 64 for a parse or
// validation error). Help and version requests keep ArgumentParser's own output.
import ArgumentParser
import Cluster
import Foundation

public enum Refusal {
    /// The one-line message for `error`, without the `Error: ` prefix; empty when nothing is to be
    /// printed (an `ExitCode` thrown after the command printed its own output).
    public static func message(for error: Error) -> String {
        if let text = ErrorMessages.message(for: error) { return oneLine(text) }
        return oneLine(ReceptiveCommand.message(for: error))
    }

    /// Folds a message onto one line: a bulleted list of values ("…following:\n  - a\n  - b")
    /// becomes "…following: a, b"; other lines are joined with "; ", blank ones dropped.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: ":\n  - ", with: ": ").replacingOccurrences(of: "\n  - ", with: ", ")
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
    }

    public static func exit(withError error: Error) -> Never {
        let code = ReceptiveCommand.exitCode(for: error)
        // Under mpirun/srun every process parsed the same arguments, so an argument error (or a
        // help request) is the same on every rank: rank 0 prints it, the others end silently with
        // the same status (before MPI starts; errors after it are handled by `onCluster`).
        // They wait half a second first: mpirun ends the job's other processes once one has exited
        // with a non-zero status, and rank 0 must have written its line by then.
        if Clusters.launchedSize > 1 && Clusters.launchedRank != 0 {
            if code != .success { usleep(500_000) }
            Foundation.exit(code.rawValue)
        }
        // Help (--help, `help`, a command group run without a subcommand) and --version: as ArgumentParser prints them.
        if code == .success || error is CleanExit { ReceptiveCommand.exit(withError: error) }
        let text = message(for: error)
        if !text.isEmpty { FileHandle.standardError.write(Data("Error: \(text)\n".utf8)) }
        Foundation.exit(code.rawValue)
    }
}
