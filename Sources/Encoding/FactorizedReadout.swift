// Factorized readout (Klindt et al. 2017): each unit u reads the core's feature map through a
// spatial mask m_u (one weight per position) and a feature vector f_u (one weight per channel):
//   η[n,u] = Σ_c f[u,c] · Σ_s h[n,c,s] · m[u,s] + b[u]
// Shapes: h (N, C, H, W) with S = H·W; mask (U, S); features (U, C); bias (U); η (N, U).
// The L1 penalty on the mask (sparse receptive fields) is applied by the trainer.
import Tensors
import ConvEngine

public final class FactorizedReadout: Layer {
    public var name: String
    public let channels: Int, height: Int, width: Int, units: Int
    public let mask: Parameter      // (U, S)
    public let features: Parameter  // (U, C)
    public let bias: Parameter      // (U)
    public var parameters: [Parameter] { [mask, features, bias] }
    public var state: [String: Tensor] = [:]
    public var retainsForBackward = false
    // Storage of the output and of dX, reused from pass to pass when nobody holds the last ones.
    private let storage = LayerStorage()

    public func releaseSaved() { savedInput = Tensor(shape: [0]); pooled = Tensor(shape: [0]) }

    // Saved by forward for backward: the input h (N, C, S) and the spatially pooled sp (N, C, U).
    private var savedInput = Tensor(shape: [0])
    private var pooled = Tensor(shape: [0])        // (N, C, U) mask-pooled features
    private let pooledStorage = ReusableStorage()                      // sp: saved, of its own
    private let gradientScratch = ReusableStorage(pool: .shared)     // (N, C, U) dη·f, briefly

    public init(name: String = "readout", channels: Int, height: Int, width: Int, units: Int, rng: inout SeededRandom) {
        self.name = name
        self.channels = channels; self.height = height; self.width = width; self.units = units
        let s = height * width
        // Initialisation as the PyTorch peer: mask N(0, 0.01²), features N(0, 0.1²), bias 0.
        mask = Parameter(name: "mask", value: rng.normalTensor([units, s], std: 0.01))
        features = Parameter(name: "features", value: rng.normalTensor([units, channels], std: 0.1))
        bias = Parameter(name: "bias", value: Tensor(shape: [units]))
    }

    public var config: [String: LayerConfigValue] {
        ["type": .string("factorized"), "channels": .int(channels), "height": .int(height), "width": .int(width), "units": .int(units)]
    }

    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], units] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == channels && x.shape[2] == height && x.shape[3] == width,
                     "factorized readout expects (N, \(channels), \(height), \(width)), got \(x.shape)")
        let n = x.shape[0], c = channels, s = height * width, u = units
        let keep = training || retainsForBackward
        var sp = pooledStorage.take([n, c, u])  // written by sgemm (β = 0)
        // sp(N·C, U) = h(N·C, S) · maskᵀ(S, U)
        x.data.withUnsafeBufferPointer { h in mask.value.data.withUnsafeBufferPointer { m in sp.data.withUnsafeMutableBufferPointer { o in
            BLAS.sgemm(transposeA: false, transposeB: true, m: n * c, n: u, k: s, alpha: 1, a: h.baseAddress!, lda: s,
                       b: m.baseAddress!, ldb: s, beta: 0, c: o.baseAddress!, ldc: u)
        } } }
        var out = storage.output(kept: training || retainsForBackward).take([n, u], zeroed: true)
        sp.data.withUnsafeBufferPointer { p in features.value.data.withUnsafeBufferPointer { f in bias.value.data.withUnsafeBufferPointer { b in
            out.data.withUnsafeMutableBufferPointer { o in
                for i in 0..<n {
                    for j in 0..<u { o[i * u + j] = b[j] }
                    for ch in 0..<c {
                        let row = p.baseAddress! + (i * c + ch) * u
                        for j in 0..<u { o[i * u + j] += row[j] * f[j * c + ch] }
                    }
                }
            }
        } } }
        pooledStorage.keep(sp)
        if keep { savedInput = x; pooled = sp }
        storage.output(kept: training || retainsForBackward).keep(out)
        return out
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let n = savedInput.shape[0], c = channels, s = height * width, u = units
        precondition(dOut.shape == [n, u], "readout backward: dOut \(dOut.shape) vs (\(n), \(u))")
        // dsp[n,c,u] = dη[n,u] · f[u,c]; df[u,c] += Σ_n dη[n,u] · sp[n,c,u]; db[u] += Σ_n dη[n,u]
        var dsp = gradientScratch.take([n, c, u])  // every value written below
        dOut.data.withUnsafeBufferPointer { d in features.value.data.withUnsafeBufferPointer { f in
            pooled.data.withUnsafeBufferPointer { p in dsp.data.withUnsafeMutableBufferPointer { ds in
                features.grad.data.withUnsafeMutableBufferPointer { df in bias.grad.data.withUnsafeMutableBufferPointer { db in
                    for i in 0..<n {
                        for j in 0..<u { db[j] += d[i * u + j] }
                        for ch in 0..<c {
                            let base = (i * c + ch) * u
                            for j in 0..<u {
                                ds[base + j] = d[i * u + j] * f[j * c + ch]
                                df[j * c + ch] += d[i * u + j] * p[base + j]
                            }
                        }
                    }
                } }
            } }
        } }
        // dmask(U, S) += dspᵀ(U, N·C) · h(N·C, S);  dh(N·C, S) = dsp(N·C, U) · mask(U, S)
        var dx = storage.inputGradient.take(savedInput.shape)  // written by sgemm (β = 0)
        dsp.data.withUnsafeBufferPointer { ds in savedInput.data.withUnsafeBufferPointer { h in
            mask.grad.data.withUnsafeMutableBufferPointer { dm in mask.value.data.withUnsafeBufferPointer { m in
                dx.data.withUnsafeMutableBufferPointer { dh in
                    BLAS.sgemm(transposeA: true, transposeB: false, m: u, n: s, k: n * c, alpha: 1, a: ds.baseAddress!, lda: u,
                               b: h.baseAddress!, ldb: s, beta: 1, c: dm.baseAddress!, ldc: s)
                    BLAS.sgemm(transposeA: false, transposeB: false, m: n * c, n: s, k: u, alpha: 1, a: ds.baseAddress!, lda: u,
                               b: m.baseAddress!, ldb: s, beta: 0, c: dh.baseAddress!, ldc: s)
                }
            } }
        } }
        gradientScratch.keep(dsp)
        storage.inputGradient.keep(dx)
        return dx
    }
}
