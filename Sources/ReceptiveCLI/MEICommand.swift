// receptive mei MODEL --unit U | --layer L --filter K: the most exciting input of a readout unit
// or a conv channel (projected gradient ascent with Gaussian-blur preconditioning, seeded).
import ConvEngine
import ArgumentParser
import Foundation
import Tensors
import Encoding
import Report
import Scanner

struct MEICommand: ParsableCommand, WithForceFlag, WithJSONFlag, WithThreadsOption {
    static let configuration = CommandConfiguration(
        commandName: "mei",
        abstract: "Most exciting input of a readout unit or a conv channel.",
        discussion: """
        Gradient ascent on the model input under an L2 constraint (--norm, model input units; default √(C·H·W), \
        the mean norm of z-scored stimuli), gradients blurred by a Gaussian whose σ decays from --blur to \
        --final-blur. Writes DIR/mei.h5 (/mei [C, H, W] model input units, /trace [steps]), DIR/mei.json, DIR/mei.svg (or .png/.pdf with --format).
        Example: receptive mei demo-cnn.h5 --unit 0 --out mei-u0
        """)

    @Argument(help: "The model file.") var model: String
    @Option(help: "Readout unit index.") var unit: Int?
    @Option(help: "Layer of --filter (e.g. act2).") var layer: String?
    @Option(help: "Channel of --layer whose spatial mean is maximised.") var filter: Int?
    @Option(help: "Gradient steps.") var steps = 300
    @Option(name: .customLong("learning-rate"), help: "Step size (relative to the mean |gradient|).") var learningRate = 0.05
    @Option(help: "L2 norm of the input (model input units); default √(C·H·W).") var norm: Double?
    @Option(help: "Initial blur σ (pixels).") var blur = 2.0
    @Option(name: .customLong("final-blur"), help: "Final blur σ (pixels).") var finalBlur = 0.5
    @Option(help: "Seed of the starting noise.") var seed: UInt64 = 0
    @Option(help: "Output folder.") var out: String
    @OptionGroup var forceFlag: ForceFlag
    @OptionGroup var jsonFlag: JSONFlag
    @OptionGroup var threadsOption: ThreadsOption
    @OptionGroup var figures: FigureFormatOption

    func validate() throws {
        if (unit == nil) == (filter == nil) { throw ValidationError("give --unit U, or --layer L with --filter K") }
        if filter != nil && layer == nil { throw ValidationError("--filter needs --layer") }
    }

    struct Summary: Encodable {
        let model: String, target: String, value: Double, norm: Double, steps: Int, seed: UInt64
        let traceStart: Double, traceEnd: Double
        /// The gradient was 0 throughout (a silent unit for this start).
        let stalled: Bool
    }

    func run() throws {
        Parallel.setThreads(threads)
        try OutputPolicy.checkWholeFolder(out, force: force)
        let m = try FittedModel.load(model)
        let net = try ScanNetwork(model: m)
        let objective: MEIObjective, target: String
        if let u = unit {
            let t = try net.unitTarget(u)
            objective = .neuron(layer: t.layer, index: u); target = "unit \(u)"
        } else {
            objective = .channel(layer: try net.layerIndex(named: layer!), channel: filter!); target = "filter \(filter!) of \(layer!)"
        }
        var s = MEISettings()
        s.steps = steps; s.learningRate = learningRate; s.norm = norm ?? Double(net.inputShape.product).squareRoot()
        s.blurSigma = blur; s.finalBlurSigma = finalBlur; s.seed = seed
        let r = try net.mostExcitingInput(objective, settings: s)
        let summary = Summary(model: model, target: target, value: r.value, norm: s.norm, steps: steps, seed: seed,
                              traceStart: r.trace.first ?? .nan, traceEnd: r.trace.last ?? .nan, stalled: r.stalled)
        let (c, h, w) = (net.inputShape[0], net.inputShape[1], net.inputShape[2])
        try ScanOutputDirectory.write(out, force: force) { dir in
            try HDF5File.writeAtomically(to: dir.file("mei.h5"), overwrite: true) { f in
                try f.write("/mei", tensor: r.input)
                try f.write("/trace", doubles: r.trace, shape: [r.trace.count])
                try f.setAttribute("target", string: target)
                try f.setAttribute("model", string: model)
            }
            try JSONOutput.write(summary, to: dir.file("mei.json"))
            var plane = [Float](repeating: 0, count: h * w)
            for ch in 0..<c { for p in 0..<(h * w) { plane[p] += r.input.data[ch * h * w + p] } }
            try dir.heatmap(plane, height: h, width: w, title: "MEI, \(target)", name: "mei", format: figures.format)
        }
        if r.stalled {
            FileHandle.standardError.write(Data("receptive: warning: the gradient of \(target) was 0 at every step (silent for this start); try another --seed\n".utf8))
        }
        if json { try JSONOutput.print(summary); return }
        print("wrote \(out): MEI of \(target), objective \(String(format: "%.4g", r.value)) (start \(String(format: "%.4g", summary.traceStart)))")
    }
}
