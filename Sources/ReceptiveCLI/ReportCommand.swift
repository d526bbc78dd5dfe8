// receptive report MODEL DATA --out DIR: one self-contained HTML page about a fitted model and the
// same numbers as JSON (the page is built by ModelReport; this file only reads options and writes).
import ArgumentParser
import Foundation
import ConvEngine
import Tensors
import Encoding
import NeuralData
import ModelReport
import Report

struct ReportCommand: ParsableCommand, WithThreadsOption, WithForceFlag, WithQuietFlag {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one HTML page (figures inline, no network) and a JSON file describing a fitted model on a dataset.",
        discussion: """
        DIR/report.html holds the dataset summary, the training curves, the scores per unit, predicted \
        against measured responses for the best, median and worst units, the readout's maps or \
        positions and the first-layer filters beside their Gabor fits; --invariance, --mei, --scan and \
        --rsa add those analyses. For a ridge (feature-space) model the page has the dataset, the \
        model (feature spaces, α grid, the penalty each target chose), the per-target scores of \
        score, predicted against measured for the best, median and worst targets and, for banded \
        models, R² by feature space. DIR/report.json holds the same numbers. See docs/figures.md.
        Example: receptive report cnn.h5 data/demo.h5 --out report/
        """)

    @Argument(help: "The model file.") var model: String
    @Argument(help: "The HDF5 dataset file (the model's units and stimulus size).") var data: String
    @Option(help: ArgumentHelp("Output folder (created if missing; its parent must exist).", valueName: "dir")) var out: String
    @Option(name: .customLong("eval-split"), help: "The split scores and analyses use (train, validation, test).") var split: Split = .test
    @Flag(help: "Add phase-scramble invariance per unit (D/B with bootstrap intervals).") var invariance = false
    @Flag(help: "Add the most exciting inputs of the best, median and worst units.") var mei = false
    @Flag(help: "Add an RSA layer profile against the data's RDM.") var rsa = false
    @Flag(help: "Add learning images (Neural Network Scanner) of the best, median and worst units.") var scan = false
    @Option(help: "Bootstrap resamples for --invariance (≥ 10).") var bootstrap = 1000
    @Option(name: .customLong("rsa-stimuli"), help: "At most this many stimuli of the split for --rsa (≥ 3).") var rsaStimuli = 200
    @Option(name: .customLong("mei-steps"), help: "Gradient steps per MEI (≥ 1).") var meiSteps = 300
    @Option(name: .customLong("reliability-threshold"), help: "ridge models: the score summary over targets whose split-half reliability is at least this.") var reliabilityThreshold = 0.3
    @Option(help: "Seed of every random choice (PIT, Gabor starts, scrambles, bootstrap, MEI noise).") var seed: UInt64 = 0
    @OptionGroup var threadsOption: ThreadsOption
    @OptionGroup var forceFlag: ForceFlag
    @OptionGroup var quietFlag: QuietFlag
    @OptionGroup var dataset: DatasetOptions

    static let outputFiles = ["report.html", "report.json"]

    func validate() throws {
        if bootstrap < 10 { throw ValidationError("--bootstrap must be at least 10 (got \(bootstrap))") }
        if rsaStimuli < 3 { throw ValidationError("--rsa-stimuli must be at least 3 (got \(rsaStimuli))") }
        if meiSteps < 1 { throw ValidationError("--mei-steps must be at least 1 (got \(meiSteps))") }
    }

    var options: ModelReportOptions {
        var o = ModelReportOptions()
        o.split = split; o.seed = seed; o.invariance = invariance; o.mei = mei; o.rsa = rsa; o.scan = scan
        o.bootstrap = bootstrap; o.rsaStimuli = rsaStimuli; o.meiSteps = meiSteps
        return o
    }

    func run() throws {
        try OutputPolicy.checkFolder(out, files: Self.outputFiles, force: force)
        Parallel.setThreads(threads)
        if try RidgeModel.kind(ofModelFile: model) == .ridge { return try runRidge() }
        let m = try FittedModel.load(model)
        let ds = try dataset.load(data, options: dataset.loadOptions(for: m))
        let report = try ModelReport.build(model: m, modelPath: model, dataset: ds, dataPath: data, options: options,
                                           progress: { progress($0, quiet: quiet) })
        print(try Self.write(report, to: out))
    }

    /// Ridge (feature-space) models: the dataset, the model, the per-target scores of `score`,
    /// predicted vs measured and the banded R² split; the CNN analyses do not apply.
    func runRidge() throws {
        let flags = [(invariance, "--invariance"), (mei, "--mei"), (rsa, "--rsa"), (scan, "--scan")].filter(\.0).map(\.1)
        if let f = flags.first {
            throw OptionError(option: f, reason: "\(model) is a ridge (feature-space) model; \(flags.joined(separator: ", ")) need a CNN or GLM")
        }
        let (m, ds) = try loadRidgeWithData(model: model, data: data, options: dataset)
        let runs = try ridgeRuns(m, dataset: ds, data: data, modelPath: model, split: split)
        let report = try RidgeModelReport.build(model: m, modelPath: model, dataset: ds, dataPath: data, runs: runs, split: split,
                                                reliabilityThreshold: reliabilityThreshold, progress: { progress($0, quiet: quiet) })
        print(try Self.write(html: report.html, json: report.json, to: out))
    }

    static func write(_ report: ModelReport, to dir: String) throws -> String {
        try write(html: report.html, json: report.json, to: dir)
    }

    /// Writes report.html and report.json into `dir` (each atomically; the page last, and the JSON
    /// removed again if the page cannot be written). Returns the page's path.
    static func write<J: Encodable>(html page: String, json value: J, to dir: String) throws -> String {
        try OutputPolicy.createFolder(dir)
        let json = (dir as NSString).appendingPathComponent("report.json")
        let html = (dir as NSString).appendingPathComponent("report.html")
        try JSONOutput.write(value, to: json)
        do { try AtomicOutput.write(text: page, to: html, overwrite: true) } catch { try? FileManager.default.removeItem(atPath: json); throw error }
        return html
    }
}
