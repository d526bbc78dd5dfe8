// Most exciting input (MEI) of a unit or a conv channel: projected gradient ascent on the input
// (Walker et al. 2019), seeded.
//
//   objective   f(x) = a_q(x) for a neuron / readout unit, or (1/H′W′) Σ_ij a_kij(x) for channel k
//   start       x₀ ~ N(0, σ₀²) per pixel (SeededRandom, σ₀ = 1), projected onto the norm ball
//   step        g = ∂f/∂x, blurred per channel with a Gaussian of σ_t (preconditioning: suppresses
//               high-frequency adversarial patterns), σ_t decaying linearly from blurSigma to
//               finalBlurSigma; x ← x + η · g_blur / (mean |g_blur| + 1e−12)
//   constraint  x ← x · min(1, r / ‖x‖₂) (L2 ball of radius r, in model input units), then each
//               pixel clamped to [minValue, maxValue] when given
// The result keeps the best iterate (largest f). Objective values are recorded per step.
import Foundation
import Tensors

public struct MEISettings: Sendable, Equatable, Codable {
    public var steps: Int = 300
    public var learningRate: Double = 0.05
    /// L2 radius r of the input (model input units; e.g. the mean ‖x‖ of the dataset's stimuli).
    public var norm: Double = 10
    public var blurSigma: Double = 2
    public var finalBlurSigma: Double = 0.5
    /// σ₀ of the starting noise (model input units; 1 = the spread of z-scored stimuli).
    public var initialStd: Double = 1
    public var minValue: Float? = nil
    public var maxValue: Float? = nil
    public var seed: UInt64 = 0
    public init() {}

    func validate() throws {
        guard steps >= 1 else { throw ScannerError.invalidOption(option: .steps, reason: "must be at least 1, got \(steps)") }
        guard learningRate > 0, learningRate.isFinite else { throw ScannerError.invalidOption(option: .learningRate, reason: "must be positive, got \(learningRate)") }
        guard norm > 0, norm.isFinite else { throw ScannerError.invalidOption(option: .norm, reason: "must be positive, got \(norm)") }
        guard blurSigma >= 0, finalBlurSigma >= 0 else { throw ScannerError.invalidOption(option: .blur, reason: "blur σ must be ≥ 0") }
        if let a = minValue, let b = maxValue, !(a < b) { throw ScannerError.invalidOption(option: .clamp, reason: "min \(a) must be below max \(b)") }
    }
}

/// What an MEI maximises.
public enum MEIObjective: Sendable, Equatable {
    /// One neuron (or readout unit): flat per-stimulus index of layer `layer`.
    case neuron(layer: Int, index: Int)
    /// Spatial mean of channel `channel` of map layer `layer`.
    case channel(layer: Int, channel: Int)
}

public struct MEIResult: Sendable {
    /// The most exciting input [C, H, W] (best iterate).
    public let input: Tensor
    /// Objective at the best iterate.
    public let value: Double
    /// Objective at every step [steps].
    public let trace: [Double]
    /// True when ∂f/∂x was exactly 0 at every step (a silent ReLU unit for this start: the
    /// ascent cannot move; try another seed).
    public let stalled: Bool
}

extension ScanNetwork {
    public func mostExcitingInput(_ objective: MEIObjective, settings: MEISettings = MEISettings()) throws -> MEIResult {
        try settings.validate()
        let l: Int
        switch objective {
        case .neuron(let layer, let q):
            try check(ScanTarget(layer: layer, neuron: q)); l = layer
        case .channel(let layer, let k):
            try requireLayer(layer)
            guard layerShapes[layer].count == 3 else {
                throw ScannerError.invalidOption(option: .meiFilter, reason: "layer '\(self.layer(layer).name)' has no channels (output \(layerShapes[layer]))")
            }
            guard k >= 0 && k < channelCount(layer: layer) else {
                throw ScannerError.indexOutOfRange(option: .filter, index: k, count: channelCount(layer: layer), what: "filter")
            }
            l = layer
        }
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        var rng = SeededRandom(seed: settings.seed)
        var x = rng.normalTensor([1, c, h, w], std: Float(settings.initialStd))
        project(&x, settings)
        var best = x, bestValue = -Double.infinity
        var trace: [Double] = []
        var stalled = true
        let per = neuronCount(layer: l)
        for step in 0..<settings.steps {
            let a = forward(x, through: l)
            var g = Tensor(shape: a.shape)
            let value: Double
            switch objective {
            case .neuron(_, let q):
                value = Double(a.data[q]); g.data[q] = 1
            case .channel(_, let k):
                let plane = per / channelCount(layer: l)
                var s = 0.0
                for p in 0..<plane { s += Double(a.data[k * plane + p]); g.data[k * plane + p] = 1 / Float(plane) }
                value = s / Double(plane)
            }
            trace.append(value)
            if value > bestValue { bestValue = value; best = x }
            var grad = inputGradient(from: l, gradient: g)
            if stalled && grad.data.contains(where: { $0 != 0 }) { stalled = false }
            let t = settings.steps > 1 ? Double(step) / Double(settings.steps - 1) : 1
            let sigma = settings.blurSigma + (settings.finalBlurSigma - settings.blurSigma) * t
            if sigma > 0 {
                for ch in 0..<c {
                    let plane = Array(grad.data[(ch * h * w)..<((ch + 1) * h * w)])
                    let b = ImageResampling.gaussianBlur(plane, height: h, width: w, sigma: sigma)
                    for p in 0..<(h * w) { grad.data[ch * h * w + p] = b[p] }
                }
            }
            let meanAbs = grad.data.reduce(0.0) { $0 + Double(abs($1)) } / Double(grad.count)
            x.add(grad, scaledBy: Float(settings.learningRate / (meanAbs + 1e-12)))
            project(&x, settings)
        }
        // Score the last iterate too.
        let last = outputs(x, through: l)
        let lastValue: Double
        switch objective {
        case .neuron(_, let q): lastValue = Double(last.data[q])
        case .channel(_, let k):
            let plane = per / channelCount(layer: l)
            lastValue = (0..<plane).reduce(0.0) { $0 + Double(last.data[k * plane + $1]) } / Double(plane)
        }
        if lastValue > bestValue { bestValue = lastValue; best = x }
        return MEIResult(input: best.reshaped([c, h, w]), value: bestValue, trace: trace, stalled: stalled)
    }

    private func project(_ x: inout Tensor, _ s: MEISettings) {
        let norm = Double(x.squaredNorm()).squareRoot()
        if norm > s.norm { x.scale(by: Float(s.norm / norm)) }
        if s.minValue != nil || s.maxValue != nil {
            let lo = s.minValue ?? -.infinity, hi = s.maxValue ?? .infinity
            for i in 0..<x.count { x.data[i] = min(max(x.data[i], lo), hi) }
        }
    }
}
