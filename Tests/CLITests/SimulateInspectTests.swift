// Golden tests of `receptive simulate` and `receptive inspect` run as the built binary.
import Foundation
import NeuralData
import Tensors
import TestSupport
import XCTest

final class SimulateInspectTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        dir = TestPaths.temporaryDirectory("cli")
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testSimulateThenInspect() throws {
        let out = dir + "/sim.h5"
        let r = try CLIRunner.run(["simulate", "--out", out, "--cells", "simple:3,complex:2", "--stimuli", "300", "--repeats", "2",
                                   "--family", "dead-leaves", "--size", "16", "--seed", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("wrote \(out): N = 300 stimuli, T = 600 trials, U = 5 units"), r.stderr)

        let table = try CLIRunner.run(["inspect", out])
        XCTAssertEqual(table.status, 0, table.stderr)
        print(table.stdout)
        for line in ["modality           spikes (Poisson)",
                     "stimuli            N = 300, 1×16×16 uint8 (stored as [300, 16, 16])",
                     "responses          T = 600 trials × U = 5 units, int32",
                     "split              train 240 stimuli / 480 trials, validation 30 stimuli / 60 trials, test 30 stimuli / 60 trials (from the file)",
                     "repeats            2–2 per stimulus (mean 2.00); 300 stimuli repeated",
                     "masks              yes",
                     "ground truth       yes",
                     "unit  name      type     mean response  noise var  explainable var  oracle r"] {
            XCTAssertTrue(table.stdout.contains(line), "missing line: \(line)")
        }
        XCTAssertTrue(table.stdout.contains("\n0     simple0   simple "))
        XCTAssertTrue(table.stdout.contains("\n4     complex1  complex"))

        let json = try CLIRunner.run(["inspect", out, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        for key in ["file", "stimulus_count", "trial_count", "unit_count", "stimulus_shape", "stored_stimulus_shape", "stimulus_type",
                    "response_type", "modality", "split_source", "split", "repeats", "units", "noise_ceiling", "has_masks",
                    "has_ground_truth", "ground_truth_test_log_likelihood"] {
            XCTAssertNotNil(obj[key], "JSON lacks \(key)")
        }
        XCTAssertEqual(obj["stimulus_count"] as? Int, 300)
        XCTAssertEqual(obj["stimulus_shape"] as? [Int], [1, 16, 16])
        let split = try XCTUnwrap(obj["split"] as? [String: [String: Int]])
        XCTAssertEqual(split["test"], ["stimuli": 30, "trials": 60])
        let units = try XCTUnwrap(obj["units"] as? [[String: Any]])
        XCTAssertEqual(units.map { $0["type"] as? String }, ["simple", "simple", "simple", "complex", "complex"])
        let repeats = try XCTUnwrap(obj["repeats"] as? [String: Any])
        XCTAssertEqual(repeats["histogram"] as? [[Int]], [[2, 300]])
        // The JSON agrees with the library.
        let d = try Dataset.load(out)
        let lib = DatasetSummary(d)
        XCTAssertEqual((obj["units"] as? [[String: Any]])?.first?["mean_response"] as? Double ?? .nan, lib.units[0].meanResponse, accuracy: 1e-12)
    }

    func testSimulateIsReproducibleAndRefusesOverwrite() throws {
        let a = dir + "/a.h5", b = dir + "/b.h5"
        let args = ["--cells", "simple,complex", "--units-per-family", "3", "--stimuli", "120", "--repeats", "1", "--test-repeats", "3",
                    "--family", "gratings", "--frames", "4", "--size", "16", "--seed", "7", "--quiet"]
        XCTAssertEqual(try CLIRunner.run(["simulate", "--out", a] + args).status, 0)
        XCTAssertEqual(try CLIRunner.run(["simulate", "--out", b] + args).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a)), try Data(contentsOf: URL(fileURLWithPath: b)), "same options, same bytes")
        var other = args; other[other.firstIndex(of: "7")!] = "8"
        XCTAssertEqual(try CLIRunner.run(["simulate", "--out", b, "--force"] + other).status, 0)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: a)), try Data(contentsOf: URL(fileURLWithPath: b)))
        // Existing output: refused without --force, file untouched.
        let before = try Data(contentsOf: URL(fileURLWithPath: a))
        let r = try CLIRunner.run(["simulate", "--out", a] + other)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr.trimmingCharacters(in: .newlines), "Error: --out: \(a) already exists; pass --force to overwrite")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a)), before)
        // The JSON summary names the regenerating command.
        let j = try CLIRunner.run(["simulate", "--out", dir + "/c.h5", "--json"] + args)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(obj["trial_count"] as? Int, 108 + 12 * 3)
        XCTAssertTrue((obj["command"] as? String ?? "").contains("--family gratings --size 16 --seed 7"))
    }

    func testSimulateBadOptionsWriteNothing() throws {
        let out = dir + "/never.h5"
        let cases: [([String], String)] = [
            (["--cells", "simple,pyramidal"], "Error: --cells: unknown cell family 'pyramidal'; choose from simple, complex, v2, voxel"),
            (["--cells", "voxel,simple"], "Error: --cells: voxels (fMRI, Gaussian) cannot share a file with spiking cells: a file has one modality"),
            (["--stimuli", "1"], "Error: --stimuli: need at least 2 stimuli, got 1"),
            (["--size", "4"], "Error: --size: image side must be in 8…512 pixels, got 4"),
            (["--rate", "4"], "Error: --rate: '4' is not MIN,MAX (e.g. 1,4)"),
            (["--rate", "3,1"], "Error: --rate: rate range 3.0…1.0 must be positive and ordered"),
        ]
        for (args, message) in cases {
            let r = try CLIRunner.run(["simulate", "--out", out] + args)
            XCTAssertEqual(r.status, 1, args.joined(separator: " "))
            XCTAssertEqual(r.stderr.trimmingCharacters(in: .newlines), message)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
        let folder = try CLIRunner.run(["simulate", "--out", dir + "/no/such/folder/x.h5", "--stimuli", "20", "--quiet"])
        XCTAssertEqual(folder.status, 1)
        // Refused before any work by the output policy, naming the option (was: at write time, "cannot create (folder …)").
        XCTAssertEqual(folder.stderr.trimmingCharacters(in: .newlines), "Error: --out: folder \(dir)/no/such/folder does not exist")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(leftovers, [], "no temporary files left behind")
    }

    func testVoxelSimulationIsFmri() throws {
        let out = dir + "/voxels.h5"
        XCTAssertEqual(try CLIRunner.run(["simulate", "--out", out, "--cells", "voxel:3", "--stimuli", "100", "--repeats", "2", "--quiet"]).status, 0)
        let r = try CLIRunner.run(["inspect", out, "--json"])
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(obj["modality"] as? String, "fmri")
        XCTAssertEqual(obj["response_type"] as? String, "float32")
    }

    func testBundledDemoDataRegeneratesBitForBit() throws {
        let demo = TestPaths.repositoryRoot + "/data/demo.h5"
        let readme = TestPaths.repositoryRoot + "/data/README.md"
        guard FileManager.default.fileExists(atPath: demo) else { return XCTFail("data/demo.h5 is missing") }
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: demo)[.size] as? Int)
        XCTAssertLessThan(size, 5_000_000)
        // The README's command (the line starting with `receptive simulate`) regenerates it.
        let text = try String(contentsOfFile: readme, encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("receptive simulate ") })
        var args = line.split(separator: " ").dropFirst().map(String.init)
        let o = try XCTUnwrap(args.firstIndex(of: "--out"))
        args[o + 1] = dir + "/demo.h5"
        let r = try CLIRunner.run(args + ["--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // Every dataset's values, bit for bit (as doubles, exact for every stored type; the float ground
        // truth to 1e-5 relative, see below), and the root
        // attributes. Not the file's bytes: the deflate stream of the compressed stimuli differs
        // between builds of zlib/libhdf5 (seen: a one-byte different chunk on another machine)
        // while the data are identical.
        let regenerated = try HDF5File.open(dir + "/demo.h5"), bundled = try HDF5File.open(demo)
        defer { regenerated.close(); bundled.close() }
        func datasets(_ f: HDF5File, _ group: String) -> [String] {
            f.children(of: group).sorted().flatMap { name -> [String] in
                let p = (group == "/" ? "" : group) + "/" + name
                return f.isGroup(p) ? datasets(f, p) : [p]
            }
        }
        let paths = datasets(bundled, "/")
        XCTAssertEqual(datasets(regenerated, "/"), paths, "the same datasets")
        XCTAssertGreaterThan(paths.count, 10)
        for p in paths {
            let a = try bundled.info(p), b = try regenerated.info(p)
            XCTAssertEqual(a.shape, b.shape, p); XCTAssertEqual(a.type, b.type, p)
            if a.type == .string {
                XCTAssertEqual(try bundled.readStrings(p), try regenerated.readStrings(p), p)
            } else {
                let x = try bundled.readDoubles(p).values, y = try regenerated.readDoubles(p).values
                if p.hasPrefix("/ground_truth/") && a.type.isFloat {
                    // The true rates are computed through OpenBLAS, whose kernel (and so the last
                    // bit of a float32 sum) depends on the CPU; measured: 343 of 40000 rates one
                    // ulp apart on another CPU, max relative difference 4e-7. The sampled counts,
                    // stimuli, split and index above are exact.
                    let scale = x.map(abs).max() ?? 1
                    let maxDiff = zip(x, y).map { abs($0 - $1) }.max() ?? 0
                    print("\(p): max |Δ| \(maxDiff) (scale \(scale))")
                    XCTAssertLessThanOrEqual(maxDiff, 1e-5 * max(scale, 1e-30), "\(p): values differ")
                } else {
                    XCTAssertTrue(x.elementsEqual(y) { $0.bitPattern == $1.bitPattern }, "\(p): values differ")
                }
            }
        }
        for name in ["modality", "simulation", "generator"] {
            XCTAssertEqual(try bundled.stringAttribute(name), try regenerated.stringAttribute(name), name)
        }
        let d = try Dataset.load(demo)
        XCTAssertEqual(Set(d.unitTypes ?? []), ["simple", "complex"])
        XCTAssertGreaterThan(d.repeatsPerStimulus.max() ?? 0, 1)
    }

    func testInspectRealRecording() throws {
        guard let path = TestPaths.sharedData("v4-210325.h5") else { throw XCTSkip("../shared/data/v4-210325.h5 is absent") }
        let r = try CLIRunner.run(["inspect", path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(obj["stimulus_count"] as? Int, 640)
        XCTAssertEqual(obj["trial_count"] as? Int, 4840)
        XCTAssertEqual(obj["unit_count"] as? Int, 50)
        XCTAssertEqual(obj["stimulus_shape"] as? [Int], [3, 112, 112])
        XCTAssertEqual(obj["split_source"] as? String, "file")
        let repeats = try XCTUnwrap(obj["repeats"] as? [String: Any])
        XCTAssertEqual(repeats["min"] as? Int, 6); XCTAssertEqual(repeats["max"] as? Int, 10)
    }
}
