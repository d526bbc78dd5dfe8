// Finite-difference check of a layer's backward pass.
//
// Loss L = Σ_i dOut_i · y_i(x, θ) for a seeded random dOut (standard normal), summed in Double.
// Analytic gradients: one forward (saving) and backward(dOut) → ∂L/∂x and each parameter's grad.
// Numeric gradients: central differences (L(v + ε) − L(v − ε)) / ((v + ε) − (v − ε)) per
// coordinate (the denominator as actually represented in Float), in Double.
// The error of a tensor is  max_i |analytic_i − numeric_i| / max(max_i |numeric_i|, 1e-3·G, 1e-12),
// G the largest |numeric| over all tensors checked: the largest discrepancy relative to the
// gradient's own scale (a per-element relative error is meaningless for elements near zero),
// floored so that a gradient that is zero by structure (a conv bias before batch-norm in
// training) is judged against the others' scale rather than against its own rounding noise. Float32 forwards limit it to ≈ 1e-4…1e-3 for
// ε ≈ 1e-2; kinks (ReLU at 0, max-pool ties) must be kept away from by the input.
// The layer's parameter gradients, state (batch-norm running statistics) and
// retainsForBackward flag are restored afterwards.
import Tensors

public enum GradientCheck {
    public struct Result: CustomStringConvertible {
        /// Error of ∂L/∂x.
        public let inputError: Double
        /// Error of each parameter's gradient, by parameter name.
        public let parameterErrors: [String: Double]
        /// Largest of all errors.
        public var maxError: Double { max(inputError, parameterErrors.values.max() ?? 0) }
        public var description: String {
            let p = parameterErrors.keys.sorted().map { "\($0) \(String(format: "%.2e", parameterErrors[$0]!))" }
            return "gradient check: input \(String(format: "%.2e", inputError))" + (p.isEmpty ? "" : ", " + p.joined(separator: ", "))
        }
    }

    /// Checks `layer` at input `x`. `training` selects the mode of every forward (batch-norm batch
    /// statistics). `maxCoordinates` limits the coordinates probed per tensor (a seeded random
    /// subset; nil = all).
    public static func check(_ layer: Layer, input x: Tensor, training: Bool = true, epsilon: Float = 1e-2,
                             seed: UInt64 = 0, maxCoordinates: Int? = nil) -> Result {
        var rng = SeededRandom(seed: seed)
        let savedState = layer.state
        let savedRetain = layer.retainsForBackward
        let savedGrads = layer.parameters.map { $0.grad }
        defer {
            layer.state = savedState
            layer.retainsForBackward = savedRetain
            for (p, g) in zip(layer.parameters, savedGrads) { p.grad = g }
        }
        layer.retainsForBackward = true
        let params = layer.parameters
        for p in params { p.zeroGrad() }
        let y = layer.forward(x, training: training)
        let dOut = rng.normalTensor(y.shape)
        let dx = layer.backward(dOut)

        func loss(_ input: Tensor) -> Double {
            let out = layer.forward(input, training: training)
            var s = 0.0
            for i in 0..<out.count { s += Double(dOut.data[i]) * Double(out.data[i]) }
            return s
        }
        func coordinates(_ n: Int) -> [Int] {
            guard let m = maxCoordinates, m < n else { return Array(0..<n) }
            return Array(rng.permutation(n).prefix(m)).sorted()
        }
        func largest(_ numeric: [Int: Double]) -> Double { numeric.values.map { abs($0) }.max() ?? 0 }
        func error(_ analytic: [Float], _ numeric: [Int: Double], floor: Double) -> Double {
            let scale = max(largest(numeric), floor, 1e-12)
            return numeric.map { abs(Double(analytic[$0.key]) - $0.value) }.max().map { $0 / scale } ?? 0
        }

        var numericInput: [Int: Double] = [:]
        var probe = x
        for i in coordinates(x.count) {
            let v = probe.data[i], vp = v + epsilon, vm = v - epsilon
            probe.data[i] = vp; let lp = loss(probe)
            probe.data[i] = vm; let lm = loss(probe)
            probe.data[i] = v
            numericInput[i] = (lp - lm) / (Double(vp) - Double(vm))
        }
        var parameterNumeric: [(Parameter, [Int: Double])] = []
        for p in params {
            var numeric: [Int: Double] = [:]
            for i in coordinates(p.value.count) {
                let v = p.value.data[i], vp = v + epsilon, vm = v - epsilon
                p.value.data[i] = vp; let lp = loss(x)
                p.value.data[i] = vm; let lm = loss(x)
                p.value.data[i] = v
                numeric[i] = (lp - lm) / (Double(vp) - Double(vm))
            }
            parameterNumeric.append((p, numeric))
        }
        let floor = 1e-3 * max(largest(numericInput), parameterNumeric.map { largest($0.1) }.max() ?? 0)
        var parameterErrors: [String: Double] = [:]
        for (p, numeric) in parameterNumeric { parameterErrors[p.name] = error(p.grad.data, numeric, floor: floor) }
        return Result(inputError: error(dx.data, numericInput, floor: floor), parameterErrors: parameterErrors)
    }
}
