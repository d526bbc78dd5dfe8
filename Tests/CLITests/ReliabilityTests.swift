// Reliability through the built binary (docs/reliability.md): huge declared files answer at once,
// streamed values are checked as read, kills and signals never lose a fit, full disks and
// concurrent writers never leave a partial file.
import XCTest
import Foundation
import Tensors
import NeuralData
import TestSupport

final class ReliabilityTests: XCTestCase {
    static var dir = ""
    static var data = ""
    static var other = ""
    /// Small fit: 10 steps per epoch × 30 epochs, a few seconds in all.
    static let fitArgs = ["--arch", "custom", "--kernels", "5,3", "--channels", "4", "--epochs", "30", "--patience", "40",
                          "--seed", "5", "--batch", "32", "--quiet"]

    override class func setUp() {
        dir = TestPaths.temporaryDirectory("reliability")
        data = dir + "/sim.h5"
        other = dir + "/other.h5"
        _ = try? CLIRunner.run(["simulate", "--out", data, "--cells", "simple:3,complex:3", "--stimuli", "400",
                                "--size", "16", "--repeats", "2", "--seed", "3", "--quiet"])
        _ = try? CLIRunner.run(["simulate", "--out", other, "--cells", "simple:3,complex:3", "--stimuli", "400",
                                "--size", "16", "--repeats", "2", "--seed", "4", "--quiet"])
    }

    func requireBinary() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        XCTAssertTrue(Files.exists(Self.data), "simulate failed")
    }

    /// Asserts a refusal: exit status 1 (no signal), one line on stderr containing `expect`.
    func assertRefusal(_ r: Finished, _ expect: String, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.signal, 0, "\(label): killed by signal \(r.signal)", file: file, line: line)
        XCTAssertEqual(r.status, 1, "\(label): status \(r.status): \(r.stderr)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "\(label): stderr is not one line: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(expect), "\(label): '\(r.stderr)' lacks '\(expect)'", file: file, line: line)
    }

    // MARK: huge declared files

    /// 10⁷ trials, 10⁷ stimuli of 10 000 × 10 000 float32 (400 TB declared), chunked and almost
    /// all unwritten — the layout of scripts/make_huge_declared.py, written here through libhdf5.
    static func writeHugeDeclared(_ path: String) throws {
        let n = 10_000_000, t = 10_000_000, u = 4
        let f = try HDF5File.create(path)
        try f.createDataset("/stimuli", type: .float32, shape: [n, 10_000, 10_000], chunkRows: 1)
        try f.createDataset("/responses", type: .float32, shape: [t, u], chunkRows: 65_536)
        try f.writeRows("/responses", rows: 0..<1000, floats: (0..<(1000 * u)).map { Float($0 % 5) })
        try f.createDataset("/stimulus_index", type: .int64, shape: [t], chunkRows: 65_536)
        try f.writeRows("/stimulus_index", rows: 0..<1000, floats: (0..<1000).map { Float($0) })
        try f.createDataset("/split", type: .uint8, shape: [n], chunkRows: 65_536)
        try f.writeRows("/split", rows: 0..<10, uint8s: [0, 0, 0, 0, 0, 0, 1, 1, 2, 2])
        try f.setAttribute("modality", string: "spikes")
        try f.closeChecked()
    }

    func testInspectHugeDeclaredFileAnswersAtOnce() throws {
        try requireBinary()
        let path = Self.dir + "/huge.h5"
        try Self.writeHugeDeclared(path)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let r = try Spawned.run(["inspect", path], timeout: 60)
        print(String(format: "[huge] file %d bytes on disk; inspect %.2f s, peak RSS %.1f MB (VmHWM, %d reads)", size, r.seconds, Double(r.maxResidentBytes) / 1e6, r.residentSamples))
        XCTAssertGreaterThan(r.residentSamples, 0, "the child's memory was never read")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertLessThan(r.seconds, 5, "inspect took \(r.seconds) s")
        XCTAssertLessThan(r.maxResidentBytes, 200_000_000, "inspect peaked at \(r.maxResidentBytes) bytes")
        XCTAssertTrue(r.stdout.contains("N = 10000000"), r.stdout)
        XCTAssertTrue(r.stdout.contains("T = 10000000 trials"), r.stdout)
        XCTAssertTrue(r.stdout.contains("sampled stimuli") && r.stdout.contains("of 10000000 stimuli (central 128×128 patches"), r.stdout)
        XCTAssertTrue(r.stdout.contains("inspect --full"), "must say how to check everything: \(r.stdout)")
        let j = try Spawned.run(["inspect", path, "--json"], timeout: 60)
        XCTAssertEqual(j.status, 0, j.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(obj["full_scan"] as? Bool, false)
        XCTAssertEqual(obj["stimulus_count"] as? Int, 10_000_000)
        XCTAssertEqual(obj["stored_stimulus_shape"] as? [Int], [10_000_000, 10_000, 10_000])
        XCTAssertEqual(obj["stimulus_chunks"] as? [Int], [1, 10_000, 10_000])
        let responses = try XCTUnwrap(obj["responses_sample"] as? [String: Any])
        let stats = try XCTUnwrap(responses["stats"] as? [String: Any])
        XCTAssertEqual(stats["max"] as? Double, 4, "the written trials (values 0…4) are in the first block")
    }

    /// A damaged global heap on which libhdf5 1.10 loops forever (kept from the fuzzer: seed 3,
    /// case 6633, a contract file with 33 bytes zeroed). The string-read watchdog must end the
    /// process with one line even when it was started with SIGALRM blocked — the fuzz harness's
    /// libdispatch workers block it, and that disarmed the watchdog (2 hangs in the 10 000-case run).
    func testGlobalHeapLoopEndsWithAlarmBlocked() throws {
        try requireBinary()
        let original = TestPaths.fixture("fuzz/global-heap-loop.h5")
        let before = try XCTUnwrap(Files.bytes(original), "missing committed fixture \(original)")
        let dir = TestPaths.temporaryDirectory("heap-loop")
        let path = dir + "/in.h5"
        try before.write(to: URL(fileURLWithPath: path))
        let (r, timedOut) = try Spawned(["inspect", path], blockedSignals: [SIGALRM]).wait(timeout: 60)
        print(String(format: "[heap-loop] inspect ended after %.1f s, status %d: %@", r.seconds, r.status, r.stderr))
        XCTAssertFalse(timedOut, "inspect hung on the damaged global heap")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.signal, 0)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains(path) && r.stderr.contains("corrupt HDF5 file"), r.stderr)
        XCTAssertEqual(Files.list(dir), ["in.h5"], "nothing written")
        XCTAssertEqual(Files.bytes(path), before, "input unchanged")
    }

    /// A bad value in a sampled part of a huge file is reported like any other.
    func testInspectHugeFileReportsSampledBadValue() throws {
        try requireBinary()
        let path = Self.dir + "/huge-nan.h5"
        let f = try HDF5File.create(path)
        try f.createDataset("/stimuli", type: .float32, shape: [100_000, 64, 64], chunkRows: 16)
        try f.writeRows("/stimuli", rows: 0..<1, floats: (0..<4096).map { $0 == 32 * 64 + 33 ? .nan : 0.5 })
        try f.createDataset("/responses", type: .float32, shape: [100_000, 2], chunkRows: 4096)
        try f.closeChecked()
        let r = try Spawned.run(["inspect", path], timeout: 60)
        assertRefusal(r, "/stimuli: non-finite value nan at index [0, 32, 33]", "huge-nan")
        XCTAssertEqual(r.stdout, "")
    }

    /// A bad value outside the samples: plain inspect says what it sampled (and succeeds);
    /// inspect --full reads every value and refuses the file.
    func testInspectFullFindsWhatSamplesMiss() throws {
        try requireBinary()
        let path = Self.dir + "/full-scan.h5"
        let n = 24_000, side = 64, bad = 12_345
        let f = try HDF5File.create(path)
        try f.createDataset("/stimuli", type: .float32, shape: [n, side, side], chunkRows: 64)
        try f.writeRows("/stimuli", rows: bad..<(bad + 1), floats: (0..<(side * side)).map { $0 == 5 * side + 6 ? .nan : 0.25 })
        try f.createDataset("/responses", type: .int32, shape: [n, 2], chunkRows: 4096)
        try f.closeChecked()
        let plain = try Spawned.run(["inspect", path, "--json"], timeout: 60)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        let sample = try XCTUnwrap((obj["stimuli_sample"] as? [String: Any])?["description"] as? String)
        XCTAssertFalse(sample.contains("\(bad)"), "the seeded sample happens to include the bad stimulus: \(sample)")
        let full = try Spawned.run(["inspect", path, "--full", "--stimulus-storage", "stream"], timeout: 120)
        print(String(format: "[full-scan] --full over %d stimuli of %d×%d float32: %.2f s", n, side, side, full.seconds))
        assertRefusal(full, "/stimuli: non-finite value nan at index [\(bad), 5, 6]", "full-scan")
    }

    /// fit on a streamed file checks values as the first pass reads them and stops at the first bad
    /// one: one line, nothing written (no model, no checkpoint, no temporary file).
    func testStreamedFitStopsAtFirstBadValue() throws {
        try requireBinary()
        let sub = Self.dir + "/stream-nan"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        let n = 60, side = 16
        var c = ContractFile()
        var v = [Float](repeating: 0.5, count: n * side * side)
        for k in v.indices { v[k] = Float(k % 97) / 97 }
        v[(7 * side + 3) * side + 9] = .infinity       // stimulus 7 (training split)
        c.stimuli = .float32(v, [n, side, side])
        c.responses = .int32((0..<(n * 3)).map { Int32($0 % 4) }, [n, 3])
        c.stimulusIndex = nil
        c.split = .uint8((0..<n).map { $0 < 40 ? 0 : ($0 < 50 ? 1 : 2) }, [n])
        let path = sub + "/data.h5"
        try c.write(to: path)
        let out = sub + "/m.h5"
        let r = try Spawned.run(["fit", path, "--out", out, "--stimulus-storage", "stream", "--arch", "custom", "--kernels", "3",
                                 "--channels", "2", "--epochs", "1", "--quiet"])
        assertRefusal(r, "/stimuli: non-finite value inf at index [7, 3, 9]", "stream-nan")
        XCTAssertEqual(Files.list(sub), ["data.h5"], "fit wrote something")
    }

    // MARK: kills and signals

    func scoreJSON(_ model: String) throws -> String {
        let s = try Spawned.run(["score", model, Self.data, "--json"])
        XCTAssertEqual(s.status, 0, s.stderr)
        return s.stdout
    }

    /// SIGKILL at random moments (during training, checkpoint writes, start-up), again and again;
    /// each time the run continues with --resume (or starts afresh when no checkpoint exists yet).
    /// The final model scores byte-identically to an uninterrupted run.
    func testRepeatedRandomKillsResumeToTheSameModel() throws {
        try requireBinary()
        let sub = Self.dir + "/kills"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        let full = sub + "/full.h5"
        let t0 = Date()
        let ref = try Spawned.run(["fit", Self.data, "--out", full] + Self.fitArgs)
        XCTAssertEqual(ref.status, 0, ref.stderr)
        let runTime = Date().timeIntervalSince(t0)
        let expected = try scoreJSON(full)

        let out = sub + "/killed.h5"
        let checkpoint = out + ".checkpoint.h5"
        var rng = SeededRandom(seed: 2024)
        var kills = 0, resumes = 0, fresh = 0, completions = 0
        for attempt in 0..<80 {
            let resume = Files.exists(checkpoint)
            if resume { resumes += 1 } else { fresh += 1 }
            let p = try Spawned(["fit", Self.data, "--out", out] + Self.fitArgs + (resume ? ["--resume"] : []))
            // Kill at a random moment within the first 35 % of an uninterrupted run's time
            // (start-up, steps and checkpoint writes alike); after 12 kills the run may finish.
            let delay = kills < 12 ? Double(rng.next() % 1000) / 1000 * 0.35 * runTime : 1e9
            while !p.hasEnded && Date().timeIntervalSince(p.started) < delay { usleep(1_000) }
            if !p.hasEnded { p.kill(SIGKILL); kills += 1 }
            let r = p.wait().0
            if r.signal == 0 { XCTAssertEqual(r.status, 0, "attempt \(attempt): \(r.stderr)") }
            // Finished — or killed after publishing the model and removing the checkpoint (while
            // printing the summary), which is finished too. A model beside a checkpoint is resumed.
            if Files.exists(out) && !Files.exists(checkpoint) {
                completions += 1
                XCTAssertEqual(try scoreJSON(out), expected, "attempt \(attempt): the resumed model differs from the uninterrupted one")
                if kills >= 12 { break }
                try FileManager.default.removeItem(atPath: out)   // finished before 12 kills: go again
            }
        }
        print("[kills] \(kills) SIGKILLs, \(resumes) resumed runs, \(fresh) fresh starts, \(completions) completed fits (each scored identically to the uninterrupted run); uninterrupted run \(String(format: "%.2f", runTime)) s")
        XCTAssertGreaterThanOrEqual(kills, 12)
        XCTAssertGreaterThanOrEqual(completions, 1)
        XCTAssertFalse(Files.exists(checkpoint), "the checkpoint is removed after success")
        XCTAssertEqual(Files.list(sub).filter { $0.contains(".tmp-") }, [], "temporary files of killed runs were not cleaned up")
    }

    /// SIGINT / SIGTERM: the run stops after the current step with a checkpoint and one line saying
    /// how to continue; continuing gives the uninterrupted model.
    func testSignalStopsWithCheckpointAndResumeMessage() throws {
        try requireBinary()
        let sub = Self.dir + "/signals"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        let full = sub + "/full.h5"
        XCTAssertEqual(try Spawned.run(["fit", Self.data, "--out", full] + Self.fitArgs).status, 0)
        let expected = try scoreJSON(full)
        var rng = SeededRandom(seed: 77)
        for (k, sig) in [SIGINT, SIGTERM, SIGINT].enumerated() {
            let out = sub + "/m\(k).h5"
            let checkpoint = out + ".checkpoint.h5"
            // Once training runs (the first checkpoint exists), signal at a random moment.
            let p = try Spawned(["fit", Self.data, "--out", out] + Self.fitArgs)
            while !p.hasEnded && !Files.exists(checkpoint) { usleep(1_000) }
            usleep(UInt32(rng.next() % 300_000))
            p.kill(sig)
            let r = p.wait().0
            XCTAssertEqual(r.signal, 0, "signal \(sig) killed the process instead of stopping it")
            XCTAssertEqual(r.status, 128 + sig, r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("stopped by \(sig == SIGTERM ? "SIGTERM" : "SIGINT")"), r.stderr)
            XCTAssertTrue(r.stderr.contains("continue with: receptive fit \(Self.data) --out \(out)") && r.stderr.hasSuffix("--resume\n"), r.stderr)
            print("[signals] \(r.stderr.trimmingCharacters(in: .newlines).prefix(110))…")
            XCTAssertTrue(Files.exists(checkpoint), "no checkpoint after \(sig)")
            XCTAssertFalse(Files.exists(out))
            let again = try Spawned.run(["fit", Self.data, "--out", out] + Self.fitArgs + ["--resume"])
            XCTAssertEqual(again.status, 0, again.stderr)
            XCTAssertEqual(try scoreJSON(out), expected, "signal \(sig): the resumed model differs")
        }
    }

    /// A checkpoint whose bytes changed, a truncated one, and one of another dataset are refused
    /// with one line; nothing is written.
    func testCorruptAndForeignCheckpointsAreRefused() throws {
        try requireBinary()
        let sub = Self.dir + "/checkpoints"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        // A genuine checkpoint: kill a run once it has written one.
        let source = sub + "/a.h5"
        let p = try Spawned(["fit", Self.data, "--out", source] + Self.fitArgs)
        while !p.hasEnded && !Files.exists(source + ".checkpoint.h5") { usleep(1_000) }
        p.kill(SIGKILL)
        _ = p.wait()
        XCTAssertTrue(Files.exists(source + ".checkpoint.h5"), "could not make a checkpoint")
        let genuine = try XCTUnwrap(Files.bytes(source + ".checkpoint.h5"))

        // 1. A bit flipped inside a stored array (found by its exact bytes).
        let f = try HDF5File.open(source + ".checkpoint.h5")
        let weights = try f.readFloats("/params/conv1/weight").values
        f.close()
        let pattern = weights.withUnsafeBytes { Data($0) }
        let at = try XCTUnwrap(genuine.range(of: pattern), "weights not stored contiguously").lowerBound + pattern.count / 2
        var flipped = genuine
        flipped[at] ^= 0x10
        // 2. Truncated (an interrupted copy).
        let truncated = genuine.prefix(genuine.count * 2 / 3)
        let cases: [(String, Data, String, String)] = [
            ("bit-flip", flipped, Self.data, "corrupt model file"),
            ("truncated", Data(truncated), Self.data, "cannot open as HDF5"),
            ("foreign", genuine, Self.other, "made from different data"),
        ]
        for (label, bytes, data, expect) in cases {
            let out = sub + "/\(label).h5"
            try bytes.write(to: URL(fileURLWithPath: out + ".checkpoint.h5"))
            let before = Files.list(sub)
            let r = try Spawned.run(["fit", data, "--out", out, "--resume"] + Self.fitArgs)
            assertRefusal(r, expect, label)
            XCTAssertTrue(r.stderr.contains(out + ".checkpoint.h5"), "\(label): the message must name the checkpoint: \(r.stderr)")
            XCTAssertEqual(Files.list(sub), before, "\(label): files changed")
            XCTAssertEqual(Files.bytes(out + ".checkpoint.h5"), bytes, "\(label): the checkpoint was modified")
        }
    }

    // MARK: full disks

    /// Writes fail for lack of space (a tmpfs filled to the brim when running as root, else a file
    /// size limit — the same write failure the kernel reports): a clear error, the previous file
    /// intact, no partial or temporary file.
    func testFullDiskKeepsPreviousFileAndLeavesNothing() throws {
        try requireBinary()
        var dir = Self.dir + "/fsize"
        var mounted = false
        if getuid() == 0 {
            let mnt = Self.dir + "/tmpfs"
            try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
            let m = try Spawned.run(["-c", "mount -t tmpfs -o size=4m tmpfs '\(mnt)'"], shellPrefix: nil, binaryOverride: "/bin/bash")
            if m.status == 0 { mounted = true; dir = mnt } else { print("[full-disk] tmpfs mount failed (\(m.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); using a file size limit instead") }
        } else {
            print("[full-disk] not root: cannot mount a small tmpfs; using a file size limit (ulimit -f) instead")
        }
        defer { if mounted { _ = try? Spawned.run(["-c", "umount '\(dir)'"], binaryOverride: "/bin/bash") } }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

        // The previous outputs: a dataset and a model.
        let sim = dir + "/sim.h5", model = dir + "/model.h5"
        XCTAssertEqual(try Spawned.run(["simulate", "--out", sim, "--cells", "simple:2", "--stimuli", "60", "--size", "8", "--quiet"]).status, 0)
        XCTAssertEqual(try Spawned.run(["fit", Self.data, "--out", model, "--arch", "custom", "--kernels", "3", "--channels", "2", "--epochs", "1", "--quiet"]).status, 0)
        let before = [sim, model].map { ($0, Files.bytes($0)) }
        XCTAssertTrue(before.allSatisfy { $0.1 != nil })

        var prefix = "trap '' XFSZ; ulimit -f 2;"   // 2 × 1 KiB blocks; SIGXFSZ ignored so write() returns EFBIG
        var filler: String? = nil
        if mounted {
            prefix = ""
            filler = dir + "/filler"
            // Fill the tmpfs: dd stops with ENOSPC.
            _ = try Spawned.run(["-c", "dd if=/dev/zero of='\(filler!)' bs=4k 2>/dev/null; sync"], binaryOverride: "/bin/bash")
        }
        let runs: [(String, [String])] = [
            ("simulate", ["simulate", "--out", sim, "--force", "--cells", "simple:4", "--stimuli", "400", "--size", "16", "--quiet"]),
            ("fit", ["fit", Self.data, "--out", model, "--force", "--arch", "custom", "--kernels", "3", "--channels", "8", "--epochs", "1", "--quiet"]),
        ]
        for (label, args) in runs {
            let r = try Spawned.run(args, shellPrefix: prefix)
            print("[full-disk] \(label): status \(r.status), \(r.stderr.trimmingCharacters(in: .newlines))")
            assertRefusal(r, mounted ? "No space left on device" : "File too large", label)
            for (path, bytes) in before { XCTAssertEqual(Files.bytes(path), bytes, "\(label): \(path) changed") }
            let leftovers = Files.list(dir).filter { $0.contains(".tmp-") }
            XCTAssertEqual(leftovers, [], "\(label): temporary files left")
        }
        if let filler { unlink(filler) }
    }

    // MARK: concurrent writers

    /// Two processes writing the same --out at once without --force: exactly one wins, the other
    /// reports the conflict; the file is whole.
    func testConcurrentWritersOneWins() throws {
        try requireBinary()
        let sub = Self.dir + "/race"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        var conflicts = 0, existed = 0
        for round in 0..<6 {
            let out = sub + "/r\(round).h5"
            let args = ["simulate", "--out", out, "--cells", "simple:3", "--stimuli", "300", "--size", "16", "--quiet"]
            let a = try Spawned(args + ["--seed", "1"]), b = try Spawned(args + ["--seed", "2"])
            let ra = a.wait().0, rb = b.wait().0
            XCTAssertEqual(ra.signal + rb.signal, 0)
            XCTAssertEqual([ra.status, rb.status].sorted(), [0, 1], "round \(round): \(ra.stderr) | \(rb.stderr)")
            let loser = ra.status == 1 ? ra : rb
            XCTAssertEqual(loser.stderr.split(separator: "\n").count, 1, loser.stderr)
            if loser.stderr.contains("created by another process") { conflicts += 1 }
            else if loser.stderr.contains("already exists") { existed += 1 }
            else { XCTFail("round \(round): unexpected message \(loser.stderr)") }
            XCTAssertNoThrow(try Dataset.load(out), "round \(round): the winner's file is not whole")
            XCTAssertEqual(Files.list(sub).filter { $0.contains(".tmp-") }, [])
        }
        print("[race] 6 rounds: \(conflicts) caught at publication (link), \(existed) caught by the up-front check")
    }

    /// Readers never see a partial file while writers replace it (--force) again and again.
    func testReadersNeverSeePartialFile() throws {
        try requireBinary()
        let sub = Self.dir + "/readers"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        let out = sub + "/d.h5"
        let args = ["simulate", "--out", out, "--force", "--cells", "simple:3", "--stimuli", "300", "--size", "16", "--quiet"]
        XCTAssertEqual(try Spawned.run(args).status, 0)
        var writers: [Spawned] = []
        for k in 0..<8 { writers.append(try Spawned(args + ["--seed", String(k)])) }
        var reads = 0, failures: [String] = []
        while writers.contains(where: { !$0.hasEnded }) || reads < 20 {
            do { let d = try Dataset.load(out); XCTAssertEqual(d.stimulusCount, 300); reads += 1 }
            catch { failures.append("\(error)") }
        }
        for w in writers { XCTAssertEqual(w.wait().0.status, 0) }
        print("[readers] \(reads) whole reads during 8 replacing writers, \(failures.count) failures")
        XCTAssertEqual(failures, [])
    }
}
