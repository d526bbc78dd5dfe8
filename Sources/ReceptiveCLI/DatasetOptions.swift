// Options shared by every command that reads a dataset: where the arrays live inside the file
// (so existing h5py files work unchanged) and how they are validated.
import ArgumentParser
import NeuralData

extension Modality: ExpressibleByArgument {}
extension StimulusStorage: ExpressibleByArgument {}
extension StimulusFamily: ExpressibleByArgument {}
extension SimulatedStimulusType: ExpressibleByArgument {}

struct DatasetOptions: ParsableArguments {
    @Option(name: .customLong("stimuli"), help: ArgumentHelp("Path of the stimuli inside the file ([N,H,W] or [N,C,H,W]).", valueName: "path"))
    var stimuliPath = "/stimuli"

    @Option(name: .customLong("responses"), help: ArgumentHelp("Path of the responses inside the file ([T,U]).", valueName: "path"))
    var responsesPath = "/responses"

    @Option(name: .customLong("stimulus-index"), help: ArgumentHelp("Path of the trial → stimulus index ([T]); optional in the file.", valueName: "path"))
    var stimulusIndexPath = "/stimulus_index"

    @Option(name: .customLong("split"), help: ArgumentHelp("Path of the split by stimulus ([N]: 0 train, 1 validation, 2 test); absent means a seeded 80/10/10 split.", valueName: "path"))
    var splitPath = "/split"

    @Option(name: .customLong("masks"), help: ArgumentHelp("Path of the foreground masks ([N,H,W]); optional.", valueName: "path"))
    var masksPath = "/masks"

    @Option(name: .customLong("unit-names"), help: ArgumentHelp("Path of the unit names ([U] strings); optional.", valueName: "path"))
    var unitNamesPath = "/unit_names"

    @Option(help: "Override the file's modality attribute (spikes: Poisson counts; fmri: Gaussian).")
    var modality: Modality?

    @Flag(name: .customLong("quasi-likelihood"), help: "Accept non-integer spike counts (Poisson quasi-likelihood).")
    var quasiLikelihood = false

    @Option(name: .customLong("stimulus-storage"), help: "automatic (memory when it fits in half the free memory), memory, or stream (read row ranges as batches are drawn).")
    var storage: StimulusStorage = .automatic

    @Option(name: .customLong("split-seed"), help: "Seed of the 80/10/10 split used when the file has no split.")
    var splitSeed: UInt64 = 0

    var paths: DatasetPaths {
        DatasetPaths(stimuli: stimuliPath, responses: responsesPath, stimulusIndex: stimulusIndexPath,
                     split: splitPath, masks: masksPath, unitNames: unitNamesPath)
    }

    /// Load options; `minimumImageSize` is the receptive field of the caller's model (0: no check).
    func loadOptions(minimumImageSize: Int = 0, countModel: Bool? = nil) -> DatasetLoadOptions {
        DatasetLoadOptions(paths: paths, modality: modality, quasiLikelihood: quasiLikelihood, countModel: countModel,
                           minimumImageSize: minimumImageSize, storage: storage, splitSeed: splitSeed)
    }
}
