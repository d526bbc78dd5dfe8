// `mpirun -np 2 receptive …` against one process on the same files (docs/scaling.md). Skips with a
// printed reason when mpirun is absent or the binary was built without Open MPI; `make test-mpi`
// installs Open MPI and runs these.
import XCTest
import Foundation
import Tensors
import TestSupport

final class MPICLITests: XCTestCase {
    static var dir = ""
    static var data = ""

    static let mpirun: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for d in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(d)/mpirun") { return "\(d)/mpirun" }
        return nil
    }()

    override class func setUp() {
        dir = TestPaths.temporaryDirectory("mpicli")
        data = dir + "/sim.h5"
        _ = try? CLIRunner.run(["simulate", "--out", data, "--cells", "simple:3,complex:4", "--stimuli", "300",
                                "--size", "12", "--repeats", "2", "--seed", "5", "--quiet"])
    }

    /// `receptive ARGS` under `mpirun -np ranks` (root allowed, more ranks than cores allowed).
    func mpi(_ ranks: Int, _ arguments: [String]) throws -> CLIResult {
        guard let bin = CLIRunner.binary else { throw XCTSkip(CLIRunner.skipReason) }
        guard let mpirun = Self.mpirun else {
            print("skipping: mpirun not found on PATH (install openmpi-bin and libopenmpi-dev, rebuild; `make test-mpi` does)")
            throw XCTSkip("mpirun not found on PATH (`make test-mpi` installs Open MPI)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: mpirun)
        p.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", bin] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        var e = Data()
        let g = DispatchGroup(); g.enter()
        let box = Box()
        DispatchQueue.global().async { box.data = err.fileHandleForReading.readDataToEndOfFile(); g.leave() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        g.wait(); e = box.data
        p.waitUntilExit()
        let r = CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        if r.stderr.contains("built without Open MPI") {
            print("skipping: \(bin) was built without Open MPI (install libopenmpi-dev and rebuild; `make test-mpi` does)")
            throw XCTSkip("the receptive binary was built without Open MPI")
        }
        return r
    }

    /// Every dataset under /params of two model files: the largest absolute difference.
    func maxParameterDifference(_ a: String, _ b: String) throws -> Double {
        let fa = try HDF5File.open(a), fb = try HDF5File.open(b)
        var worst = 0.0, compared = 0
        for layer in fa.children(of: "/params") {
            for name in fa.children(of: "/params/\(layer)") {
                let path = "/params/\(layer)/\(name)"
                let x = try fa.readFloats(path), y = try fb.readFloats(path)
                XCTAssertEqual(x.shape, y.shape, path)
                for (u, v) in zip(x.values, y.values) { worst = max(worst, abs(Double(u) - Double(v))) }
                compared += x.values.count
            }
        }
        XCTAssertGreaterThan(compared, 100)
        return worst
    }

    func config(_ file: String) throws -> [String: Any] {
        let json = try HDF5File.open(file).stringAttribute("config")!
        return try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
    }

    func testGLMFitScorePredictUnderTwoRanksEqualOneProcess() throws {
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.data) || CLIRunner.binary == nil, "simulate failed")
        let one = Self.dir + "/glm1.h5", two = Self.dir + "/glm2.h5"
        let common = ["--model", "glm", "--ridge-grid", "0.1,10,1000", "--threads", "1", "--quiet", "--json", "--force"]
        let r2 = try mpi(2, ["fit", Self.data, "--out", two] + common)
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let r1 = try CLIRunner.run(["fit", Self.data, "--out", one] + common)
        XCTAssertEqual(r1.status, 0, r1.stderr)
        // One summary (rank 0 only), recording 2 ranks × 1 thread.
        let s2 = try JSONSerialization.jsonObject(with: Data(r2.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(s2["ranks"] as? Int, 2); XCTAssertEqual(s2["threads_per_rank"] as? Int, 1)
        XCTAssertTrue((s2["backend"] as? String ?? "").contains("MPI"), "\(s2)")
        let c1 = try config(one), c2 = try config(two)
        XCTAssertEqual((c1["execution"] as? [String: Any])?["ranks"] as? Int, 1)
        XCTAssertEqual((c2["execution"] as? [String: Any])?["ranks"] as? Int, 2)
        // Per-unit fits are independent: the weights (stored as float32) agree to 1e-10.
        let d = try maxParameterDifference(one, two)
        print("GLM 2 ranks vs 1 process: max |Δ parameter| = \(d)")
        XCTAssertLessThanOrEqual(d, 1e-10)
        XCTAssertEqual(c1["ridgePerUnit"] as? [Double], c2["ridgePerUnit"] as? [Double])
        XCTAssertEqual(c1["nullRates"] as? [Double], c2["nullRates"] as? [Double])
        // Each rank read only its units' columns; the whole-file bookkeeping is gathered: the
        // configuration (units, names, null rates, λ per unit, observation) equals one process's.
        XCTAssertEqual(((c2["data"] as? [String: Any])?["unitNames"] as? [String])?.count, 7)
        XCTAssertEqual(s2["units"] as? Int, 7)
        // Bytes rank 0 put into collectives, worked out by hand for its 4 units of 12×12 = 144 pixels:
        // 8·(144 + 2) per unit (weights, intercept, λ) + 8 (count), 8 per penalty (failed λs, 3),
        // the null rates as float32: 4 per unit + 8 (count), and the agreement point after the
        // input phase (4 int64); 6 collectives.
        XCTAssertEqual(s2["communicated_bytes"] as? Int, 8 * 146 * 4 + 8 + 8 * 3 + 4 * 4 + 8 + 32)
        assertSameConfiguration(c1, c2)

        // score: predictions split by stimulus and gathered, units split (7 units: 4 + 3 on 2 ranks,
        // 3 + 2 + 2 on 3, one each and an idle rank on 8), per-unit values gathered, summaries and
        // pooled figures from them on rank 0: the same report (tolerance 0), test and train split,
        // JSON and the per-unit table.
        for options in [["--json"], ["--json", "--eval-split", "train"], ["--per-unit"]] {
            let sc1 = try CLIRunner.run(["score", one, Self.data, "--threads", "1"] + options)
            XCTAssertEqual(sc1.status, 0, sc1.stderr)
            if options[0] == "--json" { XCTAssertTrue(sc1.stdout.contains("bits_per_spike_pooled"), sc1.stdout) }
            for ranks in [2, 3, 8] {
                let sc2 = try mpi(ranks, ["score", one, Self.data, "--threads", "1"] + options)
                XCTAssertEqual(sc2.status, 0, sc2.stderr)
                if options[0] == "--json" {
                    let d = try maxJSONDifference(sc1.stdout, sc2.stdout)
                    print("GLM score \(options.joined(separator: " ")), \(ranks) ranks vs 1 process: max |Δ| = \(d.map { "\($0)" } ?? "structure differs")")
                    XCTAssertEqual(d, 0)
                }
                XCTAssertEqual(sc1.stdout, sc2.stdout, "score \(options) under \(ranks) ranks differs")
            }
        }

        // predict: the same rates, bit for bit (each rank forwards whole batches of 128 stimuli).
        let p1 = Self.dir + "/rates1.h5", p2 = Self.dir + "/rates2.h5"
        XCTAssertEqual(try CLIRunner.run(["predict", one, Self.data, "--out", p1, "--force", "--threads", "1"]).status, 0)
        let pr2 = try mpi(2, ["predict", one, Self.data, "--out", p2, "--force", "--threads", "1"])
        XCTAssertEqual(pr2.status, 0, pr2.stderr)
        let a = try HDF5File.open(p1).readFloats("/rates"), b = try HDF5File.open(p2).readFloats("/rates")
        XCTAssertEqual(a.shape, b.shape)
        XCTAssertEqual(a.values, b.values)
        print("predict 2 ranks vs 1: \(a.values.count) rates, max |Δ| = \(zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0)")
    }

    /// Two model configurations equal in every key but the execution record.
    func assertSameConfiguration(_ a: [String: Any], _ b: [String: Any], file: StaticString = #filePath, line: UInt = #line) {
        var a = a, b = b
        a["execution"] = nil; b["execution"] = nil
        XCTAssertEqual(Set(a.keys), Set(b.keys), file: file, line: line)
        for k in a.keys { XCTAssertTrue(NSDictionary(dictionary: [k: a[k]!]).isEqual(to: [k: b[k] as Any]), "config key \(k) differs", file: file, line: line) }
    }

    /// The Gaussian GLM (fMRI-like data) under 2 and 3 ranks: each rank refits the variance of its
    /// units and the variances are gathered; coefficients, λ, null rates and variances equal one process.
    func testGaussianGLMUnderRanksEqualsOneProcess() throws {
        let vox = Self.dir + "/glm-vox.h5"
        let sim = try CLIRunner.run(["simulate", "--out", vox, "--cells", "voxels:9", "--stimuli", "300", "--size", "12",
                                     "--test-repeats", "2", "--seed", "3", "--quiet", "--force"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let common = ["--model", "glm", "--ridge-grid", "0.1,10,1000", "--threads", "1", "--quiet", "--force"]
        let one = Self.dir + "/gglm1.h5"
        XCTAssertEqual(try CLIRunner.run(["fit", vox, "--out", one] + common).status, 0)
        let c1 = try config(one)
        XCTAssertEqual((c1["observation"] as? [String: Any])?["kind"] as? String, "gaussian")
        for ranks in [2, 3] {
            let many = Self.dir + "/gglm\(ranks).h5"
            let r = try mpi(ranks, ["fit", vox, "--out", many] + common)
            XCTAssertEqual(r.status, 0, r.stderr)
            let d = try maxParameterDifference(one, many)
            let v1 = (c1["observation"] as? [String: Any])?["per_unit"] as? [Double] ?? []
            let v2 = (try config(many)["observation"] as? [String: Any])?["per_unit"] as? [Double] ?? []
            XCTAssertEqual(v1.count, 9)
            let dv = zip(v1, v2).map { abs($0 - $1) }.max() ?? .infinity
            print("Gaussian GLM \(ranks) ranks vs 1 process: max |Δ parameter| = \(d), max |Δ variance| = \(dv)")
            XCTAssertLessThanOrEqual(d, 1e-10)
            XCTAssertLessThanOrEqual(dv, 1e-10)
            assertSameConfiguration(c1, try config(many))
        }
    }

    /// Each GLM rank reads only its units' response columns: a NaN in column 7 of 8 (rank 1's
    /// share, units 4..<8) stops the job with ONE message, from rank 1. Were the whole matrix read
    /// on every rank, rank 0 would fail on the same value and print its own line (the binary
    /// before this rule did, 3 runs of 3).
    func testGLMRankReadsOnlyItsColumns() throws {
        let clean = Self.dir + "/glm-clean.h5", vox = Self.dir + "/glm-nan.h5"
        let sim = try CLIRunner.run(["simulate", "--out", clean, "--cells", "voxels:8", "--stimuli", "200", "--size", "12",
                                     "--seed", "4", "--quiet", "--force"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        try copy(clean, to: vox, nanIn: [7])
        let out = Self.dir + "/never-glm.h5"
        let r = try mpi(2, ["fit", vox, "--out", out, "--model", "glm", "--ridge-grid", "1,100", "--threads", "1", "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        let ours = refusals(r.stderr)
        XCTAssertEqual(ours.count, 1, r.stderr)
        XCTAssertTrue(ours.first?.contains("rank 1 of 2") == true && ours.first?.contains("glm-nan.h5") == true && ours.first?.contains("non-finite") == true, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        // predict and score: each rank reads (and checks) its share of the columns, so only rank 1
        // meets the NaN (score read every column on rank 0 before units were split, and failed there).
        let model = Self.dir + "/glm-clean-model.h5"
        let fit = try CLIRunner.run(["fit", clean, "--out", model, "--model", "glm", "--ridge-grid", "1,100", "--threads", "1", "--quiet", "--force"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let rates = Self.dir + "/never-rates.h5"
        for (command, rank) in [(["predict", model, vox, "--out", rates, "--threads", "1"], 1), (["score", model, vox, "--threads", "1"], 1)] {
            let r = try mpi(2, command)
            XCTAssertNotEqual(r.status, 0)
            let lines = refusals(r.stderr)
            XCTAssertEqual(lines.count, 1, "\(command[0]): \(r.stderr)")
            XCTAssertTrue(lines.first?.contains("rank \(rank) of 2") == true && lines.first?.contains("non-finite") == true, "\(command[0]): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: rates))
    }

    /// A rank fits units numbered from 0 in its share; its errors name the file's unit: unit 5 with
    /// no spikes (rank 1's share is units 4..<7) is "unit 5" under 2 ranks as in one process.
    func testGLMErrorUnderRanksNamesTheFilesUnit() throws {
        let zero = Self.dir + "/glm-zero.h5"
        try? FileManager.default.removeItem(atPath: zero)
        try FileManager.default.copyItem(atPath: Self.data, toPath: zero)
        let f = try HDF5File.open(zero, writable: true)
        let r = try f.readFloats("/responses")
        var v = r.values
        for t in 0..<r.shape[0] { v[t * r.shape[1] + 5] = 0 }
        try f.writeRows("/responses", rows: 0..<r.shape[0], floats: v)
        f.close()
        let args = ["fit", zero, "--out", Self.dir + "/never-zero.h5", "--model", "glm", "--ridge-grid", "1", "--threads", "1", "--quiet"]
        let one = try CLIRunner.run(args), two = try mpi(2, args)
        XCTAssertNotEqual(one.status, 0); XCTAssertNotEqual(two.status, 0)
        XCTAssertTrue(one.stderr.contains("unit 5 has no counts"), one.stderr)
        XCTAssertTrue(two.stderr.contains("rank 1 of 2") && two.stderr.contains("unit 5 has no counts"), two.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.dir + "/never-zero.h5"))
    }

    /// CNN data parallel: 2 ranks vs 1 process, same seed, for both batch groupings. Not bit-equal:
    /// the batch's gradient is summed in another order (each rank's share, then the two shares)
    /// and batch-norm moments come from Σx, Σx² of the shares instead of one shifted pass, so the
    /// float32 parameters differ by rounding, and Adam (which divides by √v) turns rounding-sized
    /// differences of near-zero gradients into steps of order the learning rate (5e-3). The same
    /// happens in one process between 1 and 2 threads (measured: 0.004 stimulus, 0.015 trial after
    /// 2 epochs), which this test asserts beside the 2-rank difference (0.008, 0.019).
    func testCNNUnderTwoRanksMatchesOneProcess() throws {
        for grouping in ["stimulus", "trial"] {
            let one = Self.dir + "/cnn1-\(grouping).h5", two = Self.dir + "/cnn2-\(grouping).h5"
            let common = ["--arch", "custom", "--kernels", "5,3", "--channels", "4", "--epochs", "2", "--batch", "32",
                          "--batch-by", grouping, "--seed", "7", "--threads", "1", "--quiet", "--json", "--force"]
            let r2 = try mpi(2, ["fit", Self.data, "--out", two] + common)
            XCTAssertEqual(r2.status, 0, r2.stderr)
            let r1 = try CLIRunner.run(["fit", Self.data, "--out", one] + common)
            XCTAssertEqual(r1.status, 0, r1.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: two + ".checkpoint.h5"))
            let d = try maxParameterDifference(one, two)
            let threads2 = Self.dir + "/cnn1t2-\(grouping).h5"
            let t2 = try CLIRunner.run(["fit", Self.data, "--out", threads2] + common.map { $0 == "1" ? "2" : $0 })
            XCTAssertEqual(t2.status, 0, t2.stderr)
            let dThreads = try maxParameterDifference(one, threads2)
            let sc1 = try CLIRunner.run(["score", one, Self.data, "--json", "--eval-split", "test"])
            let sc2 = try CLIRunner.run(["score", two, Self.data, "--json", "--eval-split", "test"])
            func ll(_ r: CLIResult) throws -> Double {
                let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
                return (o["ll_per_trial"] as! [String: Any])["mean"] as! Double
            }
            let dll = abs(try ll(sc1) - ll(sc2))
            print("CNN --batch-by \(grouping), 2 ranks vs 1 process after 2 epochs: max |Δ parameter| = \(d), |Δ test LL/trial| = \(dll); 1 vs 2 threads in one process: max |Δ parameter| = \(dThreads)")
            // Tolerance on any parameter: twice the largest difference measured on the development
            // machine (stimulus: 0.0077 for 2 ranks, 0.0040 for 2 threads; trial: 0.0194 and 0.0149;
            // the same in two sessions, 18:19 UTC 2026-12-03). The numbers are reproducible on one
            // machine but depend on the OpenBLAS kernels and thread split it picks, hence the factor 2.
            // Not zero: 2 ranks or 2 threads sum the same float32 products in another order
            // (relative differences ~1e-7), and Adam divides each step by √v, so for near-zero
            // gradients a rounding-sized difference becomes a step of order the learning rate
            // (5e-3) — over the 2 epochs' steps some parameters drift apart by a few of those.
            // The 2-rank and 2-thread differences are of the same size, so MPI adds no error of its own.
            let tolerance = grouping == "stimulus" ? 0.016 : 0.04
            XCTAssertLessThanOrEqual(d, tolerance)
            XCTAssertLessThanOrEqual(dThreads, tolerance)
            XCTAssertLessThanOrEqual(dll, 1e-3)   // 1e-3 nats on the test LL per trial (measured 4e-5, 1.3e-4)
            XCTAssertEqual((try config(two)["execution"] as? [String: Any])?["ranks"] as? Int, 2)
        }
    }

    /// `--activation-l1` across ranks: each rank's share is divided by the whole batch's image count
    /// and the shares are summed, so 2 ranks match 1 process to the same float tolerance as above.
    func testActivationL1UnderTwoRanksMatchesOneProcess() throws {
        let one = Self.dir + "/act1.h5", two = Self.dir + "/act2.h5", off = Self.dir + "/act0.h5"
        let common = ["--arch", "custom", "--kernels", "5,3", "--channels", "4", "--epochs", "2", "--batch", "32",
                      "--seed", "7", "--threads", "1", "--quiet", "--json", "--force"]
        let r2 = try mpi(2, ["fit", Self.data, "--out", two, "--activation-l1", "0.05"] + common)
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let r1 = try CLIRunner.run(["fit", Self.data, "--out", one, "--activation-l1", "0.05"] + common)
        XCTAssertEqual(r1.status, 0, r1.stderr)
        let r0 = try CLIRunner.run(["fit", Self.data, "--out", off] + common)
        XCTAssertEqual(r0.status, 0, r0.stderr)
        let d = try maxParameterDifference(one, two), dOff = try maxParameterDifference(one, off)
        print("--activation-l1 0.05, 2 ranks vs 1 process: max |Δ parameter| = \(d); with vs without the penalty in one process: \(dOff)")
        XCTAssertLessThanOrEqual(d, 0.05)
        XCTAssertGreaterThan(dOff, 5 * max(d, 1e-6), "the penalty must change the fit more than the ranks do")
    }

    /// kill -9 of one rank after the first checkpoint: mpirun ends the job naming the rank, no model
    /// file, the checkpoint intact; `--resume` under 2 ranks gives exactly the uninterrupted 2-rank
    /// model, and in one process the same model to the float tolerance above.
    func testKilledRankThenResumeFinishesToTheUninterruptedModel() throws {
        guard let bin = CLIRunner.binary else { throw XCTSkip(CLIRunner.skipReason) }
        guard Self.mpirun != nil else {
            print("skipping: mpirun not found on PATH (`make test-mpi` installs Open MPI)")
            throw XCTSkip("mpirun not found on PATH")
        }
        let data = Self.dir + "/kill.h5"
        XCTAssertEqual(try CLIRunner.run(["simulate", "--out", data, "--cells", "simple:5,complex:5", "--stimuli", "800",
                                          "--size", "20", "--repeats", "2", "--seed", "9", "--quiet", "--force"]).status, 0)
        let common = ["--arch", "custom", "--kernels", "7,5", "--channels", "8", "--epochs", "30", "--patience", "100",
                      "--seed", "3", "--threads", "1", "--quiet"]
        let full = Self.dir + "/kill-full.h5", killed = Self.dir + "/kill-run.h5"
        XCTAssertEqual(try mpi(2, ["fit", data, "--out", full, "--force"] + common).status, 0)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.mpirun!)
        p.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "2", bin, "fit", data, "--out", killed, "--force"] + common
        let err = Pipe(); p.standardError = err; p.standardOutput = FileHandle.nullDevice
        try p.run()
        let checkpoint = killed + ".checkpoint.h5"
        var waited = 0.0
        while !FileManager.default.fileExists(atPath: checkpoint) && p.isRunning && waited < 120 { usleep(50_000); waited += 0.05 }
        guard p.isRunning else { throw XCTSkip("the fit finished before a rank could be killed (machine too fast for this test)") }
        usleep(100_000)   // into the second epoch: 30 epochs leave seconds to find and kill a rank
        // The ranks are mpirun's descendants running the binary (direct children, or under a
        // launcher daemon, depending on the Open MPI version); kill the last one.
        func parent(_ pid: Int32) -> Int32? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 ? Int32(fields[1]) : nil
        }
        func isRank(_ pid: Int32) -> Bool {
            guard let cmd = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")),
                  let first = cmd.split(separator: 0).first, String(decoding: first, as: UTF8.self) == bin else { return false }
            var q = pid
            for _ in 0..<8 { guard let up = parent(q), up > 1 else { return false }; if up == p.processIdentifier { return true }; q = up }
            return false
        }
        var children: [Int32] = []
        for _ in 0..<100 where children.count < 2 {
            children = (try FileManager.default.contentsOfDirectory(atPath: "/proc")).compactMap { Int32($0) }.filter(isRank).sorted()
            if children.count < 2 { usleep(50_000) }
        }
        XCTAssertEqual(children.count, 2, "ranks of mpirun: \(children)")
        guard let victim = children.last else { p.terminate(); p.waitUntilExit(); return }
        kill(victim, SIGKILL)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertNotEqual(p.terminationStatus, 0)
        XCTAssertTrue(message.contains("rank") && message.contains("signal 9"), message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed), "a killed job must not leave a model file")
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint))
        let saved = try Data(contentsOf: URL(fileURLWithPath: checkpoint))

        let resumed = try mpi(2, ["fit", data, "--out", killed, "--resume"] + common)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let dMPI = try maxParameterDifference(full, killed)
        let alone = Self.dir + "/kill-alone.h5"
        try saved.write(to: URL(fileURLWithPath: alone + ".checkpoint.h5"))
        let r1 = try CLIRunner.run(["fit", data, "--out", alone, "--resume"] + common)
        XCTAssertEqual(r1.status, 0, r1.stderr)
        let dAlone = try maxParameterDifference(full, alone)
        print("killed rank 1, resumed: under 2 ranks max |Δ| = \(dMPI) from the uninterrupted 2-rank fit; in one process \(dAlone)")
        XCTAssertEqual(dMPI, 0)
        XCTAssertLessThanOrEqual(dAlone, 0.05)
    }

    /// Lines a command printed as its refusal: ours start with `Error:` (one process, or every rank
    /// failed alike) or `receptive:` (one rank's failure); Open MPI's notices start otherwise.
    func refusals(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") || $0.hasPrefix("receptive:") }
    }

    /// A copy of `source` at `path` whose first trial holds NaN in the response `columns`: a bad
    /// value that only the ranks reading those columns meet.
    func copy(_ source: String, to path: String, nanIn columns: [Int]) throws {
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: source, toPath: path)
        let f = try HDF5File.open(path, writable: true)
        var row = try f.readFloats("/responses", rows: 0..<1).values
        for c in columns { row[c] = .nan }
        try f.writeRows("/responses", rows: 0..<1, floats: row)
        f.close()
    }

    /// Failures every rank meets alike in its input phase — a missing data file, a missing model
    /// file, a malformed option value (at parsing, and one found after start-up), data of the wrong
    /// shape — print exactly the one line one process prints (`Error: …`, from rank 0 only; before
    /// the agreement point each of R ranks printed its own line) under 2 and 3 ranks, exit non-zero
    /// with one process's status, and write nothing.
    func testFailureEveryRankMeetsIsPrintedOnce() throws {
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.data) || CLIRunner.binary == nil, "simulate failed")
        let model = Self.dir + "/once-glm.h5"
        let fit = try CLIRunner.run(["fit", Self.data, "--out", model, "--model", "glm", "--ridge-grid", "10", "--threads", "1", "--quiet", "--force"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let other = Self.dir + "/once-5units.h5"   // 5 units where the model predicts 7
        let sim = try CLIRunner.run(["simulate", "--out", other, "--cells", "simple:5", "--stimuli", "60", "--size", "12",
                                     "--repeats", "2", "--seed", "2", "--quiet", "--force"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let out = Self.dir + "/never-once.h5"
        let missing = Self.dir + "/missing.h5"
        let cases: [(String, [String], String)] = [
            ("missing data file (fit)", ["fit", missing, "--out", out, "--model", "glm", "--quiet"], "missing.h5"),
            ("missing data file (ridge fit)", ["fit", missing, "--out", out, "--model", "ridge", "--features", "pixels", "--quiet"], "missing.h5"),
            ("missing data file (predict)", ["predict", model, missing, "--out", out, "--threads", "1"], "missing.h5"),
            ("missing model file (score)", ["score", missing, Self.data, "--threads", "1"], "missing.h5"),
            ("missing model file (predict)", ["predict", missing, Self.data, "--out", out, "--threads", "1"], "missing.h5"),
            ("malformed option value (parsing)", ["fit", Self.data, "--out", out, "--model", "glm", "--ridge-grid", "1,x"], "--ridge-grid"),
            ("malformed option value (after start-up)", ["fit", Self.data, "--out", out, "--model", "glm", "--ridge-grid=-1", "--quiet"], "--ridge-grid"),
            ("impossible option value (after start-up)", ["fit", Self.data, "--out", out, "--model", "ridge", "--features", "pixels", "--folds", "1", "--quiet"], "--folds"),
            ("wrong shape (score)", ["score", model, other, "--threads", "1"], "5 units"),
            ("wrong shape (predict)", ["predict", model, other, "--out", out, "--threads", "1"], "5 units"),
        ]
        for (name, args, names) in cases {
            let one = try CLIRunner.run(args)
            let oneLines = refusals(one.stderr)
            XCTAssertNotEqual(one.status, 0, name)
            XCTAssertEqual(oneLines.count, 1, "\(name), one process: \(one.stderr)")
            XCTAssertTrue(oneLines.first?.hasPrefix("Error: ") == true && oneLines.first?.contains(names) == true, "\(name): \(one.stderr)")
            for ranks in [2, 3] {
                let r = try mpi(ranks, args)
                let lines = refusals(r.stderr)
                print("\(name), \(ranks) ranks: status \(r.status) (one process \(one.status)), \(lines.count) line: \(lines.first ?? "")")
                XCTAssertNotEqual(r.status, 0, "\(name) under \(ranks) ranks")
                XCTAssertEqual(r.status, one.status, "\(name) under \(ranks) ranks: exit status")
                XCTAssertEqual(lines, oneLines, "\(name) under \(ranks) ranks: \(r.stderr)")
                XCTAssertEqual(r.stdout, "", name)
                XCTAssertFalse(FileManager.default.fileExists(atPath: out), name)
            }
        }
    }

    /// Failures of some ranks only (their share of the response columns): the lowest failing rank
    /// prints its one line, naming itself; every rank ends with its status. NaNs in columns 4 and 7
    /// of 8 under 3 ranks (shares 0..<3, 3..<6, 6..<8): ranks 1 and 2 fail with different
    /// positions, rank 1 alone reports; NaN in column 7 only: rank 2 reports.
    func testLowestFailingRankReportsOnce() throws {
        let vox = Self.dir + "/once-nan.h5"
        let sim = try CLIRunner.run(["simulate", "--out", vox, "--cells", "voxels:8", "--stimuli", "120", "--size", "12",
                                     "--seed", "4", "--quiet", "--force"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let out = Self.dir + "/never-once-nan.h5"
        for (columns, rank) in [([4, 7], 1), ([7], 2)] {
            let bad = Self.dir + "/once-nan-\(rank).h5"
            try copy(vox, to: bad, nanIn: columns)
            let r = try mpi(3, ["fit", bad, "--out", out, "--model", "glm", "--ridge-grid", "1", "--threads", "1", "--quiet"])
            let lines = refusals(r.stderr)
            print("NaN in columns \(columns) under 3 ranks: status \(r.status), \(lines)")
            XCTAssertNotEqual(r.status, 0)
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(lines.first?.hasPrefix("receptive: rank \(rank) of 3: ") == true && lines.first?.contains("non-finite") == true, r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }

    /// Every dataset under /ridge of two ridge model files: the largest absolute difference.
    func maxRidgeDifference(_ a: String, _ b: String) throws -> [String: Double] {
        let fa = try HDF5File.open(a), fb = try HDF5File.open(b)
        var out: [String: Double] = [:]
        for name in fa.children(of: "/ridge") where name != "feature_names" {
            let x = try fa.readDoubles("/ridge/\(name)"), y = try fb.readDoubles("/ridge/\(name)")
            XCTAssertEqual(x.shape, y.shape, name)
            out[name] = zip(x.values, y.values).map { abs($0 - $1) }.max() ?? 0
        }
        XCTAssertEqual(try fa.readStrings("/ridge/feature_names"), try fb.readStrings("/ridge/feature_names"))
        return out
    }

    /// Ridge per target under 2 ranks: targets split in whole batches of --target-batch, each rank
    /// reading only its response columns; weights, α, CV MSE, banded γ equal one process to 1e-10
    /// (measured 0: the same batches are solved the same way). Primal (gabor, 40 features < 320
    /// rows), banded (pixels + gabor, 144 + 792 features, dual form, weights stored) and dual
    /// storage (gabor, 792 features: each rank's dual-coefficient columns gathered).
    /// With the default --target-batch (one batch of 40 targets) rank 1 has none: still equal, with a note.
    func testRidgeUnderTwoRanksEqualsOneProcess() throws {
        let vox = Self.dir + "/vox.h5"
        let sim = try CLIRunner.run(["simulate", "--out", vox, "--cells", "voxels:40", "--stimuli", "400", "--size", "12",
                                     "--test-repeats", "2", "--seed", "3", "--quiet", "--force"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let cases: [(String, [String])] = [
            ("primal", ["--features", "gabor", "--gabor-size", "12", "--gabor-frequencies", "2,4", "--target-batch", "8"]),
            ("banded", ["--features", "pixels", "--features", "gabor", "--gabor-size", "12", "--gabor-frequencies", "2,3,4,6",
                        "--gabor-spacing", "1.5", "--banded-samples", "5", "--target-batch", "8"]),
            ("one-batch", ["--features", "pixels"]),
            ("dual", ["--features", "gabor", "--gabor-size", "12", "--gabor-frequencies", "2,3,4,6", "--gabor-spacing", "1.5",
                      "--target-batch", "8"]),
        ]
        for (name, extra) in cases {
            let one = Self.dir + "/ridge1-\(name).h5", two = Self.dir + "/ridge2-\(name).h5"
            let common = ["--model", "ridge", "--threads", "1", "--json", "--force"] + extra
            let r2 = try mpi(2, ["fit", vox, "--out", two] + common)
            XCTAssertEqual(r2.status, 0, r2.stderr)
            let r1 = try CLIRunner.run(["fit", vox, "--out", one, "--quiet"] + common)
            XCTAssertEqual(r1.status, 0, r1.stderr)
            let s2 = try JSONSerialization.jsonObject(with: Data(r2.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(s2["ranks"] as? Int, 2, "\(s2)")
            XCTAssertGreaterThan(s2["communicated_bytes"] as? Int ?? 0, 0)
            XCTAssertEqual((try config(two)["execution"] as? [String: Any])?["ranks"] as? Int, 2)
            XCTAssertEqual((try config(one)["data"] as? NSDictionary), (try config(two)["data"] as? NSDictionary))
            let d = try maxRidgeDifference(one, two)
            print("ridge \(name), 2 ranks vs 1 process: max |Δ| \(d.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); \(s2["communicated_bytes"] ?? 0) bytes from rank 0")
            XCTAssertEqual(d.count, name == "banded" || name == "dual" ? 7 : 6, "\(d)")
            if name == "dual" { XCTAssertNotNil(d["dual_coefficients"], "\(d)"); XCTAssertNil(d["weights"], "\(d)") }
            for (k, v) in d { XCTAssertLessThanOrEqual(v, 1e-10, "\(name) \(k)") }
            if name == "one-batch" { XCTAssertTrue(r2.stderr.contains("ranks have none"), r2.stderr) }
        }
        // score and predict of a ridge model: stimuli split in blocks of 256 (the 320 training and all 400 stimuli: 2 blocks),
        // the same JSON (banded R² split included) and the same predictions, bit for bit.
        let model = Self.dir + "/ridge1-banded.h5"
        for extra in [["--eval-split", "test"], ["--eval-split", "train"]] {
            let sc1 = try CLIRunner.run(["score", model, vox, "--json", "--threads", "1"] + extra)
            let sc2 = try mpi(2, ["score", model, vox, "--json", "--threads", "1"] + extra)
            XCTAssertEqual(sc1.status, 0, sc1.stderr); XCTAssertEqual(sc2.status, 0, sc2.stderr)
            XCTAssertEqual(sc1.stdout, sc2.stdout, "ridge score under 2 ranks differs (\(extra))")
            XCTAssertTrue(sc1.stdout.contains("space_r2"))
        }
        let p1 = Self.dir + "/ridge-rates1.h5", p2 = Self.dir + "/ridge-rates2.h5"
        let pr1 = try CLIRunner.run(["predict", model, vox, "--out", p1, "--force", "--threads", "1"])
        XCTAssertEqual(pr1.status, 0, pr1.stderr)
        let pr2 = try mpi(2, ["predict", model, vox, "--out", p2, "--force", "--threads", "1"])
        XCTAssertEqual(pr2.status, 0, pr2.stderr)
        let a = try HDF5File.open(p1).readFloats("/rates"), b = try HDF5File.open(p2).readFloats("/rates")
        XCTAssertEqual(a.shape, [400, 40])
        XCTAssertEqual(a.values, b.values)
        print("ridge predict 2 ranks vs 1: \(a.values.count) predictions, max |Δ| = \(zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0)")
    }

    /// Time series (/runs, --delays 0,1,2) with banded ridge over two spaces under 2 ranks: the
    /// model equals one process (max |Δ| = 0, tolerance 1e-10) and `score` prints the same JSON
    /// (a time-series model is scored whole on every rank).
    func testBandedTimeSeriesRidgeUnderTwoRanksEqualsOneProcess() throws {
        var rng = SeededRandom(seed: 6)
        let n = 300, u = 6, perRun = 60
        let stim = (0..<(n * 16)).map { _ in Float(rng.normal()) }
        var resp = (0..<(n * u)).map { _ in Float(rng.normal()) }
        for t in 1..<n where t % perRun != 0 { for j in 0..<u { resp[t * u + j] += stim[(t - 1) * 16 + j % 2] } }
        let ts = Self.dir + "/ts.h5"
        try? FileManager.default.removeItem(atPath: ts)
        let f = try HDF5File.create(ts)
        try f.write("/stimuli", floats: stim, shape: [n, 4, 4])
        try f.write("/responses", floats: resp, shape: [n, u])
        try f.write("/split", uint8s: (0..<n).map { $0 < 4 * perRun ? 0 : 2 }, shape: [n])
        try f.write("/runs", int64s: (0..<n).map { $0 / perRun }, shape: [n])
        try f.setAttribute("modality", string: "fmri")
        f.close()
        let one = Self.dir + "/ts1.h5", two = Self.dir + "/ts2.h5"
        let common = ["--model", "ridge", "--features", "pixels", "--features", "pixels:2", "--delays", "0,1,2", "--folds", "4",
                      "--banded-samples", "4", "--target-batch", "2", "--threads", "1", "--quiet", "--force"]
        let r2 = try mpi(2, ["fit", ts, "--out", two] + common)
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let r1 = try CLIRunner.run(["fit", ts, "--out", one] + common)
        XCTAssertEqual(r1.status, 0, r1.stderr)
        let d = try maxRidgeDifference(one, two)
        print("banded time-series ridge, 2 ranks vs 1 process: max |Δ| \(d.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        XCTAssertEqual(d.count, 7, "\(d)")
        for (k, v) in d { XCTAssertLessThanOrEqual(v, 1e-10, k) }
        let sc1 = try CLIRunner.run(["score", one, ts, "--json", "--threads", "1"])
        let sc2 = try mpi(2, ["score", one, ts, "--json", "--threads", "1"])
        XCTAssertEqual(sc1.status, 0, sc1.stderr); XCTAssertEqual(sc2.status, 0, sc2.stderr)
        XCTAssertEqual(sc1.stdout, sc2.stdout)
    }

    /// A rank whose response columns hold a NaN (rank 1's share only: rank 0 never reads it) stops
    /// the whole ridge job with one message naming the rank, the file and the position; no model file.
    func testRidgeRankWithBadColumnsStopsTheJob() throws {
        let clean = Self.dir + "/vox-clean.h5", cleanModel = Self.dir + "/vox-clean-ridge.h5", vox = Self.dir + "/vox-nan.h5"
        let sim = try CLIRunner.run(["simulate", "--out", clean, "--cells", "voxels:8", "--stimuli", "200", "--size", "12",
                                     "--seed", "4", "--quiet", "--force"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let fit = try CLIRunner.run(["fit", clean, "--out", cleanModel, "--model", "ridge", "--features", "pixels", "--quiet", "--force"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        try copy(clean, to: vox, nanIn: [7])
        let out = Self.dir + "/never-ridge.h5"
        let r = try mpi(2, ["fit", vox, "--out", out, "--model", "ridge", "--features", "pixels", "--target-batch", "4", "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        let ours = refusals(r.stderr)
        XCTAssertEqual(ours.count, 1, r.stderr)
        XCTAssertTrue(ours.first?.contains("rank 1 of 2") == true && ours.first?.contains("vox-nan.h5") == true && ours.first?.contains("non-finite") == true, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        // predict reads one share of the columns per rank (4 and 4 here): only rank 1 meets the NaN.
        let rates = Self.dir + "/never-ridge-rates.h5"
        let p = try mpi(2, ["predict", cleanModel, vox, "--out", rates, "--threads", "1"])
        XCTAssertNotEqual(p.status, 0)
        let lines = refusals(p.stderr)
        XCTAssertEqual(lines.count, 1, p.stderr)
        XCTAssertTrue(lines.first?.contains("rank 1 of 2") == true && lines.first?.contains("non-finite") == true, p.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: rates))
    }

    /// The largest absolute difference between the numbers of two JSON documents of the same
    /// structure (nil when the structure, a string or a null differs).
    func maxJSONDifference(_ a: String, _ b: String) throws -> Double? {
        func walk(_ x: Any, _ y: Any) -> Double? {
            if let x = x as? [String: Any], let y = y as? [String: Any] {
                guard Set(x.keys) == Set(y.keys) else { return nil }
                var worst = 0.0
                for (k, v) in x { guard let d = walk(v, y[k]!) else { return nil }; worst = max(worst, d) }
                return worst
            }
            if let x = x as? [Any], let y = y as? [Any] {
                guard x.count == y.count else { return nil }
                var worst = 0.0
                for (u, v) in zip(x, y) { guard let d = walk(u, v) else { return nil }; worst = max(worst, d) }
                return worst
            }
            if x is NSNull || y is NSNull { return (x is NSNull && y is NSNull) ? 0 : nil }
            if let x = x as? String, let y = y as? String { return x == y ? 0 : nil }
            if let x = x as? NSNumber, let y = y as? NSNumber { return abs(x.doubleValue - y.doubleValue) }
            return nil
        }
        return walk(try JSONSerialization.jsonObject(with: Data(a.utf8)), try JSONSerialization.jsonObject(with: Data(b.utf8)))
    }

    /// `score` of a ridge model under 2 and 3 ranks splits the targets (blocks of 64: 150 voxels are
    /// 128 + 22 on 2 ranks, 64 + 64 + 22 on 3), each rank scoring its columns, and prints the
    /// one-process report: banded (R² split by space) and primal, test and train split, JSON and
    /// the per-target table. Tolerance 0: each rank takes the same matrix products as one process
    /// (blocks of 64 targets from target 0) and the summaries are computed on rank 0 from the
    /// gathered per-target values.
    func testRidgeScoreSplitsTargetsUnderTwoAndThreeRanks() throws {
        let vox = Self.dir + "/vox150.h5"
        let sim = try CLIRunner.run(["simulate", "--out", vox, "--cells", "voxels:150", "--stimuli", "400", "--size", "12",
                                     "--test-repeats", "2", "--seed", "3", "--quiet", "--force"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let models: [(String, [String])] = [
            ("banded", ["--features", "pixels", "--features", "gabor", "--gabor-size", "12", "--gabor-frequencies", "2,3,4,6",
                        "--gabor-spacing", "1.5", "--banded-samples", "5"]),
            ("primal", ["--features", "gabor", "--gabor-size", "12", "--gabor-frequencies", "2,4"]),
            ("dual", ["--features", "gabor", "--gabor-size", "12", "--gabor-frequencies", "2,3,4,6", "--gabor-spacing", "1.5"]),
        ]
        for (name, extra) in models {
            let model = Self.dir + "/score150-\(name).h5"
            let fit = try CLIRunner.run(["fit", vox, "--out", model, "--model", "ridge", "--threads", "1", "--quiet", "--force"] + extra)
            XCTAssertEqual(fit.status, 0, fit.stderr)
            for options in [["--json", "--eval-split", "test"], ["--json", "--eval-split", "train"], ["--per-unit"]] {
                let one = try CLIRunner.run(["score", model, vox, "--threads", "1"] + options)
                XCTAssertEqual(one.status, 0, one.stderr)
                if options[0] == "--json" {
                    let report = try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any]
                    XCTAssertEqual(report?["units"] as? Int, 150, String(one.stdout.prefix(300)))
                    if name == "banded" { XCTAssertTrue(one.stdout.contains("space_r2")) }
                }
                for ranks in [2, 3] {
                    let r = try mpi(ranks, ["score", model, vox, "--threads", "1"] + options)
                    XCTAssertEqual(r.status, 0, r.stderr)
                    if options[0] == "--json" {
                        let d = try maxJSONDifference(one.stdout, r.stdout)
                        print("ridge score \(name) \(options.joined(separator: " ")), \(ranks) ranks vs 1 process: max |Δ| = \(d.map { "\($0)" } ?? "structure differs")")
                        XCTAssertEqual(d, 0, "\(name) \(options) under \(ranks) ranks")
                    }
                    XCTAssertEqual(one.stdout, r.stdout, "ridge score \(name) \(options) under \(ranks) ranks differs")
                }
            }
        }
    }

    /// `score` of a ridge model reads one share of the response columns per rank: a NaN in column
    /// 99 of 100 (rank 1's share, 64..<100) stops the job from rank 1 only, one in column 0 from
    /// rank 0 only. Fails with the binary that read every column on every rank (both ranks reported).
    func testRidgeScoreRankReadsOnlyItsColumns() throws {
        let vox = Self.dir + "/vox100.h5"
        let sim = try CLIRunner.run(["simulate", "--out", vox, "--cells", "voxels:100", "--stimuli", "200", "--size", "12",
                                     "--test-repeats", "2", "--seed", "4", "--quiet", "--force"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let model = Self.dir + "/vox100-ridge.h5"
        let fit = try CLIRunner.run(["fit", vox, "--out", model, "--model", "ridge", "--features", "pixels", "--quiet", "--force"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        for (column, rank) in [(99, 1), (0, 0)] {
            let bad = Self.dir + "/vox100-nan\(column).h5"
            try copy(vox, to: bad, nanIn: [column])
            let r = try mpi(2, ["score", model, bad, "--json", "--threads", "1"])
            XCTAssertNotEqual(r.status, 0)
            let ours = refusals(r.stderr)
            XCTAssertEqual(ours.count, 1, r.stderr)
            XCTAssertTrue(ours.first?.contains("rank \(rank) of 2") == true && ours.first?.contains("non-finite") == true
                          && ours.first?.contains("vox100-nan\(column).h5") == true, r.stderr)
            XCTAssertEqual(r.stdout, "", "no report from a failed job")
        }
    }

    /// `score` of a time-series ridge model (/runs, --delays 0,1,2; banded over two spaces and one
    /// penalty) with 100 targets under 2 ranks (64 + 36) and 3 ranks (64 + 36 + none): each rank
    /// builds the delayed design of every trial and predicts its targets; the JSON equals one
    /// process's byte for byte (max |Δ| = 0).
    func testTimeSeriesRidgeScoreSplitsTargets() throws {
        var rng = SeededRandom(seed: 6)
        let n = 300, u = 100, perRun = 60
        let stim = (0..<(n * 16)).map { _ in Float(rng.normal()) }
        var resp = (0..<(n * u)).map { _ in Float(rng.normal()) }
        for t in 1..<n where t % perRun != 0 { for j in 0..<u { resp[t * u + j] += stim[(t - 1) * 16 + j % 2] } }
        let ts = Self.dir + "/ts100.h5"
        try? FileManager.default.removeItem(atPath: ts)
        let f = try HDF5File.create(ts)
        try f.write("/stimuli", floats: stim, shape: [n, 4, 4])
        try f.write("/responses", floats: resp, shape: [n, u])
        try f.write("/split", uint8s: (0..<n).map { $0 < 4 * perRun ? 0 : 2 }, shape: [n])
        try f.write("/runs", int64s: (0..<n).map { $0 / perRun }, shape: [n])
        try f.setAttribute("modality", string: "fmri")
        f.close()
        for (name, extra) in [("banded", ["--features", "pixels", "--features", "pixels:2", "--banded-samples", "4"]), ("one", ["--features", "pixels"])] {
            let model = Self.dir + "/ts100-\(name).h5"
            let fit = try CLIRunner.run(["fit", ts, "--out", model, "--model", "ridge", "--delays", "0,1,2", "--folds", "4",
                                         "--threads", "1", "--quiet", "--force"] + extra)
            XCTAssertEqual(fit.status, 0, fit.stderr)
            let one = try CLIRunner.run(["score", model, ts, "--json", "--threads", "1"])
            XCTAssertEqual(one.status, 0, one.stderr)
            for ranks in [2, 3] {
                let r = try mpi(ranks, ["score", model, ts, "--json", "--threads", "1"])
                XCTAssertEqual(r.status, 0, r.stderr)
                let d = try maxJSONDifference(one.stdout, r.stdout)
                print("time-series ridge score \(name), \(ranks) ranks vs 1 process: max |Δ| = \(d.map { "\($0)" } ?? "structure differs")")
                XCTAssertEqual(d, 0)
                XCTAssertEqual(one.stdout, r.stdout)
            }
        }
    }
}

private final class Box: @unchecked Sendable { var data = Data() }
