// FilterRecovery: which first-layer filters recover a generating cell (Gabor-like, orientation within
// 10° modulo 180°, frequency within 20 %), counting only filters that carry readout weight. Filters
// are written by hand into a one-layer model, so the expected verdict of each is known.
import Foundation
import XCTest
import Tensors
import NeuralData
import Encoding
import Analysis

final class FilterRecoveryTests: XCTestCase {

    func testOrientationDifferenceIsModulo180() {
        XCTAssertEqual(FilterRecovery.orientationDifference(0.05, .pi - 0.05), 0.1 * 180 / .pi, accuracy: 1e-9)
        XCTAssertEqual(FilterRecovery.orientationDifference(0, .pi / 2), 90, accuracy: 1e-9)
        XCTAssertEqual(FilterRecovery.orientationDifference(3 * .pi + 0.1, 0.1), 0, accuracy: 1e-9)
    }

    /// A 9×9 Gabor, θ the wave-vector direction from +x towards +y (the simulator's and GaborFit's convention).
    func gabor(theta: Double, frequency f: Double, size: Int = 9, sigma: Double = 2) -> [Float] {
        let c = Double(size - 1) / 2
        var g = [Float](repeating: 0, count: size * size)
        for y in 0..<size { for x in 0..<size {
            let dx = Double(x) - c, dy = Double(y) - c
            let xr = dx * cos(theta) + dy * sin(theta), yr = -dx * sin(theta) + dy * cos(theta)
            g[y * size + x] = Float(exp(-(xr * xr + yr * yr) / (2 * sigma * sigma)) * cos(2 * .pi * f * xr))
        } }
        return g
    }

    func testRecoveryVerdictsOnHandWrittenFilters() throws {
        let sim = try Simulator.simulate(SimulationOptions(cells: [CellCount(.simple, 2)], stimulusCount: 60, size: 16, seed: 1))
        let d = sim.dataset()
        let prep = try Preprocessing.fit(on: d, options: PreprocessingOptions(grayscale: true))
        var o = TrainingOptions()
        o.epochs = 1
        let arch = EncoderArchitecture(name: "custom", inputChannels: 1, inputHeight: 16, inputWidth: 16,
                                       blocks: [ConvBlockSpec(channels: 5, kernel: 9, activation: .relu)],
                                       readout: .factorized, link: .softplus, observation: .poisson, units: 2)
        let model = try EncodingModel(cnn: arch, training: o).fit(d, preprocessing: prep)
        let cells = [GeneratingCell(unit: 0, type: "simple", orientation: 0.3, frequency: 0.15),
                     GeneratingCell(unit: 1, type: "simple", orientation: 2.0, frequency: 0.2)]
        // 0: cell 0 exactly; 1: cell 1 written with θ − π (the same orientation); 2: cell 0 turned by
        // 25° (Gabor-like, no match); 3: cell 1 at 1.5× its frequency (no match); 4: cell 1 exactly but
        // with almost no readout weight (not counted).
        let filters = [gabor(theta: 0.3, frequency: 0.15), gabor(theta: 2.0 - .pi, frequency: 0.2),
                       gabor(theta: 0.3 + 25 * .pi / 180, frequency: 0.15), gabor(theta: 2.0, frequency: 0.3),
                       gabor(theta: 2.0, frequency: 0.2)]
        let conv = model.encoder.firstConv!
        conv.weight.value = Tensor(shape: [5, 1, 9, 9], data: filters.flatMap { $0 })
        let readout = model.encoder.readout as! FactorizedReadout
        readout.features.value = Tensor(shape: [2, 5], data: [1, 1, 1, 1, 0.001, 1, 1, 1, 1, 0.001])
        let (report, _, _) = try FirstLayerGabor.analyse(model: model, fitter: try GaborFitter(restarts: 4))
        let weights = FilterRecovery.readoutWeights(model.encoder)!
        let r = FilterRecovery.evaluate(gabor: report, cells: cells, readoutWeights: weights)
        for f in r.filters {
            print(String(format: "[recovery] filter %d weight %.3f R² %.3f nearest %d Δθ %.2f° f ratio %.3f recovers %@",
                         f.filter, f.readoutWeight ?? -1, f.r2, f.nearestCell ?? -1, f.orientationDifferenceDegrees ?? -1,
                         f.frequencyRatio ?? -1, f.recovers ? "yes" : "no"))
        }
        XCTAssertEqual(r.filters.map(\.recovers), [true, true, false, false, true])
        XCTAssertEqual(r.filters.map(\.carriesWeight), [true, true, true, true, false])
        XCTAssertEqual(r.filters.map(\.nearestCell), [0, 1, 0, 1, 1])
        XCTAssertTrue(r.filters.allSatisfy(\.gaborLike))
        XCTAssertEqual(r.weighted, 4); XCTAssertEqual(r.recovered, 2); XCTAssertEqual(r.fractionRecovered, 0.5)
        XCTAssertEqual(r.cellsRecovered, 2)
        // Fits of exact Gabors: orientation and frequency to well within the tolerances.
        XCTAssertLessThan(r.filters[0].orientationDifferenceDegrees!, 1)
        XCTAssertEqual(r.filters[0].frequencyRatio!, 1, accuracy: 0.02)
        XCTAssertEqual(r.filters[2].orientationDifferenceDegrees!, 25, accuracy: 1)
        // More than one conv layer: the readout does not read conv1, every filter counts.
        let deep = try NeuralEncoder(architecture: .stacked3(inputChannels: 1, height: 16, width: 16, units: 2, channels: 2), seed: 0)
        XCTAssertNil(FilterRecovery.readoutWeights(deep))
    }
}
