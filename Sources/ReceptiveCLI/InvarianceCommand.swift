// receptive invariance [MODEL] --data DATA: falsify invariance hypotheses per unit (DESIGN §5) on a
// fitted model, on a simulation's generating model (--ground-truth), or on recorded responses to
// stored stimulus pairs (--recorded).
import ConvEngine
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Analysis
import Report
import ModelReport

enum TransformKind: String, ExpressibleByArgument, CaseIterable {
    case phaseScramble = "phase-scramble", translate, contrast, pairs
}

extension TranslationFill: ExpressibleByArgument {}
extension InvarianceReference: ExpressibleByArgument {}

struct InvarianceCommand: ParsableCommand, WithThreadsOption, WithForceFlag, WithJSONFlag, WithQuietFlag {
    static let configuration = CommandConfiguration(
        commandName: "invariance",
        abstract: "Test each unit's invariance to a stimulus transform: D/B index, bootstrap CI, falsified or not.",
        discussion: """
        D_u = mean |f_u(x) − f_u(T(x))|, B_u = mean |f_u(x) − f_u(x′)| over random pairs of stimuli, \
        index = D/B; the hypothesis "u is invariant to T" is falsified when the lower end of the \
        bootstrap CI of the index exceeds --threshold. f is a fitted MODEL's prediction (T applied to \
        the raw stimulus, before the model's preprocessing), the generating model of a simulated file \
        (--ground-truth), or the neurons' repeat-averaged responses to stored pairs (--recorded). \
        --transform pairs (the default when DATA has /pairs, e.g. from `receptive scramble`) uses the \
        stored transformed stimuli. Translation also reports each layer's equivariance. See docs/analysis.md.
        Example: receptive invariance model.h5 --data sim.h5 --transform phase-scramble --json
        """)

    @Argument(help: "The model file (omit with --ground-truth or --recorded).") var model: String?
    @Option(help: "The dataset (or stimulus set) whose stimuli are tested.") var data: String
    @Flag(name: .customLong("ground-truth"), help: "Test the generating model of a simulated DATA (simple and complex cells) instead of a fitted model.")
    var groundTruth = false
    @Flag(help: "Test the neurons' recorded responses to DATA's stored pairs (/pairs), repeat-averaged.") var recorded = false
    @Option(help: "phase-scramble, translate, contrast, or pairs (DATA's stored pairs; default when DATA has /pairs).")
    var transform: TransformKind?
    @Option(help: "phase-scramble: natural (x = DATA's stimuli, T(x) their scrambles) or scrambled (x drawn from the phase-randomised distribution q — a full scramble of each stimulus — and T re-randomising the phases inside --band; seed 000's D = E_{x∼q}|f(x) − f(T(x))|).")
    var reference: InvarianceReference = .natural
    @Option(help: "Independent draws of a random transform per stimulus (≥ 1). With 1 (default) each stimulus has its own draw and resampling stimuli resamples (x, T) jointly; more draws sharpen D and the bootstrap also picks among them.") var draws = 1
    @Option(help: "phase-scramble: strength α in [0, 1].") var alpha: Double?
    @Option(help: ArgumentHelp("phase-scramble: only radial frequencies LO ≤ ρ ≤ HI cycles/pixel (0 < LO < HI ≤ 0.5).", valueName: "lo,hi"))
    var band: String?
    @Option(help: ArgumentHelp("translate: shift in pixels, DX,DY (positive: right, down). Default 1,0.", valueName: "dx,dy"), transform: CommaList<Int>.parse)
    var shift: CommaList<Int>?
    @Option(help: "translate: how uncovered pixels are filled (wrap, zero, mean).") var fill: TranslationFill = .wrap
    @Option(help: "contrast: factor k ≥ 0 about each image's mean. Default 0.5.") var factor: Double?
    @Option(help: ArgumentHelp("τ: falsified when the CI's lower end exceeds it; in (0, ∞).", valueName: "τ"))
    var threshold = InvarianceCommand.defaultThreshold
    @Option(help: "Bootstrap resamples of the stimuli (≥ 10).") var bootstrap = 1000
    @Option(help: "Confidence level of the bootstrap interval, in (0, 1).") var confidence = 0.95
    @Option(name: .customLong("eval-split"), help: "Which stimuli: all, train, validation or test (split of DATA).") var split: StimulusSelection = .all
    @Option(help: "Seed of the transform's noise, the stimulus pairing and the bootstrap.") var seed: UInt64 = 0
    @OptionGroup var threadsOption: ThreadsOption
    @Option(help: ArgumentHelp("Write the invariance figure (indices with CIs and τ, in --format), invariance.h5 (arrays) — and the equivariance figure for translate — into this folder.", valueName: "dir"))
    var out: String?
    @OptionGroup var forceFlag: ForceFlag
    @OptionGroup var jsonFlag: JSONFlag
    @OptionGroup var quietFlag: QuietFlag
    @OptionGroup var dataset: DatasetOptions
    @OptionGroup var figures: FigureFormatOption

    /// Default τ (docs/analysis.md, "Choosing τ": chosen on simulated ground truth).
    static let defaultThreshold = InvarianceSettings.defaultThreshold

    enum Mode: String { case model, groundTruth = "ground_truth", recorded }

    /// Every option checked before any file is read.
    func validatedOptions() throws -> (mode: Mode, settings: InvarianceSettings, phase: PhaseScrambleTransform?, shift: (Int, Int), contrast: ContrastTransform) {
        let modes = [model != nil, groundTruth, recorded].filter { $0 }.count
        guard modes == 1 else {
            throw OptionError(option: "MODEL", reason: modes == 0 ? "give a model file, --ground-truth or --recorded"
                                                               : "give only one of a model file, --ground-truth and --recorded")
        }
        let mode: Mode = recorded ? .recorded : (groundTruth ? .groundTruth : .model)
        if recorded, let t = transform, t != .pairs {
            throw OptionError(option: "--transform", reason: "--recorded compares responses to stored pairs; \(t.rawValue) cannot be applied to recorded responses")
        }
        if reference == .scrambled, let t = transform, t != .phaseScramble {
            throw OptionError(option: "--reference", reason: "scrambled needs --transform phase-scramble, got \(t.rawValue)")
        }
        if reference == .scrambled, recorded {
            throw OptionError(option: "--reference", reason: "scrambled draws new stimuli; --recorded has responses only to the stimuli shown")
        }
        let settings = InvarianceSettings(threshold: threshold, bootstrap: bootstrap, confidence: confidence, seed: seed, draws: draws)
        try settings.validate()
        let phase = try PhaseScrambleTransform(alpha: alpha ?? 1, band: try band.map { try FrequencyBand(parsing: $0) })
        var s = (1, 0)
        if let list = shift {
            let v = list.values
            guard v.count == 2 else { throw OptionError(option: "--shift", reason: "expected DX,DY (two integers), got '\(list)'") }
            s = (v[0], v[1])
        }
        let contrast: ContrastTransform
        do { contrast = try ContrastTransform(factor: factor ?? 0.5) } catch {
            throw OptionError(option: "--factor", reason: "\(error)")
        }
        return (mode, settings, phase, s, contrast)
    }

    var outputFiles: [String] {
        ["invariance.h5", figures.format.fileName("invariance")] + (transform == .translate ? [figures.format.fileName("equivariance")] : [])
    }

    func run() throws {
        let opts = try validatedOptions()
        if let o = out { try OutputPolicy.checkFolder(o, files: outputFiles, force: force) }
        Parallel.setThreads(threads)

        let fitted = try model.map { try FittedModel.load($0) }
        let loadOptions = fitted.map { dataset.loadOptions(for: $0) } ?? dataset.loadOptions()
        let stim = try AnalysisStimuli.load(data, options: loadOptions)
        let kind = try transform ?? {
            guard stim.pairs != nil else {
                throw OptionError(option: "--transform", reason: "\(data) has no /pairs; choose phase-scramble, translate or contrast")
            }
            return .pairs
        }()
        if kind == .pairs && stim.pairs == nil {
            throw OptionError(option: "--transform", reason: "\(data) has no stored pairs (/pairs, or /ground_truth/partner of `simulate --scrambled`)")
        }
        let selection = split.split
        let indices = try stim.indices(split: selection)
        let d = stim.dataset

        let subject: InvarianceSubject = opts.mode == .model ? .model(fitted!) : (opts.mode == .groundTruth ? .groundTruth : .recorded)
        let (function, unitNames) = try subject.responseFunction(file: data, dataset: d, itemShape: stim.itemShape)
        // Unit types (simulated files), when the units are the dataset's.
        var unitTypes: [String]? = nil
        if let t = d?.unitTypes, t.count == (function?.unitCount ?? d!.unitCount) { unitTypes = t }

        let imageTransform: ImageTransform?
        switch kind {
        case .phaseScramble: imageTransform = opts.phase
        case .translate: imageTransform = TranslateTransform(dx: opts.shift.0, dy: opts.shift.1, fill: fill)
        case .contrast: imageTransform = opts.contrast
        case .pairs: imageTransform = nil
        }
        let transformName = imageTransform.map { reference == .scrambled ? "\($0.name) on phase-scrambled x" : $0.name } ?? "pairs (\(stim.pairs!.source))"
        let request = InvarianceRequest(function: function, source: stim.source, dataset: d, indices: indices, split: selection,
                                        pairs: stim.pairs, transform: imageTransform, reference: reference, settings: opts.settings,
                                        unitNames: unitNames)
        let settings = request.settings
        try request.validate()
        progress(request.summary + "…", quiet: quiet)
        let result = try request.run()

        // Equivariance of the layers of a model under translation.
        var equivariance: [LayerEquivariance]? = nil
        if kind == .translate, let m = fitted {
            equivariance = try TranslationEquivariance.measure(model: m, source: stim.source, stimuli: result.stimuli,
                                                               dx: opts.shift.0, dy: opts.shift.1)
        }

        let report = InvarianceReport(mode: opts.mode.rawValue, model: model, data: data, transform: transformName,
                                      settings: .init(settings, split: split.rawValue, transform: kind.rawValue,
                                                      reference: kind == .phaseScramble ? reference.rawValue : nil,
                                                      alpha: kind == .phaseScramble ? (alpha ?? 1) : nil,
                                                      band: kind == .phaseScramble ? opts.phase?.scrambler.band.map { [$0.low, $0.high] } : nil,
                                                      shift: kind == .translate ? [opts.shift.0, opts.shift.1] : nil,
                                                      fill: kind == .translate ? fill.rawValue : nil,
                                                      factor: kind == .contrast ? opts.contrast.factor : nil),
                                      result: result, unitTypes: unitTypes, equivariance: equivariance)
        if let o = out { try writeOutputs(o, report: report, result: result) }
        if json { try JSONOutput.print(report) } else { print(report.tables(), terminator: "") }
    }

    func writeOutputs(_ dir: String, report: InvarianceReport, result: InvarianceResult) throws {
        try OutputPolicy.createFolder(dir)
        let u = result.unitCount, s = result.stimulusCount
        let settingsJSON = try JSONOutput.string(report.settings)
        try HDF5File.writeAtomically(to: dir + "/invariance.h5", overwrite: true) { f in
            try f.write("/original", doubles: result.original, shape: [s, u])
            try f.write("/transformed", doubles: result.transformed, shape: [s, u])
            try f.write("/stimulus", int64s: result.stimuli, shape: [s])
            if let p = result.partners { try f.write("/partner", int64s: p, shape: [s]) }
            try f.write("/d", doubles: result.units.map(\.d), shape: [u])
            try f.write("/b", doubles: result.units.map(\.b), shape: [u])
            try f.write("/index", doubles: result.units.map(\.index), shape: [u])
            try f.write("/ci_low", doubles: result.units.map(\.ciLow), shape: [u])
            try f.write("/ci_high", doubles: result.units.map(\.ciHigh), shape: [u])
            try f.write("/falsified", uint8s: result.units.map { $0.falsified ? 1 : 0 }, shape: [u])
            try f.write("/p_value", doubles: result.units.map(\.pValue), shape: [u])
            try f.write("/falsified_bh", uint8s: result.units.map { $0.falsifiedBH ? 1 : 0 }, shape: [u])
            try f.write("/unit_names", strings: report.units.map(\.name))
            if let e = report.equivariance {
                try f.write("/equivariance/layer", strings: e.map(\.layer))
                try f.write("/equivariance/stride", int64s: e.map(\.stride), shape: [e.count])
                try f.write("/equivariance/relative_error", doubles: e.map(\.relativeError), shape: [e.count])
                try f.write("/equivariance/positions", int64s: e.map(\.positions), shape: [e.count])
            }
            try f.setAttribute("mode", string: report.mode)
            try f.setAttribute("transform", string: report.transform)
            try f.setAttribute("settings", string: settingsJSON)
            try f.setAttribute("data", string: report.data)
            if let m = report.model { try f.setAttribute("model", string: m) }
        }
        let chart = AnalysisFigures.invarianceBars(units: result.units, names: report.units.map(\.name), threshold: threshold,
                                                   transform: report.transform)
        try chart.write(to: dir + "/" + figures.format.fileName("invariance"), format: figures.format)
        if let e = report.equivariance {
            let figure = BarChart.render(labels: e.map { "\($0.layer) (J=\($0.stride))" }, values: e.map(\.relativeError),
                                      title: "equivariance error |a(Tx) - T'a(x)| / |a(x)|, shift \(opts(report))",
                                      yLabel: "relative error")
            try figure.write(to: dir + "/" + figures.format.fileName("equivariance"), format: figures.format)
        }
    }

    private func opts(_ r: InvarianceReport) -> String {
        r.settings.shift.map { "\($0[0]),\($0[1])" } ?? ""
    }
}

// MARK: - Output

struct InvarianceReport: Encodable {
    struct Settings: Encodable {
        var threshold: Double, bootstrap: Int, confidence: Double, seed: UInt64, draws: Int, fdrLevel: Double
        var split: String, transform: String, reference: String?
        var alpha: Double?, band: [Double]?, shift: [Int]?, fill: String?, factor: Double?
        enum CodingKeys: String, CodingKey {
            case threshold, bootstrap, confidence, seed, draws, split, transform, reference, alpha, band, shift, fill, factor
            case fdrLevel = "fdr_level"
        }
        init(_ s: InvarianceSettings, split: String, transform: String, reference: String?, alpha: Double?, band: [Double]?, shift: [Int]?,
             fill: String?, factor: Double?) {
            threshold = s.threshold; bootstrap = s.bootstrap; confidence = s.confidence; seed = s.seed
            draws = s.draws; fdrLevel = s.fdrLevel; self.reference = reference
            self.split = split; self.transform = transform; self.alpha = alpha; self.band = band; self.shift = shift
            self.fill = fill; self.factor = factor
        }
    }
    struct Unit: Encodable {
        var unit: Int, name: String, type: String?
        var d: Double, b: Double, index: Double, ciLow: Double, ciHigh: Double, falsified: Bool, pValue: Double, falsifiedBH: Bool
        enum CodingKeys: String, CodingKey {
            case unit, name, type, d, b, index, ciLow = "ci_low", ciHigh = "ci_high", falsified
            case pValue = "p_value", falsifiedBH = "falsified_bh"
        }
    }
    let mode: String
    let model: String?
    let data: String
    let transform: String
    let settings: Settings
    let stimuli: Int
    let units: [Unit]
    let fractionFalsified: Double
    let fractionFalsifiedBH: Double
    let byType: [String: InvarianceTypeCount]?
    let byTypeBH: [String: InvarianceTypeCount]?
    let equivariance: [LayerEquivariance]?

    enum CodingKeys: String, CodingKey {
        case mode, model, data, transform, settings, stimuli, units, equivariance
        case fractionFalsified = "fraction_falsified", byType = "by_type"
        case fractionFalsifiedBH = "fraction_falsified_bh", byTypeBH = "by_type_bh"
    }

    init(mode: String, model: String?, data: String, transform: String, settings: Settings, result: InvarianceResult,
         unitTypes: [String]?, equivariance: [LayerEquivariance]?) {
        self.mode = mode; self.model = model; self.data = data; self.transform = transform; self.settings = settings
        stimuli = result.stimulusCount
        units = result.units.enumerated().map { j, r in
            Unit(unit: r.unit, name: r.name ?? "unit\(r.unit)", type: unitTypes?[j], d: r.d, b: r.b, index: r.index,
                 ciLow: r.ciLow, ciHigh: r.ciHigh, falsified: r.falsified, pValue: r.pValue, falsifiedBH: r.falsifiedBH)
        }
        fractionFalsified = result.fractionFalsified
        fractionFalsifiedBH = result.units.isEmpty ? .nan : Double(result.units.filter(\.falsifiedBH).count) / Double(result.units.count)
        byType = unitTypes.map { result.countsByType($0) }
        byTypeBH = unitTypes.map { result.countsByType($0, benjaminiHochberg: true) }
        self.equivariance = equivariance
    }

    func tables() -> String {
        let pct = Int((settings.confidence * 100).rounded())
        var t = Table(title: "invariance to \(transform) (\(mode), \(stimuli) stimuli, τ = \(settings.threshold), \(pct)% CI)",
                      columns: [.init("unit", alignment: .left), .init("type", alignment: .left), .init("D", format: .fixed(4)),
                                .init("B", format: .fixed(4)), .init("index", format: .fixed(3)), .init("CI low", format: .fixed(3)),
                                .init("CI high", format: .fixed(3)), .init("p", format: .automatic(3)), .init("falsified", alignment: .left),
                                .init("falsified (BH)", alignment: .left)])
        for u in units {
            t.addRow([.text(u.name), u.type.map { .text($0) } ?? .missing, ScoreTables.cell(u.d), ScoreTables.cell(u.b),
                      ScoreTables.cell(u.index), ScoreTables.cell(u.ciLow), ScoreTables.cell(u.ciHigh), ScoreTables.cell(u.pValue),
                      .text(u.falsified ? "yes" : "no"), .text(u.falsifiedBH ? "yes" : "no")])
        }
        var s = t.description
        s += String(format: "falsified: %d of %d units (%.1f%%); with Benjamini–Hochberg at q = %g: %d (%.1f%%)\n",
                    units.filter(\.falsified).count, units.count, 100 * fractionFalsified, settings.fdrLevel,
                    units.filter(\.falsifiedBH).count, 100 * fractionFalsifiedBH)
        if let b = byType, let bh = byTypeBH {
            for (type, c) in b.sorted(by: { $0.key < $1.key }) {
                s += "  \(type): \(c.falsified) of \(c.units) falsified (BH: \(bh[type]?.falsified ?? 0))\n"
            }
        }
        if let e = equivariance {
            var et = Table(title: "translation equivariance per layer (input shift \(settings.shift.map { "\($0[0]),\($0[1])" } ?? ""))",
                           columns: [.init("layer", alignment: .left), .init("stride J", format: .fixed(0)), .init("RF", format: .fixed(0)),
                                     .init("shift/J", alignment: .left), .init("rel. error", format: .automatic(3)),
                                     .init("positions", format: .fixed(0))])
            for l in e {
                let shiftText = String(format: "%g,%g", l.layerShiftX, l.layerShiftY) + (l.integerShift ? "" : " (not integer)")
                et.addRow([.text(l.layer), .integer(l.stride), .integer(l.receptiveField), .text(shiftText),
                           ScoreTables.cell(l.relativeError), .text("\(l.positions)/\(l.totalPositions)")])
            }
            s += et.description
        }
        return s
    }
}
