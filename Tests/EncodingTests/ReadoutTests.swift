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

    /// Both forms of the Laplace penalty against a direct definition (zero padding spelled out),
    /// and the gradient against central finite differences.
    func testLaplacePenaltyGradient() {
        let lap: [Double] = [0, -1, 0, -1, 4, -1, 0, -1, 0]
        for padding in LaplacePadding.allCases {
            var rng = SeededRandom(seed: 2)
            let p = Parameter(name: "weight", value: rng.normalTensor([2, 3, 5, 5]))
            let v0 = Regularizer.laplace(p, strength: 0.1, padding: padding)
            // Reference value: the definition on an explicitly zero-padded 7×7 (same) or the raw 5×5 (valid).
            let pad = padding == .same ? 1 : 0, n = 5 + 2 * pad, out = n - 2
            var ref = 0.0
            for f in 0..<6 {
                var padded = [Double](repeating: 0, count: n * n)
                for i in 0..<5 { for j in 0..<5 { padded[(i + pad) * n + j + pad] = Double(p.value.data[f * 25 + i * 5 + j]) } }
                for i in 0..<out { for j in 0..<out {
                    var a = 0.0
                    for u in 0..<3 { for v in 0..<3 { a += lap[u * 3 + v] * padded[(i + u) * n + j + v] } }
                    ref += a * a
                } }
            }
            print("laplace \(padding): value \(v0) reference \(0.1 * ref) diff \(abs(v0 - 0.1 * ref))")
            XCTAssertEqual(v0, 0.1 * ref, accuracy: 1e-6 * ref)
            var num = [Double](repeating: 0, count: p.value.count)
            let analytic = p.grad.data
            for i in 0..<p.value.count {
                let q = Parameter(name: "w", value: p.value)
                q.value.data[i] += 1e-2
                let up = Regularizer.laplace(q, strength: 0.1, padding: padding)
                q.value.data[i] -= 2e-2
                let down = Regularizer.laplace(q, strength: 0.1, padding: padding)
                num[i] = (up - down) / 2e-2
            }
            XCTAssertTrue(compareArrays("laplace \(padding) gradient", analytic.map(Double.init), num, atol: 1e-3).ok)
        }
    }

    /// Values worked out by hand on 3×3 filters (λ = 1).
    /// A single 1 in a corner: same = 4² + (−1)² + (−1)² = 18 (the residuals centred on the corner and
    /// its two neighbours); valid = 0 (the one valid output has weight 0 on corners).
    /// A single 1 in the centre: same = 4² + 4·(−1)² = 20; valid = 4² = 16.
    /// All ones: same: centre 4−4 = 0, each edge 4−3 = 1, each corner 4−2 = 2 → 4·1 + 4·4 = 20; valid = 0.
    func testLaplacePenaltyHandValues() {
        func value(_ w: [Float], _ padding: LaplacePadding) -> Double {
            Regularizer.laplace(Parameter(name: "w", value: Tensor(shape: [1, 1, 3, 3], data: w)), strength: 1, padding: padding)
        }
        let corner: [Float] = [1, 0, 0, 0, 0, 0, 0, 0, 0], centre: [Float] = [0, 0, 0, 0, 1, 0, 0, 0, 0]
        let ones = [Float](repeating: 1, count: 9)
        XCTAssertEqual(value(corner, .same), 18, accuracy: 1e-9)
        XCTAssertEqual(value(corner, .valid), 0, accuracy: 1e-9)
        XCTAssertEqual(value(centre, .same), 20, accuracy: 1e-9)
        XCTAssertEqual(value(centre, .valid), 16, accuracy: 1e-9)
        XCTAssertEqual(value(ones, .same), 20, accuracy: 1e-9)
        XCTAssertEqual(value(ones, .valid), 0, accuracy: 1e-9)
        // The gradient of the corner case (same): 2·Lᵀ⋆r with r = 4 at the corner and −1 at its two
        // neighbours → corner 2·(4·4 + (−1)(−1)·2) = 36, each neighbour 2·(−1·4 + 4·(−1)) = −16,
        // the diagonal pixel (1,1) 2·((−1)(−1)·2) = 4, the far edge pixels (0,2), (2,0) 2·(−1)(−1) = 2
        // (they are read by the residual at (0,1), (1,0)), everything else 0.
        let p = Parameter(name: "w", value: Tensor(shape: [1, 1, 3, 3], data: corner))
        Regularizer.laplace(p, strength: 1, padding: .same)
        XCTAssertEqual(p.grad.data, [36, -16, 2, -16, 4, 0, 2, 0, 0])
    }
}
