// Write → read round trips for every supported dtype and layout, from Swift-written files and from
// files h5py wrote (committed fixture), in memory and streamed.
import Foundation
import NeuralData
import Tensors
import TestSupport
import XCTest

final class RoundTripTests: XCTestCase {
    /// Writes stimuli of one dtype/layout with Swift, reads them back through `Dataset`.
    func testSwiftWrittenDtypesAndLayouts() throws {
        let dir = TestPaths.temporaryDirectory("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let n = 7, c = 3, h = 5, w = 6, t = 16, u = 4
        var rng = SeededRandom(seed: 3)
        let index = (0..<t).map { $0 % n }
        let counts = (0..<(t * u)).map { _ in Float(rng.poisson(3)) }
        for layout in [[n, h, w], [n, c, h, w]] {
            let count = layout.product
            let bytes = (0..<count).map { _ in UInt8(rng.int(below: 256)) }
            let ints = (0..<count).map { _ in rng.int(below: 2001) - 1000 }
            let floats = (0..<count).map { _ in Float(rng.normal()) }
            let doubles = (0..<count).map { _ in rng.normal() * 1e3 }
            let variants: [(String, (HDF5File) throws -> Void, [Float])] = [
                ("uint8", { try $0.write("/stimuli", uint8s: bytes, shape: layout) }, bytes.map(Float.init)),
                ("int32", { try $0.write("/stimuli", int32s: ints.map { Int32($0) }, shape: layout) }, ints.map(Float.init)),
                ("int64", { try $0.write("/stimuli", int64s: ints, shape: layout) }, ints.map(Float.init)),
                ("float32", { try $0.write("/stimuli", floats: floats, shape: layout) }, floats),
                ("float64", { try $0.write("/stimuli", doubles: doubles, shape: layout) }, doubles.map { Float($0) }),
            ]
            let responseVariants: [(String, (HDF5File) throws -> Void)] = [
                ("uint8", { try $0.write("/responses", uint8s: counts.map { UInt8($0) }, shape: [t, u]) }),
                ("int32", { try $0.write("/responses", int32s: counts.map { Int32($0) }, shape: [t, u]) }),
                ("int64", { try $0.write("/responses", int64s: counts.map { Int($0) }, shape: [t, u]) }),
                ("float32", { try $0.write("/responses", floats: counts, shape: [t, u]) }),
                ("float64", { try $0.write("/responses", doubles: counts.map(Double.init), shape: [t, u]) }),
            ]
            for (k, (name, writeStimuli, expected)) in variants.enumerated() {
                let (rname, writeResponses) = responseVariants[k]
                let path = dir + "/rt-\(name)-\(layout.count).h5"
                let f = try HDF5File.create(path)
                try writeStimuli(f)
                try writeResponses(f)
                try f.write("/stimulus_index", int64s: index, shape: [t])
                try f.write("/split", uint8s: [0, 0, 0, 1, 2, 2, 0], shape: [n])
                try f.write("/masks", uint8s: (0..<(n * h * w)).map { UInt8($0 % 2) }, shape: [n, h, w])
                try f.write("/unit_names", strings: ["v1", "v2", "v3", "v4"])
                try f.setAttribute("modality", string: "spikes")
                f.close()
                for storage in [StimulusStorage.memory, .stream] {
                    let d = try Dataset.load(path, options: DatasetLoadOptions(storage: storage))
                    XCTAssertEqual(d.storedStimulusShape, layout)
                    XCTAssertEqual(d.stimulusShape, [layout.count == 4 ? c : 1, h, w])
                    XCTAssertEqual(d.stimulusType.description, name)
                    XCTAssertEqual(d.responseType.description, rname)
                    XCTAssertEqual([d.stimulusCount, d.trialCount, d.unitCount], [n, t, u])
                    XCTAssertEqual(d.isStreaming, storage == .stream)
                    let all = try d.stimuli(Array(0..<n))
                    XCTAssertEqual(all.data, expected, "\(name) \(layout) \(storage)")
                    // A shuffled request with repeats returns rows in request order.
                    let ask = [5, 0, 5, 3, 2, 2, 6]
                    let some = try d.stimuli(ask)
                    let per = all.count / n
                    for (k, s) in ask.enumerated() {
                        XCTAssertEqual(Array(some.data[(k * per)..<((k + 1) * per)]), Array(all.data[(s * per)..<((s + 1) * per)]))
                    }
                    XCTAssertEqual(d.responses, counts)
                    XCTAssertEqual(d.stimulusIndex, index)
                    XCTAssertEqual(d.split, [.train, .train, .train, .validation, .test, .test, .train])
                    XCTAssertEqual(d.masks, (0..<(n * h * w)).map { UInt8($0 % 2) })
                    XCTAssertEqual(d.unitNames, ["v1", "v2", "v3", "v4"])
                    XCTAssertEqual(d.modality, .spikes)
                }
            }
        }
    }

    /// Files as h5py writes them: all ten integer/float dtypes, fixed and variable-length strings,
    /// int32 and int64 indices; read through path overrides (each dtype is a group).
    func testH5pyWrittenDtypes() throws {
        let path = TestPaths.fixture("neuraldata_dtypes.h5")
        let raw = try HDF5File.open(path)
        let dtypes = ["uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]
        for (k, dt) in dtypes.enumerated() {
            let g = "/" + dt
            let paths = DatasetPaths(stimuli: g + "/stimuli", responses: g + "/responses", stimulusIndex: g + "/stimulus_index",
                                     split: g + "/split", unitNames: g + "/unit_names")
            let d = try Dataset.load(path, options: DatasetLoadOptions(paths: paths))
            XCTAssertEqual(d.stimulusType.description, dt)
            XCTAssertEqual(d.responseType.description, dt)
            XCTAssertEqual(d.storedStimulusShape.count, k % 2 == 0 ? 4 : 3)
            let expected = try raw.readDoubles(g + "/stimuli").values.map { Float($0) }
            XCTAssertEqual(try d.stimuli(Array(0..<d.stimulusCount)).data, expected, dt)
            XCTAssertEqual(d.responses, try raw.readDoubles(g + "/responses").values.map { Float($0) }, dt)
            XCTAssertEqual(d.stimulusIndex, [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 5])
            XCTAssertEqual(d.unitNames, k % 2 == 0 ? ["a", "bb", "ccc"] : ["x", "yy", "zzz"])
            XCTAssertEqual(d.repeatsPerStimulus, [3, 2, 2, 2, 2, 3])
        }
    }

    /// Without /stimulus_index, trial t is stimulus t; without /split, the seeded 80/10/10 split.
    func testOptionalArraysAbsent() throws {
        let dir = TestPaths.temporaryDirectory("roundtrip-min")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/minimal.h5"
        let f = try HDF5File.create(path)
        try f.write("/stimuli", floats: (0..<(50 * 16)).map { Float($0) }, shape: [50, 4, 4])
        try f.write("/responses", floats: (0..<100).map { Float($0 % 3) }, shape: [50, 2])
        f.close()
        let d = try Dataset.load(path)
        XCTAssertEqual(d.stimulusIndex, Array(0..<50))
        XCTAssertFalse(d.hasStimulusIndex)
        XCTAssertFalse(d.splitFromFile)
        XCTAssertEqual(d.split, Split.seeded(stimulusCount: 50, seed: 0))
        XCTAssertEqual(d.stimuli(in: .train).count, 40)
        XCTAssertEqual(d.stimuli(in: .validation).count, 5)
        XCTAssertEqual(d.stimuli(in: .test).count, 5)
        XCTAssertEqual(d.unitNames, ["unit0", "unit1"])
        XCTAssertEqual(d.modality, .spikes)
        XCTAssertNil(d.masks)
        XCTAssertNil(d.groundTruth)
        // Another split seed gives another split; the same seed the same.
        let other = try Dataset.load(path, options: DatasetLoadOptions(splitSeed: 9))
        XCTAssertNotEqual(other.split, d.split)
        XCTAssertEqual(try Dataset.load(path, options: DatasetLoadOptions(splitSeed: 9)).split, other.split)
        // Paths given without the leading slash name the same datasets.
        let relative = try Dataset.load(path, options: DatasetLoadOptions(paths: DatasetPaths(stimuli: "stimuli", responses: "responses")))
        XCTAssertEqual(relative.trialCount, 50)
    }
}
