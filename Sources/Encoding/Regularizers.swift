// Penalties added to the training loss (each returns its value and ACCUMULATES its gradient).
import Tensors
import ConvEngine

public enum Regularizer {
    /// Laplace smoothness of conv filters (as the peer): λ · Σ_{o,i} ‖L ⋆ w[o,i]‖², L the 3×3
    /// Laplacian [[0,−1,0],[−1,4,−1],[0,−1,0]], valid correlation (no padding).
    /// Weight (Cout, Cin, K, K). Gradient: 2λ · L ⋆ᵀ (L ⋆ w) (the full correlation with L; L is symmetric).
    @discardableResult
    public static func laplace(_ p: Parameter, strength lambda: Float) -> Double {
        guard lambda != 0 else { return 0 }
        let s = p.value.shape
        precondition(s.count == 4)
        let k = s[2], kw = s[3]
        guard k >= 3 && kw >= 3 else { return 0 }
        let lap: [Float] = [0, -1, 0, -1, 4, -1, 0, -1, 0]
        let oh = k - 2, ow = kw - 2
        var total = 0.0
        var r = [Float](repeating: 0, count: oh * ow)
        for f in 0..<(s[0] * s[1]) {
            let base = f * k * kw
            for i in 0..<oh { for j in 0..<ow {
                var acc: Float = 0
                for a in 0..<3 { for b in 0..<3 { acc += lap[a * 3 + b] * p.value.data[base + (i + a) * kw + j + b] } }
                r[i * ow + j] = acc
                total += Double(acc * acc)
            } }
            for i in 0..<oh { for j in 0..<ow {
                let g = 2 * lambda * r[i * ow + j]
                if g == 0 { continue }
                for a in 0..<3 { for b in 0..<3 { p.grad.data[base + (i + a) * kw + j + b] += g * lap[a * 3 + b] } }
            } }
        }
        return Double(lambda) * total
    }

    /// L1 penalty λ · Σ|w| with subgradient λ·sign(w) (0 at 0).
    @discardableResult
    public static func l1(_ p: Parameter, strength lambda: Float) -> Double {
        guard lambda != 0 else { return 0 }
        var total = 0.0
        for i in 0..<p.value.count {
            let v = p.value.data[i]
            total += Double(abs(v))
            p.grad.data[i] += v > 0 ? lambda : (v < 0 ? -lambda : 0)
        }
        return Double(lambda) * total
    }

    /// L1 penalty on activations, λ/N · Σ|a| over a batch (N, …); returns (value, gradient).
    public static func activationL1(_ a: Tensor, strength lambda: Float) -> (Double, Tensor) {
        let n = Float(max(a.shape[0], 1))
        var g = Tensor(shape: a.shape)
        var total = 0.0
        for i in 0..<a.count {
            let v = a.data[i]
            total += Double(abs(v))
            g.data[i] = v > 0 ? lambda / n : (v < 0 ? -lambda / n : 0)
        }
        return (Double(lambda / n) * total, g)
    }
}
