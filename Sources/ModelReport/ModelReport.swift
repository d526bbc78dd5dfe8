// One report page per model: the dataset, the training curves, the scores per unit, predicted
// against measured responses, the readout, the first-layer filters beside their Gabor fits and,
// when asked, invariance, MEIs and an RSA layer profile. The page (HTML, figures inline as SVG)
// and a JSON document with the same numbers are built in memory; the CLI writes them.
//
// The sections depend only on what a model offers: every model predicts rates per stimulus
// (EncodingModel), so scores and predicted-vs-measured work for any kind; the readout, filter,
// MEI and RSA sections look at the encoder's layers and say so when a model has none to show.
// Ridge (feature-space) models have their own page: RidgeReport.swift.
import Foundation
import Tensors
import ConvEngine
import NeuralData
import Encoding
import Analysis
import Scanner
import Report

/// What the report computes beyond the default sections.
public struct ModelReportOptions: Sendable {
    /// The split scores, predictions and analyses use.
    public var split: Split = .test
    public var seed: UInt64 = 0
    /// Phase-scramble invariance per unit (D/B with bootstrap intervals, verdict at τ).
    public var invariance = false
    /// Most exciting inputs of the best, median and worst units.
    public var mei = false
    /// Neural Network Scanner learning images of the best, median and worst units, each on the
    /// split's stimulus that drives the unit most.
    public var scan = false
    /// RSA layer profile against the data's RDM on the split's stimuli.
    public var rsa = false
    /// Bootstrap resamples of the invariance intervals.
    public var bootstrap = 1000
    /// At most this many stimuli of the split for the RSA (the first ones).
    public var rsaStimuli = 200
    /// Gradient steps per MEI.
    public var meiSteps = 300
    /// Levenberg–Marquardt starts per first-layer filter.
    public var gaborRestarts = 8
    /// At most this many units get a readout map in the figure.
    public var maxUnitMaps = 64

    public init() {}
}

/// The numbers on the page, as JSON (report.json).
public struct ModelReportJSON: Encodable {
    public struct UnitFit: Encodable {
        public var unit: Int
        public var name: String
        /// Correlation over the split's stimuli of the predicted rate with the trial-averaged response.
        public var stimulusCorrelation: Double?
        public var bitsPerSpike: Double?
        public var corr: Double?
        public var feve: Double?
        public var pseudoR2: Double?
        enum CodingKeys: String, CodingKey {
            case unit, name, corr, feve, stimulusCorrelation = "stimulus_correlation", bitsPerSpike = "bits_per_spike", pseudoR2 = "pseudo_r2"
        }
    }
    public struct Example: Encodable {
        public var rank: String
        public var unit: Int
        public var name: String
        public var predicted: [Double]
        public var measured: [Double]
    }
    public struct Readout: Encodable {
        public var kind: String
        /// Gaussian readouts: (x, y) per unit in [−1, 1] grid coordinates.
        public var positions: [[Double]]?
    }
    public struct MEI: Encodable {
        public var unit: Int
        public var name: String
        public var value: Double
        public var stalled: Bool
    }
    public struct LearningImage: Encodable {
        public var unit: Int
        public var name: String
        /// The stimulus (dataset index) the learning image explains: the split's stimulus with the
        /// highest predicted rate.
        public var stimulus: Int
        /// The predicted rate on it (the largest over the split).
        public var rate: Double
        /// The unit's target value (η, before the link) on it.
        public var value: Double
    }
    public struct RSALayer: Encodable {
        public var layer: String
        public var value: Double
    }
    public struct RSA: Encodable {
        public var method: String
        public var measure: String
        public var stimuli: Int
        public var layers: [RSALayer]
    }
    public struct Invariance: Encodable {
        public var transform: String
        public var threshold: Double
        public var bootstrap: Int
        public var stimuli: Int
        public var units: [UnitInvariance]
    }

    public var model: String
    public var data: String
    public var kind: String
    public var observation: String
    public var split: String
    public var dataset: DatasetSummary
    public var training: [EpochRecord]
    public var bestEpoch: Int?
    public var scores: ScoreReport
    public var units: [UnitFit]
    public var examples: [Example]
    public var readout: Readout
    public var gabor: FirstLayerGaborReport?
    public var invariance: Invariance?
    public var mei: [MEI]?
    public var scan: [LearningImage]?
    public var rsa: RSA?

    enum CodingKeys: String, CodingKey {
        case model, data, kind, observation, split, dataset, training, scores, units, examples, readout, gabor, invariance, mei, scan, rsa
        case bestEpoch = "best_epoch"
    }
}

public struct ModelReport {
    public let html: String
    public let json: ModelReportJSON

    /// Builds the page and its JSON.
    /// - Parameters:
    ///   - progress: called with one line per step (the CLI prints it on stderr).
    /// - Throws: `EncodingError.incompatibleData` when the dataset's units or stimulus shape are not
    ///   the model's (checked before any work); errors of the analyses.
    public static func build(model m: FittedModel, modelPath: String, dataset ds: Dataset, dataPath: String,
                             options o: ModelReportOptions, progress: (String) -> Void) throws -> ModelReport {
        try EncodingModel.checkCompatible(model: m, dataset: ds)
        let u = ds.unitCount
        let names = m.config.data.unitNames.flatMap { $0.count == u ? $0 : nil } ?? ds.unitNames
        // Only stimuli some trial shows: an unshown one has no measured response to compare with.
        let stimuli = ds.shownStimuli(in: o.split)
        guard stimuli.count >= 3 else {
            throw EncodingError.incompatibleData(reason: "\(dataPath): the \(o.split) split has \(stimuli.count) stimuli; the report needs at least 3")
        }
        let kind = m.config.kind.rawValue
        var page = HTMLPage(title: "\((modelPath as NSString).lastPathComponent) on \((dataPath as NSString).lastPathComponent)")
        page.paragraph("Model \(modelPath) (\(kind), \(m.config.architecture.observation.rawValue) observations, \(m.config.architecture.units) units); data \(dataPath); scores and predictions on the \(o.split) split (\(stimuli.count) stimuli).")

        // Dataset.
        progress("report: dataset summary…")
        let summary = datasetSection(ds, page: &page)

        // Training curves.
        page.section("Training", id: "training")
        if m.history.isEmpty {
            page.note("No training history in the model file (\(kind == "glm" ? "a GLM is fitted along a ridge path, not by epochs" : "the model file holds no /history")).")
        } else {
            let ep = m.history.map { Double($0.epoch) }
            var best: [LineSeries] = []
            if let b = m.config.bestEpoch, let rec = m.history.first(where: { $0.epoch == b }) {
                best = [LineSeries(name: "best epoch (\(b))", xs: [Double(b)], ys: [rec.validationBitsPerSpike], color: RGB.palette[3])]
            }
            let loss = LinePlot.render(series: [LineSeries(name: "", xs: ep, ys: m.history.map(\.trainLoss))],
                                       xLabel: "epoch", yLabel: "training loss (nats per observation)", title: "training loss",
                                       width: 420, height: 280)
            let val = LinePlot.render(series: [LineSeries(name: "validation", xs: ep, ys: m.history.map(\.validationBitsPerSpike))] + best,
                                      xLabel: "epoch", yLabel: "validation (bits/spike)", title: "validation information gain",
                                      width: 460, height: 280)
            page.figures([(loss, "Training loss per epoch (negative log-likelihood with the regularisers)."),
                          (val, "Validation bits per spike per epoch; the fit keeps the best epoch's weights.")])
        }

        // Scores.
        progress("report: scoring on the \(o.split) split…")
        let estimator = EncodingModel(m)
        let score = try estimator.score(ds, split: o.split, seed: o.seed)
        progress("report: predicting \(stimuli.count) stimuli…")
        let rates = try estimator.predict(ds, stimuli: stimuli)                                     // (N, U)
        let measured = trialAverages(ds, stimuli: stimuli)                                          // (N, U)
        var fits: [ModelReportJSON.UnitFit] = []
        for j in 0..<u {
            let p = rates.column(j).map(Double.init)
            let y = measured.column(j)
            fits.append(.init(unit: j, name: names[j], stimulusCorrelation: Scores.pearson(p, y), bitsPerSpike: score.bitsPerSpike.perUnit[j],
                              corr: score.corr.perUnit[j], feve: score.feve.perUnit[j], pseudoR2: score.pseudoR2.perUnit[j]))
        }
        page.section("Scores", id: "scores")
        let summaryRows: [(String, ScoreSummary)] = [("log-likelihood per trial", score.llPerTrial), ("bits per spike", score.bitsPerSpike),
                                                     ("pseudo-R²", score.pseudoR2), ("correlation", score.corr),
                                                     ("FEVE", score.feve), ("PIT KS", score.pitKS)]
        page.table(headers: ["score", "mean", "median", "units defined"], rows: summaryRows.map { name, s in
            [name, fmt(s.mean), fmt(s.median), "\(s.perUnit.compactMap { $0 }.count) of \(s.perUnit.count)"]
        }, numericColumns: [1, 2, 3], caption: "\(o.split) split: \(score.trials) trials × \(score.units) units, \(score.observationModel) observation model")
        page.table(headers: ["unit", "name", "bits/spike", "correlation", "FEVE", "pseudo-R²"],
                   rows: fits.map { f in ["\(f.unit)", f.name, fmt(f.bitsPerSpike), fmt(f.stimulusCorrelation), fmt(f.feve), fmt(f.pseudoR2)] },
                   numericColumns: [0, 2, 3, 4, 5], caption: "per unit; correlation of the predicted rate with the trial-averaged response over the split's stimuli")
        let corrFigure = Histogram.render(values: fits.compactMap(\.stimulusCorrelation), bins: 20,
                                          title: "prediction quality over units", xLabel: "correlation with trial-averaged response",
                                          yLabel: "units", width: 420, height: 280)
        page.figures([(corrFigure, "Correlation of the predicted rate with the trial-averaged response, over the \(o.split) stimuli, one count per unit.")])

        // Predicted vs measured: best, median, worst by stimulus-level correlation.
        let ranked = fits.filter { $0.stimulusCorrelation != nil }.sorted { $0.stimulusCorrelation! > $1.stimulusCorrelation! }
        var examples: [ModelReportJSON.Example] = []
        page.section("Predicted vs measured", id: "predictions")
        if ranked.isEmpty {
            page.note("No unit has a defined correlation (constant predictions or responses).")
        } else {
            let picks: [(String, ModelReportJSON.UnitFit)] = [("best", ranked.first!), ("median", ranked[ranked.count / 2]), ("worst", ranked.last!)]
            var figs: [(figure: Figure, caption: String)] = []
            for (rank, f) in picks {
                let p = rates.column(f.unit).map(Double.init)
                let y = measured.column(f.unit)
                examples.append(.init(rank: rank, unit: f.unit, name: f.name, predicted: p, measured: y))
                figs.append(predictionScatter(rank: rank, name: f.name, measured: y, predicted: p, r: f.stimulusCorrelation, yLabel: "predicted rate",
                                              caption: "\(rank.capitalized) unit by correlation: one point per \(o.split) stimulus; dashed: y = x."))
            }
            page.figures(figs)
        }

        // Readout.
        progress("report: readout…")
        page.section("Readout and receptive fields", id: "readout")
        let readout = readoutSection(m, names: names, page: &page, maxUnits: o.maxUnitMaps)

        // First-layer filters.
        page.section("First-layer filters", id: "filters")
        var gaborReport: FirstLayerGaborReport? = nil
        let kernel = m.encoder.firstConv.map { min($0.weight.value.shape[2], $0.weight.value.shape[3]) } ?? 0
        if m.config.kind != .glm && kernel >= 5 {
            progress("report: Gabor fits of the first-layer filters…")
            let fitter = try GaborFitter(restarts: o.gaborRestarts, seed: o.seed)
            let (report, gfits, weight) = try FirstLayerGabor.analyse(model: m, fitter: fitter)
            gaborReport = report
            let (orientation, frequency) = AnalysisFigures.gaborHistograms(report: report)
            page.figures([(AnalysisFigures.gaborPairs(report: report, fits: gfits, weight: weight, columns: 8),
                           "Each filter (mean over input channels) beside its Gabor fit, pairs on shared symmetric limits (blue < 0 < red).")])
            if report.filters.contains(where: \.gaborLike) {
                page.figures([(orientation, ""), (frequency, "")])
            } else {
                page.note("No filter reaches R² ≥ \(report.threshold), so there are no orientations or frequencies of Gabor-like filters to show.")
            }
            page.table(headers: ["filter", "R²", "θ (deg)", "f (cycles/pixel)", "σx (px)", "σy (px)", "Gabor-like"],
                       rows: report.filters.map { f in ["\(f.index)", fmt(f.r2), fmt(f.theta * 180 / .pi, 1), fmt(f.frequency), fmt(f.sigmaX, 2), fmt(f.sigmaY, 2), f.gaborLike ? "yes" : "no"] },
                       numericColumns: [0, 1, 2, 3, 4, 5])
        } else {
            page.note(m.config.kind == .glm || kernel == 0 ? "A \(kind) has no convolution filters to fit; its linear filters are the receptive fields above."
                      : "The first convolution's \(kernel)×\(kernel) kernels are too small for a 9-parameter Gabor fit (at least 5×5).")
        }

        // Optional analyses.
        var invariance: ModelReportJSON.Invariance? = nil
        if o.invariance {
            progress("report: phase-scramble invariance of \(u) units on \(stimuli.count) stimuli (\(o.bootstrap) bootstrap resamples)…")
            page.section("Invariance to phase scrambling", id: "invariance")
            let settings = InvarianceSettings(bootstrap: o.bootstrap, seed: o.seed)
            let transform = try PhaseScrambleTransform(alpha: 1)
            let r = try ModelInvariance.run(function: EncoderResponseFunction(model: m), source: ds.stimulusSource, indices: stimuli,
                                            transform: transform, settings: settings, unitNames: names)
            invariance = .init(transform: transform.name, threshold: settings.threshold, bootstrap: o.bootstrap, stimuli: stimuli.count, units: r.units)
            page.figures([(AnalysisFigures.invarianceBars(units: r.units, names: names, threshold: settings.threshold, transform: transform.name),
                           "Index D/B per unit (D: mean squared change of the response under the transform, B: between-stimulus baseline) with its \(Int(settings.confidence * 100))% bootstrap interval; orange: invariance falsified (interval above τ).")])
            page.table(headers: ["unit", "name", "D", "B", "D/B", "CI low", "CI high", "verdict"],
                       rows: r.units.map { x in ["\(x.unit)", names[x.unit], fmt(x.d), fmt(x.b), fmt(x.index), fmt(x.ciLow), fmt(x.ciHigh), x.falsified ? "falsified" : "not falsified"] },
                       numericColumns: [0, 2, 3, 4, 5, 6])
        }
        let scanNetwork: ScanNetwork? = (o.mei || o.scan) && !examples.isEmpty ? try ScanNetwork(model: m) : nil
        var meis: [ModelReportJSON.MEI]? = nil
        if o.mei {
            page.section("Most exciting inputs", id: "mei")
            if examples.isEmpty {
                page.note("No MEIs: no unit has a defined correlation to pick best, median and worst from.")
            } else if let net = scanNetwork {
                var images: [[Float]] = [], labels: [String] = []
                meis = []
                for e in examples {
                    progress("report: MEI of \(e.name) (\(o.meiSteps) steps)…")
                    let t = try net.unitTarget(e.unit)
                    var s = MEISettings()
                    s.steps = o.meiSteps; s.seed = o.seed; s.norm = Double(net.inputShape.product).squareRoot()
                    let r = try net.mostExcitingInput(.neuron(layer: t.layer, index: e.unit), settings: s)
                    let (c, h, w) = (net.inputShape[0], net.inputShape[1], net.inputShape[2])
                    var plane = [Float](repeating: 0, count: h * w)
                    for ch in 0..<c { for p in 0..<(h * w) { plane[p] += r.input.data[ch * h * w + p] } }
                    images.append(plane); labels.append("\(e.rank): \(e.name)")
                    meis!.append(.init(unit: e.unit, name: e.name, value: r.value, stalled: r.stalled))
                }
                let (h, w) = (net.inputShape[1], net.inputShape[2])
                page.figures([(ImageGrid.render(images: images, height: h, width: w, columns: 3, normalisation: .perImageSymmetric,
                                                scale: max(2, 120 / Double(max(h, w))), labels: labels, title: "most exciting inputs"),
                               "Input (sum over channels, model input units, blue < 0 < red) that maximises each unit's predicted rate at a fixed L2 norm.")])
            }
        }
        var scan: [ModelReportJSON.LearningImage]? = nil
        if o.scan {
            page.section("Learning images", id: "scan")
            if examples.isEmpty {
                page.note("No learning images: no unit has a defined correlation to pick best, median and worst from.")
            } else if let net = scanNetwork {
                let provider = try PreprocessedStimuli(dataset: ds, preprocessing: m.config.preprocessing)
                let (c, h, w) = (net.inputShape[0], net.inputShape[1], net.inputShape[2])
                var shownStimuli: [[Float]] = [], maps: [[Float]] = [], labels: [String] = []
                scan = []
                for e in examples {
                    // The split's stimulus with the highest predicted rate for this unit.
                    let predicted = rates.column(e.unit)
                    guard let k = predicted.indices.max(by: { predicted[$0] < predicted[$1] }) else { continue }
                    progress("report: learning image of \(e.name) on stimulus \(stimuli[k])…")
                    let x = try provider.stimuli([stimuli[k]])                       // (1, C, H, W)
                    let images = try net.unitLearningImages(x, unit: e.unit)
                    let value = try net.targetValues(x, target: try net.unitTarget(e.unit)).first.map(Double.init) ?? .nan
                    maps.append(Array(ScanNetwork.collapseChannels(images).data))
                    var plane = [Float](repeating: 0, count: h * w)
                    for ch in 0..<c { for p in 0..<(h * w) { plane[p] += x.data[ch * h * w + p] / Float(c) } }
                    shownStimuli.append(plane)
                    labels.append("\(e.rank): \(e.name), stimulus \(stimuli[k])")
                    scan!.append(.init(unit: e.unit, name: e.name, stimulus: stimuli[k], rate: Double(rates[k, e.unit]), value: value))
                }
                let scale = max(2, 120 / Double(max(h, w)))
                page.figures([(ImageGrid.render(images: shownStimuli, height: h, width: w, columns: 3, normalisation: .perImage, colorMap: .gray,
                                                scale: scale, labels: labels, title: "stimuli (model input)"),
                               "The stimulus of the \(o.split) split with the highest predicted rate, per unit, after preprocessing."),
                              (ImageGrid.render(images: maps, height: h, width: w, columns: 3, normalisation: .perImageSymmetric,
                                                scale: scale, labels: labels, title: "learning images"),
                               "Neural Network Scanner learning images: each pixel's contribution to the unit's drive on that stimulus (sum over channels; blue < 0 < red).")])
            }
        }
        var rsa: ModelReportJSON.RSA? = nil
        if o.rsa {
            page.section("Representational similarity", id: "rsa")
            let k = min(o.rsaStimuli, stimuli.count)
            let sel = Array(stimuli.prefix(k))
            if u < 3 {
                page.note("No RSA: the data RDM needs responses of at least 3 units (this dataset has \(u)).")
            } else {
                progress("report: RSA layer profile on \(k) stimuli…")
                let dataRDM = try RDM.compute(patterns: measured.values.prefix(k * u).map(Float.init), conditions: k, channels: u,
                                              measure: .correlation, source: dataPath)
                let layers = try LayerActivations.collect(model: m, dataset: ds, stimuli: sel, names: LayerActivations.defaultLayers(m))
                let (result, _) = try RSA.layerProfile(layers: layers, subjects: RDMSet([dataRDM], names: ["data"]), measure: .correlation,
                                                       options: RSAOptions(method: .spearman, bootstrap: 0, permutations: 0, seed: o.seed))
                rsa = .init(method: result.method.rawValue, measure: "correlation", stimuli: k,
                            layers: result.models.map { .init(layer: $0.name, value: $0.value) })
                let heat = Heatmap.render(values: dataRDM.squareMatrix().map(Float.init), rows: k, cols: k, colorMap: .viridis,
                                          scale: max(1, 260 / Double(k)), title: "data RDM (\(k) stimuli)", colorBarLabel: "dissimilarity (1 − r)")
                let bars = BarChart.render(labels: result.models.map(\.name), values: result.models.map(\.value),
                                           title: "layer RDM vs data RDM", yLabel: "Spearman ρ", width: 460, height: 300)
                page.figures([(heat, "Correlation distance between trial-averaged population responses."),
                              (bars, "Spearman correlation of each layer's RDM (correlation distance) with the data RDM.")])
            }
        }

        let json = ModelReportJSON(model: modelPath, data: dataPath, kind: kind, observation: m.config.architecture.observation.rawValue,
                                   split: "\(o.split)", dataset: summary, training: m.history, bestEpoch: m.config.bestEpoch, scores: score,
                                   units: fits, examples: examples, readout: readout, gabor: gaborReport, invariance: invariance,
                                   mei: meis, scan: scan, rsa: rsa)
        page.note("Written by receptive; the numbers on this page are in report.json beside it.")
        return ModelReport(html: page.render(), json: json)
    }

    /// The dataset section (the `inspect` summary as a table); returns the summary for the JSON.
    static func datasetSection(_ ds: Dataset, page: inout HTMLPage) -> DatasetSummary {
        let summary = DatasetSummary(ds)
        page.section("Dataset", id: "dataset")
        var rows: [[String]] = [
            ["stimuli", "\(summary.stimulusCount) (\(summary.stimulusShape.map(String.init).joined(separator: "×")), \(summary.stimulusType))"],
            ["trials", "\(summary.trialCount)"],
            ["units", "\(summary.unitCount) (\(summary.responseType), \(summary.modality))"],
            ["split (\(summary.splitSource))", ["train", "validation", "test"].compactMap { k in summary.split[k].map { "\(k) \($0.stimuli) stimuli / \($0.trials) trials" } }.joined(separator: "; ")],
            ["repeats per stimulus", "\(summary.repeats.min)–\(summary.repeats.max) (mean \(fmt(summary.repeats.mean, 2)); \(summary.repeats.stimuliWithRepeats) stimuli with ≥ 2)"],
        ]
        if let r = summary.noiseCeiling.oracleCorrelation.median {
            rows.append(["oracle correlation (median over units)", fmt(r)])
        }
        page.table(headers: ["", ""], rows: rows)
        return summary
    }

    /// One predicted-vs-measured panel: one point per row (stimulus) of the split, dashed y = x.
    static func predictionScatter(rank: String, name: String, measured y: [Double], predicted p: [Double], r: Double?,
                                  yLabel: String, caption: String) -> (figure: Figure, caption: String) {
        (ScatterPlot.render(series: [ScatterSeries(name: name, xs: y, ys: p)],
                            xLabel: "measured (mean response)", yLabel: yLabel,
                            title: "\(rank): \(name), r = \(fmt(r))", identityLine: true,
                            width: 300, height: 300), caption)
    }

    /// Mean response per stimulus over the trials of `stimuli`, (N, U) row-major in their order.
    static func trialAverages(_ ds: Dataset, stimuli: [Int]) -> ResponseMatrix<Double> {
        let u = ds.unitCount
        let responses = ds.responseMatrix
        var row = [Int: Int]()
        for (k, s) in stimuli.enumerated() { row[s] = k }
        var sum = ResponseMatrix<Double>(rows: stimuli.count, columns: u), n = [Double](repeating: 0, count: stimuli.count)
        for t in 0..<ds.trialCount {
            guard let k = row[ds.stimulusIndex[t]] else { continue }
            n[k] += 1
            for j in 0..<u { sum[k, j] += Double(responses[t, j]) }
        }
        for k in 0..<stimuli.count { for j in 0..<u { sum[k, j] /= max(n[k], 1) } }
        return sum
    }

    /// The readout's spatial maps (factorised masks, linear weights) or positions (Gaussian).
    static func readoutSection(_ m: FittedModel, names: [String], page: inout HTMLPage, maxUnits: Int) -> ModelReportJSON.Readout {
        let shown = min(names.count, maxUnits)
        let more = names.count > shown ? " (first \(shown) of \(names.count) units)" : ""
        func maps(_ values: [Float], stride: Int, h: Int, w: Int, channels: Int, signed: Bool) -> [[Float]] {
            (0..<shown).map { j in
                var plane = [Float](repeating: 0, count: h * w)
                for c in 0..<channels { for p in 0..<(h * w) {
                    let v = values[j * stride + c * h * w + p]
                    plane[p] += signed ? v / Float(channels) : abs(v) / Float(channels)
                } }
                return plane
            }
        }
        let cols = 8
        switch m.encoder.readout {
        case let r as FactorizedReadout:
            let imgs = maps(r.mask.value.data, stride: r.height * r.width, h: r.height, w: r.width, channels: 1, signed: true)
            page.figures([(ImageGrid.render(images: imgs, height: r.height, width: r.width, columns: cols, normalisation: .perImageSymmetric,
                                            scale: max(2, 64 / Double(max(r.height, r.width))), labels: Array(names.prefix(shown)),
                                            title: "spatial readout masks\(more)"),
                           "Each unit's spatial mask over the core's \(r.height)×\(r.width) output grid (blue < 0 < red, per-unit limits).")])
            return .init(kind: "factorized", positions: nil)
        case let r as GaussianReadout:
            let p = r.position.value.data
            let positions = (0..<r.units).map { [Double(p[2 * $0]), Double(p[2 * $0 + 1])] }
            page.figures([(ScatterPlot.render(series: [ScatterSeries(name: "", xs: positions.map { $0[0] }, ys: positions.map { -$0[1] })],
                                              xLabel: "x (grid units, −1 left … 1 right)", yLabel: "−y (grid units, 1 = top row)",
                                              title: "receptive-field centres (\(r.units) units)", width: 360, height: 340),
                           "Gaussian readout positions in the core's output grid (the model file's y runs down the image; plotted upwards).")])
            return .init(kind: "gaussian", positions: positions)
        case let r as FullLinearReadout:
            let glm = m.config.kind == .glm
            let imgs = maps(r.weight.value.data, stride: r.channels * r.height * r.width, h: r.height, w: r.width, channels: r.channels, signed: glm)
            page.figures([(ImageGrid.render(images: imgs, height: r.height, width: r.width, columns: cols,
                                            normalisation: glm ? .perImageSymmetric : .perImage, colorMap: glm ? .diverging : .viridis,
                                            scale: max(2, 64 / Double(max(r.height, r.width))), labels: Array(names.prefix(shown)),
                                            title: glm ? "linear receptive fields\(more)" : "readout weight magnitude\(more)"),
                           glm ? "Each unit's linear filter over the (preprocessed) image, mean over input channels (blue < 0 < red, per-unit symmetric limits)."
                               : "Mean |weight| over channels at each position of the core output, per unit.")])
            return .init(kind: glm ? "linear (GLM)" : "full linear", positions: nil)
        default:
            page.note("The readout (\(type(of: m.encoder.readout))) has no spatial map to show.")
            return .init(kind: "\(type(of: m.encoder.readout))", positions: nil)
        }
    }
}

