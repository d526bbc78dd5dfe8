// receptive features SOURCE DATA --out X.h5: a feature space of the stimuli as an [N, F] matrix.
import ConvEngine
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData

/// The Gabor pyramid's options (`features gabor`, `fit --features gabor`).
struct GaborArguments: ParsableArguments {
    @Option(name: .customLong("gabor-size"), help: "gabor: side of the grayscale image the pyramid sees (pixels).") var size = GaborPyramidOptions().size
    @Option(name: .customLong("gabor-frequencies"), help: ArgumentHelp("gabor: spatial frequencies, cycles per image (default: \(CommaList<Double>(GaborPyramidOptions().frequencies))).", valueName: "list"), transform: CommaList<Double>.parse)
    var frequencies = CommaList<Double>(GaborPyramidOptions().frequencies)
    @Option(name: .customLong("gabor-orientations"), help: "gabor: number of orientations in [0, π).") var orientations = GaborPyramidOptions().orientations
    @Option(name: .customLong("gabor-spacing"), help: "gabor: spacing of wavelet centres in envelope standard deviations (smaller: more positions).") var spacing = GaborPyramidOptions().spacing
    @Flag(name: .customLong("gabor-linear"), help: "gabor: also the two linear (quadrature) responses of every wavelet.") var linear = false
    @Option(name: .customLong("gabor-energy-exponent"), help: "gabor: energy feature (a² + b²)^q of each quadrature pair: 0.5 the amplitude, 1 the squared energy (energy model), 0.25 compressive.") var energyExponent = 0.5

    func options() throws -> GaborPyramidOptions {
        var o = GaborPyramidOptions()
        o.size = size; o.orientations = orientations; o.linear = linear; o.spacing = spacing
        if energyExponent != 0.5 { o.energyExponent = energyExponent }
        o.frequencies = frequencies.values
        try GaborPyramid.validate(o)   // every option checked before any work (the filters are built only where used)
        return o
    }
}

/// Progress of a long computation on stderr: at most one line every two seconds, and the last.
final class ThrottledProgress {
    let quiet: Bool
    private var last = Date.distantPast
    init(quiet: Bool) { self.quiet = quiet }
    func callAsFunction(_ stage: String, _ done: Int, _ total: Int) {
        guard !quiet, done == total || Date().timeIntervalSince(last) >= 2 else { return }
        last = Date()
        FileHandle.standardError.write(Data("\(stage) \(done)/\(total)\n".utf8))
    }
}

struct FeaturesCommand: ParsableCommand, WithThreadsOption, WithQuietFlag, WithForceFlag {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute a feature space of a dataset's stimuli ([N, F] float32, one description per column).",
        discussion: """
        SOURCE: pixels[:S] (grayscale, resized to S×S), file:F.h5:/path (your own [N, F] matrix), gabor \
        (Gabor wavelet pyramid, Kay et al. 2008; --gabor-* options), layer:MODEL.h5:NAME[:P] (activations \
        of a fitted model's layer, average-pooled to P×P). Output: /features [N, F], /feature_names [F], \
        root attributes source and parameters (JSON). See docs/fmri.md.
        Example: receptive features gabor data/voxels.h5 --out gabor.h5
        """)

    @Argument(help: "pixels[:S], file:F.h5:/path, gabor, or layer:MODEL.h5:NAME[:P].") var source: String
    @Argument(help: "The HDF5 dataset file.") var data: String
    @Option(help: "Output HDF5 file.") var out: String
    @OptionGroup var threadsOption: ThreadsOption
    @OptionGroup var quietFlag: QuietFlag
    @OptionGroup var forceFlag: ForceFlag
    @OptionGroup var gabor: GaborArguments
    @OptionGroup var dataset: DatasetOptions

    func run() throws {
        Parallel.setThreads(threads)
        try OutputPolicy.checkFile(out, force: force)
        let src = try FeatureSource(specification: source, gabor: try gabor.options())
        let ds = try Dataset.load(data, options: dataset.loadOptions(countModel: false))
        let progress = ThrottledProgress(quiet: quiet)
        let m = try FeatureSpace.compute(src, dataset: ds, stimuli: Array(0..<ds.stimulusCount)) { progress("features: stimuli", $0, $1) }
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        let params = String(decoding: try enc.encode(src), as: UTF8.self)
        try HDF5File.writeAtomically(to: out, overwrite: force) { f in
            try f.write("/features", floats: m.values, shape: [m.rows, m.columns])
            try f.write("/feature_names", strings: m.descriptions)
            try f.setAttribute("source", string: src.description)
            try f.setAttribute("parameters", string: params)
            try f.setAttribute("data", string: data)
        }
        print("wrote \(out): \(m.columns) \(src) features of \(m.rows) stimuli")
    }
}
