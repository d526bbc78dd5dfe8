// The settings of dataset reading, simulation, preprocessing and NWB import that a caller can get
// wrong, named by what they are. Errors carry one of these; the command line (ReceptiveCLI) maps it
// to the option that sets it, so the library never names a flag.

public enum DatasetParameter: String, Sendable, CaseIterable, CustomStringConvertible {
    // Simulation
    case cells, stimulusCount = "stimulus count", repeats, testRepeats = "test repeats", imageSize = "image size"
    case gratingFrames = "grating frames", rateRange = "rate range", unitsPerFamily = "units per family"
    // Loading and preprocessing
    case modality, quasiLikelihood = "quasi-likelihood", resize, crop, whiteningCutoff = "whitening cut-off", normalization
    // NWB import
    case windows = "response window", presentations = "presentation table", templates = "template set"
    case series = "time series"
    // Where an output goes
    case output

    public var description: String { rawValue }
}
