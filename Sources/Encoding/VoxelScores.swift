// Scores of a model that predicts a mean response per stimulus for many targets (voxels), on
// repeat-averaged held-out responses, with noise ceilings from the repeats.
//
// Notes (per voxel; S test stimuli, ȳ_s the mean over the n_s repeats of stimulus s, μ_s the prediction):
//   r2          = 1 − Σ_s (ȳ_s − μ_s)² / Σ_s (ȳ_s − mean ȳ)²
//   corr        = Pearson r(μ, ȳ) over stimuli
//   ll          = (1/S) Σ_s log N(ȳ_s | μ_s, σ²), σ² the model's variance (ridge: the cross-validated
//                 residual variance of the repeat-averaged training responses), nats per stimulus
//   ncsnr       = σ_signal / σ_noise (Allen et al. 2022, the Natural Scenes Dataset):
//                 σ²_noise = pooled variance across repeats (ddof 1, stimuli with n_s ≥ 2),
//                 σ²_signal = max(0, σ²_total − σ²_noise), σ²_total the variance over those trials
//   noise_ceiling = ncsnr² / (ncsnr² + mean_s(1/n_s)): the fraction of the variance of the
//                 repeat-averaged responses a perfect model explains (NSD's formula, which for
//                 equal repeat counts n is ncsnr² / (ncsnr² + 1/n))
//   fraction_of_ceiling = r2 / noise_ceiling
//   split_half  = Pearson r over stimuli with ≥ 2 repeats between the mean of the first ⌈n_s/2⌉
//                 repeats (in trial order) and the mean of the rest; split_half_sb = 2r/(1+r)
//                 (Spearman–Brown, the reliability of the full average)
// Undefined values are nil. Summaries: the mean over all voxels and over "reliable" voxels,
// those with split_half ≥ the threshold.
import Foundation
import NeuralData

public struct VoxelScoreReport: Encodable {
    public var stimuli: Int
    public var trials: Int
    public var units: Int
    public var reliabilityThreshold: Double
    public var reliableUnits: Int
    public var r2: ScoreSummary
    public var corr: ScoreSummary
    public var llPerStimulus: ScoreSummary
    public var ncsnr: ScoreSummary
    public var noiseCeiling: ScoreSummary
    public var fractionOfCeiling: ScoreSummary
    public var splitHalf: ScoreSummary
    public var splitHalfSpearmanBrown: ScoreSummary
    /// Means over the reliable voxels.
    public var reliable: [String: Double?]
    /// Banded ridge: each feature space's share of R² (centred test responses), by space name.
    public var spaceR2: [String: ScoreSummary]?

    /// The per-target values of a report, in the order `VoxelScores.assembled` takes them.
    public static let perTargetFields = ["r2", "corr", "ll_per_stimulus", "ncsnr", "noise_ceiling", "fraction_of_ceiling",
                                         "split_half", "split_half_spearman_brown"]

    /// Target-major [U, 8 + S]: each target's values (perTargetFields, then the banded R² share of
    /// each of `spaces`), nil as NaN — what an MPI rank sends (ScoreSummary treats a non-finite
    /// value as undefined, so NaN and nil give the same report).
    public func perTargetValues(spaces: [String]) -> [Double] {
        let columns = [r2, corr, llPerStimulus, ncsnr, noiseCeiling, fractionOfCeiling, splitHalf, splitHalfSpearmanBrown]
            + spaces.map { spaceR2?[$0] ?? ScoreSummary(perUnit: [Double?](repeating: nil, count: units)) }
        var out = [Double](); out.reserveCapacity(units * columns.count)
        for j in 0..<units { for c in columns { out.append(c.perUnit[j] ?? .nan) } }
        return out
    }

    /// The report of all targets from the target-major values of `perTargetValues` (gathered in
    /// target order): the summaries are computed from the per-target values, as in one process.
    public static func fromPerTargetValues(_ values: [Double], spaces: [String], banded: Bool, stimuli: Int, trials: Int,
                                           reliabilityThreshold: Double) -> VoxelScoreReport {
        let k = perTargetFields.count + spaces.count, u = values.count / k
        precondition(values.count == u * k)
        func column(_ c: Int) -> [Double?] { (0..<u).map { j in let x = values[j * k + c]; return x.isNaN ? nil : x } }
        var space: [String: ScoreSummary]?
        if banded {
            space = [:]
            for (i, name) in spaces.enumerated() { space![name] = ScoreSummary(perUnit: column(perTargetFields.count + i)) }
        }
        return VoxelScores.assembled(perTarget: (0..<perTargetFields.count).map(column), spaceR2: space, stimuli: stimuli, trials: trials,
                                     reliabilityThreshold: reliabilityThreshold)
    }

    enum CodingKeys: String, CodingKey {
        case stimuli, trials, units, r2, corr, ncsnr, reliable
        case reliabilityThreshold = "reliability_threshold", reliableUnits = "reliable_units"
        case llPerStimulus = "ll_per_stimulus", noiseCeiling = "noise_ceiling", fractionOfCeiling = "fraction_of_ceiling"
        case splitHalf = "split_half", splitHalfSpearmanBrown = "split_half_spearman_brown", spaceR2 = "space_r2"
    }
}

public enum VoxelScores {
    /// - Parameters:
    ///   - predictions: [S, U] predicted means of the stimuli `statistics.stimuli` (same order).
    ///   - variance: [U] the Gaussian variance of each voxel.
    public static func score(predictions: [Float], statistics st: RepeatStatistics, dataset: Dataset, variance: [Double],
                             reliabilityThreshold: Double) -> VoxelScoreReport {
        let s = st.stimuli.count, u = st.unitCount
        precondition(predictions.count == s * u && variance.count == u)
        let half = splitHalf(dataset: dataset, stimuli: st.stimuli)
        let meanInvN = st.repeatCounts.reduce(0.0) { $0 + 1 / Double(max($1, 1)) } / Double(max(s, 1))
        var r2 = [Double?](), corr = [Double?](), ll = [Double?](), snr = [Double?](), nc = [Double?](), frac = [Double?]()
        var sh = [Double?](), sb = [Double?]()
        for j in 0..<u {
            var my = 0.0, mp = 0.0
            for i in 0..<s { my += Double(st.meanResponses[i * u + j]); mp += Double(predictions[i * u + j]) }
            my /= Double(s); mp /= Double(s)
            var sse = 0.0, sst = 0.0, spp = 0.0, spy = 0.0, lls = 0.0
            let v = variance[j]
            for i in 0..<s {
                let y = Double(st.meanResponses[i * u + j]), p = Double(predictions[i * u + j])
                sse += (y - p) * (y - p); sst += (y - my) * (y - my); spp += (p - mp) * (p - mp); spy += (p - mp) * (y - my)
                lls += -0.5 * log(2 * .pi * v) - (y - p) * (y - p) / (2 * v)
            }
            let rr = sst > 0 ? 1 - sse / sst : nil
            r2.append(rr)
            corr.append(sst > 0 && spp > 0 ? spy / (sst * spp).squareRoot() : nil)
            ll.append(s > 0 ? lls / Double(s) : nil)
            let noise = st.noiseVariance[j], total = st.totalVariance[j]
            if noise.isFinite, total.isFinite, noise > 0 {
                let ratio = max(0, total - noise) / noise
                snr.append(ratio.squareRoot())
                let ceiling = ratio / (ratio + meanInvN)
                nc.append(ceiling)
                frac.append(rr.flatMap { ceiling > 0 ? $0 / ceiling : nil })
            } else { snr.append(nil); nc.append(nil); frac.append(nil) }
            sh.append(half[j])
            sb.append(half[j].map { 2 * $0 / (1 + $0) })
        }
        return assembled(perTarget: [r2, corr, ll, snr, nc, frac, sh, sb], spaceR2: nil, stimuli: s,
                         trials: st.repeatCounts.reduce(0, +), reliabilityThreshold: reliabilityThreshold)
    }

    /// The report from its per-target values, in the order of `VoxelScoreReport.perTargetFields`
    /// (r2, corr, ll, ncsnr, noise ceiling, fraction of ceiling, split-half, Spearman–Brown), each [U]:
    /// the summaries (means over all targets and over the reliable ones) are computed here, so a
    /// report assembled from targets gathered across MPI ranks equals the one-process report.
    public static func assembled(perTarget v: [[Double?]], spaceR2: [String: ScoreSummary]?, stimuli s: Int, trials: Int,
                                 reliabilityThreshold: Double) -> VoxelScoreReport {
        precondition(v.count == VoxelScoreReport.perTargetFields.count)
        let (r2, corr, ll, snr, nc, frac, sh, sb) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])
        let u = r2.count
        let reliable = (0..<u).filter { (sh[$0] ?? -.infinity) >= reliabilityThreshold }
        func meanOver(_ v: [Double?]) -> Double? {
            let d = reliable.compactMap { v[$0] }.filter { $0.isFinite }
            return d.isEmpty ? nil : d.reduce(0, +) / Double(d.count)
        }
        return VoxelScoreReport(stimuli: s, trials: trials, units: u, reliabilityThreshold: reliabilityThreshold,
                                reliableUnits: reliable.count,
                                r2: ScoreSummary(perUnit: r2), corr: ScoreSummary(perUnit: corr), llPerStimulus: ScoreSummary(perUnit: ll),
                                ncsnr: ScoreSummary(perUnit: snr), noiseCeiling: ScoreSummary(perUnit: nc),
                                fractionOfCeiling: ScoreSummary(perUnit: frac), splitHalf: ScoreSummary(perUnit: sh),
                                splitHalfSpearmanBrown: ScoreSummary(perUnit: sb),
                                reliable: ["r2": meanOver(r2), "corr": meanOver(corr), "noise_ceiling": meanOver(nc),
                                           "fraction_of_ceiling": meanOver(frac), "ll_per_stimulus": meanOver(ll)],
                                spaceR2: spaceR2)
    }

    /// [U] split-half reliability (Notes), nil with fewer than 3 repeated stimuli or a constant half.
    public static func splitHalf(dataset: Dataset, stimuli: [Int]) -> [Double?] {
        let u = dataset.unitCount
        var trialsOf = [Int: [Int]]()
        let wanted = Set(stimuli)
        for (t, s) in dataset.stimulusIndex.enumerated() where wanted.contains(s) { trialsOf[s, default: []].append(t) }
        let repeated = stimuli.filter { (trialsOf[$0]?.count ?? 0) >= 2 }
        guard repeated.count >= 3 else { return [Double?](repeating: nil, count: u) }
        var a = [Double](repeating: 0, count: repeated.count * u), b = a
        for (k, s) in repeated.enumerated() {
            let ts = trialsOf[s]!, h = (ts.count + 1) / 2
            for j in 0..<u {
                var sa = 0.0, sb = 0.0
                for t in ts[..<h] { sa += Double(dataset.responses[t * u + j]) }
                for t in ts[h...] { sb += Double(dataset.responses[t * u + j]) }
                a[k * u + j] = sa / Double(h); b[k * u + j] = sb / Double(ts.count - h)
            }
        }
        let m = repeated.count
        return (0..<u).map { j in
            var ma = 0.0, mb = 0.0
            for k in 0..<m { ma += a[k * u + j]; mb += b[k * u + j] }
            ma /= Double(m); mb /= Double(m)
            var saa = 0.0, sbb = 0.0, sab = 0.0
            for k in 0..<m { let x = a[k * u + j] - ma, y = b[k * u + j] - mb; saa += x * x; sbb += y * y; sab += x * y }
            return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : nil
        }
    }
}
