// Attribution baselines against PyTorch autograd (scanner_torch.h5), and the identity
// input × gradient = NNS learning image on a bias-free ReLU network (literal construction).
import XCTest
import Tensors
import ConvEngine
import Scanner
import TestSupport

final class AttributionTests: XCTestCase {
    let kinds: [TinyKind] = [.relu, .plain, .smooth]

    func testGradientMethodsMatchTorch() throws {
        let x = try ScannerTestNetworks.stimuli()
        for kind in kinds {
            let net = try ScannerTestNetworks.network(kind)
            let t = try net.unitTarget(1)
            XCTAssertTrue(compareArrays("saliency \(kind)", try net.saliency(x, target: t).data,
                                        try ScannerTestNetworks.read("\(kind)/saliency").data, atol: 2e-5, rtol: 1e-4).ok)
            XCTAssertTrue(compareArrays("input×gradient \(kind)", try net.inputTimesGradient(x, target: t).data,
                                        try ScannerTestNetworks.read("\(kind)/inputxgrad").data, atol: 2e-5, rtol: 1e-4).ok)
            let ig = try net.integratedGradients(x, target: t, steps: 16)
            XCTAssertTrue(compareArrays("integrated gradients \(kind)", ig.map.data,
                                        try ScannerTestNetworks.read("\(kind)/ig").data, atol: 2e-5, rtol: 1e-4).ok)
            for (name, l) in [("act1", 2), ("act2", 5)] {
                let cam = try net.gradCAM(x, target: t, layer: l)
                XCTAssertTrue(compareArrays("grad-cam \(kind) \(name)", cam.data,
                                            try ScannerTestNetworks.read("\(kind)/gradcam/\(name)").data, atol: 2e-5, rtol: 1e-4).ok)
            }
            let occ = try net.occlusion(x, target: t, window: 3, stride: 2)
            XCTAssertTrue(compareArrays("occlusion \(kind)", occ.data,
                                        try ScannerTestNetworks.read("\(kind)/occlusion").data, atol: 2e-5, rtol: 1e-4).ok)
        }
    }

    /// Integrated gradients are complete in the limit: the gap Σ IG − (f(x) − f(0)) shrinks with m.
    func testIntegratedGradientsCompleteness() throws {
        let x = try ScannerTestNetworks.stimuli()
        let net = try ScannerTestNetworks.network(.smooth)
        let t = try net.unitTarget(1)
        let coarse = try net.integratedGradients(x, target: t, steps: 4).completenessGap.map(abs).max()!
        let fine = try net.integratedGradients(x, target: t, steps: 256).completenessGap.map(abs).max()!
        print("[IG completeness] max gap m=4: \(coarse), m=256: \(fine)")
        XCTAssertLessThan(fine, 1e-3)
        XCTAssertLessThan(fine, coarse)
    }

    /// On a bias-free ReLU network input × gradient equals the literal NNS learning image.
    func testInputTimesGradientEqualsNNSOnBiasFreeReLU() throws {
        let x = try ScannerTestNetworks.stimuli()
        let net = try ScannerTestNetworks.network(.plain)
        let r = net.readoutIndex!
        for u in 0..<3 {
            let ixg = try net.inputTimesGradient(x, target: ScanTarget(layer: r, neuron: u))
            for n in 0..<3 {
                let lit = try LiteralLearningImages(network: net, stimulus: x.slice(n..<(n + 1)))
                let got = Array(ixg.data[(n * 200)..<((n + 1) * 200)])
                XCTAssertTrue(compareArrays("input×gradient = NNS unit \(u) stim \(n)", got, lit.image(layer: r, neuron: u).map(Float.init),
                                            atol: 1e-5, rtol: 1e-4).ok)
            }
        }
    }

    func testAttributionBadInput() throws {
        let x = try ScannerTestNetworks.stimuli()
        let net = try ScannerTestNetworks.network(.relu)
        let t = try net.unitTarget(0)
        XCTAssertThrowsError(try net.gradCAM(x, target: t, layer: 3 + 4)) { e in XCTAssertTrue(e is ScannerError, "\(e)") }
        XCTAssertThrowsError(try net.occlusion(x, target: t, window: 11, stride: 1)) { e in
            guard case ScannerError.invalidOption(.window, _)? = e as? ScannerError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try net.unitTarget(-1))
        var s = AttributionSettings(); s.integratedGradientSteps = 0
        XCTAssertThrowsError(try net.attribution(.integratedGradients, x, target: t, settings: s))
    }
}
