// Special functions the observation models need, in Double: log Γ, digamma ψ, trigamma ψ′, the
// regularized incomplete gamma and beta functions (Poisson and negative-binomial CDFs), the
// normal CDF, and a log-factorial table for the training hot path.
//
// Accuracy (checked against scipy in NumericsTests/SpecialFunctionsTests): log Γ is glibc's lgamma_r (a few
// ulp); ψ and ψ′ use the recurrence up to x ≥ 10 and the asymptotic (Bernoulli) series, about
// 1e-15 absolute; the incomplete gamma / beta use the series and Lentz's continued fraction
// (Numerical Recipes §6.2, §6.4) to a relative 1e-15 per term, ≈1e-13 overall for arguments up
// to a few hundred (the prefactor exp(a log x − x − log Γ(a)) loses ~|a log x|·1e-16).
import Foundation

public enum SpecialFunctions {
    /// log Γ(x) for x > 0 (log |Γ(x)| elsewhere). Uses lgamma_r, which, unlike lgamma, does not
    /// write the global `signgam` and is therefore safe to call from several threads.
    @inlinable @inline(__always)
    public static func logGamma(_ x: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(x, &sign)
    }

    /// Number of entries in the log-factorial table: log k! for k < this is a table look-up.
    public static let logFactorialTableSize = 4096

    /// log k! for k = 0..<logFactorialTableSize (computed once with lgamma_r).
    public static let logFactorialTable: [Double] = (0..<logFactorialTableSize).map { logGamma(Double($0) + 1) }

    /// log Γ(y + 1) = log y! for y ≥ 0; a table look-up when y is a small non-negative integer,
    /// lgamma otherwise (so non-integer "counts" of a quasi-likelihood still get a value).
    @inlinable @inline(__always)
    public static func logFactorial(_ y: Double) -> Double {
        if y >= 0, y < Double(logFactorialTableSize), y == y.rounded(.towardZero) {
            return logFactorialTable[Int(y)]
        }
        return logGamma(y + 1)
    }

    /// Digamma ψ(x) = d/dx log Γ(x). Poles (NaN) at x = 0, −1, −2, …; reflection for x < 0.
    public static func digamma(_ x: Double) -> Double {
        if x.isNaN || x == -.infinity { return .nan }
        if x == .infinity { return .infinity }
        if x <= 0 {
            if x == x.rounded() { return .nan }
            // ψ(1 − x) − ψ(x) = π cot(πx)
            return digamma(1 - x) - Double.pi / Foundation.tan(Double.pi * x)
        }
        var v = x, acc = 0.0
        while v < 10 { acc -= 1 / v; v += 1 }          // ψ(x) = ψ(x + 1) − 1/x
        let w = 1 / (v * v)
        // ln v − 1/(2v) − Σ B_2k / (2k v^2k), k = 1…7
        let series = w * (1.0 / 12 - w * (1.0 / 120 - w * (1.0 / 252 - w * (1.0 / 240 - w * (1.0 / 132
            - w * (691.0 / 32760 - w * (1.0 / 12)))))))
        return acc + Foundation.log(v) - 0.5 / v - series
    }

    /// Trigamma ψ′(x) = d²/dx² log Γ(x) for x > 0 (reflection for negative non-integers).
    public static func trigamma(_ x: Double) -> Double {
        if x.isNaN || x == -.infinity { return .nan }
        if x == .infinity { return 0 }
        if x <= 0 {
            if x == x.rounded() { return .nan }
            // ψ′(1 − x) + ψ′(x) = π² / sin²(πx)
            let s = Foundation.sin(Double.pi * x)
            return -trigamma(1 - x) + Double.pi * Double.pi / (s * s)
        }
        var v = x, acc = 0.0
        while v < 10 { acc += 1 / (v * v); v += 1 }     // ψ′(x) = ψ′(x + 1) + 1/x²
        let w = 1 / (v * v)
        // 1/v + 1/(2v²) + Σ B_2k / v^(2k+1), k = 1…7
        let series = (1.0 / 6 - w * (1.0 / 30 - w * (1.0 / 42 - w * (1.0 / 30 - w * (5.0 / 66
            - w * (691.0 / 2730 - w * (7.0 / 6))))))) * w / v
        return acc + 1 / v + 0.5 * w + series
    }

    /// ψ(y + r) − ψ(r) for y ≥ 0, r > 0: the exact finite sum Σ_{k<y} 1/(r + k) when y is a small
    /// integer (no cancellation when r is large), the digamma difference otherwise.
    @inlinable @inline(__always)
    public static func digammaDifference(_ y: Double, _ r: Double) -> Double {
        if y >= 0, y < 64, y == y.rounded(.towardZero) {
            var s = 0.0
            var k = 0.0
            while k < y { s += 1 / (r + k); k += 1 }
            return s
        }
        return digamma(y + r) - digamma(r)
    }

    /// ψ′(y + r) − ψ′(r) for y ≥ 0, r > 0 (finite sum −Σ_{k<y} 1/(r + k)² for small integer y).
    @inlinable @inline(__always)
    public static func trigammaDifference(_ y: Double, _ r: Double) -> Double {
        if y >= 0, y < 64, y == y.rounded(.towardZero) {
            var s = 0.0
            var k = 0.0
            while k < y { let t = r + k; s -= 1 / (t * t); k += 1 }
            return s
        }
        return trigamma(y + r) - trigamma(r)
    }

    // MARK: incomplete gamma

    /// Regularized lower incomplete gamma P(a, x) = γ(a, x)/Γ(a), a > 0, x ≥ 0.
    public static func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0, "regularizedGammaP needs a > 0, got \(a)")
        if x <= 0 { return 0 }
        if x == .infinity { return 1 }
        return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x)
    }

    /// Regularized upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a) = 1 − P(a, x).
    /// The Poisson CDF is P(Y ≤ k; λ) = Q(k + 1, λ).
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0, "regularizedGammaQ needs a > 0, got \(a)")
        if x <= 0 { return 1 }
        if x == .infinity { return 0 }
        return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x)
    }

    /// P(a, x) by its series, for x < a + 1.
    private static func gammaSeries(_ a: Double, _ x: Double) -> Double {
        var ap = a, term = 1 / a, sum = term
        for _ in 0..<10_000 {
            ap += 1
            term *= x / ap
            sum += term
            if abs(term) < abs(sum) * 1e-17 { break }
        }
        return sum * Foundation.exp(-x + a * Foundation.log(x) - logGamma(a))
    }

    /// Q(a, x) by its continued fraction (modified Lentz), for x ≥ a + 1.
    private static func gammaContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b; if abs(d) < tiny { d = tiny }
            c = b + an / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < 1e-16 { break }
        }
        return Foundation.exp(-x + a * Foundation.log(x) - logGamma(a)) * h
    }

    // MARK: incomplete beta

    /// Regularized incomplete beta I_x(a, b), a, b > 0, 0 ≤ x ≤ 1. `complement` is 1 − x when the
    /// caller has it more accurately than `1 - x` (the negative binomial passes μ/(r + μ)).
    /// The negative-binomial CDF is P(Y ≤ k; r, p) = I_p(r, k + 1) with p = r/(r + μ).
    public static func regularizedBeta(_ a: Double, _ b: Double, x: Double, complement: Double? = nil) -> Double {
        precondition(a > 0 && b > 0, "regularizedBeta needs a, b > 0, got \(a), \(b)")
        let y = complement ?? (1 - x)
        if x <= 0 { return 0 }
        if y <= 0 { return 1 }
        // log of x^a y^b / B(a, b)
        let logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Foundation.log(x) + b * Foundation.log(y)
        if x < (a + 1) / (a + b + 2) {
            return Foundation.exp(logFront) * betaContinuedFraction(a, b, x) / a
        }
        return 1 - Foundation.exp(logFront) * betaContinuedFraction(b, a, y) / b
    }

    /// Continued fraction for I_x(a, b) (modified Lentz).
    private static func betaContinuedFraction(_ a: Double, _ b: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0, d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1..<100_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < 1e-16 { break }
        }
        return h
    }

    // MARK: normal

    /// Standard normal CDF Φ(z) = ½ erfc(−z/√2) (accurate in both tails).
    @inlinable @inline(__always)
    public static func normalCDF(_ z: Double) -> Double { 0.5 * Foundation.erfc(-z / 2.0.squareRoot()) }
}
