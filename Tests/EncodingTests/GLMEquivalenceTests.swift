import XCTest
import Tensors
import ConvEngine
import NeuralData
import Encoding
import TestSupport

/// DESIGN §5, "one model, two solvers": the `linear` architecture with an exp link trained by the
/// CNN trainer (Adam, minibatches) must reach the Poisson GLM's optimum (IRLS/Newton) on the same
/// data, within 0.5% of the log-likelihood.
final class GLMEquivalenceTests: XCTestCase {
    func testLinearCNNReachesGLMOptimum() throws {
        var rng = SeededRandom(seed: 21)
        let n = 800, h = 6, w = 6, u = 3, p = h * w
        let x = rng.normalTensor([n, 1, h, w])
        let weights = (0..<(u * p)).map { _ in Float(rng.normal() * 0.25) }
        var y = Tensor(shape: [n, u])
        for i in 0..<n { for j in 0..<u {
            var eta: Float = 0.3
            for k in 0..<p { eta += weights[j * p + k] * x.data[i * p + k] }
            y.data[i * u + j] = Float(rng.poisson(Double(exp(eta))))
        } }
        let ds = Dataset(stimuli: x, responses: y)
        // No normalisation, so both solvers see the same design.
        var po = PreprocessingOptions(grayscale: true)
        po.normalization = .none
        let prep = try Preprocessing.fit(on: ds, options: po)
        let glm = try EncodingModel(glm: .poisson, ridgeGrid: [0]).fit(ds, preprocessing: prep)

        let arch = EncoderArchitecture.linear(inputChannels: 1, height: h, width: w, units: u)
        var options = TrainingOptions()
        options.epochs = 600; options.patience = 600; options.learningRate = 0.02; options.batchSize = 160
        options.laplace = 0; options.maskL1 = 0; options.lrPatience = 10; options.lrFactor = 0.5
        let cnn = try EncodingModel(cnn: arch, training: options).fit(ds, preprocessing: prep)

        // Training log-likelihood of both (the GLM with λ = 0 maximises exactly this).
        let data = try TrainingData(dataset: ds, preprocessing: prep)
        let obs = PoissonObservation()
        func trainLL(_ m: FittedModel) throws -> Double {
            let mu = try m.encoder.predictTrials(data.stimuli, stimulusIndex: data.stimulusIndex, trials: data.trainTrials)
            var s = 0.0
            for (k, t) in data.trainTrials.enumerated() { for j in 0..<u {
                s += obs.logLikelihood(y: Double(data.responses[t, j]), mean: mu[k, j], unit: j)
            } }
            return s
        }
        let llGLM = try trainLL(glm), llCNN = try trainLL(cnn)
        print("training LL: GLM (IRLS) \(llGLM), linear CNN (Adam) \(llCNN), relative gap \((llGLM - llCNN) / abs(llGLM))")
        XCTAssertLessThanOrEqual(llCNN, llGLM + 1e-6 * abs(llGLM), "the GLM optimum must not be beaten on its own objective")
        XCTAssertLessThan((llGLM - llCNN) / abs(llGLM), 0.005)
    }
}
