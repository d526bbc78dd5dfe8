// Scores of a ridge (feature-space) model on one split of a dataset, with the predictions and the
// repeat-averaged responses they were scored against: what `score` prints and `report` shows.
// Stimulus models: one row per shown stimulus of the split (repeats averaged, noise ceilings from
// the repeats). Time-series models (fitted with delayed features): one row per trial (TR) of the split, no repeats.
import Foundation
import Tensors
import NeuralData
import Cluster

public struct RidgeEvaluation {
    /// The per-target scores (VoxelScores), with the banded per-space R² split when the model has one.
    public var scores: VoxelScoreReport
    /// [rows, U] predicted and measured (repeat-averaged) responses, rows in the order of `rows`.
    public var predicted: [Float]
    public var measured: [Float]
    /// The dataset's stimuli (stimulus models) or trials (time-series models) of the rows.
    public var rows: [Int]
    public var rowKind: RidgeRowKind

    /// - Parameters:
    ///   - runs: the run of every trial (`/runs`), needed by time-series models only.
    ///   - cluster: under MPI the stimuli's predictions are split over the ranks (RidgeModel.predict);
    ///     a time-series model is evaluated whole on every rank.
    /// - Throws: `EncodingError.incompatibleData` when the split has no trials, a time-series model
    ///   has no runs, or the features do not match the model's.
    public static func evaluate(model m: RidgeModel, dataset ds0: Dataset, runs: [Int]?, split: Split,
                                reliabilityThreshold: Double, cluster: Cluster = SingleProcess()) throws -> RidgeEvaluation {
        var ds = ds0, st = ds0.repeatStatistics(in: split)
        let pred: [Float], rows: [Int]
        if m.config.delays != nil {
            // Time series: each trial (TR) of the split is scored on its own (no repeats, so no noise ceiling).
            guard let runs else { throw EncodingError.incompatibleData(reason: "\(ds0.file) has no /runs, which a time-series ridge model needs") }
            let trials = ds0.trials(in: split)
            guard !trials.isEmpty else { throw EncodingError.incompatibleData(reason: "the \(split) split of \(ds0.file) has no trials") }
            pred = try m.predictTrials(dataset: ds0, runs: runs, trials: trials)
            ds = Dataset(stimuli: Tensor(shape: [trials.count, 1, 1, 1]), responses: ds0.responses(trials: trials),
                         split: [Split](repeating: .test, count: trials.count), modality: .fmri, name: ds0.file)
            st = ds.repeatStatistics(in: .test)
            rows = trials
        } else {
            guard !st.stimuli.isEmpty else { throw EncodingError.incompatibleData(reason: "the \(split) split of \(ds0.file) has no trials") }
            pred = try m.predict(dataset: ds, stimuli: st.stimuli, cluster: cluster)
            rows = st.stimuli
        }
        var r = VoxelScores.score(predictions: pred, statistics: st, dataset: ds, variance: m.variance, reliabilityThreshold: reliabilityThreshold)
        if m.config.delays == nil, let share = try m.spaceVarianceSplit(dataset: ds, stimuli: st.stimuli, measured: st.meanResponses) {
            var d: [String: ScoreSummary] = [:]
            for (i, src) in m.config.features.enumerated() {
                d[src.description] = ScoreSummary(perUnit: (0..<m.unitCount).map { share[i * m.unitCount + $0] })
            }
            r.spaceR2 = d
        }
        return RidgeEvaluation(scores: r, predicted: pred, measured: st.meanResponses, rows: rows,
                               rowKind: m.config.delays == nil ? .stimulus : .trial)
    }

    /// `score` under MPI, targets split: `share` holds only this rank's response columns `columns`
    /// (of the model's targets, `Cluster.share(of:)`); the rank predicts and scores its targets on
    /// every row of the split (features of all the split's stimuli, its weight columns) and the
    /// per-target values are gathered on every rank (`allgather`, 8·(8 + S) bytes per target of its
    /// share, S the banded spaces). The summaries are computed from the gathered values
    /// (`VoxelScores.assembled`), so the report is the one-process report.
    public static func scoresOfTargetShare(model m: RidgeModel, share ds: Dataset, columns: Range<Int>, runs: [Int]?, split: Split,
                                           reliabilityThreshold: Double, cluster: Cluster) throws -> VoxelScoreReport {
        let banded = m.config.delays == nil && m.fit.spaceWeights != nil
        let spaces = banded ? m.config.features.map { $0.description } : []
        guard ds.unitCount == columns.count else {
            throw EncodingError.incompatibleData(reason: "\(ds.file): \(ds.unitCount) response columns read for the \(columns.count) targets \(columns)")
        }
        var local: VoxelScoreReport?
        if !columns.isEmpty {
            local = try evaluate(model: m.targets(columns), dataset: ds, runs: runs, split: split, reliabilityThreshold: reliabilityThreshold).scores
        }
        let all = cluster.allgather(local?.perTargetValues(spaces: spaces) ?? [])
        guard all.count == m.unitCount * (VoxelScoreReport.perTargetFields.count + spaces.count) else {
            throw EncodingError.incompatibleData(reason: "gathered \(all.count) per-target scores from \(cluster.size) ranks, expected \(m.unitCount) targets × \(VoxelScoreReport.perTargetFields.count + spaces.count)")
        }
        // Stimuli and trials of the split do not depend on the columns (a rank without targets has none to report).
        let rows: (Int, Int)
        if let l = local { rows = (l.stimuli, l.trials) }
        else if m.config.delays != nil { let t = ds.trials(in: split).count; rows = (t, t) }
        else { let st = ds.repeatStatistics(in: split); rows = (st.stimuli.count, st.repeatCounts.reduce(0, +)) }
        return VoxelScoreReport.fromPerTargetValues(all, spaces: spaces, banded: banded, stimuli: rows.0, trials: rows.1,
                                                    reliabilityThreshold: reliabilityThreshold)
    }
}
