// NNS learning images: fast (backward passes) against PyTorch autograd, against the literal
// contribution-matrix construction, completeness, filter and layer learning images, bad input.
import XCTest
import Foundation
import Tensors
import ConvEngine
import Scanner
import TestSupport

final class LearningImageTests: XCTestCase {
    let kinds: [TinyKind] = [.relu, .plain, .smooth]
    let fixtureLayers = ["conv1", "act1", "pool1", "act2", "pool2", "readout"]

    /// Neuron learning images x ⊙ ∂a_q/∂x match torch autograd for every layer kind (the
    /// `.derivative` gate; for ReLU it coincides with eq. 3-9's step).
    func testNeuronLearningImagesMatchTorch() throws {
        let x = try ScannerTestNetworks.stimuli()
        for kind in kinds {
            let net = try ScannerTestNetworks.network(kind)
            net.gate = .derivative
            for name in fixtureLayers {
                let l = try net.layerIndex(named: name)
                let qs = try ScannerTestNetworks.readInts("\(kind)/neurons/\(name)")
                let ref = try ScannerTestNetworks.read("\(kind)/neuron/\(name)")   // [N, Q, C, H, W]
                let img = 200
                for (j, q) in qs.enumerated() {
                    let li = try net.neuronLearningImages(x, layer: l, neuron: q)
                    var expected: [Float] = []
                    for n in 0..<3 {
                        let from: Int = (n * qs.count + j) * img
                        expected += ref.data[from..<(from + img)]
                    }
                    let r = compareArrays("\(kind) \(name) q\(q)", li.data, expected, atol: 2e-5, rtol: 1e-4)
                    XCTAssertTrue(r.ok)
                }
            }
        }
    }

    /// The literal construction (products of contribution matrices) agrees with the fast one for
    /// every neuron of every layer; its forward values agree with the layers'.
    func testLiteralMatchesFast() throws {
        let x = try ScannerTestNetworks.stimuli()
        for kind in kinds { for gate in LearningImageGate.allCases {
            let net = try ScannerTestNetworks.network(kind)
            net.gate = gate
            for n in 0..<x.shape[0] {
                let xi = x.slice(n..<(n + 1))
                let lit = try LiteralLearningImages(network: net, stimulus: xi)
                for l in 0..<net.layerCount {
                    let m = net.neuronCount(layer: l)
                    let fast = try net.learningImages(of: xi, layer: l, neurons: Array(0..<m))
                    let r = compareArrays("literal vs fast \(kind) \(gate) stim \(n) layer \(net.layerNames[l])", fast.data,
                                          lit.images[l].map(Float.init), atol: 2e-5, rtol: 1e-4)
                    XCTAssertTrue(r.ok)
                    let values = net.outputs(xi, through: l)
                    XCTAssertTrue(compareArrays("literal values \(kind) \(net.layerNames[l])", values.data, lit.values[l].map(Float.init),
                                                atol: 2e-5, rtol: 1e-4).ok)
                }
            }
        } }
    }

    /// The gate S (eq. 3-9, 3-10) by hand: x = [1, −1] (1 × 1 × 2), a 1 × 1 conv with weight 2 and
    /// no bias, z = [2, −2], then the activation. Neuron 0 (z = 2, value > 0): step S = 1 → I = [2, 0];
    /// derivative: ReLU, ELU f′ = 1 → [2, 0], softplus σ(2) → [2σ(2), 0].
    /// Neuron 1: ELU value e^{−2} − 1 < 0 → step S = 0 → I = 0; derivative S = e^{−2} → [0, −2e^{−2}].
    /// Softplus value log(1 + e^{−2}) > 0 → step S = 1 → [0, −2]; derivative σ(−2) → [0, −2σ(−2)].
    func testGateByHand() throws {
        let x = Tensor(shape: [1, 1, 1, 2], data: [1, -1])
        let sig = 1 / (1 + Foundation.exp(2.0))
        let sig2 = 1 / (1 + Foundation.exp(-2.0))
        let cases: [(Layer, LearningImageGate, [Double])] = [
            (ELU(name: "act"), .step, [2, 0, 0, 0]), (ELU(name: "act"), .derivative, [2, 0, 0, -2 * Foundation.exp(-2.0)]),
            (Softplus(name: "act"), .step, [2, 0, 0, -2]), (Softplus(name: "act"), .derivative, [2 * sig2, 0, 0, -2 * sig]),
            (ReLU(name: "act"), .step, [2, 0, 0, 0]), (ReLU(name: "act"), .derivative, [2, 0, 0, 0]),
        ]
        var worst = 0.0
        for (act, gate, want) in cases {
            let conv = Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 1, name: "conv", weight: Tensor(shape: [1, 1, 1, 1], data: [2]), bias: nil)
            let net = try ScanNetwork(core: Sequential([conv, act], name: "core"), inputShape: [1, 1, 2])
            net.gate = gate
            let fast = try net.learningImages(of: x, layer: 1, neurons: [0, 1])
            let lit = try LiteralLearningImages(network: net, stimulus: x)
            for (j, w) in want.enumerated() {
                XCTAssertEqual(Double(fast.data[j]), w, accuracy: 1e-6, "\(act.name) \(type(of: act)) \(gate) fast [\(j)]")
                XCTAssertEqual(lit.images[1][j], w, accuracy: 1e-12, "\(type(of: act)) \(gate) literal [\(j)]")
                worst = max(worst, abs(Double(fast.data[j]) - w))
            }
        }
        print("[gate by hand] max |fast − hand| = \(worst)")
    }

    /// Bias-free ReLU net: Σ pixels of I_q = a_q exactly (literal, Double) and to float precision
    /// (fast). With biases / batch-norm shifts, or ELU/softplus gates, it does not hold.
    func testCompleteness() throws {
        let x = try ScannerTestNetworks.stimuli()
        var gaps: [TinyKind: Double] = [:]
        for kind in kinds {
            let net = try ScannerTestNetworks.network(kind)
            var worst = 0.0, scale = 0.0
            for n in 0..<x.shape[0] {
                let xi = x.slice(n..<(n + 1))
                let lit = try LiteralLearningImages(network: net, stimulus: xi)
                for l in 0..<net.layerCount {
                    for q in 0..<net.neuronCount(layer: l) {
                        let s = lit.image(layer: l, neuron: q).reduce(0, +)
                        worst = max(worst, abs(s - lit.values[l][q]))
                        scale = max(scale, abs(lit.values[l][q]))
                    }
                    if kind == .plain {
                        let m = net.neuronCount(layer: l)
                        let fast = try net.learningImages(of: xi, layer: l, neurons: Array(0..<m))
                        let sums = (0..<m).map { q in fast.data[(q * 200)..<((q + 1) * 200)].reduce(0, +) }
                        let a = net.outputs(xi, through: l)
                        XCTAssertTrue(compareArrays("fast completeness layer \(net.layerNames[l])", sums, a.data, atol: 1e-4, rtol: 1e-4).ok)
                    }
                }
            }
            gaps[kind] = worst
            print("[completeness \(kind)] max |Σ I_q − a_q| = \(worst) (max |a_q| = \(scale))")
        }
        XCTAssertLessThan(gaps[.plain]!, 1e-9)
        XCTAssertGreaterThan(gaps[.relu]!, 1e-2, "biases must break completeness")
        XCTAssertGreaterThan(gaps[.smooth]!, 1e-2, "ELU/softplus (step gate) must break completeness")
    }

    /// Filter learning images (one backward per filter) match torch, batching filters per pass
    /// changes nothing, L^k = Σ_ij a_kij I_kij (literal), and the layer image is Σ_k L^k.
    func testFilterAndLayerLearningImages() throws {
        let x = try ScannerTestNetworks.stimuli()
        for kind in kinds {
            let net = try ScannerTestNetworks.network(kind)
            net.gate = .derivative   // torch's autograd
            for name in ["act1", "pool1", "act2", "readout"] {
                let l = try net.layerIndex(named: name)
                let ref = try ScannerTestNetworks.read("\(kind)/filter/\(name)")
                let one = try net.filterLearningImages(x, layer: l)
                XCTAssertEqual(one.shape, ref.shape)
                XCTAssertTrue(compareArrays("filter LI \(kind) \(name)", one.data, ref.data, atol: 2e-5, rtol: 1e-4).ok)
                let grouped = try net.filterLearningImages(x, layer: l, batchSize: 2, filtersPerPass: 3)
                XCTAssertTrue(compareArrays("filter LI grouped \(kind) \(name)", grouped.data, one.data, atol: 1e-6, rtol: 1e-5).ok)
                let layerLI = try net.layerLearningImages(x, layer: l)
                let refLayer = try ScannerTestNetworks.read("\(kind)/layerli/\(name)")
                XCTAssertTrue(compareArrays("layer LI \(kind) \(name)", layerLI.data, refLayer.data, atol: 2e-5, rtol: 1e-4).ok)
                // Σ_k L^k = layer image.
                let k = net.channelCount(layer: l)
                var sum = [Float](repeating: 0, count: layerLI.count)
                for n in 0..<3 { for c in 0..<k { for p in 0..<200 { sum[n * 200 + p] += one.data[(n * k + c) * 200 + p] } } }
                XCTAssertTrue(compareArrays("Σ_k L^k \(kind) \(name)", sum, layerLI.data, atol: 1e-5, rtol: 1e-4).ok)
                // Literal: L^k = Σ_ij a_kij I_kij.
                let lit = try LiteralLearningImages(network: net, stimulus: x.slice(0..<1))
                let plane = net.neuronCount(layer: l) / k
                for c in 0..<k {
                    var acc = [Double](repeating: 0, count: 200)
                    for j in 0..<plane {
                        let q = c * plane + j
                        let a = lit.values[l][q]
                        if a == 0 { continue }
                        let im = lit.image(layer: l, neuron: q)
                        for p in 0..<200 { acc[p] += a * im[p] }
                    }
                    let fast = Array(one.data[(c * 200)..<((c + 1) * 200)])
                    XCTAssertTrue(compareArrays("literal filter LI \(kind) \(name) k\(c)", fast, acc.map(Float.init), atol: 2e-5, rtol: 1e-4).ok)
                }
            }
        }
    }

    func testBadInputIsATypedError() throws {
        let x = try ScannerTestNetworks.stimuli()
        let net = try ScannerTestNetworks.network(.relu)
        XCTAssertThrowsError(try net.layerIndex(named: "conv9")) { e in
            XCTAssertTrue("\(e)".contains("no layer named 'conv9'"), "\(e)")
        }
        XCTAssertThrowsError(try net.unitLearningImages(x, unit: 3)) { e in
            XCTAssertEqual(e as? ScannerError, .indexOutOfRange(option: .unit, index: 3, count: 3, what: "unit"))
            XCTAssertTrue("\(e)".hasPrefix("unit: unit index 3 is out of range"), "\(e)")
        }
        XCTAssertThrowsError(try net.filterLearningImages(x, layer: 2, filters: [4])) { e in
            XCTAssertEqual(e as? ScannerError, .indexOutOfRange(option: .filter, index: 4, count: 4, what: "filter"))
        }
        XCTAssertThrowsError(try net.neuronLearningImages(x, layer: 99, neuron: 0)) { e in
            XCTAssertEqual(e as? ScannerError, .indexOutOfRange(option: .layer, index: 99, count: net.layerCount, what: "layer"))
        }
        XCTAssertThrowsError(try net.neuronLearningImages(x, layer: 2, neuron: 400))
        XCTAssertThrowsError(try net.neuronLearningImages(Tensor(shape: [1, 3, 10, 10]), layer: 2, neuron: 0)) { e in
            XCTAssertTrue(e is ScannerError, "\(e)")
        }
    }
}
