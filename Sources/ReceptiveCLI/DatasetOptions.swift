// Options shared by every command that reads a dataset: where the arrays live inside the file
// (so existing h5py files work unchanged) and how they are validated.
import ArgumentParser
import Foundation
import NeuralData

extension Modality: ExpressibleByArgument {}
extension StimulusStorage: ExpressibleByArgument {}
extension StimulusFamily: ExpressibleByArgument {}
extension SimulatedStimulusType: ExpressibleByArgument {}

struct DatasetOptions: ParsableArguments {
    // Paths are optional so that a path the user names is known to be named: an optional array
    // (index, split, masks, names) whose path was typed and is absent from the file is an error,
    // while the default path may be absent (DatasetPaths.named).
    @Option(name: .customLong("stimuli"), help: ArgumentHelp("Path of the stimuli inside the file ([N,H,W] or [N,C,H,W]; default /stimuli).", valueName: "path"))
    var stimuliPath: String?

    @Option(name: .customLong("responses"), help: ArgumentHelp("Path of the responses inside the file ([T,U]; default /responses).", valueName: "path"))
    var responsesPath: String?

    @Option(name: .customLong("stimulus-index"), help: ArgumentHelp("Path of the trial → stimulus index ([T]; default /stimulus_index, optional in the file).", valueName: "path"))
    var stimulusIndexPath: String?

    @Option(name: .customLong("split-path"), help: ArgumentHelp("Path of the split array inside the file ([N]: 0 train, 1 validation, 2 test; default /split). When the default is absent a seeded 80/10/10 split is used and announced; a path named here must exist. To choose which subset a command uses, see --eval-split.", valueName: "path"))
    var splitPath: String?

    /// The old spelling of --split-path, refused: "--split test" read as a path silently scored a
    /// seeded split instead of the test subset.
    @Option(name: .customLong("split"), help: .hidden)
    var legacySplit: String?

    @Option(name: .customLong("masks"), help: ArgumentHelp("Path of the foreground masks ([N,H,W]; default /masks); optional.", valueName: "path"))
    var masksPath: String?

    @Option(name: .customLong("unit-names"), help: ArgumentHelp("Path of the unit names ([U] strings; default /unit_names); optional.", valueName: "path"))
    var unitNamesPath: String?

    @Option(help: "Override the file's modality attribute (spikes: Poisson counts; fmri: Gaussian).")
    var modality: Modality?

    @Flag(name: .customLong("quasi-likelihood"), help: "Accept non-integer spike counts (Poisson quasi-likelihood).")
    var quasiLikelihood = false

    @Option(name: .customLong("stimulus-storage"), help: "automatic (memory when it fits in half the free memory), memory, or stream (read row ranges as batches are drawn).")
    var storage: StimulusStorage = .automatic

    @Option(name: .customLong("split-seed"), help: "Seed of the 80/10/10 split used when the file has no split.")
    var splitSeed: UInt64 = 0

    func validate() throws {
        if let v = legacySplit {
            throw OptionError(option: "--split \(v)", reason: "--split is now --split-path (the path of the split array inside the file); to choose the subset to use, pass --eval-split train|validation|test")
        }
    }

    var paths: DatasetPaths {
        let d = DatasetPaths.defaults
        var p = DatasetPaths(stimuli: stimuliPath ?? d.stimuli, responses: responsesPath ?? d.responses,
                             stimulusIndex: stimulusIndexPath ?? d.stimulusIndex, split: splitPath ?? d.split,
                             masks: masksPath ?? d.masks, unitNames: unitNamesPath ?? d.unitNames)
        let named: [(String?, DatasetArray)] = [(stimulusIndexPath, .stimulusIndex), (splitPath, .split),
                                                 (masksPath, .masks), (unitNamesPath, .unitNames)]
        p.named = Set(named.compactMap { $0.0 == nil ? nil : $0.1 })
        return p
    }

    /// Loads a dataset; when its split was not in the file (the seeded fallback) a note says so on
    /// stderr once the command has succeeded (a refusal stays one line).
    func load(_ file: String, options: DatasetLoadOptions) throws -> Dataset {
        let d = try Dataset.load(file, options: options)
        if !d.splitFromFile {
            CommandNotes.add("\(file) has no \(options.paths.split); used a seeded 80/10/10 split by stimulus (--split-seed \(options.splitSeed))")
        }
        return d
    }

    /// Load options; `minimumImageSize` is the receptive field of the caller's model (0: no check).
    func loadOptions(minimumImageSize: Int = 0, countModel: Bool? = nil) -> DatasetLoadOptions {
        DatasetLoadOptions(paths: paths, modality: modality, quasiLikelihood: quasiLikelihood, countModel: countModel,
                           minimumImageSize: minimumImageSize, storage: storage, splitSeed: splitSeed)
    }
}

/// Notes for stderr printed after a command succeeds (never before an error message, so that a
/// refusal is one line).
public enum CommandNotes {
    nonisolated(unsafe) private static var notes: [String] = []
    static func add(_ note: String) { if !notes.contains(note) { notes.append(note) } }
    public static func flush() {
        for n in notes { FileHandle.standardError.write(Data("receptive: note: \(n)\n".utf8)) }
        notes = []
    }
}
