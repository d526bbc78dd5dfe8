// Weight initialisation, following torch.nn.init. Every initialiser draws from a caller-owned
// `SeededRandom`, so one seed reproduces a whole model.
//
// Fans (torch's _calculate_fan_in_and_fan_out): for a weight of shape [Cout, Cin, K...] (conv) or
// [Fout, Fin] (linear), with receptive field r = ∏K (1 for a matrix):
//   fan_in = Cin·r,  fan_out = Cout·r.
// Kaiming (He et al. 2015):  std = gain / √fan,  uniform bound = √3·std.
// Xavier (Glorot & Bengio 2010): std = gain·√(2 / (fan_in + fan_out)),  uniform bound = √3·std.
// Orthogonal (Saxe et al. 2013): Q of the QR decomposition of a normal matrix, column signs fixed
// by sign(diag R), shaped [rows, ∏rest], times gain.
import Foundation
import Tensors

public enum Initializer {
    /// The nonlinearity after a layer, which sets the initialisation gain (torch.nn.init.calculate_gain).
    public enum Nonlinearity: Equatable, Sendable {
        case linear, sigmoid, tanh, relu, selu
        case leakyReLU(negativeSlope: Double)

        /// linear, sigmoid: 1; tanh: 5/3; relu: √2; leaky ReLU(a): √(2 / (1 + a²)); selu: 3/4.
        public var gain: Double {
            switch self {
            case .linear, .sigmoid: return 1
            case .tanh: return 5.0 / 3
            case .relu: return 2.0.squareRoot()
            case .selu: return 0.75
            case .leakyReLU(let a): return (2 / (1 + a * a)).squareRoot()
            }
        }
    }

    /// Which fan Kaiming initialisation scales by: fan_in preserves the forward variance, fan_out the
    /// backward variance.
    public enum FanMode: String, Sendable, CaseIterable { case fanIn, fanOut }

    /// fan_in and fan_out of a weight of rank ≥ 2 (see the file header).
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "fan in and fan out need a weight of rank ≥ 2, got shape \(shape)")
        let receptiveField = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptiveField, shape[0] * receptiveField)
    }

    /// Standard deviation of Kaiming initialisation: gain / √fan (0 for an empty fan).
    public static func kaimingStandardDeviation(shape: [Int], mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .relu) -> Double {
        let (fanIn, fanOut) = fans(shape)
        let fan = mode == .fanIn ? fanIn : fanOut
        return fan == 0 ? 0 : nonlinearity.gain / Double(fan).squareRoot()
    }

    /// Kaiming normal: N(0, std²) with std = gain/√fan; for ReLU and fan_in, variance 2/fan_in.
    public static func kaimingNormal(shape: [Int], mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .relu,
                                     rng: inout SeededRandom) -> Tensor {
        let std = kaimingStandardDeviation(shape: shape, mode: mode, nonlinearity: nonlinearity)
        return rng.normalTensor(shape, mean: 0, std: Float(std))
    }

    /// Kaiming uniform: U(−b, b) with b = √3·gain/√fan (same variance as `kaimingNormal`).
    public static func kaimingUniform(shape: [Int], mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .relu,
                                      rng: inout SeededRandom) -> Tensor {
        let bound = 3.0.squareRoot() * kaimingStandardDeviation(shape: shape, mode: mode, nonlinearity: nonlinearity)
        return rng.uniformTensor(shape, -Float(bound), Float(bound))
    }

    /// Standard deviation of Xavier initialisation: gain·√(2 / (fan_in + fan_out)).
    public static func xavierStandardDeviation(shape: [Int], gain: Double = 1) -> Double {
        let (fanIn, fanOut) = fans(shape)
        return fanIn + fanOut == 0 ? 0 : gain * (2 / Double(fanIn + fanOut)).squareRoot()
    }

    /// Xavier (Glorot) normal: N(0, std²), std = gain·√(2 / (fan_in + fan_out)).
    public static func xavierNormal(shape: [Int], gain: Double = 1, rng: inout SeededRandom) -> Tensor {
        rng.normalTensor(shape, mean: 0, std: Float(xavierStandardDeviation(shape: shape, gain: gain)))
    }

    /// Xavier (Glorot) uniform: U(−b, b), b = gain·√(6 / (fan_in + fan_out)).
    public static func xavierUniform(shape: [Int], gain: Double = 1, rng: inout SeededRandom) -> Tensor {
        let bound = Float(3.0.squareRoot() * xavierStandardDeviation(shape: shape, gain: gain))
        return rng.uniformTensor(shape, -bound, bound)
    }

    /// PyTorch's default initialisation of Conv2d / Linear (`reset_parameters`):
    /// weight ~ kaiming_uniform(a = √5) = U(−1/√fan_in, 1/√fan_in) and bias ~ U(−1/√fan_in, 1/√fan_in).
    /// - Parameter weightShape: [Cout, Cin, K, K] or [Fout, Fin].
    /// - Returns: weight of `weightShape` and bias of shape [weightShape[0]]; the weight is drawn first.
    public static func pytorchDefault(weightShape: [Int], rng: inout SeededRandom) -> (weight: Tensor, bias: Tensor) {
        let weight = kaimingUniform(shape: weightShape, mode: .fanIn, nonlinearity: .leakyReLU(negativeSlope: 5.0.squareRoot()), rng: &rng)
        let fanIn = fans(weightShape).fanIn
        let bound = fanIn > 0 ? Float(1 / Double(fanIn).squareRoot()) : 0
        let bias = rng.uniformTensor([weightShape[0]], -bound, bound)
        return (weight, bias)
    }

    /// (Semi-)orthogonal initialisation (torch.nn.init.orthogonal_): the weight seen as a
    /// [rows, cols] matrix, rows = shape[0], cols = ∏shape[1...], has orthonormal rows (rows ≤ cols)
    /// or orthonormal columns (rows > cols), times `gain`. Computed in double precision (LAPACK
    /// dgeqrf + dorgqr) and rounded to Float32.
    /// Throws `LinearAlgebraError` only if LAPACK reports a failure.
    public static func orthogonal(shape: [Int], gain: Double = 1, rng: inout SeededRandom) throws -> Tensor {
        precondition(shape.count >= 2, "orthogonal initialisation needs a weight of rank ≥ 2, got shape \(shape)")
        let rows = shape[0], cols = shape.dropFirst().reduce(1, *)
        var out = Tensor(shape: shape)
        guard rows > 0, cols > 0 else { return out }
        // Normal matrix in the orientation with at least as many rows as columns: m×n, m ≥ n.
        let tall = rows >= cols
        let m = tall ? rows : cols, n = tall ? cols : rows
        var a = [Double](repeating: 0, count: m * n)
        for i in 0..<(rows * cols) { a[i] = rng.normal() }   // draws in row-major [rows, cols] order
        if !tall {   // transpose [rows, cols] → [cols, rows]
            var t = [Double](repeating: 0, count: m * n)
            for r in 0..<rows { for c in 0..<cols { t[c * rows + r] = a[r * cols + c] } }
            a = t
        }
        let (q, d) = try LAPACK.thinQR(a, rows: m, cols: n)
        // Column j of Q times sign(R_jj) makes the decomposition unique (a zero diagonal, which has
        // probability zero, keeps the sign +1 rather than zeroing the column as torch's sign() would).
        let signs = d.map { $0 < 0 ? -1.0 : 1.0 }
        for i in 0..<m {
            for j in 0..<n {
                let value = Float(gain * q[i * n + j] * signs[j])
                // Q is m×n; the weight is [rows, cols] = Q (tall) or Qᵀ (wide).
                if tall { out.data[i * cols + j] = value } else { out.data[j * cols + i] = value }
            }
        }
        return out
    }
}
