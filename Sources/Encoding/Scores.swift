// Held-out scores of an encoding model (DESIGN §5), per unit and summarised.
//
// Inputs: predicted means μ [T, U] and observed responses y [T, U] (row-major, one row per test
// trial), the stimulus of each trial [T] (repeats share an index), the observation model the
// predictions are scored under, and each unit's training-mean response m̄_u [U] (the null model).
//
// Notes (per unit u; sums over the T test trials)
//   ll_per_trial   = (1/T) Σ log p(y | μ)                       full log-likelihood, nats
//   bits_per_spike = (LL_model − LL_null) / (Σ y · ln 2),  LL_null = Σ log p(y | m̄_u) under the
//                    same family (nuisance parameters: `nullModel` if given, else the model's);
//                    count models only (nil for gaussian) and nil for a unit with no spikes
//   pseudo_r2      = 1 − D_model / D_null, deviances under `model` with means μ and m̄_u
//                    (gaussian: 1 − SSE/SS_null); nil when D_null = 0
//   corr           = Pearson r over test stimuli between the mean prediction per stimulus and
//                    the repeat-averaged response; nil with < 2 stimuli or a constant side
//   feve           = 1 − (MSE − σ²_noise) / (Var(y) − σ²_noise)          (Cadena et al. 2019)
//                    MSE = (1/T) Σ (y − μ)², Var(y) over all trials (ddof 1), σ²_noise = mean over
//                    stimuli with ≥ 2 repeats of the across-repeat variance (ddof 1), as
//                    neuralpredictors' `fev`; nil without repeats or when Var(y) ≤ σ²_noise
//   pit_ks         = KS distance of the (randomised) PIT values from Uniform(0, 1) (Calibration)
// Summaries (mean, median) are over the units where the value is defined; nil when none is.
import Foundation
import Tensors

/// One metric: summary over units and the per-unit values (nil where undefined).
/// JSON: `{"mean": …, "median": …, "per_unit": [… or null]}` (null for undefined values).
public struct ScoreSummary: Codable, Equatable, Sendable {
    public var mean: Double?
    public var median: Double?
    public var perUnit: [Double?]

    public init(perUnit: [Double?]) {
        self.perUnit = perUnit.map { v in v.flatMap { $0.isFinite ? $0 : nil } }
        let defined = self.perUnit.compactMap { $0 }.sorted()
        if defined.isEmpty {
            mean = nil; median = nil
        } else {
            mean = defined.reduce(0, +) / Double(defined.count)
            let h = defined.count / 2
            median = defined.count % 2 == 1 ? defined[h] : 0.5 * (defined[h - 1] + defined[h])
        }
    }

    enum CodingKeys: String, CodingKey { case mean, median, perUnit = "per_unit" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mean = try c.decodeIfPresent(Double.self, forKey: .mean)
        median = try c.decodeIfPresent(Double.self, forKey: .median)
        perUnit = try c.decode([Double?].self, forKey: .perUnit)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        // Explicit nulls: every summary object always has all three keys.
        if let m = mean { try c.encode(m, forKey: .mean) } else { try c.encodeNil(forKey: .mean) }
        if let m = median { try c.encode(m, forKey: .median) } else { try c.encodeNil(forKey: .median) }
        try c.encode(perUnit, forKey: .perUnit)
    }
}

/// Held-out scores of one model on one test set.
public struct ScoreReport: Codable, Equatable, Sendable {
    public var llPerTrial: ScoreSummary
    public var bitsPerSpike: ScoreSummary
    public var pseudoR2: ScoreSummary
    public var corr: ScoreSummary
    public var feve: ScoreSummary
    public var pitKS: ScoreSummary
    /// Fractions of all PIT values (pooled over units and trials) in 10 equal bins of [0, 1].
    public var pitHistogram: [Double]
    /// Observation model name (`ObservationKind` raw value).
    public var observationModel: String
    /// True when the log-likelihoods are quasi-likelihood values (quasi-Poisson).
    public var quasiLikelihood: Bool
    public var trials: Int
    public var units: Int
    /// Distinct test stimuli.
    public var stimuli: Int
    /// Bits per spike pooled over units: Σ_u (LL_u − LL_null,u) / (Σ_u n_spikes,u · ln 2) — the
    /// figure the PyTorch peer prints; nil for non-count models.
    public var bitsPerSpikePooled: Double? = nil
    /// Log-likelihood per trial summed over units (nats), as the peer reports it.
    public var llPerTrialSummedOverUnits: Double? = nil

    enum CodingKeys: String, CodingKey {
        case llPerTrial = "ll_per_trial", bitsPerSpike = "bits_per_spike", pseudoR2 = "pseudo_r2", corr, feve
        case pitKS = "pit_ks", pitHistogram = "pit_histogram", observationModel = "observation_model"
        case quasiLikelihood = "quasi_likelihood", trials, units, stimuli
        case bitsPerSpikePooled = "bits_per_spike_pooled", llPerTrialSummedOverUnits = "ll_per_trial_summed_over_units"
    }
}

public enum ScoreError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(what: String, expected: Int, got: Int)
    case empty
    case nonFinite(what: String, index: Int)
    case unitsMismatch(model: Int, data: Int)

    public var description: String {
        switch self {
        case .shapeMismatch(let w, let e, let g): return "scores: \(w) has \(g) values, expected \(e)"
        case .empty: return "scores: the test set has no trials or no units"
        case .nonFinite(let w, let i): return "scores: \(w) has a non-finite value at index \(i)"
        case .unitsMismatch(let m, let d): return "scores: the observation model has parameters for \(m) units, the data have \(d)"
        }
    }
}

public enum Scores {
    /// Scores predictions on a test set (see the file header for the definitions).
    /// - Parameters:
    ///   - predicted: μ [T, U] row-major (response units, e.g. spikes per bin).
    ///   - observed: y [T, U] row-major.
    ///   - stimulusIndex: [T] stimulus id of each trial (repeats share an id).
    ///   - units: U.
    ///   - model: observation model with fitted nuisance parameters.
    ///   - trainingMean: [U] training-mean response per unit (the null model's prediction).
    ///   - nullModel: observation model for the null (e.g. a negative binomial whose dispersion
    ///     was fitted to the training mean); the model itself when nil.
    ///   - seed: seed of the PIT randomisation (unit u uses stream u).
    public static func evaluate(predicted: [Double], observed: [Double], stimulusIndex: [Int], units: Int,
                                model: any ObservationModel, trainingMean: [Double],
                                nullModel: (any ObservationModel)? = nil, seed: UInt64 = 0) throws -> ScoreReport {
        try evaluateUnits(predicted: predicted, observed: observed, stimulusIndex: stimulusIndex, units: units, model: model,
                          trainingMean: trainingMean, nullModel: nullModel, seed: seed).report()
    }

    /// The per-unit values of `evaluate` (the report is `UnitScores.report()`); `firstUnit`: the
    /// file's index of unit 0 here (an MPI rank's share of the units), which picks the PIT streams.
    public static func evaluateUnits(predicted: [Double], observed: [Double], stimulusIndex: [Int], units: Int,
                                     model: any ObservationModel, trainingMean: [Double],
                                     nullModel: (any ObservationModel)? = nil, seed: UInt64 = 0, firstUnit: Int = 0) throws -> UnitScores {
        guard units > 0, !stimulusIndex.isEmpty else { throw ScoreError.empty }
        let T = stimulusIndex.count, U = units
        guard predicted.count == T * U else { throw ScoreError.shapeMismatch(what: "predicted", expected: T * U, got: predicted.count) }
        guard observed.count == T * U else { throw ScoreError.shapeMismatch(what: "observed", expected: T * U, got: observed.count) }
        guard trainingMean.count == U else { throw ScoreError.shapeMismatch(what: "training mean", expected: U, got: trainingMean.count) }
        if model.unitCount != 0 && model.unitCount != U { throw ScoreError.unitsMismatch(model: model.unitCount, data: U) }
        let nullModel = nullModel ?? model
        if nullModel.unitCount != 0 && nullModel.unitCount != U { throw ScoreError.unitsMismatch(model: nullModel.unitCount, data: U) }
        for i in 0..<(T * U) {
            guard predicted[i].isFinite else { throw ScoreError.nonFinite(what: "predicted", index: i) }
            guard observed[i].isFinite else { throw ScoreError.nonFinite(what: "observed", index: i) }
        }
        for u in 0..<U where !trainingMean[u].isFinite { throw ScoreError.nonFinite(what: "training mean", index: u) }

        // Trials grouped by stimulus, in order of first appearance.
        var groupOf: [Int: Int] = [:]
        var groups: [[Int]] = []
        for (t, s) in stimulusIndex.enumerated() {
            if let g = groupOf[s] { groups[g].append(t) } else { groupOf[s] = groups.count; groups.append([t]) }
        }

        var ll = [Double?](), bits = [Double?](), r2 = [Double?](), corr = [Double?](), feve = [Double?](), ks = [Double?]()
        var llModels = [Double](), llNulls = [Double](), spikeCounts = [Double](), pitCounts = [Double]()
        var y = [Double](repeating: 0, count: T), mu = [Double](repeating: 0, count: T)
        var pit = [Double](repeating: 0, count: T)
        for u in 0..<U {
            for t in 0..<T { y[t] = observed[t * U + u]; mu[t] = predicted[t * U + u] }
            let nullMean = trainingMean[u]
            var llModel = 0.0, llNull = 0.0, devModel = 0.0, devNull = 0.0, spikes = 0.0
            for t in 0..<T {
                llModel += model.logLikelihood(y: y[t], mean: mu[t], unit: u)
                llNull += nullModel.logLikelihood(y: y[t], mean: nullMean, unit: u)
                devModel += model.deviance(y: y[t], mean: mu[t], unit: u)
                devNull += model.deviance(y: y[t], mean: nullMean, unit: u)
                spikes += y[t]
            }
            ll.append(llModel / Double(T))
            llModels.append(llModel); llNulls.append(llNull); spikeCounts.append(spikes)
            bits.append(model.isDiscrete && spikes > 0 ? (llModel - llNull) / (spikes * Foundation.log(2.0)) : nil)
            r2.append(devNull > 0 ? 1 - devModel / devNull : nil)
            corr.append(stimulusCorrelation(y: y, mu: mu, groups: groups))
            feve.append(fractionOfExplainableVarianceExplained(y: y, mu: mu, groups: groups))
            var rng = SeededRandom.derived(seed: seed, stream: UInt64(firstUnit + u))
            for t in 0..<T { pit[t] = Calibration.pit(y: y[t], mean: mu[t], unit: u, model: model, rng: &rng) }
            ks.append(Calibration.ksDistanceFromUniform(pit))
            // PIT counts per bin; the pooled histogram sums them.
            pitCounts += Calibration.binCounts(pit, bins: UnitScores.pitBins)
        }
        return UnitScores(values: [ll, bits, r2, corr, feve, ks], llModel: llModels, llNull: llNulls, spikes: spikeCounts,
                          pitCounts: pitCounts, trials: T, stimuli: groups.count, observationModel: model.name,
                          isDiscrete: model.isDiscrete, quasiLikelihood: model.isQuasi)
    }

    /// Pearson r over stimuli between mean prediction and repeat-averaged response. y, mu: [T].
    static func stimulusCorrelation(y: [Double], mu: [Double], groups: [[Int]]) -> Double? {
        guard groups.count >= 2 else { return nil }
        var a = [Double](), b = [Double]()
        for g in groups {
            var sy = 0.0, sm = 0.0
            for t in g { sy += y[t]; sm += mu[t] }
            a.append(sm / Double(g.count)); b.append(sy / Double(g.count))
        }
        return pearson(a, b)
    }

    /// Pearson correlation; nil when either side is constant.
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double? {
        precondition(a.count == b.count)
        let n = Double(a.count)
        guard a.count >= 2 else { return nil }
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<a.count {
            let da = a[i] - ma, db = b[i] - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        guard saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }

    /// FEVE (see the file header). y, mu: [T].
    static func fractionOfExplainableVarianceExplained(y: [Double], mu: [Double], groups: [[Int]]) -> Double? {
        let T = y.count
        guard T >= 2 else { return nil }
        var noise = 0.0, repeated = 0
        for g in groups where g.count >= 2 {
            var m = 0.0
            for t in g { m += y[t] }
            m /= Double(g.count)
            var v = 0.0
            for t in g { v += (y[t] - m) * (y[t] - m) }
            noise += v / Double(g.count - 1)
            repeated += 1
        }
        guard repeated > 0 else { return nil }
        noise /= Double(repeated)
        let mean = y.reduce(0, +) / Double(T)
        var total = 0.0, mse = 0.0
        for t in 0..<T {
            total += (y[t] - mean) * (y[t] - mean)
            mse += (y[t] - mu[t]) * (y[t] - mu[t])
        }
        total /= Double(T - 1)
        mse /= Double(T)
        guard total - noise > 0 else { return nil }
        return 1 - (mse - noise) / (total - noise)
    }
}

/// Per-unit scores before summarising (`Scores.evaluateUnits`): what an MPI rank computes for its
/// units and sends (`packed`, 19 doubles per unit), and what rank 0 summarises (`report`). The
/// pooled figures are sums over units of the per-unit sums, taken in unit order, and the PIT
/// histogram sums per-unit bin counts, so the report equals the one-process report bit for bit.
public struct UnitScores: Sendable {
    public static let pitBins = 10
    /// ll per trial, bits/spike, pseudo-R², corr, FEVE, PIT KS: [6][U].
    public var values: [[Double?]]
    /// [U] the summed log-likelihoods of the model and the null model, the summed responses.
    public var llModel: [Double], llNull: [Double], spikes: [Double]
    /// [U, pitBins] PIT values per bin.
    public var pitCounts: [Double]
    public var trials: Int, stimuli: Int
    public var observationModel: String, isDiscrete: Bool, quasiLikelihood: Bool

    public var units: Int { llModel.count }
    public static let perUnit = 6 + 3 + pitBins

    /// Unit-major [U, 19]: the six scores (nil as NaN; ScoreSummary treats non-finite as undefined),
    /// llModel, llNull, spikes, the PIT bin counts.
    public func packed() -> [Double] {
        var out = [Double](); out.reserveCapacity(units * Self.perUnit)
        for u in 0..<units {
            for v in values { out.append(v[u] ?? .nan) }
            out.append(llModel[u]); out.append(llNull[u]); out.append(spikes[u])
            out += pitCounts[(u * Self.pitBins)..<((u + 1) * Self.pitBins)]
        }
        return out
    }

    /// The units of `packed` values gathered in unit order (the scalars from any rank's share).
    public func unpacking(_ all: [Double]) -> UnitScores {
        let k = Self.perUnit, u = all.count / k
        var r = self
        r.values = (0..<6).map { c in (0..<u).map { j in let x = all[j * k + c]; return x.isNaN ? nil : x } }
        r.llModel = (0..<u).map { all[$0 * k + 6] }; r.llNull = (0..<u).map { all[$0 * k + 7] }; r.spikes = (0..<u).map { all[$0 * k + 8] }
        r.pitCounts = (0..<u).flatMap { all[($0 * k + 9)..<($0 * k + k)] }
        return r
    }

    public func report() -> ScoreReport {
        let U = units, T = trials
        var hist = [Double](repeating: 0, count: Self.pitBins)
        for u in 0..<U { for b in 0..<Self.pitBins { hist[b] += pitCounts[u * Self.pitBins + b] } }
        let n = T * U
        var report = ScoreReport(llPerTrial: ScoreSummary(perUnit: values[0]), bitsPerSpike: ScoreSummary(perUnit: values[1]),
                                 pseudoR2: ScoreSummary(perUnit: values[2]), corr: ScoreSummary(perUnit: values[3]),
                                 feve: ScoreSummary(perUnit: values[4]), pitKS: ScoreSummary(perUnit: values[5]),
                                 pitHistogram: n > 0 ? hist.map { $0 / Double(n) } : hist, observationModel: observationModel,
                                 quasiLikelihood: quasiLikelihood, trials: T, units: U, stimuli: stimuli)
        var gainSum = 0.0, spikeSum = 0.0, llSum = 0.0
        for u in 0..<U { gainSum += llModel[u] - llNull[u]; spikeSum += spikes[u]; llSum += llModel[u] }
        report.bitsPerSpikePooled = isDiscrete && spikeSum > 0 ? gainSum / (spikeSum * Foundation.log(2.0)) : nil
        report.llPerTrialSummedOverUnits = llSum / Double(T)
        return report
    }
}
