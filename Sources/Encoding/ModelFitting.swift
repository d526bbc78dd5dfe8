// Fitting and evaluating models on datasets: what `receptive fit`, `score`, `predict` and the demo
// call. The CLI only parses options and prints.
import Foundation
import Tensors
import ConvEngine
import NeuralData
import Cluster

public enum ModelFitting {
    /// Default ridge grid of the GLM (chosen by validation log-likelihood).
    public static let defaultRidgeGrid: [Double] = [0, 0.01, 0.1, 1, 10, 100, 1000]

    /// Trains a CNN encoder by maximum likelihood.
    /// - checkpointPath: written atomically after every epoch (model + optimiser state).
    /// - resume: continue from `checkpointPath` (same data, architecture and options required).
    /// - pretrainedCore: copy the core weights of this model (same core architecture).
    public static func fitCNN(dataset: Dataset, preprocessing: Preprocessing, architecture: EncoderArchitecture,
                              options: TrainingOptions, observer: TrainingObserver? = nil,
                              checkpointPath: String? = nil, resume: Bool = false,
                              pretrainedCore: PretrainedCore? = nil, validationFraction: Double = 0,
                              stopRequested: (() -> Bool)? = nil, cluster: Cluster = SingleProcess()) throws -> FittedModel {
        let (data, holdout) = try TrainingData.withValidation(dataset: dataset, preprocessing: preprocessing,
                                                              validationFraction: validationFraction, seed: options.seed)
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
        trainer.observer = observer
        trainer.cluster = cluster
        if resume, let ck = checkpointPath {
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
        trainer.stopRequested = stopRequested
        let history: [EpochRecord]
        do { history = try trainer.fit() } catch EncodingError.interrupted(let e, let st, let n, _) {
            throw EncodingError.interrupted(epoch: e, step: st, steps: n, checkpoint: checkpointPath)
        }
        // Nuisance parameters (variance, dispersion) on training residuals of the final weights.
        if architecture.observation != .poisson {
            try refitNuisance(&trainer.observation, encoder: encoder, data: data, cluster: cluster)
        }
        config.observation = trainer.observation.parameters
        config.bestEpoch = trainer.state.bestEpoch
        config.heldOutValidation = holdout
        return FittedModel(config: config, encoder: encoder, history: history)
    }

    /// Re-estimates the observation model's per-unit nuisance parameters on the training trials.
    public static func refitNuisance(_ observation: inout any ObservationModel, encoder: NeuralEncoder, data: TrainingData,
                                     cluster: Cluster = SingleProcess()) throws {
        let trials = data.trainTrials
        let mu = try predictTrials(encoder: encoder, stimuli: data.stimuli, stimulusIndex: data.stimulusIndex, trials: trials, cluster: cluster)
        let y = trials.flatMap { t in (0..<data.units).map { Double(data.responses[t * data.units + $0]) } }
        try observation.fitNuisance(y: y, mean: mu, units: data.units)
    }

    /// Predicted means of `indices` (evaluation mode), (n, U), in batches of `batchSize` so a
    /// streamed dataset stays in bounded memory. The one batching loop every prediction uses.
    /// Across ranks, each rank predicts its share of whole batches (the same batches as one
    /// process, so the same numbers) and the rows are gathered: every rank gets all of them.
    public static func predictStimuli(encoder: NeuralEncoder, stimuli: StimulusProvider, indices: [Int],
                                      batchSize: Int = 128, cluster: Cluster = SingleProcess()) throws -> Tensor {
        let u = encoder.architecture.units
        if cluster.size > 1 {
            let mine = cluster.share(of: indices.count, block: batchSize)
            let part = try predictStimuli(encoder: encoder, stimuli: stimuli, indices: Array(indices[mine]), batchSize: batchSize)
            let all = cluster.allgather(part.data.map(Double.init))
            guard all.count == indices.count * u else {
                throw EncodingError.incompatibleData(reason: "gathered \(all.count) predictions from \(cluster.size) ranks, expected \(indices.count * u)")
            }
            var out = Tensor(shape: [indices.count, u])
            for i in 0..<all.count { out.data[i] = Float(all[i]) }
            return out
        }
        var out = Tensor(shape: [indices.count, u])
        var start = 0
        while start < indices.count {
            let end = min(indices.count, start + batchSize)
            let mu = encoder.forward(try stimuli.stimuli(Array(indices[start..<end])), training: false)
            out.data.withUnsafeMutableBufferPointer { o in
                mu.data.withUnsafeBufferPointer { m in (o.baseAddress! + start * u).update(from: m.baseAddress!, count: m.count) }
            }
            start = end
        }
        return out
    }

    /// Predicted means for trials, (T_sel × U) row-major Double, computing each stimulus once.
    public static func predictTrials(encoder: NeuralEncoder, stimuli: StimulusProvider, stimulusIndex: [Int],
                                     trials: [Int], batchSize: Int = 128, cluster: Cluster = SingleProcess()) throws -> [Double] {
        let u = encoder.architecture.units
        let stim = Array(Set(trials.map { stimulusIndex[$0] })).sorted()
        var row = [Int: Int]()
        for (k, s) in stim.enumerated() { row[s] = k }
        let perStimulus = try predictStimuli(encoder: encoder, stimuli: stimuli, indices: stim, batchSize: batchSize, cluster: cluster)
        var out = [Double](repeating: 0, count: trials.count * u)
        for (k, t) in trials.enumerated() {
            let r = row[stimulusIndex[t]]!
            for j in 0..<u { out[k * u + j] = Double(perStimulus.data[r * u + j]) }
        }
        return out
    }

    // MARK: GLM

    /// Fits a GLM per unit on the preprocessed pixels (Poisson with exp link for spikes, Gaussian
    /// with identity link for fMRI), ridge penalty chosen per unit by validation log-likelihood
    /// over `ridgeGrid`. The result is stored as the `linear` architecture.
    public static func fitGLM(dataset: Dataset, preprocessing: Preprocessing, observation: ObservationKind,
                              ridgeGrid: [Double] = defaultRidgeGrid, validationFraction: Double = 0,
                              seed: UInt64 = 0, cluster: Cluster = SingleProcess()) throws -> FittedModel {
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
        let u = dataset.unitCount
        func design(_ trials: [Int]) throws -> (x: [Double], y: [Double]) {
            var x = [Double](); x.reserveCapacity(trials.count * p)
            var start = 0
            while start < trials.count {
                let end = min(trials.count, start + 256)
                let t = try data.stimuli.stimuli(trials[start..<end].map { data.stimulusIndex[$0] })
                x.append(contentsOf: t.data.map(Double.init))
                start = end
            }
            let y = trials.flatMap { t in (0..<u).map { Double(data.responses[t * u + $0]) } }
            return (x, y)
        }
        guard !data.trainTrials.isEmpty, !data.validationTrials.isEmpty else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): the GLM needs training and validation trials")
        }
        let train = try design(data.trainTrials), val = try design(data.validationTrials)
        let glm = GLM(family: family)
        // Units are independent fits: each rank fits its contiguous share of them (all of them in
        // one process) and the shares are gathered in unit order, so every rank holds the whole model.
        let mine = cluster.share(of: u)
        func columns(_ y: [Double], rows: Int) -> [Double] {
            guard mine.count != u else { return y }
            var out = [Double](); out.reserveCapacity(rows * mine.count)
            for t in 0..<rows { out.append(contentsOf: y[(t * u + mine.lowerBound)..<(t * u + mine.upperBound)]) }
            return out
        }
        var local: [RidgePath] = []
        if !mine.isEmpty {
            local = try glm.fitRidgePath(trainX: train.x, trainRows: data.trainTrials.count, columns: p,
                                         trainY: columns(train.y, rows: data.trainTrials.count),
                                         validationX: val.x, validationRows: data.validationTrials.count,
                                         validationY: columns(val.y, rows: data.validationTrials.count),
                                         units: mine.count, grid: ridgeGrid)
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
                let ll = path.validationLogLikelihoods
                let allowed = ridgeGrid.indices.filter { failed[$0] == 0 }
                guard let first = allowed.first else {
                    throw EncodingError.incompatibleData(reason: "\(dataset.file): the GLM could not be fitted at any ridge penalty of \(ridgeGrid)")
                }
                best = first
                for k in allowed where k != best {
                    let better = ll[k] > ll[best] || (ll[k] == ll[best] && ridgeGrid[k] > ridgeGrid[best])
                    if better || (!ll[best].isFinite && ll[k].isFinite) { best = k }
                }
            }
            let fit = path.fits[best]!
            packed.append(contentsOf: fit.weights)
            packed.append(fit.intercept)
            packed.append(ridgeGrid[best])
        }
        let all = cluster.allgather(packed)
        guard all.count == u * (p + 2) else {
            throw EncodingError.incompatibleData(reason: "gathered \(all.count) GLM coefficients from \(cluster.size) ranks, expected \(u * (p + 2))")
        }
        let arch = EncoderArchitecture.linear(inputChannels: shape[0], height: shape[1], width: shape[2], units: u,
                                              link: family.link, observation: observation)
        let encoder = try NeuralEncoder(architecture: arch, seed: 0)
        let conv = encoder.firstConv!
        conv.weight.value.fill(0)
        for c in 0..<shape[0] { conv.weight.value.data[c * shape[0] + c] = 1 }
        let readout = encoder.readout as! FullLinearReadout
        for j in 0..<u {
            let row = all[(j * (p + 2))..<((j + 1) * (p + 2))]
            for k in 0..<p { readout.weight.value.data[j * p + k] = Float(row[row.startIndex + k]) }
            readout.bias.value.data[j] = Float(row[row.startIndex + p])
        }
        var obs = observation.makeModel(units: u)
        if observation == .gaussian {
            try refitNuisance(&obs, encoder: encoder, data: data)
        }
        var options = TrainingOptions()
        options.laplace = 0; options.maskL1 = 0
        let provenance = DataProvenance(file: dataset.file, paths: dataset.paths, units: u,
                                        unitNames: dataset.hasUnitNames ? dataset.unitNames : nil)
        var config = ModelConfig(kind: .glm, architecture: arch, preprocessing: preprocessing, training: options,
                                 observation: obs.parameters, nullRates: data.meanResponse(of: data.trainTrials), data: provenance)
        config.ridgePerUnit = (0..<u).map { all[$0 * (p + 2) + p + 1] }
        config.heldOutValidation = holdout
        return FittedModel(config: config, encoder: encoder)
    }
}

public enum ModelEvaluation {
    /// Scores a model on a split of a dataset (DESIGN §5).
    /// Across ranks the predictions are split by stimulus and gathered; every rank then scores.
    public static func score(model: FittedModel, dataset: Dataset, split: Split, seed: UInt64 = 0,
                             cluster: Cluster = SingleProcess()) throws -> ScoreReport {
        try checkCompatible(model: model, dataset: dataset)
        let stimuli = try PreprocessedStimuli(dataset: dataset, preprocessing: model.config.preprocessing)
        let trials = dataset.trials(in: split)
        guard !trials.isEmpty else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): the \(split) split has no trials")
        }
        let mu = try ModelFitting.predictTrials(encoder: model.encoder, stimuli: stimuli, stimulusIndex: dataset.stimulusIndex,
                                                trials: trials, cluster: cluster)
        let u = dataset.unitCount
        let y = trials.flatMap { t in (0..<u).map { Double(dataset.responses[t * u + $0]) } }
        return try Scores.evaluate(predicted: mu, observed: y, stimulusIndex: trials.map { dataset.stimulusIndex[$0] }, units: u,
                                   model: try model.observationModel(), trainingMean: model.config.nullRates.map(Double.init), seed: seed)
    }

    /// Predicted mean response per stimulus, (N_sel, U).
    public static func predictStimuli(model: FittedModel, dataset: Dataset, stimuli indices: [Int],
                                      cluster: Cluster = SingleProcess()) throws -> Tensor {
        try checkCompatible(model: model, dataset: dataset)
        let stimuli = try PreprocessedStimuli(dataset: dataset, preprocessing: model.config.preprocessing)
        return try ModelFitting.predictStimuli(encoder: model.encoder, stimuli: stimuli, indices: indices, cluster: cluster)
    }

    /// The dataset must have the model's units and stimulus shape.
    public static func checkCompatible(model: FittedModel, dataset: Dataset) throws {
        let c = model.config
        guard dataset.unitCount == c.architecture.units else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file) has \(dataset.unitCount) units but the model was fitted to \(c.architecture.units)")
        }
        guard dataset.stimulusShape == c.preprocessing.inputShape else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file) has stimuli of shape \(dataset.stimulusShape) but the model expects \(c.preprocessing.inputShape)")
        }
    }
}

extension ModelEvaluation {
    /// Scores the generating model of a simulated dataset (its true rates in /ground_truth/rates),
    /// with the observation model `observation` and the training-mean null: the ceiling any fit can reach.
    public static func scoreGroundTruth(dataset: Dataset, split: Split, observation: any ObservationModel,
                                       seed: UInt64 = 0) throws -> ScoreReport? {
        guard let rates = dataset.groundTruth?.rates else { return nil }
        let u = dataset.unitCount
        let trials = dataset.trials(in: split)
        let train = dataset.trials(in: .train)
        var null = [Double](repeating: 0, count: u)
        for t in train { for j in 0..<u { null[j] += Double(dataset.responses[t * u + j]) } }
        null = null.map { $0 / Double(max(train.count, 1)) }
        let mu = trials.flatMap { t in (0..<u).map { Double(rates[dataset.stimulusIndex[t] * u + $0]) } }
        let y = trials.flatMap { t in (0..<u).map { Double(dataset.responses[t * u + $0]) } }
        return try Scores.evaluate(predicted: mu, observed: y, stimulusIndex: trials.map { dataset.stimulusIndex[$0] }, units: u,
                                   model: observation, trainingMean: null, seed: seed)
    }
}
