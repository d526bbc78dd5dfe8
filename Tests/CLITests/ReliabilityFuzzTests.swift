// Mutation fuzzer over our own contract files (docs/reliability.md). Each case takes a valid file
// (or a structurally hostile one: wrong dtypes, absurd shapes and chunks, recursive groups,
// dangling and external links), mutates its bytes (bit flips in metadata and data, truncation,
// appended junk, overwritten spans), and runs `inspect` plus one of `fit --epochs 1`, `score` and
// `rsa` on it through the built binary, each with a 30 s limit. Every run must end with exit
// status 0 (accepted) or 1 with exactly one line on stderr and nothing on stdout (a clean
// refusal); no signal (crash), no timeout (hang), nothing written, the input unchanged.
//
// `make test` runs FUZZ_CASES=240 (seed 1); `make fuzz N=10000` the long run.
import XCTest
import Foundation
import Tensors
import NeuralData
import TestSupport

final class ReliabilityFuzzTests: XCTestCase {
    struct Outcome { var crashes = 0, hangs = 0, refusals = 0, accepted = 0, unclean = 0, wrote = 0, modified = 0, libraryFaults = 0 }

    /// Structurally hostile variants of the contract file (written through libhdf5).
    static func structuralVariants(_ dir: String) throws -> [(String, String)] {
        var out: [(String, String)] = []
        func contract(_ name: String, _ edit: (inout ContractFile) -> Void, after: ((HDF5File) throws -> Void)? = nil) throws {
            var c = ContractFile()
            edit(&c)
            let path = dir + "/base-\(name).h5"
            try c.write(to: path)
            if let after {
                let f = try HDF5File.open(path, writable: true)
                try after(f)
                try f.closeChecked()
            }
            out.append((name, path))
        }
        let n = ContractFile.n, t = ContractFile.t, u = ContractFile.u, side = ContractFile.side
        try contract("plain") { _ in }
        try contract("float-stimuli") { $0.stimuli = .float32((0..<(n * 2 * side * side)).map { Float($0 % 13) / 13 }, [n, 2, side, side]) }
        try contract("float64-responses") { $0.responses = .float64((0..<(t * u)).map { Double($0 % 4) }, [t, u]) }
        try contract("int8-index") { $0.stimulusIndex = .uint8((0..<t).map { UInt8($0 % n) }, [t]) }
        try contract("strings-as-stimuli") { $0.stimuli = .strings(["a", "b"]) }
        try contract("strings-as-responses") { $0.responses = .strings(["1", "2", "3"]) }
        try contract("float-split") { $0.split = .float32([0, 0, 0, 0, 0, 0, 1, 1, 2, 2], [n]) }
        try contract("rank1-stimuli") { $0.stimuli = .uint8([UInt8](repeating: 1, count: 64), [64]) }
        try contract("rank5-stimuli") { $0.stimuli = .uint8([UInt8](repeating: 1, count: n * 2 * 2 * side * side), [n, 2, 2, side, side]) }
        try contract("zero-width") { $0.stimuli = .uint8([], [n, side, 0]) }
        try contract("absurd-stimuli") { $0.stimuli = .declared(.float32, [1 << 40, 1 << 20, 1 << 20]); $0.split = nil }
        try contract("absurd-row") { $0.stimuli = .declared(.float32, [n, 3, 1 << 20, 1 << 20]) }
        try contract("absurd-units") { $0.responses = .declared(.float32, [t, 1 << 40]); $0.unitNames = nil }
        try contract("absurd-trials") { $0.responses = .declared(.int32, [1 << 50, u]); $0.stimulusIndex = .declared(.int64, [1 << 50]) }
        try contract("huge-index-values") { $0.stimulusIndex = .int64((0..<t).map { $0 == 5 ? Int.max : $0 % n }, [t]) }
        try contract("negative-index-min") { $0.stimulusIndex = .int64((0..<t).map { $0 == 5 ? Int.min : $0 % n }, [t]) }
        try contract("huge-chunks") { _ in } after: { f in
            try f.createDataset("/stimuli", type: .uint8, shape: [n, side, side], chunkRows: 1 << 30)
        }
        try contract("tiny-chunks-huge-array") { _ in } after: { f in
            try f.createDataset("/stimuli", type: .float32, shape: [1 << 34, 2, 2], chunkRows: 1)
        }
        try contract("recursive-group") { $0.stimuli = nil } after: { f in
            try f.createGroup("/stimuli/inner")
            try f.createHardLink("/stimuli/inner/loop", target: "/stimuli")
        }
        try contract("recursive-ground-truth") { _ in } after: { f in
            try f.createGroup("/ground_truth")
            try f.createHardLink("/ground_truth/rates", target: "/ground_truth")
            try f.createHardLink("/ground_truth/again", target: "/")
        }
        try contract("dangling-soft-link") { $0.responses = nil } after: { f in
            try f.createSoftLink("/responses", target: "/nowhere/at/all")
        }
        try contract("self-soft-link") { $0.stimuli = nil } after: { f in
            try f.createSoftLink("/stimuli", target: "/stimuli")
        }
        try contract("soft-link-cycle") { $0.split = nil } after: { f in
            try f.createSoftLink("/split", target: "/other")
            try f.createSoftLink("/other", target: "/split")
        }
        try contract("external-link") { $0.stimuli = nil } after: { f in
            try f.createExternalLink("/stimuli", file: "/nonexistent/elsewhere.h5", target: "/stimuli")
        }
        try contract("external-self") { $0.stimuli = nil } after: { f in
            try f.createExternalLink("/stimuli", file: f.path, target: "/stimuli")
        }
        try contract("mask-wrong-type") { $0.masks = .strings(Array(repeating: "x", count: n)) }
        try contract("names-numeric") { $0.unitNames = .float32([1, 2, 3], [3]) }
        try contract("modality-number") { $0.modality = nil } after: { f in try f.setAttribute("modality", double: 3) }
        return out
    }

    /// One byte-level mutation of `bytes`, described in words.
    static func mutate(_ bytes: Data, _ rng: inout SeededRandom) -> (Data, String) {
        var b = bytes
        let count = b.count
        func r(_ n: Int) -> Int { n <= 0 ? 0 : Int(rng.next() % UInt64(n)) }
        switch r(7) {
        case 0:
            let k = 1 + r(8)
            for _ in 0..<k { let i = r(count); b[i] ^= UInt8(1 << r(8)) }
            return (b, "\(k) bit flips anywhere")
        case 1:
            let k = 1 + r(4), span = min(count, 2048)
            for _ in 0..<k { let i = r(span); b[i] ^= UInt8(1 << r(8)) }
            return (b, "\(k) bit flips in the first \(span) bytes (superblock, root group)")
        case 2:
            let len = r(count)
            return (b.prefix(len), "truncated to \(len) of \(count) bytes")
        case 3:
            let extra = 1 + r(4096)
            b.append(Data((0..<extra).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))
            return (b, "\(extra) junk bytes appended")
        case 4:
            let start = r(count), len = min(count - start, 1 + r(64))
            let fill: UInt8 = [0x00, 0xFF, 0x7F][r(3)]
            for i in start..<(start + len) { b[i] = fill }
            return (b, "\(len) bytes at \(start) set to \(fill)")
        case 5:
            let start = r(count), len = min(count - start, 1 + r(256))
            for i in start..<(start + len) { b[i] = UInt8(truncatingIfNeeded: rng.next()) }
            return (b, "\(len) random bytes at \(start)")
        default:
            // A byte of an 8-byte little-endian field set to a large value (sizes, addresses, dims).
            let i = r(max(1, count - 8))
            for j in 0..<8 { b[i + j] = j == 7 ? UInt8(r(128)) : 0xFF }
            return (b, "8 bytes at \(i) set to a huge little-endian integer")
        }
    }

    func testFuzzContractFiles() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        let env = ProcessInfo.processInfo.environment
        let cases = Int(env["FUZZ_CASES"] ?? "") ?? 240
        let seed = UInt64(env["FUZZ_SEED"] ?? "") ?? 1
        let dir = TestPaths.temporaryDirectory("fuzz")
        let keep = dir + "/failures"
        try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)

        // Bases: the structural variants plus a simulated file (chunked, compressed, ground truth).
        var bases = try Self.structuralVariants(dir)
        let sim = dir + "/base-sim.h5"
        let s = try Spawned.run(["simulate", "--out", sim, "--cells", "simple:2,complex:1", "--stimuli", "40", "--size", "12",
                                 "--repeats", "2", "--seed", "9", "--quiet"])
        XCTAssertEqual(s.status, 0, s.stderr)
        bases.append(("sim", sim))
        let model = dir + "/model.h5"
        let m = try Spawned.run(["fit", sim, "--out", model, "--arch", "custom", "--kernels", "3", "--channels", "2", "--epochs", "1", "--quiet"])
        XCTAssertEqual(m.status, 0, m.stderr)
        let baseBytes = bases.map { (name: $0.0, data: Files.bytes($0.1)!) }

        let lock = NSLock()
        var outcome = Outcome()
        var failures: [String] = []
        let t0 = Date()
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            var k = worker
            while k < cases {
                defer { k += 2 }
                var rng = SeededRandom.derived(seed: seed, stream: UInt64(k))
                let base = baseBytes[Int(rng.next() % UInt64(baseBytes.count))]
                // One case in 8 runs the structural variant unmutated; the rest mutate it.
                let (bytes, how) = rng.next() % 8 == 0 ? (base.data, "unmutated") : Self.mutate(base.data, &rng)
                let caseDir = dir + "/case\(k)"
                try? FileManager.default.createDirectory(atPath: caseDir, withIntermediateDirectories: true)
                let file = caseDir + "/in.h5"
                try? bytes.write(to: URL(fileURLWithPath: file))
                let label = "case \(k) (\(base.name), \(how))"
                let second: [String]
                switch k % 3 {
                case 0: second = ["fit", file, "--out", caseDir + "/m.h5", "--arch", "custom", "--kernels", "3", "--channels", "2", "--epochs", "1", "--quiet"]
                case 1: second = ["score", model, file]
                default: second = ["rsa", "--data", file, "--model", model, "--quiet"]
                }
                var local = Outcome(), notes: [String] = []
                for args in [["inspect", file], second] {
                    guard let run = try? Spawned(args).wait(timeout: 30) else { continue }
                    let (r, timedOut) = run
                    let command = args[0]
                    if timedOut { local.hangs += 1; notes.append("\(label): \(command) HUNG (30 s)") }
                    else if r.signal != 0 { local.crashes += 1; notes.append("\(label): \(command) CRASHED with signal \(r.signal): \(r.stderr.suffix(400))") }
                    else if r.status == 0 { local.accepted += 1 }
                    else if r.status == 1 && r.stdout.isEmpty && r.stderr.split(separator: "\n").count == 1
                                && !r.stderr.contains("Fatal error") {
                        local.refusals += 1
                        // A fault inside libhdf5 caught by the fault guard (one line, status 1).
                        if r.stderr.contains("the HDF5 library faulted") { local.libraryFaults += 1; notes.append("\(label): \(command) libhdf5 fault caught: \(r.stderr.prefix(300))") }
                    }
                    else { local.unclean += 1; notes.append("\(label): \(command) unclean refusal (status \(r.status)): \(r.stderr.prefix(600))") }
                    let written = Files.list(caseDir).filter { $0 != "in.h5" && !(r.status == 0 && $0 == "m.h5") }
                    if !written.isEmpty { local.wrote += 1; notes.append("\(label): \(command) wrote \(written)") }
                    if Files.bytes(file) != bytes { local.modified += 1; notes.append("\(label): \(command) modified its input") }
                }
                if !notes.isEmpty { try? bytes.write(to: URL(fileURLWithPath: keep + "/case\(k).h5")) }
                try? FileManager.default.removeItem(atPath: caseDir)
                lock.lock()
                outcome.crashes += local.crashes; outcome.hangs += local.hangs; outcome.refusals += local.refusals
                outcome.accepted += local.accepted; outcome.unclean += local.unclean; outcome.wrote += local.wrote
                outcome.modified += local.modified; outcome.libraryFaults += local.libraryFaults
                failures += notes
                lock.unlock()
            }
        }
        let seconds = Date().timeIntervalSince(t0)
        let summary = "[fuzz] seed \(seed), \(cases) cases, \(2 * cases) runs in \(String(format: "%.0f", seconds)) s: crashes \(outcome.crashes), hangs \(outcome.hangs), clean refusals \(outcome.refusals), accepted \(outcome.accepted), unclean refusals \(outcome.unclean), wrote output \(outcome.wrote), modified input \(outcome.modified); libhdf5 faults caught by the guard (among the clean refusals) \(outcome.libraryFaults)"
        print(summary)
        for f in failures.prefix(40) { print("[fuzz] " + f) }
        if !failures.isEmpty { print("[fuzz] failing inputs kept in \(keep)") }
        if let report = env["FUZZ_REPORT"] { try? (summary + "\n" + failures.joined(separator: "\n") + "\n").write(toFile: report, atomically: true, encoding: .utf8) }
        XCTAssertEqual(outcome.crashes, 0)
        XCTAssertEqual(outcome.hangs, 0)
        XCTAssertEqual(outcome.unclean, 0)
        XCTAssertEqual(outcome.wrote, 0)
        XCTAssertEqual(outcome.modified, 0)
        XCTAssertGreaterThan(outcome.refusals, cases / 4, "mutations must mostly be refused")
        XCTAssertGreaterThan(outcome.accepted, 0, "some files (unmutated variants, flips in unused bytes) are valid")
        if outcome.crashes + outcome.hangs + outcome.unclean + outcome.wrote + outcome.modified + outcome.libraryFaults == 0 {
            try? FileManager.default.removeItem(atPath: dir)
        }
    }
}
