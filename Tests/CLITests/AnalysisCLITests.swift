// scramble / invariance / gabor through the built binary: JSON keys, tables, files written with
// --out, stored pairs equal to the on-the-fly transform, recorded pairs, translation equivariance,
// and bad options (one clear line on stderr, non-zero exit, nothing written).
import XCTest
import Foundation
import Tensors
import TestSupport

final class AnalysisCLITests: XCTestCase {
    static var dir = ""
    static var data = ""
    static var model = ""
    static var glm = ""

    override class func setUp() {
        dir = TestPaths.temporaryDirectory("analysiscli")
        data = dir + "/gratings.h5"
        model = dir + "/m.h5"
        glm = dir + "/glm.h5"
        _ = try? CLIRunner.run(["simulate", "--out", data, "--cells", "simple:3,complex:3", "--stimuli", "300", "--size", "16",
                                "--repeats", "2", "--family", "gratings", "--seed", "3", "--quiet"])
        _ = try? CLIRunner.run(["fit", data, "--out", model, "--arch", "custom", "--kernels", "5,3", "--channels", "4",
                                "--epochs", "2", "--quiet"])
        _ = try? CLIRunner.run(["fit", data, "--out", glm, "--model", "glm", "--size", "8", "--quiet"])
    }

    func requireBinary() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.model), "setup (simulate/fit) failed")
    }

    func json(_ r: CLIResult) throws -> [String: Any] {
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    }

    func units(_ obj: [String: Any]) -> [[String: Any]] { obj["units"] as? [[String: Any]] ?? [] }

    // MARK: invariance

    func testGroundTruthClassifiesSimpleAndComplexCells() throws {
        try requireBinary()
        let obj = try json(try CLIRunner.run(["invariance", "--ground-truth", "--data", Self.data, "--transform", "phase-scramble",
                                              "--json", "--quiet"]))
        XCTAssertEqual(obj["mode"] as? String, "ground_truth")
        let settings = try XCTUnwrap(obj["settings"] as? [String: Any])
        XCTAssertEqual(settings["threshold"] as? Double, 0.5)
        XCTAssertEqual(settings["alpha"] as? Double, 1)
        XCTAssertEqual(settings["split"] as? String, "all")
        XCTAssertEqual(obj["stimuli"] as? Int, 300)
        let us = units(obj)
        XCTAssertEqual(us.count, 6)
        for u in us {
            for key in ["unit", "name", "type", "d", "b", "index", "ci_low", "ci_high", "falsified"] { XCTAssertNotNil(u[key], "missing \(key)") }
            XCTAssertEqual(u["falsified"] as? Bool, u["type"] as? String == "simple", "\(u)")
        }
        let byType = try XCTUnwrap(obj["by_type"] as? [String: [String: Int]])
        XCTAssertEqual(byType["simple"], ["units": 3, "falsified": 3])
        XCTAssertEqual(byType["complex"], ["units": 3, "falsified": 0])

        let table = try CLIRunner.run(["invariance", "--ground-truth", "--data", Self.data, "--transform", "phase-scramble", "--quiet"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("falsified: 3 of 6 units"), table.stdout)
        XCTAssertTrue(table.stdout.contains("simple: 3 of 3 falsified"), table.stdout)
        XCTAssertEqual(table.stderr, "", "--quiet must silence progress")
    }

    func testScrambleThenStoredPairsEqualTransformOnTheFly() throws {
        try requireBinary()
        let out = Self.dir + "/scrambled.h5"
        let s = try CLIRunner.run(["scramble", Self.data, "--out", out, "--seed", "4", "--quiet"])
        XCTAssertEqual(s.status, 0, s.stderr)
        let f = try HDF5File.open(out)
        XCTAssertEqual(try f.info("/stimuli").shape, [600, 16, 16])
        XCTAssertEqual(try f.info("/stimuli").type, .float32)
        XCTAssertEqual(try f.info("/pairs").shape, [300, 2])
        let pairs = try f.readInts("/pairs").values
        XCTAssertEqual(Array(pairs.prefix(4)), [0, 300, 1, 301])
        let input = try HDF5File.open(Self.data)
        XCTAssertEqual(try f.info("/responses").shape, try input.info("/responses").shape)
        XCTAssertEqual(try f.info("/split").shape, [600])
        XCTAssertEqual(try f.stringAttribute("modality"), "spikes")
        // Originals copied exactly; each scramble keeps its original's amplitude spectrum and mean.
        let x = try f.readFloats("/stimuli").values, raw = try input.readUInt8("/stimuli").values
        XCTAssertEqual(Array(x.prefix(300 * 256)), raw.map(Float.init))
        let dft = DFT2D(height: 16, width: 16)
        var worst = 0.0
        for i in [0, 17, 299] {
            let a = dft.forward(x[(i * 256)..<((i + 1) * 256)].map(Double.init))
            let b = dft.forward(x[((300 + i) * 256)..<((301 + i) * 256)].map(Double.init))
            let peak = (0..<256).map { a.magnitude($0) }.max()!
            for k in 0..<256 { worst = max(worst, abs(a.magnitude(k) - b.magnitude(k)) / peak) }
        }
        print("[scramble CLI] max |ΔA|/max A = \(worst)")
        XCTAssertLessThan(worst, 1e-6)
        // The output is a valid dataset.
        XCTAssertEqual(try CLIRunner.run(["inspect", out]).status, 0)

        // Stored pairs (default transform for a file with /pairs) = the same scramble on the fly.
        let stored = try json(try CLIRunner.run(["invariance", Self.model, "--data", out, "--seed", "4", "--json", "--quiet"]))
        XCTAssertEqual(stored["transform"] as? String, "pairs (/pairs)")
        let direct = try json(try CLIRunner.run(["invariance", Self.model, "--data", Self.data, "--transform", "phase-scramble",
                                                 "--seed", "4", "--json", "--quiet"]))
        let a = units(stored).map { $0["index"] as! Double }, b = units(direct).map { $0["index"] as! Double }
        XCTAssertEqual(a.count, 6)
        XCTAssertTrue(compareArrays("invariance index, stored pairs vs on the fly", a, b, atol: 0, rtol: 1e-5).ok)
        // On a file with pairs, an explicit transform applies to the originals only.
        let onOriginals = try json(try CLIRunner.run(["invariance", Self.model, "--data", out, "--transform", "phase-scramble",
                                                      "--seed", "4", "--json", "--quiet"]))
        XCTAssertEqual(onOriginals["stimuli"] as? Int, 300)
        // No ground truth in the scrambled file: a clear error.
        let gt = try CLIRunner.run(["invariance", "--ground-truth", "--data", out])
        XCTAssertNotEqual(gt.status, 0)
        XCTAssertTrue(gt.stderr.contains("no /ground_truth"), gt.stderr)
    }

    func testScrambleStimulusSetKeepsColourSpectra() throws {
        try requireBinary()
        let input = Self.dir + "/colour.h5", out = Self.dir + "/colour-scrambled.h5"
        var rng = SeededRandom(seed: 2)
        let f = try HDF5File.create(input)
        try f.write("/stimuli", floats: (0..<(5 * 3 * 8 * 8)).map { _ in Float(rng.uniform()) }, shape: [5, 3, 8, 8])
        f.close()
        let r = try CLIRunner.run(["scramble", input, "--out", out, "--band", "0.1,0.4", "--alpha", "0.7", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let g = try HDF5File.open(out)
        XCTAssertEqual(try g.info("/stimuli").shape, [10, 3, 8, 8])
        XCTAssertFalse(g.exists("/responses"), "a stimulus set has no responses")
        XCTAssertTrue(try g.stringAttribute("scramble")!.contains("\"band\":[0.1,0.4]"))
        let inspect = try CLIRunner.run(["inspect", out])
        XCTAssertNotEqual(inspect.status, 0)
        XCTAssertTrue(inspect.stderr.contains("/responses: no such dataset"), inspect.stderr)
        // A stimulus set of the wrong shape for the model: one clear line.
        let inv = try CLIRunner.run(["invariance", Self.model, "--data", out])
        XCTAssertNotEqual(inv.status, 0)
        XCTAssertTrue(inv.stderr.contains("stimuli have shape [3, 8, 8]") && inv.stderr.contains("[1, 16, 16]"), inv.stderr)
    }

    func testRecordedPairsOfASimulation() throws {
        try requireBinary()
        let sim = Self.dir + "/recorded.h5"
        XCTAssertEqual(try CLIRunner.run(["simulate", "--out", sim, "--cells", "simple:2,complex:2", "--stimuli", "200", "--size", "16",
                                          "--repeats", "4", "--family", "gratings", "--scrambled", "--seed", "1", "--quiet"]).status, 0)
        let obj = try json(try CLIRunner.run(["invariance", "--recorded", "--data", sim, "--json", "--quiet"]))
        XCTAssertEqual(obj["mode"] as? String, "recorded")
        XCTAssertEqual(obj["transform"] as? String, "pairs (/ground_truth/partner)")
        XCTAssertEqual(obj["stimuli"] as? Int, 200)
        XCTAssertEqual(units(obj).count, 4)
        let test = try json(try CLIRunner.run(["invariance", "--recorded", "--data", sim, "--eval-split", "test", "--json", "--quiet"]))
        XCTAssertEqual(test["stimuli"] as? Int, 20)
        let bad = try CLIRunner.run(["invariance", "--recorded", "--data", sim, "--transform", "contrast"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--transform"), bad.stderr)
        let noPairs = try CLIRunner.run(["invariance", "--recorded", "--data", Self.data])
        XCTAssertNotEqual(noPairs.status, 0)
        XCTAssertTrue(noPairs.stderr.contains("no /pairs"), noPairs.stderr)
    }

    func testTranslationReportsLayerEquivariance() throws {
        try requireBinary()
        let obj = try json(try CLIRunner.run(["invariance", Self.model, "--data", Self.data, "--transform", "translate", "--shift", "2,1",
                                              "--json", "--quiet"]))
        XCTAssertEqual(obj["transform"] as? String, "translate(dx=2, dy=1, fill=wrap)")
        let layers = try XCTUnwrap(obj["equivariance"] as? [[String: Any]])
        XCTAssertEqual(layers.map { $0["layer"] as? String }, ["conv1", "bn1", "act1", "conv2", "bn2", "act2"])
        for l in layers {
            XCTAssertEqual(l["stride"] as? Int, 1)
            XCTAssertGreaterThan(l["positions"] as? Int ?? 0, 0)
            XCTAssertLessThan(l["relative_error"] as? Double ?? 1, 1e-5, "\(l)")
        }
        let table = try CLIRunner.run(["invariance", Self.model, "--data", Self.data, "--transform", "translate", "--quiet"])
        XCTAssertTrue(table.stdout.contains("translation equivariance per layer"), table.stdout)
    }

    func testOutFolderFilesAndOverwriteRule() throws {
        try requireBinary()
        let out = Self.dir + "/inv-out"
        let args = ["invariance", Self.model, "--data", Self.data, "--transform", "contrast", "--factor", "0.3", "--bootstrap", "50",
                    "--out", out, "--quiet"]
        let r = try CLIRunner.run(args)
        XCTAssertEqual(r.status, 0, r.stderr)
        // SVG by default; --format png writes a PNG instead.
        let svg = try String(contentsOfFile: out + "/invariance.svg", encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains(">D / B</text>"), String(svg.prefix(200)))
        let pngOut = Self.dir + "/inv-out-png"
        let rp = try CLIRunner.run(["invariance", Self.model, "--data", Self.data, "--transform", "contrast", "--bootstrap", "20",
                                    "--out", pngOut, "--format", "png", "--quiet"])
        XCTAssertEqual(rp.status, 0, rp.stderr)
        let png = try Data(contentsOf: URL(fileURLWithPath: pngOut + "/invariance.png"))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let h = try HDF5File.open(out + "/invariance.h5")
        XCTAssertEqual(try h.info("/original").shape, [300, 6])
        XCTAssertEqual(try h.info("/transformed").shape, [300, 6])
        for name in ["/d", "/b", "/index", "/ci_low", "/ci_high", "/falsified"] { XCTAssertEqual(try h.info(name).shape, [6], name) }
        XCTAssertTrue(try h.stringAttribute("settings")!.contains("\"factor\": 0.3"))
        let again = try CLIRunner.run(args)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("already exists; pass --force"), again.stderr)
        XCTAssertEqual(try CLIRunner.run(args + ["--force"]).status, 0)
    }

    func testBadOptionsWriteNothing() throws {
        try requireBinary()
        let out = Self.dir + "/never"
        let base = ["invariance", Self.model, "--data", Self.data, "--transform", "phase-scramble", "--out", out]
        let cases: [([String], String)] = [
            (["--threshold", "0"], "--threshold"), (["--threshold=-1"], "--threshold"), (["--threshold", "inf"], "--threshold"),
            (["--band", "0.3,0.6"], "--band"), (["--band", "0,0.2"], "--band"), (["--band", "low"], "--band"),
            (["--alpha", "1.5"], "--alpha"), (["--alpha=-0.1"], "--alpha"), (["--factor=-1"], "--factor"),
            (["--bootstrap", "3"], "--bootstrap"), (["--shift", "1"], "--shift"), (["--confidence", "1"], "--confidence"),
            (["--draws", "0"], "--draws"),
        ]
        for (extra, option) in cases {
            let r = try CLIRunner.run(base + extra)
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            XCTAssertTrue(r.stderr.contains(option), "\(extra): \(r.stderr)")
            XCTAssertEqual(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count, 1, "one line: \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
            XCTAssertEqual(r.stdout, "")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(extra) wrote \(out)")
        }
        for args in [["invariance", Self.model, "--data", Self.data, "--transform", "translate", "--reference", "scrambled", "--out", out],
                     ["invariance", "--recorded", "--data", Self.data, "--reference", "scrambled", "--out", out]] {
            let r = try CLIRunner.run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains("--reference"), r.stderr)
            XCTAssertEqual(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count, 1, "one line: \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
        // The scrambled reference runs and reports p-values and BH verdicts.
        let scr = try json(try CLIRunner.run(["invariance", "--ground-truth", "--data", Self.data, "--transform", "phase-scramble",
                                              "--reference", "scrambled", "--draws", "2", "--bootstrap", "200", "--json", "--quiet"]))
        let settings = try XCTUnwrap(scr["settings"] as? [String: Any])
        XCTAssertEqual(settings["reference"] as? String, "scrambled")
        XCTAssertEqual(settings["draws"] as? Int, 2)
        for u in units(scr) { XCTAssertNotNil(u["p_value"]); XCTAssertNotNil(u["falsified_bh"]) }
        XCTAssertNotNil(scr["by_type_bh"])
        let none = try CLIRunner.run(["invariance", "--data", Self.data, "--transform", "contrast"])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("give a model file, --ground-truth or --recorded"), none.stderr)
        let noTransform = try CLIRunner.run(["invariance", Self.model, "--data", Self.data])
        XCTAssertTrue(noTransform.stderr.contains("--transform"), noTransform.stderr)
        // scramble: bad α or band writes no file.
        for extra in [["--alpha", "2"], ["--band", "0.2,0.1"]] {
            let file = Self.dir + "/never.h5"
            let r = try CLIRunner.run(["scramble", Self.data, "--out", file] + extra)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(extra[0]), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: file))
        }
    }

    // MARK: gabor

    func testGaborJSONFilesAndSparsity() throws {
        try requireBinary()
        let out = Self.dir + "/gabor-out"
        let obj = try json(try CLIRunner.run(["gabor", Self.model, "--restarts", "2", "--json", "--quiet", "--out", out,
                                              "--data", Self.data, "--eval-split", "test"]))
        let filters = try XCTUnwrap(obj["filters"] as? [[String: Any]])
        XCTAssertEqual(filters.count, 4)
        for f in filters {
            for key in ["index", "r2", "theta", "frequency", "sigma_x", "sigma_y", "phase", "gabor_like", "at_border"] { XCTAssertNotNil(f[key], "missing \(key)") }
            XCTAssertEqual(f["gabor_like"] as? Bool, (f["r2"] as! Double) >= 0.7)
        }
        let fraction = try XCTUnwrap(obj["fraction_gabor_like"] as? Double)
        XCTAssertEqual(fraction, Double(filters.filter { $0["gabor_like"] as! Bool }.count) / 4)
        XCTAssertEqual(obj["fraction_gabor_like_interior"] as? Double,
                       Double(filters.filter { ($0["gabor_like"] as! Bool) && !($0["at_border"] as! Bool) }.count) / 4)
        let sparsity = try XCTUnwrap(obj["sparsity"] as? [String: Any])
        for key in ["lifetime_treves_rolls", "population_treves_rolls", "hoyer", "kurtosis"] {
            XCTAssertNotNil(sparsity[key] as? Double, "missing sparsity.\(key)")
        }
        XCTAssertEqual(sparsity["layer"] as? String, "act1")
        XCTAssertEqual(sparsity["stimuli"] as? Int, 30)
        for file in ["gabor_filters.svg", "gabor_orientation.svg", "gabor_frequency.svg", "gabor.h5"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }
        XCTAssertEqual(try HDF5File.open(out + "/gabor.h5").info("/parameters").shape, [4, 9])
        let table = try CLIRunner.run(["gabor", Self.model, "--restarts", "2"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("Gabor-like (R² ≥ 0.7):"), table.stdout)
    }

    func testGaborBadInput() throws {
        try requireBinary()
        let layer = try CLIRunner.run(["gabor", Self.model, "--data", Self.data, "--layer", "conv7"])
        XCTAssertNotEqual(layer.status, 0)
        XCTAssertTrue(layer.stderr.contains("--layer: no layer named 'conv7'") && layer.stderr.contains("act1"), layer.stderr)
        let threshold = try CLIRunner.run(["gabor", Self.model, "--threshold", "1.5"])
        XCTAssertTrue(threshold.stderr.contains("--threshold"), threshold.stderr)
        let glm = try CLIRunner.run(["gabor", Self.glm])
        XCTAssertNotEqual(glm.status, 0)
        XCTAssertTrue(glm.stderr.contains("at least 5×5") && glm.stderr.contains("GLM"), glm.stderr)
        XCTAssertFalse(glm.stderr.contains("Fatal error"), glm.stderr)
    }

    /// `compare`: a model against itself (every filter matched to itself with |r| = 1, identical
    /// predictions), and the errors (one line, exit ≠ 0).
    func testCompareModelAgainstItselfAndErrors() throws {
        try requireBinary()
        let obj = try json(try CLIRunner.run(["compare", Self.model, Self.model, "--data", Self.data, "--json", "--quiet"]))
        let layers = try XCTUnwrap(obj["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 2)
        for l in layers {
            XCTAssertEqual(l["fraction_matched"] as? Double, 1)
            for m in try XCTUnwrap(l["matches"] as? [[String: Any]]) {
                XCTAssertEqual(m["a"] as? Int, m["b"] as? Int)
                XCTAssertEqual(try XCTUnwrap(m["similarity"] as? Double), 1, accuracy: 1e-9)
            }
        }
        let p = try XCTUnwrap(obj["predictions"] as? [String: Any])
        XCTAssertEqual(p["max_abs_difference"] as? Double, 0)
        XCTAssertEqual(p["stimuli"] as? Int, 30)   // the test split of 300 stimuli
        XCTAssertTrue((obj["verdict"] as? String ?? "").hasPrefix("same filters and same predictions"), "\(obj)")
        let table = try CLIRunner.run(["compare", Self.model, Self.model, "--quiet"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("conv1: mean |r| 1.000"), table.stdout)
        for (args, needle) in [([Self.model, Self.glm], "conv layers"), ([Self.model, Self.model, "--threshold", "1.5"], "--threshold"),
                               ([Self.model, Self.dir + "/missing.h5"], "missing.h5"),
                               // Range checks run before any file is opened (validate), so a bad
                               // option is named even when a model file is missing too.
                               ([Self.dir + "/missing.h5", Self.model, "--prediction-threshold", "2"], "--prediction-threshold"),
                               ([Self.dir + "/missing.h5", Self.model, "--threshold", "nan"], "--threshold")] {
            let r = try CLIRunner.run(["compare"] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(needle), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
    }
}
