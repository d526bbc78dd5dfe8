// Process control for the reliability tests: start the built binary without waiting, kill it,
// and collect exit status, signal, output, wall time and peak memory.
//
// Peak memory is the child's own VmHWM from /proc/PID/status, sampled while it runs. wait4's
// ru_maxrss cannot be used: posix_spawn starts the child on the parent's address space (vfork), and
// Linux carries the larger of that address space's high-water mark into the exec'd program's
// ru_maxrss, so a test runner that once used 300 MB made every child "peak" at 300 MB.
import Foundation
import TestSupport

struct Finished {
    let status: Int32          // exit status; -1 when ended by a signal
    let signal: Int32          // terminating signal, 0 when it exited
    let stdout: String
    let stderr: String
    let seconds: Double
    /// The largest VmHWM read from /proc while the child ran (0 when it ended before the first read).
    let maxResidentBytes: Int
    /// How many times VmHWM was read.
    let residentSamples: Int
    var crashed: Bool { signal != 0 && signal != SIGKILL }
}

final class Spawned {
    let pid: pid_t
    let started = Date()
    private let outPath: String, errPath: String

    /// Starts `binary arguments`. `shellPrefix` (e.g. "ulimit -f 64;") runs in a bash that then execs the binary.
    /// `blockedSignals` start blocked in the child, as when a parent with such a mask (a libdispatch
    /// worker thread, some schedulers) starts it.
    init(_ arguments: [String], binary: String = CLIRunner.binary ?? "/nonexistent", shellPrefix: String? = nil,
         blockedSignals: [Int32] = []) throws {
        let tmp = NSTemporaryDirectory() + "receptive-spawn-\(UUID().uuidString.prefix(8))"
        outPath = tmp + ".out"; errPath = tmp + ".err"
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var argv: [String]
        if let prefix = shellPrefix {
            let quoted = ([binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            argv = ["/bin/bash", "-c", prefix + " exec " + quoted]
        } else {
            argv = [binary] + arguments
        }
        let cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        // The child starts with default SIGINT/SIGTERM handling, as from a shell or a scheduler
        // (a test runner may ignore them, and ignored signals are inherited).
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var defaults = sigset_t()
        sigemptyset(&defaults); sigaddset(&defaults, SIGINT); sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var flags = Int16(POSIX_SPAWN_SETSIGDEF)
        if !blockedSignals.isEmpty {
            var mask = sigset_t()
            sigemptyset(&mask)
            for s in blockedSignals { sigaddset(&mask, s) }
            posix_spawnattr_setsigmask(&attr, &mask)
            flags |= Int16(POSIX_SPAWN_SETSIGMASK)
        }
        posix_spawnattr_setflags(&attr, flags)
        var p: pid_t = 0
        let rc = posix_spawn(&p, argv[0], &actions, &attr, cargs, environ)
        guard rc == 0 else { throw NSError(domain: "spawn", code: Int(rc)) }
        pid = p
    }

    func kill(_ sig: Int32) { _ = Foundation.kill(pid, sig) }

    /// Waits (killing it after `timeout` seconds) and returns what happened.
    private var reaped: (Int32, rusage)?
    private var peakResident = 0
    private var residentSamples = 0

    /// Reads the child's VmHWM (its own address space's peak resident set) while it is alive.
    private func sampleResident() {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, let kb = Int(fields[1]) {
                peakResident = max(peakResident, kb * 1024)
                residentSamples += 1
            }
        }
    }

    /// Whether it has ended (reaps it when it has).
    var hasEnded: Bool {
        if reaped != nil { return true }
        sampleResident()
        var status: Int32 = 0
        var usage = rusage()
        if wait4(pid, &status, WNOHANG, &usage) == pid { reaped = (status, usage); return true }
        return false
    }

    func wait(timeout: Double = 300) -> (Finished, timedOut: Bool) {
        var timedOut = false
        while !hasEnded {
            if Date().timeIntervalSince(started) > timeout && !timedOut {
                timedOut = true
                Foundation.kill(pid, SIGKILL)
            }
            usleep(2_000)
        }
        let (status, _) = reaped!
        let seconds = Date().timeIntervalSince(started)
        let signalled = (status & 0x7f) != 0
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        unlink(outPath); unlink(errPath)
        return (Finished(status: signalled ? -1 : (status >> 8) & 0xff, signal: signalled ? status & 0x7f : 0,
                         stdout: out, stderr: err, seconds: seconds, maxResidentBytes: peakResident, residentSamples: residentSamples), timedOut)
    }

    /// Runs to completion.
    static func run(_ arguments: [String], shellPrefix: String? = nil, timeout: Double = 300, binaryOverride: String? = nil) throws -> Finished {
        try Spawned(arguments, binary: binaryOverride ?? CLIRunner.binary ?? "/nonexistent", shellPrefix: shellPrefix).wait(timeout: timeout).0
    }
}

enum Files {
    /// Names in `dir` (hidden ones included).
    static func list(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }
    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
