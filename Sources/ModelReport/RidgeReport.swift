// The report page of a ridge (feature-space, voxel-wise) model: the dataset, the model (feature
// spaces, form, penalty grid and the penalty each target chose), the per-target scores of `score`
// (R², correlation, Gaussian LL, NCSNR, noise ceiling, split-half, fraction of ceiling; the same
// RidgeEvaluation), predicted against measured for the best, median and worst targets by R², and
// for banded models each feature space's share of R². The figure and table recipes are
// ModelReport's.
import Foundation
import Tensors
import NeuralData
import Encoding
import Report

/// The numbers on a ridge model's page, as JSON (report.json, `"kind": "ridge"`).
public struct RidgeReportJSON: Encodable {
    public struct ModelSummary: Encodable {
        public var features: [String]
        public var featureCounts: [Int]
        public var form: String
        public var rows: String
        public var trainingRows: Int
        public var folds: Int
        public var alphaGrid: [Double]
        public var delays: [Int]?
        public var bandedSamples: Int?
        /// log10 of the penalty each target chose.
        public var log10Alpha: [Double]
        enum CodingKeys: String, CodingKey {
            case features, form, rows, folds, delays
            case featureCounts = "feature_counts", trainingRows = "training_rows", alphaGrid = "alpha_grid"
            case bandedSamples = "banded_samples", log10Alpha = "log10_alpha"
        }
    }
    public struct Target: Encodable {
        public var unit: Int
        public var name: String
        public var alpha: Double
        public var r2: Double?
        public var corr: Double?
        public var llPerStimulus: Double?
        public var ncsnr: Double?
        public var noiseCeiling: Double?
        public var fractionOfCeiling: Double?
        public var splitHalf: Double?
        enum CodingKeys: String, CodingKey {
            case unit, name, alpha, r2, corr, ncsnr
            case llPerStimulus = "ll_per_stimulus", noiseCeiling = "noise_ceiling", fractionOfCeiling = "fraction_of_ceiling", splitHalf = "split_half"
        }
    }

    public var model: String
    public var data: String
    public var kind = "ridge"
    public var split: String
    public var dataset: DatasetSummary
    public var modelSummary: ModelSummary
    /// Exactly `receptive score MODEL DATA --json`.
    public var scores: VoxelScoreReport
    public var targets: [Target]
    /// Best, median and worst targets by R²; `predicted` and `measured` per row of the split.
    public var examples: [ModelReportJSON.Example]

    enum CodingKeys: String, CodingKey {
        case model, data, kind, split, dataset, scores, targets, examples
        case modelSummary = "model_summary"
    }
}

public struct RidgeModelReport {
    public let html: String
    public let json: RidgeReportJSON

    /// At most this many targets get a row each; beyond, the best and worst `tableEnds` by R².
    public static let fullTableLimit = 40
    public static let tableEnds = 20

    /// Builds the page and its JSON.
    /// - Parameters:
    ///   - runs: the run of every trial, for time-series (--delays) models.
    /// - Throws: `EncodingError.incompatibleData` when the dataset's targets are not the model's,
    ///   the split is empty, or the features do not match.
    public static func build(model m: RidgeModel, modelPath: String, dataset ds: Dataset, dataPath: String, runs: [Int]?,
                             split: Split, reliabilityThreshold: Double, progress: (String) -> Void) throws -> RidgeModelReport {
        let u = ds.unitCount
        guard u == m.unitCount else {
            throw EncodingError.incompatibleData(reason: "\(dataPath) has \(u) units but \(modelPath) predicts \(m.unitCount)")
        }
        let names = m.config.data.unitNames.flatMap { $0.count == u ? $0 : nil } ?? ds.unitNames
        let spaces = m.config.features.map(\.description)
        var page = HTMLPage(title: "\((modelPath as NSString).lastPathComponent) on \((dataPath as NSString).lastPathComponent)")
        progress("report: scoring on the \(split) split…")
        let ev = try RidgeEvaluation.evaluate(model: m, dataset: ds, runs: runs, split: split, reliabilityThreshold: reliabilityThreshold)
        let sc = ev.scores, n = ev.rows.count, rowWord = ev.rowKind.rawValue, rowsWord = ev.rowKind.plural
        page.paragraph("Model \(modelPath) (ridge on \(spaces.joined(separator: " + ")), \(u) targets); data \(dataPath); scores and predictions on the \(split) split (\(n) \(rowsWord), responses averaged over repeats).")

        // Dataset.
        progress("report: dataset summary…")
        let summary = ModelReport.datasetSection(ds, page: &page)

        // Model.
        page.section("Model", id: "model")
        let alphas = m.fit.cv.bestAlphas
        let logAlpha = alphas.map { log10($0) }
        var rows: [[String]] = [
            ["feature spaces", zip(spaces, m.config.featureCounts).map { "\($0) (\($1) features)" }.joined(separator: "; ")],
            ["targets", "\(m.unitCount)"],
            ["form", "\(m.config.form.rawValue) (\(m.featureCount) features × \(m.config.trainingStimuli) training \(m.config.rows.plural))"],
            ["cross-validation", "\(m.config.folds) folds: \(m.config.foldGrouping)"],
            ["α grid", "\(m.config.alphaGrid.count) values, \(fmtG(m.config.alphaGrid.min())) … \(fmtG(m.config.alphaGrid.max()))"],
        ]
        if let d = m.config.delays { rows.append(["delays (TRs)", d.map(String.init).joined(separator: ", ")]) }
        if let b = m.config.bandedSamples { rows.append(["banded ridge", "\(b) points of the simplex (seed \(m.config.seed ?? 0))"]) }
        page.table(headers: ["", ""], rows: rows)
        let grid = m.config.alphaGrid.filter { $0 > 0 }.map { log10($0) }.sorted()
        let (lo, hi) = (grid.first ?? logAlpha.min() ?? 0, grid.last ?? logAlpha.max() ?? 0)
        let step = grid.count >= 2 ? (hi - lo) / Double(grid.count - 1) : 1
        let alphaFigure = Histogram.render(values: logAlpha, bins: min(40, max(1, grid.count)), title: "chosen penalty per target",
                                           xLabel: "log10 α", yLabel: "targets", range: (lo - step / 2, hi + step / 2), width: 420, height: 280)
        page.figures([(alphaFigure, "The penalty α each target chose by cross-validation on the training split (one count per target; bins centred on the grid).")])

        // Scores.
        page.section("Scores", id: "scores")
        func cell(_ v: Double??) -> String { fmt(v ?? nil) }
        let summaryRows: [(String, ScoreSummary, String)] = [("R²", sc.r2, "r2"), ("correlation", sc.corr, "corr"),
                                                             ("Gaussian LL per \(rowWord) (nats)", sc.llPerStimulus, "ll_per_stimulus"),
                                                             ("NCSNR", sc.ncsnr, ""), ("noise ceiling", sc.noiseCeiling, "noise_ceiling"),
                                                             ("fraction of ceiling", sc.fractionOfCeiling, "fraction_of_ceiling"),
                                                             ("split-half r", sc.splitHalf, ""), ("split-half r (Spearman–Brown)", sc.splitHalfSpearmanBrown, "")]
        page.table(headers: ["score", "mean", "median", "targets defined", "mean, split-half r ≥ \(fmt(sc.reliabilityThreshold, 2)) (\(sc.reliableUnits))"],
                   rows: summaryRows.map { name, s, key in
                       [name, fmt(s.mean), fmt(s.median), "\(s.perUnit.compactMap { $0 }.count) of \(s.perUnit.count)", key.isEmpty ? "" : cell(sc.reliable[key])]
                   }, numericColumns: [1, 2, 3, 4],
                   caption: "\(split) split: \(sc.stimuli) \(rowsWord) (\(sc.trials) trials) × \(sc.units) targets; the numbers of receptive score")
        var targets: [RidgeReportJSON.Target] = []
        for j in 0..<u {
            targets.append(.init(unit: j, name: names[j], alpha: alphas[j], r2: sc.r2.perUnit[j], corr: sc.corr.perUnit[j],
                                 llPerStimulus: sc.llPerStimulus.perUnit[j], ncsnr: sc.ncsnr.perUnit[j], noiseCeiling: sc.noiseCeiling.perUnit[j],
                                 fractionOfCeiling: sc.fractionOfCeiling.perUnit[j], splitHalf: sc.splitHalf.perUnit[j]))
        }
        // Ranked by R² (targets without one last).
        let ranked = targets.sorted { ($0.r2 ?? -.infinity, -$0.unit) > ($1.r2 ?? -.infinity, -$1.unit) }
        let shown: [RidgeReportJSON.Target]
        var tableCaption = "per target, by R²"
        if u > fullTableLimit {
            shown = Array(ranked.prefix(tableEnds)) + Array(ranked.suffix(tableEnds))
            tableCaption = "the \(tableEnds) best and \(tableEnds) worst of \(u) targets by R² (all of them in report.json)"
            page.note("\(u) targets: the table shows the \(tableEnds) with the highest and the \(tableEnds) with the lowest R²; report.json has every target.")
        } else { shown = ranked }
        page.table(headers: ["unit", "name", "α", "R²", "correlation", "NCSNR", "noise ceiling", "fraction of ceiling", "split-half r"],
                   rows: shown.map { t in ["\(t.unit)", t.name, fmtG(t.alpha), fmt(t.r2, 4), fmt(t.corr), fmt(t.ncsnr), fmt(t.noiseCeiling),
                                           fmt(t.fractionOfCeiling), fmt(t.splitHalf)] },
                   numericColumns: [0, 2, 3, 4, 5, 6, 7, 8], caption: tableCaption)
        page.figures([(Histogram.render(values: sc.r2.perUnit.compactMap { $0 }, bins: 20, title: "prediction quality over targets",
                                        xLabel: "R² (repeat-averaged \(split) responses)", yLabel: "targets", width: 420, height: 280),
                       "R² of the predicted against the repeat-averaged response over the \(split) \(rowsWord), one count per target.")])

        // Banded models: each space's share of R².
        if let share = sc.spaceR2 {
            page.section("R² by feature space", id: "spaces")
            let means = spaces.map { share[$0]?.mean ?? .nan }
            page.table(headers: ["feature space", "mean R² share", "median"],
                       rows: spaces.map { s in [s, fmt(share[s]?.mean, 4), fmt(share[s]?.median, 4)] }, numericColumns: [1, 2],
                       caption: "banded ridge: each space's share of the explained variance (centred test responses), over targets")
            page.figures([(BarChart.render(labels: spaces, values: means, title: "share of R² by feature space", yLabel: "mean R² share",
                                           width: 460, height: 300),
                           "Mean over targets of each feature space's share of R² (BandedRidge.varianceSplit).")])
        }

        // Predicted vs measured: best, median and worst by R².
        page.section("Predicted vs measured", id: "predictions")
        var examples: [ModelReportJSON.Example] = []
        let defined = ranked.filter { $0.r2 != nil }
        if defined.isEmpty {
            page.note("No target has a defined R² (constant responses over the split).")
        } else {
            var figs: [(figure: Figure, caption: String)] = []
            let predicted = ResponseMatrix(rows: n, columns: u, values: ev.predicted)
            let measured = ResponseMatrix(rows: n, columns: u, values: ev.measured)
            for (rank, t) in [("best", defined.first!), ("median", defined[defined.count / 2]), ("worst", defined.last!)] {
                let p = predicted.column(t.unit).map(Double.init)
                let y = measured.column(t.unit).map(Double.init)
                examples.append(.init(rank: rank, unit: t.unit, name: t.name, predicted: p, measured: y))
                figs.append(ModelReport.predictionScatter(rank: rank, name: t.name, measured: y, predicted: p, r: t.corr, yLabel: "predicted response",
                                                          caption: "\(rank.capitalized) target by R² (\(fmt(t.r2))): one point per \(split) \(rowWord); dashed: y = x."))
            }
            page.figures(figs)
        }

        let json = RidgeReportJSON(model: modelPath, data: dataPath, split: "\(split)", dataset: summary,
                                   modelSummary: .init(features: spaces, featureCounts: m.config.featureCounts, form: m.config.form.rawValue,
                                                       rows: m.config.rows.rawValue, trainingRows: m.config.trainingStimuli, folds: m.config.folds,
                                                       alphaGrid: m.config.alphaGrid, delays: m.config.delays, bandedSamples: m.config.bandedSamples,
                                                       log10Alpha: logAlpha),
                                   scores: sc, targets: targets, examples: examples)
        page.note("Written by receptive; the numbers on this page are in report.json beside it.")
        return RidgeModelReport(html: page.render(), json: json)
    }
}

