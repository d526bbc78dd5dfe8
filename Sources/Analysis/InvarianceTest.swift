// Invariance falsification (DESIGN §5). For each unit u, with f_u the unit's (predicted or recorded)
// response and T a stimulus transform:
//   D_u = E_x |f_u(x) − f_u(T(x))|           distance under the transform
//   B_u = E_{x,x′} |f_u(x) − f_u(x′)|         spread over random pairs of distinct stimuli
//   index_u = D_u / B_u
// A bootstrap gives a percentile CI for the index; each resample redraws every random ingredient of
// the statistic: the stimuli x (with replacement), the unrelated partner x′ of each (uniform over the
// other stimuli), and — when T is random and R ≥ 2 independent draws T_1(x) … T_R(x) were computed —
// which draw of T is used for each resampled stimulus. The invariance hypothesis is FALSIFIED when
// the CI's lower bound exceeds τ. With R draws the point estimate of D averages all of them.
// Per unit also a bootstrap p-value for H0 "index ≤ τ", p = (1 + #{resamples with index ≤ τ}) / (B + 1),
// and a second verdict with the Benjamini–Hochberg step-up procedure across units at level
// q = (1 − confidence)/2 — the one-sided level of the "CI lower end > τ" rule, so that with one unit
// both verdicts coincide up to the +1 in p.
// An invariant unit has index ≈ 0; a unit whose response to T(x) is as different as to an unrelated
// stimulus has index ≈ 1.
import Foundation
import Tensors

public struct InvarianceSettings: Codable, Equatable, Sendable {
    /// Default τ = 0.5: on simulated gratings the generating models' complex cells have CI lower
    /// bounds ≤ 0.38 and their simple cells ≥ 0.55 (docs/analysis.md, "Choosing τ").
    public static let defaultThreshold = 0.5

    public var threshold: Double = InvarianceSettings.defaultThreshold
    public var bootstrap: Int = 1000
    public var confidence: Double = 0.95
    public var seed: UInt64 = 0
    /// Independent draws of a random transform T per stimulus (ModelInvariance computes them; the
    /// bootstrap resamples among them). 1 for deterministic transforms and stored pairs.
    public var draws: Int = 1
    public init(threshold: Double = InvarianceSettings.defaultThreshold, bootstrap: Int = 1000, confidence: Double = 0.95, seed: UInt64 = 0,
                draws: Int = 1) {
        self.threshold = threshold; self.bootstrap = bootstrap; self.confidence = confidence; self.seed = seed; self.draws = draws
    }
    /// False-discovery level of the Benjamini–Hochberg verdict.
    public var fdrLevel: Double { (1 - confidence) / 2 }

    public func validate() throws {
        guard threshold > 0, threshold.isFinite else {
            throw InvarianceError.invalidOption(option: .invarianceThreshold, reason: "τ must be in (0, ∞), got \(threshold)")
        }
        guard bootstrap >= 10 else { throw InvarianceError.invalidOption(option: .bootstrap, reason: "at least 10 resamples are needed, got \(bootstrap)") }
        guard confidence > 0, confidence < 1 else { throw InvarianceError.invalidOption(option: .confidence, reason: "must be in (0, 1), got \(confidence)") }
        guard draws >= 1, draws <= 1000 else { throw InvarianceError.invalidOption(option: .draws, reason: "must be in 1…1000, got \(draws)") }
    }
}

public struct UnitInvariance: Codable, Equatable, Sendable {
    public var unit: Int
    public var name: String?
    public var d: Double
    public var b: Double
    public var index: Double
    public var ciLow: Double
    public var ciHigh: Double
    public var falsified: Bool
    /// Bootstrap p-value of H0 "index ≤ τ".
    public var pValue: Double
    /// Falsified by the Benjamini–Hochberg procedure across the units of the run.
    public var falsifiedBH: Bool

    enum CodingKeys: String, CodingKey {
        case unit, name, d, b, index, ciLow = "ci_low", ciHigh = "ci_high", falsified
        case pValue = "p_value", falsifiedBH = "falsified_bh"
    }
}

public enum InvarianceError: Error, CustomStringConvertible, Equatable {
    case invalidOption(option: AnalysisParameter, reason: String)
    /// A setting whose value works only with one transform (e.g. the scrambled reference).
    case needsTransform(option: AnalysisParameter, value: String, transform: String, reason: String)
    case tooFewStimuli(Int)
    case shapeMismatch(String)
    public var description: String {
        switch self {
        case .invalidOption(let o, let r): return "\(o): \(r)"
        case .needsTransform(let o, let v, let t, let r): return "\(o): \(v) needs the transform \(t) (\(r))"
        case .tooFewStimuli(let n): return "the invariance test needs at least 3 stimuli, got \(n)"
        case .shapeMismatch(let s): return s
        }
    }
}

public enum InvarianceTest {
    /// Runs the test on responses to originals and to their transforms, both (S, U) row-major.
    public static func run(original: [Double], transformed: [Double], stimuli s: Int, units u: Int,
                           settings: InvarianceSettings, unitNames: [String]? = nil) throws -> [UnitInvariance] {
        try run(original: original, transformedDraws: [transformed], stimuli: s, units: u, settings: settings, unitNames: unitNames)
    }

    /// The test with R ≥ 1 independent draws of a random T: `transformedDraws[r]` (S, U) row-major
    /// holds f(T_r(x)).
    public static func run(original: [Double], transformedDraws: [[Double]], stimuli s: Int, units u: Int,
                           settings: InvarianceSettings, unitNames: [String]? = nil) throws -> [UnitInvariance] {
        try settings.validate()
        guard s >= 3 else { throw InvarianceError.tooFewStimuli(s) }
        let draws = transformedDraws.count
        guard draws >= 1, original.count == s * u, transformedDraws.allSatisfy({ $0.count == s * u }) else {
            throw InvarianceError.shapeMismatch("responses have \(original.count) and \(transformedDraws.map(\.count)) values, expected \(s)×\(u)")
        }
        // Fixed random pairing x_i ↔ x_π(i) with π(i) ≠ i (a random cyclic shift of a permutation) for B.
        var rng = SeededRandom.derived(seed: settings.seed, stream: 77)
        let perm = rng.permutation(s)
        var partner = [Int](repeating: 0, count: s)
        for k in 0..<s { partner[perm[k]] = perm[(k + 1) % s] }
        // Bootstrap resamples shared by all units (so units are comparable): stimulus, partner ≠ stimulus, draw of T.
        struct Resample { var stimulus: [Int]; var partner: [Int]; var draw: [Int] }
        let resamples: [Resample] = (0..<settings.bootstrap).map { _ in
            var r = Resample(stimulus: [], partner: [], draw: [])
            r.stimulus.reserveCapacity(s); r.partner.reserveCapacity(s); r.draw.reserveCapacity(s)
            for _ in 0..<s {
                let i = rng.int(below: s)
                var j = rng.int(below: s - 1)
                if j >= i { j += 1 }
                r.stimulus.append(i); r.partner.append(j); r.draw.append(draws > 1 ? rng.int(below: draws) : 0)
            }
            return r
        }
        let alpha = (1 - settings.confidence) / 2
        let f = ResponseMatrix(rows: s, columns: u, values: original)
        let fT = transformedDraws.map { ResponseMatrix(rows: s, columns: u, values: $0) }
        var out: [UnitInvariance] = []
        for j in 0..<u {
            var dI = [[Double]](repeating: [Double](repeating: 0, count: s), count: draws)
            var bI = [Double](repeating: 0, count: s)
            var d = 0.0
            for i in 0..<s {
                for r in 0..<draws {
                    dI[r][i] = abs(f[i, j] - fT[r][i, j])
                    d += dI[r][i]
                }
                bI[i] = abs(f[i, j] - f[partner[i], j])
            }
            d /= Double(s * draws)
            let b = bI.reduce(0, +) / Double(s)
            let index = b > 0 ? d / b : (d > 0 ? .infinity : 0)
            var boot: [Double] = []
            boot.reserveCapacity(settings.bootstrap)
            for r in resamples {
                var sd = 0.0, sb = 0.0
                for k in 0..<s {
                    let i = r.stimulus[k]
                    sd += dI[r.draw[k]][i]
                    sb += abs(f[i, j] - f[r.partner[k], j])
                }
                boot.append(sb > 0 ? sd / sb : (sd > 0 ? .infinity : 0))
            }
            let below = boot.filter { $0 <= settings.threshold }.count
            boot.sort()
            let lo = quantile(boot, alpha), hi = quantile(boot, 1 - alpha)
            out.append(UnitInvariance(unit: j, name: unitNames?[j], d: d, b: b, index: index, ciLow: lo, ciHigh: hi,
                                      falsified: lo > settings.threshold,
                                      pValue: Double(1 + below) / Double(settings.bootstrap + 1), falsifiedBH: false))
        }
        let rejected = benjaminiHochberg(out.map(\.pValue), level: settings.fdrLevel)
        for k in out.indices { out[k].falsifiedBH = rejected[k] }
        return out
    }

    /// Benjamini–Hochberg step-up: with p sorted ascending p_(1) ≤ … ≤ p_(m), reject the hypotheses of
    /// p_(1) … p_(k) for the largest k with p_(k) ≤ k·q/m (none when there is no such k).
    public static func benjaminiHochberg(_ p: [Double], level q: Double) -> [Bool] {
        let m = p.count
        guard m > 0 else { return [] }
        let order = p.indices.sorted { p[$0] < p[$1] }
        var k = 0
        for (rank, i) in order.enumerated() where p[i] <= Double(rank + 1) * q / Double(m) { k = rank + 1 }
        var out = [Bool](repeating: false, count: m)
        for r in 0..<k { out[order[r]] = true }
        return out
    }

    /// Linear-interpolated quantile of sorted values (numpy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let pos = q * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        let w = pos - Double(lo)
        return sorted[lo] * (1 - w) + sorted[hi] * w
    }
}
