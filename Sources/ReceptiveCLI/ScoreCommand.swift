// receptive score MODEL DATA: held-out log-likelihood and friends, per unit and summarised.
import Cluster
import ConvEngine
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Report


struct ScoreCommand: ParsableCommand, WithThreadsOption, WithJSONFlag {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a fitted model on held-out data: LL/trial, bits/spike, pseudo-R², correlation, FEVE, calibration.",
        discussion: """
        ll_per_trial is the mean full log-likelihood per trial (nats); bits_per_spike compares with each \
        unit's training-mean rate; corr is Pearson r with the repeat-averaged response; feve needs repeats; \
        pit_ks is the KS distance of the randomised PIT from uniform (0 = calibrated). JSON keys: docs/scoring.md.
        Example: receptive score demo-cnn.h5 data/demo.h5 --json
        """)

    @Argument(help: "The model file (from receptive fit).") var model: String
    @Argument(help: "The HDF5 dataset file.") var data: String
    @Option(name: .customLong("eval-split"), help: "Which split to score: test, validation or train (--split-path names the split array inside the file).") var split: Split = .test
    @Option(help: "Seed of the randomised PIT.") var seed: UInt64 = 0
    @OptionGroup var threadsOption: ThreadsOption
    @OptionGroup var jsonFlag: JSONFlag
    @Flag(name: .customLong("per-unit"), help: "Also print one row per unit.") var perUnit = false
    @Flag(name: .customLong("ground-truth"), help: "Simulated data (/ground_truth/rates): also score the generating model and print the fraction of the achievable gain per cell type.") var groundTruth = false
    @Option(name: .customLong("reliability-threshold"), help: "ridge models: the summary over targets whose split-half reliability is at least this.") var reliabilityThreshold = 0.3
    @OptionGroup var dataset: DatasetOptions

    func run() throws { try onCluster(score(on:)) }

    /// Under mpirun the predictions are split over ranks by stimulus and the scoring by unit
    /// (ridge models: by target, ScoreCommand+Ridge.swift); rank 0 prints.
    func score(on cluster: Cluster) throws {
        Parallel.setThreads(threads)
        if try RidgeModel.kind(ofModelFile: model) == .ridge {
            return try scoreRidge(on: cluster)
        }
        let estimator = try EncodingModel.load(from: model)
        let m = try estimator.fitted()
        var options = dataset.loadOptions(for: m)
        if cluster.size > 1 && !groundTruth {
            return try scoreUnitShare(estimator, options: options, on: cluster)
        }
        if !cluster.isRoot {
            // Rank 0 scores every unit (and reads every response); the other ranks only predict
            // their share of the stimuli, for which they read no response column.
            let units = try Dataset.readHeader(data, options: options).unitCount
            options.responseColumns = 0..<0
            let ds = try dataset.load(data, options: options)
            try estimator.checkScoreInputs(ds, split: split, fileUnits: units)
            try passAgreementPoint(cluster)
            return try estimator.contributeToScore(ds, split: split, cluster: cluster, fileUnits: units)
        }
        let ds = try dataset.load(data, options: options)
        if cluster.size > 1 { try estimator.checkScoreInputs(ds, split: split) }
        try passAgreementPoint(cluster)
        let report = try estimator.score(ds, split: split, seed: seed, cluster: cluster)
        // Simulated data: the generating model's score is the ceiling (shown unless --json).
        let truth = groundTruth ? try EncodingModel.scoreGroundTruth(dataset: ds, split: split, observation: try m.observationModel(), seed: seed) : nil
        if json {
            if let t = truth {
                let gains = GainByType(dataset: ds, split: split, models: [("model", report)], truth: t).gains.mapValues { $0["model"] ?? .nan }
                try JSONOutput.print(ScoreWithTruth(report: report, truth: t, gains: gains))
            } else {
                try JSONOutput.print(report)
            }
            return
        }
        var rows = [(model, report)]
        if let t = truth { rows.append(("true model", t)) }
        print(ScoreTables.summary(rows, title: "\(split) split of \(data): \(report.trials) trials, \(report.stimuli) stimuli, \(report.units) units"))
        if truth != nil { print(GainByType(dataset: ds, split: split, models: [("model", report)], truth: truth).table()) }
        if perUnit { print(ScoreTables.perUnit(report, names: ds.hasUnitNames ? ds.unitNames : nil)) }
    }
}

extension ScoreCommand {
    /// Under mpirun (CNN and GLM models): each rank reads its share of the response columns (one
    /// hyperslab) and scores its units; the predictions are split by stimulus and gathered on every
    /// rank; rank 0 prints the report assembled from every rank's per-unit values.
    /// `--ground-truth` (every unit's true rates) keeps the rank-0 path above.
    func scoreUnitShare(_ estimator: EncodingModel, options base: DatasetLoadOptions, on cluster: Cluster) throws {
        var options = base
        let (header, columns) = try shareResponseColumns(of: data, options: &options, cluster: cluster)
        let units = header.unitCount
        let ds = try dataset.load(data, options: options)
        try estimator.checkScoreInputs(ds, split: split, fileUnits: units)
        try passAgreementPoint(cluster)
        let report = try estimator.scoreUnitShare(ds, split: split, seed: seed, cluster: cluster, columns: columns, fileUnits: units)
        guard cluster.isRoot else { return }
        if json { return try JSONOutput.print(report) }
        print(ScoreTables.summary([(model, report)], title: "\(split) split of \(data): \(report.trials) trials, \(report.stimuli) stimuli, \(report.units) units"))
        if perUnit {
            print(ScoreTables.perUnit(report, names: try header.allUnitNames()))
        }
    }
}

/// `score --json --ground-truth`: the model's keys as without the flag, plus the generating model's
/// scores (`true_model`) and the fraction of the achievable gain per cell type.
struct ScoreWithTruth: Encodable {
    let report: ScoreReport
    let truth: ScoreReport
    let gains: [String: Double]
    enum CodingKeys: String, CodingKey { case trueModel = "true_model", fractionOfAchievableGain = "fraction_of_achievable_gain" }
    func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(truth, forKey: .trueModel)
        try c.encode(gains, forKey: .fractionOfAchievableGain)
    }
}

enum ScoreTables {
    /// One row per model: the summary (mean over units) of every score.
    static func summary(_ rows: [(String, ScoreReport)], title: String) -> String {
        var t = Table(title: title, columns: [
            .init("model", alignment: .left), .init("LL/obs (nats)", format: .fixed(4)), .init("bits/spike", format: .fixed(4)),
            .init("pseudo-R²", format: .fixed(4)), .init("corr", format: .fixed(3)), .init("FEVE", format: .fixed(3)),
            .init("PIT KS", format: .fixed(3))])
        for (name, r) in rows {
            t.addRow([.text(name), cell(r.llPerTrial.mean), cell(r.bitsPerSpike.mean), cell(r.pseudoR2.mean),
                      cell(r.corr.mean), cell(r.feve.mean), cell(r.pitKS.mean)])
        }
        return t.description
    }

    static func perUnit(_ r: ScoreReport, names: [String]?) -> String {
        var t = Table(title: "per unit", columns: [
            .init("unit", alignment: .left), .init("LL/trial", format: .fixed(4)), .init("bits/spike", format: .fixed(4)),
            .init("pseudo-R²", format: .fixed(4)), .init("corr", format: .fixed(3)), .init("FEVE", format: .fixed(3)), .init("PIT KS", format: .fixed(3))])
        for u in 0..<r.units {
            t.addRow([.text(names?[u] ?? "\(u)"), cell(r.llPerTrial.perUnit[u]), cell(r.bitsPerSpike.perUnit[u]), cell(r.pseudoR2.perUnit[u]),
                      cell(r.corr.perUnit[u]), cell(r.feve.perUnit[u]), cell(r.pitKS.perUnit[u])])
        }
        return t.description
    }

    static func cell(_ v: Double?) -> Table.Cell {
        guard let v = v, v.isFinite else { return .missing }
        return .number(v)
    }
}
