// Minibatches of training trials, shuffled with a seed. The order of epoch k depends only on
// (seed, stream of k), so a run resumed at epoch k draws exactly the batches an uninterrupted run
// would have drawn. The trainer draws its batches here.
//
// A batch is cut from a seeded permutation of *groups*: with `.trial` grouping every trial is its
// own group; with `.stimulus` grouping a group is one stimulus with all its trials (in trial order;
// groups in order of the stimulus' first appearance), so every image goes through a network once
// per step however many repeats it has. `batchSize` counts groups. Every trial is in exactly one
// group, so every epoch visits every trial exactly once.
import Tensors

/// How minibatches of training trials are formed.
public enum BatchGrouping: String, Codable, Sendable, CaseIterable {
    /// `batchSize` stimuli with all their training trials: each image goes through the network once
    /// per step however many repeats it has. The summed log-likelihood is the same function of the
    /// weights as with `.trial`; only the grouping of trials into steps differs.
    case stimulus
    /// `batchSize` trials drawn at random (a repeated image is forwarded once per trial).
    case trial
}

public struct MinibatchSampler: Sendable {
    /// The trials drawn from (e.g. `dataset.trials(in: .train)`).
    public let trials: [Int]
    /// The units a batch is made of (see the file header); `trials` regrouped, each trial once.
    public let groups: [[Int]]
    public let grouping: BatchGrouping
    /// Groups per batch.
    public let batchSize: Int
    public let seed: UInt64
    /// Epoch k is shuffled by the random stream `streamOffset + k` of `seed`.
    public let streamOffset: UInt64
    /// Drop a last batch smaller than `batchSize`.
    public let dropLast: Bool
    public let shuffle: Bool

    /// Batches of single trials.
    public init(trials: [Int], batchSize: Int, seed: UInt64, dropLast: Bool = false, shuffle: Bool = true,
                streamOffset: UInt64 = 0) {
        self.init(trials: trials, groups: trials.map { [$0] }, grouping: .trial, batchSize: batchSize, seed: seed,
                  dropLast: dropLast, shuffle: shuffle, streamOffset: streamOffset)
    }

    /// Batches of `grouping` groups; `stimulusIndex[t]` is the stimulus shown on trial t.
    public init(trials: [Int], stimulusIndex: [Int], grouping: BatchGrouping, batchSize: Int, seed: UInt64,
                dropLast: Bool = false, shuffle: Bool = true, streamOffset: UInt64 = 0) {
        self.init(trials: trials, groups: Self.groups(trials: trials, stimulusIndex: stimulusIndex, by: grouping),
                  grouping: grouping, batchSize: batchSize, seed: seed, dropLast: dropLast, shuffle: shuffle,
                  streamOffset: streamOffset)
    }

    private init(trials: [Int], groups: [[Int]], grouping: BatchGrouping, batchSize: Int, seed: UInt64,
                 dropLast: Bool, shuffle: Bool, streamOffset: UInt64) {
        precondition(batchSize > 0, "batch size must be positive")
        self.trials = trials; self.groups = groups; self.grouping = grouping
        self.batchSize = batchSize; self.seed = seed
        self.dropLast = dropLast; self.shuffle = shuffle; self.streamOffset = streamOffset
    }

    /// The groups of `trials`: each stimulus with all its trials (in trial order, stimuli in order
    /// of first appearance), or each trial on its own.
    public static func groups(trials: [Int], stimulusIndex: [Int], by grouping: BatchGrouping) -> [[Int]] {
        switch grouping {
        case .trial:
            return trials.map { [$0] }
        case .stimulus:
            var position = [Int: Int](), groups: [[Int]] = []
            for t in trials {
                if let p = position[stimulusIndex[t]] { groups[p].append(t) }
                else { position[stimulusIndex[t]] = groups.count; groups.append([t]) }
            }
            return groups
        }
    }

    public var batchesPerEpoch: Int {
        dropLast ? groups.count / batchSize : (groups.count + batchSize - 1) / batchSize
    }

    /// The groups of epoch `epoch` in the order they are visited: a permutation of `groups`
    /// seeded by `seed` and stream `streamOffset + epoch` (unshuffled when `shuffle` is false).
    public func order(epoch: Int) -> [[Int]] {
        var order = groups
        if shuffle {
            var rng = SeededRandom.derived(seed: seed, stream: streamOffset &+ UInt64(truncatingIfNeeded: epoch))
            rng.shuffle(&order)
        }
        return order
    }

    /// The batches of epoch `epoch`, each a list of groups: `order(epoch:)` cut into consecutive
    /// runs of `batchSize` groups (the last one shorter unless `dropLast`).
    public func groupBatches(epoch: Int) -> [[[Int]]] {
        let order = order(epoch: epoch)
        var out: [[[Int]]] = []
        out.reserveCapacity(batchesPerEpoch)
        var start = 0
        while start < order.count {
            let end = min(order.count, start + batchSize)
            if dropLast && end - start < batchSize { break }
            out.append(Array(order[start..<end]))
            start = end
        }
        return out
    }

    /// The batches of epoch `epoch` as flat lists of trial indices (the groups of each batch concatenated).
    public func batches(epoch: Int) -> [[Int]] {
        groupBatches(epoch: epoch).map { $0.flatMap { $0 } }
    }
}
