// The settings of the analyses (RSA, invariance, sparsity, Gabor fits, model comparison) that a
// caller can get wrong, named by what they are. Errors carry one of these; the command line
// (ReceptiveCLI) maps each to the option that sets it, so the library never names a flag.

public enum AnalysisParameter: String, Sendable, CaseIterable, CustomStringConvertible {
    // Invariance
    case reference, recorded = "recorded responses", transform, translateTransform = "translate transform"
    case invarianceThreshold = "invariance threshold τ", bootstrap = "bootstrap resamples", confidence = "confidence level"
    case draws = "transform draws"
    // RSA
    case layers, repeats, permutations
    // Model analyses and comparison
    case layer, stimuli, similarityThreshold = "similarity threshold", model, measure

    public var description: String { rawValue }
}
