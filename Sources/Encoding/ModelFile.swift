// The model file (DESIGN §4, docs/model-file.md): one HDF5 file holding
//   root attribute `config`   JSON (ModelConfig): architecture, observation model, preprocessing,
//                             training options, null rates, data provenance, version
//   /params/<layer>/<name>    float32 parameter arrays (PyTorch layouts: conv weight [Cout,Cin,K,K])
//   /state/<layer>/<name>     batch-norm running statistics
//   /normalization/mean, /normalization/std   stimulus z-scoring statistics (training split)
//   /history/<field>          per-epoch training log (epoch, train_loss, validation_ll, …)
//   /training/...             checkpoints only: optimiser/scheduler state and best weights
// Written atomically (temporary file, fsync, rename); never overwrites without `overwrite`.
import Foundation
import Tensors
import ConvEngine
import NeuralData

/// cnn and glm are `FittedModel`s; ridge is a `RidgeModel` (feature-space ridge, RidgeModel.swift).
public enum ModelKind: String, Codable, CaseIterable, Sendable { case cnn, glm, ridge }

public struct DataProvenance: Codable, Equatable, Sendable {
    public var file: String
    public var paths: DatasetPaths
    public var units: Int
    public var unitNames: [String]?
    public init(file: String, paths: DatasetPaths, units: Int, unitNames: [String]?) {
        self.file = file; self.paths = paths; self.units = units; self.unitNames = unitNames
    }
}

public struct ModelConfig: Codable, Equatable {
    public var format = "receptive-model"
    public var version = 1
    public var createdBy = "receptive"
    public var kind: ModelKind
    public var architecture: EncoderArchitecture
    public var preprocessing: Preprocessing
    public var training: TrainingOptions
    /// The observation model's per-unit nuisance parameters (Gaussian variance, negative-binomial
    /// dispersion, quasi-Poisson dispersion; none for Poisson), fitted on training residuals.
    public var observation: ObservationParameters
    /// Training-split mean response per unit: the null model of bits/spike.
    public var nullRates: [Float]
    public var data: DataProvenance
    /// GLM only: the ridge penalty λ chosen per unit on validation data.
    public var ridgePerUnit: [Double]?
    /// Epoch whose weights were kept (early stopping).
    public var bestEpoch: Int?
    /// Training stimuli held out for validation when the file had no validation split (nil otherwise).
    public var heldOutValidation: HeldOutValidation?
    /// How the fit ran: processes (MPI ranks) and threads per rank (nil in files written before it was recorded).
    public var execution: ExecutionRecord?
    /// Fits from several initialisations, the best validation likelihood kept (nil: a single fit).
    public var restarts: RestartRecord?

    public init(kind: ModelKind, architecture: EncoderArchitecture, preprocessing: Preprocessing, training: TrainingOptions,
                observation: ObservationParameters, nullRates: [Float], data: DataProvenance) {
        self.kind = kind; self.architecture = architecture; self.preprocessing = preprocessing; self.training = training
        self.observation = observation; self.nullRates = nullRates; self.data = data
    }
}

/// The processes and threads a fit ran on, so a real MPI run can be told from copies that ran alone.
public struct ExecutionRecord: Codable, Equatable, Sendable {
    public var ranks: Int
    public var threadsPerRank: Int
    /// "single process" or the MPI library that connected the ranks.
    public var backend: String
    public init(ranks: Int, threadsPerRank: Int, backend: String) {
        self.ranks = ranks; self.threadsPerRank = threadsPerRank; self.backend = backend
    }
}

/// A fitted model: the encoder with its configuration.
public final class FittedModel {
    public var config: ModelConfig
    public let encoder: NeuralEncoder
    public var history: [EpochRecord]

    public init(config: ModelConfig, encoder: NeuralEncoder, history: [EpochRecord] = []) {
        self.config = config; self.encoder = encoder; self.history = history
    }

    /// The observation model with its fitted nuisance parameters.
    public func observationModel() throws -> any ObservationModel {
        try config.observation.makeModel()
    }

    // MARK: writing

    public func write(to path: String, overwrite: Bool, training: TrainingState? = nil) throws {
        try HDF5File.writeAtomically(to: path, overwrite: overwrite) { f in
            try writeContents(f, training: training)
        }
    }

    func writeContents(_ f: HDF5File, training: TrainingState?) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let json = String(decoding: try enc.encode(config), as: UTF8.self)
        try f.setAttribute("config", string: json)
        try f.setAttribute("format", string: "receptive-model")
        try f.setAttribute("checksum", string: ModelChecksum.model(configJSON: json, encoder: encoder).hex)
        for (layer, p) in encoder.namedParameters {
            try f.write("/params/\(layer)/\(p.localName)", tensor: p.value)
        }
        for l in encoder.core.layers { for (k, v) in l.state { try f.write("/state/\(l.name)/\(k)", tensor: v) } }
        try f.write("/normalization/mean", floats: config.preprocessing.mean, shape: [config.preprocessing.mean.count])
        try f.write("/normalization/std", floats: config.preprocessing.std, shape: [config.preprocessing.std.count])
        if !history.isEmpty {
            try f.write("/history/epoch", int64s: history.map { $0.epoch }, shape: [history.count])
            try f.write("/history/train_loss", doubles: history.map { $0.trainLoss }, shape: [history.count])
            try f.write("/history/validation_ll", doubles: history.map { $0.validationLL }, shape: [history.count])
            try f.write("/history/validation_bits_per_spike", doubles: history.map { $0.validationBitsPerSpike }, shape: [history.count])
            try f.write("/history/learning_rate", floats: history.map { $0.learningRate }, shape: [history.count])
            try f.write("/history/seconds", doubles: history.map { $0.seconds }, shape: [history.count])
        }
        if let t = training {
            try f.createGroup("/training")
            try f.setAttribute("epoch", double: Double(t.epoch), at: "/training")
            try f.setAttribute("best_epoch", double: Double(t.bestEpoch), at: "/training")
            try f.setAttribute("best_validation_sum", double: t.bestValidationSum, at: "/training")
            try f.setAttribute("bad_epochs", double: Double(t.badEpochs), at: "/training")
            for (k, v) in t.optimizerState { try f.write("/training/optimizer/\(k)", tensor: v) }
            let je = JSONEncoder()
            je.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let sched = String(decoding: try je.encode(t.schedulerState), as: UTF8.self)
            try f.setAttribute("scheduler", string: sched, at: "/training")
            if let best = t.bestParameters { for (k, v) in best { try f.write("/training/best/\(k)", tensor: v) } }
            try f.setAttribute("step_start", double: Double(t.stepStart), at: "/training")
            try f.setAttribute("partial_loss", double: t.partialLoss, at: "/training")
            try f.setAttribute("partial_trials", double: Double(t.partialTrials), at: "/training")
            try f.setAttribute("checksum", string: ModelChecksum.training(t, schedulerJSON: sched).hex, at: "/training")
        }
    }

    // MARK: reading

    /// Loads a model file; every problem is an error naming the file.
    public static func load(_ path: String) throws -> FittedModel {
        let f = try HDF5File.open(path)
        guard let json = try f.stringAttribute("config") else {
            throw EncodingError.modelFile(file: path, reason: "not a Receptive model file (no 'config' attribute at the root)")
        }
        if try RidgeModel.kind(ofModelFile: path) == .ridge {
            throw EncodingError.modelFile(file: path, reason: "is a ridge (feature-space) model; this command needs a CNN or GLM (score, predict, identify and report read ridge models)")
        }
        let config: ModelConfig
        do { config = try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8)) }
        catch { throw EncodingError.modelFile(file: path, reason: "the 'config' attribute is not a valid model configuration (\(error))") }
        let encoder = try NeuralEncoder(architecture: config.architecture, seed: 0)
        for (layer, p) in encoder.namedParameters {
            let t = try f.readTensor("/params/\(layer)/\(p.localName)")
            guard t.count == p.value.count else {
                throw EncodingError.modelFile(file: path, reason: "/params/\(layer)/\(p.localName) has shape \(t.shape), expected \(p.value.shape)")
            }
            p.value = t.reshaped(p.value.shape)
        }
        for l in encoder.core.layers {
            for (k, v) in l.state {
                let t = try f.readTensor("/state/\(l.name)/\(k)")
                guard t.count == v.count else { throw EncodingError.modelFile(file: path, reason: "/state/\(l.name)/\(k) has shape \(t.shape), expected \(v.shape)") }
                l.state[k] = t.reshaped(v.shape)
            }
        }
        // Files written since the checksum was introduced carry one; a mismatch means the bytes
        // changed after writing (a bit flip, a partial copy spliced in, an edit).
        if let stored = try f.stringAttribute("checksum"), stored != ModelChecksum.model(configJSON: json, encoder: encoder).hex {
            throw EncodingError.modelFile(file: path, reason: "corrupt model file: its parameters do not match the checksum written with them")
        }
        var history: [EpochRecord] = []
        if f.exists("/history/epoch") {
            let e = try f.readInts("/history/epoch").values
            let tl = try f.readDoubles("/history/train_loss").values
            let vl = try f.readDoubles("/history/validation_ll").values
            let vb = try f.readDoubles("/history/validation_bits_per_spike").values
            let lr = try f.readFloats("/history/learning_rate").values
            let s = try f.readDoubles("/history/seconds").values
            for i in 0..<e.count {
                history.append(EpochRecord(epoch: e[i], trainLoss: tl[i], validationLL: vl[i], validationBitsPerSpike: vb[i], learningRate: lr[i], seconds: s[i]))
            }
        }
        return FittedModel(config: config, encoder: encoder, history: history)
    }

    /// Reads the training state of a checkpoint written with `write(to:overwrite:training:)`.
    public static func loadTrainingState(_ path: String, model: FittedModel) throws -> TrainingState {
        let f = try HDF5File.open(path)
        guard f.exists("/training") else { throw EncodingError.modelFile(file: path, reason: "not a checkpoint (no /training group)") }
        var t = TrainingState()
        t.epoch = Int(try f.doubleAttribute("epoch", at: "/training") ?? 0)
        t.bestEpoch = Int(try f.doubleAttribute("best_epoch", at: "/training") ?? 0)
        t.bestValidationSum = try f.doubleAttribute("best_validation_sum", at: "/training") ?? -.infinity
        t.badEpochs = Int(try f.doubleAttribute("bad_epochs", at: "/training") ?? 0)
        t.history = model.history
        for k in f.children(of: "/training/optimizer") { t.optimizerState[k] = try f.readTensor("/training/optimizer/\(k)") }
        let sched = try f.stringAttribute("scheduler", at: "/training")
        if let sched {
            let jd = JSONDecoder()
            jd.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            t.schedulerState = (try? jd.decode([String: Double].self, from: Data(sched.utf8))) ?? [:]
        }
        t.stepStart = Int(try f.doubleAttribute("step_start", at: "/training") ?? 0)
        t.partialLoss = try f.doubleAttribute("partial_loss", at: "/training") ?? 0
        t.partialTrials = Int(try f.doubleAttribute("partial_trials", at: "/training") ?? 0)
        if f.exists("/training/best") {
            var best: [String: Tensor] = [:]
            for group in ["params", "state"] where f.exists("/training/best/\(group)") {
                for layer in f.children(of: "/training/best/\(group)") {
                    for name in f.children(of: "/training/best/\(group)/\(layer)") {
                        best["\(group)/\(layer)/\(name)"] = try f.readTensor("/training/best/\(group)/\(layer)/\(name)")
                    }
                }
            }
            t.bestParameters = best
        }
        if let stored = try f.stringAttribute("checksum", at: "/training"),
           stored != ModelChecksum.training(t, schedulerJSON: sched ?? "").hex {
            throw EncodingError.unusableCheckpoint(file: path, problem: .corrupt)
        }
        return t
    }
}

/// FNV-1a (64-bit) over the exact bytes of what a model file holds, in a fixed order: detects any
/// change to parameters or training state after they were written.
struct ModelChecksum {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    var hex: String { String(value, radix: 16) }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        for b in bytes { h ^= UInt64(b); h &*= 0x0000_0100_0000_01b3 }
        value = h
    }
    mutating func add(_ s: String) { var c = s; c.withUTF8 { add(UnsafeRawBufferPointer($0)) } }
    mutating func add(_ x: Double) { withUnsafeBytes(of: x.bitPattern) { add($0) } }
    mutating func add(_ t: Tensor) {
        add(Double(t.count))
        t.data.withUnsafeBytes { add($0) }
    }
    mutating func add(_ tensors: [String: Tensor]) {
        for k in tensors.keys.sorted() { add(k); add(tensors[k]!) }
    }

    static func model(configJSON: String, encoder: NeuralEncoder) -> ModelChecksum {
        var c = ModelChecksum()
        c.add(configJSON)
        for (layer, p) in encoder.namedParameters { c.add("\(layer)/\(p.localName)"); c.add(p.value) }
        for l in encoder.core.layers { c.add(l.name); c.add(l.state) }
        return c
    }

    static func training(_ t: TrainingState, schedulerJSON: String) -> ModelChecksum {
        var c = ModelChecksum()
        for x in [Double(t.epoch), Double(t.bestEpoch), t.bestValidationSum, Double(t.badEpochs),
                  Double(t.stepStart), t.partialLoss, Double(t.partialTrials)] { c.add(x) }
        c.add(schedulerJSON)
        c.add(t.optimizerState)
        c.add(t.bestParameters ?? [:])
        return c
    }
}
