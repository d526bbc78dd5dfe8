// receptive fit DATA --model ridge --features SOURCE: one ridge regression per target (voxel) on a
// feature space, α per target by K-fold cross-validation on the training split (docs/fmri.md).
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Report
import Cluster

/// `fit --model ridge` options.
struct RidgeArguments: ParsableArguments {
    @Option(name: .customLong("features"), help: ArgumentHelp("ridge: feature space (pixels[:S], file:F.h5:/path, gabor, layer:MODEL.h5:NAME[:P]); repeat to concatenate spaces.", valueName: "source"))
    var features: [String] = []
    @Option(help: ArgumentHelp("ridge: penalty grid, a list (1,10,100) or LO:HI:K for K log-spaced values.", valueName: "grid"))
    var alphas = "1e-2:1e8:21"
    @Option(help: "ridge: folds of the cross-validation over training stimuli.") var folds = 5
    @Option(name: .customLong("target-batch"), help: "ridge: targets solved together (memory is O(stimuli × batch)).") var targetBatch = 4096
    @Flag(name: .customLong("no-standardize"), help: "ridge: use features and targets as given — no z-scoring, no intercept (himalaya's fit_intercept=False).") var noStandardize = false
    @Option(name: .customLong("banded-samples"), help: "ridge with two or more --features: points of the simplex (space weightings) searched by banded ridge, the first equal weights; 0: one penalty for the concatenated spaces.") var bandedSamples = 20
    @Option(name: .customLong("banded-seed"), help: "ridge: seed of the banded search's draws.") var bandedSeed: UInt64 = 0
    @Option(help: ArgumentHelp("ridge on time series (the file has /runs, a run id per trial/TR): stack the features of the stimuli shown these many TRs earlier in the same run, e.g. 1,2,3,4.", valueName: "list"), transform: CommaList<Int>.parse)
    var delays: CommaList<Int>?
    @OptionGroup var gabor: GaborArguments

    func grid() throws -> [Double] {
        let parts = alphas.split(separator: ":").map(String.init)
        var g: [Double]
        if parts.count == 3 {
            guard let lo = Double(parts[0]), let hi = Double(parts[1]), let k = Int(parts[2]), lo > 0, hi >= lo, k >= 1 else {
                throw OptionError(option: "--alphas", reason: "'\(alphas)': expected LO:HI:K with 0 < LO ≤ HI and K ≥ 1")
            }
            g = k == 1 ? [lo] : (0..<k).map { pow(10, log10(lo) + (log10(hi) - log10(lo)) * Double($0) / Double(k - 1)) }
        } else {
            do { g = try CommaList<Double>.parse(alphas).values } catch { throw OptionError(option: "--alphas", reason: "\(error)") }
        }
        guard g.allSatisfy({ $0 > 0 }) else { throw OptionError(option: "--alphas", reason: "every penalty must be > 0") }
        return g.sorted()
    }

    func sources() throws -> [FeatureSource] {
        guard !features.isEmpty else { throw OptionError(option: "--features", reason: "--model ridge needs at least one --features SOURCE (pixels, gabor, file:F.h5:/path, layer:MODEL.h5:NAME)") }
        let g = try gabor.options()
        return try features.map { try FeatureSource(specification: $0, gabor: g) }
    }
}

extension FitCommand {
    /// Under mpirun: targets are split in contiguous shares over the ranks; each rank reads only
    /// its response columns, builds the whole design, fits its targets; rank 0 gathers and writes.
    func runRidge(on cluster: Cluster) throws {
        let quiet = self.quiet || !cluster.isRoot
        guard ridge.folds >= 2 else { throw OptionError(option: "--folds", reason: "must be at least 2, got \(ridge.folds)") }
        guard ridge.bandedSamples >= 0 else { throw OptionError(option: "--banded-samples", reason: "must be ≥ 0") }
        guard ridge.targetBatch >= 1 else { throw OptionError(option: "--target-batch", reason: "must be at least 1") }
        let grid = try ridge.grid()
        let sources = try ridge.sources()
        for s in sources { if case .file(let p, _) = s, !FileManager.default.fileExists(atPath: p) { throw OptionError(option: "--features", reason: "\(p) does not exist") } }
        var loadOptions = dataset.loadOptions(countModel: false)
        var allUnitNames: [String]?
        var totalUnits: Int?
        if cluster.size > 1 {
            // Whole batches of --target-batch per rank: each rank solves the batches one process
            // solves, so the fit equals the one-process fit bit for bit.
            let header = try shareResponseColumns(of: data, options: &loadOptions, cluster: cluster, block: ridge.targetBatch).header
            let units = header.unitCount
            totalUnits = units
            let idle = cluster.shares(of: units, block: ridge.targetBatch).filter { $0.isEmpty }.count
            if idle > 0 && !quiet {
                let b = (units + cluster.size - 1) / cluster.size
                FileHandle.standardError.write(Data("note: \(units) targets make \((units + ridge.targetBatch - 1) / ridge.targetBatch) batch(es) of --target-batch \(ridge.targetBatch), so \(idle) of \(cluster.size) ranks have none; --target-batch \(b) gives every rank targets\n".utf8))
            }
            if cluster.isRoot { allUnitNames = try header.allUnitNames() }
        }
        let ds = try Dataset.load(data, options: loadOptions)
        if let d = ridge.delays {
            let list = d.values
            guard list.allSatisfy({ $0 >= 0 }), Set(list).count == list.count else { throw OptionError(option: "--delays", reason: "'\(d)': delays must be distinct integers ≥ 0") }
            guard let runs = try DelayedFeatures.runs(file: data, trials: ds.trialCount) else {
                throw OptionError(option: "--delays", reason: "\(data) has no /runs (a run id per trial, needed to delay features within runs)")
            }
            try passAgreementPoint(cluster)
            let progress = ThrottledProgress(quiet: quiet)
            let t0 = Date()
            let model = try RidgeModel.fitTimeSeries(dataset: ds, runs: runs, delays: list, sources: sources, alphas: grid, folds: ridge.folds,
                                                     targetBatch: ridge.targetBatch, featureProgress: { progress("features: stimuli", $0, $1) },
                                                     progress: { progress($0, $1, $2) }, cluster: cluster, allUnitNames: allUnitNames,
                                                     bandedSamples: ridge.bandedSamples, seed: ridge.bandedSeed)
            model.config.execution = ExecutionRecord(ranks: cluster.size, threadsPerRank: threads, backend: cluster.backend)
            guard cluster.isRoot else { return }
            try model.write(to: out, overwrite: force)
            var summary = RidgeFitSummary(file: out, units: model.unitCount, features: model.featureCount, trainingStimuli: model.config.trainingStimuli,
                                          form: model.config.form.rawValue, medianAlpha: median(model.fit.cv.bestAlphas),
                                          targetsAtGridEdge: model.fit.cv.bestAlphaIndex.filter { $0 == 0 || $0 == grid.count - 1 }.count,
                                          seconds: Date().timeIntervalSince(t0))
            summary.record(cluster, threads: threads)
            if json { try JSONOutput.print(summary) } else { print(summary.table()) }
            return
        }
        if ds.modality == .spikes && !quiet {
            FileHandle.standardError.write(Data("note: \(data) holds spike counts; ridge fits the repeat-averaged counts by least squares\n".utf8))
        }
        let progress = ThrottledProgress(quiet: quiet)
        if !quiet {
            FileHandle.standardError.write(Data("ridge: \(totalUnits ?? ds.unitCount) targets\(cluster.size > 1 ? " over \(cluster.size) ranks × \(threads) thread\(threads == 1 ? "" : "s") (\(cluster.backend))" : ""), features \(sources.map { $0.description }.joined(separator: " + ")), \(grid.count) penalties \(grid.first!)…\(grid.last!), \(ridge.folds) folds over training stimuli\n".utf8))
        }
        let runs = try DelayedFeatures.runs(file: data, trials: ds.trialCount)
        try passAgreementPoint(cluster)
        let t0 = Date()
        let model = try RidgeModel.fit(dataset: ds, sources: sources, alphas: grid, folds: ridge.folds, targetBatch: ridge.targetBatch, standardize: !ridge.noStandardize,
                                       bandedSamples: ridge.bandedSamples, seed: ridge.bandedSeed,
                                       featureProgress: { progress("features: stimuli", $0, $1) },
                                       progress: { progress($0, $1, $2) }, cluster: cluster, allUnitNames: allUnitNames,
                                       runs: runs)
        model.config.execution = ExecutionRecord(ranks: cluster.size, threadsPerRank: threads, backend: cluster.backend)
        guard cluster.isRoot else { return }
        try model.write(to: out, overwrite: force)
        let atEdge = model.fit.cv.bestAlphaIndex.filter { $0 == 0 || $0 == grid.count - 1 }.count
        var summary = RidgeFitSummary(file: out, units: model.unitCount, features: model.featureCount, trainingStimuli: model.config.trainingStimuli,
                                      form: model.config.form.rawValue, medianAlpha: median(model.fit.cv.bestAlphas), targetsAtGridEdge: atEdge,
                                      seconds: Date().timeIntervalSince(t0))
        if atEdge > 0 && !quiet {
            FileHandle.standardError.write(Data("note: \(atEdge) of \(model.unitCount) targets chose the smallest or largest penalty of the grid (widen --alphas)\n".utf8))
        }
        summary.record(cluster, threads: threads)
        if json { try JSONOutput.print(summary) } else { print(summary.table()) }
    }

    private func median(_ v: [Double]) -> Double {
        let s = v.sorted(); guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
    }
}

struct RidgeFitSummary: Encodable {
    let file: String
    let kind = "ridge"
    let units: Int
    let features: Int
    let trainingStimuli: Int
    let form: String
    let medianAlpha: Double
    let targetsAtGridEdge: Int
    let seconds: Double
    var ranks = 1
    var threadsPerRank: Int?
    var backend: String?
    /// Under MPI: bytes rank 0 contributed to collectives, and how many it made.
    var communicatedBytes: Int?
    var collectiveCalls: Int?
    enum CodingKeys: String, CodingKey {
        case file, kind, units, features, form, seconds, ranks, backend
        case trainingStimuli = "training_stimuli", medianAlpha = "median_alpha", targetsAtGridEdge = "targets_at_grid_edge"
        case threadsPerRank = "threads_per_rank", communicatedBytes = "communicated_bytes", collectiveCalls = "collective_calls"
    }
    mutating func record(_ cluster: Cluster, threads: Int) {
        ranks = cluster.size; threadsPerRank = threads; backend = cluster.backend
        if cluster.size > 1 { communicatedBytes = cluster.communicatedBytes; collectiveCalls = cluster.collectiveCalls }
    }
    func table() -> String {
        var t = Table(title: "fitted ridge → \(file)", headers: ["", "value"])
        t.addRow(["targets", .integer(units)]); t.addRow(["features", .integer(features)])
        t.addRow(["training stimuli", .integer(trainingStimuli)]); t.addRow(["form", .text(form)])
        t.addRow(["median α", .number(medianAlpha)]); t.addRow(["targets at grid edge", .integer(targetsAtGridEdge)])
        t.addRow(["seconds", .number(seconds)])
        if let t1 = threadsPerRank { t.addRow(["ranks × threads", .text("\(ranks) × \(t1) (\(backend ?? "?"))")]) }
        if let b = communicatedBytes, let n = collectiveCalls { t.addRow(["communicated (rank 0)", .text("\(b) bytes in \(n) collectives")]) }
        return t.description
    }
}
