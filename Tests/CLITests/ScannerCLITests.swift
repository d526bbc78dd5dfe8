import XCTest
import Foundation
import Tensors
import TestSupport

/// The scanner commands through the built binary: outputs exist and are sane; bad indices are
/// one-line errors that write nothing.
final class ScannerCLITests: XCTestCase {
    static var dir = ""
    static var data = ""
    static var model = ""

    override class func setUp() {
        dir = TestPaths.temporaryDirectory("scancli")
        data = dir + "/sim.h5"; model = dir + "/m.h5"
        _ = try? CLIRunner.run(["simulate", "--out", data, "--cells", "simple:2,complex:2", "--stimuli", "200", "--size", "16", "--seed", "4", "--quiet"])
        _ = try? CLIRunner.run(["fit", data, "--out", model, "--arch", "custom", "--kernels", "5,3", "--channels", "4", "--epochs", "2", "--quiet"])
    }

    func requireModel() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.model), "setup fit failed")
    }

    func testLearningImagesAttributionAndMEI() throws {
        try requireModel()
        let scan = Self.dir + "/scan"
        var r = try CLIRunner.run(["scan", Self.model, Self.data, "--stimulus", "0,1", "--unit", "1", "--out", scan])
        XCTAssertEqual(r.status, 0, r.stderr)
        let f = try HDF5File.open(scan + "/learning_images.h5")
        XCTAssertEqual(try f.info("/maps").shape, [2, 16, 16])
        XCTAssertTrue(try f.readFloats("/maps").values.allSatisfy { $0.isFinite })
        XCTAssertTrue(FileManager.default.fileExists(atPath: scan + "/learning_images.json"))

        for method in ["saliency", "input-x-gradient", "integrated-gradients", "grad-cam", "occlusion", "nns"] {
            let out = Self.dir + "/attr-\(method)"
            r = try CLIRunner.run(["attribute", Self.model, Self.data, "--unit", "0", "--method", method, "--stimulus", "3", "--out", out])
            XCTAssertEqual(r.status, 0, "\(method): \(r.stderr)")
            XCTAssertEqual(try HDF5File.open(out + "/attribution.h5").info("/maps").shape, [1, 16, 16], method)
        }
        let mei = Self.dir + "/mei"
        r = try CLIRunner.run(["mei", Self.model, "--unit", "2", "--out", mei, "--seed", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try HDF5File.open(mei + "/mei.h5").info("/mei").shape, [1, 16, 16])
    }

    /// --abnormal-filters with a Table 6-1 preset and an override: the JSON records λ, α, β, θ used.
    func testAbnormalFilterPresets() throws {
        try requireModel()
        let out = Self.dir + "/abnormal"
        let r = try CLIRunner.run(["scan", Self.model, Self.data, "--abnormal-filters", "--preset", "exp3-small", "--beta", "1.5",
                                   "--count", "12", "--sharpness-trials", "0", "--quiet", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/abnormal_filters.json"))) as! [[String: Any]]
        let layers = json[0]["layers"] as! [[String: Any]]
        XCTAssertEqual(layers.count, 2)
        let settings = layers[0]["settings"] as! [String: Any]
        XCTAssertEqual(settings["lambda"] as? Int, 20)
        XCTAssertEqual(settings["alpha"] as? Double, 0.2)
        XCTAssertEqual(settings["beta"] as? Double, 1.5)
        XCTAssertEqual(settings["theta"] as? Double, 0.5)
        XCTAssertEqual(settings["chForm"] as? String, "thesis")
        XCTAssertTrue(r.stdout.contains("λ 20"), r.stdout)
    }

    func testBadIndicesAreClearErrorsAndWriteNothing() throws {
        try requireModel()
        let out = Self.dir + "/bad"
        let cases: [([String], String)] = [
            (["scan", Self.model, Self.data, "--stimulus", "9999", "--unit", "0", "--out", out], "9999"),
            (["scan", Self.model, Self.data, "--stimulus", "0", "--unit", "99", "--out", out], "99"),
            (["scan", Self.model, Self.data, "--stimulus", "0", "--layer", "conv9", "--filter", "0", "--out", out], "conv9"),
            (["attribute", Self.model, Self.data, "--unit", "0", "--method", "grad-cam", "--layer", "nope", "--stimulus", "0", "--out", out], "nope"),
            (["mei", Self.model, "--unit", "-1", "--out", out], "unit"),
            (["scan", Self.model, Self.data, "--abnormal-filters", "--alpha", "-1", "--out", out], "--alpha"),
            (["scan", Self.model, Self.data, "--stimulus", "0", "--unit", "0", "--lambda", "5", "--out", out], "--lambda"),
            (["scan", Self.model, Self.data, "--properties", "--aipc-top", "2", "--out", out], "--aipc-top"),
            (["scan", Self.model, Self.data, "--abnormal-filters", "--preset", "exp9", "--out", out], "preset"),
        ]
        for (args, expect) in cases {
            let r = try CLIRunner.run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expect), "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), "\(args) trapped")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(args) wrote output")
        }
    }
}
