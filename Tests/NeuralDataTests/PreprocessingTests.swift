// Preprocessing against numpy/torch references (fixture scripts/fixtures/neuraldata.py), and the
// guarantee that a recorded preprocessing replays identically.
import Foundation
import NeuralData
import Tensors
import TestSupport
import XCTest

final class PreprocessingTests: XCTestCase {
    var ref: HDF5File!
    override func setUpWithError() throws { ref = try HDF5File.open(TestPaths.fixture("neuraldata_reference.h5")) }

    func tensor(_ p: String) throws -> Tensor { try ref.readTensor(p) }

    func testGrayscaleResizeCropAgainstReference() throws {
        let raw = try tensor("/prep/raw")     // [5, 3, 12, 10]
        func run(_ o: PreprocessingOptions) throws -> Tensor {
            try Preprocessing(inputShape: [3, 12, 10], options: o).apply(raw)
        }
        let gray = try run(PreprocessingOptions(grayscale: true, normalization: .none))
        XCTAssertTrue(compareArrays("grayscale", gray.data, try tensor("/prep/gray").data, atol: 1e-4).ok)
        for (size, name) in [(ImageSize(height: 7, width: 4), "area_7x4"), (ImageSize(height: 6, width: 5), "area_6x5"),
                             (ImageSize(height: 15, width: 13), "area_15x13")] {
            let out = try run(PreprocessingOptions(grayscale: true, resize: size, normalization: .none))
            XCTAssertEqual(out.shape, [5, 1, size.height, size.width])
            XCTAssertTrue(compareArrays("area resize \(name)", out.data, try tensor("/prep/" + name).data, atol: 1e-3, rtol: 1e-5).ok)
        }
        let torch = try run(PreprocessingOptions(grayscale: true, resize: ImageSize(height: 6, width: 5), normalization: .none))
        XCTAssertTrue(compareArrays("area resize vs torch interpolate(mode=area)", torch.data, try tensor("/prep/torch_area_6x5").data, atol: 1e-3, rtol: 1e-5).ok)
        let crop = try run(PreprocessingOptions(grayscale: true, resize: ImageSize(height: 7, width: 4), crop: ImageSize(height: 5, width: 4), normalization: .none))
        XCTAssertTrue(compareArrays("resize + centre crop", crop.data, try tensor("/prep/crop_5x4").data, atol: 1e-3, rtol: 1e-5).ok)
        let offsets = try ref.readInts("/prep/crop_offsets").values
        for k in 0..<offsets.count { XCTAssertEqual(Preprocessing.cropOffset(k + 3, 3), offsets[k], "crop offset for margin \(k)") }
    }

    func testWhiteningAgainstNumpyFFT() throws {
        let raw = try tensor("/prep/raw")
        let f0 = try ref.readDoubles("/prep/whitening_cutoff").values[0]
        let p = try Preprocessing(inputShape: [3, 12, 10], options: PreprocessingOptions(grayscale: true, whitening: true, whiteningCutoff: f0, normalization: .none))
        let out = p.apply(raw)
        XCTAssertTrue(compareArrays("spectral whitening", out.data, try tensor("/prep/whitened").data, atol: 2e-3, rtol: 1e-5).ok)
        // The filter removes the mean of every plane.
        for i in 0..<5 { XCTAssertEqual(out.data[(i * 120)..<((i + 1) * 120)].reduce(0, +) / 120, 0, accuracy: 1e-3) }
    }

    func testNormalizationStatisticsFromTrainingSplit() throws {
        let raw = try tensor("/prep/raw")      // 5 stimuli
        let extra = Tensor(shape: [3, 3, 12, 10], repeating: 1000)   // validation/test stimuli: must not count
        var all = raw.data; all += extra.data
        let d = Dataset(stimuli: Tensor(shape: [8, 3, 12, 10], data: all), responses: Tensor(shape: [8, 1]),
                        split: [.train, .train, .train, .train, .train, .validation, .test, .test])
        let channel = try Preprocessing.fit(on: d, options: PreprocessingOptions(normalization: .perChannel), batchSize: 2)
        XCTAssertTrue(compareArrays("per-channel mean", channel.mean, try ref.readDoubles("/prep/channel_mean").values.map(Float.init), atol: 1e-3, rtol: 1e-5).ok)
        XCTAssertTrue(compareArrays("per-channel std", channel.std, try ref.readDoubles("/prep/channel_std").values.map(Float.init), atol: 1e-3, rtol: 1e-5).ok)
        let pixel = try Preprocessing.fit(on: d, options: PreprocessingOptions(normalization: .perPixel), batchSize: 3)
        XCTAssertTrue(compareArrays("per-pixel mean", pixel.mean, try ref.readDoubles("/prep/pixel_mean").values.map(Float.init), atol: 1e-3, rtol: 1e-5).ok)
        XCTAssertTrue(compareArrays("per-pixel std", pixel.std, try ref.readDoubles("/prep/pixel_std").values.map(Float.init), atol: 1e-3, rtol: 1e-5).ok)
        // Training stimuli come out with mean 0 and std 1 per channel.
        let z = channel.apply(raw)
        for c in 0..<3 {
            var vals: [Double] = []
            for i in 0..<5 { for k in 0..<120 { vals.append(Double(z.data[(i * 3 + c) * 120 + k])) } }
            let m = vals.reduce(0, +) / Double(vals.count)
            let v = vals.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(vals.count)
            XCTAssertEqual(m, 0, accuracy: 1e-4); XCTAssertEqual(v, 1, accuracy: 1e-3)
        }
    }

    /// A preprocessing saved (JSON, as in a model file) and restored applies bit-identically, and
    /// streamed and in-memory stimuli give the same batches.
    func testRecordedPreprocessingReplaysIdentically() throws {
        let sim = try Simulator.simulate(SimulationOptions(cells: [CellCount(.simple, 2)], stimulusCount: 40, size: 16, seed: 5))
        let dir = TestPaths.temporaryDirectory("prep-replay")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sim.h5"
        try sim.write(to: path, overwrite: false)
        let memory = try Dataset.load(path, options: DatasetLoadOptions(storage: .memory))
        let stream = try Dataset.load(path, options: DatasetLoadOptions(storage: .stream))
        let options = PreprocessingOptions(resize: ImageSize(12), crop: ImageSize(10), whitening: true, normalization: .perChannel)
        let p = try Preprocessing.fit(on: memory, options: options)
        XCTAssertEqual(try Preprocessing.fit(on: stream, options: options, batchSize: 7), p)
        let json = try JSONEncoder().encode(p)
        let restored = try JSONDecoder().decode(Preprocessing.self, from: json)
        XCTAssertEqual(restored, p)
        XCTAssertEqual(restored.outputShape, [1, 10, 10])
        let trials = Array(memory.trials(in: .test))
        let a = try memory.minibatch(trials: trials, preprocessing: p)
        let b = try stream.minibatch(trials: trials, preprocessing: restored)
        XCTAssertEqual(a.stimuli, b.stimuli)
        XCTAssertEqual(a.stimuli.shape, [trials.count, 1, 10, 10])
    }

    func testInvalidOptionsAreTypedErrors() {
        XCTAssertThrowsError(try Preprocessing(inputShape: [1, 8, 8], options: PreprocessingOptions(crop: ImageSize(9)))) { e in
            XCTAssertEqual("\(e)", "crop: crop 9×9 is larger than the 8×8 image it is cut from")
        }
        XCTAssertThrowsError(try Preprocessing(inputShape: [1, 8, 8], options: PreprocessingOptions(resize: ImageSize(height: 0, width: 3))))
        XCTAssertThrowsError(try Preprocessing(inputShape: [1, 8, 8], options: PreprocessingOptions(whitening: true, whiteningCutoff: 0)))
        XCTAssertThrowsError(try Preprocessing(inputShape: [1, 8, 8], options: PreprocessingOptions(normalization: .perChannel), mean: [0], std: []))
    }
}
