// Seeded pseudo-random numbers: xoshiro256** seeded through SplitMix64. The same seed gives the
// same stream on every machine; no global state. Every random choice in Receptive goes through one.
import Foundation

public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    /// An independent stream derived from this seed and a label (e.g. per unit, per epoch).
    public static func derived(seed: UInt64, stream: UInt64) -> SeededRandom {
        SeededRandom(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ stream &* 0xD1B5_4A32_D192_ED03 &+ 1)
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = SeededRandom.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = SeededRandom.rotl(s3, 45)
        return result
    }

    /// Uniform on [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform on [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }

    /// Uniform integer in 0..<n.
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0)
        return Int(next(upperBound: UInt64(n)))
    }

    /// Standard normal (Box–Muller, both values used).
    public mutating func normal() -> Double {
        if let z = spareNormal { spareNormal = nil; return z }
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * Foundation.log(u1)).squareRoot()
        spareNormal = r * Foundation.sin(2 * .pi * u2)
        return r * Foundation.cos(2 * .pi * u2)
    }

    public mutating func normal(mean: Double, std: Double) -> Double { mean + std * normal() }

    /// Poisson draw with mean `lambda` ≥ 0: multiplication method below 30, Hörmann's PTRS
    /// transformed rejection above (exact, O(1) expected time).
    public mutating func poisson(_ lambda: Double) -> Int {
        precondition(lambda >= 0 && lambda.isFinite, "Poisson mean must be finite and non-negative, got \(lambda)")
        if lambda == 0 { return 0 }
        if lambda < 30 {
            let l = Foundation.exp(-lambda)
            var k = 0
            var p = uniform()
            while p > l { k += 1; p *= uniform() }
            return k
        }
        let slam = lambda.squareRoot(), loglam = Foundation.log(lambda)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invalpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5
            let v = uniform()
            let us = 0.5 - abs(u)
            let k = Foundation.floor((2 * a / us + b) * u + lambda + 0.43)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if Foundation.log(v) + Foundation.log(invalpha) - Foundation.log(a / (us * us) + b)
                <= -lambda + k * loglam - Foundation.lgamma(k + 1) { return Int(k) }
        }
    }

    /// Negative binomial with mean mu and dispersion r (variance mu + mu²/r), as a Gamma–Poisson mixture.
    public mutating func negativeBinomial(mean mu: Double, dispersion r: Double) -> Int {
        poisson(gamma(shape: r, scale: mu / r))
    }

    /// Gamma(shape k, scale θ) by Marsaglia–Tsang.
    public mutating func gamma(shape k: Double, scale theta: Double) -> Double {
        precondition(k > 0 && theta > 0)
        if k < 1 { return gamma(shape: k + 1, scale: theta) * Foundation.pow(max(uniform(), 1e-300), 1 / k) }
        let d = k - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat { x = normal(); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = uniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v * theta }
            if Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) { return d * v * theta }
        }
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = int(below: i + 1)
            if i != j { a.swapAt(i, j) }
        }
    }

    /// A tensor of i.i.d. normal values.
    public mutating func normalTensor(_ shape: [Int], mean: Float = 0, std: Float = 1) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.data[i] = mean + std * Float(normal()) }
        return t
    }

    /// A tensor of i.i.d. uniform values on [a, b).
    public mutating func uniformTensor(_ shape: [Int], _ a: Float, _ b: Float) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.data[i] = a + (b - a) * Float(uniform()) }
        return t
    }
}
