// Learning-rate schedules, stepped once per epoch, with the semantics of torch.optim.lr_scheduler.
// A schedule changes `Optimizer.learningRate`; its own state (counters, best metric) exports as
// named doubles for checkpoints so that a resumed run takes the same decisions.
import Foundation

/// A rule that changes an optimiser's learning rate once per epoch.
public protocol LearningRateSchedule: AnyObject {
    /// Called once at the end of every epoch with that epoch's validation metric (schedules that do
    /// not use a metric ignore it).
    func step(metric: Double, optimizer: Optimizer)
    /// Counters and values needed to resume (named doubles; integers are exact).
    func stateValues() -> [String: Double]
    /// Restores a state exported by `stateValues()` of a schedule of the same kind.
    /// Throws `ScheduleStateError` on a missing, unexpected or invalid entry.
    func loadState(_ values: [String: Double]) throws
}

/// A schedule option outside its valid range.
public struct ScheduleConfigurationError: Error, CustomStringConvertible, Equatable {
    public let schedule: String
    public let option: String
    public let value: Double
    public let requirement: String
    public var description: String { "\(schedule): \(option) = \(value) is invalid; it must be \(requirement)" }
}

/// A checkpoint's schedule state that does not fit the schedule.
public enum ScheduleStateError: Error, CustomStringConvertible, Equatable {
    case missing(schedule: String, key: String)
    case unexpected(schedule: String, key: String)
    case invalidValue(schedule: String, key: String, value: Double, requirement: String)
    public var description: String {
        switch self {
        case .missing(let s, let k): return "\(s) state: entry '\(k)' is missing from the checkpoint"
        case .unexpected(let s, let k): return "\(s) state: entry '\(k)' does not belong to this schedule"
        case .invalidValue(let s, let k, let v, let r): return "\(s) state: entry '\(k)' = \(v) is invalid; it must be \(r)"
        }
    }
}

private func checkOption(_ ok: Bool, _ schedule: String, _ option: String, _ value: Double, _ requirement: String) throws {
    if !ok { throw ScheduleConfigurationError(schedule: schedule, option: option, value: value, requirement: requirement) }
}

/// Reads the named entries of a schedule state, rejecting extra ones.
private func readValues(_ values: [String: Double], keys: [String], schedule: String) throws -> [Double] {
    for k in values.keys.sorted() where !keys.contains(k) { throw ScheduleStateError.unexpected(schedule: schedule, key: k) }
    return try keys.map { k in
        guard let v = values[k] else { throw ScheduleStateError.missing(schedule: schedule, key: k) }
        return v
    }
}

private func readCounter(_ v: Double, key: String, schedule: String) throws -> Int {
    guard v.isFinite, v >= 0, v == v.rounded(), v < 9.0e15 else {
        throw ScheduleStateError.invalidValue(schedule: schedule, key: key, value: v, requirement: "a non-negative integer")
    }
    return Int(v)
}

/// Multiplies the learning rate by `gamma` every `stepSize` epochs (torch.optim.lr_scheduler.StepLR,
/// chainable form: at epoch e > 0 with e mod stepSize = 0, η ← γ·η, computed in double precision).
public final class StepLR: LearningRateSchedule {
    public let stepSize: Int
    public let gamma: Double
    /// Number of `step` calls so far (torch's `last_epoch`).
    public private(set) var epoch = 0

    /// Throws `ScheduleConfigurationError` when stepSize < 1 or gamma is not finite and positive.
    public init(stepSize: Int, gamma: Double = 0.1) throws {
        try checkOption(stepSize >= 1, "StepLR", "step size", Double(stepSize), "≥ 1")
        try checkOption(gamma.isFinite && gamma > 0, "StepLR", "gamma", gamma, "finite and > 0")
        self.stepSize = stepSize
        self.gamma = gamma
    }

    /// One epoch has ended.
    public func step(optimizer: Optimizer) {
        epoch += 1
        if epoch % stepSize == 0 {
            optimizer.learningRate = Float(Double(optimizer.learningRate) * gamma)
        }
    }

    public func step(metric: Double, optimizer: Optimizer) { step(optimizer: optimizer) }

    public func stateValues() -> [String: Double] { ["epoch": Double(epoch)] }

    public func loadState(_ values: [String: Double]) throws {
        let v = try readValues(values, keys: ["epoch"], schedule: "StepLR")
        epoch = try readCounter(v[0], key: "epoch", schedule: "StepLR")
    }
}

/// Reduces the learning rate by `factor` when a metric has stopped improving for more than
/// `patience` epochs (torch.optim.lr_scheduler.ReduceLROnPlateau):
///
/// - better (rel): min mode `a < best·(1 − threshold)`, max mode `a > best·(1 + threshold)`;
///   (abs): `a < best − threshold` / `a > best + threshold`. A NaN metric is never better.
/// - each epoch that is not better increments the bad-epoch count; during cooldown the cooldown
///   counter decrements and bad epochs are ignored;
/// - when bad epochs exceed `patience`: η ← max(η·factor, minLR) (only if that lowers η by more
///   than `eps`), then cooldown restarts and the bad-epoch count resets.
public final class ReduceLROnPlateau: LearningRateSchedule {
    /// Whether smaller (validation loss) or larger (validation log-likelihood) metrics are better.
    public enum Mode: String, Sendable, CaseIterable { case min, max }
    /// Whether `threshold` is relative to the best value or an absolute margin.
    public enum ThresholdMode: String, Sendable, CaseIterable { case rel, abs }

    public let mode: Mode
    public let factor: Double
    public let patience: Int
    public let threshold: Double
    public let thresholdMode: ThresholdMode
    public let cooldown: Int
    public let minLearningRate: Double
    public let eps: Double

    /// Best metric so far (+∞ in min mode, −∞ in max mode before the first step).
    public private(set) var best: Double
    public private(set) var badEpochs = 0
    public private(set) var cooldownCounter = 0
    /// Number of `step` calls so far (torch's `last_epoch`).
    public private(set) var epoch = 0

    /// Defaults are torch's. Throws `ScheduleConfigurationError` when factor is not in (0, 1),
    /// patience or cooldown is negative, or threshold, minLR or eps is negative or not finite.
    public init(mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
                thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minLR: Double = 0, eps: Double = 1e-8) throws {
        let name = "ReduceLROnPlateau"
        try checkOption(factor > 0 && factor < 1, name, "factor", factor, "in (0, 1)")
        try checkOption(patience >= 0, name, "patience", Double(patience), "≥ 0")
        try checkOption(threshold.isFinite && threshold >= 0, name, "threshold", threshold, "finite and ≥ 0")
        try checkOption(cooldown >= 0, name, "cooldown", Double(cooldown), "≥ 0")
        try checkOption(minLR.isFinite && minLR >= 0, name, "minimum learning rate", minLR, "finite and ≥ 0")
        try checkOption(eps.isFinite && eps >= 0, name, "eps", eps, "finite and ≥ 0")
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.minLearningRate = minLR
        self.eps = eps
        self.best = mode == .min ? .infinity : -.infinity
    }

    /// Whether `a` improves on `best` by the threshold.
    public func isBetter(_ a: Double, than best: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): return a < best * (1 - threshold)
        case (.min, .abs): return a < best - threshold
        case (.max, .rel): return a > best * (threshold + 1)
        case (.max, .abs): return a > best + threshold
        }
    }

    public var inCooldown: Bool { cooldownCounter > 0 }

    public func step(metric: Double, optimizer: Optimizer) {
        epoch += 1
        if isBetter(metric, than: best) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if inCooldown {
            cooldownCounter -= 1
            badEpochs = 0   // bad epochs during cooldown are ignored
        }
        if badEpochs > patience {
            let old = Double(optimizer.learningRate)
            let new = Swift.max(old * factor, minLearningRate)
            if old - new > eps { optimizer.learningRate = Float(new) }
            cooldownCounter = cooldown
            badEpochs = 0
        }
    }

    public func stateValues() -> [String: Double] {
        ["best": best, "bad_epochs": Double(badEpochs), "cooldown_counter": Double(cooldownCounter), "epoch": Double(epoch)]
    }

    public func loadState(_ values: [String: Double]) throws {
        let name = "ReduceLROnPlateau"
        let v = try readValues(values, keys: ["best", "bad_epochs", "cooldown_counter", "epoch"], schedule: name)
        guard !v[0].isNaN else {
            throw ScheduleStateError.invalidValue(schedule: name, key: "best", value: v[0], requirement: "a number or ±infinity")
        }
        let bad = try readCounter(v[1], key: "bad_epochs", schedule: name)
        let cool = try readCounter(v[2], key: "cooldown_counter", schedule: name)
        let e = try readCounter(v[3], key: "epoch", schedule: name)
        best = v[0]; badEpochs = bad; cooldownCounter = cool; epoch = e
    }
}
