// The settings of the Neural Network Scanner's methods (learning images, attribution, MEI, …)
// that a caller can get wrong, named by what they are. Errors carry one of these; the command
// line (ReceptiveCLI) maps each to the option that sets it, so the library never names a flag.

public enum ScannerParameter: String, Sendable, CaseIterable, CustomStringConvertible {
    case evaluationSplit = "evaluation split", layer, unit, neuron, filter, meiFilter = "MEI filter", stimulus, stimuli
    case maxComponents = "maximum components", lambda, alpha, beta, theta
    case steps, learningRate = "learning rate", norm, blur, clamp, window = "occlusion window", stride = "occlusion stride"
    case epsilon, souConnections = "SoU connections", typeFraction = "type fraction"
    case aipcSteps = "AIPC steps", aipcTop = "AIPC top fraction"
    // Inputs given as arrays rather than options
    case attribution, responses, stimulusIndex = "stimulus_index", data = "DATA"

    public var description: String { rawValue }
}
