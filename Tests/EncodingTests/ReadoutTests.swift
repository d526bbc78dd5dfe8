import XCTest
import Tensors
import ConvEngine
import Encoding
import TestSupport

final class ReadoutTests: XCTestCase {
    func testFactorizedReadoutHandComputed() {
        var rng = SeededRandom(seed: 0)
        let r = FactorizedReadout(channels: 2, height: 1, width: 2, units: 1, rng: &rng)
        r.mask.value = Tensor(shape: [1, 2], data: [1, 2])
        r.features.value = Tensor(shape: [1, 2], data: [3, -1])
        r.bias.value = Tensor(shape: [1], data: [0.5])
        // h[c=0] = (1, 1), h[c=1] = (2, 0) → pooled (3, 2) → 3·3 − 1·2 + 0.5 = 7.5
        let x = Tensor(shape: [1, 2, 1, 2], data: [1, 1, 2, 0])
        XCTAssertEqual(r.forward(x, training: false).data, [7.5])
    }

    func testGradientChecks() {
        var rng = SeededRandom(seed: 1)
        let x = rng.normalTensor([3, 4, 5, 6])
        let readouts: [Layer] = [
            FactorizedReadout(channels: 4, height: 5, width: 6, units: 7, rng: &rng),
            FullLinearReadout(channels: 4, height: 5, width: 6, units: 7, rng: &rng),
            GaussianReadout(channels: 4, height: 5, width: 6, units: 7, rng: &rng),
        ]
        for r in readouts {
            // Larger weights so every gradient is well above float rounding.
            for p in r.parameters where p.localName != "position" { p.value = rng.normalTensor(p.value.shape) }
            let res = GradientCheck.check(r, input: x, epsilon: 1e-2)
            print("\(type(of: r)): \(res)")
            XCTAssertLessThan(res.maxError, 2e-3, "\(type(of: r)) \(res)")
        }
    }

    func testLaplacePenaltyGradient() {
        var rng = SeededRandom(seed: 2)
        let p = Parameter(name: "weight", value: rng.normalTensor([2, 3, 5, 5]))
        let v0 = Regularizer.laplace(p, strength: 0.1)
        // Reference value: direct definition.
        let lap: [Float] = [0, -1, 0, -1, 4, -1, 0, -1, 0]
        var ref = 0.0
        for f in 0..<6 { for i in 0..<3 { for j in 0..<3 {
            var a = 0.0
            for u in 0..<3 { for v in 0..<3 { a += Double(lap[u * 3 + v] * p.value.data[f * 25 + (i + u) * 5 + j + v]) } }
            ref += a * a
        } } }
        XCTAssertEqual(v0, 0.1 * ref, accuracy: 1e-6 * ref)
        var num = [Double](repeating: 0, count: p.value.count)
        let analytic = p.grad.data
        for i in 0..<p.value.count {
            let q = Parameter(name: "w", value: p.value)
            q.value.data[i] += 1e-2
            let up = Regularizer.laplace(q, strength: 0.1)
            q.value.data[i] -= 2e-2
            let down = Regularizer.laplace(q, strength: 0.1)
            num[i] = (up - down) / 2e-2
        }
        XCTAssertTrue(compareArrays("laplace gradient", analytic.map(Double.init), num, atol: 1e-3).ok)
    }
}
