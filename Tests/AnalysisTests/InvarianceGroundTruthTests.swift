// ModelInvariance on the generating models of simulated cells (GroundTruthResponseFunction): the
// rebuilt model reproduces the simulator's true rates; phase scrambling classifies simple cells as
// not invariant and complex cells as invariant (all of them, at the default τ); stored pairs give
// the same result as transforming on the fly; recorded responses are repeat-averaged per pair.
import Foundation
import XCTest
import Tensors
import NeuralData
import TestSupport
import Analysis

final class InvarianceGroundTruthTests: XCTestCase {

    static func simulation(family: StimulusFamily = .gratings, n: Int = 400, size: Int = 16, type: SimulatedStimulusType = .float32,
                           scrambled: Bool = false, repeats: Int = 1, seed: UInt64 = 1) throws -> SimulatedData {
        try Simulator.simulate(SimulationOptions(cells: [CellCount(.simple, 8), CellCount(.complex, 8)], stimulusCount: n,
                                                 repeats: repeats, family: family, size: size, seed: seed,
                                                 scrambledPartners: scrambled, stimulusType: type))
    }

    func testGroundTruthFunctionReproducesSimulatedRates() throws {
        // In memory (float32 intensities) and from a uint8 file (v = byte/255 inferred from the type).
        let sim = try Self.simulation(family: .natural1f, n: 300, size: 16)
        let d = sim.dataset()
        let f = try GroundTruthResponseFunction(dataset: d)
        XCTAssertEqual(f.intensityScale, 1)
        let r = try f.responses(try d.stimuli(Array(0..<d.stimulusCount)))
        let res = compareArrays("ground truth rates (float32 sim)", r.data, sim.rates, atol: 1e-5, rtol: 1e-4)
        XCTAssertTrue(res.ok)

        let dir = TestPaths.temporaryDirectory("gt")
        let path = dir + "/u8.h5"
        let sim8 = try Self.simulation(family: .gratings, n: 200, size: 16, type: .uint8)
        try sim8.write(to: path, overwrite: true)
        let d8 = try Dataset.load(path)
        let f8 = try GroundTruthResponseFunction(dataset: d8)
        XCTAssertEqual(f8.intensityScale, 1 / 255)
        let r8 = try f8.responses(try d8.stimuli(Array(0..<d8.stimulusCount)))
        XCTAssertTrue(compareArrays("ground truth rates (uint8 file)", r8.data, sim8.rates, atol: 1e-5, rtol: 1e-4).ok)
    }

    func testGroundTruthRefusesOtherCellTypes() throws {
        let sim = try Simulator.simulate(SimulationOptions(cells: [CellCount(.simple, 2), CellCount(.v2, 2)], stimulusCount: 50, size: 16))
        XCTAssertThrowsError(try GroundTruthResponseFunction(dataset: sim.dataset())) { e in
            XCTAssertTrue("\(e)".contains("simple and complex cells only"), "\(e)")
        }
    }

    /// The classification the default τ was chosen for (docs/analysis.md "Choosing τ"):
    /// simulated drifting gratings (`simulate --family gratings`), full phase scramble.
    func testPhaseScrambleClassifiesSimulatedCellsOnGratings() throws {
        for (seed, n) in [(UInt64(1), 400), (UInt64(2), 400), (UInt64(3), 1000)] {
            let sim = try Self.simulation(n: n, seed: seed)
            let d = sim.dataset()
            let f = try GroundTruthResponseFunction(dataset: d)
            let result = try ModelInvariance.run(function: f, source: d.stimulusSource, indices: Array(0..<n),
                                                 transform: try PhaseScrambleTransform(alpha: 1),
                                                 settings: InvarianceSettings(bootstrap: 500, seed: seed))
            let types = sim.unitTypes
            let simple = zip(result.units, types).filter { $0.1 == "simple" }.map(\.0)
            let complex = zip(result.units, types).filter { $0.1 == "complex" }.map(\.0)
            let maxComplexLow = complex.map(\.ciLow).max()!, minSimpleLow = simple.map(\.ciLow).min()!
            print(String(format: "[ground truth, gratings, seed %d, N %d] complex index %.3f…%.3f (CI low max %.3f); simple index %.3f…%.3f (CI low min %.3f); τ = %.2f",
                         seed, n, complex.map(\.index).min()!, complex.map(\.index).max()!, maxComplexLow,
                         simple.map(\.index).min()!, simple.map(\.index).max()!, minSimpleLow, InvarianceSettings.defaultThreshold))
            XCTAssertTrue(simple.allSatisfy(\.falsified), "every simple cell must be falsified")
            XCTAssertTrue(complex.allSatisfy { !$0.falsified }, "no complex cell may be falsified")
            let counts = result.countsByType(types)
            XCTAssertEqual(counts["simple"], InvarianceTypeCount(units: 8, falsified: 8))
            XCTAssertEqual(counts["complex"], InvarianceTypeCount(units: 8, falsified: 0))
        }
    }

    /// Gratings with a whole number of cycles per image have all their energy at ±k (and DC), so
    /// a phase scramble is an exact phase shift: the energy model of complex cells is then
    /// invariant up to the imperfect quadrature of DC-free Gabors; simple cells are not.
    func testOnGridGratingScrambleIsAPhaseShift() throws {
        let s = 16, n = 300
        let sim = try Self.simulation(n: 50, size: s)
        let f = try GroundTruthResponseFunction(dataset: sim.dataset())
        var rng = SeededRandom(seed: 4)
        var x = Tensor(shape: [n, 1, s, s])
        for i in 0..<n {
            var kx = 0, ky = 0
            while true {
                kx = rng.int(below: 13) - 6; ky = rng.int(below: 7)
                let k2 = kx * kx + ky * ky
                if k2 >= 4 && k2 <= 36 && !(ky == 0 && kx <= 0) { break }
            }
            let phase = rng.uniform(0, 2 * .pi)
            for y in 0..<s { for xx in 0..<s {
                let arg = 2 * Double.pi * Double(kx * xx + ky * y) / Double(s) + phase
                x.data[i * s * s + y * s + xx] = Float(0.5 + 0.4 * cos(arg))
            } }
        }
        let result = try ModelInvariance.run(function: f, source: InMemoryStimulusSource(tensor: x), indices: Array(0..<n),
                                             transform: try PhaseScrambleTransform(alpha: 1),
                                             settings: InvarianceSettings(bootstrap: 200, seed: 1))
        let complex = zip(result.units, sim.unitTypes).filter { $0.1 == "complex" }.map(\.0.index)
        let simple = zip(result.units, sim.unitTypes).filter { $0.1 == "simple" }.map(\.0.index)
        print("[on-grid gratings] complex index max \(complex.max()!), simple index min \(simple.min()!)")
        XCTAssertLessThan(complex.max()!, 0.1)
        XCTAssertGreaterThan(simple.min()!, 0.5)
    }

    func testStoredPairsMatchTransformOnTheFly() throws {
        let sim = try Self.simulation(n: 120)
        let d = sim.dataset()
        let f = try GroundTruthResponseFunction(dataset: d)
        let settings = InvarianceSettings(bootstrap: 100, seed: 9)
        let t = try PhaseScrambleTransform(alpha: 0.8)
        let direct = try ModelInvariance.run(function: f, source: d.stimulusSource, indices: Array(0..<120), transform: t,
                                             settings: settings, batchSize: 50)
        // The same scrambles, stored: the transform stream of the same seed, in stimulus order.
        let x = try d.stimuli(Array(0..<120))
        var rng = SeededRandom.derived(seed: 9, stream: ModelInvariance.transformStream)
        let y = try t.apply(x, rng: &rng)
        let both = InMemoryStimulusSource(tensor: Tensor(shape: [240, 1, 16, 16], data: x.data + y.data))
        let pairs = StimulusPairs(pairs: (0..<120).map { ($0, 120 + $0) }, source: "/pairs")
        let stored = try ModelInvariance.run(function: f, source: both, pairs: pairs, settings: settings, batchSize: 32)
        // Same numbers up to the round-off of sgemm on batches of different sizes.
        XCTAssertTrue(compareArrays("stored pairs vs on the fly: index", stored.units.map(\.index), direct.units.map(\.index), atol: 0, rtol: 1e-5).ok)
        XCTAssertTrue(compareArrays("stored pairs vs on the fly: CI low", stored.units.map(\.ciLow), direct.units.map(\.ciLow), atol: 0, rtol: 1e-5).ok)
        XCTAssertTrue(compareArrays("stored pairs vs on the fly: responses", stored.transformed, direct.transformed, atol: 1e-5, rtol: 1e-5).ok)
        XCTAssertEqual(stored.units.map(\.falsified), direct.units.map(\.falsified))
        XCTAssertEqual(stored.partners, Array(120..<240))
    }

    func testRecordedPairsAreRepeatAveraged() throws {
        // 6 pairs (i, 6 + i); two trials per stimulus; stimulus 11 never shown (its pair is dropped).
        let p = 6, n = 12, u = 2
        var rng = SeededRandom(seed: 3)
        let base = (0..<p).map { _ in rng.uniform(1, 5) }
        let unrelated = [3, 4, 5, 0, 1, 2]
        var rows: [Float] = [], index: [Int] = []
        for s in 0..<(n - 1) {
            let i = s % p
            // unit 0: same mean for x and T(x); unit 1: T(x) gets an unrelated stimulus's response.
            let m0 = base[i], m1 = s < p ? base[i] : base[unrelated[i]]
            for e in [-0.5, 0.5] { rows += [Float(m0 + e), Float(m1 + e)]; index.append(s) }
        }
        let d = Dataset(stimuli: Tensor(shape: [n, 1, 4, 4]), responses: Tensor(shape: [index.count, u], data: rows),
                        stimulusIndex: index, split: [Split](repeating: .train, count: n), modality: .fmri)
        let pairs = StimulusPairs(pairs: (0..<p).map { ($0, p + $0) }, source: "/pairs")
        let r = try ModelInvariance.recorded(dataset: d, pairs: pairs, split: nil, settings: InvarianceSettings(bootstrap: 50))
        XCTAssertEqual(r.stimuli, [0, 1, 2, 3, 4])
        XCTAssertEqual(r.units[0].d, 0, accuracy: 1e-6)
        XCTAssertFalse(r.units[0].falsified)
        let expectedD = (0..<5).map { abs(base[$0] - base[unrelated[$0]]) }.reduce(0, +) / 5
        XCTAssertEqual(r.units[1].d, expectedD, accuracy: 1e-5)
        XCTAssertThrowsError(try ModelInvariance.recorded(dataset: d, pairs: pairs, split: .test, settings: InvarianceSettings())) { e in
            XCTAssertEqual(e as? InvarianceError, .tooFewStimuli(0))
        }
    }

    func testPairsFromFiles() throws {
        let dir = TestPaths.temporaryDirectory("pairs")
        // Simulator partners: (i, N + i) for the N originals.
        let sim = try Self.simulation(n: 30, scrambled: true)
        try sim.write(to: dir + "/sim.h5", overwrite: true)
        let p = try XCTUnwrap(try StimulusPairs.read(file: dir + "/sim.h5", stimulusCount: 60))
        XCTAssertEqual(p.source, "/ground_truth/partner")
        XCTAssertEqual(p.originals, Array(0..<30)); XCTAssertEqual(p.transformed, Array(30..<60))
        // An explicit /pairs, and its errors.
        for (values, shape, message) in [([0, 1, 2, 9], [2, 2], "outside the stimulus range"), ([0, 1, 2], [3], "expected [P, 2]"),
                                         ([3, 3], [1, 2], "to itself")] {
            let f = try HDF5File.create(dir + "/p.h5")
            try f.write("/pairs", int64s: values, shape: shape)
            f.close()
            XCTAssertThrowsError(try StimulusPairs.read(file: dir + "/p.h5", stimulusCount: 5)) { e in
                XCTAssertTrue("\(e)".contains(message) && "\(e)".contains("/pairs"), "\(e)")
            }
        }
        let f = try HDF5File.create(dir + "/ok.h5")
        try f.write("/pairs", int64s: [0, 3, 1, 4], shape: [2, 2])
        f.close()
        XCTAssertEqual(try StimulusPairs.read(file: dir + "/ok.h5", stimulusCount: 5)?.transformed, [3, 4])
        let g = try HDF5File.create(dir + "/none.h5"); g.close()
        XCTAssertNil(try StimulusPairs.read(file: dir + "/none.h5", stimulusCount: 5))
    }
}
