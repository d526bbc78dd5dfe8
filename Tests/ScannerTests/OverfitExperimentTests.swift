// The thesis' claim of ch. 6 (§6.3.2, Table 6-2): an overfitted model (the last epoch of a run
// trained far past its best validation epoch) has more abnormal filters than the well-trained one
// (the best epoch). Here on an encoding model: a stacked3 core (16 channels) on a small simulated
// set, scanned with each Table 6-1 preset, thresholds untouched. Run by hand:
//   RECEPTIVE_SCANNER_EXPERIMENTS=1 swift test -c release --skip-build --filter OverfitExperimentTests
// (RECEPTIVE_OVERFIT_CH=squared for sklearn's CH; RECEPTIVE_OVERFIT_EPOCHS, RECEPTIVE_OVERFIT_SCAN
// change the long run's epochs (100) and the stimuli scanned (300)).
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
            throw XCTSkip("experiment: set RECEPTIVE_SCANNER_EXPERIMENTS=1 to run (several minutes)")
        }
        let env = ProcessInfo.processInfo.environment
        let epochs = Int(env["RECEPTIVE_OVERFIT_EPOCHS"] ?? "") ?? 100
        let scanCount = Int(env["RECEPTIVE_OVERFIT_SCAN"] ?? "") ?? 300
        let chForm = CHForm(rawValue: env["RECEPTIVE_OVERFIT_CH"] ?? "thesis") ?? .thesis
        let o = SimulationOptions(cells: [CellCount(.simple, 4), CellCount(.complex, 4)], stimulusCount: 600, family: .natural1f,
                                  size: 24, seed: 11, rateMin: 1, rateMax: 3)
        let ds = try Simulator.simulate(o).dataset()
        let prep = try Preprocessing.fit(on: ds, options: PreprocessingOptions())
        let arch = EncoderArchitecture.stacked3(inputChannels: 1, height: 24, width: 24, units: 8, channels: 16)
        var early = TrainingOptions()
        early.epochs = epochs; early.patience = 5; early.seed = 2; early.laplace = 0; early.maskL1 = 0; early.lrPatience = 1000
        let stopped = try EncodingModel(cnn: arch, training: early).fit(ds, preprocessing: prep)
        var long = early
        long.patience = 1000
        let ck = TestPaths.temporaryDirectory("overfit") + "/over.h5"
        _ = try EncodingModel(cnn: arch, training: long).fit(ds, preprocessing: prep, options: EncodingFitOptions(checkpointPath: ck))
        let overfit = try FittedModel.load(ck)   // the last epoch's weights (the checkpoint), not the best
        let hist = overfit.history
        let bestEpoch = stopped.config.bestEpoch ?? -1
        print("[overfit] early-stopped: best epoch \(bestEpoch), train loss \(stopped.history[bestEpoch - 1].trainLoss), validation LL \(stopped.history[bestEpoch - 1].validationLL)")
        print("[overfit] long run: epoch \(hist.last!.epoch), train loss \(hist.last!.trainLoss), validation LL \(hist.last!.validationLL)")
        XCTAssertLessThan(hist.last!.validationLL, stopped.history[bestEpoch - 1].validationLL, "the long run must overfit")
        XCTAssertLessThan(hist.last!.trainLoss, stopped.history[bestEpoch - 1].trainLoss)

        // Scanned on training stimuli (the set the long run memorised), *choice*.
        let data = try TrainingData(dataset: ds, preprocessing: prep)
        let shown = Set(ds.stimulusIndex)
        let train = Array(ds.stimuli(in: .train).filter { shown.contains($0) }.prefix(scanCount))
        let x = try data.stimuli.stimuli(train)
        let trials = try HeldOutData(model: stopped, data: data, trials: Array(data.trainTrials.prefix(256)))
        for (name, model) in [("early-stopped", stopped), ("overfit", overfit)] {
            let net = try ScanNetwork(model: model)
            // The clustering (PCA, GMM, CH, K*) does not depend on λ, α, β, θ: scan once, apply each preset.
            var settings = ScanAnalysisSettings()
            settings.abnormal.chForm = chForm
            let r = try ScanAnalysis.abnormalFilters(net, name: name, stimuli: x, layers: ScanAnalysis.defaultLayers(net),
                                                     sharpnessData: trials, settings: settings)
            for preset in AbnormalFilterPreset.allCases {
                var total = 0
                for l in r.layers {
                    let rows = l.filters.map { FilterClusterInput(filter: $0.filter, components: $0.components, calinskiHarabasz: $0.calinskiHarabasz,
                                                                  calinskiHarabaszByK: $0.calinskiHarabaszByK, clusterSizes: $0.clusterSizes, activation: $0.activation) }
                    var ps = AbnormalFilterSettings(preset: preset)
                    ps.chForm = chForm
                    let a = AbnormalFilterCriteria.apply(rows, layer: l.layer, stimuli: l.stimuli, settings: ps)
                    total += a.abnormalCount
                    print("[overfit] \(name) \(preset.rawValue) \(a.layer): abnormal \(a.abnormalCount)/\(a.filters.count) \(a.abnormalFilters), imbalanced \(a.filters.filter(\.imbalanced).count), high CH \(a.filters.filter(\.highCH).count), excluded \(a.filters.filter { !$0.highActivation }.count), mean CH \(a.meanCH)")
                }
                print("[overfit] \(name) \(preset.rawValue): total abnormal \(total) of \(r.layers.map(\.filters.count).reduce(0, +)) filters on \(x.shape[0]) stimuli")
            }
            for l in r.layers {
                print("[overfit] \(name) \(l.layer): K* \(l.filters.map(\.components)) smallest clusters \(l.filters.map { $0.clusterSizes.last ?? 0 })")
            }
            print("[overfit] \(name): sharpness λ_max = \(r.sharpness!.value) (\(r.sharpness!.iterations) iterations, converged \(r.sharpness!.converged))")
            XCTAssertTrue(r.sharpness!.value.isFinite)
        }
    }
}
