// receptive fit DATA --model ridge --features SOURCE: one ridge regression per target (voxel) on a
// feature space, α per target by K-fold cross-validation on the training split (docs/fmri.md).
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Report

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
    func runRidge() throws {
        guard ridge.folds >= 2 else { throw OptionError(option: "--folds", reason: "must be at least 2, got \(ridge.folds)") }
        guard ridge.bandedSamples >= 0 else { throw OptionError(option: "--banded-samples", reason: "must be ≥ 0") }
        guard ridge.targetBatch >= 1 else { throw OptionError(option: "--target-batch", reason: "must be at least 1") }
        let grid = try ridge.grid()
        let sources = try ridge.sources()
        for s in sources { if case .file(let p, _) = s, !FileManager.default.fileExists(atPath: p) { throw OptionError(option: "--features", reason: "\(p) does not exist") } }
        let ds = try Dataset.load(data, options: dataset.loadOptions(countModel: false))
        if let d = ridge.delays {
            let list = d.values
            guard list.allSatisfy({ $0 >= 0 }), Set(list).count == list.count else { throw OptionError(option: "--delays", reason: "'\(d)': delays must be distinct integers ≥ 0") }
            guard let runs = try DelayedFeatures.runs(file: data, trials: ds.trialCount) else {
                throw OptionError(option: "--delays", reason: "\(data) has no /runs (a run id per trial, needed to delay features within runs)")
            }
            if sources.count > 1 && ridge.bandedSamples > 0 { throw OptionError(option: "--delays", reason: "with several --features, time-series ridge needs --banded-samples 0 (banded ridge on delayed features is not implemented)") }
            let progress = ThrottledProgress(quiet: quiet)
            let t0 = Date()
            let model = try RidgeModel.fitTimeSeries(dataset: ds, runs: runs, delays: list, sources: sources, alphas: grid, folds: ridge.folds,
                                                     targetBatch: ridge.targetBatch, featureProgress: { progress("features: stimuli", $0, $1) },
                                                     progress: { progress($0, $1, $2) })
            try model.write(to: out, overwrite: true)
            let summary = RidgeFitSummary(file: out, units: model.unitCount, features: model.featureCount, trainingStimuli: model.config.trainingStimuli,
                                          form: model.config.form.rawValue, medianAlpha: median(model.fit.cv.bestAlphas),
                                          targetsAtGridEdge: model.fit.cv.bestAlphaIndex.filter { $0 == 0 || $0 == grid.count - 1 }.count,
                                          seconds: Date().timeIntervalSince(t0))
            if json { try JSONOutput.print(summary) } else { print(summary.table()) }
            return
        }
        if ds.modality == .spikes && !quiet {
            FileHandle.standardError.write(Data("note: \(data) holds spike counts; ridge fits the repeat-averaged counts by least squares\n".utf8))
        }
        let progress = ThrottledProgress(quiet: quiet)
        if !quiet {
            FileHandle.standardError.write(Data("ridge: \(ds.unitCount) targets, features \(sources.map { $0.description }.joined(separator: " + ")), \(grid.count) penalties \(grid.first!)…\(grid.last!), \(ridge.folds) folds over training stimuli\n".utf8))
        }
        let t0 = Date()
        let model = try RidgeModel.fit(dataset: ds, sources: sources, alphas: grid, folds: ridge.folds, targetBatch: ridge.targetBatch, standardize: !ridge.noStandardize,
                                       bandedSamples: ridge.bandedSamples, seed: ridge.bandedSeed,
                                       featureProgress: { progress("features: stimuli", $0, $1) },
                                       progress: { progress($0, $1, $2) })
        try model.write(to: out, overwrite: true)
        let atEdge = model.fit.cv.bestAlphaIndex.filter { $0 == 0 || $0 == grid.count - 1 }.count
        let summary = RidgeFitSummary(file: out, units: model.unitCount, features: model.featureCount, trainingStimuli: model.config.trainingStimuli,
                                      form: model.config.form.rawValue, medianAlpha: median(model.fit.cv.bestAlphas), targetsAtGridEdge: atEdge,
                                      seconds: Date().timeIntervalSince(t0))
        if atEdge > 0 && !quiet {
            FileHandle.standardError.write(Data("note: \(atEdge) of \(model.unitCount) targets chose the smallest or largest penalty of the grid (widen --alphas)\n".utf8))
        }
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
    enum CodingKeys: String, CodingKey {
        case file, kind, units, features, form, seconds
        case trainingStimuli = "training_stimuli", medianAlpha = "median_alpha", targetsAtGridEdge = "targets_at_grid_edge"
    }
    func table() -> String {
        var t = Table(title: "fitted ridge → \(file)", headers: ["", "value"])
        t.addRow(["targets", .integer(units)]); t.addRow(["features", .integer(features)])
        t.addRow(["training stimuli", .integer(trainingStimuli)]); t.addRow(["form", .text(form)])
        t.addRow(["median α", .number(medianAlpha)]); t.addRow(["targets at grid edge", .integer(targetsAtGridEdge)])
        t.addRow(["seconds", .number(seconds)])
        return t.description
    }
}
