// Streaming stimuli from the file in row ranges: same values as in memory, bounded memory.
// The full-size demonstration (a file of ≥ 4 GB, peak RSS < 1.5 GB) runs when
// RECEPTIVE_STREAM_GB is set (e.g. RECEPTIVE_STREAM_GB=4); by default a 256 MB file is used.
import Foundation
import NeuralData
import Tensors
import TestSupport
import XCTest

final class StreamingTests: XCTestCase {
    func testStreamedEqualsInMemory() throws {
        let dir = TestPaths.temporaryDirectory("stream-eq")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/small.h5"
        let info = try LargeContractFile.generate(at: path, bytes: 300 * 32 * 32, side: 32, units: 3, blockRows: 64)
        XCTAssertEqual(info.stimulusCount, 300)
        let memory = try Dataset.load(path, options: DatasetLoadOptions(storage: .memory))
        let stream = try Dataset.load(path, options: DatasetLoadOptions(storage: .stream))
        XCTAssertFalse(memory.isStreaming); XCTAssertTrue(stream.isStreaming)
        let sampler = MinibatchSampler(trials: memory.trials(in: .train), batchSize: 50, seed: 1)
        for batch in sampler.batches(epoch: 0) {
            let a = try memory.minibatch(trials: batch), b = try stream.minibatch(trials: batch)
            XCTAssertEqual(a.stimuli, b.stimuli); XCTAssertEqual(a.responses, b.responses)
        }
        let source = try XCTUnwrap(stream.stimulusSource as? HDF5StimulusSource)
        // Contiguous requests are one hyperslab read each.
        let before = source.rangeReads
        _ = try stream.stimuli(Array(100..<164))
        XCTAssertEqual(source.rangeReads - before, 1)
        _ = try stream.stimuli([5, 7, 6, 200, 201, 5])
        XCTAssertEqual(source.rangeReads - before, 3)
    }

    func testOneEpochInBoundedMemory() throws {
        let gb = Double(ProcessInfo.processInfo.environment["RECEPTIVE_STREAM_GB"] ?? "") ?? 0.25
        let dir = TestPaths.temporaryDirectory("stream-epoch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/large.h5"
        let info = try LargeContractFile.generate(at: path, bytes: Int(gb * 1e9))
        print(String(format: "[streaming] generated %.2f GB (%d stimuli of 1×128×128 uint8) in %.1f s", Double(info.bytes) / 1e9, info.stimulusCount, info.seconds))
        XCTAssertGreaterThanOrEqual(Double(info.bytes), gb * 1e9)
        // One shuffled epoch streamed from the file (the loop `receptive-bench stream` times with a trainer in it).
        let reset = ResidentMemory.resetPeak()
        let dataset = try Dataset.load(path, options: DatasetLoadOptions(storage: .stream))
        var checksum = 0.0, trials = 0
        for batch in MinibatchSampler(trials: dataset.trials(in: .train), batchSize: 256, seed: 0).batches(epoch: 0) {
            let mb = try dataset.minibatch(trials: batch)
            checksum += Double(mb.stimuli.data[0]) + Double(mb.responses.data[0])
            trials += batch.count
        }
        let peak = peakResidentBytes() ?? 0
        print(String(format: "[streaming] %d trials, peak RSS %.0f MiB%@", trials, Double(peak) / 1_048_576, reset ? "" : " (process peak; could not reset)"))
        XCTAssertEqual(trials, Dataset.trialsInTrainSplit(path))
        // Bounded: the epoch's peak RSS stays far below the file's size and below 1.5 GB.
        XCTAssertLessThan(peak, 1_500_000_000)
        if gb >= 1 { XCTAssertLessThan(Double(peak), 0.4 * Double(info.bytes)) }
        XCTAssertGreaterThan(checksum, 0)
    }
}

extension Dataset {
    static func trialsInTrainSplit(_ path: String) -> Int {
        (try? Dataset.load(path, options: DatasetLoadOptions(storage: .stream)).trials(in: .train).count) ?? -1
    }
}
