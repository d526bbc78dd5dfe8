// Restarts: a non-convex CNN fit depends on its initialisation (and batch order). The usual remedy
// is to fit from several seeds and keep the fit with the best *validation* log-likelihood — never
// the test split, never a score computed from the ground truth. Each restart is a whole, ordinary
// fit: restart i uses the training seed `base + i`, so restart 0 is the plain fit with `base`, and
// a kept model is bit for bit the plain fit with its seed (RestartTests). On a file without a
// validation split, every restart holds out the same stimuli (drawn with `base`; otherwise the
// validation likelihoods would be measured on different stimuli and not comparable); the kept model
// then equals the plain fit with its seed and `validationSeed` = base.
import Foundation
import NeuralData
import Cluster

/// What a fit with restarts did: every restart's seed and its best validation log-likelihood per
/// observation (nats, the epoch early stopping kept), and which restart was kept.
public struct RestartRecord: Codable, Equatable, Sendable {
    /// Training seed of each restart, in the order they ran.
    public var seeds: [UInt64]
    /// Validation LL/obs of each restart at its kept epoch (higher is better; NaN never wins).
    public var validationLL: [Double]
    /// Index into `seeds` of the restart whose model was kept.
    public var kept: Int

    public init(seeds: [UInt64], validationLL: [Double], kept: Int) {
        self.seeds = seeds; self.validationLL = validationLL; self.kept = kept
    }

    /// The seeds of `count` restarts from `base`: base, base+1, … (wrapping).
    public static func seeds(base: UInt64, count: Int) -> [UInt64] {
        (0..<max(count, 0)).map { base &+ UInt64($0) }
    }

    /// Index of the best validation LL (the first on ties; NaN is never best). Nil if all are NaN.
    public static func best(of validationLL: [Double]) -> Int? {
        var best: Int?
        for (i, v) in validationLL.enumerated() where !v.isNaN {
            if best == nil || v > validationLL[best!] { best = i }
        }
        return best
    }
}

extension EncodingModel {
    /// Fits a CNN `count` times, restart i with training seed `training.seed + i`, and returns the
    /// estimator holding the fit with the best validation LL/obs; its configuration records every
    /// restart (`ModelConfig.restarts`). `count` = 1 is exactly `fit` (and records nothing).
    /// `willStart(i, seed)` is called before restart i and may return that restart's progress
    /// observer; `finished(i, seed, validationLL)` after it. Checkpoints and resuming belong to a
    /// single fit: `options.checkpointPath` and `options.resume` must be unset when `count` > 1.
    public static func fitWithRestarts(cnn architecture: EncoderArchitecture, training: TrainingOptions,
                                       pretrainedCore: PretrainedCore? = nil, count: Int,
                                       dataset: Dataset, preprocessing: Preprocessing,
                                       options: EncodingFitOptions = EncodingFitOptions(),
                                       willStart: ((Int, UInt64) -> TrainingObserver?)? = nil,
                                       finished: ((Int, UInt64, Double) -> Void)? = nil) throws -> EncodingModel {
        guard count >= 1 else { throw EncodingError.invalidOption(option: .restarts, reason: "must be at least 1, got \(count)") }
        if count > 1, options.resume || options.checkpointPath != nil {
            throw EncodingError.invalidOption(option: .restarts, reason: "checkpoints and resuming apply to a single fit, not to \(count) restarts")
        }
        let seeds = RestartRecord.seeds(base: training.seed, count: count)
        var best: FittedModel?
        var lls: [Double] = []
        for (i, seed) in seeds.enumerated() {
            var t = training
            t.seed = seed
            var o = options
            if count > 1 && o.validationSeed == nil { o.validationSeed = training.seed }   // one held-out draw for all restarts
            if let w = willStart { o.observer = w(i, seed) }
            let m = try EncodingModel(cnn: architecture, training: t, pretrainedCore: pretrainedCore)
                .fit(dataset, preprocessing: preprocessing, options: o)
            let ll = m.history.first { $0.epoch == m.config.bestEpoch }?.validationLL ?? .nan
            lls.append(ll)
            finished?(i, seed, ll)
            if RestartRecord.best(of: lls) == i { best = m }   // keep only the current best in memory
        }
        guard let kept = best, let k = RestartRecord.best(of: lls) else {
            throw EncodingError.incompatibleData(reason: "\(dataset.file): no restart reached a finite validation log-likelihood")
        }
        if count > 1 { kept.config.restarts = RestartRecord(seeds: seeds, validationLL: lls, kept: k) }
        return EncodingModel(kept)
    }
}
