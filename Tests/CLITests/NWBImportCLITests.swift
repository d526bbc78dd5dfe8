// `receptive import nwb` through the built binary: import → fit → score on the pynwb fixtures, the
// recorded provenance in `inspect`, and refusals (one line on stderr, exit 1, nothing written,
// the NWB file untouched).
import Foundation
import Tensors
import TestSupport
import XCTest

final class NWBImportCLITests: XCTestCase {
    func requireBinary() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
    }

    func testImportFitScoreSpikes() throws {
        try requireBinary()
        let dir = TestPaths.temporaryDirectory("nwbcli")
        let data = dir + "/spikes.h5", model = dir + "/cnn.h5"
        let i = try CLIRunner.run(["import", "nwb", TestPaths.fixture("nwb_spikes.nwb"), "--out", data, "--window", "0.05:0.25",
                                   "--units-where", "quality=good", "--presentations", "natural_scenes_presentations", "--seed", "1", "--json"])
        XCTAssertEqual(i.status, 0, i.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(i.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["stimulus_count"] as? Int, 9)
        XCTAssertEqual(summary["unit_names"] as? [String], ["101", "105", "110"])

        let inspect = try CLIRunner.run(["inspect", data])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        for line in ["generator          receptive import nwb",
                     "source_file        " + TestPaths.fixture("nwb_spikes.nwb"),
                     "import_options     {\"presentations\":\"natural_scenes_presentations\",\"split_seed\":1,\"unit_filters\":[{\"column\":\"quality\",\"comparison\":\"=\",\"value\":\"good\"}],\"windows\":[{\"end\":0.25,\"start\":0.05}]}",
                     "stimuli            N = 9, 1×16×16 uint8"] {
            XCTAssertTrue(inspect.stdout.contains(line), "missing: \(line)\n\(inspect.stdout)")
        }
        XCTAssertTrue(inspect.stdout.contains("\"units\":\"/units\"") || inspect.stdout.contains("\"units\":\"\\/units\""), inspect.stdout)
        let json = try CLIRunner.run(["inspect", data, "--json"])
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((obj["provenance"] as? [String: String])?["generator"], "receptive import nwb")

        let fit = try CLIRunner.run(["fit", data, "--out", model, "--arch", "custom", "--kernels", "5,3", "--channels", "4",
                                     "--epochs", "1", "--quiet"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let score = try CLIRunner.run(["score", model, data, "--json"])
        XCTAssertEqual(score.status, 0, score.stderr)
        let s = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(score.stdout.utf8)) as? [String: Any])
        let ll = try XCTUnwrap((s["ll_per_trial"] as? [String: Any])?["mean"] as? Double)
        print("imported spikes: CNN (1 epoch) test LL per trial \(ll)")
        XCTAssertTrue(ll.isFinite && ll < 0)
    }

    func testImportFitScoreCalciumWithTheGLM() throws {
        try requireBinary()
        let dir = TestPaths.temporaryDirectory("nwbcli")
        let data = dir + "/calcium.h5", model = dir + "/glm.h5"
        let i = try CLIRunner.run(["import", "nwb", TestPaths.fixture("nwb_calcium.nwb"), "--out", data, "--window", "0.1:0.4",
                                   "--series", "/processing/ophys/Fluorescence/RoiResponseSeries", "--quiet"])
        XCTAssertEqual(i.status, 0, i.stderr)
        XCTAssertEqual(i.stderr, "", "--quiet")
        // 6 training images of 12×12 pixels: λ = 0 (in the default grid) would leave XᵀWX singular.
        let fit = try CLIRunner.run(["fit", data, "--out", model, "--model", "glm", "--ridge-grid", "0.1,1,10,100", "--quiet"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let score = try CLIRunner.run(["score", model, data, "--json"])
        XCTAssertEqual(score.status, 0, score.stderr)
        let s = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(score.stdout.utf8)) as? [String: Any])
        XCTAssertNotNil((s["ll_per_trial"] as? [String: Any])?["mean"] as? Double)
        let f = try HDF5File.open(data)
        XCTAssertEqual(try f.stringAttribute("modality"), "fmri")
        XCTAssertEqual(try f.info("/stimuli").shape, [6, 3, 12, 12])
    }

    func testRefusalsWriteNothingAndLeaveTheInputAlone() throws {
        try requireBinary()
        let dir = TestPaths.temporaryDirectory("nwbcli")
        let out = dir + "/out.h5"
        let cases: [([String], String)] = [
            (["nwb_bad_units_index.nwb"], "/units/spike_times_index: has 3 entries but /units has 5 rows"),
            (["nwb_bad_templates.nwb"], "shows template 12, but /stimulus/templates/natural_scenes has 10 templates"),
            (["nwb_no_time.nwb", "--series", "/processing/ophys/Fluorescence/RoiResponseSeries"], "a time series with no time"),
            (["nwb_external.nwb", "--series", "/processing/ophys/DfOverF/RoiResponseSeries"], "the images are external files"),
            (["nwb_lzf.nwb"], "which this libhdf5 lacks"),
            (["nwb_spikes.nwb"], "several presentation tables"),
            (["nwb_spikes.nwb", "--presentations", "natural_scenes_presentations", "--window", "0.3:0.1"], "--window: '0.3:0.1' is not START:END"),
            (["nwb_spikes.nwb", "--presentations", "natural_scenes_presentations", "--units-where", "quality"], "--units-where: 'quality' is not COLUMN=VALUE"),
            (["nwb_expected.h5"], "not an NWB file"),
            (["missing.nwb"], "no such file"),
        ]
        for (args, message) in cases {
            let input = TestPaths.fixture(args[0])
            let before = try? Data(contentsOf: URL(fileURLWithPath: input))
            let r = try CLIRunner.run(["import", "nwb", input, "--out", out, "--quiet"] + args.dropFirst())
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "\(args): nothing written")
            XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: input)), before, "input untouched")
        }
        // An existing output needs --force and is left alone without it.
        try Data("keep".utf8).write(to: URL(fileURLWithPath: out))
        let r = try CLIRunner.run(["import", "nwb", TestPaths.fixture("nwb_spikes.nwb"), "--out", out, "--presentations", "natural_scenes_presentations", "--quiet"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("already exists"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "keep")
        let f = try CLIRunner.run(["import", "nwb", TestPaths.fixture("nwb_spikes.nwb"), "--out", out, "--presentations", "natural_scenes_presentations", "--quiet", "--force"])
        XCTAssertEqual(f.status, 0, f.stderr)
    }
}
