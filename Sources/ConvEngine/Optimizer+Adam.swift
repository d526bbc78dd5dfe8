// Adam and AdamW, exactly as torch.optim.Adam / torch.optim.AdamW (single-tensor path, no AMSGrad):
//
//   t ← t + 1                                       (per-parameter step count)
//   θ ← θ·(1 − η·λ)                                 (AdamW: decoupled weight decay λ)
//   g ← grad + λ·θ                                  (Adam: L2 weight decay added to the gradient)
//   m ← m + (1 − β1)·(g − m)                         (torch's lerp; first moment)
//   v ← β2·v + (1 − β2)·g·g                          (second moment)
//   θ ← θ − (η / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
//
// Bias corrections and the step size are computed in double precision (as Python floats in
// torch) and rounded to float32 when they enter the element-wise update, as torch does.
// State per parameter: "exp_avg" (m), "exp_avg_sq" (v), both with the parameter's shape, and
// "step" (t, shape [1]), created on the parameter's first step.
import Foundation
import Tensors

public class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    /// True for AdamW (θ ← θ(1 − ηλ) before the moment update); false for Adam (L2 in the gradient).
    public let decoupledWeightDecay: Bool
    public private(set) var stepCount = 0

    /// Moments per parameter position (nil before the parameter's first step).
    private var moments: [Moments?] = []

    private struct Moments {
        var exponentialAverage: Tensor          // m, parameter's shape
        var exponentialAverageSquared: Tensor   // v, parameter's shape
        var step: Int                           // t
    }

    private var kind: String { decoupledWeightDecay ? "AdamW" : "Adam" }

    /// Adam with L2 weight decay added to the gradient. Defaults are torch's. Throws
    /// `OptimizerConfigurationError` for a negative learning rate, ε or weight decay, or β outside [0, 1).
    public convenience init(learningRate: Float = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                            epsilon: Double = 1e-8, weightDecay: Double = 0) throws {
        try self.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                      weightDecay: weightDecay, decoupledWeightDecay: false)
    }

    init(learningRate: Float, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double,
         decoupledWeightDecay: Bool) throws {
        let name = decoupledWeightDecay ? "AdamW" : "Adam"
        try OptimizerSupport.checkHyperparameter(learningRate.isFinite && learningRate >= 0, name, "learning rate", Double(learningRate), "finite and ≥ 0")
        try OptimizerSupport.checkHyperparameter(beta1 >= 0 && beta1 < 1, name, "beta1", beta1, "in [0, 1)")
        try OptimizerSupport.checkHyperparameter(beta2 >= 0 && beta2 < 1, name, "beta2", beta2, "in [0, 1)")
        try OptimizerSupport.checkHyperparameter(epsilon.isFinite && epsilon >= 0, name, "epsilon", epsilon, "finite and ≥ 0")
        try OptimizerSupport.checkHyperparameter(weightDecay.isFinite && weightDecay >= 0, name, "weight decay", weightDecay, "finite and ≥ 0")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public func step(_ parameters: [Parameter]) {
        if moments.isEmpty { moments = Array(repeating: nil, count: parameters.count) }
        precondition(moments.count == parameters.count,
                     "\(kind).step: \(parameters.count) parameters, but the optimiser state holds \(moments.count) (pass the same list every step)")
        let lr = Double(learningRate)
        for (index, p) in parameters.enumerated() where p.trainable {
            precondition(p.grad.shape == p.value.shape, "\(kind).step: parameter '\(p.name)' has grad shape \(p.grad.shape) but value shape \(p.value.shape)")
            var state = moments[index] ?? Moments(exponentialAverage: Tensor(shape: p.value.shape),
                                                  exponentialAverageSquared: Tensor(shape: p.value.shape), step: 0)
            precondition(state.exponentialAverage.shape == p.value.shape,
                         "\(kind).step: parameter \(index) '\(p.name)' has shape \(p.value.shape) but its state \(state.exponentialAverage.shape)")
            moments[index] = nil   // keep the buffers uniquely referenced while updated in place
            state.step += 1
            let t = Double(state.step)
            // Python-float (double) scalars, rounded to float32 where they meet the tensors.
            let biasCorrection1 = 1 - Foundation.pow(beta1, t)
            let biasCorrection2 = 1 - Foundation.pow(beta2, t)
            let s = AdamScalars(
                decay: decoupledWeightDecay && weightDecay != 0 ? Float(1 - lr * weightDecay) : 1,
                l2: decoupledWeightDecay ? 0 : Float(weightDecay),
                firstWeight: Float(1 - beta1),
                beta2: Float(beta2),
                secondWeight: Float(1 - beta2),
                biasCorrection2Sqrt: Float(biasCorrection2.squareRoot()),
                epsilon: Float(epsilon),
                negStepSize: Float(-(lr / biasCorrection1)))
            let n = p.value.count
            if n > 0 {
                state.exponentialAverage.data.withUnsafeMutableBufferPointer { mb in
                    state.exponentialAverageSquared.data.withUnsafeMutableBufferPointer { vb in
                        p.value.data.withUnsafeMutableBufferPointer { tb in p.grad.data.withUnsafeBufferPointer { gb in
                            Self.kernel(n: n, theta: tb.baseAddress!, grad: gb.baseAddress!,
                                        m: mb.baseAddress!, v: vb.baseAddress!, s)
                        } }
                    }
                }
            }
            moments[index] = state
        }
        stepCount += 1
    }

    /// Float32 scalars of one parameter's update.
    private struct AdamScalars {
        var decay: Float              // 1 − ηλ (AdamW) or 1
        var l2: Float                 // λ (Adam) or 0
        var firstWeight: Float        // 1 − β1, the lerp weight
        var beta2: Float
        var secondWeight: Float       // 1 − β2
        var biasCorrection2Sqrt: Float
        var epsilon: Float
        var negStepSize: Float        // −η / (1 − β1^t)
    }

    /// The element-wise update over n elements of raw buffers (no allocation). Operation order
    /// follows torch's kernels: lerp as fma(w, g − m, m) for w < 0.5 and fma(w − 1, g − m, g) otherwise;
    /// addcmul as v + (c·g)·g; addcdiv as θ + c·(m / denom); add-with-alpha as fma (ATen's fmadd).
    @inline(__always)
    private static func kernel(n: Int, theta: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
                               m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, _ s: AdamScalars) {
        let lowWeight = s.firstWeight < 0.5
        let w = s.firstWeight, wMinusOne = s.firstWeight - 1
        let vw = SIMD16<Float>(repeating: w), vw1 = SIMD16<Float>(repeating: wMinusOne)
        let vdecay = SIMD16<Float>(repeating: s.decay), vl2 = SIMD16<Float>(repeating: s.l2)
        let vb2 = SIMD16<Float>(repeating: s.beta2), vc2 = SIMD16<Float>(repeating: s.secondWeight)
        let vbc2 = SIMD16<Float>(repeating: s.biasCorrection2Sqrt), veps = SIMD16<Float>(repeating: s.epsilon)
        let vstep = SIMD16<Float>(repeating: s.negStepSize)
        var i = 0
        while i + 16 <= n {
            var t = OptimizerSupport.load16(theta, i)
            if s.decay != 1 { t = t * vdecay }
            var g = OptimizerSupport.load16(grad, i)
            if s.l2 != 0 { g = g.addingProduct(t, vl2) }
            let m0 = OptimizerSupport.load16(m, i)
            let diff = g - m0
            let m1 = lowWeight ? m0.addingProduct(vw, diff) : g.addingProduct(vw1, diff)
            let v1 = (OptimizerSupport.load16(v, i) * vb2) + (vc2 * g) * g
            // Note: Swift lowers this square root to 16 scalar sqrtss (libm sqrtf may set errno, so
            // LLVM does not vectorise it); the rest of the update is vectorised.
            let denom = v1.squareRoot() / vbc2 + veps
            OptimizerSupport.store16(m1, m, i)
            OptimizerSupport.store16(v1, v, i)
            OptimizerSupport.store16(t + vstep * (m1 / denom), theta, i)
            i += 16
        }
        while i < n {
            var t = theta[i]
            if s.decay != 1 { t = t * s.decay }
            var g = grad[i]
            if s.l2 != 0 { g = g.addingProduct(t, s.l2) }
            let m0 = m[i]
            let diff = g - m0
            let m1 = lowWeight ? m0.addingProduct(w, diff) : g.addingProduct(wMinusOne, diff)
            let v1 = (v[i] * s.beta2) + (s.secondWeight * g) * g
            let denom = v1.squareRoot() / s.biasCorrection2Sqrt + s.epsilon
            m[i] = m1
            v[i] = v1
            theta[i] = t + s.negStepSize * (m1 / denom)
            i += 1
        }
    }

    public func stateTensors() -> [String: Tensor] {
        var out: [String: Tensor] = ["learning_rate": Tensor(shape: [1], data: [learningRate]),
                                     "step_count": OptimizerSupport.countTensor(stepCount)]
        for (i, state) in moments.enumerated() {
            guard let state else { continue }
            out["\(i).exp_avg"] = state.exponentialAverage
            out["\(i).exp_avg_sq"] = state.exponentialAverageSquared
            out["\(i).step"] = OptimizerSupport.countTensor(state.step)
        }
        return out
    }

    public func loadState(_ tensors: [String: Tensor], parameters: [Parameter]) throws {
        let name = kind
        var known: Set<String> = ["learning_rate", "step_count"]
        var loaded: [Moments?] = Array(repeating: nil, count: parameters.count)
        for (i, p) in parameters.enumerated() {
            let keys = ["\(i).exp_avg", "\(i).exp_avg_sq", "\(i).step"]
            known.formUnion(keys)
            let m = try OptimizerSupport.readBuffer(tensors, index: i, slot: "exp_avg", parameter: p, optimizer: name)
            let v = try OptimizerSupport.readBuffer(tensors, index: i, slot: "exp_avg_sq", parameter: p, optimizer: name)
            let hasStep = tensors[keys[2]] != nil
            if m == nil && v == nil && !hasStep { continue }
            // A parameter's state is all three entries or none.
            guard let m else { throw OptimizerStateError.missing(optimizer: name, key: keys[0]) }
            guard let v else { throw OptimizerStateError.missing(optimizer: name, key: keys[1]) }
            let t = try OptimizerSupport.readCount(tensors, keys[2], optimizer: name)
            loaded[i] = Moments(exponentialAverage: m, exponentialAverageSquared: v, step: t)
        }
        try OptimizerSupport.rejectUnknownKeys(tensors, known: known, optimizer: name)
        let lr = try OptimizerSupport.readLearningRate(tensors, optimizer: name)
        let count = try OptimizerSupport.readCount(tensors, "step_count", optimizer: name)
        learningRate = lr
        stepCount = count
        moments = loaded
    }
}

/// AdamW: Adam with decoupled weight decay θ ← θ(1 − ηλ), exactly as torch.optim.AdamW
/// (default λ = 0.01 as in torch).
public final class AdamW: Adam {
    public init(learningRate: Float = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 1e-2) throws {
        try super.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                       weightDecay: weightDecay, decoupledWeightDecay: true)
    }
}
