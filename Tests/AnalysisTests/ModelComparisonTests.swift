// Identifiability: the Hungarian algorithm against brute force, and `ModelComparison` on a model
// against itself, against a copy with permuted and rescaled channels (the function unchanged, built
// here), and on two fit seeds of a small model.
import Foundation
import XCTest
import Tensors
import ConvEngine
import NeuralData
import Encoding
import Analysis

final class ModelComparisonTests: XCTestCase {

    /// Every permutation of 0..<n (Heap's algorithm).
    func permutations(_ n: Int) -> [[Int]] {
        var a = Array(0..<n), out: [[Int]] = []
        func gen(_ k: Int) {
            if k == 1 { out.append(a); return }
            for i in 0..<k {
                gen(k - 1)
                if k % 2 == 0 { a.swapAt(i, k - 1) } else { a.swapAt(0, k - 1) }
            }
        }
        gen(n)
        return out
    }

    /// Optimal sum by the Hungarian algorithm = the best over all n! assignments (n ≤ 7), on random
    /// matrices, matrices with ties (integers 0…3) and rectangular ones (n < m: all injective maps).
    func testHungarianMatchesBruteForce() {
        var rng = SeededRandom(seed: 11)
        var worst = 0.0, cases = 0
        for n in 1...7 {
            for trial in 0..<(n <= 5 ? 30 : 6) {
                let m = trial % 3 == 2 ? n + 2 : n
                let ties = trial % 3 == 1
                let score = (0..<n).map { _ in (0..<m).map { _ in ties ? Double(rng.int(below: 4)) : rng.normal() } }
                let a = LinearAssignment.maximise(score)!
                XCTAssertEqual(Set(a).count, n, "assignment not one-to-one")
                let got = (0..<n).reduce(0.0) { $0 + score[$1][a[$1]] }
                // Brute force: the best injective map rows → columns = best over permutations of m
                // columns, the first n used.
                var best = -Double.infinity
                for p in permutations(m) { best = max(best, (0..<n).reduce(0.0) { $0 + score[$1][p[$1]] }) }
                worst = max(worst, abs(best - got))
                XCTAssertEqual(got, best, accuracy: 1e-9, "n=\(n) m=\(m)")
                cases += 1
            }
        }
        print("[hungarian] \(cases) matrices, max |optimum − brute force| = \(worst)")
        XCTAssertNil(LinearAssignment.maximise([[1, 2], [3]]))          // ragged
        XCTAssertNil(LinearAssignment.maximise([[1], [2]]))             // more rows than columns
        XCTAssertNil(LinearAssignment.maximise([[.nan, 1], [1, 0]]))    // non-finite
        XCTAssertEqual(LinearAssignment.maximise([[0, 5], [5, 0]]), [1, 0])
    }

    func oneLayerArch(units: Int = 3, batchNorm: Bool = false, layers: Int = 1) -> EncoderArchitecture {
        let blocks = (0..<layers).map { i in
            ConvBlockSpec(channels: 5, kernel: i == 0 ? 5 : 3, batchNorm: batchNorm, activation: .relu)
        }
        return EncoderArchitecture(name: "custom", inputChannels: 1, inputHeight: 12, inputWidth: 12, blocks: blocks,
                                   readout: .factorized, link: .softplus, observation: .poisson, units: units)
    }

    /// A model against itself: every filter matched to itself with similarity 1, readout r = 1,
    /// identical predictions.
    func testModelAgainstItself() throws {
        let enc = try NeuralEncoder(architecture: oneLayerArch(batchNorm: true, layers: 2), seed: 3)
        let r = try ModelComparison.compare(enc, enc)
        for l in r.layers {
            XCTAssertEqual(l.matches.map(\.b), Array(0..<l.channels))
            for m in l.matches { XCTAssertEqual(m.similarity, 1, accuracy: 1e-12); XCTAssertEqual(m.sign, 1) }
            XCTAssertEqual(l.fractionMatched, 1)
        }
        for v in r.readoutFeatureCorrelation { XCTAssertEqual(v, 1, accuracy: 1e-12) }
        var rng = SeededRandom(seed: 4)
        let x = rng.normalTensor([20, 1, 12, 12])
        let p = enc.predict(x).data.map(Double.init)
        let agree = ModelComparison.agreement(p, p, stimuli: 20, units: 3)
        XCTAssertEqual(agree.maxAbsoluteDifference, 0)
        for c in agree.correlation { XCTAssertEqual(c, 1, accuracy: 1e-12) }
    }

    /// A copy of a 2-layer ReLU model whose channels are permuted and positively rescaled in both
    /// layers, undone in the next layer's input channels and in the readout features: the same
    /// function (predictions equal to float round-off), and `compare` recovers both permutations
    /// exactly with similarity 1.
    func testPermutedAndRescaledModelIsRecovered() throws {
        let arch = oneLayerArch(layers: 2)
        let a = try NeuralEncoder(architecture: arch, seed: 5), b = try NeuralEncoder(architecture: arch, seed: 6)
        // Copy A into B first.
        for (pa, pb) in zip(a.parameters, b.parameters) { pb.value = pa.value }
        let perm1 = [3, 0, 4, 1, 2], perm2 = [1, 4, 0, 2, 3]      // B channel perm[i] = A channel i
        let scale1: [Float] = [0.5, 2, 3, 0.25, 1.5], scale2: [Float] = [4, 0.3, 1.2, 2.5, 0.7]
        let convA = a.core.layers.compactMap { $0 as? Conv2D }, convB = b.core.layers.compactMap { $0 as? Conv2D }
        // Layer 1: B[perm1[i]] = s1[i]·A[i] (weights and bias).
        let c1 = convA[0].weight.value, plane1 = 25
        var w1 = c1, b1 = convA[0].bias!.value
        for i in 0..<5 {
            for k in 0..<plane1 { w1.data[perm1[i] * plane1 + k] = scale1[i] * c1.data[i * plane1 + k] }
            b1.data[perm1[i]] = scale1[i] * convA[0].bias!.value.data[i]
        }
        convB[0].weight.value = w1; convB[0].bias!.value = b1
        // Layer 2: output channels permuted by perm2 and scaled by s2; input channel perm1[c] of B
        // carries s1[c]·(A's channel c), so its weights are divided by s1[c].
        let c2 = convA[1].weight.value, plane2 = 9
        var w2 = c2, b2 = convA[1].bias!.value
        for o in 0..<5 { for c in 0..<5 { for k in 0..<plane2 {
            w2.data[(perm2[o] * 5 + perm1[c]) * plane2 + k] = scale2[o] / scale1[c] * c2.data[(o * 5 + c) * plane2 + k]
        } } }
        for o in 0..<5 { b2.data[perm2[o]] = scale2[o] * convA[1].bias!.value.data[o] }
        convB[1].weight.value = w2; convB[1].bias!.value = b2
        // Readout features [U, C]: B's column perm2[c] = A's column c / s2[c].
        let fa = (a.readout as! FactorizedReadout).features.value
        var fb = fa
        for u in 0..<3 { for c in 0..<5 { fb.data[u * 5 + perm2[c]] = fa.data[u * 5 + c] / scale2[c] } }
        (b.readout as! FactorizedReadout).features.value = fb

        var rng = SeededRandom(seed: 7)
        let x = rng.normalTensor([30, 1, 12, 12])
        let pa = a.predict(x).data.map(Double.init), pb = b.predict(x).data.map(Double.init)
        let agree = ModelComparison.agreement(pa, pb, stimuli: 30, units: 3)
        print("[compare permuted+rescaled] max |μ_A − μ_B| = \(agree.maxAbsoluteDifference), min r = \(agree.correlation.min()!)")
        // Measured 0 (docs/analysis.md): float round-off of the rescaled sums may move the last bit,
        // so allow a few float ulps of the largest prediction.
        XCTAssertLessThanOrEqual(agree.maxAbsoluteDifference, 4 * Double(Float.ulpOfOne) * pa.map(abs).max()!)

        let r = try ModelComparison.compare(a, b)
        XCTAssertEqual(r.layers[0].matches.map(\.b), perm1)
        XCTAssertEqual(r.layers[1].matches.map(\.b), perm2)
        let simDev = r.layers.flatMap { $0.matches.map { abs($0.similarity - 1) } }.max()!
        let readDev = r.readoutFeatureCorrelation.map { abs($0 - 1) }.max()!
        print("[compare permuted+rescaled] max |similarity − 1| = \(simDev), max |readout r − 1| = \(readDev)")
        // Measured: 1 − 7e-16 (double round-off of Pearson r on float weights); 1e-12 leaves room
        // for other summation orders, far below any real mismatch.
        for l in r.layers { for m in l.matches { XCTAssertEqual(m.similarity, 1, accuracy: 1e-12); XCTAssertEqual(m.sign, 1) } }
        // The readout features, reordered and multiplied by the estimated channel scales, are A's.
        for v in r.readoutFeatureCorrelation { XCTAssertEqual(v, 1, accuracy: 1e-12) }
        // A sign-flipped filter is matched with sign −1.
        let flipped = try NeuralEncoder(architecture: oneLayerArch(), seed: 8), base = try NeuralEncoder(architecture: oneLayerArch(), seed: 8)
        let conv = flipped.core.layers.compactMap { $0 as? Conv2D }[0]
        var w = conv.weight.value
        for k in 0..<25 { w.data[2 * 25 + k] *= -3 }
        conv.weight.value = w
        let rf = try ModelComparison.compare(base, flipped)
        XCTAssertEqual(rf.layers[0].matches[2].sign, -1)
        print("[compare sign flip] |similarity − 1| = \(abs(rf.layers[0].matches[2].similarity - 1))")
        XCTAssertEqual(rf.layers[0].matches[2].similarity, 1, accuracy: 1e-12)
    }

    func testIncompatibleModelsAreRejected() throws {
        let a = try NeuralEncoder(architecture: oneLayerArch(layers: 1), seed: 1), b = try NeuralEncoder(architecture: oneLayerArch(layers: 2), seed: 1)
        XCTAssertThrowsError(try ModelComparison.compare(a, b)) { e in
            XCTAssertTrue("\(e)".contains("conv layers"), "\(e)")
        }
        XCTAssertThrowsError(try ModelComparison.compare(a, a, threshold: 1.5))
    }

    /// Two fit seeds of the same small one-layer model on simulated simple cells: the reported
    /// similarities are |Pearson r| of the raw first-layer filters computed here, the assignment is
    /// the best of all 4! = 24 one-to-one assignments (brute force here), and the prediction
    /// agreement per unit is the Pearson r of the two models' predictions computed here; then the
    /// honest expectation — predictions agree far better than chance.
    func testTwoSeedsOfASmallFit() throws {
        BLAS.setThreads(2)
        let sim = try Simulator.simulate(SimulationOptions(cells: [CellCount(.simple, 4)], stimulusCount: 600, repeats: 2,
                                                           family: .whiteNoise, size: 12, seed: 2))
        let d = sim.dataset()
        let prep = try Preprocessing.fit(on: d, options: PreprocessingOptions(grayscale: true))
        var models: [FittedModel] = []
        for seed in [UInt64(0), 1] {
            var o = TrainingOptions()
            o.epochs = 15; o.seed = seed
            let arch = EncoderArchitecture(name: "custom", inputChannels: 1, inputHeight: 12, inputWidth: 12,
                                           blocks: [ConvBlockSpec(channels: 4, kernel: 7, activation: .relu)],
                                           readout: .factorized, link: .softplus, observation: .poisson, units: 4)
            models.append(try EncodingModel(cnn: arch, training: o).fit(d, preprocessing: prep))
        }
        let r = try ModelComparison.compare(models[0].encoder, models[1].encoder)
        let test = d.stimuli(in: .test)
        let x = try d.stimulusSource.stimuli(test)
        let fa = EncoderResponseFunction(model: models[0]), fb = EncoderResponseFunction(model: models[1])
        let agree = ModelComparison.agreement(try fa.responses(x).data.map(Double.init), try fb.responses(x).data.map(Double.init),
                                              stimuli: test.count, units: 4)
        print("[compare two seeds] conv1 matches \(r.layers[0].matches.map { "\($0.a)→\($0.b) |r| \(String(format: "%.3f", $0.similarity))" }); fraction ≥ 0.9: \(r.layers[0].fractionMatched)")
        print("[compare two seeds] prediction r per unit \(agree.correlation.map { String(format: "%.3f", $0) }) on \(test.count) test stimuli")
        XCTAssertGreaterThan(agree.meanCorrelation, 0.5)

        // Independent of ModelComparison: |r| of every pair of raw first-layer filters (4 × 49 values).
        func filters(_ m: FittedModel) -> [[Double]] {
            let w = m.encoder.core.layers.compactMap { $0 as? Conv2D }[0].weight.value.data.map(Double.init)
            return (0..<4).map { Array(w[($0 * 49)..<(($0 + 1) * 49)]) }
        }
        func pearson(_ a: [Double], _ b: [Double]) -> Double {
            let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
            var sab = 0.0, saa = 0.0, sbb = 0.0
            for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
            return sab / (saa * sbb).squareRoot()
        }
        let fA = filters(models[0]), fB = filters(models[1])
        let simAB = fA.map { a in fB.map { abs(pearson(a, $0)) } }
        var simDiff = 0.0
        for m in r.layers[0].matches { simDiff = max(simDiff, abs(m.similarity - simAB[m.a][m.b])) }
        func permutations(_ a: [Int]) -> [[Int]] {
            a.count <= 1 ? [a] : a.indices.flatMap { i -> [[Int]] in
                var rest = a; let x = rest.remove(at: i); return permutations(rest).map { [x] + $0 }
            }
        }
        let bestTotal = permutations([0, 1, 2, 3]).map { p in (0..<4).reduce(0.0) { $0 + simAB[$1][p[$1]] } }.max()!
        let reportedTotal = r.layers[0].matches.reduce(0.0) { $0 + $1.similarity }
        XCTAssertEqual(Set(r.layers[0].matches.map(\.b)), [0, 1, 2, 3], "one-to-one")
        let pa = try fa.responses(x).data.map(Double.init), pb = try fb.responses(x).data.map(Double.init)
        var corrDiff = 0.0
        for u in 0..<4 {
            let a = (0..<test.count).map { pa[$0 * 4 + u] }, b = (0..<test.count).map { pb[$0 * 4 + u] }
            corrDiff = max(corrDiff, abs(agree.correlation[u] - pearson(a, b)))
        }
        print("[compare two seeds] max |similarity − |r| computed here| = \(simDiff); assignment total \(reportedTotal) vs brute-force best \(bestTotal); max |prediction r − r computed here| = \(corrDiff)")
        XCTAssertLessThan(simDiff, 1e-12)
        XCTAssertEqual(reportedTotal, bestTotal, accuracy: 1e-12)
        XCTAssertLessThan(corrDiff, 1e-12)
    }
}
