// receptive gabor MODEL: Gabor fits of the first-layer filters, and optionally the sparsity of a
// layer's activations over a dataset's stimuli.
import ConvEngine
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Analysis
import Report
import ModelReport

extension ConvUnitPooling: ExpressibleByArgument {}

struct GaborCommand: ParsableCommand, WithThreadsOption, WithForceFlag, WithJSONFlag, WithQuietFlag {
    static let configuration = CommandConfiguration(
        commandName: "gabor",
        abstract: "Fit Gabor functions to a model's first-layer filters; optionally the sparsity of a layer's activations.",
        discussion: """
        Each filter of the first convolution (its mean over input channels; each input channel too when \
        there are several) is fitted by Levenberg–Marquardt; R² ≥ --threshold counts as Gabor-like. \
        With --data, the activations of --layer (default act1, the layer `fit --activation-l1` \
        penalises) over DATA's stimuli give lifetime and population sparsity (Treves–Rolls, Hoyer, \
        excess kurtosis). See docs/analysis.md for the JSON keys.
        Example: receptive gabor model.h5 --out gabor/ --data data/demo.h5 --json
        """)

    @Argument(help: "The model file.") var model: String
    @Option(help: "R² at or above which a filter is Gabor-like, in [0, 1].") var threshold = GaborFitter.defaultThreshold
    @Option(help: "Levenberg–Marquardt starts per filter (≥ 1).") var restarts = 8
    @Option(help: "Seed of the jittered starts.") var seed: UInt64 = 0
    @Option(help: "Dataset whose stimuli drive the layer for the sparsity measures.") var data: String?
    @Option(name: .customLong("ground-truth"), help: ArgumentHelp("A simulated dataset: report which first-layer filters recover its simple/complex cells (Gabor-like, orientation within 10°, frequency within 20%).", valueName: "file"))
    var groundTruth: String?
    @Option(help: "Core layer whose activations are measured (with --data; see the model's layer names).") var layer = "act1"
    @Option(help: "positions (each channel at each position is a unit) or mean (channel means).") var pooling: ConvUnitPooling = .everyPosition
    @Option(name: .customLong("eval-split"), help: "Which stimuli of DATA: all, train, validation or test.") var split: StimulusSelection = .all
    @OptionGroup var threadsOption: ThreadsOption
    @Option(help: ArgumentHelp("Write gabor_filters (filters beside their fits), gabor_orientation, gabor_frequency (figures in --format) and gabor.h5 into this folder.", valueName: "dir"))
    var out: String?
    @OptionGroup var forceFlag: ForceFlag
    @OptionGroup var jsonFlag: JSONFlag
    @OptionGroup var quietFlag: QuietFlag
    @OptionGroup var dataset: DatasetOptions
    @OptionGroup var figures: FigureFormatOption

    var outputFiles: [String] {
        ["gabor_filters", "gabor_orientation", "gabor_frequency"].map { figures.format.fileName($0) } + ["gabor.h5"]
    }

    func run() throws {
        let fitter = try GaborFitter(restarts: restarts, seed: seed, threshold: threshold)
        if let o = out { try OutputPolicy.checkFolder(o, files: outputFiles, force: force) }
        Parallel.setThreads(threads)
        let m = try FittedModel.load(model)
        // Layer name checked before any work.
        let handle = LayerHandle(name: layer).flatMap { m.encoder.architecture.coreIndex(of: $0) == nil ? nil : $0 }
        if data != nil, handle == nil {
            throw OptionError(option: "--layer", reason: "no layer named '\(layer)' in \(model) (layers: \(m.encoder.layerNames.joined(separator: ", ")))")
        }
        let stim = try data.map { try AnalysisStimuli.load($0, options: dataset.loadOptions(for: m)) }
        if let s = stim { try EncoderResponseFunction(model: m).checkStimulusShape(s.itemShape, file: s.file) }

        let cells = try groundTruth.map { try Self.generatingCells($0, options: dataset.loadOptions(for: m)) }
        progress("fitting Gabors to the first-layer filters of \(model)…", quiet: quiet)
        let (report, fits, weight) = try FirstLayerGabor.analyse(model: m, fitter: fitter)
        let recovery = cells.map { FilterRecovery.evaluate(gabor: report, cells: $0, readoutWeights: FilterRecovery.readoutWeights(m.encoder)) }
        var sparsity: LayerSparsityReport? = nil
        if let s = stim, let handle {
            let idx = try s.indices(split: split.split)
            progress("sparsity of \(layer) over \(idx.count) stimuli…", quiet: quiet)
            sparsity = try LayerSparsity.measure(model: m, source: s.source, indices: idx, layer: handle, pooling: pooling,
                                                 availableMemory: availableMemoryBytes())
        }
        let output = GaborOutput(model: model, report: report, sparsity: sparsity.map(GaborOutput.Sparsity.init), recovery: recovery)
        if let o = out { try writeOutputs(o, report: report, fits: fits, weight: weight) }
        if json { try JSONOutput.print(output) } else { print(output.tables(), terminator: "") }
    }

    /// The simple and complex cells of a simulated file (orientation and frequency from /ground_truth).
    static func generatingCells(_ file: String, options: DatasetLoadOptions) throws -> [GeneratingCell] {
        let d = try Dataset.load(file, options: options)
        guard let truth = d.groundTruth, let theta = truth.arrays["orientation"], let freq = truth.arrays["frequency"],
              theta.count == d.unitCount, freq.count == d.unitCount else {
            throw OptionError(option: "--ground-truth", reason: "\(file) has no /ground_truth/orientation and /ground_truth/frequency (a file written by `receptive simulate`)")
        }
        let types = truth.unitTypes
        let cells = (0..<d.unitCount).filter { types.count == d.unitCount && (types[$0] == "simple" || types[$0] == "complex") }
            .map { GeneratingCell(unit: $0, type: types[$0], orientation: Double(theta.data[$0]), frequency: Double(freq.data[$0])) }
        guard !cells.isEmpty else { throw OptionError(option: "--ground-truth", reason: "\(file) has no simple or complex cells") }
        return cells
    }

    func writeOutputs(_ dir: String, report: FirstLayerGaborReport, fits: [ConvFilterGaborFits], weight: Tensor) throws {
        try OutputPolicy.createFolder(dir)
        let kh = weight.shape[2], kw = weight.shape[3]
        // Filter (channel mean) beside its fit; pairs share symmetric colour limits.
        let format = figures.format
        try AnalysisFigures.gaborPairs(report: report, fits: fits, weight: weight)
            .write(to: dir + "/" + format.fileName("gabor_filters"), format: format)
        let histograms = AnalysisFigures.gaborHistograms(report: report)
        try histograms.orientation.write(to: dir + "/" + format.fileName("gabor_orientation"), format: format)
        try histograms.frequency.write(to: dir + "/" + format.fileName("gabor_frequency"), format: format)
        let n = fits.count
        try HDF5File.writeAtomically(to: dir + "/gabor.h5", overwrite: true) { f in
            try f.write("/r2", doubles: report.filters.map(\.r2), shape: [n])
            // [A, x0, y0, θ, f, σx, σy, φ, c] per filter (GaborParameters.vector order).
            try f.write("/parameters", doubles: fits.flatMap { $0.channelMean.parameters.vector }, shape: [n, GaborParameters.count])
            try f.write("/gabor_like", uint8s: report.filters.map { $0.gaborLike ? 1 : 0 }, shape: [n])
            try f.write("/fitted", floats: fits.flatMap(\.channelMean.fitted), shape: [n, kh, kw])
            try f.write("/weight", tensor: weight)
            try f.setAttribute("parameter_order", string: "amplitude,x0,y0,theta,frequency,sigma_x,sigma_y,phase,offset")
            try f.setAttribute("model", string: model)
            try f.setAttribute("threshold", double: report.threshold)
        }
    }
}

struct GaborOutput: Encodable {
    struct Sparsity: Encodable {
        let layer: String, pooling: String, stimuli: Int, units: Int
        /// Means over units (lifetime) or stimuli (population).
        let lifetimeTrevesRolls: Double, populationTrevesRolls: Double
        let hoyer: Double, kurtosis: Double, populationHoyer: Double, populationKurtosis: Double
        let detail: LayerSparsityReport
        enum CodingKeys: String, CodingKey {
            case layer, pooling, stimuli, units, hoyer, kurtosis, detail
            case lifetimeTrevesRolls = "lifetime_treves_rolls", populationTrevesRolls = "population_treves_rolls"
            case populationHoyer = "population_hoyer", populationKurtosis = "population_kurtosis"
        }
        init(_ r: LayerSparsityReport) {
            layer = r.layer; pooling = r.pooling; stimuli = r.stimuli; units = r.units
            lifetimeTrevesRolls = r.lifetimeTrevesRolls.mean; populationTrevesRolls = r.populationTrevesRolls.mean
            hoyer = r.lifetimeHoyer.mean; kurtosis = r.lifetimeKurtosis.mean
            populationHoyer = r.populationHoyer.mean; populationKurtosis = r.populationKurtosis.mean
            detail = r
        }
    }
    let model: String
    let layer: String
    let kernel: [Int]
    let inputChannels: Int
    let threshold: Double
    let filters: [FilterGaborFit]
    let fractionGaborLike: Double
    let fractionGaborLikeInterior: Double
    let sparsity: Sparsity?
    let recovery: FilterRecoveryReport?

    enum CodingKeys: String, CodingKey {
        case model, layer, kernel, threshold, filters, sparsity, recovery
        case inputChannels = "input_channels", fractionGaborLike = "fraction_gabor_like"
        case fractionGaborLikeInterior = "fraction_gabor_like_interior"
    }

    init(model: String, report: FirstLayerGaborReport, sparsity: Sparsity?, recovery: FilterRecoveryReport? = nil) {
        self.recovery = recovery
        self.model = model; layer = report.layer; kernel = report.kernel; inputChannels = report.inputChannels
        threshold = report.threshold; filters = report.filters; fractionGaborLike = report.fractionGaborLike
        fractionGaborLikeInterior = report.fractionGaborLikeInterior
        self.sparsity = sparsity
    }

    func tables() -> String {
        var t = Table(title: "\(layer) of \(model): \(filters.count) filters \(kernel[0])×\(kernel[1]), Gabor fits",
                      columns: [.init("filter", alignment: .left), .init("R²", format: .fixed(3)), .init("θ (deg)", format: .fixed(1)),
                                .init("f (c/px)", format: .fixed(3)), .init("σx", format: .fixed(2)), .init("σy", format: .fixed(2)),
                                .init("φ (rad)", format: .fixed(2)), .init("centre (x, y)", alignment: .right),
                                .init("Gabor-like", alignment: .left)])
        for f in filters {
            t.addRow([.text("\(f.index)"), .number(f.r2), .number(f.theta * 180 / .pi), .number(f.frequency), .number(f.sigmaX),
                      .number(f.sigmaY), .number(f.phase), .text(String(format: "%.1f, %.1f", f.x0, f.y0)),
                      .text(f.gaborLike ? (f.atBorder ? "yes (at border)" : "yes") : "no")])
        }
        var s = t.description
        s += String(format: "Gabor-like (R² ≥ %g): %d of %d (%.1f%%); centred inside the kernel (not in its outer ring of pixels): %d (%.1f%%)\n",
                    threshold, filters.filter(\.gaborLike).count, filters.count, 100 * fractionGaborLike,
                    filters.filter { $0.gaborLike && !$0.atBorder }.count, 100 * fractionGaborLikeInterior)
        if let r = recovery {
            var rt = Table(title: "recovery of the generating cells (Gabor-like, |Δθ| ≤ \(r.orientationToleranceDegrees)°, |f ratio − 1| ≤ \(r.frequencyTolerance))",
                           columns: [.init("filter", alignment: .left), .init("readout weight", alignment: .right), .init("R²", format: .fixed(3)),
                                     .init("nearest cell", alignment: .left), .init("Δθ (deg)", format: .fixed(1)), .init("f ratio", format: .fixed(2)),
                                     .init("recovers", alignment: .left)])
            for f in r.filters {
                var weight = "–"
                if let w = f.readoutWeight { weight = String(format: "%.2f", w) + (f.carriesWeight ? "" : " (low)") }
                var cell = "–"
                if let n = f.nearestCell { cell = "\(n) (\(r.cells.first(where: { $0.unit == n })?.type ?? ""))" }
                let dTheta: Table.Cell = f.orientationDifferenceDegrees.map { .number($0) } ?? .missing
                let ratio: Table.Cell = f.frequencyRatio.map { .number($0) } ?? .missing
                rt.addRow([.text("\(f.filter)"), .text(weight), .number(f.r2), .text(cell), dTheta, ratio, .text(f.recovers ? "yes" : "no")])
            }
            s += rt.description
            s += String(format: "recovered: %d of %d filters carrying readout weight (%.1f%%); %d of %d generating cells recovered\n",
                        r.recovered, r.weighted, 100 * r.fractionRecovered, r.cellsRecovered, r.cells.count)
        }
        if let sp = sparsity {
            let d = sp.detail
            var st = Table(title: "sparsity of \(sp.layer) over \(sp.stimuli) stimuli (\(sp.units) units, pooling \(sp.pooling)): mean (median)",
                           columns: [.init("measure", alignment: .left), .init("lifetime", alignment: .right), .init("population", alignment: .right)])
            func cell(_ v: SparsityValue) -> Table.Cell { .text(String(format: "%.3f (%.3f)", v.mean, v.median)) }
            st.addRow(["Treves–Rolls", cell(d.lifetimeTrevesRolls), cell(d.populationTrevesRolls)])
            st.addRow(["Hoyer", cell(d.lifetimeHoyer), cell(d.populationHoyer)])
            st.addRow(["excess kurtosis", cell(d.lifetimeKurtosis), cell(d.populationKurtosis)])
            s += st.description
        }
        return s
    }
}
