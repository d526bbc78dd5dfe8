// receptive compare MODEL_A MODEL_B [--data D]: are two fits the same model up to the symmetries of a
// CNN (channel permutations, positive rescaling)? Filters matched layer by layer (Hungarian
// algorithm), the assignment carried through batch-norm and the readout, and the two models'
// predictions compared on held-out stimuli (ModelComparison.swift).
import ArgumentParser
import Foundation
import ConvEngine
import Tensors
import Encoding
import NeuralData
import Analysis
import Report

struct CompareCommand: ParsableCommand, WithThreadsOption, WithJSONFlag, WithQuietFlag {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two fits modulo channel permutation and rescaling: matched filters, readout, prediction agreement.",
        discussion: """
        The filters of each conv layer of B are matched one-to-one to A's by the Hungarian algorithm on \
        |Pearson r| (scale- and sign-normalised correlation), B's input channels reordered by the previous \
        layer's assignment; the assignment is carried to batch-norm (γ, β) and the readout's feature \
        weights. With --data, both models predict the --eval-split stimuli (default test) and their \
        agreement per unit is reported: predictions that agree while filters do not are \
        non-identifiability (seed 000). See docs/analysis.md.
        Example: receptive compare fit-seed0.h5 fit-seed1.h5 --data sim.h5 --json
        """)

    @Argument(help: "The first model file.") var modelA: String
    @Argument(help: "The second model file (same architecture).") var modelB: String
    @Option(help: "Dataset whose stimuli both models predict.") var data: String?
    @Option(name: .customLong("eval-split"), help: "Which stimuli of DATA: all, train, validation or test.") var split: StimulusSelection = .test
    @Option(help: "Similarity (|r|) at or above which a matched pair counts as the same filter, in [0, 1].")
    var threshold = ModelComparison.defaultThreshold
    @Option(name: .customLong("prediction-threshold"), help: "Mean per-unit prediction correlation at or above which the verdict calls the predictions the same, in [0, 1].")
    var predictionThreshold = 0.95
    @OptionGroup var threadsOption: ThreadsOption
    @OptionGroup var jsonFlag: JSONFlag
    @OptionGroup var quietFlag: QuietFlag
    @OptionGroup var dataset: DatasetOptions

    func validate() throws {
        guard threshold >= 0, threshold <= 1, threshold.isFinite else {
            throw OptionError(option: "--threshold", reason: "must be in [0, 1], got \(threshold)")
        }
        guard predictionThreshold >= 0, predictionThreshold <= 1, predictionThreshold.isFinite else {
            throw OptionError(option: "--prediction-threshold", reason: "must be in [0, 1], got \(predictionThreshold)")
        }
    }

    func run() throws {
        Parallel.setThreads(threads)
        let a = try FittedModel.load(modelA), b = try FittedModel.load(modelB)
        guard a.config.preprocessing.inputShape == b.config.preprocessing.inputShape else {
            throw OptionError(option: "MODEL_B", reason: "\(modelB) takes stimuli \(b.config.preprocessing.inputShape) but \(modelA) takes \(a.config.preprocessing.inputShape)")
        }
        var report: ModelComparisonReport
        do { report = try ModelComparison.compare(a.encoder, b.encoder, threshold: threshold) } catch let e as ModelComparisonError {
            throw OptionError(option: "MODEL_B", reason: "\(modelB) vs \(modelA): \(Refusal.message(for: e))")
        }
        if let file = data {
            let stim = try AnalysisStimuli.load(file, options: dataset.loadOptions(for: a))
            let fa = EncoderResponseFunction(model: a), fb = EncoderResponseFunction(model: b)
            try fa.checkStimulusShape(stim.itemShape, file: file)
            let idx = try stim.indices(split: split.split)
            guard idx.count >= 2 else { throw OptionError(option: "--eval-split", reason: "\(file) has \(idx.count) \(split.rawValue) stimuli; at least 2 are needed") }
            progress("predicting \(idx.count) stimuli with both models…", quiet: quiet)
            var pa: [Double] = [], pb: [Double] = []
            var start = 0
            while start < idx.count {
                let end = min(idx.count, start + 128)
                let x = try stim.source.stimuli(Array(idx[start..<end]))
                pa += try fa.responses(x).data.map(Double.init)
                pb += try fb.responses(x).data.map(Double.init)
                start = end
            }
            report.predictions = ModelComparison.agreement(pa, pb, stimuli: idx.count, units: fa.unitCount)
        }
        let out = CompareOutput(modelA: modelA, modelB: modelB, data: data, split: data == nil ? nil : split.rawValue, report: report,
                                predictionThreshold: predictionThreshold)
        if json { try JSONOutput.print(out) } else { print(out.tables(), terminator: "") }
    }
}

struct CompareOutput: Encodable {
    let modelA: String, modelB: String, data: String?, split: String?
    let report: ModelComparisonReport
    let predictionThreshold: Double
    /// One line: identical / same filters / agree on predictions but not filters / differ.
    var verdict: String {
        let first = report.layers[0]
        let filtersSame = first.fractionMatched >= 0.9
        guard let p = report.predictions else {
            return filtersSame ? "first-layer filters match (\(pct(first.fractionMatched)) at |r| ≥ \(report.threshold)); no --data, predictions not compared"
                               : "first-layer filters differ (\(pct(first.fractionMatched)) matched at |r| ≥ \(report.threshold)); no --data, predictions not compared"
        }
        let predictSame = p.meanCorrelation >= predictionThreshold
        switch (filtersSame, predictSame) {
        case (true, true): return "same filters and same predictions (mean r \(fmt(p.meanCorrelation)))"
        case (false, true): return "predictions agree (mean r \(fmt(p.meanCorrelation))) but only \(pct(first.fractionMatched)) of first-layer filters match: the fits are not identifiable at the filter level"
        case (true, false): return "filters match but predictions differ (mean r \(fmt(p.meanCorrelation))): the difference is in later layers or the readout"
        case (false, false): return "filters and predictions differ (\(pct(first.fractionMatched)) matched, mean r \(fmt(p.meanCorrelation)))"
        }
    }
    private func pct(_ x: Double) -> String { String(format: "%.0f%%", 100 * x) }
    private func fmt(_ x: Double) -> String { String(format: "%.3f", x) }

    enum CodingKeys: String, CodingKey {
        case modelA = "model_a", modelB = "model_b", data, split, layers, predictions, verdict, threshold
        case predictionThreshold = "prediction_threshold"
        case readoutFeatureCorrelation = "readout_feature_correlation"
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelA, forKey: .modelA); try c.encode(modelB, forKey: .modelB)
        try c.encodeIfPresent(data, forKey: .data); try c.encodeIfPresent(split, forKey: .split)
        try c.encode(report.threshold, forKey: .threshold)
        try c.encode(predictionThreshold, forKey: .predictionThreshold)
        try c.encode(report.layers, forKey: .layers)
        try c.encode(report.readoutFeatureCorrelation, forKey: .readoutFeatureCorrelation)
        try c.encodeIfPresent(report.predictions, forKey: .predictions)
        try c.encode(verdict, forKey: .verdict)
    }

    func tables() -> String {
        var s = ""
        for l in report.layers {
            var t = Table(title: "\(l.layer): \(l.channels) filters of \(modelA) matched to \(modelB) (Hungarian, |r|)",
                          columns: [.init("A", alignment: .left), .init("B", alignment: .left), .init("|r|", format: .fixed(3)),
                                    .init("sign", alignment: .left), .init("≥ threshold", alignment: .left)])
            for m in l.matches {
                t.addRow([.text("\(m.a)"), .text("\(m.b)"), .number(m.similarity), .text(m.sign > 0 ? "+" : "−"),
                          .text(m.similarity >= report.threshold ? "yes" : "no")])
            }
            s += t.description
            s += String(format: "%@: mean |r| %.3f; matched at |r| ≥ %g: %.1f%%", l.layer, l.meanSimilarity, report.threshold, 100 * l.fractionMatched)
            if let g = l.batchNormGammaCorrelation, let b = l.batchNormBetaCorrelation {
                s += String(format: "; batch-norm γ r = %.3f, β r = %.3f", g, b)
            }
            s += "\n"
        }
        let rf = report.readoutFeatureCorrelation.filter(\.isFinite)
        s += String(format: "readout feature weights (channels reordered by the last assignment): mean r over units %.3f (min %.3f)\n",
                    rf.isEmpty ? Double.nan : rf.reduce(0, +) / Double(rf.count), rf.min() ?? .nan)
        if let p = report.predictions {
            s += String(format: "predictions on %d %@ stimuli of %@: mean r %.4f (min %.4f), mean relative |difference| %.4f, max |difference| %.3g\n",
                        p.stimuli, split ?? "", data ?? "", p.meanCorrelation, p.correlation.filter(\.isFinite).min() ?? .nan,
                        p.relativeDifference.reduce(0, +) / Double(max(1, p.relativeDifference.count)), p.maxAbsoluteDifference)
        }
        s += "verdict: \(verdict)\n"
        return s
    }
}
