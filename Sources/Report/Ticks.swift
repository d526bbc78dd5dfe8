// Axis ticks at "nice" values (1, 2, 2.5 or 5 × 10^k steps) and their labels.
import Foundation

public enum Ticks {
    /// Tick positions covering [lo, hi] with a 1/2/2.5/5 × 10^k step, at most about `maxCount`
    /// ticks, all inside [lo, hi] (up to rounding). Degenerate or non-finite ranges give [lo].
    public static func nice(_ lo: Double, _ hi: Double, maxCount: Int = 6) -> [Double] {
        guard lo.isFinite && hi.isFinite else { return [] }
        guard hi > lo else { return [lo] }
        let step = niceStep((hi - lo) / Double(max(1, maxCount - 1)))
        let first = (lo / step).rounded(.up)
        let last = (hi / step).rounded(.down)
        guard last >= first, last - first < 1000 else { return [lo, hi] }
        var ticks: [Double] = []
        var k = first
        while k <= last + 1e-9 {
            let t = k * step
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            k += 1
        }
        return ticks
    }

    /// The smallest 1, 2, 2.5, 5 × 10^k that is ≥ `rough`.
    public static func niceStep(_ rough: Double) -> Double {
        guard rough > 0 && rough.isFinite else { return 1 }
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let f = rough / magnitude
        let nice: Double = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// Labels for equally spaced ticks: enough decimals to tell neighbours apart, scientific
    /// notation for very large or very small magnitudes, never "-0".
    public static func labels(_ ticks: [Double]) -> [String] {
        guard !ticks.isEmpty else { return [] }
        let step = ticks.count > 1 ? abs(ticks[1] - ticks[0]) : max(abs(ticks[0]), 1)
        let largest = ticks.map { abs($0) }.max() ?? 0
        if largest >= 1e5 || (step < 1e-3 && largest < 1e-2) {
            return ticks.map { format($0, scientific: true, decimals: 1) }
        }
        var decimals = max(0, Int((-log10(step)).rounded(.up)))
        // Steps like 0.25 or 2.5 need one more decimal than their magnitude suggests.
        let scaled = step * pow(10, Double(decimals))
        if abs(scaled - scaled.rounded()) > 1e-6 { decimals += 1 }
        return ticks.map { format($0, scientific: false, decimals: min(decimals, 6)) }
    }

    /// One number in fixed or scientific notation; "-0" becomes "0".
    public static func format(_ v: Double, scientific: Bool, decimals: Int) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        var s = String(format: scientific ? "%.\(decimals)e" : "%.\(decimals)f", v)
        if s.hasPrefix("-") && Double(s) == 0 { s.removeFirst() }
        return s
    }
}
