// Seeded split by stimulus, and minibatches by trial with per-epoch seeds.
import Foundation
import NeuralData
import Tensors
import TestSupport
import XCTest

final class SplitSamplerTests: XCTestCase {
    func testSeededSplitProportionsAndDeterminism() {
        for n in [2, 3, 10, 97, 1000] {
            let s = Split.seeded(stimulusCount: n, seed: 4)
            XCTAssertEqual(s, Split.seeded(stimulusCount: n, seed: 4))
            let test = s.filter { $0 == .test }.count, val = s.filter { $0 == .validation }.count
            XCTAssertEqual(test, max(1, Int((Double(n) * 0.1).rounded())), "n = \(n)")
            XCTAssertEqual(val, Int((Double(n) * 0.1).rounded()), "n = \(n)")
            XCTAssertGreaterThan(s.filter { $0 == .train }.count, 0)
        }
        XCTAssertNotEqual(Split.seeded(stimulusCount: 100, seed: 1), Split.seeded(stimulusCount: 100, seed: 2))
    }

    func testRepeatsNeverCrossSplits() throws {
        // 30 stimuli × 5 repeats, no /split in the data: the seeded split must keep every stimulus's
        // repeats together.
        let n = 30, reps = 5
        var rng = SeededRandom(seed: 1)
        var index = (0..<(n * reps)).map { $0 % n }
        rng.shuffle(&index)
        let d = Dataset(stimuli: Tensor(shape: [n, 1, 4, 4]), responses: Tensor(shape: [n * reps, 2], repeating: 1), stimulusIndex: index)
        var seen: [Int: Split] = [:]
        for s in Split.allCases {
            for t in d.trials(in: s) {
                if let prior = seen[d.stimulusIndex[t]] { XCTAssertEqual(prior, s) }
                seen[d.stimulusIndex[t]] = s
            }
        }
        XCTAssertEqual(d.trials(in: .test).count, 3 * reps)
    }

    func testSamplerEpochsAreSeededAndResumable() {
        let trials = Array(stride(from: 0, to: 1003, by: 1))
        let sampler = MinibatchSampler(trials: trials, batchSize: 64, seed: 77)
        XCTAssertEqual(sampler.batchesPerEpoch, 16)
        var epochs: [[[Int]]] = []
        for e in 0..<4 {
            let b = sampler.batches(epoch: e)
            XCTAssertEqual(b.count, 16)
            XCTAssertEqual(b.dropLast().map(\.count), [Int](repeating: 64, count: 15))
            XCTAssertEqual(b.flatMap { $0 }.sorted(), trials, "every trial exactly once per epoch")
            epochs.append(b)
        }
        XCTAssertNotEqual(epochs[0], epochs[1])
        // A run resumed at epoch 2 (a fresh sampler, same seed) draws the same batches.
        let resumed = MinibatchSampler(trials: trials, batchSize: 64, seed: 77)
        XCTAssertEqual(resumed.batches(epoch: 2), epochs[2])
        XCTAssertEqual(resumed.batches(epoch: 3), epochs[3])
        XCTAssertNotEqual(MinibatchSampler(trials: trials, batchSize: 64, seed: 78).batches(epoch: 0), epochs[0])
        let dropping = MinibatchSampler(trials: trials, batchSize: 64, seed: 77, dropLast: true)
        XCTAssertEqual(dropping.batches(epoch: 0).count, 15)
        XCTAssertEqual(MinibatchSampler(trials: [3, 1, 2], batchSize: 2, seed: 0, shuffle: false).batches(epoch: 5), [[3, 1], [2]])
    }

    func testMinibatchPairsStimuliWithTrials() throws {
        let n = 6
        var stim = Tensor(shape: [n, 1, 2, 2])
        for i in 0..<stim.count { stim.data[i] = Float(i / 4) }   // stimulus i is all i
        let index = [0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0]
        let responses = Tensor(shape: [12, 1], data: (0..<12).map(Float.init))
        let d = Dataset(stimuli: stim, responses: responses, stimulusIndex: index, split: [.train, .train, .train, .train, .validation, .test])
        let mb = try d.minibatch(trials: [7, 0, 6, 11])
        XCTAssertEqual(mb.stimulusIndices, [4, 0, 5, 0])
        XCTAssertEqual(mb.stimuli.shape, [4, 1, 2, 2])
        XCTAssertEqual(mb.stimuli.data, [4, 4, 4, 4, 0, 0, 0, 0, 5, 5, 5, 5, 0, 0, 0, 0])
        XCTAssertEqual(mb.responses.data, [7, 0, 6, 11])
    }
}
