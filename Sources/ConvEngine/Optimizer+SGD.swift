// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
// exactly as torch.optim.SGD (single-tensor path):
//
//   g ← grad + λ·θ                                  (weight decay λ, when λ ≠ 0)
//   b ← g                         on the first step  (momentum μ ≠ 0; no dampening on the first step)
//   b ← μ·b + (1 − τ)·g           afterwards          (dampening τ)
//   g ← g + μ·b  (Nesterov)   or   g ← b
//   θ ← θ − η·g                                     (learning rate η)
//
// State per parameter: "momentum_buffer" (shape of the parameter), created on the first step
// when μ ≠ 0.
import Tensors

public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Double
    public let dampening: Double
    public let nesterov: Bool
    public let weightDecay: Double
    public private(set) var stepCount = 0

    /// Momentum buffer b per parameter position (nil before its first step or when μ = 0).
    private var momentumBuffers: [Tensor?] = []

    /// Defaults are torch's. Throws `OptimizerConfigurationError` for a negative learning rate,
    /// momentum or weight decay, and for Nesterov momentum without momentum or with dampening.
    public init(learningRate: Float = 1e-3, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, weightDecay: Double = 0) throws {
        try OptimizerSupport.checkHyperparameter(learningRate.isFinite && learningRate >= 0, "SGD", "learning rate", Double(learningRate), "finite and ≥ 0")
        try OptimizerSupport.checkHyperparameter(momentum.isFinite && momentum >= 0, "SGD", "momentum", momentum, "finite and ≥ 0")
        try OptimizerSupport.checkHyperparameter(dampening.isFinite, "SGD", "dampening", dampening, "finite")
        try OptimizerSupport.checkHyperparameter(weightDecay.isFinite && weightDecay >= 0, "SGD", "weight decay", weightDecay, "finite and ≥ 0")
        if nesterov {
            try OptimizerSupport.checkHyperparameter(momentum > 0, "SGD", "momentum", momentum, "> 0 with Nesterov momentum")
            try OptimizerSupport.checkHyperparameter(dampening == 0, "SGD", "dampening", dampening, "0 with Nesterov momentum")
        }
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter]) {
        if momentumBuffers.isEmpty { momentumBuffers = Array(repeating: nil, count: parameters.count) }
        precondition(momentumBuffers.count == parameters.count,
                     "SGD.step: \(parameters.count) parameters, but the optimiser state holds \(momentumBuffers.count) (pass the same list every step)")
        // Scalars as torch converts them to the tensor dtype (float32).
        let lambda = Float(weightDecay), mu = Float(momentum), keep = Float(1 - dampening)
        let negLR = -learningRate
        for (index, p) in parameters.enumerated() where p.trainable {
            precondition(p.grad.shape == p.value.shape, "SGD.step: parameter '\(p.name)' has grad shape \(p.grad.shape) but value shape \(p.value.shape)")
            let n = p.value.count
            guard n > 0 else { continue }
            if mu == 0 {
                p.value.data.withUnsafeMutableBufferPointer { vb in p.grad.data.withUnsafeBufferPointer { gb in
                    Self.plainKernel(n: n, theta: vb.baseAddress!, grad: gb.baseAddress!, lambda: lambda, negLR: negLR)
                } }
                continue
            }
            let first = momentumBuffers[index] == nil
            var b = momentumBuffers[index] ?? Tensor(shape: p.value.shape)
            precondition(b.shape == p.value.shape, "SGD.step: parameter \(index) '\(p.name)' has shape \(p.value.shape) but its momentum buffer \(b.shape)")
            momentumBuffers[index] = nil   // keep b uniquely referenced while it is updated in place
            b.data.withUnsafeMutableBufferPointer { bb in
                let bp = bb.baseAddress!
                p.value.data.withUnsafeMutableBufferPointer { vb in p.grad.data.withUnsafeBufferPointer { gb in
                    Self.momentumKernel(n: n, theta: vb.baseAddress!, grad: gb.baseAddress!, buffer: bp, first: first,
                                        lambda: lambda, mu: mu, keep: keep, nesterov: nesterov, negLR: negLR)
                } }
            }
            momentumBuffers[index] = b
        }
        stepCount += 1
    }

    /// Plain SGD (μ = 0) over n elements: θ ← θ − η·(grad + λθ).
    @inline(__always)
    private static func plainKernel(n: Int, theta: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
                                    lambda: Float, negLR: Float) {
        let vl = SIMD16<Float>(repeating: lambda), veta = SIMD16<Float>(repeating: negLR)
        var i = 0
        while i + 16 <= n {
            let t = OptimizerSupport.load16(theta, i)
            var g = OptimizerSupport.load16(grad, i)
            if lambda != 0 { g = g.addingProduct(t, vl) }
            OptimizerSupport.store16(t.addingProduct(g, veta), theta, i)
            i += 16
        }
        while i < n {
            var g = grad[i]
            if lambda != 0 { g = g.addingProduct(theta[i], lambda) }
            theta[i] = theta[i].addingProduct(g, negLR)
            i += 1
        }
    }

    /// One momentum update over n elements (raw buffers, no allocation).
    @inline(__always)
    private static func momentumKernel(n: Int, theta: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
                                       buffer: UnsafeMutablePointer<Float>, first: Bool,
                                       lambda: Float, mu: Float, keep: Float, nesterov: Bool, negLR: Float) {
        let vl = SIMD16<Float>(repeating: lambda), vmu = SIMD16<Float>(repeating: mu)
        let vkeep = SIMD16<Float>(repeating: keep), veta = SIMD16<Float>(repeating: negLR)
        var i = 0
        while i + 16 <= n {
            let t = OptimizerSupport.load16(theta, i)
            var g = OptimizerSupport.load16(grad, i)
            if lambda != 0 { g = g.addingProduct(t, vl) }
            let b = first ? g : (OptimizerSupport.load16(buffer, i) * vmu).addingProduct(g, vkeep)
            OptimizerSupport.store16(b, buffer, i)
            let d = nesterov ? g.addingProduct(b, vmu) : b
            OptimizerSupport.store16(t.addingProduct(d, veta), theta, i)
            i += 16
        }
        while i < n {
            let t = theta[i]
            var g = grad[i]
            if lambda != 0 { g = g.addingProduct(t, lambda) }
            let b = first ? g : (buffer[i] * mu).addingProduct(g, keep)
            buffer[i] = b
            let d = nesterov ? g.addingProduct(b, mu) : b
            theta[i] = t.addingProduct(d, negLR)
            i += 1
        }
    }

    public func stateTensors() -> [String: Tensor] {
        var out: [String: Tensor] = ["learning_rate": Tensor(shape: [1], data: [learningRate]),
                                     "step_count": OptimizerSupport.countTensor(stepCount)]
        for (i, b) in momentumBuffers.enumerated() { if let b { out["\(i).momentum_buffer"] = b } }
        return out
    }

    public func loadState(_ tensors: [String: Tensor], parameters: [Parameter]) throws {
        let name = "SGD"
        var known: Set<String> = ["learning_rate", "step_count"]
        var buffers: [Tensor?] = Array(repeating: nil, count: parameters.count)
        for (i, p) in parameters.enumerated() {
            known.insert("\(i).momentum_buffer")
            buffers[i] = try OptimizerSupport.readBuffer(tensors, index: i, slot: "momentum_buffer", parameter: p, optimizer: name)
        }
        try OptimizerSupport.rejectUnknownKeys(tensors, known: known, optimizer: name)
        let lr = try OptimizerSupport.readLearningRate(tensors, optimizer: name)
        let count = try OptimizerSupport.readCount(tensors, "step_count", optimizer: name)
        learningRate = lr
        stepCount = count
        momentumBuffers = buffers
    }
}
