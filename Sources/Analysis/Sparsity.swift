// Sparsity of responses (DESIGN §5). For a response vector r of length n:
//
//   Treves–Rolls / Vinje–Gallant   S_TR = [1 − (Σr/n)² / (Σr²/n)] / (1 − 1/n)
//   Hoyer                          S_H  = (√n − ‖r‖₁/‖r‖₂) / (√n − 1)
//   excess kurtosis (Fisher)       K    = m4/m2² − 3,  m_k = Σ(r − r̄)^k / n   (biased, as
//                                  scipy.stats.kurtosis(fisher=True, bias=True), its default)
//
// S_TR and S_H lie in [0, 1] for non-negative r (0: all equal, 1: one non-zero value); they are
// meant for rates or rectified activations. Negative values are used as they are (S_TR then may
// leave [0, 1]; S_H uses |r| through ‖r‖₁). Undefined cases are NaN, never a trap: n < 2, or r ≡ 0
// (S_TR, S_H); zero variance (K — scipy also gives NaN there).
//
// Lifetime sparsity: per unit, over stimuli (a column of the activation matrix [stimuli, units]).
// Population sparsity: per stimulus, over units (a row).
//
// Conv activations [N, C, H, W] become an activation matrix by `ConvUnitPooling`:
//   • everyPosition — each channel at each position is one unit ([N, C·H·W], unit index (c·H + y)·W + x):
//     the analogue of recording one neuron with one receptive-field location; the default.
//   • spatialMean — one unit per channel, its response the mean over positions ([N, C]); this
//     averages over receptive-field positions, which makes lifetime sparsity lower (smoother).
// Accumulation is in Double, column-wise for lifetime (row-major friendly: one pass over the rows
// for Σr, Σr², Σ|r|, a second for the central moments when the kurtosis is asked for).
import Foundation
import Tensors

public enum SparsityMeasure: String, CaseIterable, Sendable, CustomStringConvertible {
    case trevesRolls = "treves-rolls"
    case hoyer
    case kurtosis

    public var description: String { rawValue }
}

/// How conv activations [N, C, H, W] are turned into units; see the file header.
public enum ConvUnitPooling: String, CaseIterable, Sendable {
    case everyPosition = "positions"
    case spatialMean = "mean"
}

public enum SparsityError: Error, CustomStringConvertible, Equatable {
    case badShape(shape: [Int], expected: String)
    case nonFinite

    public var description: String {
        switch self {
        case .badShape(let s, let e): return "sparsity: expected activations of shape \(e), got \(s)"
        case .nonFinite: return "sparsity: activations contain NaN or infinite values"
        }
    }
}

/// Mean and median over the defined (non-NaN) values of a list of sparsity values.
public struct SparsitySummary: Equatable, Sendable {
    public let mean: Double
    public let median: Double
    public let defined: Int
    /// How many values were NaN (undefined: constant responses, all zero, n < 2).
    public let undefined: Int

    public init(_ values: [Double]) {
        let ok = values.filter { !$0.isNaN }.sorted()
        defined = ok.count
        undefined = values.count - ok.count
        mean = ok.isEmpty ? .nan : ok.reduce(0, +) / Double(ok.count)
        median = ok.isEmpty ? .nan : (ok.count % 2 == 1 ? ok[ok.count / 2] : 0.5 * (ok[ok.count / 2 - 1] + ok[ok.count / 2]))
    }
}

public enum Sparsity {
    /// Sufficient statistics of one response vector.
    struct Moments {
        var n = 0.0, sum = 0.0, sumSquares = 0.0, sumAbs = 0.0
        /// Central moments Σ(r − r̄)², Σ(r − r̄)⁴ (only filled when the kurtosis is needed).
        var central2 = 0.0, central4 = 0.0

        func value(_ measure: SparsityMeasure) -> Double {
            switch measure {
            case .trevesRolls:
                guard n >= 2, sumSquares > 0 else { return .nan }
                let m = sum / n
                return (1 - m * m / (sumSquares / n)) / (1 - 1 / n)
            case .hoyer:
                guard n >= 2, sumSquares > 0 else { return .nan }
                let rn = n.squareRoot()
                return (rn - sumAbs / sumSquares.squareRoot()) / (rn - 1)
            case .kurtosis:
                guard n >= 1 else { return .nan }
                let m2 = central2 / n, m4 = central4 / n
                // Zero variance, with scipy's round-off guard m2 ≤ (eps·mean)² (eps = 2.2e-16), so a
                // constant vector gives NaN rather than the kurtosis of its rounding errors.
                let mean = sum / n, eps = Double.ulpOfOne
                guard m2 > 0, m2 > (eps * mean) * (eps * mean) else { return .nan }
                return m4 / (m2 * m2) - 3
            }
        }
    }

    static func moments(_ r: UnsafeBufferPointer<Float>, stride: Int, count: Int, central: Bool) -> Moments {
        var m = Moments()
        m.n = Double(count)
        for i in 0..<count {
            let v = Double(r[i * stride])
            m.sum += v; m.sumSquares += v * v; m.sumAbs += abs(v)
        }
        if central {
            let mean = m.sum / m.n
            for i in 0..<count {
                let d = Double(r[i * stride]) - mean, d2 = d * d
                m.central2 += d2; m.central4 += d2 * d2
            }
        }
        return m
    }

    static func moments(_ r: [Double], central: Bool) -> Moments {
        var m = Moments()
        m.n = Double(r.count)
        for v in r { m.sum += v; m.sumSquares += v * v; m.sumAbs += abs(v) }
        if central && !r.isEmpty {
            let mean = m.sum / m.n
            for v in r { let d2 = (v - mean) * (v - mean); m.central2 += d2; m.central4 += d2 * d2 }
        }
        return m
    }

    /// The measure of one response vector r [n].
    public static func value(_ measure: SparsityMeasure, _ r: [Double]) -> Double {
        moments(r, central: measure == .kurtosis).value(measure)
    }

    public static func trevesRolls(_ r: [Double]) -> Double { value(.trevesRolls, r) }
    public static func hoyer(_ r: [Double]) -> Double { value(.hoyer, r) }
    public static func excessKurtosis(_ r: [Double]) -> Double { value(.kurtosis, r) }

    /// Lifetime sparsity of each unit over stimuli.
    /// - Parameter activations: [stimuli, units].
    /// - Returns: [units]; NaN where undefined.
    /// - Throws: `SparsityError` for a shape other than [S ≥ 1, U ≥ 1] or non-finite values.
    public static func lifetime(_ measure: SparsityMeasure, activations: Tensor) throws -> [Double] {
        let (s, u) = try checkMatrix(activations)
        var acc = [Moments](repeating: Moments(), count: u)
        activations.data.withUnsafeBufferPointer { a in
            for i in 0..<s {
                let row = i * u
                for j in 0..<u {
                    let v = Double(a[row + j])
                    acc[j].sum += v; acc[j].sumSquares += v * v; acc[j].sumAbs += abs(v)
                }
            }
            for j in 0..<u { acc[j].n = Double(s) }
            if measure == .kurtosis {
                let means = acc.map { $0.sum / $0.n }
                for i in 0..<s {
                    let row = i * u
                    for j in 0..<u {
                        let d = Double(a[row + j]) - means[j], d2 = d * d
                        acc[j].central2 += d2; acc[j].central4 += d2 * d2
                    }
                }
            }
        }
        return acc.map { $0.value(measure) }
    }

    /// Population sparsity of each stimulus over units.
    /// - Parameter activations: [stimuli, units].
    /// - Returns: [stimuli]; NaN where undefined.
    /// - Throws: `SparsityError` for a shape other than [S ≥ 1, U ≥ 1] or non-finite values.
    public static func population(_ measure: SparsityMeasure, activations: Tensor) throws -> [Double] {
        let (s, u) = try checkMatrix(activations)
        return activations.data.withUnsafeBufferPointer { a in
            (0..<s).map { i in
                moments(UnsafeBufferPointer(rebasing: a[(i * u)..<((i + 1) * u)]), stride: 1, count: u,
                        central: measure == .kurtosis).value(measure)
            }
        }
    }

    /// Conv activations [N, C, H, W] as an activation matrix: [N, C·H·W] (`.everyPosition`, a
    /// reshape) or [N, C] (`.spatialMean`).
    /// - Throws: `SparsityError.badShape` unless rank 4 with non-zero extents.
    public static func unitMatrix(convActivations x: Tensor, pooling: ConvUnitPooling) throws -> Tensor {
        guard x.rank == 4, x.count > 0 else { throw SparsityError.badShape(shape: x.shape, expected: "[N, C, H, W]") }
        let n = x.shape[0], c = x.shape[1], plane = x.shape[2] * x.shape[3]
        switch pooling {
        case .everyPosition:
            return x.reshaped([n, c * plane])
        case .spatialMean:
            var out = Tensor(shape: [n, c])
            x.data.withUnsafeBufferPointer { a in
                for p in 0..<(n * c) {
                    var s = 0.0
                    for k in 0..<plane { s += Double(a[p * plane + k]) }
                    out.data[p] = Float(s / Double(plane))
                }
            }
            return out
        }
    }

    static func checkMatrix(_ a: Tensor) throws -> (Int, Int) {
        guard a.rank == 2, a.shape[0] > 0, a.shape[1] > 0 else {
            throw SparsityError.badShape(shape: a.shape, expected: "[stimuli, units] with both ≥ 1")
        }
        guard a.allFinite else { throw SparsityError.nonFinite }
        return (a.shape[0], a.shape[1])
    }
}
