// The simulators' statistics match their definitions: stored rates follow the stated cell models
// (recomputed here from the stored parameters with an independent Gabor), counts are Poisson
// around them, voxels have the stated Gaussian noise, dead-leaves and 1/f images have a 1/f
// amplitude spectrum, the energy model is phase invariant, and the same seed gives the same data.
import Foundation
import NeuralData
import Tensors
import TestSupport
import XCTest

final class SimulatorTests: XCTestCase {
    /// Independent Gabor: DC removed by a multiple of the envelope, unit L2 norm.
    func gabor(_ s: Int, theta: Double, f: Double, sigma: Double, phase: Double, x0: Double, y0: Double) -> [Double] {
        var g = [Double](), env = [Double]()
        for y in 0..<s { for x in 0..<s {
            let dx = Double(x) - x0, dy = Double(y) - y0
            let xr = dx * cos(theta) + dy * sin(theta), yr = -dx * sin(theta) + dy * cos(theta)
            let e = exp(-(xr * xr + yr * yr) / (2 * sigma * sigma))
            env.append(e); g.append(e * cos(2 * .pi * f * xr + phase))
        } }
        let k = g.reduce(0, +) / env.reduce(0, +)
        g = zip(g, env).map { $0 - k * $1 }
        let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return g.map { $0 / norm }
    }

    func dot(_ a: [Double], _ b: ArraySlice<Float>) -> Double {
        var s = 0.0
        for (x, y) in zip(a, b) { s += x * (Double(y) / 255 - 0.5) }
        return s
    }

    func testRatesFollowCellModelsAndCountsArePoisson() throws {
        let o = SimulationOptions(cells: [CellCount(.simple, 5), CellCount(.complex, 5), CellCount(.v2, 3)],
                                  stimulusCount: 1500, repeats: 2, family: .natural1f, size: 24, seed: 11)
        let sim = try Simulator.simulate(o)
        let d = sim.dataset()
        let truth = try XCTUnwrap(d.groundTruth)
        let s = o.size, plane = s * s, n = sim.stimulusCount, u = sim.unitCount
        XCTAssertEqual(truth.unitTypes, ["simple", "simple", "simple", "simple", "simple", "complex", "complex", "complex", "complex", "complex", "v2", "v2", "v2"])
        let stored = try d.stimuli(Array(0..<n)).data   // bytes as Float
        func param(_ name: String) -> [Float] { truth.arrays[name]!.data }
        let (theta, freq, sigma, phase, x0, y0) = (param("orientation"), param("frequency"), param("sigma"), param("phase"), param("x0"), param("y0"))
        let (gain, baseline, threshold) = (param("gain"), param("baseline"), param("threshold"))
        let filters = truth.filters!.data
        let subunits = truth.arrays["subunits"]!
        var maxFilterDiff: Float = 0, maxRateDiff = 0.0
        for j in 0..<u {
            var expected = [Double](repeating: 0, count: n)
            switch truth.unitTypes[j] {
            case "simple", "complex":
                let even = gabor(s, theta: Double(theta[j]), f: Double(freq[j]), sigma: Double(sigma[j]), phase: Double(phase[j]), x0: Double(x0[j]), y0: Double(y0[j]))
                for k in 0..<plane { maxFilterDiff = max(maxFilterDiff, abs(Float(even[k]) - filters[j * plane + k])) }
                let odd = gabor(s, theta: Double(theta[j]), f: Double(freq[j]), sigma: Double(sigma[j]), phase: Double(phase[j]) + .pi / 2, x0: Double(x0[j]), y0: Double(y0[j]))
                for i in 0..<n {
                    let e = dot(even, stored[(i * plane)..<((i + 1) * plane)])
                    let z = truth.unitTypes[j] == "simple" ? max(0, e) : e * e + pow(dot(odd, stored[(i * plane)..<((i + 1) * plane)]), 2)
                    expected[i] = Double(baseline[j]) + Double(gain[j]) * z
                }
            default:   // v2: Σ_k w_k E_k − τ, rectified
                let k = subunits.shape[1]
                let pairs = (0..<k).map { q -> ([Double], [Double], Double) in
                    let r = (0..<6).map { Double(subunits.data[(j * k + q) * 6 + $0]) }
                    return (gabor(s, theta: r[0], f: r[1], sigma: r[2], phase: 0, x0: r[3], y0: r[4]),
                            gabor(s, theta: r[0], f: r[1], sigma: r[2], phase: .pi / 2, x0: r[3], y0: r[4]), r[5])
                }
                for i in 0..<n {
                    let img = stored[(i * plane)..<((i + 1) * plane)]
                    var z = 0.0
                    for (e, o, w) in pairs { z += w * (pow(dot(e, img), 2) + pow(dot(o, img), 2)) }
                    expected[i] = Double(baseline[j]) + Double(gain[j]) * max(0, z - Double(threshold[j]))
                }
            }
            for i in 0..<n { maxRateDiff = max(maxRateDiff, abs(expected[i] - Double(sim.rates[i * u + j])) / max(1, expected[i])) }
        }
        print("[simulator] max |filter − independent Gabor| = \(maxFilterDiff), max relative rate difference = \(maxRateDiff)")
        XCTAssertLessThan(maxFilterDiff, 1e-5)
        XCTAssertLessThan(maxRateDiff, 1e-4)

        // Mean rates lie in the stated range; counts are Poisson around the rates: the mean count
        // matches the mean rate within 4 standard errors, and the repeat (noise) variance matches
        // the mean rate (Poisson variance = mean) within 10 %.
        let stats = RepeatStatistics(dataset: d, stimuli: Array(0..<n))
        for j in 0..<u {
            var meanRate = 0.0, meanCount = 0.0
            for i in 0..<n { meanRate += Double(sim.rates[i * u + j]) }
            meanRate /= Double(n)
            for t in 0..<sim.trialCount { meanCount += Double(sim.responses[t * u + j]) }
            meanCount /= Double(sim.trialCount)
            XCTAssertGreaterThanOrEqual(meanRate, o.rateMin - 1e-3); XCTAssertLessThanOrEqual(meanRate, o.rateMax + 1e-3)
            let se = (meanRate / Double(sim.trialCount)).squareRoot()
            XCTAssertLessThan(abs(meanCount - meanRate), 4 * se + 0.02 * meanRate, "unit \(j): counts \(meanCount) vs rate \(meanRate)")
            XCTAssertEqual(stats.noiseVariance[j] / meanRate, 1, accuracy: 0.1, "unit \(j): Poisson dispersion")
            XCTAssertTrue(sim.responses.allSatisfy { $0 >= 0 && $0 == $0.rounded() })
        }
    }

    func testVoxelsHaveStatedGaussianNoise() throws {
        let o = SimulationOptions(cells: [CellCount(.voxel, 4)], stimulusCount: 2000, repeats: 2, size: 24, seed: 2)
        let sim = try Simulator.simulate(o)
        XCTAssertEqual(o.modality, .fmri)
        let d = sim.dataset()
        let noise = d.groundTruth!.noiseStd!
        let u = 4
        for j in 0..<u {
            var res: [Double] = []
            for t in 0..<sim.trialCount { res.append(Double(sim.responses[t * u + j]) - Double(sim.rates[sim.stimulusIndex[t] * u + j])) }
            let m = res.reduce(0, +) / Double(res.count)
            let sd = (res.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(res.count - 1)).squareRoot()
            XCTAssertEqual(sd / Double(noise[j]), 1, accuracy: 0.05, "voxel \(j) noise std")
            XCTAssertEqual(m, 0, accuracy: 4 * Double(noise[j]) / Double(res.count).squareRoot())
            // Signal fraction of single-trial variance is in the stated range 0.3…0.7.
            let rates = (0..<sim.stimulusCount).map { Double(sim.rates[$0 * u + j]) }
            let rm = rates.reduce(0, +) / Double(rates.count)
            let vs = rates.reduce(0) { $0 + ($1 - rm) * ($1 - rm) } / Double(rates.count)
            let rho = vs / (vs + Double(noise[j] * noise[j]))
            XCTAssertTrue(rho > 0.3 - 1e-6 && rho < 0.7 + 1e-6, "signal fraction \(rho)")
            XCTAssertEqual(rm, 2, accuracy: 1.0 + 1e-6)   // mean μ ~ U[1, 3]
        }
        XCTAssertThrowsError(try Simulator.simulate(SimulationOptions(cells: [CellCount(.voxel, 2), CellCount(.simple, 2)]))) { e in
            XCTAssertTrue("\(e)".hasPrefix("cells: voxels"), "\(e)")
        }
    }

    /// Slope of log radially averaged amplitude spectrum vs log frequency, averaged over images.
    func spectrumSlope(_ images: [Float], size s: Int, count n: Int) -> Double {
        let dft = DFT2D(height: s, width: s)
        let bins = s / 2
        var amp = [Double](repeating: 0, count: bins), cnt = amp
        for i in 0..<n {
            let z = dft.forward(Array(images[(i * s * s)..<((i + 1) * s * s)]))
            for u in 0..<s { for v in 0..<s {
                let f = (pow(DFT2D.frequency(u, s), 2) + pow(DFT2D.frequency(v, s), 2)).squareRoot()
                let b = Int((f * Double(s)).rounded())
                if b >= 1 && b < bins { amp[b] += z.magnitude(u * s + v); cnt[b] += 1 }
            } }
        }
        // Fit over 2 … S/4 cycles per image (well inside the band the generators shape).
        var xs: [Double] = [], ys: [Double] = []
        for b in 2...(s / 4) { xs.append(log(Double(b) / Double(s))); ys.append(log(amp[b] / cnt[b])) }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, ys) { sxy += (x - mx) * (y - my); sxx += (x - mx) * (x - mx) }
        return sxy / sxx
    }

    func testDeadLeavesAndNaturalImagesHaveOneOverFSpectra() throws {
        for (family, size) in [(StimulusFamily.deadLeaves, 64), (.deadLeaves, 32), (.natural1f, 64)] {
            let sim = try Simulator.simulate(SimulationOptions(cells: [CellCount(.simple, 1)], stimulusCount: 48, family: family,
                                                               size: size, seed: 3, stimulusType: .float32))
            let slope = spectrumSlope(sim.images, size: size, count: 48)
            print("[\(family.rawValue) \(size)×\(size)] amplitude spectrum slope \(slope)")
            XCTAssertEqual(slope, -1, accuracy: 0.3, "\(family) \(size)")
            if family == .deadLeaves {
                let masks = try XCTUnwrap(sim.masks)
                let plane = size * size
                for i in 0..<48 {
                    let area = masks[(i * plane)..<((i + 1) * plane)].reduce(0) { $0 + Int($1) }
                    // The foreground disc has radius S/6…S/4: area π r² within the image.
                    XCTAssertGreaterThan(Double(area), 0.5 * Double.pi * pow(Double(size) / 6, 2))
                    XCTAssertLessThan(Double(area), 1.05 * Double.pi * pow(Double(size) / 4, 2) + 4)
                    // The foreground is one flat grey level (the frontmost leaf).
                    let values = Set((0..<plane).filter { masks[i * plane + $0] == 1 }.map { sim.images[i * plane + $0] })
                    XCTAssertEqual(values.count, 1)
                }
            }
        }
        let white = try Simulator.simulate(SimulationOptions(cells: [CellCount(.simple, 1)], stimulusCount: 48, family: .whiteNoise, size: 32, seed: 3, stimulusType: .float32))
        XCTAssertEqual(spectrumSlope(white.images, size: 32, count: 48), 0, accuracy: 0.15, "white noise is flat")
    }

    /// Energy-model phase invariance: over the phases of a grating at the cell's preferred
    /// orientation and frequency, a complex cell's drive is nearly constant, a simple cell's is not.
    func testEnergyModelIsPhaseInvariant() throws {
        let s = 32
        let sim = try Simulator.simulate(SimulationOptions(cells: [CellCount(.simple, 6), CellCount(.complex, 6)], stimulusCount: 200, size: s, seed: 8))
        let t = sim.dataset().groundTruth!
        let filters = t.filters!.data, quad = t.arrays["filters_quadrature"]!.data
        let plane = s * s
        for j in 0..<12 {
            let theta = Double(t.arrays["orientation"]!.data[j]), f = Double(t.arrays["frequency"]!.data[j])
            var drives: [Double] = []
            for k in 0..<16 {
                let c = Double(s - 1) / 2
                var e = 0.0, o = 0.0
                for y in 0..<s { for x in 0..<s {
                    let g = 0.4 * cos(2 * .pi * f * ((Double(x) - c) * cos(theta) + (Double(y) - c) * sin(theta)) + 2 * .pi * Double(k) / 16)
                    e += g * Double(filters[j * plane + y * s + x]); o += g * Double(quad[j * plane + y * s + x])
                } }
                drives.append(j < 6 ? max(0, e) : e * e + o * o)
            }
            let mean = drives.reduce(0, +) / 16
            let modulation = (drives.max()! - drives.min()!) / mean
            print("[energy model] unit \(j) (\(t.unitTypes[j])): modulation over grating phase \(modulation)")
            if j < 6 { XCTAssertGreaterThan(modulation, 1.5) } else { XCTAssertLessThan(modulation, 0.05) }
        }
    }

    func testPhaseScrambledPartnersKeepMeanAndAmplitude() throws {
        let s = 32, n = 20
        let sim = try Simulator.simulate(SimulationOptions(cells: [CellCount(.complex, 2)], stimulusCount: n, family: .natural1f, size: s, seed: 4,
                                                           scrambledPartners: true, stimulusType: .float32))
        XCTAssertEqual(sim.stimulusCount, 2 * n)
        let partner = sim.dataset().groundTruth!.arrays["partner"]!.data
        let dft = DFT2D(height: s, width: s)
        let plane = s * s
        for i in 0..<n {
            XCTAssertEqual(Int(partner[i]), i + n); XCTAssertEqual(Int(partner[i + n]), i)
            XCTAssertEqual(sim.split[i], sim.split[i + n])
            let a = Array(sim.images[(i * plane)..<((i + 1) * plane)]), b = Array(sim.images[((i + n) * plane)..<((i + n + 1) * plane)])
            XCTAssertEqual(a.reduce(0, +) / Float(plane), b.reduce(0, +) / Float(plane), accuracy: 0.01)
            XCTAssertNotEqual(a, b)
            // Amplitude spectra agree up to the clipping to [0, 1] (a few per cent of the energy).
            let za = dft.forward(a), zb = dft.forward(b)
            var num = 0.0, den = 0.0
            for k in 1..<plane { num += pow(za.magnitude(k) - zb.magnitude(k), 2); den += pow(za.magnitude(k), 2) }
            XCTAssertLessThan((num / den).squareRoot(), 0.25, "stimulus \(i) amplitude spectrum")
        }
    }

    func testSameSeedSameDataAndImagesIndependentOfN() throws {
        let o = SimulationOptions(cells: [CellCount(.simple, 3), CellCount(.complex, 2)], stimulusCount: 60, repeats: 2, family: .deadLeaves, size: 16, seed: 21)
        let a = try Simulator.simulate(o), b = try Simulator.simulate(o)
        XCTAssertEqual(a.images, b.images); XCTAssertEqual(a.responses, b.responses); XCTAssertEqual(a.rates, b.rates)
        var other = o; other.seed = 22
        XCTAssertNotEqual(try Simulator.simulate(other).images, a.images)
        var more = o; more.stimulusCount = 80
        let c = try Simulator.simulate(more)
        XCTAssertEqual(Array(c.images[0..<(60 * 256)]), a.images, "image i does not depend on N")
    }

    func testWrittenFileConformsAndCarriesGroundTruth() throws {
        let dir = TestPaths.temporaryDirectory("sim-file")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let o = SimulationOptions(cells: [CellCount(.simple, 4), CellCount(.complex, 4)], stimulusCount: 400, repeats: 1, testRepeats: 4,
                                  family: .deadLeaves, size: 20, seed: 9)
        let sim = try Simulator.simulate(o)
        let path = dir + "/sim.h5"
        try sim.write(to: path, overwrite: false)
        XCTAssertThrowsError(try sim.write(to: path, overwrite: false), "an existing file is not overwritten")
        let d = try Dataset.load(path)
        XCTAssertEqual([d.stimulusCount, d.unitCount], [400, 8])
        XCTAssertEqual(d.trialCount, 360 + 40 * 4)
        XCTAssertEqual(d.stimulusShape, [1, 20, 20])
        XCTAssertEqual(d.unitTypes, ["simple", "simple", "simple", "simple", "complex", "complex", "complex", "complex"])
        XCTAssertEqual(d.unitNames, ["simple0", "simple1", "simple2", "simple3", "complex0", "complex1", "complex2", "complex3"])
        XCTAssertEqual(d.masks, sim.masks)
        XCTAssertTrue(d.splitFromFile)
        for s in d.stimuli(in: .test) { XCTAssertEqual(d.repeatsPerStimulus[s], 4) }
        for s in d.stimuli(in: .train) { XCTAssertEqual(d.repeatsPerStimulus[s], 1) }
        let truth = try XCTUnwrap(d.groundTruth)
        XCTAssertEqual(truth.rates, sim.rates)
        // The evaluation set: repeat-averaged test responses; the true rates explain nearly all
        // of the explainable variance.
        let evaluation = d.repeatStatistics(in: .test)
        XCTAssertEqual(evaluation.stimuli, d.stimuli(in: .test))
        XCTAssertEqual(evaluation.repeatCounts, [Int](repeating: 4, count: 40))
        let truePredictions = evaluation.stimuli.flatMap { s in (0..<8).map { sim.rates[s * 8 + $0] } }
        let feve = evaluation.fractionOfExplainableVarianceExplained(predictions: truePredictions)
        print("[ground truth] FEVE of the true rates on test: \(feve.map { String(format: "%.2f", $0) })")
        XCTAssertGreaterThan(feve.reduce(0, +) / 8, 0.8)
        XCTAssertEqual(truth.filters?.shape, [8, 20, 20])
        // The true model's held-out log-likelihood, recomputed independently, beats the null model
        // (each unit's training-mean rate).
        let ll = try XCTUnwrap(truth.logLikelihood(on: d, split: .test))
        let test = d.trials(in: .test), train = d.trials(in: .train)
        var mine = 0.0, null = 0.0
        for j in 0..<8 {
            let nullRate = train.reduce(0.0) { $0 + Double(d.responses[$1 * 8 + j]) } / Double(train.count)
            for t in test {
                let y = Double(d.responses[t * 8 + j]), mu = Double(sim.rates[d.stimulusIndex[t] * 8 + j])
                mine += y * log(mu) - mu - lgamma(y + 1)
                null += y * log(nullRate) - nullRate - lgamma(y + 1)
            }
        }
        mine /= Double(test.count * 8); null /= Double(test.count * 8)
        print("[ground truth] test LL per observation: true model \(ll), null model \(null)")
        XCTAssertEqual(ll, mine, accuracy: 1e-9)
        XCTAssertGreaterThan(ll, null)
    }

    func testOptionParsingAndValidation() throws {
        XCTAssertEqual(try CellCount.parse("simple,complex:3", defaultCount: 5), [CellCount(.simple, 5), CellCount(.complex, 3)])
        XCTAssertThrowsError(try CellCount.parse("simple,pyramidal", defaultCount: 5)) { XCTAssertTrue("\($0)".contains("unknown cell family 'pyramidal'")) }
        XCTAssertThrowsError(try CellCount.parse("simple:0", defaultCount: 5))
        XCTAssertThrowsError(try Simulator.simulate(SimulationOptions(stimulusCount: 1)))
        XCTAssertThrowsError(try Simulator.simulate(SimulationOptions(size: 4)))
        XCTAssertThrowsError(try Simulator.simulate(SimulationOptions(repeats: 0)))
    }
}
