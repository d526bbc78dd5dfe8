// Output folder of `receptive scan`, `attribute` and `mei` (--out DIR): arrays to HDF5, metrics to
// JSON, heatmaps to PNG. The folder is published as a whole (AtomicOutput.writeFolder, the output
// policy of every command): a failure leaves nothing behind; an existing DIR is replaced only with --force.
// Also the shared pieces of those commands: loading a model with its dataset, stimulus selection.
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Report
import Scanner

/// The output options `scan` and `attribute` share.
struct OutputFolderArguments: ParsableArguments, WithForceFlag, WithJSONFlag, WithQuietFlag, WithThreadsOption {
    @Option(help: "Output folder.") var out: String
    @OptionGroup var forceFlag: ForceFlag
    @OptionGroup var jsonFlag: JSONFlag
    @OptionGroup var quietFlag: QuietFlag
    @OptionGroup var threadsOption: ThreadsOption
    @OptionGroup var figures: FigureFormatOption
}

struct ScanOutputDirectory {
    /// The folder the results go to.
    let path: String
    /// The staging folder being filled (renamed to `path` when everything is written).
    private let staging: String

    func file(_ name: String) -> String { staging + "/" + name }

    /// Runs `body` with the folder; publishes it on success (AtomicOutput.writeFolder), leaves
    /// nothing on failure.
    static func write(_ path: String, force: Bool, _ body: (ScanOutputDirectory) throws -> Void) throws {
        do {
            try AtomicOutput.writeFolder(to: path, overwrite: force) { staging in try body(ScanOutputDirectory(path: path, staging: staging)) }
        } catch let e as AtomicOutputError where e.file == path {
            throw OutputPolicy.refusal(e, option: "--out")
        }
    }

    /// A blue → white → red heatmap of a [h, w] map at input resolution (0 is white), written
    /// as `name` + the format's extension.
    func heatmap(_ values: [Float], height h: Int, width w: Int, title: String, name: String, format: FigureFormat,
                 colorBarLabel: String = "") throws {
        let scale = max(1, 256 / Double(max(h, w)))
        try Heatmap.render(values: values, rows: h, cols: w, colorMap: .diverging, scale: scale, title: title,
                           colorBarLabel: colorBarLabel)
            .write(to: file(format.fileName(name)), format: format)
    }
}

/// A fitted model, its dataset and the scanner's view of both.
struct ScanContext {
    let model: FittedModel
    let dataset: Dataset
    let network: ScanNetwork
    let stimuli: PreprocessedStimuli

    init(model path: String, data: String, options: DatasetOptions) throws {
        model = try FittedModel.load(path)
        dataset = try options.load(data, options: options.loadOptions(for: model))
        network = try ScanNetwork(model: model)
        stimuli = try PreprocessedStimuli(dataset: dataset, preprocessing: model.config.preprocessing)
        guard stimuli.stimulusShape == network.inputShape else {
            throw ScannerError.stimulusShape(shape: stimuli.stimulusShape, expected: network.inputShape)
        }
    }

    /// Checks stimulus indices against the dataset.
    func checkStimuli(_ indices: [Int]) throws {
        for i in indices where i < 0 || i >= dataset.stimulusCount {
            throw ScannerError.indexOutOfRange(option: .stimulus, index: i, count: dataset.stimulusCount, what: "stimulus")
        }
    }

    /// Masks [n, H, W] of the given stimuli, or nil when the dataset has none. Masks must match
    /// the model input's height and width (preprocessing that resizes or crops breaks that).
    func masks(_ indices: [Int]) throws -> [UInt8]? {
        guard let m = dataset.masks else { return nil }
        let (h, w) = (network.inputShape[1], network.inputShape[2])
        guard dataset.height == h, dataset.width == w else {
            throw ScannerError.maskShape(path: "\(dataset.file):\(dataset.paths.masks)", shape: [dataset.stimulusCount, dataset.height, dataset.width],
                                         expected: [dataset.stimulusCount, h, w])
        }
        var out: [UInt8] = []
        out.reserveCapacity(indices.count * h * w)
        for i in indices { out += m[(i * h * w)..<((i + 1) * h * w)] }
        return out
    }

    /// The first `count` stimuli of a split that trials show.
    func stimuli(in split: Split, count: Int) throws -> [Int] {
        let shown = Set(dataset.stimulusIndex)
        let s = dataset.stimuli(in: split).filter { shown.contains($0) }
        guard !s.isEmpty else { throw OptionError(option: "--eval-split", reason: "the \(split) split of \(dataset.file) has no stimuli") }
        return Array(s.prefix(max(1, count)))
    }

    /// Held-out responses of a split, scored with the model's link and observation model.
    func heldOut(_ split: Split, maxTrials: Int? = nil) throws -> HeldOutData {
        let data = try TrainingData(dataset: dataset, preprocessing: model.config.preprocessing)
        var trials = dataset.trials(in: split)
        if let m = maxTrials { trials = Array(trials.prefix(m)) }
        return try HeldOutData(model: model, data: data, trials: trials)
    }
}

/// Progress lines on stderr, silent with --quiet.
struct ScanProgress {
    let quiet: Bool
    func callAsFunction(_ s: String) { if !quiet { FileHandle.standardError.write(Data(("receptive: " + s + "\n").utf8)) } }
}
