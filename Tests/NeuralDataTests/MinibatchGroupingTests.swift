// The sampler's stimulus grouping (`--batch-by stimulus`, what the trainer draws): every training
// trial exactly once per epoch, each stimulus' trials together in one batch, `batchSize` counting
// stimuli, seeded epochs; and the exact order the trainer drew before it used the sampler.
import Foundation
import NeuralData
import Tensors
import XCTest

final class MinibatchGroupingTests: XCTestCase {
    /// 40 stimuli with 1–4 repeats each, trials in a shuffled order; the training trials are those of
    /// the first 30 stimuli.
    func design() -> (index: [Int], train: [Int]) {
        var rng = SeededRandom(seed: 9)
        var index: [Int] = []
        for s in 0..<40 { for _ in 0..<(1 + s % 4) { index.append(s) } }
        rng.shuffle(&index)
        let train = index.indices.filter { index[$0] < 30 }
        return (index, train)
    }

    func testEveryTrainTrialOncePerEpochWithGroupsIntact() {
        let (index, train) = design()
        let sampler = MinibatchSampler(trials: train, stimulusIndex: index, grouping: .stimulus, batchSize: 7, seed: 3)
        XCTAssertEqual(sampler.groups.count, 30, "one group per training stimulus")
        XCTAssertEqual(sampler.batchesPerEpoch, 5)            // ⌈30 / 7⌉
        for epoch in 0..<4 {
            let grouped = sampler.groupBatches(epoch: epoch)
            XCTAssertEqual(grouped.count, 5)
            XCTAssertEqual(grouped.map(\.count), [7, 7, 7, 7, 2], "batchSize counts stimuli")
            let flat = sampler.batches(epoch: epoch)
            XCTAssertEqual(flat, grouped.map { $0.flatMap { $0 } })
            let all = flat.flatMap { $0 }
            XCTAssertEqual(all.count, train.count, "epoch \(epoch): every training trial once")
            XCTAssertEqual(all.sorted(), train.sorted())
            var batchOfStimulus: [Int: Int] = [:]
            for (b, batch) in grouped.enumerated() {
                for g in batch {
                    // A group is one stimulus with all its training trials, in trial order.
                    let s = index[g[0]]
                    XCTAssertTrue(g.allSatisfy { index[$0] == s })
                    XCTAssertEqual(g, train.filter { index[$0] == s })
                    XCTAssertNil(batchOfStimulus[s], "stimulus \(s) appears in two groups")
                    batchOfStimulus[s] = b
                }
            }
            XCTAssertEqual(batchOfStimulus.count, 30)
        }
        XCTAssertEqual(sampler.groupBatches(epoch: 2), sampler.groupBatches(epoch: 2), "seeded")
        XCTAssertNotEqual(sampler.groupBatches(epoch: 1), sampler.groupBatches(epoch: 2), "epochs are shuffled differently")
        let other = MinibatchSampler(trials: train, stimulusIndex: index, grouping: .stimulus, batchSize: 7, seed: 4)
        XCTAssertNotEqual(other.groupBatches(epoch: 1), sampler.groupBatches(epoch: 1), "the seed matters")
        let dropping = MinibatchSampler(trials: train, stimulusIndex: index, grouping: .stimulus, batchSize: 7, seed: 3, dropLast: true)
        XCTAssertEqual(dropping.groupBatches(epoch: 0).map(\.count), [7, 7, 7, 7])
    }

    func testTrialGroupingIsTheTrialSampler() {
        let (index, train) = design()
        let byTrial = MinibatchSampler(trials: train, stimulusIndex: index, grouping: .trial, batchSize: 16, seed: 11)
        let plain = MinibatchSampler(trials: train, batchSize: 16, seed: 11)
        for e in 0..<3 { XCTAssertEqual(byTrial.batches(epoch: e), plain.batches(epoch: e)) }
    }

    /// The trainer's order before it used the sampler, written out: groups in order of first
    /// appearance, shuffled by stream 1000 + epoch (epochs from 1), cut every `batchSize` groups.
    func testTrainerOrderIsUnchanged() {
        let (index, train) = design()
        for grouping in BatchGrouping.allCases {
            var groups: [[Int]] = [], position: [Int: Int] = [:]
            for t in train {
                if grouping == .trial { groups.append([t]); continue }
                if let p = position[index[t]] { groups[p].append(t) } else { position[index[t]] = groups.count; groups.append([t]) }
            }
            let sampler = MinibatchSampler(trials: train, stimulusIndex: index, grouping: grouping, batchSize: 5, seed: 21, streamOffset: 1000)
            XCTAssertEqual(sampler.groups, groups)
            for epoch in 1...3 {
                var rng = SeededRandom.derived(seed: 21, stream: 1000 + UInt64(epoch))
                var order = groups
                rng.shuffle(&order)
                var expected: [[[Int]]] = []
                var start = 0
                while start < order.count { expected.append(Array(order[start..<min(order.count, start + 5)])); start += 5 }
                XCTAssertEqual(sampler.groupBatches(epoch: epoch), expected, "\(grouping), epoch \(epoch)")
            }
        }
    }
}
