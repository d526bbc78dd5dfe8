// Predicted means of an encoder on preprocessed stimuli, and the refit of an observation model's
// nuisance parameters on them: what the trainer, the estimators and the analyses share. (Lived in
// `ModelFitting`; the trainer called back into it.)
import Foundation
import Tensors
import Cluster

extension NeuralEncoder {
    /// Predicted means of `indices` (evaluation mode), (n, U), in batches of `batchSize` so a
    /// streamed dataset stays in bounded memory (`predictInBatches`, the one loop every prediction uses).
    /// Across ranks, each rank predicts its share of whole batches (the same batches as one
    /// process, so the same numbers) and the rows are gathered: every rank gets all of them.
    public func predictStimuli(_ stimuli: StimulusProvider, indices: [Int], batchSize: Int = 128,
                               cluster: Cluster = SingleProcess()) throws -> Tensor {
        let u = architecture.units
        if cluster.size > 1 {
            let mine = cluster.share(of: indices.count, block: batchSize)
            let part = try predictStimuli(stimuli, indices: Array(indices[mine]), batchSize: batchSize)
            let all = cluster.allgather(part.data)   // float32, as predicted: 4·U bytes per stimulus
            guard all.count == indices.count * u else {
                throw EncodingError.incompatibleData(reason: "gathered \(all.count) predictions from \(cluster.size) ranks, expected \(indices.count * u)")
            }
            return Tensor(shape: [indices.count, u], data: all)
        }
        return try predictInBatches(count: indices.count, batchSize: batchSize) { try stimuli.stimuli(Array(indices[$0])) }
    }

    /// Predicted means of stimuli already in memory, x (N, C, H, W) → (N, U), evaluation mode.
    public func predict(_ x: Tensor, batchSize: Int = 128) -> Tensor {
        predictInBatches(count: x.shape[0], batchSize: batchSize) { x.slice($0) }
    }

    /// The batching loop: forward of `batch(range)` for consecutive ranges of at most `batchSize`
    /// rows of `count`, the means stacked (count, U).
    private func predictInBatches(count n: Int, batchSize: Int, _ batch: (Range<Int>) throws -> Tensor) rethrows -> Tensor {
        precondition(batchSize > 0, "batch size must be positive")
        let u = architecture.units
        var out = Tensor(shape: [n, u])
        var start = 0
        while start < n {
            let end = min(n, start + batchSize)
            let mu = forward(try batch(start..<end), training: false)
            out.data.replaceSubrange((start * u)..<(end * u), with: mu.data)
            start = end
        }
        return out
    }

    /// Predicted means for trials, (T_sel × U) in Double, computing each stimulus once.
    public func predictTrials(_ stimuli: StimulusProvider, stimulusIndex: [Int], trials: [Int], batchSize: Int = 128,
                              cluster: Cluster = SingleProcess()) throws -> ResponseMatrix<Double> {
        let stim = Array(Set(trials.map { stimulusIndex[$0] })).sorted()
        var row = [Int: Int]()
        for (k, s) in stim.enumerated() { row[s] = k }
        let perStimulus = try predictStimuli(stimuli, indices: stim, batchSize: batchSize, cluster: cluster)
        let means = ResponseMatrix(rows: stim.count, columns: architecture.units, values: perStimulus.data)
        var out = ResponseMatrix<Double>(rows: trials.count, columns: architecture.units)
        for (k, t) in trials.enumerated() {
            // Every trial's stimulus is in `stim` by construction.
            guard let r = row[stimulusIndex[t]] else { continue }
            out.setRow(k, to: means.row(r).map(Double.init))
        }
        return out
    }
}

extension TrainingData {
    /// Re-estimates the observation model's per-unit nuisance parameters (variance, dispersion) on
    /// the training trials, at the encoder's current predictions.
    public func refitNuisance(_ observation: inout any ObservationModel, encoder: NeuralEncoder,
                              cluster: Cluster = SingleProcess()) throws {
        let mu = try encoder.predictTrials(stimuli, stimulusIndex: stimulusIndex, trials: trainTrials, cluster: cluster)
        let y = responses.rows(trainTrials).converted(to: Double.self)
        try observation.fitNuisance(y: y.values, mean: mu.values, units: units)
    }
}
