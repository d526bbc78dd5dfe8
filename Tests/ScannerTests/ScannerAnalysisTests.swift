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
            print("[knowledge \(name)] count \(k.activationCount) intensity \(k.intensity) distance \(k.distance) cos \(k.cosine) R \(String(describing: k.layerCorrelation)) IoU \(String(describing: k.topTwoIoU))")
            XCTAssertGreaterThan(k.activationCount, 0); XCTAssertLessThanOrEqual(k.activationCount, 1)
            XCTAssertTrue(k.distance >= 0 && k.distance <= 2 && abs(k.cosine) <= 1)
            XCTAssertEqual(k.perStimulusCount.count, 3)
            if let r = k.layerCorrelation { XCTAssertTrue(abs(r) <= 1) }
            if let iou = k.topTwoIoU { XCTAssertTrue(iou >= 0 && iou <= 1) }
        }
    }

    /// A neuron whose learning image is the input itself: count = intensity = 1, distance 0.
    func testKnowledgeOfIdentityNetwork() throws {
        let core = Sequential([Identity(name: "id")])
        let net = try ScanNetwork(core: core, inputShape: [1, 4, 4])
        var rng = SeededRandom(seed: 2)
        let x = rng.uniformTensor([3, 1, 4, 4], 0.5, 1.5)
        // layer learning image of an identity map is x ⊙ x.
        let li = try net.layerLearningImages(x, layer: 0)
        XCTAssertTrue(compareArrays("identity layer LI", li.data, x.data.map { $0 * $0 }, atol: 1e-6).ok)
        let k = try net.knowledge(x, layer: 0)
        XCTAssertEqual(k.activationCount, 1, accuracy: 1e-12)
        XCTAssertEqual(k.topTwoIoU!, 0, accuracy: 1e-12, "two different pixels")
    }

    func testFeatureQuantityLayer() throws {
        let x = moreStimuli(6)
        let net = try ScannerTestNetworks.network(.relu)
        // Masks: the central 6×6 square.
        var masks = [UInt8](repeating: 0, count: 6 * 100)
        for i in 0..<6 { for r in 2..<8 { for c in 2..<8 { masks[i * 100 + r * 10 + c] = 1 } } }
        var s = FeatureQuantitySettings(); s.neuronsPerFilter = 4; s.diversityStimuli = 2
        let fq = try net.featureQuantity(x, masks: masks, layer: 2, settings: s)
        print("[FQ act1] per filter \(fq.filterFQ) r \(String(describing: fq.activationCorrelation)) diversity \(fq.diversity)")
        XCTAssertEqual(fq.filterFQ.count, 4)
        XCTAssertEqual(fq.diversity.count, 4)
        XCTAssertFalse(fq.thresholdMasks)
        XCTAssertEqual(fq.meanFQ, fq.filterFQ.reduce(0, +) / 4, accuracy: 1e-9)
        // FQ_k is the max over stimuli of F of the filter learning image: check filter 0 directly.
        let fl = try net.filterLearningImages(x, layer: 2, filters: [0])
        var best = -Double.infinity
        for i in 0..<6 {
            let li = KnowledgeMeasures.collapse(fl.data[(i * 200)..<((i + 1) * 200)], channels: 2)
            let st = KnowledgeMeasures.collapse(x.data[(i * 200)..<((i + 1) * 200)], channels: 2)
            best = max(best, FeatureQuantity.score(image: li, stimulus: st, mask: (0..<100).map { masks[i * 100 + $0] != 0 }).value)
        }
        XCTAssertEqual(fq.filterFQ[0], best, accuracy: 1e-9)
        XCTAssertThrowsError(try net.featureQuantity(x, masks: [UInt8](repeating: 1, count: 5 * 100), maskShape: [5, 10, 10], layer: 2)) { e in
            XCTAssertTrue("\(e)".contains("/masks"), "\(e)")
        }
        let noMask = try net.featureQuantity(x, masks: nil, layer: 2, settings: s)
        XCTAssertTrue(noMask.thresholdMasks)
    }

    /// SoU_k equals the log-likelihood drop of a copy whose filter k is removed by its weights.
    func testSoUAndAIPC() throws {
        let x = moreStimuli(12)
        let net = try ScannerTestNetworks.network(.relu)
        let data = try heldOut(net, x)
        var s = PropertySettings(); s.aipcSteps = 4
        let props = try net.interpretableProperties(x, layer: 2, heldOut: data, settings: s)
        let full = props.heldOutLogLikelihood!
        for k in 0..<4 {
            let copy = try ScannerTestNetworks.network(.relu)
            let bn = copy.core.layers[1] as! BatchNorm2D
            bn.weight.value.data[k] = 0; bn.bias.value.data[k] = 0     // bn output 0 ⇒ ReLU output 0
            let removed = try copy.heldOutLogLikelihood(data)
            XCTAssertEqual(props.sou![k], full - removed, accuracy: 1e-9, "SoU filter \(k)")
        }
        print("[TIP act1] mean \(props.mean) var \(props.variance) corr \(props.correlation) SoU \(props.sou!) spearman \(props.spearman)")
        for curve in props.aipc! {
            XCTAssertEqual(curve.drops.first!, 0, accuracy: 1e-12)
            XCTAssertEqual(curve.fractions, [0, 0.25, 0.5, 0.75, 1])
            print("[AIPC \(curve.ranking)] area \(curve.area) drops \(curve.drops)")
        }
        // All filters removed: every ranking ends at the same drop.
        let ends = Set(props.aipc!.map { ($0.drops.last! * 1e9).rounded() })
        XCTAssertEqual(ends.count, 1)
        XCTAssertEqual(Set(props.aipc!.map(\.ranking)), ["mean", "variance", "covariance", "correlation", "avou", "random"])
        XCTAssertEqual(props.spearman.count, 8)
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
        // Threshold = median + 3·1.4826·MAD of the finite CH values.
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
        let med = median(chs)
        XCTAssertEqual(r.chThreshold, med + 3 * 1.4826 * median(chs.map { abs($0 - med) }), accuracy: 1e-9)
        for f in r.filters where f.components > 0 {
            XCTAssertEqual(f.clusterShares.reduce(0, +), 1, accuracy: 1e-12)
            XCTAssertEqual(f.calinskiHarabasz, f.calinskiHarabaszByK.filter { $0.isFinite }.max()!)
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
            XCTAssertTrue("\(e)".contains("--filter"), "\(e)")
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
