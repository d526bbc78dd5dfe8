// Progress of long work (training epochs, bootstrap rounds, scans) on standard error.
//
// One line per completed step with the fields the caller passes, the step's duration and an ETA
// from the mean step time so far:
//
//     epoch  3/20  train LL -0.5123  val LL -0.5301  bits/spike 0.2140  1.24 s/epoch  ETA 21 s
//
// On a terminal, `status(_:)` shows sub-step progress on a line that is rewritten in place with
// "\r" and cleared before the next full line; when standard error is not a terminal (a log file,
// a pipe) status updates are dropped and only full lines are written. With `quiet` nothing is
// written at all. Named `ProgressReporter` so it does not clash with Foundation's `Progress`.
import Foundation

/// One "name value" field of a progress line.
public struct ProgressField {
    public var name: String
    public var value: String
    public init(_ name: String, _ text: String) { self.name = name; self.value = text }
    /// A number with `precision` decimals ("NaN" when not a number).
    public init(_ name: String, _ number: Double, precision: Int = 4) {
        self.name = name; self.value = Ticks.format(number, scientific: false, decimals: precision)
    }
    var text: String { name.isEmpty ? value : name + " " + value }
}

public final class ProgressReporter {
    /// Total number of steps (epochs, rounds, ...); ≥ 1.
    public let total: Int
    /// Word for one step ("epoch"), used in "epoch 3/20" and "s/epoch".
    public let unit: String
    public let quiet: Bool
    /// Whether status lines may be rewritten in place (standard error is a terminal).
    public let isTerminal: Bool
    /// Steps completed so far.
    public private(set) var completed = 0

    private let sink: (String) -> Void
    private let clock: () -> Double
    private let startTime: Double
    private var lastTime: Double
    private var statusShown = false

    /// Whether standard error is a terminal (isatty(2)).
    public static var standardErrorIsTerminal: Bool { isatty(2) != 0 }

    /// Seconds from a monotonic clock.
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// - Parameters:
    ///   - total: number of steps expected (≥ 1).
    ///   - unit: name of a step.
    ///   - quiet: write nothing.
    ///   - isTerminal: nil detects it from standard error; tests pass a value.
    ///   - sink: where text goes; nil writes to standard error unbuffered.
    ///   - clock: seconds (monotonic); tests pass a fake one. The timer starts here.
    public init(total: Int, unit: String = "epoch", quiet: Bool = false, isTerminal: Bool? = nil,
                sink: ((String) -> Void)? = nil, clock: @escaping () -> Double = ProgressReporter.monotonicSeconds) {
        precondition(total >= 1, "ProgressReporter: total must be ≥ 1")
        self.total = total; self.unit = unit; self.quiet = quiet
        self.isTerminal = isTerminal ?? ProgressReporter.standardErrorIsTerminal
        self.sink = sink ?? { FileHandle.standardError.write(Data($0.utf8)) }
        self.clock = clock
        startTime = clock()
        lastTime = startTime
    }

    /// Seconds since the reporter was created.
    public var elapsed: Double { clock() - startTime }

    /// Mean seconds per completed step; nil before the first.
    public var meanStepSeconds: Double? { completed > 0 ? (lastTime - startTime) / Double(completed) : nil }

    /// Estimated seconds to finish: mean step time × steps remaining; nil before the first step.
    public var etaSeconds: Double? { meanStepSeconds.map { $0 * Double(max(0, total - completed)) } }

    /// Marks one step done and writes its line: "epoch  i/n  fields…  t s/epoch  ETA …".
    /// Returns the line (without newline) for callers that also log it.
    @discardableResult
    public func step(_ fields: [ProgressField]) -> String {
        let now = clock()
        let stepSeconds = now - lastTime
        lastTime = now
        completed += 1
        let width = String(total).count
        let counter = String(repeating: " ", count: max(0, width - String(completed).count)) + "\(completed)/\(total)"
        var parts = ["\(unit) \(counter)"]
        parts += fields.map { $0.text }
        parts.append(ProgressReporter.formatSeconds(stepSeconds) + "/" + unit)
        if completed < total, let eta = etaSeconds {
            parts.append("ETA " + ProgressReporter.formatDuration(eta))
        } else if completed >= total {
            parts.append("total " + ProgressReporter.formatDuration(now - startTime))
        }
        let line = parts.joined(separator: "  ")
        emitLine(line)
        return line
    }

    /// Sub-step progress ("batch 120/400"); on a terminal it replaces the status line in place,
    /// otherwise it is dropped.
    public func status(_ text: String) {
        guard !quiet && isTerminal else { return }
        sink("\r\u{1B}[K" + text)
        statusShown = true
    }

    /// A free-form line (a warning, a summary), written after clearing any status line.
    public func message(_ text: String) { emitLine(text) }

    /// Clears a status line left on the terminal.
    public func finish() {
        guard !quiet && statusShown else { return }
        sink("\r\u{1B}[K")
        statusShown = false
    }

    private func emitLine(_ line: String) {
        guard !quiet else { return }
        if statusShown { sink("\r\u{1B}[K"); statusShown = false }
        sink(line + "\n")
    }

    /// Seconds for a step: "0.012 s", "1.24 s", "12.3 s", "85 s".
    public static func formatSeconds(_ s: Double) -> String {
        if !s.isFinite { return "? s" }
        if s < 0.1 { return String(format: "%.3f s", s) }
        if s < 10 { return String(format: "%.2f s", s) }
        if s < 60 { return String(format: "%.1f s", s) }
        return String(format: "%.0f s", s)
    }

    /// A duration for an ETA: "42 s", "3 min 05 s", "2 h 07 min".
    public static func formatDuration(_ s: Double) -> String {
        guard s.isFinite && s >= 0 else { return "?" }
        let total = Int(s.rounded())
        if total < 60 { return "\(total) s" }
        if total < 3600 { return String(format: "%d min %02d s", total / 60, total % 60) }
        return String(format: "%d h %02d min", total / 3600, (total % 3600) / 60)
    }
}
