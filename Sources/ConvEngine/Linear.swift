// Fully connected layer on [N, F] inputs, like torch.nn.Linear:
//   y [N, out] = x [N, in] · Wᵀ + b,  weight [out, in], bias [out].
// Backward: dW += dYᵀ·x, db += Σ_n dY, dX = dY·W (BLAS sgemm).
import Tensors

public final class Linear: Layer {
    public var name: String
    public let inputFeatures: Int
    public let outputFeatures: Int
    /// [out, in]
    public let weight: Parameter
    /// [out], nil when the layer has no bias.
    public let bias: Parameter?
    public var state: [String: Tensor] = [:]
    public var retainsForBackward = false
    // Saved by forward for backward: x [N, in].
    private var savedInput: Tensor?
    // Storage of the output and of dX, reused from pass to pass when nobody holds the last ones.
    private let storage = LayerStorage()

    public func releaseSaved() { savedInput = nil }

    /// Weights and bias drawn like PyTorch's default: U(−1/√in, 1/√in).
    public convenience init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, name: String = "linear", seed: UInt64 = 0) {
        var random = SeededRandom(seed: seed)
        self.init(inputFeatures: inputFeatures, outputFeatures: outputFeatures, bias: bias, name: name, random: &random)
    }

    public convenience init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, name: String = "linear",
                            random: inout SeededRandom) {
        precondition(inputFeatures > 0 && outputFeatures > 0, "Linear: feature counts must be positive")
        let bound = Float(1 / Double(inputFeatures).squareRoot())
        let w = random.uniformTensor([outputFeatures, inputFeatures], -bound, bound)
        let b = bias ? random.uniformTensor([outputFeatures], -bound, bound) : nil
        self.init(name: name, weight: w, bias: b)
    }

    /// Given initial values: weight [out, in], bias [out] or nil.
    public init(name: String = "linear", weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2 && weight.shape.allSatisfy { $0 > 0 }, "Linear: weight must be [out, in], got \(weight.shape)")
        if let b = bias { precondition(b.shape == [weight.shape[0]], "Linear: bias shape \(b.shape) ≠ [\(weight.shape[0])]") }
        self.name = name
        self.outputFeatures = weight.shape[0]
        self.inputFeatures = weight.shape[1]
        self.weight = Parameter(name: "weight", value: weight)
        self.bias = bias.map { Parameter(name: "bias", value: $0) }
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public var config: [String: LayerConfigValue] {
        ["type": .string("linear"), "input_features": .int(inputFeatures), "output_features": .int(outputFeatures),
         "bias": .bool(bias != nil)]
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        guard inputShape.count == 2, inputShape[1] == inputFeatures else { return [] }
        return [inputShape[0], outputFeatures]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(!outputShape(for: x.shape).isEmpty, "\(name): input \(x.shape) does not fit Linear(\(inputFeatures)→\(outputFeatures))")
        savedInput = (training || retainsForBackward) ? x : nil
        let n = x.shape[0]
        var y = storage.output(kept: training || retainsForBackward).take([n, outputFeatures], zeroed: true)
        if let b = bias {
            for i in 0..<n { for j in 0..<outputFeatures { y.data[i * outputFeatures + j] = b.value.data[j] } }
        }
        if n > 0 {
            x.data.withUnsafeBufferPointer { px in weight.value.data.withUnsafeBufferPointer { pw in y.data.withUnsafeMutableBufferPointer { py in
                BLAS.sgemm(transposeA: false, transposeB: true, m: n, n: outputFeatures, k: inputFeatures, alpha: 1,
                           a: px.baseAddress!, lda: inputFeatures, b: pw.baseAddress!, ldb: inputFeatures,
                           beta: 1, c: py.baseAddress!, ldc: outputFeatures)
            } } }
        }
        storage.output(kept: training || retainsForBackward).keep(y)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = savedInput else {
            preconditionFailure("\(name): backward without a saved forward (run forward with training or retainsForBackward)")
        }
        let n = x.shape[0]
        precondition(dOut.shape == [n, outputFeatures], "\(name): dOut \(dOut.shape) ≠ output [\(n), \(outputFeatures)]")
        var dx = storage.inputGradient.take(x.shape, zeroed: true)
        defer { storage.inputGradient.keep(dx) }
        guard n > 0 else { return dx }
        dOut.data.withUnsafeBufferPointer { pd in
            x.data.withUnsafeBufferPointer { px in weight.grad.data.withUnsafeMutableBufferPointer { pg in
                BLAS.sgemm(transposeA: true, transposeB: false, m: outputFeatures, n: inputFeatures, k: n, alpha: 1,
                           a: pd.baseAddress!, lda: outputFeatures, b: px.baseAddress!, ldb: inputFeatures,
                           beta: 1, c: pg.baseAddress!, ldc: inputFeatures)
            } }
            weight.value.data.withUnsafeBufferPointer { pw in dx.data.withUnsafeMutableBufferPointer { pdx in
                BLAS.sgemm(transposeA: false, transposeB: false, m: n, n: inputFeatures, k: outputFeatures, alpha: 1,
                           a: pd.baseAddress!, lda: outputFeatures, b: pw.baseAddress!, ldb: inputFeatures,
                           beta: 0, c: pdx.baseAddress!, ldc: inputFeatures)
            } }
        }
        if let b = bias {
            for j in 0..<outputFeatures {
                var s = 0.0
                for i in 0..<n { s += Double(dOut.data[i * outputFeatures + j]) }
                b.grad.data[j] += Float(s)
            }
        }
        return dx
    }
}
