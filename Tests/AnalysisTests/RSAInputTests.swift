// RDMs from HDF5 (`FILE:/path`, JSON names) and every bad input a user can hand over: each a typed
// error whose message names the source and the problem. Also the JSON and figure-data outputs.
import XCTest
import Foundation
import Tensors
import TestSupport
import Analysis

final class RSAInputTests: XCTestCase {
    /// A valid [n, K, K] stack of random RDMs.
    private func rdmStack(_ n: Int, _ k: Int, seed: UInt64) -> [Double] {
        var rng = SeededRandom(seed: seed)
        var m = [Double](repeating: 0, count: n * k * k)
        for r in 0..<n {
            for i in 0..<k { for j in (i + 1)..<k {
                let v = rng.uniform()
                m[r * k * k + i * k + j] = v; m[r * k * k + j * k + i] = v
            } }
        }
        return m
    }

    private func writeFile(_ body: (HDF5File) throws -> Void) throws -> String {
        let dir = TestPaths.temporaryDirectory("rsa-input")
        let path = dir + "/rdms.h5"
        try HDF5File.writeAtomically(to: path, overwrite: true, body)
        return path
    }

    private func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    func testSourceParsing() throws {
        let s = try RSASource(parsing: "/data/x.h5:/rdms/brain", option: "--rdms")
        XCTAssertEqual(s.file, "/data/x.h5"); XCTAssertEqual(s.path, "/rdms/brain")
        let t = try RSASource(parsing: "c:/weird:name.h5:/a", option: "--rdms")
        XCTAssertEqual(t.file, "c:/weird:name.h5"); XCTAssertEqual(t.path, "/a")
        for bad in ["x.h5", "x.h5:", ":/path", "x.h5:/"] {
            let m = message { try RSASource(parsing: bad, option: "--models") }
            XCTAssertTrue(m.contains("--models '\(bad)': expected FILE:/path"), m)
        }
    }

    func testReadsRDMsWithNames() throws {
        let m = rdmStack(3, 5, seed: 1)
        let path = try writeFile { f in
            try f.write("/rdms/x", doubles: m, shape: [3, 5, 5])
            try f.setAttribute("names", string: "[\"a\", \"b\", \"c\"]", at: "/rdms/x")
            try f.write("/one", floats: rdmStack(1, 4, seed: 2).map { Float($0) }, shape: [4, 4])
        }
        let set = try RSAInput.read(RSASource(file: path, path: "/rdms/x"))
        XCTAssertEqual(set.names, ["a", "b", "c"])
        XCTAssertEqual(set.conditions, 5)
        XCTAssertEqual(set.squareMatrix(2), Array(m[50..<75]))
        let one = try RSAInput.read(RSASource(file: path, path: "/one"))
        XCTAssertEqual(one.count, 1); XCTAssertEqual(one.names, ["one"]); XCTAssertEqual(one.conditions, 4)
    }

    func testBadRDMFilesAreClearErrors() throws {
        var asym = rdmStack(2, 4, seed: 3); asym[1 * 16 + 0 * 4 + 2] += 0.5       // RDM 1, entry (0, 2)
        var diag = rdmStack(2, 4, seed: 4); diag[0 * 16 + 3 * 4 + 3] = 0.25       // RDM 0, entry (3, 3)
        var nan = rdmStack(1, 4, seed: 5); nan[1 * 4 + 2] = .nan
        let path = try writeFile { f in
            try f.write("/asym", doubles: asym, shape: [2, 4, 4])
            try f.write("/diag", doubles: diag, shape: [2, 4, 4])
            try f.write("/nan", doubles: nan, shape: [1, 4, 4])
            try f.write("/small", doubles: rdmStack(3, 2, seed: 6), shape: [3, 2, 2])
            try f.write("/rect", doubles: [Double](repeating: 0, count: 24), shape: [2, 3, 4])
            try f.write("/flat", doubles: [Double](repeating: 0, count: 9), shape: [9])
            try f.write("/empty", doubles: [], shape: [0, 4, 4])
            try f.write("/text", strings: ["a", "b"])
            try f.write("/badjson", doubles: rdmStack(2, 4, seed: 7), shape: [2, 4, 4])
            try f.setAttribute("names", string: "not json", at: "/badjson")
            try f.write("/badcount", doubles: rdmStack(2, 4, seed: 8), shape: [2, 4, 4])
            try f.setAttribute("names", string: "[\"only one\"]", at: "/badcount")
            try f.write("/badtype", doubles: rdmStack(2, 4, seed: 9), shape: [2, 4, 4])
            try f.setAttribute("names", string: "[1, 2]", at: "/badtype")
        }
        func read(_ p: String) -> String { message { try RSAInput.read(RSASource(file: path, path: p)) } }
        let cases: [(String, [String])] = [
            ("/asym", ["\(path):/asym", "RDM 1", "not symmetric", "(0, 2)"]),
            ("/diag", ["\(path):/diag", "RDM 0", "non-zero diagonal", "(3, 3) is 0.25"]),
            ("/nan", ["non-finite", "(1, 2)"]),
            ("/small", ["2 conditions", "at least 3"]),
            ("/rect", ["[n, K, K]", "[2, 3, 4]"]),
            ("/flat", ["[n, K, K]", "[9]"]),
            ("/empty", ["holds no RDMs"]),
            ("/text", ["must be numeric", "string"]),
            ("/badjson", ["names attribute is not a JSON list"]),
            ("/badcount", ["lists 1 names for 2 RDMs"]),
            ("/badtype", ["must list strings only"]),
            ("/missing", ["no dataset or group at '/missing'"]),
        ]
        for (p, needles) in cases {
            let m = read(p)
            for n in needles { XCTAssertTrue(m.contains(n), "\(p): '\(m)' lacks '\(n)'") }
        }
        let missingFile = message { try RSAInput.read(RSASource(file: path + ".nope", path: "/x")) }
        XCTAssertTrue(missingFile.contains("no such file"), missingFile)
    }

    /// Subject and model RDMs of different sizes, and RDMs a method cannot compare.
    func testMismatchAndDegenerateRDMs() throws {
        let s = RDMSet(names: ["s0", "s1"], conditions: 5, vectors: (0..<20).map { Double($0 % 7) + 1 })
        let m4 = RDMSet(names: ["m"], conditions: 4, vectors: [1, 2, 3, 4, 5, 6])
        let mm = message { try RSAEvaluator(subjects: s, models: m4, method: .spearman, subjectsSource: "a.h5:/s", modelsSource: "b.h5:/m") }
        XCTAssertEqual(mm, "RDM sizes differ: a.h5:/s has 5 conditions, b.h5:/m has 4")
        let flat = RDMSet(names: ["flat"], conditions: 5, vectors: [Double](repeating: 2, count: 10))
        let f = message { try RSAEvaluator(subjects: s, models: flat, method: .pearson, modelsSource: "b.h5:/m") }
        XCTAssertTrue(f.contains("b.h5:/m: RDM 0 ('flat') has all dissimilarities equal; the pearson comparison is undefined"), f)
        XCTAssertNoThrow(try RSAEvaluator(subjects: s, models: flat, method: .cosine))
        let zero = RDMSet(names: ["zero"], conditions: 5, vectors: [Double](repeating: 0, count: 10))
        let z = message { try RSAEvaluator(subjects: s, models: zero, method: .whitenedCosine) }
        XCTAssertTrue(z.contains("is all zeros"), z)
        let opt = message { try RSA.analyse(subjects: s, models: RDMSet(names: ["m"], conditions: 5, vectors: (0..<10).map(Double.init)),
                                            options: RSAOptions(confidence: 1.5)) }
        XCTAssertTrue(opt.hasPrefix("confidence level:"), opt)
        let grouping = message { try s.averagingConsecutive(groupsOf: 3, source: "a.h5:/s") }
        XCTAssertTrue(grouping.contains("2 RDMs cannot be averaged in consecutive groups of 3"), grouping)
    }

    /// One subject: values but no noise ceiling (null in JSON); the outputs parse.
    func testOutputsWithOneSubjectAndNoInference() throws {
        let sets = rdmStack(3, 6, seed: 10)
        let subjects = try RDMSet(squareMatrices: Array(sets[0..<36]), count: 1, conditions: 6, names: ["only \"subject\""], source: "t")
        let models = try RDMSet(squareMatrices: Array(sets[36...]), count: 2, conditions: 6, names: ["m1", "m2"], source: "t")
        let r = try RSA.analyse(subjects: subjects, models: models, options: RSAOptions(method: .pearson, bootstrap: 0, permutations: 0))
        XCTAssertNil(r.noiseCeilingLower)
        let json = try JSONSerialization.jsonObject(with: Data(r.json().utf8)) as! [String: Any]
        XCTAssertEqual(json["method"] as? String, "pearson")
        XCTAssertTrue((json["noise_ceiling"] as! [String: Any])["lower"] is NSNull)
        let ms = json["models"] as! [[String: Any]]
        XCTAssertEqual(ms.count, 2)
        XCTAssertTrue(ms[0]["ci_low"] is NSNull && ms[0]["p"] is NSNull)
        XCTAssertEqual(ms[1]["value"] as! Double, RDMComparison.compare(Array(models.vector(1)), Array(subjects.vector(0)), method: .pearson), accuracy: 1e-15)
        XCTAssertEqual((json["subjects"] as! [String]), ["only \"subject\""])
    }

    func testFigureDataFile() throws {
        let fx = try RSAFixture.open()
        let subjects = try fx.rdmSet("/small/subjects"), models = try fx.rdmSet("/small/models")
        let r = try RSA.analyse(subjects: subjects, models: models, options: RSAOptions(bootstrap: 50, permutations: 20, seed: 3))
        let path = TestPaths.temporaryDirectory("rsa-fig") + "/fig.h5"
        try RSAFigureData.write(r, subjects: subjects, models: models, to: path)
        let f = try HDF5File.open(path)
        XCTAssertEqual(try f.info("/heatmaps/models").shape, [3, 10, 10])
        XCTAssertEqual(try f.info("/heatmaps/subjects").shape, [5, 10, 10])
        XCTAssertEqual(try f.readDoubles("/bars/value").values, r.models.map { $0.value })
        XCTAssertEqual(try f.info("/bootstrap/values").shape, [50, 3])
        XCTAssertEqual(try f.readStrings("/bars/names"), models.names)
        XCTAssertEqual(try f.readDoubles("/bars/noise_ceiling").values, [r.noiseCeilingLower!, r.noiseCeilingUpper!])
        // an existing file is refused without overwrite
        let again = message { try RSAFigureData.write(r, subjects: subjects, models: models, to: path) }
        XCTAssertTrue(again.contains("already exists"), again)
    }

    /// The layer-profile entry point: layers whose activations are noisy copies of the subjects'
    /// common patterns at decreasing noise rise in value; a wrong activation count is an error.
    func testLayerProfile() throws {
        var rng = SeededRandom(seed: 21)
        let k = 20, c = 16
        let truth = (0..<(k * c)).map { _ in Float(rng.normal()) }
        let subj = try (0..<4).map { _ in try RDM.compute(patterns: truth.map { $0 + Float(rng.normal()) }, conditions: k, channels: c, measure: .correlation) }
        let subjects = RDMSet(subj, names: ["a", "b", "c", "d"])
        let layers = [4.0, 1.0, 0.3].enumerated().map { (i, noise) in
            RSALayerActivations(name: "conv\(i + 1)", activations: truth.map { $0 + Float(noise * rng.normal()) }, channels: c)
        }
        let (r, rdms) = try RSA.layerProfile(layers: layers, subjects: subjects, options: RSAOptions(bootstrap: 100, permutations: 0))
        XCTAssertEqual(rdms.names, ["conv1", "conv2", "conv3"])
        XCTAssertLessThan(r.models[0].value, r.models[1].value)
        XCTAssertLessThan(r.models[1].value, r.models[2].value)
        let bad = message { try RSA.layerProfile(layers: [RSALayerActivations(name: "fc", activations: [1, 2, 3], channels: 2)], subjects: subjects, options: RSAOptions()) }
        XCTAssertTrue(bad.contains("layer fc: 3 activations for 20 stimuli × 2 channels"), bad)
    }
}
