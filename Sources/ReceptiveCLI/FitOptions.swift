// Options shared by `fit` and `demo`: architecture, preprocessing, training.
import ArgumentParser
import Foundation
import Encoding
import NeuralData

extension ActivationKind: ExpressibleByArgument {}
extension PoolKind: ExpressibleByArgument {}
extension ReadoutKind: ExpressibleByArgument {}
extension Link: ExpressibleByArgument {}
extension ObservationKind: ExpressibleByArgument {}
extension ModelKind: ExpressibleByArgument {}
extension BatchGrouping: ExpressibleByArgument {}
extension LaplacePadding: ExpressibleByArgument {}

enum ArchitectureName: String, ExpressibleByArgument, CaseIterable { case stacked3, linear, custom }

/// A user-facing problem with the options (exit code 64 style message, one line).
struct OptionError: Error, CustomStringConvertible {
    let option: String
    let reason: String
    var description: String { "\(option): \(reason)" }
}


struct PreprocessingArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Area-resize stimuli to S×S pixels before fitting (the peer uses 56 on the V4 data).", valueName: "S"))
    var size: Int?

    @Option(help: ArgumentHelp("Centre-crop to C×C pixels (after resizing).", valueName: "C"))
    var crop: Int?

    @Flag(help: "Keep colour channels (default: average them to grayscale).")
    var color = false

    @Flag(help: "Spectral whitening (flatten the 1/f amplitude spectrum).")
    var whiten = false

    func options(defaultSize: Int? = nil) throws -> PreprocessingOptions {
        if let s = size, s < 1 { throw OptionError(option: "--size", reason: "must be at least 1, got \(s)") }
        if let c = crop, c < 1 { throw OptionError(option: "--crop", reason: "must be at least 1, got \(c)") }
        var o = PreprocessingOptions()
        o.grayscale = !color
        if let s = size ?? defaultSize { o.resize = ImageSize(s) }
        if let c = crop { o.crop = ImageSize(c) }
        o.whitening = whiten
        return o
    }
}

struct ArchitectureArguments: ParsableArguments {
    @Option(help: "Core architecture: stacked3 (the peer's recipe), linear (GLM-equivalent), custom (--kernels, --channels, …).")
    var arch: ArchitectureName = .stacked3

    @Option(help: "Channels of every conv block.")
    var channels = 32

    @Option(help: ArgumentHelp("custom: kernel size of each block, e.g. 9,7,7.", valueName: "list"), transform: CommaList<Int>.parse)
    var kernels: CommaList<Int>?

    @Option(help: ArgumentHelp("custom: dilation of each block (default 1).", valueName: "list"), transform: CommaList<Int>.parse)
    var dilations: CommaList<Int>?

    @Option(help: "custom: pooling after each block (none, max, avg; 2×2).")
    var pool: PoolKind = .none

    @Option(help: "custom: activation of each block.")
    var activation: ActivationKind = .elu

    @Flag(inversion: .prefixedNo, help: "custom: batch-norm after each convolution.")
    var batchNorm = true

    @Option(help: "Readout: factorized (mask × features), gaussian (learned position), full (linear).")
    var readout: ReadoutKind?

    @Option(help: "Output link: softplus, exp, elu+1, identity.")
    var link: Link?

    func architecture(inputShape: [Int], units: Int, observation: ObservationKind) throws -> EncoderArchitecture {
        guard channels >= 1 else { throw OptionError(option: "--channels", reason: "must be at least 1, got \(channels)") }
        let c = inputShape[0], h = inputShape[1], w = inputShape[2]
        var a: EncoderArchitecture
        let defaultLink: Link = observation == .gaussian ? .identity : .softplus
        switch arch {
        case .stacked3:
            a = .stacked3(inputChannels: c, height: h, width: w, units: units, channels: channels,
                          readout: readout ?? .factorized, link: link ?? defaultLink, observation: observation)
        case .linear:
            a = .linear(inputChannels: c, height: h, width: w, units: units, link: link ?? (observation == .gaussian ? .identity : .exp), observation: observation)
            if let r = readout { a.readout = r }
        case .custom:
            guard let k = kernels else { throw OptionError(option: "--kernels", reason: "--arch custom needs --kernels, e.g. --kernels 9,7") }
            let ks = k.values
            let ds = dilations?.values ?? Array(repeating: 1, count: ks.count)
            guard ds.count == ks.count else { throw OptionError(option: "--dilations", reason: "\(ds.count) values for \(ks.count) kernels") }
            let blocks = zip(ks, ds).map { ConvBlockSpec(channels: channels, kernel: $0, dilation: $1, batchNorm: batchNorm, activation: activation, pool: pool) }
            a = EncoderArchitecture(name: "custom", inputChannels: c, inputHeight: h, inputWidth: w, blocks: blocks,
                                    readout: readout ?? .factorized, link: link ?? defaultLink, observation: observation, units: units)
        }
        try a.validate()
        return a
    }
}

/// Defaults are `TrainingOptions`'s, so `fit` and `demo` cannot drift apart.
struct TrainingArguments: ParsableArguments {
    @Option(help: "Maximum number of epochs.") var epochs = TrainingOptions().epochs
    @Option(help: "Adam learning rate.") var lr = TrainingOptions().learningRate
    @Option(help: "Minibatch size: stimuli, each with all its training trials (trials with --batch-by trial).") var batch = TrainingOptions().batchSize
    @Option(name: .customLong("batch-by"), help: "stimulus: batches of stimuli with all their repeats, each image forwarded once per step; trial: batches of single trials (the peer's sampling).")
    var batchBy: BatchGrouping = .stimulus
    @Option(help: "Early stopping: epochs without validation improvement.") var patience = TrainingOptions().patience
    @Option(help: "Seed of every random choice (initialisation, batches).") var seed = TrainingOptions().seed
    @Option(help: "Laplace smoothness penalty on first-layer filters.") var laplace = TrainingOptions().laplace
    @Option(name: .customLong("laplace-padding"), help: "same: the zero-padded Laplacian, every filter pixel penalised (neuralpredictors' default); valid: unpadded, border pixels weakly and corners never penalised (earlier versions).")
    var laplacePadding: LaplacePadding = .same
    @Option(name: .customLong("mask-l1"), help: "L1 penalty on the factorized readout's mask (the peer uses 1e-4).") var maskL1 = TrainingOptions().maskL1
    @Option(name: .customLong("feature-l1"), help: "L1 penalty on the factorized readout's feature weights (each unit reads few channels; Klindt et al. 2017).") var featureL1: Float = 0
    @Option(name: .customLong("activation-l1"), help: "L1 penalty on first-layer activations (sparsity).") var activationL1 = TrainingOptions().activationL1
    @Option(name: .customLong("weight-decay"), help: "L2 weight decay (Adam).") var weightDecay = TrainingOptions().weightDecay
    @Flag(name: .customLong("restore-best-on-decay"), help: "When the learning rate is lowered, continue from the best weights so far.")
    var restoreBestOnDecay = false

    func options() throws -> TrainingOptions {
        guard epochs >= 1 else { throw OptionError(option: "--epochs", reason: "must be at least 1, got \(epochs)") }
        guard lr > 0, lr.isFinite else { throw OptionError(option: "--lr", reason: "must be a positive number, got \(lr)") }
        guard batch >= 2 else { throw OptionError(option: "--batch", reason: "must be at least 2 (batch-norm needs two images per step), got \(batch)") }
        guard patience >= 1 else { throw OptionError(option: "--patience", reason: "must be at least 1, got \(patience)") }
        for (n, v) in [("--laplace", laplace), ("--mask-l1", maskL1), ("--feature-l1", featureL1), ("--activation-l1", activationL1), ("--weight-decay", weightDecay)] {
            guard v >= 0, v.isFinite else { throw OptionError(option: n, reason: "must be a non-negative number, got \(v)") }
        }
        var o = TrainingOptions()
        o.epochs = epochs; o.learningRate = lr; o.batchSize = batch; o.batchBy = batchBy; o.patience = patience; o.seed = seed
        o.restoreBestOnDecay = restoreBestOnDecay ? true : nil
        o.laplace = laplace; o.laplacePadding = laplacePadding; o.maskL1 = maskL1; o.featureL1 = featureL1 == 0 ? nil : featureL1; o.activationL1 = activationL1; o.weightDecay = weightDecay
        return o
    }
}

