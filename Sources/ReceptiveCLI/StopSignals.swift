// SIGINT / SIGTERM during training: the first one asks the trainer to stop after the current step
// (it writes a checkpoint and `fit` says how to resume); a second one ends the process at once.
import Foundation

nonisolated(unsafe) private var stopSignal: Int32 = 0

enum StopSignals {
    /// Installs the handlers; `requested` then reports whether a stop was asked for.
    static func install() {
        for s in [SIGINT, SIGTERM] {
            signal(s) { sig in
                if stopSignal != 0 { signal(sig, SIG_DFL); raise(sig); return }
                stopSignal = sig
            }
        }
    }

    static var requested: Bool { stopSignal != 0 }
    static var name: String { stopSignal == SIGTERM ? "SIGTERM" : "SIGINT" }
    static var exitCode: Int32 { 128 + (stopSignal == 0 ? SIGINT : stopSignal) }
}
