import XCTest
import Foundation
import Tensors
import TestSupport

/// fMRI path end to end through the built binary: simulate voxels, gabor features, fit ridge,
/// score (noise ceilings), predict, identify; and the bad inputs of issue 10 — each one line on
/// stderr, non-zero exit, nothing written.
final class RidgeCLITests: XCTestCase {
    static var dir = ""
    static var data = ""

    override class func setUp() {
        dir = TestPaths.temporaryDirectory("ridgecli")
        data = dir + "/vox.h5"
        _ = try? CLIRunner.run(["simulate", "--out", data, "--cells", "voxels:40", "--stimuli", "400", "--size", "16",
                                "--test-repeats", "3", "--seed", "5", "--quiet"])
    }

    func requireBinary() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.data), "simulate failed")
    }

    func json(_ s: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    func testFeaturesFitScorePredictIdentify() throws {
        try requireBinary()
        let feats = Self.dir + "/gabor.h5"
        let f = try CLIRunner.run(["features", "gabor", Self.data, "--out", feats, "--gabor-size", "16", "--gabor-frequencies", "2,3,4,6", "--gabor-spacing", "1.5", "--quiet"])
        XCTAssertEqual(f.status, 0, f.stderr)
        let h = try HDF5File.open(feats)
        let shape = try h.info("/features").shape
        XCTAssertEqual(shape[0], 400)
        XCTAssertEqual(try h.readStrings("/feature_names").count, shape[1])
        XCTAssertEqual(try h.stringAttribute("source"), "gabor")

        let model = Self.dir + "/ridge.h5"
        let fit = try CLIRunner.run(["fit", Self.data, "--model", "ridge", "--features", "file:\(feats):/features",
                                     "--out", model, "--quiet", "--json"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        XCTAssertEqual(try json(fit.stdout)["kind"] as? String, "ridge")
        let s = try CLIRunner.run(["score", model, Self.data, "--json"])
        XCTAssertEqual(s.status, 0, s.stderr)
        let obj = try json(s.stdout)
        for key in ["r2", "corr", "ll_per_stimulus", "ncsnr", "noise_ceiling", "fraction_of_ceiling", "split_half"] {
            XCTAssertNotNil((obj[key] as? [String: Any])?["per_unit"], "missing \(key).per_unit")
        }
        let r2 = try XCTUnwrap((obj["r2"] as? [String: Any])?["mean"] as? Double)
        XCTAssertGreaterThan(r2, 0.05, "ridge on gabor should predict simulated voxels")
        // --ground-truth: the same keys plus the generating model's scores and the fraction of its R².
        let g = try CLIRunner.run(["score", model, Self.data, "--json", "--ground-truth"])
        XCTAssertEqual(g.status, 0, g.stderr)
        let go = try json(g.stdout)
        XCTAssertEqual((go["r2"] as? [String: Any])?["mean"] as? Double, r2)
        let trueR2 = try XCTUnwrap(((go["true_model"] as? [String: Any])?["r2"] as? [String: Any])?["mean"] as? Double)
        let fraction = try XCTUnwrap(go["fraction_of_achievable_r2"] as? Double)
        print("ridge on simulated voxels: R² \(r2), true model \(trueR2), fraction \(fraction)")
        XCTAssertGreaterThan(trueR2, r2)
        XCTAssertEqual(fraction, r2 / trueR2, accuracy: 1e-12)

        let rates = Self.dir + "/pred.h5"
        let p = try CLIRunner.run(["predict", model, Self.data, "--out", rates, "--eval-split", "test"])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertEqual(try HDF5File.open(rates).info("/rates").shape[1], 40)

        let id = try CLIRunner.run(["identify", model, Self.data, "--json", "--set-size", "10"])
        XCTAssertEqual(id.status, 0, id.stderr)
        let io = try json(id.stdout)
        XCTAssertEqual(io["set_size"] as? Int, 10)
        XCTAssertEqual(io["chance"] as? Double, 0.1)
        XCTAssertNotNil(io["curve"] as? [Any])
        let acc = try XCTUnwrap((io["accuracy"] as? [String: Any])?["correlation"] as? Double)
        XCTAssertGreaterThan(acc, 0.2, "identification among 10 should beat chance (0.1) clearly")
    }

    /// More features than training stimuli (256 pixels, 72 training stimuli): the model file
    /// stores the dual coefficients D [n, U] and the standardised training design X [n, F] instead
    /// of the weights (W = Xᵀ D), and `predict` on the training stimuli gives X Xᵀ D + intercept,
    /// recomputed here in double from the file (1e-4 of the largest prediction); score and identify
    /// run on it.
    func testDualStorageModelFile() throws {
        try requireBinary()
        let data = Self.dir + "/vox-small.h5", model = Self.dir + "/ridge-dual.h5", rates = Self.dir + "/ridge-dual-rates.h5"
        let sim = try CLIRunner.run(["simulate", "--out", data, "--cells", "voxels:12", "--stimuli", "100", "--size", "16",
                                     "--test-repeats", "2", "--seed", "7", "--quiet"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let fit = try CLIRunner.run(["fit", data, "--model", "ridge", "--features", "pixels", "--folds", "3", "--out", model, "--quiet", "--json"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        XCTAssertEqual(try json(fit.stdout)["form"] as? String, "dual")
        let f = try HDF5File.open(model)
        XCTAssertFalse(f.exists("/ridge/weights"))
        let dShape = try f.info("/ridge/dual_coefficients").shape, xShape = try f.info("/ridge/training_design").shape
        let n = dShape[0], u = dShape[1], p = xShape[1]
        XCTAssertEqual(u, 12); XCTAssertEqual(xShape[0], n); XCTAssertEqual(p, 256)
        XCTAssertLessThan(n, p)
        let d = try f.readFloats("/ridge/dual_coefficients").values, x = try f.readFloats("/ridge/training_design").values
        let b = try f.readFloats("/ridge/intercept").values
        let pr = try CLIRunner.run(["predict", model, data, "--out", rates, "--eval-split", "train"])
        XCTAssertEqual(pr.status, 0, pr.stderr)
        let got = try HDF5File.open(rates).readFloats("/rates").values
        XCTAssertEqual(got.count, n * u)
        var expected = [Double](repeating: 0, count: n * u)
        for i in 0..<n {
            for j in 0..<n {
                var k = 0.0
                for c in 0..<p { k += Double(x[i * p + c]) * Double(x[j * p + c]) }
                for t in 0..<u { expected[i * u + t] += k * Double(d[j * u + t]) }
            }
            for t in 0..<u { expected[i * u + t] += Double(b[t]) }
        }
        let scale = expected.map { abs($0) }.max() ?? 1
        let diff = zip(got, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
        print("dual-storage ridge: predict on the training stimuli vs X Xᵀ D + b from the file: max |Δ| \(diff) (relative \(diff / scale))")
        XCTAssertLessThanOrEqual(diff / scale, 1e-4)
        for command in [["score", model, data, "--json"], ["identify", model, data, "--json", "--set-size", "5"]] {
            let r = try CLIRunner.run(command)
            XCTAssertEqual(r.status, 0, "\(command[0]): \(r.stderr)")
        }
    }

    /// `layer:MODEL.h5:NAME:P` features of a fitted CNN (channels × P × P columns), ridge on them,
    /// and `identify` on the CNN itself (any model that predicts means).
    func testLayerFeaturesAndIdentifyOnACNN() throws {
        try requireBinary()
        let cnn = Self.dir + "/cnn.h5"
        let fit = try CLIRunner.run(["fit", Self.data, "--out", cnn, "--arch", "custom", "--kernels", "5", "--channels", "3", "--epochs", "2", "--quiet"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let feats = Self.dir + "/layer.h5"
        let f = try CLIRunner.run(["features", "layer:\(cnn):act1:2", Self.data, "--out", feats, "--quiet"])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertEqual(try HDF5File.open(feats).info("/features").shape, [400, 3 * 2 * 2])
        let ridge = Self.dir + "/ridge-layer.h5"
        let r = try CLIRunner.run(["fit", Self.data, "--model", "ridge", "--features", "layer:\(cnn):act1:2", "--features", "pixels:8",
                                   "--out", ridge, "--quiet", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try json(r.stdout)["features"] as? Int, 12 + 64)
        // Two spaces: banded ridge; score splits R² by space.
        XCTAssertEqual(try HDF5File.open(ridge).info("/ridge/space_weights").shape, [2, 40])
        let sc = try CLIRunner.run(["score", ridge, Self.data, "--json"])
        XCTAssertEqual(sc.status, 0, sc.stderr)
        let split = try XCTUnwrap(try json(sc.stdout)["space_r2"] as? [String: Any])
        XCTAssertEqual(Set(split.keys), ["layer:\(cnn):act1:2", "pixels:8"])
        let id = try CLIRunner.run(["identify", cnn, Self.data, "--json"])
        XCTAssertEqual(id.status, 0, id.stderr)
        let io = try json(id.stdout)
        for key in ["accuracy", "chance", "set_size", "curve"] { XCTAssertNotNil(io[key], "identify --json lacks \(key)") }
        let bad = try CLIRunner.run(["features", "layer:\(cnn):conv9", Self.data, "--out", Self.dir + "/never2.h5"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("no layer 'conv9'"), bad.stderr)
    }

    func testBadInputsAreOneLineAndWriteNothing() throws {
        try requireBinary()
        // A feature file whose N differs from the data's, and one with a NaN.
        let short = Self.dir + "/short.h5", nan = Self.dir + "/nan.h5"
        var h = try HDF5File.create(short)
        try h.write("/features", floats: [Float](repeating: 1, count: 10 * 3), shape: [10, 3]); h.close()
        h = try HDF5File.create(nan)
        var v = (0..<(400 * 3)).map { Float($0 % 17) }; v[7] = .nan
        try h.write("/features", floats: v, shape: [400, 3]); h.close()
        let out = Self.dir + "/never.h5"
        let cases: [([String], String)] = [
            (["fit", Self.data, "--model", "ridge", "--features", "file:\(short):/features", "--out", out], "10 rows"),
            (["fit", Self.data, "--model", "ridge", "--features", "file:\(nan):/features", "--out", out], "NaN"),
            (["fit", Self.data, "--model", "ridge", "--out", out], "--features"),
            (["fit", Self.data, "--model", "ridge", "--features", "gabor", "--alphas", "0,1", "--out", out], "--alphas"),
            (["fit", Self.data, "--model", "ridge", "--features", "sift", "--out", out], "unknown feature source"),
            (["fit", Self.data, "--model", "ridge", "--features", "file:\(Self.dir)/absent.h5:/x", "--out", out], "does not exist"),
            (["features", "gabor", Self.data, "--gabor-frequencies", "1,20", "--gabor-size", "16", "--out", out], "Nyquist"),
        ]
        for (args, expect) in cases {
            let r = try CLIRunner.run(args + ["--quiet"])
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(expect), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(args) wrote \(out)")
        }
    }
}

/// A file with only training and test stimuli (issue 10): CNN and GLM fits hold out a seeded 10 %
/// of the training stimuli, say so on stderr and record them in the model file; the same seed
/// gives the same stimuli; --validation-fraction 0 is refused with one line.
final class TrainTestOnlyCLITests: XCTestCase {
    func testHeldOutValidation() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        let dir = TestPaths.temporaryDirectory("traintest")
        let data = dir + "/tt.h5"
        var rng = SeededRandom(seed: 9)
        let n = 120, u = 3
        let stim = (0..<(n * 64)).map { _ in Float(rng.normal()) }
        var resp = [Float](repeating: 0, count: n * u)
        for i in 0..<n { for j in 0..<u { resp[i * u + j] = stim[i * 64 + 9 * (j + 1)] + Float(0.3 * rng.normal()) } }
        let h = try HDF5File.create(data)
        try h.write("/stimuli", floats: stim, shape: [n, 8, 8])
        try h.write("/responses", floats: resp, shape: [n, u])
        try h.write("/split", uint8s: (0..<n).map { $0 < 100 ? 0 : 2 }, shape: [n])
        try h.setAttribute("modality", string: "fmri")
        h.close()
        var held: [[Int]] = []
        for (name, extra) in [("glm", ["--model", "glm"]), ("cnn", ["--arch", "custom", "--kernels", "3", "--channels", "2", "--epochs", "2"])] {
            let out = dir + "/\(name).h5"
            let r = try CLIRunner.run(["fit", data, "--out", out] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("holding out 10 training stimuli"), r.stderr)
            let json = try XCTUnwrap(try HDF5File.open(out).stringAttribute("config"))
            let cfg = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let hv = try XCTUnwrap(cfg["heldOutValidation"] as? [String: Any])
            let stimuli = try XCTUnwrap(hv["stimuli"] as? [Int])
            XCTAssertEqual(stimuli.count, 10)
            XCTAssertTrue(stimuli.allSatisfy { $0 < 100 })
            held.append(stimuli)
        }
        XCTAssertEqual(held[0], held[1], "same seed, same held-out stimuli")
        let bad = try CLIRunner.run(["fit", data, "--out", dir + "/never.h5", "--model", "glm", "--validation-fraction", "0"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--validation-fraction"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/never.h5"))
    }
}

/// Time series with /runs: responses follow the stimulus 1–3 TRs earlier (a haemodynamic lag);
/// ridge with --delays 1,2,3 recovers it (held-out R² > 0.8), ridge without delays cannot (< 0.5);
/// --delays on a file without /runs is one line and writes nothing.
final class DelaysCLITests: XCTestCase {
    func testDelaysLearnTheLag() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        let dir = TestPaths.temporaryDirectory("delays")
        var rng = SeededRandom(seed: 4)
        let runs = 5, perRun = 60, n = runs * perRun, u = 4, px = 16
        let stim = (0..<(n * px)).map { _ in Float(rng.normal()) }
        let w = (0..<(u * px)).map { _ in rng.normal() }
        let h = [0.0, 0.6, 1.0, 0.4]   // response to the stimulus 0…3 TRs earlier
        var resp = [Float](repeating: 0, count: n * u)
        for t in 0..<n { for j in 0..<u {
            var v = 0.0
            for (d, hd) in h.enumerated() where t - d >= 0 && (t - d) / perRun == t / perRun {
                for k in 0..<px { v += hd * w[j * px + k] * Double(stim[(t - d) * px + k]) }
            }
            resp[t * u + j] = Float(v + 0.3 * rng.normal())
        } }
        func write(_ path: String, runsToo: Bool) throws {
            let f = try HDF5File.create(path)
            try f.write("/stimuli", floats: stim, shape: [n, 4, 4])
            try f.write("/responses", floats: resp, shape: [n, u])
            try f.write("/split", uint8s: (0..<n).map { $0 < 4 * perRun ? 0 : 2 }, shape: [n])
            if runsToo { try f.write("/runs", int64s: (0..<n).map { $0 / perRun }, shape: [n]) }
            try f.setAttribute("modality", string: "fmri")
            f.close()
        }
        let data = dir + "/ts.h5", plain = dir + "/plain.h5"
        try write(data, runsToo: true); try write(plain, runsToo: false)
        func r2(_ model: String, _ extra: [String]) throws -> Double {
            let fit = try CLIRunner.run(["fit", data, "--model", "ridge", "--features", "pixels", "--folds", "4", "--out", model, "--quiet"] + extra)
            XCTAssertEqual(fit.status, 0, fit.stderr)
            let s = try CLIRunner.run(["score", model, data, "--json"])
            XCTAssertEqual(s.status, 0, s.stderr)
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any])
            return try XCTUnwrap((o["r2"] as? [String: Any])?["mean"] as? Double)
        }
        let withDelays = try r2(dir + "/d.h5", ["--delays", "0,1,2,3"]), without = try r2(dir + "/n.h5", [])
        print("time series: held-out R² with delays 0–3 \(withDelays), without \(without)")
        XCTAssertGreaterThan(withDelays, 0.8)
        XCTAssertLessThan(without, 0.5)
        let bad = try CLIRunner.run(["fit", plain, "--model", "ridge", "--features", "pixels", "--delays", "1,2", "--out", dir + "/never.h5"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("no /runs"), bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/never.h5"))
    }
}
