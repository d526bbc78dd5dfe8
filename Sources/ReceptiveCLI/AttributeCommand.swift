// receptive attribute MODEL DATA --unit U --method M: attribution maps of a readout unit for
// chosen stimuli, and optionally the deletion/insertion faithfulness (AOPC) of every method.
import ConvEngine
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Report
import Scanner

extension AttributionMethod: ExpressibleByArgument {}

struct AttributeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribute",
        abstract: "Attribution maps of a recorded unit: saliency, input×gradient, integrated gradients, Grad-CAM, occlusion, NNS.",
        discussion: """
        Maps are per stimulus at input resolution, summed over input channels: DIR/attribution.h5 (/maps [n, H, W], \
        /stimulus [n]), DIR/attribution.json, one PNG per stimulus (blue → red, 0 white). --faithfulness scores every \
        method (and a random ordering) by deletion/insertion AOPC on the same stimuli. Definitions: docs/scanner.md.
        Example: receptive attribute demo-cnn.h5 data/demo.h5 --unit 0 --method integrated-gradients --stimulus 0,1 --out attr
        """)

    @Argument(help: "The model file.") var model: String
    @Argument(help: "The HDF5 dataset file.") var data: String
    @Option(help: "Readout unit index.") var unit: Int
    @Option(help: "saliency, input-x-gradient, integrated-gradients, grad-cam, occlusion or nns.") var method: AttributionMethod
    @Option(help: ArgumentHelp("Stimulus indices into the dataset, comma-separated (default: 0).", valueName: "I,J,…"), transform: CommaList<Int>.parse) var stimulus = CommaList<Int>([0])
    @Option(help: "Grad-CAM layer (default: the last feature-map layer).") var layer: String?
    @Option(help: "Integrated-gradients steps.") var steps = 64
    @Option(help: "Occlusion window (pixels).") var window = 8
    @Option(help: "Occlusion stride (pixels).") var stride = 4
    @Option(help: "Baseline value for integrated gradients, occlusion and faithfulness (model input units; 0 = the training mean).") var baseline: Float = 0
    @Flag(help: "Also score every method by deletion/insertion AOPC.") var faithfulness = false
    @Option(name: .customLong("faithfulness-steps"), help: "Deletion/insertion steps.") var faithfulnessSteps = 20
    @Option(help: "Seed of the random ordering in --faithfulness.") var seed: UInt64 = 0
    @OptionGroup var output: OutputFolderArguments
    @OptionGroup var dataset: DatasetOptions

    struct Summary: Encodable {
        let model: String, data: String, unit: Int, method: String
        let stimulus: [Int]
        let gradCAMLayer: String?
        let integratedGradientsSteps: Int?
        /// Σ IG − (f(x) − f(baseline)) per stimulus (integrated gradients only).
        let completenessGap: [Double]?
        let faithfulness: [FaithfulnessSummary]?
    }

    func run() throws {
        Parallel.setThreads(output.threads)
        try OutputPolicy.checkWholeFolder(output.out, force: output.force)
        let progress = ScanProgress(quiet: output.quiet || output.json)
        let ctx = try ScanContext(model: model, data: data, options: dataset)
        let net = ctx.network
        let idx = stimulus.values
        try ctx.checkStimuli(idx)
        let t = try net.unitTarget(unit)
        var s = AttributionSettings()
        s.integratedGradientSteps = steps; s.baseline = baseline; s.occlusionWindow = window; s.occlusionStride = stride
        if let l = layer { s.gradCAMLayer = try net.layerIndex(named: l) }
        let x = try ctx.stimuli.stimuli(idx)
        progress("\(method.rawValue) maps of unit \(unit) for \(idx.count) stimuli")
        var gap: [Double]?
        let maps: Tensor
        if method == .integratedGradients {
            let r = try net.integratedGradients(x, target: t, steps: steps, baseline: baseline)
            maps = ScanNetwork.collapseChannels(r.map); gap = r.completenessGap
        } else {
            maps = try net.attribution(method, x, target: t, settings: s)
        }
        var faith: [FaithfulnessSummary]?
        if faithfulness {
            progress("deletion/insertion AOPC of every method")
            faith = try net.compareFaithfulness(x, target: t, methods: AttributionMethod.allCases, settings: s, steps: faithfulnessSteps, seed: seed)
        }
        let camLayer = method == .gradCAM ? (s.gradCAMLayer ?? net.defaultGradCAMLayer(before: t.layer)).map { net.layerNames[$0] } : nil
        let summary = Summary(model: model, data: data, unit: unit, method: method.rawValue, stimulus: idx, gradCAMLayer: camLayer,
                              integratedGradientsSteps: method == .integratedGradients ? steps : nil, completenessGap: gap, faithfulness: faith)
        let (h, w) = (net.inputShape[1], net.inputShape[2])
        try ScanOutputDirectory.write(output.out, force: output.force) { dir in
            try HDF5File.writeAtomically(to: dir.file("attribution.h5"), overwrite: true) { f in
                try f.write("/maps", tensor: maps)
                try f.write("/stimulus", int64s: idx, shape: [idx.count])
                try f.setAttribute("method", string: method.rawValue)
                try f.setAttribute("unit", double: Double(unit))
                try f.setAttribute("model", string: model)
            }
            try JSONOutput.write(summary, to: dir.file("attribution.json"))
            for (k, i) in idx.enumerated() {
                try dir.heatmap(Array(maps.data[(k * h * w)..<((k + 1) * h * w)]), height: h, width: w,
                                title: "\(method.rawValue), unit \(unit), stimulus \(i)", name: "\(method.rawValue)_s\(i)", format: output.figures.format)
            }
        }
        if output.json { try JSONOutput.print(summary); return }
        if let f = faith {
            var table = Table(title: "faithfulness, unit \(unit), \(idx.count) stimuli (larger is better)", columns: [
                .init("method", alignment: .left), .init("deletion AOPC", format: .fixed(4)), .init("insertion AOPC", format: .fixed(4))])
            for r in f { table.addRow([.text(r.method), .number(r.deletionAOPC), .number(r.insertionAOPC)]) }
            print(table.description)
        }
        print("wrote \(output.out): \(method.rawValue) maps of unit \(unit) for \(idx.count) stimuli")
    }
}
