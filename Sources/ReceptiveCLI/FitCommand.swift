// receptive fit DATA --out MODEL: fit a CNN encoder or a GLM by maximum likelihood.
import ConvEngine
import ArgumentParser
import Foundation
import Tensors
import Encoding
import NeuralData
import Report
import Cluster

struct FitCommand: ParsableCommand, WithThreadsOption, WithQuietFlag, WithForceFlag, WithJSONFlag {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a CNN encoder or a GLM baseline by maximum likelihood.",
        discussion: """
        Trains on the training split, stops early on the validation log-likelihood (best weights \
        restored) and writes one model file (docs/model-file.md). A checkpoint MODEL.checkpoint.h5 is \
        written after every epoch; --resume continues from it to the same result as an uninterrupted run.
        Example: receptive fit data/demo.h5 --out demo-cnn.h5 --arch stacked3 --channels 16
        """)

    @Argument(help: "The HDF5 dataset file.") var data: String
    @Option(help: "Where to write the model file.") var out: String
    @Option(help: "cnn (conv core + readout), glm (per-unit GLM on preprocessed pixels, ridge by validation) or ridge (per-target ridge on --features, α by cross-validation).")
    var model: ModelKind = .cnn
    @Option(help: "Observation model; default from the file's modality (spikes: poisson, fmri: gaussian).")
    var observation: ObservationKind?
    @Option(name: .customLong("ridge-grid"), help: ArgumentHelp("glm: ridge penalties to choose from (default: 0,0.01,0.1,1,10,100,1000).", valueName: "list"), transform: CommaList<Double>.parse)
    var ridgeGrid = CommaList<Double>([0, 0.01, 0.1, 1, 10, 100, 1000])
    @Option(help: ArgumentHelp("Start from the core of this model file (a fitted model or one written by scripts/export_torch_core.py).", valueName: "file"))
    var core: String?
    @Flag(name: .customLong("freeze-core"), help: "With --core: train only the readout.") var freezeCore = false
    @OptionGroup var threadsOption: ThreadsOption
    @OptionGroup var quietFlag: QuietFlag
    @OptionGroup var forceFlag: ForceFlag
    @Flag(help: "Continue from OUT.checkpoint.h5.") var resume = false
    @OptionGroup var jsonFlag: JSONFlag

    @OptionGroup var architecture: ArchitectureArguments
    @OptionGroup var preprocessing: PreprocessingArguments
    @OptionGroup var training: TrainingArguments
    @OptionGroup var dataset: DatasetOptions
    @OptionGroup var ridge: RidgeArguments
    @Option(name: .customLong("validation-fraction"), help: "cnn/glm on a file whose validation split is empty: hold out this seeded fraction of the training stimuli for early stopping and the GLM's ridge choice.")
    var validationFraction = 0.1
    @Option(help: ArgumentHelp("cnn: fit N times, from training seeds SEED, SEED+1, …, and keep the fit with the best validation log-likelihood (recorded in the model file).", valueName: "N"))
    var restarts = 1

    func validate() throws {
        if freezeCore && core == nil { throw ValidationError("--freeze-core needs --core FILE") }
        if resume && model != .cnn { throw ValidationError("--resume applies to CNN training only") }
        if !ridge.features.isEmpty && model != .ridge { throw ValidationError("--features applies to --model ridge") }
        if restarts < 1 { throw ValidationError("--restarts must be at least 1, got \(restarts)") }
        if restarts > 1 && model != .cnn { throw ValidationError("--restarts applies to --model cnn (the GLM and ridge fits are convex)") }
        if restarts > 1 && resume { throw ValidationError("--restarts cannot be combined with --resume (a checkpoint holds one fit; rerun the whole command)") }
    }

    func run() throws { try onCluster(fit(on:)) }

    func fit(on cluster: Cluster) throws {
        // Under mpirun only rank 0 prints progress and results and writes files.
        let quiet = self.quiet || !cluster.isRoot
        Parallel.setThreads(threads)
        let checkpoint = out + ".checkpoint.h5"
        if resume {
            guard FileManager.default.fileExists(atPath: checkpoint) else {
                throw OptionError(option: "--resume", reason: "no checkpoint \(checkpoint) to resume from")
            }
            try OutputPolicy.checkFile(out, force: true)
        } else {
            try OutputPolicy.checkFile(out, force: force)
        }
        if model == .ridge { return try runRidge(on: cluster) }
        let options = try training.options()
        let grid = ridgeGrid.values
        if grid.contains(where: { $0 < 0 }) { throw OptionError(option: "--ridge-grid", reason: "penalties must be ≥ 0") }
        let pretrained = try core.map { try PretrainedCore.load($0) }

        // Observation model: explicit, or from the file's modality.
        var loadOptions = dataset.loadOptions(countModel: observation.map { $0 != .gaussian })
        loadOptions.checkStreamedValuesOnRead = true   // streamed stimuli are checked as the first pass reads them
        // GLM under mpirun: each rank reads only its units' response columns (one hyperslab; a bad
        // value in another rank's columns is that rank's to report) and the fit gathers the rest.
        var share: ResponseColumnShare?
        if model == .glm && cluster.size > 1 {
            let (header, columns) = try shareResponseColumns(of: data, options: &loadOptions, cluster: cluster)
            share = ResponseColumnShare(columns: columns, totalUnits: header.unitCount,
                                        allUnitNames: cluster.isRoot ? try header.allUnitNames() : nil)
        }
        let ds = try dataset.load(data, options: loadOptions)
        let obs = observation ?? (ds.modality == .fmri ? .gaussian : (dataset.quasiLikelihood ? .quasiPoisson : .poisson))
        let prepOptions = try preprocessing.options(defaultSize: model == .glm ? min(ds.height, 16) : nil)
        let prep = try Preprocessing.fit(on: ds, options: prepOptions)
        guard validationFraction >= 0, validationFraction < 1 else { throw OptionError(option: "--validation-fraction", reason: "must be in [0, 1), got \(validationFraction)") }
        if ds.trials(in: .validation).isEmpty {
            guard validationFraction > 0 else { throw OptionError(option: "--validation-fraction", reason: "\(data) has no validation trials; early stopping needs a fraction > 0") }
            if !quiet, let held = ValidationHoldout.stimuli(dataset: ds, fraction: validationFraction, seed: options.seed) {
                FileHandle.standardError.write(Data("\(data) has no validation split: holding out \(held.count) training stimuli (--validation-fraction \(validationFraction), seed \(options.seed)) for validation; recorded in the model file\n".utf8))
            }
        }

        let fitted: FittedModel
        let t0 = Date()
        switch model {
        case .glm:
            try passAgreementPoint(cluster)
            if !quiet { FileHandle.standardError.write(Data("fitting \(share?.totalUnits ?? ds.unitCount) GLMs on \(prep.outputShape.map(String.init).joined(separator: "×")) pixels, ridge grid \(grid), \(cluster.size) rank\(cluster.size == 1 ? "" : "s") × \(threads) thread\(threads == 1 ? "" : "s")\n".utf8)) }
            fitted = try EncodingModel(glm: obs, ridgeGrid: grid, seed: options.seed)
                .fit(ds, preprocessing: prep, options: EncodingFitOptions(validationFraction: validationFraction, cluster: cluster,
                                                                          responseShare: share))
        case .ridge:
            return try runRidge(on: cluster)
        case .cnn:
            var arch = try architecture.architecture(inputShape: prep.outputShape, units: ds.unitCount, observation: obs)
            if let pre = pretrained {
                guard pre.inputChannels == arch.inputChannels else {
                    throw OptionError(option: "--core", reason: "\(pre.file) takes \(pre.inputChannels) input channels but the preprocessed stimuli have \(arch.inputChannels) (use --color for RGB cores)")
                }
                arch.blocks = pre.blocks
                arch.name = "pretrained"
                try arch.validate()
            }
            var opts = options
            opts.trainCore = !freezeCore
            let reporter = EpochProgress(total: opts.epochs, quiet: quiet)
            if restarts > 1 && cluster.size > 1 { throw OptionError(option: "--restarts", reason: "not supported under mpirun (run the restarts as separate fits with --seed)") }
            try passAgreementPoint(cluster)
            if !quiet { FileHandle.standardError.write(Data("training on \(cluster.size) rank\(cluster.size == 1 ? "" : "s") × \(threads) thread\(threads == 1 ? "" : "s") (\(cluster.backend))\n".utf8)) }
            StopSignals.install()
            do {
                if restarts > 1 {
                    fitted = try fitRestarts(arch: arch, training: opts, pretrained: pretrained, dataset: ds, preprocessing: prep, quiet: quiet)
                } else {
                    fitted = try EncodingModel(cnn: arch, training: opts, pretrainedCore: pretrained)
                        .fit(ds, preprocessing: prep, options: EncodingFitOptions(validationFraction: validationFraction, cluster: cluster,
                                                                                  observer: reporter, checkpointPath: checkpoint, resume: resume,
                                                                                  stopRequested: { StopSignals.requested }))
                }
            } catch let e as EncodingError {
                guard case .interrupted = e else { throw e }
                if restarts > 1 {
                    FileHandle.standardError.write(Data("receptive: stopped by \(StopSignals.name): \(e.description); --restarts keeps no checkpoint, rerun the command\n".utf8))
                    throw ExitCode(StopSignals.exitCode)
                }
                var again = CommandLine.arguments.dropFirst().filter { $0 != "--force" && $0 != "--resume" }
                again.append("--resume")
                let command = (["receptive"] + again).map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
                if cluster.isRoot { FileHandle.standardError.write(Data("receptive: stopped by \(StopSignals.name): \(e.description); continue with: \(command)\n".utf8)) }
                throw ExitCode(StopSignals.exitCode)
            }
        }
        fitted.config.execution = ExecutionRecord(ranks: cluster.size, threadsPerRank: threads, backend: cluster.backend)
        guard cluster.isRoot else { return }
        try fitted.write(to: out, overwrite: force || resume)
        try? FileManager.default.removeItem(atPath: checkpoint)
        var summary = FitSummary(model: fitted, file: out, seconds: Date().timeIntervalSince(t0))
        if cluster.size > 1 { summary.communicatedBytes = cluster.communicatedBytes; summary.collectiveCalls = cluster.collectiveCalls }
        if json { try JSONOutput.print(summary) } else { print(summary.table()) }
    }
}

extension FitCommand {
    /// `--restarts N`: N whole fits from seeds SEED, SEED+1, …, the best validation LL kept;
    /// a line on stderr before and after each restart (silent with --quiet).
    func fitRestarts(arch: EncoderArchitecture, training: TrainingOptions, pretrained: PretrainedCore?,
                     dataset ds: Dataset, preprocessing prep: Preprocessing, quiet: Bool) throws -> FittedModel {
        let say = { (s: String) in if !quiet { FileHandle.standardError.write(Data((s + "\n").utf8)) } }
        let model = try EncodingModel.fitWithRestarts(
            cnn: arch, training: training, pretrainedCore: pretrained, count: restarts, dataset: ds, preprocessing: prep,
            options: EncodingFitOptions(validationFraction: validationFraction, stopRequested: { StopSignals.requested }),
            willStart: { i, seed in
                say("restart \(i + 1) of \(restarts) (seed \(seed))")
                return EpochProgress(total: training.epochs, quiet: quiet)
            },
            finished: { i, seed, ll in say(String(format: "restart %d of %d (seed %llu): validation LL/obs %.6f", i + 1, restarts, seed, ll)) })
        let m = try model.fitted()
        if let r = m.config.restarts { say("kept restart \(r.kept + 1) (seed \(r.seeds[r.kept])), the best validation log-likelihood") }
        return m
    }
}

/// Prints one progress line per epoch to stderr (silent with --quiet).
final class EpochProgress: TrainingObserver {
    let reporter: ProgressReporter
    init(total: Int, quiet: Bool) { reporter = ProgressReporter(total: total, unit: "epoch", quiet: quiet) }
    func epochFinished(_ r: EpochRecord, of total: Int, best: Int, etaSeconds: Double) {
        reporter.step([ProgressField("train loss", r.trainLoss), ProgressField("val LL/obs", r.validationLL),
                       ProgressField("val bits/spike", r.validationBitsPerSpike), ProgressField("lr", Double(r.learningRate), precision: 5),
                       ProgressField("best", "\(best)")])
    }
}

struct FitSummary: Encodable {
    let file: String
    let kind: String
    let architecture: String
    let observation: String
    let units: Int
    let epochs: Int
    let bestEpoch: Int?
    let validationLLPerTrial: Double?
    let validationBitsPerSpike: Double?
    let seconds: Double
    let ranks: Int?
    let threadsPerRank: Int?
    let backend: String?
    /// Under MPI: bytes rank 0 contributed to collectives, and how many it made.
    var communicatedBytes: Int?
    var collectiveCalls: Int?
    /// `--restarts N`: every restart's seed and validation LL/obs, and which was kept.
    let restarts: RestartSummary?

    enum CodingKeys: String, CodingKey {
        case file, kind, architecture, observation, units, epochs, seconds, ranks, backend, restarts
        case threadsPerRank = "threads_per_rank", communicatedBytes = "communicated_bytes", collectiveCalls = "collective_calls"
        case bestEpoch = "best_epoch", validationLLPerTrial = "validation_ll_per_observation", validationBitsPerSpike = "validation_bits_per_spike"
    }

    init(model: FittedModel, file: String, seconds: Double) {
        self.file = file
        kind = model.config.kind.rawValue
        architecture = model.config.architecture.name
        observation = model.config.architecture.observation.rawValue
        units = model.config.architecture.units
        epochs = model.history.count
        bestEpoch = model.config.bestEpoch
        let best = model.history.first { $0.epoch == model.config.bestEpoch }
        validationLLPerTrial = best?.validationLL
        validationBitsPerSpike = best?.validationBitsPerSpike
        self.seconds = seconds
        ranks = model.config.execution?.ranks
        threadsPerRank = model.config.execution?.threadsPerRank
        backend = model.config.execution?.backend
        restarts = model.config.restarts.map(RestartSummary.init)
    }

    func table() -> String {
        var t = Table(title: "fitted \(kind) → \(file)", headers: ["", "value"])
        t.addRow(["architecture", .text(architecture)])
        t.addRow(["observation", .text(observation)])
        t.addRow(["units", .integer(units)])
        if kind == "cnn" {
            t.addRow(["epochs", .integer(epochs)])
            t.addRow(["best epoch", bestEpoch.map { .integer($0) } ?? .missing])
            t.addRow(["validation LL/obs (nats)", validationLLPerTrial.map { .number($0) } ?? .missing])
            t.addRow(["validation bits/spike", validationBitsPerSpike.map { .number($0) } ?? .missing])
        }
        if let r = ranks, let t1 = threadsPerRank { t.addRow(["ranks × threads", .text("\(r) × \(t1) (\(backend ?? "?"))")]) }
        if let b = communicatedBytes, let n = collectiveCalls { t.addRow(["communicated (rank 0)", .text("\(b) bytes in \(n) collectives")]) }
        if let r = restarts {
            t.addRow(["restarts", .integer(r.count)])
            for (i, (s, ll)) in zip(r.seeds, r.validationLL).enumerated() {
                t.addRow([.text("  restart \(i + 1) seed \(s)\(i == r.kept ? " (kept)" : "")"), .number(ll)])
            }
        }
        t.addRow(["seconds", .number(seconds)])
        return t.description
    }
}

/// The restarts in `fit --json`: N, every restart's seed and validation LL/obs, the kept index (0-based).
struct RestartSummary: Encodable {
    let count: Int
    let seeds: [UInt64]
    let validationLL: [Double]
    let kept: Int
    init(_ r: RestartRecord) { count = r.seeds.count; seeds = r.seeds; validationLL = r.validationLL; kept = r.kept }
    enum CodingKeys: String, CodingKey { case count, seeds, kept, validationLL = "validation_ll_per_observation" }
}
