// receptive rsa --rdms FILE:/path --models FILE:/path: representational similarity analysis of
// stored RDMs (Analysis.RSA): model values, noise ceiling, bootstrap CIs, permutation p-values;
// JSON, a table, figure data and PNG figures. See docs/rsa.md.
//
// Modes (a) model layers (--model/--data/--layers) and (b) dataset responses are not here yet:
// they need a fitted model's forward pass and the dataset reader wired to RSA.layerProfile /
// RDM.compute; RSAFigures.layerProfile draws that mode's figure.
import ArgumentParser
import Foundation
import Analysis
import Report
import Tensors

extension RDMComparisonMethod: ExpressibleByArgument {}

struct RSACommand: ParsableCommand, WithJSONFlag, WithForceFlag, WithQuietFlag {
    static let configuration = CommandConfiguration(
        commandName: "rsa",
        abstract: "Compare model RDMs with subject RDMs: values, noise ceiling, bootstrap CIs, permutation p-values.",
        discussion: """
        A model's value is the mean over subject RDMs of its comparison with each (rsatoolbox eval_fixed). \
        The noise ceiling bounds it: lower = each subject vs the pooled RDM of the others, upper = vs the pooled RDM of all. \
        RDM datasets are [n, K, K] (or [K, K]) with an optional JSON `names` attribute. See docs/rsa.md.
        """)

    @Option(help: ArgumentHelp("Subject (data) RDMs: an [S, K, K] dataset, FILE:/path.", valueName: "file:/path"))
    var rdms: String?

    @Option(help: ArgumentHelp("Model RDMs: an [M, K, K] dataset, FILE:/path.", valueName: "file:/path"))
    var models: String?

    @Option(help: ArgumentHelp("A fitted model: its layers' RDMs on the dataset's stimuli are the models (a layer profile). Needs --data.", valueName: "file"))
    var model: String?

    @Option(help: ArgumentHelp("A dataset: its repeat-averaged responses give the subject RDM (unless --rdms is given), and its stimuli feed --model.", valueName: "file"))
    var data: String?

    @Option(help: ArgumentHelp("With --model: 'all' (every activation layer and the readout) or a comma-separated list of layer names (conv1, act2, …, readout).", valueName: "list"))
    var layers = "all"

    @Option(help: "Dissimilarity for RDMs computed from --data/--model: correlation, euclidean, cosine, crossnobis (data only, from repeats).")
    var measure: DissimilarityMeasure = .correlation

    @Option(help: "Stimuli of --data to use: all, train, validation or test.")
    var subset: String = "all"

    @OptionGroup var dataset: DatasetOptions

    @Option(help: "Comparison: spearman, pearson, kendall-tau-a, rho-a, cosine, whitened-pearson, whitened-cosine.")
    var method: RDMComparisonMethod = .spearman

    @Option(help: "Bootstrap resamples over conditions, for confidence intervals (0: none).")
    var bootstrap = 1000

    @Option(help: "Random permutations of condition labels, for p-values (0: none).")
    var permutations = 1000

    @Option(help: "Seed of every random choice.")
    var seed: UInt64 = 0

    @Option(help: "Coverage of the percentile confidence intervals.")
    var confidence = 0.95

    @Option(name: .customLong("average-groups"), help: ArgumentHelp("Average consecutive groups of this many subject RDMs first (e.g. 2 sessions per subject).", valueName: "n"))
    var averageGroups = 1

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @OptionGroup var jsonFlag: JSONFlag

    @Option(help: ArgumentHelp("Folder for rsa.json, rsa_figures.h5 and the figures in --format (created if missing).", valueName: "dir"))
    var out: String?

    @OptionGroup var forceFlag: ForceFlag

    @OptionGroup var quietFlag: QuietFlag

    @OptionGroup var figures: FigureFormatOption

    func validate() throws {
        if bootstrap < 0 { throw ValidationError("--bootstrap must be ≥ 0 (got \(bootstrap))") }
        if permutations < 0 { throw ValidationError("--permutations must be ≥ 0 (got \(permutations))") }
        if !(confidence > 0 && confidence < 1) { throw ValidationError("--confidence must lie strictly between 0 and 1 (got \(confidence))") }
        if averageGroups < 1 { throw ValidationError("--average-groups must be ≥ 1 (got \(averageGroups))") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be ≥ 1 (got \(t))") }
    }

    var outputNames: [String] {
        ["rsa.json", "rsa_figures.h5"] + ["rdm_subjects_mean", "rdm_models", "rsa_bars"].map { figures.format.fileName($0) }
    }

    func run() throws {
        let progress = { (s: String) in if !quiet { FileHandle.standardError.write(Data((s + "\n").utf8)) } }
        if model != nil || data != nil { try runOnData(progress: progress); return }
        guard let rdms = rdms else { throw OptionError(option: "--rdms", reason: "give --rdms FILE:/path (or --data with --models or --model)") }
        guard let models = models else { throw OptionError(option: "--models", reason: "give --models FILE:/path (or --model with --data)") }
        let subjectSource = try RSASource(parsing: rdms, option: "--rdms")
        let modelSource = try RSASource(parsing: models, option: "--models")
        // outputs are checked before any work, written only after everything succeeded
        var outputs: [String] = []
        if let out = out {
            try OutputPolicy.checkFolder(out, files: outputNames, force: force)
            outputs = outputNames.map { (out as NSString).appendingPathComponent($0) }
        }
        var subjects = try RSAInput.read(subjectSource)
        subjects = try subjects.averagingConsecutive(groupsOf: averageGroups, source: subjectSource.description)
        let modelSet = try RSAInput.read(modelSource)
        progress("rsa: \(subjects.count) subject RDM\(subjects.count == 1 ? "" : "s"), \(modelSet.count) model\(modelSet.count == 1 ? "" : "s"), \(subjects.conditions) conditions, \(method.rawValue); \(bootstrap) bootstrap resamples, \(permutations) permutations")
        var options = RSAOptions(method: method, bootstrap: bootstrap, permutations: permutations, seed: seed, confidence: confidence)
        if let t = threads { options.threads = t }
        let result = try RSA.analyse(subjects: subjects, models: modelSet, options: options,
                                     subjectsSource: subjectSource.description, modelsSource: modelSource.description)
        progress(String(format: "rsa: done in %.3f s", result.seconds))

        if out != nil {
            try writeOutputs(result, subjects: subjects, models: modelSet, paths: outputs)
            progress("rsa: wrote \(outputs.joined(separator: ", "))")
        }
        print(json ? result.json() : result.table(), terminator: json ? "\n" : "")
    }

    /// Renders everything in memory first, then writes each file atomically; on a failure the
    /// files this run already wrote are removed again.
    private func writeOutputs(_ result: RSAResult, subjects: RDMSet, models: RDMSet, paths: [String]) throws {
        let mean = RSAFigures.subjectMeanHeatmap(subjects)
        let grid = RSAFigures.modelHeatmaps(models)
        let bars = RSAFigures.bars(result)
        let dir = (paths[0] as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var written: [String] = []
        do {
            try AtomicOutput.write(text: result.json() + "\n", to: paths[0], overwrite: force); written.append(paths[0])
            try RSAFigureData.write(result, subjects: subjects, models: models, to: paths[1], overwrite: force); written.append(paths[1])
            try mean.write(to: paths[2], format: figures.format, overwrite: force); written.append(paths[2])
            try grid.write(to: paths[3], format: figures.format, overwrite: force); written.append(paths[3])
            try bars.write(to: paths[4], format: figures.format, overwrite: force); written.append(paths[4])
        } catch {
            for p in written { try? FileManager.default.removeItem(atPath: p) }
            throw error
        }
    }
}

/// The RSA figures, drawn with Report from an RSAResult and its RDMs.
enum RSAFigures {
    /// The mean subject RDM as a heatmap (viridis, data range).
    static func subjectMeanHeatmap(_ subjects: RDMSet) -> Figure {
        let k = subjects.conditions
        let m = RDM(conditions: k, dissimilarities: subjects.mean()).squareMatrix()
        return Heatmap.render(values: m.map { Float($0) }, rows: k, cols: k, colorMap: .viridis, scale: max(1, 320 / Double(k)),
                              title: "mean subject RDM (\(subjects.count))", colorBarLabel: "dissimilarity")
    }

    /// The model RDMs side by side, each on its own colour range (ranks matter, not units).
    static func modelHeatmaps(_ models: RDMSet) -> Figure {
        let k = models.conditions
        let images = (0..<models.count).map { models.squareMatrix($0).map { Float($0) } }
        return ImageGrid.render(images: images, height: k, width: k, columns: min(4, models.count), normalisation: .perImage,
                                colorMap: .viridis, scale: max(1, 160 / Double(k)), labels: models.names, title: "model RDMs")
    }

    /// Model values with their confidence intervals and the noise-ceiling band.
    static func bars(_ r: RSAResult) -> Figure {
        let ci = r.bootstrap > 0
        let band = (r.noiseCeilingLower != nil && r.noiseCeilingUpper != nil) ? (lo: r.noiseCeilingLower!, hi: r.noiseCeilingUpper!) : nil
        return BarChart.render(labels: r.models.map { $0.name }, values: r.models.map { $0.value },
                               ciLow: ci ? r.models.map { $0.ciLow ?? .nan } : nil,
                               ciHigh: ci ? r.models.map { $0.ciHigh ?? .nan } : nil,
                               band: band, title: "model-brain similarity (\(r.method.rawValue))",
                               yLabel: r.method.rawValue)
    }

    /// A layer profile (models = the layers of one network, in order): value per layer with its
    /// CI, and the noise-ceiling bounds as flat lines.
    static func layerProfile(_ r: RSAResult, modelName: String) -> Figure {
        let xs = (0..<r.models.count).map { Double($0 + 1) }
        var series = [LineSeries(name: modelName, xs: xs, ys: r.models.map { $0.value })]
        if r.bootstrap > 0 {
            series.append(LineSeries(name: "CI low", xs: xs, ys: r.models.map { $0.ciLow ?? .nan }, color: .gray))
            series.append(LineSeries(name: "CI high", xs: xs, ys: r.models.map { $0.ciHigh ?? .nan }, color: .gray))
        }
        if let lo = r.noiseCeilingLower, let up = r.noiseCeilingUpper {
            series.append(LineSeries(name: "ceiling low", xs: xs, ys: xs.map { _ in lo }, color: .darkGray))
            series.append(LineSeries(name: "ceiling up", xs: xs, ys: xs.map { _ in up }, color: .darkGray))
        }
        return LinePlot.render(series: series, xLabel: "layer (" + r.models.map { $0.name }.joined(separator: ", ") + ")",
                               yLabel: r.method.rawValue, title: "layer profile: \(modelName)")
    }
}
