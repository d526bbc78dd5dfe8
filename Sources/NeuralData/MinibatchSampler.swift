// Minibatches by trial, shuffled with a seed. The order of epoch k depends only on (seed, k), so a
// run resumed at epoch k draws exactly the batches an uninterrupted run would have drawn.
import Tensors

public struct MinibatchSampler: Sendable {
    /// The trials drawn from (e.g. `dataset.trials(in: .train)`).
    public let trials: [Int]
    public let batchSize: Int
    public let seed: UInt64
    /// Drop a last batch smaller than `batchSize`.
    public let dropLast: Bool
    public let shuffle: Bool

    public init(trials: [Int], batchSize: Int, seed: UInt64, dropLast: Bool = false, shuffle: Bool = true) {
        precondition(batchSize > 0, "batch size must be positive")
        self.trials = trials; self.batchSize = batchSize; self.seed = seed
        self.dropLast = dropLast; self.shuffle = shuffle
    }

    public var batchesPerEpoch: Int {
        dropLast ? trials.count / batchSize : (trials.count + batchSize - 1) / batchSize
    }

    /// The batches of epoch `epoch` (0-based): a permutation of `trials` (seeded by `seed` and
    /// `epoch`) cut into consecutive batches of `batchSize` trial indices.
    public func batches(epoch: Int) -> [[Int]] {
        var order = trials
        if shuffle {
            var rng = SeededRandom.derived(seed: seed, stream: UInt64(truncatingIfNeeded: epoch))
            rng.shuffle(&order)
        }
        var out: [[Int]] = []
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
}
