import XCTest
import Foundation
import Tensors
import TestSupport

/// End-to-end tests of fit / score / predict through the built binary on a small simulated file.
final class FitScoreCLITests: XCTestCase {
    static var dir = ""
    static var data = ""

    override class func setUp() {
        dir = TestPaths.temporaryDirectory("fitcli")
        data = dir + "/sim.h5"
        _ = try? CLIRunner.run(["simulate", "--out", data, "--cells", "simple:3,complex:3", "--stimuli", "400",
                                "--size", "16", "--repeats", "2", "--seed", "3", "--quiet"])
    }

    func requireBinary() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.data), "simulate failed")
    }

    func testFitScorePredictRoundTrip() throws {
        try requireBinary()
        let model = Self.dir + "/m.h5"
        let r = try CLIRunner.run(["fit", Self.data, "--out", model, "--arch", "custom", "--kernels", "5,3", "--channels", "4",
                                   "--epochs", "3", "--quiet", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\"best_epoch\""), r.stdout)
        XCTAssertEqual(r.stderr, "", "--quiet must silence progress")
        let s = try CLIRunner.run(["score", model, Self.data, "--json"])
        XCTAssertEqual(s.status, 0, s.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as! [String: Any]
        for key in ["ll_per_trial", "bits_per_spike", "pseudo_r2", "corr", "feve", "pit_ks"] {
            let v = obj[key] as? [String: Any]
            XCTAssertNotNil(v?["per_unit"], "missing \(key).per_unit")
            XCTAssertNotNil(v?["mean"], "missing \(key).mean")
        }
        // Refuses to overwrite without --force; the existing file is untouched.
        let before = try Data(contentsOf: URL(fileURLWithPath: model))
        let again = try CLIRunner.run(["fit", Self.data, "--out", model, "--epochs", "1", "--quiet"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("already exists"), again.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), before)

        let rates = Self.dir + "/rates.h5"
        let p = try CLIRunner.run(["predict", model, Self.data, "--out", rates, "--eval-split", "test"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let f = try HDF5File.open(rates)
        XCTAssertEqual(try f.info("/rates").shape[1], 6)
        XCTAssertTrue(try f.readFloats("/rates").values.allSatisfy { $0 > 0 && $0.isFinite })

        // --ground-truth --json: the same keys plus the generating model and the gain per cell type,
        // which must equal Σ_units bits_u·spikes_u of the model over that of the true model.
        let g = try CLIRunner.run(["score", model, Self.data, "--json", "--ground-truth"])
        XCTAssertEqual(g.status, 0, g.stderr)
        let gobj = try JSONSerialization.jsonObject(with: Data(g.stdout.utf8)) as! [String: Any]
        XCTAssertNotNil((gobj["bits_per_spike"] as? [String: Any])?["per_unit"])
        let truth = gobj["true_model"] as! [String: Any]
        let gains = gobj["fraction_of_achievable_gain"] as! [String: Double]
        XCTAssertEqual(Set(gains.keys), ["simple", "complex"])
        let modelLL = (gobj["ll_per_trial"] as! [String: Any])["mean"] as! Double
        let trueLL = (truth["ll_per_trial"] as! [String: Any])["mean"] as! Double
        XCTAssertGreaterThan(trueLL, modelLL, "the generating model must score better than a 3-epoch fit")
        for (type, v) in gains { XCTAssertTrue(v < 1 && v.isFinite, "\(type): \(v)") }

        // The ratio recomputed here from the per-unit bits/spike of the model and of the truth and
        // the test spikes read from the file: Σ_u∈type bits_u·n_u / Σ_u∈type bits*_u·n_u.
        let data = try HDF5File.open(Self.data)
        defer { data.close() }
        let responses = try data.readDoubles("/responses").values, index = try data.readInts("/stimulus_index").values
        let split = try data.readInts("/split").values, types = try data.readStrings("/ground_truth/unit_type")
        let u = types.count
        var spikes = [Double](repeating: 0, count: u)
        for (t, s) in index.enumerated() where split[s] == 2 { for j in 0..<u { spikes[j] += responses[t * u + j] } }
        func bits(_ o: [String: Any]) -> [Double] { ((o["bits_per_spike"] as! [String: Any])["per_unit"] as! [Any]).map { ($0 as? Double) ?? .nan } }
        let modelBits = bits(gobj), trueBits = bits(truth)
        for type in Set(types) {
            let units = types.indices.filter { types[$0] == type }
            let expected = units.reduce(0.0) { $0 + modelBits[$1] * spikes[$1] } / units.reduce(0.0) { $0 + trueBits[$1] * spikes[$1] }
            print("gain \(type): reported \(gains[type]!), recomputed \(expected), |Δ| \(abs(gains[type]! - expected))")
            XCTAssertEqual(gains[type]!, expected, accuracy: 1e-9 * max(1, abs(expected)), type)
        }
    }

    func testSameSeedSameModel() throws {
        try requireBinary()
        var outputs: [Data] = []
        for k in 0..<2 {
            let model = Self.dir + "/seed\(k).h5"
            let r = try CLIRunner.run(["fit", Self.data, "--out", model, "--arch", "custom", "--kernels", "3", "--channels", "3",
                                       "--epochs", "2", "--quiet", "--seed", "11"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let f = try HDF5File.open(model)
            outputs.append(Data(bytes: try f.readFloats("/params/conv1/weight").values, count: 4 * 27)
                           + Data(bytes: try f.readFloats("/params/readout/mask").values, count: 4 * 6 * 256))
        }
        XCTAssertEqual(outputs[0], outputs[1], "same seed must give the same model")
    }

    /// Kill the process mid-training (SIGKILL after the first checkpoint), resume, and compare with
    /// an uninterrupted run: the final test scores must be identical.
    func testResumeAfterKillMatchesUninterruptedRun() throws {
        try requireBinary()
        let args = ["--arch", "custom", "--kernels", "5,3", "--channels", "4", "--epochs", "6", "--patience", "20", "--seed", "5", "--quiet"]
        let full = Self.dir + "/full.h5"
        XCTAssertEqual(try CLIRunner.run(["fit", Self.data, "--out", full] + args).status, 0)

        let killed = Self.dir + "/killed.h5"
        let checkpoint = killed + ".checkpoint.h5"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIRunner.binary!)
        p.arguments = ["fit", Self.data, "--out", killed] + args
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(300)
        while !FileManager.default.fileExists(atPath: checkpoint) && p.isRunning && Date() < deadline { usleep(20_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint), "no checkpoint was written before the kill")
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed), "the killed run must not leave a model file")
        let resumed = try CLIRunner.run(["fit", Self.data, "--out", killed, "--resume"] + args)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let a = try CLIRunner.run(["score", full, Self.data, "--json"]).stdout
        let b = try CLIRunner.run(["score", killed, Self.data, "--json"]).stdout
        XCTAssertFalse(a.isEmpty)
        XCTAssertEqual(a, b, "resumed run differs from the uninterrupted one")
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint), "the checkpoint is removed after success")
    }

    func testBadOptionsAreOneLineErrors() throws {
        try requireBinary()
        let cases: [([String], String)] = [
            (["fit", Self.data, "--out", Self.dir + "/x.h5", "--lr", "-1"], "--lr"),
            (["fit", Self.data, "--out", Self.dir + "/x.h5", "--epochs", "0"], "--epochs"),
            (["fit", Self.data, "--out", Self.dir + "/x.h5", "--arch", "custom", "--kernels", "40"], "--kernels"),
            (["fit", Self.data, "--out", Self.dir + "/x.h5", "--arch", "custom"], "--kernels"),
            (["fit", Self.data, "--out", Self.dir + "/no/such/dir/x.h5"], "does not exist"),
            (["fit", Self.dir + "/missing.h5", "--out", Self.dir + "/x.h5"], "no such file"),
            (["fit", Self.data, "--out", Self.dir + "/x.h5", "--model", "glm", "--observation", "negative-binomial"], "--observation"),
            (["fit", Self.data, "--out", Self.dir + "/x.h5", "--resume"], "--resume"),
            (["score", Self.dir + "/missing.h5", Self.data], "no such file"),
            (["score", Self.data, Self.data], "not a Receptive model file"),
        ]
        for (args, expect) in cases {
            let r = try CLIRunner.run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expect), "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Stack dump"), "\(args) trapped: \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: Self.dir + "/x.h5"), "\(args) wrote output")
        }
    }
}
