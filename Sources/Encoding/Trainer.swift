// Maximum-likelihood training of an encoder: Adam on minibatches of trials, early stopping on the
// validation log-likelihood (best weights restored), reduce-on-plateau learning rate, a checkpoint
// after every epoch and exact resumption.
//
// Loss per batch of B trials (what the optimiser minimises):
//   −(1/B) Σ_{trials, units} log p(y | μ)  +  λ_lap·Laplace(conv1)  +  λ_mask·‖mask‖₁  +  λ_feat·‖features‖₁
//   +  λ_act·mean‖a₁‖₁
// (constants such as log y! are kept; they do not change gradients). Weight decay is Adam's L2 term.
import Foundation
import Tensors
import ConvEngine
import Cluster
import NeuralData

public struct TrainingOptions: Codable, Equatable, Sendable {
    public var epochs = 200
    public var learningRate: Float = 5e-3
    public var batchSize = 64
    public var patience = 10
    public var seed: UInt64 = 0
    /// Laplace smoothness on first-layer filters (peer: 0.1).
    public var laplace: Float = 0.1
    /// Which Laplacian the smoothness penalty uses: `.same` (the zero-padded whole-kernel form) for new
    /// options; optional so that older model files, which lack the key and were fitted with the
    /// unpadded form, decode as nil = `.valid` (a resumed old checkpoint keeps its penalty).
    public var laplacePadding: LaplacePadding? = .same
    public var laplaceForm: LaplacePadding { laplacePadding ?? .valid }
    /// L1 on the readout's spatial mask. The peer uses 1e-4; 1e-2 gave clearly better held-out
    /// scores on the V4 recording and on simulated cells (docs/encoding.md, "Readout sparsity").
    public var maskL1: Float = 1e-2
    /// L1 on the factorized readout's feature weights (units × channels), the sparse readout of
    /// Klindt et al. (2017): each unit is pushed to read few channels. nil = 0 (optional so older
    /// model files still decode).
    public var featureL1: Float?
    /// L1 on first-layer activations (sparsity experiments); 0 = off.
    public var activationL1: Float = 0
    public var weightDecay: Float = 0
    /// Reduce-on-plateau: factor and patience (epochs without validation improvement).
    public var lrFactor: Float = 0.3
    public var lrPatience = 5
    public var minLearningRate: Float = 1e-5
    /// Minimum improvement of the summed validation log-likelihood that counts (peer: 1e-3).
    public var improvementThreshold: Double = 1e-3
    /// When false, core parameters are not updated (readout on a frozen pretrained core).
    public var trainCore = true
    /// When the plateau schedule lowers the learning rate, continue from the best weights so far
    /// (neuralpredictors' `restore_best`). nil = false; optional so older model files still decode.
    public var restoreBestOnDecay: Bool?
    /// How minibatches are drawn (nil = `.stimulus`; optional so older model files still decode).
    public var batchBy: BatchGrouping?
    public var grouping: BatchGrouping { batchBy ?? .stimulus }

    public init() {}
}

/// One row of the training history.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    /// Mean penalised loss per trial on the training batches (nats, sign: −LL + penalties).
    public var trainLoss: Double
    /// Mean full log-likelihood per observation (unit × trial) on the validation split (nats).
    public var validationLL: Double
    public var validationBitsPerSpike: Double
    public var learningRate: Float
    public var seconds: Double
}

/// Where the trainer reports progress (the CLI prints it; tests ignore it).
public protocol TrainingObserver: AnyObject {
    func epochFinished(_ record: EpochRecord, of total: Int, best: Int, etaSeconds: Double)
}

public final class Trainer {
    public let encoder: NeuralEncoder
    public let data: TrainingData
    public let options: TrainingOptions
    public var observation: any ObservationModel
    public weak var observer: TrainingObserver?
    /// Called after each epoch with the state to checkpoint (the CLI writes it atomically).
    public var checkpointHandler: ((TrainingState) throws -> Void)?
    /// Polled after every step; when it returns true the trainer checkpoints the state after that
    /// step (mid-epoch position included) and throws `EncodingError.interrupted`.
    public var stopRequested: (() -> Bool)?
    /// Data parallel across processes (docs/scaling.md): each rank forwards a contiguous share of
    /// every minibatch's groups; gradients, losses and batch-norm statistics are summed over ranks,
    /// so every rank takes the same step. One process: exactly the single-process path.
    public var cluster: Cluster = SingleProcess()

    public private(set) var state: TrainingState
    private let optimizer: Adam
    private let scheduler: ReduceLROnPlateau

    public init(encoder: NeuralEncoder, data: TrainingData, observation: any ObservationModel, options: TrainingOptions) throws {
        self.encoder = encoder; self.data = data; self.options = options; self.observation = observation
        optimizer = try Adam(learningRate: options.learningRate, weightDecay: Double(options.weightDecay))
        // The plateau is judged like early stopping: the summed validation log-likelihood must rise
        // by more than `improvementThreshold` (absolute). A relative threshold on a negative
        // log-likelihood (torch's default) would count slightly worse epochs as improvements.
        scheduler = try ReduceLROnPlateau(mode: .max, factor: Double(options.lrFactor), patience: options.lrPatience,
                                          threshold: options.improvementThreshold, thresholdMode: .abs,
                                          minLR: Double(options.minLearningRate))
        state = TrainingState()
    }

    /// Restores a checkpoint: weights, optimiser and scheduler state, best weights, counters.
    public func resume(from s: TrainingState) throws {
        state = s
        try optimizer.loadState(s.optimizerState, parameters: encoder.parameters)
        try scheduler.loadState(s.schedulerState)
    }

    /// Runs epochs until `options.epochs` or early stopping; restores the best weights at the end.
    public func fit() throws -> [EpochRecord] {
        let u = data.units
        let nullRates = data.meanResponse(of: data.trainTrials)
        // A frozen core: no updates (Adam's weight decay included) and no backward through it, for
        // this fit only; the encoder is an ordinary trainable one afterwards.
        let coreParameters = encoder.core.layers.flatMap { $0.parameters }
        let wasTrainable = coreParameters.map { $0.trainable }
        encoder.coreFrozen = !options.trainCore
        if !options.trainCore { for p in coreParameters { p.trainable = false } }
        defer {
            encoder.coreFrozen = false
            for (p, t) in zip(coreParameters, wasTrainable) { p.trainable = t }
        }
        let parallel = cluster.size > 1
        if parallel {
            let c = cluster
            for l in encoder.core.layers { (l as? BatchNorm2D)?.crossReplicaSum = { c.allreduceSum(&$0) } }
        }
        defer { for l in encoder.core.layers { (l as? BatchNorm2D)?.crossReplicaSum = nil } }
        let allParameters = encoder.parameters
        let trainable = allParameters.filter { $0.trainable }
        var gradientBuffer = [Float]()
        if state.epoch == 0 && state.stepStart == 0 { encoder.initialiseBias(meanRates: nullRates) }
        var timePerEpoch: [Double] = []
        // The activation penalty applies to the first block's activation.
        let firstAct = encoder.architecture.coreIndex(of: .activation(block: 1))
        // Epoch e (1-based) is shuffled by stream 1000 + e of the seed: same seed, same epoch →
        // same batches, whether resumed or not.
        let sampler = MinibatchSampler(trials: data.trainTrials, stimulusIndex: data.stimulusIndex, grouping: options.grouping,
                                       batchSize: options.batchSize, seed: options.seed, streamOffset: 1000)
        while state.epoch < options.epochs && state.badEpochs < options.patience {
            if agreeToStop() {
                throw EncodingError.interrupted(epoch: state.epoch, step: 0, steps: 0, checkpoint: nil)
            }
            let t0 = Date()
            let epoch = state.epoch + 1
            let batches = sampler.groupBatches(epoch: epoch)
            // A run interrupted mid-epoch continues with the step after the last one it took.
            var lossSum = state.partialLoss
            var trialCount = state.partialTrials
            // A checkpoint stores the position as a count of groups (whole batches of them).
            var next = state.stepStart / options.batchSize
            state.stepStart = 0; state.partialLoss = 0; state.partialTrials = 0
            var dMean = Tensor(shape: [0]), dRows = Tensor(shape: [0])
            // A step's batches are written into the last step's storage (no allocation per step):
            // the encoder lets go of its saved tensors after each step (`releaseSaved`).
            let stimulusStorage = ReusableStorage(), responseStorage = ReusableStorage(), trialMeanStorage = ReusableStorage()
            var trials: [Int] = [], rowOf: [Int] = [], rowStimuli: [Int] = []
            let activityGradientStorage = ReusableStorage()
            while next < batches.count {
                let whole = batches[next]
                next += 1
                // Batch-norm needs more than one value per channel in training mode.
                if whole.count < 2 { continue }
                // Across ranks: this rank's contiguous share of the batch's groups (every rank needs
                // at least one: a last batch with fewer groups than ranks is skipped on all of them).
                if parallel && whole.count < cluster.size { continue }
                let share = cluster.share(of: whole.count)
                let batch = whole[(whole.startIndex + share.lowerBound)..<(whole.startIndex + share.upperBound)]
                let wholeTrials = parallel ? whole.reduce(0) { $0 + $1.count } : 0
                // One network row per group (a stimulus, or a single trial); each trial points at its row.
                trials.removeAll(keepingCapacity: true); rowOf.removeAll(keepingCapacity: true)
                rowStimuli.removeAll(keepingCapacity: true)
                for g in batch {
                    for t in g { trials.append(t); rowOf.append(rowStimuli.count) }
                    rowStimuli.append(data.stimulusIndex[g[0]])
                }
                let b = trials.count, rows = rowStimuli.count
                let bStep = parallel ? wholeTrials : b
                let x = try data.stimuli.stimuli(rowStimuli, into: stimulusStorage)
                let y = data.responses(of: trials, into: responseStorage)
                let muRows = encoder.forward(x, training: true)
                let mu = rows == b ? muRows : muRows.gather(rowOf, into: trialMeanStorage)
                dMean.resize([b, u])
                let nll = y.data.withUnsafeBufferPointer { yp in mu.data.withUnsafeBufferPointer { mp in dMean.data.withUnsafeMutableBufferPointer { dp in
                    observation.lossAndGradient(y: yp.baseAddress!, mean: mp.baseAddress!, dMean: dp.baseAddress!, count: b, units: u)
                } } }
                dMean.scale(by: 1 / Float(bStep))
                if rows != b {
                    // Trials of one stimulus share its row: their gradients add up.
                    dRows.resize([rows, u]); dRows.fill(0)
                    for (k, r) in rowOf.enumerated() { for j in 0..<u { dRows[r, j] += dMean[k, j] } }
                }
                var loss = nll / Double(bStep)
                for p in allParameters { p.zeroGrad() }
                var actPenalty = 0.0
                encoder.backward(rows == b ? dMean : dRows, inputGradient: false) { i, out in
                    guard self.options.activationL1 != 0, i == firstAct else { return nil }
                    // Mean over the whole batch's images: a rank's share divides by the whole count,
                    // and the allreduce below adds the shares' values and gradients.
                    let (v, g) = Regularizer.activationL1(out, strength: self.options.activationL1, batchRows: whole.count,
                                                             into: activityGradientStorage)
                    actPenalty = v
                    return g
                }
                loss += actPenalty
                if parallel {
                    // Sum the shares' gradients and log-likelihoods: the whole batch's gradient.
                    // Penalties on the parameters (below) are added once, after the sum.
                    gradientBuffer.removeAll(keepingCapacity: true)
                    for p in trainable { gradientBuffer.append(contentsOf: p.grad.data) }
                    var lossBuffer = [loss]
                    cluster.allreduceSum(&gradientBuffer)
                    cluster.allreduceSum(&lossBuffer)
                    loss = lossBuffer[0]
                    var k = 0
                    for p in trainable {
                        let n = p.grad.count
                        p.grad.data.withUnsafeMutableBufferPointer { g in
                            gradientBuffer.withUnsafeBufferPointer { src in g.baseAddress!.update(from: src.baseAddress! + k, count: n) }
                        }
                        k += n
                    }
                }
                if let conv1 = encoder.firstConv { loss += Regularizer.laplace(conv1.weight, strength: options.laplace, padding: options.laplaceForm) }
                if let fr = encoder.readout as? FactorizedReadout {
                    loss += Regularizer.l1(fr.mask, strength: options.maskL1)
                    loss += Regularizer.l1(fr.features, strength: options.featureL1 ?? 0)
                }
                guard loss.isFinite else {
                    throw EncodingError.nonFiniteLoss(epoch: epoch, checkpoint: nil)
                }
                optimizer.step(allParameters)
                encoder.releaseSaved()
                lossSum += loss * Double(bStep)
                trialCount += bStep
                if next < batches.count, agreeToStop() {
                    var s = state
                    s.stepStart = next * options.batchSize; s.partialLoss = lossSum; s.partialTrials = trialCount
                    s.optimizerState = optimizer.stateTensors()
                    s.schedulerState = scheduler.stateValues()
                    try checkpointHandler?(s)
                    throw EncodingError.interrupted(epoch: epoch, step: next, steps: batches.count, checkpoint: nil)
                }
            }
            // Per-unit variance / dispersion follow the current weights (they shape the gradient).
            if observation.kind != .poisson { try data.refitNuisance(&observation, encoder: encoder, cluster: cluster) }
            let (vll, vbits) = try validationScore(nullRates: nullRates)
            guard vll.isFinite else { throw EncodingError.nonFiniteLoss(epoch: epoch, checkpoint: nil) }
            // Improvement is judged on the summed validation log-likelihood (as the peer does).
            let vsum = vll * Double(data.validationTrials.count * u)
            let improved = vsum > state.bestValidationSum + options.improvementThreshold
            if improved {
                state.bestValidationSum = vsum
                state.bestEpoch = epoch
                state.badEpochs = 0
                state.bestParameters = snapshot()
            } else {
                state.badEpochs += 1
            }
            let rateBefore = optimizer.learningRate
            scheduler.step(metric: vsum, optimizer: optimizer)
            if options.restoreBestOnDecay == true, optimizer.learningRate < rateBefore, let best = state.bestParameters {
                restore(best)
            }
            let seconds = Date().timeIntervalSince(t0)
            timePerEpoch.append(seconds)
            let record = EpochRecord(epoch: epoch, trainLoss: lossSum / Double(max(trialCount, 1)), validationLL: vll,
                                     validationBitsPerSpike: vbits, learningRate: optimizer.learningRate, seconds: seconds)
            state.history.append(record)
            state.epoch = epoch
            state.optimizerState = optimizer.stateTensors()
            state.schedulerState = scheduler.stateValues()
            let meanT = timePerEpoch.reduce(0, +) / Double(timePerEpoch.count)
            observer?.epochFinished(record, of: options.epochs, best: state.bestEpoch,
                                    etaSeconds: meanT * Double(max(0, options.epochs - epoch)))
            try checkpointHandler?(state)
        }
        if let best = state.bestParameters { restore(best) }
        return state.history
    }

    /// Whether to stop now: the stop request of any rank stops every rank at the same step.
    private func agreeToStop() -> Bool {
        let mine = stopRequested?() == true
        guard cluster.size > 1 else { return mine }
        var flag: [Double] = [mine ? 1 : 0]
        cluster.allreduceSum(&flag)
        return flag[0] > 0
    }

    /// Mean validation log-likelihood per observation (one unit on one trial; nats) and bits/spike.
    public func validationScore(nullRates: [Float]) throws -> (Double, Double) {
        let trials = data.validationTrials
        guard !trials.isEmpty else { return (0, 0) }
        let u = data.units
        let mu = try encoder.predictTrials(data.stimuli, stimulusIndex: data.stimulusIndex, trials: trials, cluster: cluster)
        var ll = 0.0, llNull = 0.0, spikes = 0.0
        for (k, t) in trials.enumerated() {
            for j in 0..<u {
                let y = Double(data.responses[t, j])
                ll += observation.logLikelihood(y: y, mean: mu[k, j], unit: j)
                llNull += observation.logLikelihood(y: y, mean: Double(nullRates[j]), unit: j)
                spikes += y
            }
        }
        let bits = spikes > 0 ? (ll - llNull) / (spikes * Foundation.log(2.0)) : 0
        return (ll / Double(trials.count * u), bits)
    }

    /// Copies of every parameter and batch-norm state, keyed "<layer>/<name>".
    public func snapshot() -> [String: Tensor] {
        var s: [String: Tensor] = [:]
        for (layer, p) in encoder.namedParameters { s["params/\(layer)/\(p.localName)"] = p.value }
        for l in encoder.core.layers { for (k, v) in l.state { s["state/\(l.name)/\(k)"] = v } }
        return s
    }

    public func restore(_ s: [String: Tensor]) {
        for (layer, p) in encoder.namedParameters { if let v = s["params/\(layer)/\(p.localName)"] { p.value = v } }
        for l in encoder.core.layers { for k in l.state.keys { if let v = s["state/\(l.name)/\(k)"] { l.state[k] = v } } }
    }
}

/// Everything needed to continue training exactly where it stopped.
public struct TrainingState {
    public var epoch = 0
    public var bestEpoch = 0
    public var bestValidationSum = -Double.infinity
    public var badEpochs = 0
    public var history: [EpochRecord] = []
    public var bestParameters: [String: Tensor]? = nil
    public var optimizerState: [String: Tensor] = [:]
    public var schedulerState: [String: Double] = [:]
    /// Mid-epoch checkpoints (an interrupted run): the next group of epoch `epoch + 1` to train on,
    /// and the loss and trial sums of the steps already taken in it. 0 at epoch boundaries.
    public var stepStart = 0
    public var partialLoss = 0.0
    public var partialTrials = 0
    public init() {}
}
