// Full linear readout: every unit has its own weight for every feature at every position.
//   η[n,u] = Σ_k W[u,k] · h[n,k] + b[u],  k over C·H·W
// Shapes: h (N, C, H, W) viewed as (N, K); weight (U, K); bias (U); η (N, U).
// With a one-layer linear core and an exp link this is exactly a Poisson GLM on the core's input.
import Tensors
import ConvEngine

public final class FullLinearReadout: Layer {
    public var name: String
    public let channels: Int, height: Int, width: Int, units: Int
    public let weight: Parameter  // (U, K)
    public let bias: Parameter    // (U)
    public var parameters: [Parameter] { [weight, bias] }
    public var state: [String: Tensor] = [:]
    public var retainsForBackward = false
    // Storage of the output and of dX, reused from pass to pass when nobody holds the last ones.
    private let storage = LayerStorage()

    public func releaseSaved() { savedInput = Tensor(shape: [0]) }
    private var savedInput = Tensor(shape: [0])  // (N, C, H, W), for the weight gradient

    public init(name: String = "readout", channels: Int, height: Int, width: Int, units: Int, rng: inout SeededRandom) {
        self.name = name
        self.channels = channels; self.height = height; self.width = width; self.units = units
        let k = channels * height * width
        weight = Parameter(name: "weight", value: rng.normalTensor([units, k], std: Float(1 / Double(k).squareRoot()) * 0.1))
        bias = Parameter(name: "bias", value: Tensor(shape: [units]))
    }

    public var config: [String: LayerConfigValue] {
        ["type": .string("full"), "channels": .int(channels), "height": .int(height), "width": .int(width), "units": .int(units)]
    }

    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], units] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let k = channels * height * width
        precondition(x.count == x.shape[0] * k, "full readout expects (N, \(channels), \(height), \(width)), got \(x.shape)")
        let n = x.shape[0], u = units
        var out = storage.output(kept: training || retainsForBackward).take([n, u], zeroed: true)
        x.data.withUnsafeBufferPointer { h in weight.value.data.withUnsafeBufferPointer { w in bias.value.data.withUnsafeBufferPointer { b in
            out.data.withUnsafeMutableBufferPointer { o in
                for i in 0..<n { for j in 0..<u { o[i * u + j] = b[j] } }
                BLAS.sgemm(transposeA: false, transposeB: true, m: n, n: u, k: k, alpha: 1, a: h.baseAddress!, lda: k,
                           b: w.baseAddress!, ldb: k, beta: 1, c: o.baseAddress!, ldc: u)
            }
        } } }
        if training || retainsForBackward { savedInput = x }
        storage.output(kept: training || retainsForBackward).keep(out)
        return out
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let n = savedInput.shape[0], u = units, k = channels * height * width
        var dx = storage.inputGradient.take(savedInput.shape)  // written by sgemm (β = 0)
        dOut.data.withUnsafeBufferPointer { d in savedInput.data.withUnsafeBufferPointer { h in
            weight.value.data.withUnsafeBufferPointer { w in weight.grad.data.withUnsafeMutableBufferPointer { dw in
                bias.grad.data.withUnsafeMutableBufferPointer { db in dx.data.withUnsafeMutableBufferPointer { dh in
                    for i in 0..<n { for j in 0..<u { db[j] += d[i * u + j] } }
                    BLAS.sgemm(transposeA: true, transposeB: false, m: u, n: k, k: n, alpha: 1, a: d.baseAddress!, lda: u,
                               b: h.baseAddress!, ldb: k, beta: 1, c: dw.baseAddress!, ldc: k)
                    BLAS.sgemm(transposeA: false, transposeB: false, m: n, n: k, k: u, alpha: 1, a: d.baseAddress!, lda: u,
                               b: w.baseAddress!, ldb: k, beta: 0, c: dh.baseAddress!, ldc: k)
                } }
            } }
        } }
        storage.inputGradient.keep(dx)
        return dx
    }
}
