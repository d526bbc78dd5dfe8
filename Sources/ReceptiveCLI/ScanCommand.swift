// receptive scan MODEL DATA: the Neural Network Scanner — learning images of a neuron, filter,
// layer or readout unit (default), the interpretability measures (--properties), or abnormal
// filters and sharpness (--abnormal-filters). The work lives in the Scanner target.
import ConvEngine
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Report
import Scanner

extension AbnormalFilterPreset: ExpressibleByArgument {}
extension CHForm: ExpressibleByArgument {}
extension LearningImageGate: ExpressibleByArgument {}

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Neural Network Scanner: learning images, knowledge/feature quantity, TIP, AIPC, abnormal filters.",
        discussion: """
        Learning images (default): --stimulus I[,J…] with --unit U (a readout unit), or --layer L with \
        --filter K (filter learning image), --neuron Q (one neuron, flat index) or neither (layer learning image). \
        Writes DIR/learning_images.h5 (/images [n, C, H, W], /maps [n, H, W] summed over channels, /stimulus [n]), \
        DIR/learning_images.json and one PNG per stimulus (blue → red, 0 white, input resolution).
        --properties: knowledge quantity, feature quantity, TIP, AVoU/SoU and AIPC per layer (default: the \
        activation layers) on --count stimuli of --eval-split, SoU/AIPC on its held-out trials. DIR/properties.json, .h5.
        --abnormal-filters: per layer, PCA → Gaussian mixture → Calinski–Harabasz clustering of filter learning \
        images; sharpness (top Hessian eigenvalue) on --sharpness-trials training trials; --compare OTHER repeats it \
        for a second model (e.g. trained past its best epoch). Criteria of the thesis' §6.3.1: clusters of at most \
        --lambda points are abnormal, a filter is imbalanced when they exceed --alpha × K, its CH must exceed --beta × \
        the layer's mean CH, filters below --theta × the layer's mean activation are excluded; --preset takes \
        Table 6-1's values (default exp1-small: 50, 0.2, 1, 0.1). DIR/abnormal_filters.json.
        Definitions: docs/scanner.md. Example: receptive scan demo-cnn.h5 data/demo.h5 --stimulus 3 --unit 0 --out scan-u0
        """)

    @Argument(help: "The model file.") var model: String
    @Argument(help: "The HDF5 dataset file.") var data: String
    @Option(help: ArgumentHelp("Stimulus indices into the dataset, comma-separated (learning images).", valueName: "I,J,…"), transform: CommaList<Int>.parse) var stimulus: CommaList<Int>?
    @Option(help: "Layer name (e.g. act2; 'readout' for the readout).") var layer: String?
    @Option(help: "Readout unit index.") var unit: Int?
    @Option(help: "Filter (channel) index of --layer.") var filter: Int?
    @Option(help: "Neuron index of --layer (flat index into its per-stimulus output).") var neuron: Int?
    @Flag(help: "Compute knowledge quantity, feature quantity, TIP, AVoU/SoU and AIPC.") var properties = false
    @Flag(name: .customLong("abnormal-filters"), help: "Cluster filter learning images and report abnormal filters and sharpness.") var abnormalFilters = false
    @Option(help: "A second model for --abnormal-filters.") var compare: String?
    @Option(name: .customLong("eval-split"), help: "Split whose stimuli (and trials) --properties / --abnormal-filters use.") var evalSplit: Split = .test
    @Option(help: "Number of stimuli for --properties / --abnormal-filters.") var count = 32
    @Option(name: .customLong("aipc-steps"), help: "Masking steps of the AIPC curves.") var aipcSteps = 10
    @Option(name: .customLong("aipc-top"), help: "Fraction of the filters the AIPC curves cover (Table 5-1: the top 0.1; 1 = the whole curve).") var aipcTop = 0.1
    @Option(name: .customLong("sou-connections"), help: "SoU (eq. 5-10): connections removed one at a time per filter; all when the filter has fewer, else a seeded random subset of this many.") var souConnections = 64
    @Option(name: .customLong("sharpness-trials"), help: "Training trials for the Hessian (0 skips sharpness).") var sharpnessTrials = 256
    @Option(help: "Gate S of the learning images: step (thesis eq. 3-9, default) or derivative (ours: f′(z), gradient × input).") var gate: LearningImageGate = .step
    @Option(help: "Table 6-1 preset of λ, α, β, θ for --abnormal-filters (exp1-small, exp1-large, exp3-small, exp3-large).") var preset: AbnormalFilterPreset = .experiment1Small
    @Option(help: "λ: clusters with at most this many stimuli are abnormal (overrides --preset).") var lambda: Int?
    @Option(help: "α: a filter is imbalanced when its abnormal clusters exceed α × K (overrides --preset).") var alpha: Double?
    @Option(help: "β: high CH means CH > β × the layer's mean CH (overrides --preset).") var beta: Double?
    @Option(help: "θ: filters below θ × the layer's mean activation are excluded (overrides --preset).") var theta: Double?
    @Option(name: .customLong("ch-form"), help: "Calinski–Harabasz norms: thesis (eq. 6-6/6-7, unsquared) or squared (sklearn).") var chForm: CHForm = .thesis
    @Option(name: .customLong("max-components"), help: "Largest number of Gaussian-mixture clusters tried per filter.") var maxComponents = 5
    @Option(help: "Seed of every random choice (GMM starts, random rankings, power iteration).") var seed: UInt64 = 0
    @OptionGroup var output: OutputFolderArguments
    @OptionGroup var dataset: DatasetOptions

    func validate() throws {
        if properties && abnormalFilters { throw ValidationError("give at most one of --properties and --abnormal-filters") }
        if compare != nil && !abnormalFilters { throw ValidationError("--compare needs --abnormal-filters") }
        if !properties && !abnormalFilters {
            if stimulus == nil { throw ValidationError("learning images need --stimulus I (or use --properties / --abnormal-filters)") }
            if unit == nil && layer == nil { throw ValidationError("give --unit U, or --layer L (with --filter K or --neuron Q)") }
            if unit != nil && (filter != nil || neuron != nil) { throw ValidationError("--unit cannot be combined with --filter or --neuron") }
            if filter != nil && neuron != nil { throw ValidationError("give --filter or --neuron, not both") }
            if (filter != nil || neuron != nil) && layer == nil { throw ValidationError("--filter and --neuron need --layer") }
        }
        if count < 3 { throw ValidationError("--count must be at least 3") }
        if !(aipcTop > 0 && aipcTop <= 1) { throw ValidationError("--aipc-top must lie in (0, 1], got \(aipcTop)") }
        if souConnections < 1 { throw ValidationError("--sou-connections must be at least 1, got \(souConnections)") }
        if aipcSteps < 1 { throw ValidationError("--aipc-steps must be at least 1, got \(aipcSteps)") }
        if !abnormalFilters && (lambda != nil || alpha != nil || beta != nil || theta != nil) {
            throw ValidationError("--lambda, --alpha, --beta and --theta need --abnormal-filters")
        }
        if let v = lambda, v < 0 { throw ValidationError("--lambda must be ≥ 0, got \(v)") }
        for (name, v) in [("--alpha", alpha), ("--beta", beta), ("--theta", theta)] {
            if let v, !(v.isFinite && v >= 0) { throw ValidationError("\(name) must be a finite number ≥ 0, got \(v)") }
        }
        if maxComponents < 2 { throw ValidationError("--max-components must be at least 2, got \(maxComponents)") }
    }

    func run() throws {
        Parallel.setThreads(output.threads)
        try OutputPolicy.checkWholeFolder(output.out, force: output.force)
        let progress = ScanProgress(quiet: output.quiet || output.json)
        let ctx = try ScanContext(model: model, data: data, options: dataset)
        ctx.network.gate = gate
        if properties { try runProperties(ctx, progress) }
        else if abnormalFilters { try runAbnormal(ctx, progress) }
        else { try runLearningImages(ctx, progress) }
    }

    func layers(_ net: ScanNetwork) throws -> [Int] {
        if let l = layer { return [try net.layerIndex(named: l)] }
        return ScanAnalysis.defaultLayers(net)
    }

    // MARK: learning images

    struct LearningImageSummary: Encodable {
        let model: String, data: String, target: String, layer: String
        let stimulus: [Int]
        /// The target's value per stimulus (activation, or η for a unit; the sum over positions of a² for a filter).
        let value: [Double]
        /// Σ pixels of each learning image (equals `value` for bias-free ReLU networks).
        let pixelSum: [Double]
        let knowledgeCount: [Double], knowledgeIntensity: [Double]
    }

    func runLearningImages(_ ctx: ScanContext, _ progress: ScanProgress) throws {
        let net = ctx.network
        let idx = stimulus!.values
        try ctx.checkStimuli(idx)
        let x = try ctx.stimuli.stimuli(idx)
        let images: Tensor, target: String, l: Int
        var values: [Double] = []
        if let u = unit {
            let t = try net.unitTarget(u)
            l = t.layer
            target = "unit \(u)"
            images = try net.unitLearningImages(x, unit: u)
            values = try net.targetValues(x, target: t).map(Double.init)
        } else {
            l = try net.layerIndex(named: layer!)
            if let k = filter {
                target = "filter \(k) of \(layer!)"
                images = try net.filterLearningImages(x, layer: l, filters: [k]).reshaped([idx.count] + net.inputShape)
                let a = net.outputs(x, through: l)
                let plane = net.neuronCount(layer: l) / net.channelCount(layer: l)
                values = (0..<idx.count).map { i in
                    (0..<plane).reduce(0.0) { $0 + Double(a.data[(i * net.channelCount(layer: l) + k) * plane + $1]) * Double(a.data[(i * net.channelCount(layer: l) + k) * plane + $1]) }
                }
            } else if let q = neuron {
                target = "neuron \(q) of \(layer!)"
                images = try net.neuronLearningImages(x, layer: l, neuron: q)
                values = try net.targetValues(x, target: ScanTarget(layer: l, neuron: q)).map(Double.init)
            } else {
                target = "layer \(layer!)"
                images = try net.layerLearningImages(x, layer: l)
                let a = net.outputs(x, through: l)
                let per = net.neuronCount(layer: l)
                values = (0..<idx.count).map { i in (0..<per).reduce(0.0) { $0 + Double(a.data[i * per + $1]) * Double(a.data[i * per + $1]) } }
            }
        }
        progress("learning images of \(target) for \(idx.count) stimuli")
        let maps = ScanNetwork.collapseChannels(images)
        let (c, h, w) = (net.inputShape[0], net.inputShape[1], net.inputShape[2])
        let img = c * h * w
        let split = net.splitValues(x)
        var sums: [Double] = [], counts: [Double] = [], intens: [Double] = []
        for i in 0..<idx.count {
            sums.append(images.data[(i * img)..<((i + 1) * img)].reduce(0.0) { $0 + Double($1) })
            let q = KnowledgeMeasures.quantity(image: Array(maps.data[(i * h * w)..<((i + 1) * h * w)]),
                                               input: KnowledgeMeasures.collapse(split.data[(i * img)..<((i + 1) * img)], channels: c),
                                               threshold: 0)
            counts.append(q.count); intens.append(q.intensity)
        }
        let summary = LearningImageSummary(model: model, data: data, target: target, layer: net.layerNames[l], stimulus: idx,
                                           value: values, pixelSum: sums, knowledgeCount: counts, knowledgeIntensity: intens)
        try ScanOutputDirectory.write(output.out, force: output.force) { dir in
            try HDF5File.writeAtomically(to: dir.file("learning_images.h5"), overwrite: true) { f in
                try f.write("/images", tensor: images)
                try f.write("/maps", tensor: maps)
                try f.write("/stimulus", int64s: idx, shape: [idx.count])
                try f.setAttribute("target", string: target)
                try f.setAttribute("layer", string: net.layerNames[l])
                try f.setAttribute("model", string: model)
            }
            try JSONOutput.write(summary, to: dir.file("learning_images.json"))
            for (k, i) in idx.enumerated() {
                try dir.heatmap(Array(maps.data[(k * h * w)..<((k + 1) * h * w)]), height: h, width: w,
                                title: "\(target), stimulus \(i)", name: "learning_image_s\(i)", format: output.figures.format)
            }
        }
        if output.json { try JSONOutput.print(summary) } else { print("wrote \(output.out): learning images of \(target) for \(idx.count) stimuli") }
    }

    // MARK: properties

    func runProperties(_ ctx: ScanContext, _ progress: ScanProgress) throws {
        let net = ctx.network
        let ls = try layers(net)
        let idx = try ctx.stimuli(in: evalSplit, count: count)
        let x = try ctx.stimuli.stimuli(idx)
        let masks = try ctx.masks(idx)
        let held = try ctx.heldOut(evalSplit)
        var s = ScanAnalysisSettings()
        s.properties.aipcSteps = aipcSteps
        s.properties.aipcTopFraction = aipcTop
        s.properties.souConnections = souConnections
        s.properties.seed = seed
        let report = try ScanAnalysis.properties(net, stimuli: x, masks: masks, heldOut: held, layers: ls, settings: s, progress: { progress($0) })
        try ScanOutputDirectory.write(output.out, force: output.force) { dir in
            try JSONOutput.write(report, to: dir.file("properties.json"))
            try HDF5File.writeAtomically(to: dir.file("properties.h5"), overwrite: true) { f in
                try f.write("/stimulus", int64s: idx, shape: [idx.count])
                for (fq, p) in zip(report.featureQuantity, report.properties) {
                    let g = "/" + p.layer
                    try f.createGroup(g)
                    for (name, v) in [("fq", fq.filterFQ), ("activation", fq.filterActivation), ("mean", p.mean), ("variance", p.variance),
                                      ("covariance", p.covariance), ("correlation", p.correlation), ("avou", p.avou)] {
                        try f.write(g + "/" + name, doubles: v, shape: [v.count])
                    }
                    if let sou = p.sou { try f.write(g + "/sou", doubles: sou, shape: [sou.count]) }
                }
            }
        }
        if output.json { try JSONOutput.print(report); return }
        var t = Table(title: "\(model): \(idx.count) \(evalSplit) stimuli", columns: [
            .init("layer", alignment: .left), .init("count", format: .fixed(3)), .init("intensity", format: .fixed(3)),
            .init("C_l", format: .fixed(3)), .init("IoU top-2", format: .fixed(3)), .init("mean FQ", format: .fixed(1)),
            .init("r(act, FQ)", format: .fixed(3))])
        for (k, fq) in zip(report.knowledge, report.featureQuantity) {
            t.addRow([.text(k.layer), .number(k.activationCount), .number(k.intensity), k.layerCorrelation.map { .number($0) } ?? .text("–"),
                      k.topTwoIoU.map { .number($0) } ?? .text("–"), .number(fq.meanFQ), fq.activationCorrelation.map { .number($0) } ?? .text("–")])
        }
        print(t.description)
        print("wrote \(output.out)/properties.json and properties.h5")
    }

    // MARK: abnormal filters

    func runAbnormal(_ ctx: ScanContext, _ progress: ScanProgress) throws {
        var models: [(String, ScanNetwork)] = [(model, ctx.network)]
        if let other = compare {
            let m2 = try FittedModel.load(other)
            guard m2.config.preprocessing == ctx.model.config.preprocessing, m2.config.architecture.units == ctx.model.config.architecture.units else {
                throw OptionError(option: "--compare", reason: "\(other) was fitted with different preprocessing or units than \(model)")
            }
            let n2 = try ScanNetwork(model: m2)
            n2.gate = gate
            models.append((other, n2))
        }
        let idx = try ctx.stimuli(in: evalSplit, count: count)
        let x = try ctx.stimuli.stimuli(idx)
        var s = ScanAnalysisSettings()
        s.abnormal = AbnormalFilterSettings(preset: preset)
        if let v = lambda { s.abnormal.lambda = v }
        if let v = alpha { s.abnormal.alpha = v }
        if let v = beta { s.abnormal.beta = v }
        if let v = theta { s.abnormal.theta = v }
        s.abnormal.chForm = chForm
        s.abnormal.maxComponents = maxComponents
        s.abnormal.seed = seed
        s.sharpness.seed = seed
        var reports: [AbnormalFiltersReport] = []
        for (name, net) in models {
            let ls = try layers(net)
            let sharpData = sharpnessTrials > 0 ? try ctx.heldOut(.train, maxTrials: sharpnessTrials) : nil
            reports.append(try ScanAnalysis.abnormalFilters(net, name: name, stimuli: x, layers: ls, sharpnessData: sharpData,
                                                            settings: s, progress: { progress($0) }))
        }
        try ScanOutputDirectory.write(output.out, force: output.force) { dir in
            try JSONOutput.write(reports, to: dir.file("abnormal_filters.json"))
        }
        if output.json { try JSONOutput.print(reports); return }
        let a = s.abnormal
        var t = Table(title: "abnormal filters on \(idx.count) \(evalSplit) stimuli (λ \(a.lambda), α \(a.alpha), β \(a.beta), θ \(a.theta), CH \(a.chForm.rawValue))", columns: [
            .init("model", alignment: .left), .init("layer", alignment: .left), .init("abnormal", format: .fixed(0)),
            .init("filters", format: .fixed(0)), .init("imbalanced", format: .fixed(0)), .init("high CH", format: .fixed(0)),
            .init("excluded", format: .fixed(0)), .init("CH threshold", format: .fixed(1)), .init("sharpness", format: .fixed(4))])
        for r in reports {
            for (i, l) in r.layers.enumerated() {
                t.addRow([.text(r.model), .text(l.layer), .integer(l.abnormalCount), .integer(l.filters.count),
                          .integer(l.filters.filter(\.imbalanced).count), .integer(l.filters.filter(\.highCH).count),
                          .integer(l.filters.filter { !$0.highActivation }.count), .number(l.chThreshold), i == 0 ? (r.sharpness.map { .number($0.value) } ?? .text("–")) : .text("")])
            }
        }
        print(t.description)
        print("wrote \(output.out)/abnormal_filters.json")
    }
}
