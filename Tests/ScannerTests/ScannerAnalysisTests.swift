// Knowledge quantity, feature quantity, TIP / SoU / AIPC, abnormal filters, sharpness and MEI on
// the tiny fixture networks and on networks whose answers are known in closed form.
import XCTest
import Foundation
import Tensors
import ConvEngine
import Scanner
import TestSupport

final class ScannerAnalysisTests: XCTestCase {
    /// Poisson responses drawn from the network's own rates (exp link), 4 trials per stimulus.
    func heldOut(_ net: ScanNetwork, _ x: Tensor, seed: UInt64 = 1) throws -> HeldOutData {
        let eta = net.outputs(x, through: net.readoutIndex!)
        var rng = SeededRandom(seed: seed)
        let u = eta.shape[1]
        var y: [Float] = [], idx: [Int] = []
        for _ in 0..<4 { for s in 0..<x.shape[0] {
            idx.append(s)
            for j in 0..<u { y.append(Float(rng.poisson(Foundation.exp(Double(min(eta.data[s * u + j], 3)))))) }
        } }
        return try HeldOutData(stimuli: x, responses: y, stimulusIndex: idx, units: u,
                               link: { Foundation.exp($0) }, linkDerivative: { Foundation.exp($0) },
                               logLikelihood: { y, mu, _ in y * Foundation.log(max(mu, 1e-8)) - mu - lgamma(y + 1) },
                               nllGradient: { y, mu, _ in 1 - y / max(mu, 1e-8) })
    }

    func moreStimuli(_ n: Int, seed: UInt64 = 3) -> Tensor {
        var rng = SeededRandom(seed: seed)
        return rng.normalTensor([n, 2, 10, 10])
    }

    func testKnowledgeQuantityInvariants() throws {
        let x = try ScannerTestNetworks.stimuli()
        let net = try ScannerTestNetworks.network(.relu)
        for name in ["act1", "act2", "readout"] {
            let k = try net.knowledge(x, layer: try net.layerIndex(named: name))
            print("[knowledge \(name)] count \(k.activationCount) intensity \(k.intensity) distance \(k.distance) other \(String(describing: k.distanceToOther)) C \(String(describing: k.layerCorrelation)) IoU \(String(describing: k.topTwoIoU))")
            XCTAssertGreaterThan(k.activationCount, 0); XCTAssertLessThanOrEqual(k.activationCount, 1)
            XCTAssertTrue(k.distance >= 0)
            XCTAssertEqual(k.perStimulusCount.count, 3)
            if let r = k.layerCorrelation { XCTAssertTrue(r >= 0 && r <= 1) }
            if let iou = k.topTwoIoU { XCTAssertTrue(iou >= 0 && iou <= 1) }
            if name == "readout" { XCTAssertEqual(k.unitDistance.count, 3) } else { XCTAssertEqual(k.filterTopTwoIoU.count, net.channelCount(layer: try net.layerIndex(named: name))) }
        }
    }

    /// §3.3.1 and eq. 3-15…3-20 by hand. Network: ReLU on a 1 × 2 × 2 input, then Flatten. Neuron q's
    /// learning image is x_q·e_q where x_q > 0, else 0 (step gate). Stimuli x1 = [1, −2, 3, 4],
    /// x2 = [2, 2, 2, 2] (‖x1‖² = 30).
    func testKnowledgeByHand() throws {
        let net = try ScanNetwork(core: Sequential([ReLU(name: "relu"), Flatten(name: "flat")], name: "core"), inputShape: [1, 2, 2])
        let x = Tensor(shape: [2, 1, 2, 2], data: [1, -2, 3, 4, 2, 2, 2, 2])
        let k = try net.knowledge(x, layer: 0)
        // count: stimulus 1 neurons [1, 0, 1, 1] → mean 0.75 over 4 input pixels = 0.1875; stimulus 2: 1/4.
        XCTAssertEqual(k.perStimulusCount, [0.1875, 0.25])
        // intensity: stimulus 1 mean of [1, 0, 3, 4] = 2 over Σ x1 = 6; stimulus 2: 2 / 8.
        XCTAssertEqual(k.perStimulusIntensity[0], 1.0 / 3, accuracy: 1e-12); XCTAssertEqual(k.perStimulusIntensity[1], 0.25, accuracy: 1e-12)
        // 3-15: ‖I_q − x1‖ = √(30 − x_q²) for active q, √30 for the blocked one; stimulus 2: √12 each.
        let d1 = (29.0.squareRoot() + 30.0.squareRoot() + 21.0.squareRoot() + 14.0.squareRoot()) / 4
        XCTAssertEqual(k.distance, (d1 + 12.0.squareRoot()) / 2, accuracy: 1e-6)
        // to the other stimulus: x1's images vs x2: √13, 4, √13, 4; x2's images 2·e_q vs x1:
        // (2 − x1_q)² + (30 − x1_q²) = 30, 42, 22, 18.
        let o1 = (2 * 13.0.squareRoot() + 8) / 4, o2 = (30.0.squareRoot() + 42.0.squareRoot() + 22.0.squareRoot() + 18.0.squareRoot()) / 4
        XCTAssertEqual(k.distanceToOther!, (o1 + o2) / 2, accuracy: 1e-6)
        // 3-17 / 3-19: the map has the input's size (bilinear is the identity); I^k = [1, 0, 9, 16] and
        // S = [1, 0, 3, 4] share their support → C = 1; top-2 neurons are different pixels → IoU 0.
        XCTAssertEqual(k.layerCorrelation!, 1, accuracy: 1e-12)
        XCTAssertEqual(k.topTwoIoU!, 0, accuracy: 1e-12)
        // 3-16 with one class, per unit of the flat layer: unit q's mean distance over both stimuli.
        let flat = try net.knowledge(x, layer: 1)
        let want = [29.0, 30, 21, 14].map { ($0.squareRoot() + 12.0.squareRoot()) / 2 }
        for (g, w) in zip(flat.unitDistance, want) { XCTAssertEqual(g, w, accuracy: 1e-6) }
        print("[knowledge by hand] distance \(k.distance) other \(k.distanceToOther!) units \(flat.unitDistance)")
    }

    func testKnowledgeFormulasByHand() {
        // 3-16: per-class means.
        XCTAssertEqual(KnowledgeMeasures.classAveragedDistance(distances: [1, 2, 3, 6], labels: [0, 1, 0, 1]), [0: 2, 1: 4])
        // 3-17: |S ∩ I| / |I|: I = {0, 2}, S = {0, 1} → 1/2.
        XCTAssertEqual(KnowledgeMeasures.overlapRatio(featureMap: [true, true, false, false], learningImage: [true, false, true, false]), 0.5)
        XCTAssertTrue(KnowledgeMeasures.overlapRatio(featureMap: [true], learningImage: [false]).isNaN)
        // 3-19: {0, 1} vs {1, 2} → 1/3.
        XCTAssertEqual(KnowledgeMeasures.intersectionOverUnion([true, true, false, false], [false, true, true, false]), 1.0 / 3)
        XCTAssertEqual(KnowledgeMeasures.distance([3, 0], [0, 4]), 5, accuracy: 1e-12)
    }

    func testFeatureQuantityLayer() throws {
        let x = moreStimuli(6)
        let net = try ScannerTestNetworks.network(.relu)
        // Masks: the central 6×6 square.
        var masks = [UInt8](repeating: 0, count: 6 * 100)
        for i in 0..<6 { for r in 2..<8 { for c in 2..<8 { masks[i * 100 + r * 10 + c] = 1 } } }
        var s = FeatureQuantitySettings(); s.neuronsPerFilter = 4
        let fq = try net.featureQuantity(x, masks: masks, layer: 2, settings: s)
        print("[FQ act1] per filter \(fq.filterFQ) r \(String(describing: fq.activationCorrelation)) diversity \(fq.diversity)")
        XCTAssertEqual(fq.filterFQ.count, 4)
        XCTAssertEqual(fq.diversity.count, 4)
        XCTAssertEqual(fq.neurons.count, 16)
        XCTAssertFalse(fq.thresholdMasks)
        XCTAssertEqual(fq.meanFQ, fq.neuronFQ.reduce(0, +) / 16, accuracy: 1e-9)
        // FQ of a neuron (4-7) is the max over stimuli of F of its own learning image: check one directly.
        let q = fq.neurons[5]
        let li = try net.neuronLearningImages(x, layer: 2, neuron: q)
        var best = -Double.infinity
        for i in 0..<6 {
            let im = KnowledgeMeasures.collapse(li.data[(i * 200)..<((i + 1) * 200)], channels: 2)
            let st = KnowledgeMeasures.collapse(x.data[(i * 200)..<((i + 1) * 200)], channels: 2)
            best = max(best, FeatureQuantity.score(image: im, stimulus: st, mask: (0..<100).map { masks[i * 100 + $0] != 0 }).value)
        }
        XCTAssertEqual(fq.neuronFQ[5], best, accuracy: 1e-9 * max(1, abs(best)))
        let f1 = fq.neuronFilter[5]
        let mine = fq.neuronFQ.indices.filter { fq.neuronFilter[$0] == f1 }.map { fq.neuronFQ[$0] }
        XCTAssertEqual(fq.filterFQ[f1], mine.reduce(0, +) / Double(mine.count), accuracy: 1e-9)
        XCTAssertThrowsError(try net.featureQuantity(x, masks: [UInt8](repeating: 1, count: 5 * 100), maskShape: [5, 10, 10], layer: 2)) { e in
            XCTAssertTrue("\(e)".contains("/masks"), "\(e)")
        }
        let noMask = try net.featureQuantity(x, masks: nil, layer: 2, settings: s)
        XCTAssertTrue(noMask.thresholdMasks)
    }

    /// SoU (eq. 5-9, 5-10) by hand: input 1 × 1 × 1, a 1 × 1 conv (one connection, weight 0.5, no
    /// bias), identity, readout η = 1·a + 0.1, exp link, Poisson. Stimuli x = 1, 2; trials (x=1, y=1),
    /// (x=2, y=3), (x=1, y=2). Removing the connection sets η = 0.1.
    func testSoUByHand() throws {
        let conv = Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 1, name: "conv", weight: Tensor(shape: [1, 1, 1, 1], data: [0.5]), bias: nil)
        let readout = Sequential([Flatten(name: "flatten"), Linear(name: "linear", weight: Tensor(shape: [1, 1], data: [1]), bias: Tensor(shape: [1], data: [0.1]))], name: "readout")
        let net = try ScanNetwork(core: Sequential([conv, Identity(name: "act")], name: "core"), readout: readout, inputShape: [1, 1, 1])
        let x = Tensor(shape: [2, 1, 1, 1], data: [1, 2])
        let data = try HeldOutData(stimuli: x, responses: [1, 3, 2], stimulusIndex: [0, 1, 0], units: 1,
                                   link: { Foundation.exp($0) }, linkDerivative: { Foundation.exp($0) },
                                   logLikelihood: { y, mu, _ in y * Foundation.log(mu) - mu - lgamma(y + 1) },
                                   nllGradient: { y, mu, _ in 1 - y / mu })
        func nll(_ y: Double, _ eta: Double) -> Double { Foundation.exp(eta) - y * eta + lgamma(y + 1) }
        let l0 = (nll(1, 0.6) + nll(2, 0.6)) / 2, l1 = nll(3, 1.1)        // full: η = 0.5x + 0.1
        let r0 = (nll(1, 0.1) + nll(2, 0.1)) / 2, r1 = nll(3, 0.1)        // connection removed
        let want = (abs(l0 - r0) + abs(l1 - r1)) / (1 * 2)
        let got = try net.sensitivity(layer: 1, heldOut: data, connections: 8, seed: 0)
        XCTAssertEqual(got.used, 1); XCTAssertEqual(got.total, 1)
        XCTAssertEqual(got.sou[0], want, accuracy: 1e-6)
        print("[SoU by hand] \(got.sou[0]) vs \(want), difference \(abs(got.sou[0] - want))")
        XCTAssertEqual((net.core.layers[0] as! Conv2D).weight.value.data, [0.5], "weights restored")
    }

    /// SoU on the tiny net: exact (all 18 connections of each conv1 filter) equals a naive loop,
    /// and the random-subset estimate (4 connections) is unbiased: its mean over 150 seeds lies
    /// within 4 standard errors of the exact value.
    func testSoUExactAndSubset() throws {
        let x = moreStimuli(12)
        let net = try ScannerTestNetworks.network(.relu)
        let data = try heldOut(net, x)
        let exact = try net.sensitivity(layer: 2, heldOut: data, connections: 100, seed: 0)
        XCTAssertEqual(exact.used, 18); XCTAssertEqual(exact.total, 18)
        // naive: filter 1, every connection of conv1's weight [4, 2, 3, 3] by hand.
        let conv = net.core.layers[0] as! Conv2D
        let base = data.perStimulusLoss(eta: net.outputs(x, through: net.readoutIndex!))
        var total = 0.0
        for c in 0..<18 {
            let saved = conv.weight.value.data[18 + c]
            conv.weight.value.data[18 + c] = 0
            let removed = data.perStimulusLoss(eta: net.outputs(x, through: net.readoutIndex!))
            conv.weight.value.data[18 + c] = saved
            for (a, b) in zip(base, removed) { total += abs(a - b) }
        }
        XCTAssertEqual(exact.sou[1], total / (18 * 12), accuracy: 1e-9)
        var estimates = [[Double]](repeating: [], count: 4)
        for seed in 0..<150 {
            let r = try net.sensitivity(layer: 2, heldOut: data, connections: 4, seed: UInt64(seed))
            XCTAssertEqual(r.used, 4)
            for f in 0..<4 { estimates[f].append(r.sou[f]) }
        }
        for f in 0..<4 {
            let m = estimates[f].reduce(0, +) / 150
            let sd = (estimates[f].map { ($0 - m) * ($0 - m) }.reduce(0, +) / 149).squareRoot()
            print("[SoU subset] filter \(f): exact \(exact.sou[f]), mean of 150 estimates \(m) (sd \(sd))")
            XCTAssertLessThan(abs(m - exact.sou[f]), 4 * sd / 150.0.squareRoot() + 1e-12)
        }
    }

    func testTIPAndTypesByHand() {
        // L = [1, 2, 3, 6], X = [2, 0, 2, 0]: μ_L = 3, μ_X = 1, P_v = (4 + 1 + 0 + 9)/4 = 3.5,
        // Σ (L − μ_L)(X − μ_X) = −2 + 1 + 0 − 3 = −4 → P_c = −1, P_cor = −4/(√3.5 · 1) (5-6 as written).
        let t = TIPStatistics.properties([1, 2, 3, 6], [2, 0, 2, 0])
        XCTAssertEqual(t.mean, 3); XCTAssertEqual(t.variance, 3.5); XCTAssertEqual(t.covariance, -1)
        XCTAssertEqual(t.correlation, -4 / 3.5.squareRoot(), accuracy: 1e-12)
        // on the subset {0, 1}: L = [1, 2], X = [2, 0]: Σ = (−0.5)(1) + (0.5)(−1) = −1, σ_L = 0.5, σ_X = 1.
        XCTAssertEqual(TIPStatistics.properties([1, 2, 3, 6], [2, 0, 2, 0], subset: [0, 1]).correlation, -2, accuracy: 1e-12)
        // §5.3.3 with K = 10, 30 % → 3 filters: high-fg {0,1,2}, low-fg {7,8,9}; T^b: high {1,2,9}, low {0,3,4}.
        let g = TIPStatistics.typeGroups(property: "mean", foreground: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
                                         background: [0, 9, 8, 1, 2, 3, 4, 5, 6, 7], fraction: 0.3)
        XCTAssertEqual(g.map(\.type), ["high-fg/high-bg", "high-fg/not-high-bg", "not-high-fg/high-bg", "low-fg/low-bg", "low-fg/not-low-bg", "not-low-fg/low-bg"])
        XCTAssertEqual(g.map(\.filters), [[1, 2], [0], [9], [], [7, 8, 9], [0, 3, 4]])
        XCTAssertEqual(g[0].fraction, 0.2)
    }

    func testPropertiesAndAIPC() throws {
        let x = moreStimuli(12)
        let net = try ScannerTestNetworks.network(.relu)
        let data = try heldOut(net, x)
        var masks = [UInt8](repeating: 0, count: 12 * 100)
        for i in 0..<12 { for r in 2..<8 { for c in 2..<8 { masks[i * 100 + r * 10 + c] = 1 } } }
        var s = PropertySettings(); s.aipcSteps = 4; s.aipcTopFraction = 1
        let props = try net.interpretableProperties(x, layer: 2, heldOut: data, masks: masks, settings: s)
        print("[TIP act1] mean \(props.mean) var \(props.variance) corr \(props.correlation) SoU \(props.sou!) spearman \(props.spearman)")
        // P_cor as written = P × Pearson: within ±100 on 10 × 10 maps.
        for v in props.correlation where v.isFinite { XCTAssertLessThanOrEqual(abs(v), 100 + 1e-9) }
        XCTAssertEqual(props.souConnections, 18)
        XCTAssertEqual(props.typeGroups!.count, 24)
        for curve in props.aipc! {
            XCTAssertEqual(curve.drops.first!, 0, accuracy: 1e-12)
            XCTAssertEqual(curve.fractions, [0, 0.25, 0.5, 0.75, 1])
            print("[AIPC \(curve.ranking)] area \(curve.area) drops \(curve.drops)")
        }
        // All filters removed: every ranking ends at the same drop.
        let ends = Set(props.aipc!.map { ($0.drops.last! * 1e9).rounded() })
        XCTAssertEqual(ends.count, 1)
        XCTAssertEqual(Set(props.aipc!.map(\.ranking)), ["mean", "variance", "covariance", "correlation", "avou", "sou", "random"])
        XCTAssertEqual(props.spearman.count, 8)
        // Table 5-1's form: the top 25 % of 4 filters = 1 filter; area = ¼ · (drop₁ + 0)/2.
        s.aipcTopFraction = 0.25
        let top = try net.aipc(layer: 2, rankings: [("mean", props.mean)], heldOut: data, settings: s)
        XCTAssertEqual(top[0].fractions.last, 0.25)
        XCTAssertEqual(top[0].area, 0.125 * top[0].drops.last!, accuracy: 1e-12)
        // The intact model's LL is taken from the caller when given (interpretableProperties passes
        // its own): the same value gives the same curve; a value 1 nat higher shifts every drop
        // with a filter removed by exactly 1, so the given value, not a recomputed one, is used.
        let full = try XCTUnwrap(props.heldOutLogLikelihood)
        let given = try net.aipc(layer: 2, rankings: [("mean", props.mean)], heldOut: data, settings: s, fullLogLikelihood: full)
        XCTAssertEqual(given, top)
        let shifted = try net.aipc(layer: 2, rankings: [("mean", props.mean)], heldOut: data, settings: s, fullLogLikelihood: full + 1)
        for j in top[0].fractions.indices {   // steps with no filter removed keep drop 0
            XCTAssertEqual(shifted[0].drops[j] - top[0].drops[j], top[0].fractions[j] > 0 ? 1 : 0, accuracy: 1e-12)
        }
    }

    /// GLM-like network (flatten + linear, exp link, Poisson): the Hessian of the mean NLL is
    /// (1/(T·U)) Σ_t μ_t [x_t; 1][x_t; 1]ᵀ; its top eigenvalue (LAPACK) is the sharpness.
    func testSharpnessOfGLM() throws {
        var rng = SeededRandom(seed: 4)
        let x = rng.normalTensor([20, 1, 3, 3], std: 0.5)
        let lin = Linear(name: "linear", weight: rng.normalTensor([1, 9], std: 0.3), bias: Tensor(shape: [1], data: [0.2]))
        let net = try ScanNetwork(core: Sequential([Flatten(name: "flatten")]), readout: lin, inputShape: [1, 3, 3])
        let data = try heldOut(net, x)
        var h = [Double](repeating: 0, count: 100)
        let eta = net.outputs(x, through: 1)
        for (_, s) in data.stimulusIndex.enumerated() {
            let mu = Foundation.exp(Double(eta.data[s]))
            var z = (0..<9).map { Double(x.data[s * 9 + $0]) }; z.append(1)
            for a in 0..<10 { for b in 0..<10 { h[a * 10 + b] += mu * z[a] * z[b] / Double(data.trialCount) } }
        }
        let top = try LAPACK.symmetricEigen(h, n: 10).values.last!
        var st = SharpnessSettings(); st.tolerance = 1e-6; st.maxIterations = 200
        let est = try net.sharpness(data, settings: st)
        print("[sharpness GLM] power iteration \(est.value) (\(est.iterations) its), exact \(top)")
        XCTAssertEqual(est.value, top, accuracy: 2e-3 * top)
        // Parameters restored.
        XCTAssertEqual(lin.bias!.value.data[0], 0.2)
    }

    func testAbnormalFilterReport() throws {
        let x = moreStimuli(16)
        let net = try ScannerTestNetworks.network(.relu)
        var s = AbnormalFilterSettings(); s.maxComponents = 4
        let r = try net.abnormalFilters(x, layer: 5, settings: s)
        XCTAssertEqual(r.filters.count, 6)
        let chs = r.filters.map(\.calinskiHarabasz).filter { $0.isFinite }.sorted()
        print("[abnormal act2] CH \(r.filters.map(\.calinskiHarabasz)) K* \(r.filters.map(\.components)) threshold \(r.chThreshold) abnormal \(r.abnormalFilters)")
        // Threshold = β × the mean of the finite CH values (Table 6-1 preset, β = 1).
        XCTAssertEqual(r.chThreshold, s.beta * chs.reduce(0, +) / Double(chs.count), accuracy: 1e-9)
        XCTAssertEqual(r.activationThreshold, s.theta * r.filters.map(\.activation).reduce(0, +) / 6, accuracy: 1e-9)
        for f in r.filters where f.components > 0 {
            XCTAssertEqual(f.clusterSizes.reduce(0, +), 16)
            XCTAssertEqual(f.calinskiHarabasz, f.calinskiHarabaszByK.filter { $0.isFinite }.max()!)
            // ties to the larger K
            XCTAssertEqual(f.components, 2 + f.calinskiHarabaszByK.lastIndex(of: f.calinskiHarabasz)!)
            XCTAssertEqual(f.abnormalClusters, f.clusterSizes.filter { $0 <= s.lambda }.count)
            XCTAssertEqual(f.abnormal, f.imbalanced && f.highCH && f.highActivation)
        }
        // Seeded: identical on a second run.
        XCTAssertEqual(try net.abnormalFilters(x, layer: 5, settings: s), r)
        XCTAssertThrowsError(try net.abnormalFilters(x.slice(0..<2), layer: 5))
    }

    func testMostExcitingInput() throws {
        let net = try ScannerTestNetworks.network(.smooth)
        let x = moreStimuli(32)
        var s = MEISettings(); s.steps = 150; s.norm = 8; s.learningRate = 0.1; s.seed = 9
        let mei = try net.mostExcitingInput(.neuron(layer: net.readoutIndex!, index: 1), settings: s)
        XCTAssertEqual(mei.input.shape, [2, 10, 10])
        XCTAssertLessThanOrEqual(Double(mei.input.squaredNorm()).squareRoot(), 8 + 1e-3)
        // Better than every dataset stimulus rescaled to the same norm.
        var scaled = x
        for i in 0..<32 {
            let nrm = (0..<200).reduce(Float(0)) { $0 + x.data[i * 200 + $1] * x.data[i * 200 + $1] }.squareRoot()
            for p in 0..<200 { scaled.data[i * 200 + p] = x.data[i * 200 + p] * 8 / nrm }
        }
        let best = try net.targetValues(scaled, target: ScanTarget(layer: net.readoutIndex!, neuron: 1)).max()!
        print("[MEI] value \(mei.value) vs best stimulus at the same norm \(best); trace start \(mei.trace.first!) end \(mei.trace.last!)")
        XCTAssertGreaterThan(mei.value, Double(best))
        let again = try net.mostExcitingInput(.neuron(layer: net.readoutIndex!, index: 1), settings: s)
        XCTAssertEqual(again.input, mei.input)
        let ch = try net.mostExcitingInput(.channel(layer: 5, channel: 2), settings: s)
        XCTAssertGreaterThan(ch.value, ch.trace.first!)
        XCTAssertThrowsError(try net.mostExcitingInput(.channel(layer: 5, channel: 6), settings: s)) { e in
            XCTAssertEqual(e as? ScannerError, .indexOutOfRange(option: .filter, index: 6, count: net.channelCount(layer: 5), what: "filter"))
        }
        XCTAssertThrowsError(try net.mostExcitingInput(.channel(layer: 7, channel: 0), settings: s))
    }

    func testFaithfulnessComparison() throws {
        let x = moreStimuli(3)
        let net = try ScannerTestNetworks.network(.relu)
        var s = AttributionSettings(); s.integratedGradientSteps = 8; s.occlusionWindow = 3; s.occlusionStride = 2
        let r = try net.compareFaithfulness(x, target: try net.unitTarget(1), methods: AttributionMethod.allCases, settings: s, steps: 10)
        for m in r { print("[AOPC \(m.method)] deletion \(m.deletionAOPC) insertion \(m.insertionAOPC)") }
        XCTAssertEqual(r.map(\.method), AttributionMethod.allCases.map(\.rawValue) + ["random"])
        let nns = r.first { $0.method == "nns" }!, ixg = r.first { $0.method == "input-x-gradient" }!
        XCTAssertEqual(nns.deletionPerStimulus, ixg.deletionPerStimulus)
    }
}
