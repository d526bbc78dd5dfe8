// Invariance falsification (DESIGN §5). For each unit u, with f_u the unit's (predicted or recorded)
// response and T a stimulus transform:
//   D_u = E_x |f_u(x) − f_u(T(x))|           distance under the transform
//   B_u = E_{x,x′} |f_u(x) − f_u(x′)|         spread over random pairs of distinct stimuli
//   index_u = D_u / B_u
// A bootstrap over stimuli (resampling x with replacement, the pairing fixed) gives a percentile CI
// for the index; the invariance hypothesis is FALSIFIED when the CI's lower bound exceeds τ.
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
    public init(threshold: Double = InvarianceSettings.defaultThreshold, bootstrap: Int = 1000, confidence: Double = 0.95, seed: UInt64 = 0) {
        self.threshold = threshold; self.bootstrap = bootstrap; self.confidence = confidence; self.seed = seed
    }

    public func validate() throws {
        guard threshold > 0, threshold.isFinite else {
            throw InvarianceError.invalidOption(option: "--threshold", reason: "τ must be in (0, ∞), got \(threshold)")
        }
        guard bootstrap >= 10 else { throw InvarianceError.invalidOption(option: "--bootstrap", reason: "at least 10 resamples are needed, got \(bootstrap)") }
        guard confidence > 0, confidence < 1 else { throw InvarianceError.invalidOption(option: "--confidence", reason: "must be in (0, 1), got \(confidence)") }
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

    enum CodingKeys: String, CodingKey { case unit, name, d, b, index, ciLow = "ci_low", ciHigh = "ci_high", falsified }
}

public enum InvarianceError: Error, CustomStringConvertible, Equatable {
    case invalidOption(option: String, reason: String)
    case tooFewStimuli(Int)
    case shapeMismatch(String)
    public var description: String {
        switch self {
        case .invalidOption(let o, let r): return "\(o): \(r)"
        case .tooFewStimuli(let n): return "the invariance test needs at least 3 stimuli, got \(n)"
        case .shapeMismatch(let s): return s
        }
    }
}

public enum InvarianceTest {
    /// Runs the test on responses to originals and to their transforms, both (S, U) row-major.
    public static func run(original: [Double], transformed: [Double], stimuli s: Int, units u: Int,
                           settings: InvarianceSettings, unitNames: [String]? = nil) throws -> [UnitInvariance] {
        try settings.validate()
        guard s >= 3 else { throw InvarianceError.tooFewStimuli(s) }
        guard original.count == s * u, transformed.count == s * u else {
            throw InvarianceError.shapeMismatch("responses have \(original.count) and \(transformed.count) values, expected \(s)×\(u)")
        }
        // Fixed random pairing x_i ↔ x_π(i) with π(i) ≠ i (a random cyclic shift of a permutation).
        var rng = SeededRandom.derived(seed: settings.seed, stream: 77)
        let perm = rng.permutation(s)
        var partner = [Int](repeating: 0, count: s)
        for k in 0..<s { partner[perm[k]] = perm[(k + 1) % s] }
        // Bootstrap resamples of stimulus indices, shared by all units (so units are comparable).
        let resamples: [[Int]] = (0..<settings.bootstrap).map { _ in (0..<s).map { _ in rng.int(below: s) } }
        let alpha = (1 - settings.confidence) / 2
        var out: [UnitInvariance] = []
        for j in 0..<u {
            var dI = [Double](repeating: 0, count: s), bI = dI
            for i in 0..<s {
                dI[i] = abs(original[i * u + j] - transformed[i * u + j])
                bI[i] = abs(original[i * u + j] - original[partner[i] * u + j])
            }
            let d = dI.reduce(0, +) / Double(s), b = bI.reduce(0, +) / Double(s)
            let index = b > 0 ? d / b : (d > 0 ? .infinity : 0)
            var boot: [Double] = []
            boot.reserveCapacity(settings.bootstrap)
            for r in resamples {
                var sd = 0.0, sb = 0.0
                for i in r { sd += dI[i]; sb += bI[i] }
                boot.append(sb > 0 ? sd / sb : (sd > 0 ? .infinity : 0))
            }
            boot.sort()
            let lo = quantile(boot, alpha), hi = quantile(boot, 1 - alpha)
            out.append(UnitInvariance(unit: j, name: unitNames?[j], d: d, b: b, index: index, ciLow: lo, ciHigh: hi,
                                      falsified: lo > settings.threshold))
        }
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
