// receptive demo: the main job on the bundled simulated data — fit a CNN and a GLM, score both on
// the test split, and print them side by side with the generating (true) model.
import ConvEngine
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Report
import ModelReport

struct DemoCommand: ParsableCommand, WithThreadsOption, WithQuietFlag, WithJSONFlag {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Fit a CNN (stacked3) and a GLM to the bundled demo data and compare them on the test split.",
        discussion: """
        The demo data (data/demo.h5) are simulated simple and complex cells (docs/data.md), so the \
        generating model's score is shown too: it is the ceiling any fit can reach. A GLM cannot be \
        phase-invariant, so it falls short on complex cells; the CNN can.
        """)

    @Option(help: "The dataset.") var data = "data/demo.h5"
    @Option(help: "CNN: channels per conv block.") var channels = 16
    @Option(help: "CNN: maximum epochs.") var epochs = 25
    @Option(help: "Seed.") var seed: UInt64 = 0
    @OptionGroup var threadsOption: ThreadsOption
    @Option(help: ArgumentHelp("Also write the two model files into this folder.", valueName: "dir")) var out: String?
    @Option(help: ArgumentHelp("Finally write the CNN's report page (report.html, report.json) into this folder, replacing an earlier one, and print its path.", valueName: "dir"))
    var report: String?
    @OptionGroup var quietFlag: QuietFlag
    @OptionGroup var jsonFlag: JSONFlag

    func run() throws {
        Parallel.setThreads(threads)
        if let o = out {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: o, isDirectory: &isDir), isDir.boolValue else {
                throw OptionError(option: "--out", reason: "folder \(o) does not exist")
            }
        }
        guard epochs >= 1 else { throw OptionError(option: "--epochs", reason: "must be at least 1") }
        if let r = report { try OutputPolicy.checkFolder(r, files: [], force: true) }
        let ds = try Dataset.load(data)
        let log: (String) -> Void = { s in if !quiet { FileHandle.standardError.write(Data((s + "\n").utf8)) } }
        log("demo: \(ds.stimulusCount) stimuli \(ds.stimulusShape.map(String.init).joined(separator: "×")), \(ds.trialCount) trials, \(ds.unitCount) units")

        // CNN: the stacked3 recipe (with fewer channels so the demo runs in a few minutes).
        let prep = try Preprocessing.fit(on: ds, options: PreprocessingOptions(grayscale: true))
        var options = TrainingOptions()
        options.epochs = epochs; options.seed = seed
        let arch = EncoderArchitecture.stacked3(inputChannels: prep.outputShape[0], height: prep.outputShape[1],
                                                width: prep.outputShape[2], units: ds.unitCount, channels: channels)
        log("fitting the CNN (stacked3, \(channels) channels, up to \(epochs) epochs)…")
        let t0 = Date()
        let progress = EpochProgress(total: epochs, quiet: quiet)
        let cnnModel = EncodingModel(cnn: arch, training: options)
        let cnn = try cnnModel.fit(ds, preprocessing: prep, options: EncodingFitOptions(observer: progress))
        let cnnSeconds = Date().timeIntervalSince(t0)

        // GLM: Poisson, exp link, on 16×16 pixels, ridge by validation.
        log("fitting the GLM…")
        let t1 = Date()
        let glmPrep = try Preprocessing.fit(on: ds, options: PreprocessingOptions(grayscale: true, resize: ImageSize(min(16, ds.height))))
        let glmModel = EncodingModel(glm: .poisson)
        let glm = try glmModel.fit(ds, preprocessing: glmPrep)
        let glmSeconds = Date().timeIntervalSince(t1)

        if let o = out {
            try cnn.write(to: o + "/demo-cnn.h5", overwrite: true)
            try glm.write(to: o + "/demo-glm.h5", overwrite: true)
        }
        let cnnScore = try cnnModel.score(ds, split: .test, seed: seed)
        let glmScore = try glmModel.score(ds, split: .test, seed: seed)
        let truth = try EncodingModel.scoreGroundTruth(dataset: ds, split: .test, observation: PoissonObservation(), seed: seed)

        var rows: [(String, ScoreReport)] = [("CNN stacked3", cnnScore), ("GLM", glmScore)]
        if let t = truth { rows.append(("true model", t)) }
        let byType = GainByType(dataset: ds, models: [("cnn", cnnScore), ("glm", glmScore)], truth: truth)
        var reportPath: String? = nil
        if let r = report {
            log("writing the CNN's report…")
            var o = ModelReportOptions()
            o.seed = seed
            let page = try ModelReport.build(model: cnn, modelPath: out.map { $0 + "/demo-cnn.h5" } ?? "demo CNN (stacked3, \(channels) channels)",
                                             dataset: ds, dataPath: data, options: o, progress: log)
            reportPath = try ReportCommand.write(page, to: r)
            if json { log("report: " + reportPath!) }
        }
        if json {
            try JSONOutput.print(DemoJSON(cnn: cnnScore, glm: glmScore, trueModel: truth, cnnSeconds: cnnSeconds,
                                          glmSeconds: glmSeconds, fractionOfAchievableGain: byType.gains))
            return
        }
        print(ScoreTables.summary(rows, title: "test split: \(cnnScore.trials) trials × \(cnnScore.units) units (CNN \(String(format: "%.0f", cnnSeconds)) s, GLM \(String(format: "%.0f", glmSeconds)) s)"))
        if truth != nil { print(byType.table()) }
        if let p = reportPath { print("report: " + p) }
    }
}

/// Fraction of the achievable gain, (LL_fit − LL_null)/(LL_true − LL_null), per cell type and model.
struct DemoJSON: Encodable {
    let cnn: ScoreReport
    let glm: ScoreReport
    let trueModel: ScoreReport?
    let cnnSeconds: Double
    let glmSeconds: Double
    let fractionOfAchievableGain: [String: [String: Double]]
    enum CodingKeys: String, CodingKey {
        case cnn, glm, trueModel = "true_model", cnnSeconds = "cnn_seconds", glmSeconds = "glm_seconds"
        case fractionOfAchievableGain = "fraction_of_achievable_gain"
    }
}
