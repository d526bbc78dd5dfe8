// Scanning fitted encoders: a model fitted to simulated simple cells (known Gabor filters), and
// held-out data built from a fitted model.
import XCTest
import Foundation
import Tensors
import ConvEngine
import NeuralData
import Encoding
import Scanner
import TestSupport

final class EncoderScanTests: XCTestCase {
    static let size = 24
    static let units = 4

    /// Fits a one-block encoder to 4 simulated simple cells on white noise (seeded).
    static func fittedSimpleCells() throws -> (FittedModel, Dataset, Preprocessing) {
        let o = SimulationOptions(cells: [CellCount(.simple, units)], stimulusCount: 4000, family: .whiteNoise, size: size, seed: 3,
                                  rateMin: 2, rateMax: 4)
        let ds = try Simulator.simulate(o).dataset()
        let prep = try Preprocessing.fit(on: ds, options: PreprocessingOptions())
        let arch = EncoderArchitecture(name: "one-block", inputChannels: 1, inputHeight: size, inputWidth: size,
                                       blocks: [ConvBlockSpec(channels: 4, kernel: 15, activation: .relu)],
                                       readout: .factorized, link: .softplus, observation: .poisson, units: units)
        var opts = TrainingOptions()
        opts.epochs = 40; opts.patience = 6; opts.seed = 1; opts.learningRate = 1e-2
        let model = try EncodingModel(cnn: arch, training: opts).fit(ds, preprocessing: prep)
        return (model, ds, prep)
    }

    /// The learning image and the most exciting input of each simulated simple cell correlate with
    /// its ground-truth Gabor. Reported: MEI, the gradient map at the MEI (the contribution
    /// weights of the split images), the learning image of the MEI, and the mean learning image
    /// over the 2 % of stimuli that drive the unit most.
    func testSimpleCellsGroundTruthCorrelation() throws {
        let (model, ds, prep) = try Self.fittedSimpleCells()
        let net = try ScanNetwork(model: model)   // split origin: the model input of a black stimulus
        let provider = try PreprocessedStimuli(dataset: ds, preprocessing: prep)
        let all = try provider.stimuli(Array(0..<ds.stimulusCount))
        let gt = ds.groundTruth!.filters!
        let hw = Self.size * Self.size
        let meanNorm = (0..<all.shape[0]).reduce(0.0) { acc, i in
            acc + Double(all.data[(i * hw)..<((i + 1) * hw)].reduce(Float(0)) { $0 + $1 * $1 }).squareRoot()
        } / Double(all.shape[0])
        let r = net.readoutIndex!
        let eta = net.outputs(all, through: r)
        var meiCorr: [Double] = [], gradCorr: [Double] = [], liCorr: [Double] = [], topCorr: [Double] = []
        for u in 0..<Self.units {
            let g = Array(gt.data[(u * hw)..<((u + 1) * hw)])
            var s = MEISettings(); s.norm = meanNorm; s.steps = 200; s.seed = UInt64(u)
            let mei = try net.mostExcitingInput(.neuron(layer: r, index: u), settings: s)
            meiCorr.append(ScanStatistics.pearson(mei.input.data, g))
            let m1 = mei.input.reshaped([1, 1, Self.size, Self.size])
            gradCorr.append(ScanStatistics.pearson(try net.gradient(m1, target: ScanTarget(layer: r, neuron: u)).data, g))
            liCorr.append(ScanStatistics.pearson(try net.unitLearningImages(m1, unit: u).data, g))
            let order = (0..<all.shape[0]).sorted { eta.data[$0 * Self.units + u] > eta.data[$1 * Self.units + u] }
            let top = all.gather(Array(order.prefix(all.shape[0] / 50)))
            let lis = try net.unitLearningImages(top, unit: u)
            var mean = [Float](repeating: 0, count: hw)
            for i in 0..<top.shape[0] { for p in 0..<hw { mean[p] += lis.data[i * hw + p] } }
            topCorr.append(ScanStatistics.pearson(mean, g))
        }
        func fmt(_ v: [Double]) -> String { v.map { String(format: "%.3f", $0) }.joined(separator: ", ") }
        print("[ground truth] best validation epoch \(model.config.bestEpoch ?? -1)")
        print("[ground truth] corr(MEI, Gabor) = \(fmt(meiCorr))")
        print("[ground truth] corr(∂η/∂x at the MEI, Gabor) = \(fmt(gradCorr))")
        print("[ground truth] corr(learning image of the MEI, Gabor) = \(fmt(liCorr))")
        print("[ground truth] corr(mean learning image of the top 2% stimuli, Gabor) = \(fmt(topCorr))")
        for v in meiCorr { XCTAssertGreaterThan(v, 0.7) }
        for v in gradCorr { XCTAssertGreaterThan(v, 0.7) }
        for v in topCorr { XCTAssertGreaterThan(v, 0.7) }
        // The split origin is the preprocessed black stimulus: x − x₀ = v / std for z-scoring.
        let origin = net.inputOrigin!
        XCTAssertEqual(origin.data[0], -prep.mean[0] / prep.std[0], accuracy: 1e-5)
    }
}

final class EncoderFaithfulnessTests: XCTestCase {
    /// Every method's AOPC on a fitted encoder is finite (regression: perturbed batches of a
    /// different size after a one-stimulus backward once read stale conv scratch memory), and a
    /// map faithful to the unit beats a random ordering on deletion.
    func testAOPCOnFittedEncoder() throws {
        let (model, ds, prep) = try EncoderScanTests.fittedSimpleCells()
        let net = try ScanNetwork(model: model)
        let x = try PreprocessedStimuli(dataset: ds, preprocessing: prep).stimuli([3, 8, 21])
        var s = AttributionSettings(); s.integratedGradientSteps = 16; s.occlusionWindow = 4; s.occlusionStride = 2
        let r = try net.compareFaithfulness(x, target: try net.unitTarget(0), methods: AttributionMethod.allCases, settings: s, steps: 10)
        for m in r {
            print("[AOPC simple cell 0] \(m.method): deletion \(m.deletionAOPC), insertion \(m.insertionAOPC)")
            XCTAssertTrue(m.deletionAOPC.isFinite && m.insertionAOPC.isFinite, m.method)
        }
        let random = r.first { $0.method == "random" }!, ixg = r.first { $0.method == "input-x-gradient" }!
        XCTAssertGreaterThan(ixg.deletionAOPC, random.deletionAOPC)
    }
}
