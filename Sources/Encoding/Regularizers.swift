// Penalties added to the training loss (each returns its value and ACCUMULATES its gradient).
import Tensors
import ConvEngine

/// Which part of the 3×3 Laplacian of a filter the smoothness penalty sums over.
public enum LaplacePadding: String, Codable, Sendable, CaseIterable {
    /// Zero-padded, K×K outputs: every pixel is penalised (neuralpredictors' default, and ours).
    case same
    /// Unpadded, (K−2)×(K−2) outputs: border pixels are penalised weakly, corners not at all.
    case valid
}

public enum Regularizer {
    /// Laplace smoothness of conv filters: λ · Σ_{o,i} ‖L ⋆ w[o,i]‖², L the 3×3 Laplacian
    /// [[0,−1,0],[−1,4,−1],[0,−1,0]]. Weight (Cout, Cin, K, K).
    /// - `.same` (default): the kernel is zero-padded by one pixel and L ⋆ w has K×K values, so every
    ///   pixel, border and corner included, is penalised (neuralpredictors' `Laplace`, whose padding
    ///   defaults to filter_size // 2). A large border pixel next to the zero padding costs (4w)².
    /// - `.valid`: no padding, (K−2)×(K−2) values; the corner pixels never enter the penalty and the
    ///   edge pixels only weakly (the form of earlier versions and of the torch_stacked3 fixture).
    /// Gradient: 2λ · Lᵀ ⋆ (L ⋆ w), i.e. each residual r[i,j] adds 2λ·r[i,j]·L[a,b] to the pixel it
    /// read, w[i+a−p, j+b−p] (p the padding), when that pixel lies inside the kernel.
    @discardableResult
    public static func laplace(_ p: Parameter, strength lambda: Float, padding: LaplacePadding = .same) -> Double {
        guard lambda != 0 else { return 0 }
        let s = p.value.shape
        precondition(s.count == 4)
        let k = s[2], kw = s[3]
        let pad = padding == .same ? 1 : 0
        let oh = k + 2 * pad - 2, ow = kw + 2 * pad - 2
        guard oh >= 1 && ow >= 1 else { return 0 }
        let lap: [Float] = [0, -1, 0, -1, 4, -1, 0, -1, 0]
        var total = 0.0
        var r = [Float](repeating: 0, count: oh * ow)
        for f in 0..<(s[0] * s[1]) {
            let base = f * k * kw
            for i in 0..<oh { for j in 0..<ow {
                var acc: Float = 0
                for a in 0..<3 {
                    let y = i + a - pad
                    if y < 0 || y >= k { continue }
                    for b in 0..<3 {
                        let x = j + b - pad
                        if x < 0 || x >= kw { continue }
                        acc += lap[a * 3 + b] * p.value.data[base + y * kw + x]
                    }
                }
                r[i * ow + j] = acc
                total += Double(acc * acc)
            } }
            for i in 0..<oh { for j in 0..<ow {
                let g = 2 * lambda * r[i * ow + j]
                if g == 0 { continue }
                for a in 0..<3 {
                    let y = i + a - pad
                    if y < 0 || y >= k { continue }
                    for b in 0..<3 {
                        let x = j + b - pad
                        if x < 0 || x >= kw { continue }
                        p.grad.data[base + y * kw + x] += g * lap[a * 3 + b]
                    }
                }
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
    /// `batchRows`: the whole minibatch's row count N when `a` is one MPI rank's share of it (the
    /// ranks' values and gradients then add up to the whole batch's); nil: `a.shape[0]`.
    /// The gradient is written into `storage` (the trainer's, reused from step to step).
    public static func activationL1(_ a: Tensor, strength lambda: Float, batchRows: Int? = nil,
                                    into storage: ReusableStorage = ReusableStorage()) -> (Double, Tensor) {
        let n = Float(max(batchRows ?? a.shape[0], 1))
        var total = 0.0
        let g = storage.tensor(a.shape) { g in
            a.data.withUnsafeBufferPointer { pa in
                for i in 0..<pa.count {
                    let v = pa[i]
                    total += Double(abs(v))
                    g[i] = v > 0 ? lambda / n : (v < 0 ? -lambda / n : 0)
                }
            }
        }
        return (Double(lambda / n) * total, g)
    }
}
