// The early-stopped versus overfit comparison of thesis ch. 6 (abnormal filters, sharpness), run
// by hand: RECEPTIVE_SCANNER_EXPERIMENTS=1 swift test -c release --skip-build --filter OverfitExperimentTests.
// It checks that the experiment did what it claims (the long run overfits: lower training loss,
// lower validation log-likelihood) and prints the scanner's numbers; it asserts nothing about
// which model has more abnormal filters — that is the finding, reported in docs/scanner.md.
import XCTest
import Foundation
import Tensors
import NeuralData
import Encoding
import Scanner
import TestSupport

final class OverfitExperimentTests: XCTestCase {
    func testEarlyStoppedVersusOverfit() throws {
        guard ProcessInfo.processInfo.environment["RECEPTIVE_SCANNER_EXPERIMENTS"] == "1" else {
            throw XCTSkip("experiment: set RECEPTIVE_SCANNER_EXPERIMENTS=1 to run (a few minutes)")
        }
        let o = SimulationOptions(cells: [CellCount(.simple, 4), CellCount(.complex, 4)], stimulusCount: 600, family: .natural1f,
                                  size: 24, seed: 11, rateMin: 1, rateMax: 3)
        let ds = try Simulator.simulate(o).dataset()
        let prep = try Preprocessing.fit(on: ds, options: PreprocessingOptions())
        let arch = EncoderArchitecture(name: "two-block", inputChannels: 1, inputHeight: 24, inputWidth: 24,
                                       blocks: [ConvBlockSpec(channels: 16, kernel: 9, batchNorm: true, activation: .elu),
                                                ConvBlockSpec(channels: 16, kernel: 7, batchNorm: true, activation: .elu)],
                                       readout: .factorized, link: .softplus, observation: .poisson, units: 8)
        var early = TrainingOptions()
        early.epochs = 150; early.patience = 5; early.seed = 2; early.laplace = 0; early.maskL1 = 0; early.lrPatience = 1000
        let stopped = try ModelFitting.fitCNN(dataset: ds, preprocessing: prep, architecture: arch, options: early)
        var long = early
        long.patience = 1000; long.epochs = 150
        let ck = TestPaths.temporaryDirectory("overfit") + "/over.h5"
        _ = try ModelFitting.fitCNN(dataset: ds, preprocessing: prep, architecture: arch, options: long, checkpointPath: ck)
        let overfit = try FittedModel.load(ck)   // the last epoch's weights (the checkpoint), not the best
        let hist = overfit.history
        let bestEpoch = stopped.config.bestEpoch ?? -1
        print("[overfit] early-stopped: best epoch \(bestEpoch), validation LL \(stopped.history[bestEpoch - 1].validationLL)")
        print("[overfit] long run: epoch \(hist.last!.epoch), train loss \(hist.last!.trainLoss), validation LL \(hist.last!.validationLL)")
        XCTAssertLessThan(hist.last!.validationLL, stopped.history[bestEpoch - 1].validationLL, "the long run must overfit")
        XCTAssertLessThan(hist.last!.trainLoss, stopped.history[bestEpoch - 1].trainLoss)

        let data = try TrainingData(dataset: ds, preprocessing: prep)
        let shown = Set(ds.stimulusIndex)
        let test = Array(ds.stimuli(in: .test).filter { shown.contains($0) }.prefix(48))
        let x = try data.stimuli.stimuli(test)
        let train = try HeldOutData(model: stopped, data: data, trials: Array(data.trainTrials.prefix(256)))
        for (name, model) in [("early-stopped", stopped), ("overfit", overfit)] {
            let net = try ScanNetwork(model: model)
            let r = try ScanAnalysis.abnormalFilters(net, name: name, stimuli: x, layers: ScanAnalysis.defaultLayers(net),
                                                     sharpnessData: train)
            for l in r.layers {
                let ch = l.filters.map(\.calinskiHarabasz).filter { $0.isFinite }
                print("[overfit] \(name) \(l.layer): abnormal \(l.abnormalCount)/\(l.filters.count) \(l.abnormalFilters), imbalanced \(l.filters.filter(\.imbalanced).count), high CH \(l.filters.filter(\.highCH).count), median CH \(ch.sorted()[ch.count / 2]), CH threshold \(l.chThreshold)")
            }
            print("[overfit] \(name): sharpness λ_max = \(r.sharpness!.value) (\(r.sharpness!.iterations) iterations, converged \(r.sharpness!.converged))")
            XCTAssertTrue(r.sharpness!.value.isFinite)
        }
    }
}
