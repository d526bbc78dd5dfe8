// The real V4 recording reads as documented and its split is respected.
import Foundation
import NeuralData
import Tensors
import TestSupport
import XCTest

final class RealDataTests: XCTestCase {
    func testV4RecordingReads() throws {
        guard let path = TestPaths.sharedData("v4-210325.h5") else {
            print("skipping testV4RecordingReads: ../shared/data/v4-210325.h5 is absent"); return
        }
        for storage in [StimulusStorage.memory, .stream] {
            let d = try Dataset.load(path, options: DatasetLoadOptions(storage: storage))
            XCTAssertEqual(d.stimulusCount, 640)
            XCTAssertEqual(d.stimulusShape, [3, 112, 112])
            XCTAssertEqual(d.stimulusType, .uint8)
            XCTAssertEqual(d.trialCount, 4840)
            XCTAssertEqual(d.unitCount, 50)
            XCTAssertEqual(d.modality, .spikes)
            XCTAssertEqual(d.repeatsPerStimulus.min(), 6)
            XCTAssertEqual(d.repeatsPerStimulus.max(), 10)
            // The split is the file's, by stimulus.
            XCTAssertTrue(d.splitFromFile)
            let raw = try HDF5File.open(path).readInts("/split").values
            XCTAssertEqual(d.split.map { Int($0.rawValue) }, raw)
            XCTAssertEqual([d.stimuli(in: .train).count, d.stimuli(in: .validation).count, d.stimuli(in: .test).count], [512, 64, 64])
            // No stimulus has trials in two splits, and the trial sets partition all trials.
            let train = Set(d.trials(in: .train)), val = Set(d.trials(in: .validation)), test = Set(d.trials(in: .test))
            XCTAssertEqual(train.count + val.count + test.count, 4840)
            for t in test { XCTAssertEqual(d.split[d.stimulusIndex[t]], .test) }
            XCTAssertTrue(Set(d.trials(in: .train).map { d.stimulusIndex[$0] }).isDisjoint(with: Set(d.trials(in: .test).map { d.stimulusIndex[$0] })))
            // Pixel values arrive unchanged (uint8 → Float).
            let first = try d.stimuli([639, 0])
            let direct = try HDF5File.open(path).readUInt8("/stimuli", rows: 639..<640).values.map(Float.init)
            XCTAssertEqual(Array(first.data[0..<direct.count]), direct)
        }
    }
}
