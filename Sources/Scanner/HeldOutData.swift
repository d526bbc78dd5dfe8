// Responses for the scores that need them (SoU, AIPC, sharpness): the encoding analogue of a
// classifier's accuracy is the held-out log-likelihood of recorded responses.
//
//   mean log-likelihood  ℓ = (1 / (T·U)) Σ_t Σ_u log p(y_tu | μ_tu),  μ = link(η(x_{s(t)}))
//   loss (sharpness)     the mean negative log-likelihood over the same observations
//
// The observation model and link come in as closures so the scanner does not depend on how a
// model file stores them; `HeldOutData(model:…)` in ScanNetwork+Encoder.swift builds one from a
// fitted model.
import Foundation
import Tensors

public struct HeldOutData {
    /// Distinct stimuli in model input units [S, C, H, W].
    public let stimuli: Tensor
    /// Responses, row-major [T, U].
    public let responses: [Float]
    /// Stimulus (row of `stimuli`) shown on each trial [T].
    public let stimulusIndex: [Int]
    public let units: Int
    /// μ = link(η), element-wise.
    public let link: (Float) -> Float
    /// dμ/dη at η.
    public let linkDerivative: (Float) -> Float
    /// log p(y | μ) of unit u (nats).
    public let logLikelihood: (_ y: Double, _ mean: Double, _ unit: Int) -> Double
    /// ∂(−log p(y | μ))/∂μ of unit u.
    public let nllGradient: (_ y: Float, _ mean: Float, _ unit: Int) -> Float

    public init(stimuli: Tensor, responses: [Float], stimulusIndex: [Int], units: Int,
                link: @escaping (Float) -> Float, linkDerivative: @escaping (Float) -> Float,
                logLikelihood: @escaping (Double, Double, Int) -> Double,
                nllGradient: @escaping (Float, Float, Int) -> Float) throws {
        guard responses.count == stimulusIndex.count * units else {
            throw ScannerError.invalidOption(option: .responses, reason: "\(responses.count) values for \(stimulusIndex.count) trials × \(units) units")
        }
        guard stimulusIndex.allSatisfy({ $0 >= 0 && $0 < stimuli.shape[0] }) else {
            throw ScannerError.invalidOption(option: .stimulusIndex, reason: "indices must lie in 0..<\(stimuli.shape[0])")
        }
        guard !stimulusIndex.isEmpty else { throw ScannerError.invalidOption(option: .responses, reason: "no held-out trials") }
        self.stimuli = stimuli; self.responses = responses; self.stimulusIndex = stimulusIndex; self.units = units
        self.link = link; self.linkDerivative = linkDerivative; self.logLikelihood = logLikelihood; self.nllGradient = nllGradient
    }

    public var trialCount: Int { stimulusIndex.count }

    /// The responses as a (trials, units) matrix (shares `responses`' storage).
    public var responseMatrix: ResponseMatrix<Float> { ResponseMatrix(rows: trialCount, columns: units, values: responses) }

    /// Mean log-likelihood per observation for readout outputs η [S, U] of the stimuli.
    public func meanLogLikelihood(eta: Tensor) -> Double {
        precondition(eta.shape == [stimuli.shape[0], units], "η \(eta.shape) ≠ [\(stimuli.shape[0]), \(units)]")
        let y = responseMatrix
        var s = 0.0
        for (t, si) in stimulusIndex.enumerated() {
            for u in 0..<units {
                let mu = Double(link(eta[si, u]))
                s += logLikelihood(Double(y[t, u]), mu, u)
            }
        }
        return s / Double(trialCount * units)
    }
}

extension ScanNetwork {
    func requireReadout(_ what: String) throws -> Int {
        guard let r = readoutIndex else {
            throw ScannerError.notApplicable(method: what, reason: "needs a model with a readout (recorded units)")
        }
        return r
    }

    /// Held-out mean log-likelihood, optionally with channels of one layer removed.
    public func heldOutLogLikelihood(_ data: HeldOutData, masking: ChannelMask? = nil, batchSize: Int = 64) throws -> Double {
        let r = try requireReadout("held-out log-likelihood")
        guard data.units == neuronCount(layer: r) else {
            throw ScannerError.invalidOption(option: .responses, reason: "\(data.units) units, the model has \(neuronCount(layer: r))")
        }
        let eta = outputs(data.stimuli, through: r, batchSize: batchSize, masking: masking)
        return data.meanLogLikelihood(eta: eta)
    }

    /// Mean NLL over the held-out observations; fills every parameter's `grad` with its gradient
    /// (gradients are zeroed first). Used for Hessian-vector products.
    public func lossAndParameterGradients(_ data: HeldOutData) throws -> Double {
        let r = try requireReadout("loss gradient")
        for p in parameters { p.zeroGrad() }
        let u = data.units
        let eta = forward(data.stimuli, through: r)
        // dLoss/dη accumulated per stimulus over its trials.
        var dEta = Tensor(shape: eta.shape)
        var loss = 0.0
        let scale = 1 / Float(data.trialCount * u)
        let responses = data.responseMatrix
        for (t, si) in data.stimulusIndex.enumerated() {
            for j in 0..<u {
                let e = eta[si, j]
                let mu = data.link(e)
                let y = responses[t, j]
                loss -= data.logLikelihood(Double(y), Double(mu), j)
                dEta[si, j] += data.nllGradient(y, mu, j) * data.linkDerivative(e) * scale
            }
        }
        backwardWithParameterGradients(from: r, gradient: dEta)
        return loss / Double(data.trialCount * u)
    }
}
