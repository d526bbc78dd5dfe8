import XCTest
import Foundation
import Tensors
import TestSupport

/// fit --restarts N through the binary: bad N and unsupported combinations refused with one
/// message and no output; the JSON records every restart; the kept model file holds the same
/// parameters, bit for bit, as a plain fit with the kept seed.
final class RestartCLITests: XCTestCase {
    static var dir = ""
    static var data = ""

    override class func setUp() {
        dir = TestPaths.temporaryDirectory("restartcli")
        data = dir + "/sim.h5"
        _ = try? CLIRunner.run(["simulate", "--out", data, "--cells", "simple:3", "--stimuli", "200",
                                "--size", "12", "--seed", "4", "--quiet"])
    }

    func requireBinary() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.data), "simulate failed")
    }

    let small = ["--arch", "custom", "--kernels", "5", "--channels", "3", "--epochs", "3", "--quiet"]

    func testBadRestartsRefused() throws {
        try requireBinary()
        let out = Self.dir + "/bad.h5"
        for (extra, needle) in [(["--restarts", "0"], "--restarts"), (["--restarts", "-1"], "--restarts"),
                                (["--restarts", "x"], "--restarts"),
                                (["--restarts", "2", "--model", "glm"], "--restarts"),
                                (["--restarts", "2", "--resume"], "--resume")] {
            let r = try CLIRunner.run(["fit", Self.data, "--out", out] + small + extra)
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            XCTAssertTrue(r.stderr.contains(needle), "\(extra): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(extra) wrote output")
        }
    }

    func testKeptFileEqualsPlainFitWithKeptSeed() throws {
        try requireBinary()
        let m = Self.dir + "/r.h5"
        let r = try CLIRunner.run(["fit", Self.data, "--out", m, "--seed", "10", "--restarts", "2", "--json", "--force"] + small)
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let rs = try XCTUnwrap(obj["restarts"] as? [String: Any], r.stdout)
        XCTAssertEqual(rs["count"] as? Int, 2)
        XCTAssertEqual((rs["seeds"] as? [Int]) ?? [], [10, 11])
        let lls = try XCTUnwrap(rs["validation_ll_per_observation"] as? [Double])
        let kept = try XCTUnwrap(rs["kept"] as? Int)
        XCTAssertEqual(kept, lls[0] >= lls[1] ? 0 : 1, "kept must be the larger validation LL: \(lls)")
        XCTAssertEqual(obj["validation_ll_per_observation"] as? Double, lls[kept])

        let p = Self.dir + "/p.h5"
        let q = try CLIRunner.run(["fit", Self.data, "--out", p, "--seed", "\(10 + kept)", "--force"] + small)
        XCTAssertEqual(q.status, 0, q.stderr)
        let a = try HDF5File.open(m), b = try HDF5File.open(p)
        defer { a.close(); b.close() }
        var compared = 0
        for name in ["/params/conv1/weight", "/params/conv1/bias", "/params/readout/features", "/params/readout/mask", "/params/readout/bias"] {
            XCTAssertEqual(try a.readFloats(name).values, try b.readFloats(name).values, name)
            compared += 1
        }
        print("restart CLI: validation LL \(lls), kept \(kept); \(compared) parameter arrays identical to the plain fit with seed \(10 + kept)")
        XCTAssertEqual(compared, 5)
    }
}
