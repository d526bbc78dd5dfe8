// score / predict on ridge (feature-space) models: many targets, repeat-averaged responses,
// noise ceilings (VoxelScores.swift).
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Report
import Cluster

extension DatasetOptions {
    /// Paths given on the command line win; paths left at their defaults take the ridge model's.
    func loadOptions(for model: RidgeModel) -> DatasetLoadOptions {
        loadOptions(countModel: false, fittedWith: model.config.data.paths)
    }
}

/// Loads a ridge model with the dataset it is applied to, checking that the targets agree.
func loadRidgeWithData(model path: String, data: String, options: DatasetOptions) throws -> (RidgeModel, Dataset) {
    let m = try RidgeModel.load(path)
    let ds = try options.load(data, options: options.loadOptions(for: m))
    guard ds.unitCount == m.unitCount else {
        throw OptionError(option: "DATA", reason: "\(data) has \(ds.unitCount) units but \(path) predicts \(m.unitCount)")
    }
    return (m, ds)
}

/// The runs of a time-series model's data (nil for stimulus models), after the checks that name
/// the file or option: the data has /runs, the split has trials.
func ridgeRuns(_ m: RidgeModel, dataset ds: Dataset, data: String, modelPath: String, split: Split) throws -> [Int]? {
    if m.config.delays != nil {
        guard let runs = try DelayedFeatures.runs(file: data, trials: ds.trialCount) else {
            throw OptionError(option: "DATA", reason: "\(data) has no /runs, which the time-series model \(modelPath) needs")
        }
        guard !ds.trials(in: split).isEmpty else { throw OptionError(option: "--eval-split", reason: "the \(split) split of \(data) has no trials") }
        return runs
    }
    guard !ds.repeatStatistics(in: split).stimuli.isEmpty else {
        throw OptionError(option: "--eval-split", reason: "the \(split) split of \(data) has no trials")
    }
    return nil
}

extension ScoreCommand {
    /// Under mpirun the targets are split: each rank reads its share of the response columns,
    /// scores its targets and rank 0 prints the report assembled from every rank's per-target values
    /// (`--ground-truth`, which needs every target's true rates, reads the whole file on every rank
    /// and splits the stimuli instead).
    func scoreRidge(on cluster: Cluster) throws {
        if cluster.size > 1 && !groundTruth { return try scoreRidgeTargetShare(on: cluster) }
        let (m, ds) = try loadRidgeWithData(model: model, data: data, options: dataset)
        let runs = try ridgeRuns(m, dataset: ds, data: data, modelPath: model, split: split)
        let rates = groundTruth ? try groundTruthRates(m, ds) : nil   // checked before the agreement point under mpirun
        try passAgreementPoint(cluster)
        let r = try RidgeEvaluation.evaluate(model: m, dataset: ds, runs: runs, split: split, reliabilityThreshold: reliabilityThreshold,
                                             cluster: cluster).scores
        guard cluster.isRoot else { return }
        try printRidge(r, model: m, unitNames: ds.unitNames, truth: rates.map { (ds, $0) })
    }

    /// `--ground-truth`: the generating model's rates of DATA (stimulus models only).
    func groundTruthRates(_ m: RidgeModel, _ ds: Dataset) throws -> [Float] {
        guard m.config.delays == nil else { throw OptionError(option: "--ground-truth", reason: "applies to stimulus models, not to the time-series model \(model)") }
        guard let rates = ds.groundTruth?.rates else { throw OptionError(option: "--ground-truth", reason: "\(data) has no /ground_truth/rates") }
        return rates
    }

    /// One rank's share of the targets (docs/scaling.md): its response columns only (one hyperslab).
    func scoreRidgeTargetShare(on cluster: Cluster) throws {
        let m = try RidgeModel.load(model)
        var options = dataset.loadOptions(for: m)
        let (header, columns) = try shareResponseColumns(of: data, options: &options, cluster: cluster, block: RidgeModel.targetBlock)
        guard header.unitCount == m.unitCount else {
            throw OptionError(option: "DATA", reason: "\(data) has \(header.unitCount) units but \(model) predicts \(m.unitCount)")
        }
        let ds = try dataset.load(data, options: options)
        let runs = try ridgeRuns(m, dataset: ds, data: data, modelPath: model, split: split)
        try passAgreementPoint(cluster)
        let r = try RidgeEvaluation.scoresOfTargetShare(model: m, share: ds, columns: columns, runs: runs, split: split,
                                                        reliabilityThreshold: reliabilityThreshold, cluster: cluster)
        guard cluster.isRoot else { return }
        // --per-unit names every target: rank 0 reads the file's unit names (the share holds its own only).
        let names = (perUnit ? try header.allUnitNames() : nil) ?? (0..<m.unitCount).map { "unit\($0)" }
        try printRidge(r, model: m, unitNames: names, truth: nil)
    }

    /// Prints (rank 0) the report: JSON, or the summary table (with the generating model's scores
    /// when `truth` holds the whole dataset and its true rates, `--ground-truth`), the banded split,
    /// per target rows.
    func printRidge(_ r: VoxelScoreReport, model m: RidgeModel, unitNames: [String], truth given: (dataset: Dataset, rates: [Float])?) throws {
        // Simulated voxels (--ground-truth): the generating model's scores are the achievable ones.
        var truth: VoxelScoreReport?
        if let (ds, rates) = given {
            let st = ds.repeatStatistics(in: split), u = ds.unitCount
            let pred = st.stimuli.flatMap { rates[($0 * u)..<(($0 + 1) * u)] }
            truth = VoxelScores.score(predictions: pred, statistics: st, dataset: ds, variance: m.variance, reliabilityThreshold: reliabilityThreshold)
        }
        let achievable = truth.flatMap { t in r.r2.mean.flatMap { a in t.r2.mean.map { a / $0 } } }
        if json {
            if let t = truth { try JSONOutput.print(RidgeScoreWithTruth(report: r, truth: t, fraction: achievable)) } else { try JSONOutput.print(r) }
            return
        }
        var t = Table(title: "\(split) split of \(data): \(r.stimuli) stimuli (\(r.trials) trials), \(r.units) targets; ridge \(m.config.features.map { $0.description }.joined(separator: " + "))",
                      columns: [.init("voxels", alignment: .left), .init("count"), .init("R²", format: .fixed(4)), .init("corr", format: .fixed(3)),
                                .init("noise ceiling", format: .fixed(3)), .init("fraction of ceiling", format: .fixed(3)), .init("LL/stimulus", format: .fixed(4))])
        t.addRow([.text("all"), .integer(r.units), ScoreTables.cell(r.r2.mean), ScoreTables.cell(r.corr.mean), ScoreTables.cell(r.noiseCeiling.mean),
                  ScoreTables.cell(r.fractionOfCeiling.mean), ScoreTables.cell(r.llPerStimulus.mean)])
        t.addRow([.text("split-half r ≥ \(reliabilityThreshold)"), .integer(r.reliableUnits), ScoreTables.cell(r.reliable["r2"] ?? nil),
                  ScoreTables.cell(r.reliable["corr"] ?? nil), ScoreTables.cell(r.reliable["noise_ceiling"] ?? nil),
                  ScoreTables.cell(r.reliable["fraction_of_ceiling"] ?? nil), ScoreTables.cell(r.reliable["ll_per_stimulus"] ?? nil)])
        if let tr = truth {
            t.addRow([.text("true model (ground truth)"), .integer(tr.units), ScoreTables.cell(tr.r2.mean), ScoreTables.cell(tr.corr.mean), ScoreTables.cell(tr.noiseCeiling.mean),
                      ScoreTables.cell(tr.fractionOfCeiling.mean), ScoreTables.cell(tr.llPerStimulus.mean)])
        }
        print(t.description)
        if let a = achievable { print(String(format: "fraction of the achievable R² (mean R² / the true model's): %.3f", a)) }
        if let d = r.spaceR2 {
            var b = Table(title: "banded ridge: share of R² by feature space (mean over targets)", columns: [.init("space", alignment: .left), .init("R² share", format: .fixed(4))])
            for src in m.config.features { b.addRow([.text(src.description), ScoreTables.cell(d[src.description]?.mean ?? nil)]) }
            print(b.description)
        }
        if perUnit {
            var u = Table(title: "per target", columns: [.init("unit", alignment: .left), .init("α"), .init("R²", format: .fixed(4)), .init("corr", format: .fixed(3)),
                                                          .init("NCSNR", format: .fixed(3)), .init("noise ceiling", format: .fixed(3)), .init("split-half r", format: .fixed(3))])
            for j in 0..<r.units {
                u.addRow([.text(unitNames[j]), .number(m.fit.cv.bestAlphas[j]), ScoreTables.cell(r.r2.perUnit[j]), ScoreTables.cell(r.corr.perUnit[j]),
                          ScoreTables.cell(r.ncsnr.perUnit[j]), ScoreTables.cell(r.noiseCeiling.perUnit[j]), ScoreTables.cell(r.splitHalf.perUnit[j])])
            }
            print(u.description)
        }
    }
}

extension PredictCommand {
    /// Under mpirun the stimuli are split over the ranks (whole blocks of 256); rank 0 writes.
    func predictRidge(on cluster: Cluster) throws {
        let m = try RidgeModel.load(model)
        var options = dataset.loadOptions(for: m)
        // Under mpirun the predictions need no responses: each rank reads (and checks) only its
        // share of the response columns, so the file is checked as in one process, read once in all.
        var units: Int?
        if cluster.size > 1 { units = try shareResponseColumns(of: data, options: &options, cluster: cluster).header.unitCount }
        let ds = try dataset.load(data, options: options)
        let fileUnits = units ?? ds.unitCount
        guard fileUnits == m.unitCount else {
            throw OptionError(option: "DATA", reason: "\(data) has \(fileUnits) units but \(model) predicts \(m.unitCount)")
        }
        let indices = split.map { ds.stimuli(in: $0) } ?? Array(0..<ds.stimulusCount)
        if cluster.size > 1 && m.config.delays != nil { throw EncodingError.delaysMismatch(modelHasDelays: true) }   // as m.predict, before the agreement point
        try passAgreementPoint(cluster)
        let rates = try m.predict(dataset: ds, stimuli: indices, cluster: cluster)
        guard cluster.isRoot else { return }
        try HDF5File.writeAtomically(to: out, overwrite: force) { f in
            try f.write("/rates", floats: rates, shape: [indices.count, m.unitCount])
            try f.write("/stimulus", int64s: indices, shape: [indices.count])
            try f.setAttribute("model", string: model)
            try f.setAttribute("data", string: data)
        }
        print("wrote \(out): predictions of \(m.unitCount) targets for \(indices.count) stimuli")
    }
}

/// `score --json --ground-truth` on a ridge model: its keys as without the flag, plus the generating
/// model's scores (`true_model`) and `fraction_of_achievable_r2` (mean R² over the true model's).
struct RidgeScoreWithTruth: Encodable {
    let report: VoxelScoreReport
    let truth: VoxelScoreReport
    let fraction: Double?
    enum CodingKeys: String, CodingKey { case trueModel = "true_model", fraction = "fraction_of_achievable_r2" }
    func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(truth, forKey: .trueModel)
        try c.encode(fraction, forKey: .fraction)
    }
}
