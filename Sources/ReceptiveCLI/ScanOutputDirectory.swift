// Output folder of `receptive scan`, `attribute` and `mei` (--out DIR): arrays to HDF5, metrics to
// JSON, heatmaps to PNG. Everything is written into a temporary sibling folder and renamed to DIR
// at the end, so a failure leaves nothing behind; an existing DIR is replaced only with --force.
// Also the shared pieces of those commands: loading a model with its dataset, stimulus selection.
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Report
import Scanner

/// The output options `scan` and `attribute` share.
struct OutputFolderArguments: ParsableArguments {
    @Option(help: "Output folder.") var out: String
    @Flag(help: "Replace an existing output folder.") var force = false
    @Flag(help: "Print the JSON summary to stdout.") var json = false
    @Flag(help: "No progress on stderr.") var quiet = false
    @Option(help: "Threads for BLAS and the conv kernels.") var threads = 2
    @OptionGroup var figures: FigureFormatOption
}

struct ScanOutputDirectory {
    let path: String
    let force: Bool
    private let staging: String

    /// Checks DIR before any work: its parent exists; DIR is new, or --force is given.
    static func check(_ path: String, force: Bool) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            if !isDir.boolValue { throw OptionError(option: "--out", reason: "\(path) exists and is not a folder") }
            if !force { throw OptionError(option: "--out", reason: "\(path) already exists; pass --force to replace it") }
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDir), isDir.boolValue else {
            throw OptionError(option: "--out", reason: "folder \(parent) does not exist")
        }
    }

    init(_ path: String, force: Bool) throws {
        try Self.check(path, force: force)
        self.path = path
        self.force = force
        let url = URL(fileURLWithPath: path)
        staging = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
    }

    func file(_ name: String) -> String { staging + "/" + name }

    /// Moves the finished folder into place.
    func commit() throws {
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: staging, toPath: path)
    }

    func discard() { try? FileManager.default.removeItem(atPath: staging) }

    /// Runs `body` with the folder; commits on success, removes the staging folder on failure.
    static func write(_ path: String, force: Bool, _ body: (ScanOutputDirectory) throws -> Void) throws {
        let d = try ScanOutputDirectory(path, force: force)
        do { try body(d); try d.commit() } catch { d.discard(); throw error }
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
