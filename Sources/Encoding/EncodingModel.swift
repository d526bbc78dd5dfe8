// The estimator: one type through which a library user and every command fits, predicts, scores
// and simulates a CNN encoder or a GLM, and loads it from / saves it to the model file, in the
// manner of scikit-learn's and nemos' estimators:
//
//     let model = EncodingModel(cnn: architecture, training: options)      // or EncodingModel(glm: .poisson)
//     try model.fit(dataset, preprocessing: prep, options: EncodingFitOptions(validationFraction: 0.1))
//     let report = try model.score(dataset, split: .test)
//     let rates = try model.predict(dataset, stimuli: dataset.stimuli(in: .test))   // (N, U)
//     try model.save(to: "model.h5", overwrite: false)
//     let again = try EncodingModel.load(from: "model.h5")
//
// Before `fit` (or `load`), predict / score / simulate / save throw `EncodingError.notFitted`.
// The fitted state is a `FittedModel` (the encoder with its configuration, ModelFile.swift).
// Ridge models (feature-space ridge) are `RidgeModel`s, an estimator of their own kind.
import Foundation
import Tensors
import ConvEngine
import NeuralData
import Cluster

/// What fitted encoding models of every kind share.
public protocol EncodingEstimator: AnyObject {
    /// Which kind of model the file holds.
    var kind: ModelKind { get }
    /// Whether `fit` (or `load`) has run.
    var isFitted: Bool { get }
    /// Writes the model file atomically (`EncodingError.notFitted` before a fit).
    func save(to path: String, overwrite: Bool) throws
}

/// How a fit runs, besides the data and the preprocessing.
public struct EncodingFitOptions {
    /// On a file whose validation split is empty: hold out this seeded fraction of the training
    /// stimuli for early stopping and the GLM's ridge choice (0: none; the fit then needs a validation split).
    public var validationFraction: Double
    /// Data parallel across MPI ranks (docs/scaling.md); one process by default.
    public var cluster: Cluster
    /// CNN: progress after every epoch (held for the fit; the trainer itself holds it weakly).
    public var observer: TrainingObserver?
    /// CNN: a checkpoint written atomically after every epoch (model + optimiser state).
    public var checkpointPath: String?
    /// CNN: continue from `checkpointPath` (same data, architecture and options required).
    public var resume: Bool
    /// CNN: polled after every step; true checkpoints and throws `EncodingError.interrupted`.
    public var stopRequested: (() -> Bool)?
    /// GLM across ranks: the dataset holds only this rank's response columns (loaded with
    /// `DatasetLoadOptions.responseColumns`); nil: it holds every unit.
    public var responseShare: ResponseColumnShare?
    /// CNN: the seed of the held-out validation draw (`validationFraction`) when not the training
    /// seed — restarts share one draw so that their validation likelihoods are comparable.
    public var validationSeed: UInt64?

    public init(validationFraction: Double = 0, cluster: Cluster = SingleProcess(), observer: TrainingObserver? = nil,
                checkpointPath: String? = nil, resume: Bool = false, stopRequested: (() -> Bool)? = nil,
                responseShare: ResponseColumnShare? = nil) {
        self.validationFraction = validationFraction; self.cluster = cluster; self.observer = observer
        self.checkpointPath = checkpointPath; self.resume = resume; self.stopRequested = stopRequested
        self.responseShare = responseShare
    }
}

/// The response columns (units) one rank's dataset holds, of a file with `totalUnits` units.
/// `columns` must be the rank's `Cluster.share(of: totalUnits)`: the GLM fits these units and
/// gathers the rest (coefficients, λ, null rates, nuisance parameters) from the other ranks.
public struct ResponseColumnShare: Sendable {
    public var columns: Range<Int>
    public var totalUnits: Int
    /// The file's unit names, all of them, where the model is written (rank 0); nil elsewhere or
    /// when the file has none.
    public var allUnitNames: [String]?
    public init(columns: Range<Int>, totalUnits: Int, allUnitNames: [String]?) {
        self.columns = columns; self.totalUnits = totalUnits; self.allUnitNames = allUnitNames
    }
}

/// A CNN encoder or a GLM, fitted by maximum likelihood (DESIGN §5).
public final class EncodingModel: EncodingEstimator {
    /// What is fitted: the estimator's hyper-parameters, by kind.
    public enum Specification {
        /// A CNN encoder trained by Adam with early stopping; optionally starting from a pretrained core.
        case cnn(architecture: EncoderArchitecture, training: TrainingOptions, pretrainedCore: PretrainedCore?)
        /// A GLM per unit on the preprocessed pixels; λ per unit from `ridgeGrid` by validation
        /// log-likelihood; `seed` draws the held-out validation stimuli when the file has none.
        case glm(observation: ObservationKind, ridgeGrid: [Double], seed: UInt64)
    }

    /// Default ridge grid of the GLM (chosen by validation log-likelihood).
    public static let defaultRidgeGrid: [Double] = [0, 0.01, 0.1, 1, 10, 100, 1000]

    public let specification: Specification
    private var fittedModel: FittedModel?

    /// An unfitted CNN estimator.
    public init(cnn architecture: EncoderArchitecture, training: TrainingOptions = TrainingOptions(),
                pretrainedCore: PretrainedCore? = nil) {
        specification = .cnn(architecture: architecture, training: training, pretrainedCore: pretrainedCore)
    }

    /// An unfitted GLM estimator (poisson with exp link, or gaussian with identity link).
    public init(glm observation: ObservationKind, ridgeGrid: [Double] = EncodingModel.defaultRidgeGrid, seed: UInt64 = 0) {
        specification = .glm(observation: observation, ridgeGrid: ridgeGrid, seed: seed)
    }

    /// A fitted estimator around a fitted model (e.g. one read from a file). Its specification is
    /// the model's architecture and training options (a GLM's: its observation model and the default
    /// ridge grid, since the file records the λ chosen per unit, not the grid) — what a refit uses.
    public init(_ fitted: FittedModel) {
        switch fitted.config.kind {
        case .glm:
            specification = .glm(observation: fitted.config.architecture.observation,
                                 ridgeGrid: EncodingModel.defaultRidgeGrid, seed: fitted.config.training.seed)
        case .cnn, .ridge:
            specification = .cnn(architecture: fitted.config.architecture, training: fitted.config.training, pretrainedCore: nil)
        }
        fittedModel = fitted
    }

    /// Reads a CNN or GLM model file (every problem is an error naming the file).
    public static func load(from path: String) throws -> EncodingModel {
        EncodingModel(try FittedModel.load(path))
    }

    public var kind: ModelKind {
        if case .glm = specification { return .glm }
        return .cnn
    }

    public var isFitted: Bool { fittedModel != nil }

    /// The fitted model (encoder, configuration, history).
    public func fitted(for operation: String = "use the model") throws -> FittedModel {
        guard let m = fittedModel else { throw EncodingError.notFitted(operation: operation) }
        return m
    }

    public func save(to path: String, overwrite: Bool) throws {
        try fitted(for: "save").write(to: path, overwrite: overwrite)
    }

    // MARK: fitting

    /// Fits on the training split of `dataset` (stimuli preprocessed by `preprocessing`), choosing
    /// by the validation split; replaces any earlier fit. Returns the fitted model.
    @discardableResult
    public func fit(_ dataset: Dataset, preprocessing: Preprocessing, options: EncodingFitOptions = EncodingFitOptions()) throws -> FittedModel {
        let m: FittedModel
        switch specification {
        case .cnn(let architecture, let training, let pretrained):
            m = try CNNFitting.fit(dataset: dataset, preprocessing: preprocessing, architecture: architecture,
                                   training: training, pretrainedCore: pretrained, options: options)
        case .glm(let observation, let grid, let seed):
            m = try GLMFitting.fit(dataset: dataset, preprocessing: preprocessing, observation: observation,
                                   ridgeGrid: grid, validationFraction: options.validationFraction, seed: seed,
                                   cluster: options.cluster, share: options.responseShare)
        }
        fittedModel = m
        return m
    }

    // MARK: using a fitted model

    /// Predicted mean response of every unit to the given stimuli of `dataset`, (N_sel, U).
    /// Across ranks the stimuli are split and the rows gathered (every rank gets all). Predictions
    /// need no responses: with `fileUnits` the dataset may hold only some response columns (a
    /// rank's share, read to check them) of a file with that many units, which the model must predict.
    public func predict(_ dataset: Dataset, stimuli indices: [Int], cluster: Cluster = SingleProcess(),
                        fileUnits: Int? = nil) throws -> ResponseMatrix<Float> {
        let m = try fitted(for: "predict")
        try Self.checkCompatible(model: m, dataset: dataset, fileUnits: fileUnits)
        let stimuli = try PreprocessedStimuli(dataset: dataset, preprocessing: m.config.preprocessing)
        let mu = try m.encoder.predictStimuli(stimuli, indices: indices, cluster: cluster)
        return ResponseMatrix(rows: indices.count, columns: m.encoder.architecture.units, values: mu.data)
    }

    /// Predicted means for raw stimuli (N, C, H, W) as stored in a dataset (preprocessed here), (N, U).
    public func predict(rawStimuli x: Tensor) throws -> ResponseMatrix<Float> {
        let m = try fitted(for: "predict")
        guard x.rank == 4, Array(x.shape.dropFirst()) == m.config.preprocessing.inputShape else {
            throw EncodingError.incompatibleData(reason: "stimuli of shape \(x.shape) given to a model that expects (N, \(m.config.preprocessing.inputShape.map(String.init).joined(separator: ", ")))")
        }
        let mu = try m.encoder.predictStimuli(InMemoryStimuli(m.config.preprocessing.apply(x)), indices: Array(0..<x.shape[0]))
        return ResponseMatrix(rows: x.shape[0], columns: m.encoder.architecture.units, values: mu.data)
    }

    /// Scores the model on a split of a dataset (DESIGN §5): log-likelihood, bits/spike, pseudo-R²,
    /// correlation, FEVE, calibration; `seed` drives the randomised PIT.
    public func score(_ dataset: Dataset, split: Split, seed: UInt64 = 0, cluster: Cluster = SingleProcess()) throws -> ScoreReport {
        let m = try fitted(for: "score")
        try Self.checkCompatible(model: m, dataset: dataset)
        let stimuli = try PreprocessedStimuli(dataset: dataset, preprocessing: m.config.preprocessing)
        let trials = dataset.trials(in: split)
        guard !trials.isEmpty else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): the \(split) split has no trials")
        }
        let mu = try m.encoder.predictTrials(stimuli, stimulusIndex: dataset.stimulusIndex, trials: trials, cluster: cluster)
        let y = dataset.responseMatrix.rows(trials).converted(to: Double.self)
        return try Scores.evaluate(predicted: mu.values, observed: y.values, stimulusIndex: trials.map { dataset.stimulusIndex[$0] },
                                   units: y.units, model: try m.observationModel(),
                                   trainingMean: m.config.nullRates.map(Double.init), seed: seed)
    }

    /// `score` under MPI with the units split: `dataset` holds only this rank's response columns
    /// `columns` of the file's `fileUnits`. The predictions are split by stimulus and gathered on
    /// every rank as for `score`; each rank then scores its units (their columns of the
    /// predictions, its responses, their nuisance parameters and null rates; PIT stream = the
    /// file's unit index) and the per-unit values are gathered on every rank (`allgather`,
    /// 8·19 bytes per unit of its share). Every rank returns the report of all units, equal to
    /// the one-process report bit for bit.
    public func scoreUnitShare(_ dataset: Dataset, split: Split, seed: UInt64 = 0, cluster: Cluster, columns: Range<Int>,
                               fileUnits: Int) throws -> ScoreReport {
        let m = try fitted(for: "score")
        try checkScoreInputs(dataset, split: split, fileUnits: fileUnits)
        guard dataset.unitCount == columns.count else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): \(dataset.unitCount) response columns read for the \(columns.count) units \(columns)")
        }
        let stimuli = try PreprocessedStimuli(dataset: dataset, preprocessing: m.config.preprocessing)
        let trials = dataset.trials(in: split)
        let mu = try m.encoder.predictTrials(stimuli, stimulusIndex: dataset.stimulusIndex, trials: trials, cluster: cluster)
        let k = columns.count, T = trials.count
        let mine = mu.columns(columns).values
        let y = dataset.responseMatrix.rows(trials).converted(to: Double.self)
        var parameters = m.config.observation
        if !parameters.perUnit.isEmpty { parameters.perUnit = Array(parameters.perUnit[columns]) }
        let stimulusIndex = trials.map { dataset.stimulusIndex[$0] }
        let local: UnitScores? = k == 0 ? nil : try Scores.evaluateUnits(
            predicted: mine, observed: y.values, stimulusIndex: stimulusIndex, units: k, model: try parameters.makeModel(),
            trainingMean: m.config.nullRates[columns].map(Double.init), seed: seed, firstUnit: columns.lowerBound)
        let all = cluster.allgather(local?.packed() ?? [])
        guard all.count == fileUnits * UnitScores.perUnit else {
            throw EncodingError.incompatibleData(reason: "gathered \(all.count) per-unit scores from \(cluster.size) ranks, expected \(fileUnits) units × \(UnitScores.perUnit)")
        }
        // A rank without units (more ranks than units) has no scalars of its own: rank 0 always has units.
        let model = try m.observationModel()
        let base = local ?? UnitScores(values: [], llModel: [], llNull: [], spikes: [], pitCounts: [], trials: T,
                                       stimuli: Set(stimulusIndex).count, observationModel: model.name,
                                       isDiscrete: model.isDiscrete, quasiLikelihood: model.isQuasi)
        return base.unpacking(all).report()
    }

    /// The checks of `score`'s inputs that need no work (the data fits the model; the split has
    /// trials), with the messages `score` gives: under mpirun the CLI makes them before its
    /// agreement point, so that a data file every rank finds wrong is reported once.
    public func checkScoreInputs(_ dataset: Dataset, split: Split, fileUnits: Int? = nil) throws {
        try Self.checkCompatible(model: try fitted(for: "score"), dataset: dataset, fileUnits: fileUnits)
        guard !dataset.trials(in: split).isEmpty else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): the \(split) split has no trials")
        }
    }

    /// Across ranks, what a rank other than 0 does for `score` (which rank 0 calls at the same
    /// time): its share of the predictions, sent to every rank. It needs no responses, so its
    /// dataset may hold none of the response columns (`fileUnits`: the file's units).
    public func contributeToScore(_ dataset: Dataset, split: Split, cluster: Cluster, fileUnits: Int? = nil) throws {
        let m = try fitted(for: "score")
        try checkScoreInputs(dataset, split: split, fileUnits: fileUnits)
        let stimuli = try PreprocessedStimuli(dataset: dataset, preprocessing: m.config.preprocessing)
        _ = try m.encoder.predictTrials(stimuli, stimulusIndex: dataset.stimulusIndex, trials: dataset.trials(in: split), cluster: cluster)
    }

    /// Responses drawn from the fitted model: for each listed stimulus of `dataset` (repeats
    /// allowed: one row per entry), every unit's response sampled from the observation model at
    /// the predicted mean, with its fitted nuisance parameters. Same seed → same draws.
    public func simulate(_ dataset: Dataset, stimuli indices: [Int], seed: UInt64) throws -> ResponseMatrix<Float> {
        let m = try fitted(for: "simulate")
        let observation = try m.observationModel()
        let distinct = Array(Set(indices)).sorted()
        let means = try predict(dataset, stimuli: distinct)
        var row = [Int: Int]()
        for (k, s) in distinct.enumerated() { row[s] = k }
        var rng = SeededRandom(seed: seed)
        var out = ResponseMatrix<Float>(rows: indices.count, columns: means.columns)
        for (k, s) in indices.enumerated() {
            guard let r = row[s] else { continue }
            for j in 0..<means.columns {
                out[k, j] = Float(observation.sample(mean: Double(means[r, j]), unit: j, rng: &rng))
            }
        }
        return out
    }

    /// The dataset must have the model's units and stimulus shape (`fileUnits`: the units of the
    /// dataset's file when the dataset holds only some of its response columns).
    public static func checkCompatible(model: FittedModel, dataset: Dataset, fileUnits: Int? = nil) throws {
        let c = model.config
        let units = fileUnits ?? dataset.unitCount
        guard units == c.architecture.units else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file) has \(units) units but the model was fitted to \(c.architecture.units)")
        }
        guard dataset.stimulusShape == c.preprocessing.inputShape else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file) has stimuli of shape \(dataset.stimulusShape) but the model expects \(c.preprocessing.inputShape)")
        }
    }

    /// Scores the generating model of a simulated dataset (its true rates in /ground_truth/rates),
    /// with the observation model `observation` and the training-mean null: the ceiling any fit can
    /// reach. nil when the file has no ground truth.
    public static func scoreGroundTruth(dataset: Dataset, split: Split, observation: any ObservationModel,
                                        seed: UInt64 = 0) throws -> ScoreReport? {
        guard let rates = dataset.groundTruth?.rates else { return nil }
        let u = dataset.unitCount
        let responses = dataset.responseMatrix
        let trueRates = ResponseMatrix(rows: rates.count / max(u, 1), columns: u, values: rates)
        let trials = dataset.trials(in: split)
        let null = responses.columnMeans(of: dataset.trials(in: .train))
        let mu = trueRates.rows(trials.map { dataset.stimulusIndex[$0] }).converted(to: Double.self)
        let y = responses.rows(trials).converted(to: Double.self)
        return try Scores.evaluate(predicted: mu.values, observed: y.values, stimulusIndex: trials.map { dataset.stimulusIndex[$0] }, units: u,
                                   model: observation, trainingMean: null, seed: seed)
    }
}

// MARK: - the CNN fit

enum CNNFitting {
    /// Trains a CNN encoder by maximum likelihood (Trainer.swift).
    static func fit(dataset: Dataset, preprocessing: Preprocessing, architecture: EncoderArchitecture,
                    training options: TrainingOptions, pretrainedCore: PretrainedCore?,
                    options fit: EncodingFitOptions) throws -> FittedModel {
        let cluster = fit.cluster, checkpointPath = fit.checkpointPath
        let (data, holdout) = try TrainingData.withValidation(dataset: dataset, preprocessing: preprocessing,
                                                              validationFraction: fit.validationFraction, seed: fit.validationSeed ?? options.seed)
        guard !data.trainTrials.isEmpty else { throw EncodingError.incompatibleData(reason: "\(dataset.file): the training split has no trials") }
        guard !data.validationTrials.isEmpty else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): the validation split has no trials (early stopping needs them)")
        }
        let encoder = try NeuralEncoder(architecture: architecture, seed: options.seed)
        if let pre = pretrainedCore { try pre.copy(into: encoder) }
        var observation = architecture.observation.makeModel(units: dataset.unitCount)
        let nullRates = data.meanResponse(of: data.trainTrials)
        let provenance = DataProvenance(file: dataset.file, paths: dataset.paths, units: dataset.unitCount,
                                        unitNames: dataset.hasUnitNames ? dataset.unitNames : nil)
        var config = ModelConfig(kind: .cnn, architecture: architecture, preprocessing: preprocessing, training: options,
                                 observation: observation.parameters, nullRates: nullRates, data: provenance)
        config.heldOutValidation = holdout
        let trainer = try Trainer(encoder: encoder, data: data, observation: observation, options: options)
        trainer.observer = fit.observer
        trainer.cluster = cluster
        if fit.resume, let ck = checkpointPath {
            let saved = try FittedModel.load(ck)
            guard saved.config.format == "receptive-model", saved.config.kind == .cnn else {
                throw EncodingError.unusableCheckpoint(file: ck, problem: .notCNNCheckpoint)
            }
            guard saved.config.architecture == architecture, saved.config.training == options else {
                throw EncodingError.unusableCheckpoint(file: ck, problem: .otherOptions)
            }
            // A checkpoint of another dataset (or another split of it) has other normalisation
            // statistics and null rates; continuing from it would silently mix two fits.
            guard saved.config.preprocessing == preprocessing, saved.config.nullRates == nullRates,
                  saved.config.data.units == provenance.units, saved.config.data.paths == provenance.paths else {
                throw EncodingError.unusableCheckpoint(file: ck, problem: .otherData)
            }
            for ((_, p), (_, q)) in zip(encoder.namedParameters, saved.encoder.namedParameters) { p.value = q.value }
            for (l, m) in zip(encoder.core.layers, saved.encoder.core.layers) { l.state = m.state }
            observation = try saved.config.observation.makeModel()
            trainer.observation = observation
            try trainer.resume(from: try FittedModel.loadTrainingState(ck, model: saved))
        }
        if let ck = checkpointPath, cluster.isRoot {   // across ranks, rank 0 writes the checkpoints
            trainer.checkpointHandler = { state in
                config.observation = trainer.observation.parameters
                let m = FittedModel(config: config, encoder: encoder, history: state.history)
                try m.write(to: ck, overwrite: true, training: state)
            }
        }
        trainer.stopRequested = fit.stopRequested
        let history: [EpochRecord]
        do { history = try trainer.fit() } catch EncodingError.interrupted(let e, let st, let n, _) {
            throw EncodingError.interrupted(epoch: e, step: st, steps: n, checkpoint: checkpointPath)
        }
        // Nuisance parameters (variance, dispersion) on training residuals of the final weights.
        if architecture.observation != .poisson {
            try data.refitNuisance(&trainer.observation, encoder: encoder, cluster: cluster)
        }
        config.observation = trainer.observation.parameters
        config.bestEpoch = trainer.state.bestEpoch
        config.heldOutValidation = holdout
        return FittedModel(config: config, encoder: encoder, history: history)
    }
}

// MARK: - the GLM fit

enum GLMFitting {
    /// Fits a GLM per unit on the preprocessed pixels (Poisson with exp link for spikes, Gaussian
    /// with identity link for fMRI), ridge penalty chosen per unit by validation log-likelihood
    /// over `ridgeGrid`. The result is stored as the `linear` architecture.
    static func fit(dataset: Dataset, preprocessing: Preprocessing, observation: ObservationKind,
                    ridgeGrid: [Double], validationFraction: Double, seed: UInt64, cluster: Cluster,
                    share: ResponseColumnShare? = nil) throws -> FittedModel {
        let family: GLMFamily
        switch observation {
        case .poisson: family = .poisson
        case .gaussian: family = .gaussian
        default:
            throw EncodingError.invalidOption(option: .observation, reason: "the GLM supports poisson and gaussian, not \(observation.rawValue)")
        }
        let (data, holdout) = try TrainingData.withValidation(dataset: dataset, preprocessing: preprocessing,
                                                              validationFraction: validationFraction, seed: seed)
        let shape = preprocessing.outputShape
        let p = shape.product
        // Units are independent fits: each rank fits its contiguous share of them (all of them in
        // one process) and the shares are gathered in unit order, so every rank holds the whole model.
        // With a `share` the dataset holds only those columns (the rank read nothing else).
        let u = share?.totalUnits ?? dataset.unitCount
        let mine = cluster.share(of: u)
        if let s = share {
            guard s.columns == mine, dataset.unitCount == mine.count else {
                throw EncodingError.incompatibleData(reason: "\(dataset.file): rank \(cluster.rank) of \(cluster.size) holds \(dataset.unitCount) response columns \(s.columns) but its share of \(u) units is \(mine)")
            }
        }
        let holdsAll = share == nil && mine.count == u
        func design(_ trials: [Int]) throws -> (x: [Double], y: ResponseMatrix<Double>) {
            var x = [Double](); x.reserveCapacity(trials.count * p)
            var start = 0
            while start < trials.count {
                let end = min(trials.count, start + 256)
                let t = try data.stimuli.stimuli(trials[start..<end].map { data.stimulusIndex[$0] })
                x.append(contentsOf: t.data.map(Double.init))
                start = end
            }
            let y = data.responses.rows(trials).converted(to: Double.self)
            return (x, share != nil || holdsAll ? y : y.columns(mine))
        }
        guard !data.trainTrials.isEmpty, !data.validationTrials.isEmpty else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): the GLM needs training and validation trials")
        }
        let train = try design(data.trainTrials), val = try design(data.validationTrials)
        let glm = GLM(family: family)
        var local: [RidgePath] = []
        if !mine.isEmpty {
            do {
                local = try glm.fitRidgePath(trainX: train.x, trainRows: data.trainTrials.count, columns: p, trainY: train.y.values,
                                             validationX: val.x, validationRows: data.validationTrials.count,
                                             validationY: val.y.values, units: mine.count, grid: ridgeGrid)
            } catch let e as GLMError {
                throw e.numberingUnits(from: mine.lowerBound)   // the file's unit numbers, not the share's
            }
        }
        // A λ at which any unit's fit failed is ruled out for every unit (as in one process, where
        // the units are fitted together): agree on the failed λs, then choose among the rest.
        var failed = ridgeGrid.indices.map { k in local.first.map { $0.fits[k] == nil ? 1.0 : 0.0 } ?? 0 }
        cluster.allreduceSum(&failed)
        var packed: [Double] = []
        packed.reserveCapacity(mine.count * (p + 2))
        for path in local {
            var best = path.bestIndex
            if failed[best] > 0 {
                guard let chosen = RidgePath.choose(among: ridgeGrid.indices.filter { failed[$0] == 0 }, lambdas: ridgeGrid,
                                                    validationLogLikelihoods: path.validationLogLikelihoods) else {
                    throw EncodingError.incompatibleData(reason: "\(dataset.file): the GLM could not be fitted at any ridge penalty of \(ridgeGrid)")
                }
                best = chosen
            }
            guard let fit = path.fits[best] else {
                throw EncodingError.incompatibleData(reason: "\(dataset.file): the GLM could not be fitted at ridge penalty \(ridgeGrid[best])")
            }
            packed.append(contentsOf: fit.weights)
            packed.append(fit.intercept)
            packed.append(ridgeGrid[best])
        }
        let all = cluster.allgather(packed)
        guard all.count == u * (p + 2) else {
            throw EncodingError.incompatibleData(reason: "gathered \(all.count) GLM coefficients from \(cluster.size) ranks, expected \(u * (p + 2))")
        }
        // Per unit: p weights, the intercept, the chosen λ.
        let coefficients = ResponseMatrix(rows: u, columns: p + 2, values: all)
        let arch = EncoderArchitecture.linear(inputChannels: shape[0], height: shape[1], width: shape[2], units: u,
                                              link: family.link, observation: observation)
        let encoder = try NeuralEncoder(linear: arch,
                                        weights: ResponseMatrix(rows: u, columns: p, values: (0..<u).flatMap { coefficients.row($0).prefix(p) }),
                                        bias: coefficients.column(p))
        var obs = observation.makeModel(units: u)
        if observation == .gaussian {
            if share == nil {
                try data.refitNuisance(&obs, encoder: encoder)
            } else {
                // Every unit's variance comes from its own residuals: each rank refits its units
                // (on the whole model's predictions, as one process) and the variances are gathered.
                var perUnit: [Double] = []
                if !mine.isEmpty {
                    let mu = try encoder.predictTrials(data.stimuli, stimulusIndex: data.stimulusIndex, trials: data.trainTrials)
                    let y = data.responses.rows(data.trainTrials).converted(to: Double.self)
                    var part = observation.makeModel(units: mine.count)
                    try part.fitNuisance(y: y.values, mean: mu.columns(mine).values, units: mine.count)
                    perUnit = part.parameters.perUnit
                }
                let all = cluster.allgather(perUnit)
                guard all.count == u else {
                    throw EncodingError.incompatibleData(reason: "gathered \(all.count) variances from \(cluster.size) ranks, expected \(u)")
                }
                obs = try ObservationParameters(kind: observation, perUnit: all).makeModel()
            }
        }
        var options = TrainingOptions()
        options.laplace = 0; options.maskL1 = 0
        let provenance = DataProvenance(file: dataset.file, paths: dataset.paths, units: u,
                                        unitNames: share.map { $0.allUnitNames } ?? (dataset.hasUnitNames ? dataset.unitNames : nil))
        // The null model's rates: per unit, so a rank holding a share computes its units' and gathers.
        let nullRates = share == nil ? data.meanResponse(of: data.trainTrials)
                                     : cluster.allgather(data.meanResponse(of: data.trainTrials))
        guard nullRates.count == u else {
            throw EncodingError.incompatibleData(reason: "gathered \(nullRates.count) null rates from \(cluster.size) ranks, expected \(u)")
        }
        var config = ModelConfig(kind: .glm, architecture: arch, preprocessing: preprocessing, training: options,
                                 observation: obs.parameters, nullRates: nullRates, data: provenance)
        config.ridgePerUnit = coefficients.column(p + 1)
        config.heldOutValidation = holdout
        return FittedModel(config: config, encoder: encoder)
    }
}
