import XCTest
import Tensors
import Encoding
import TestSupport

/// The Gabor pyramid: filters zero-mean and unit-norm, the wavelet count from the grid rule
/// (hand-computed for the defaults at 64 px: grids 1, 1, 2, 4, 8 → 86 positions × 8 orientations),
/// energy equal to √(a² + b²) of a naive dot product, and the preferred orientation of a grating
/// picked out by the energy.
final class GaborPyramidTests: XCTestCase {
    func testStructureAndNaiveEnergy() throws {
        let p = try GaborPyramid(options: GaborPyramidOptions())
        XCTAssertEqual(p.wavelets.count, 86 * 8)
        let s2 = 64 * 64
        var worstMean = 0.0, worstNorm = 0.0
        for r in 0..<(2 * p.wavelets.count) {
            let row = p.filters[(r * s2)..<((r + 1) * s2)].map(Double.init)
            worstMean = max(worstMean, abs(row.reduce(0, +)))
            worstNorm = max(worstNorm, abs(row.reduce(0) { $0 + $1 * $1 } - 1))
        }
        XCTAssertLessThan(worstMean, 1e-4); XCTAssertLessThan(worstNorm, 1e-4)

        // A grating of 8 cycles per image at 45°: the largest energy is a 45°, 8-cycle wavelet.
        var img = [Float](repeating: 0, count: s2)
        for i in 0..<64 { for j in 0..<64 {
            let x = (Double(j) + 0.5) / 64, y = (Double(i) + 0.5) / 64
            img[i * 64 + j] = Float(cos(2 * .pi * 8 * (x * cos(.pi / 4) + y * sin(.pi / 4))))
        } }
        let e = p.features(images: img, count: 1)
        let best = p.wavelets[e.indices.max { e[$0] < e[$1] }!]
        XCTAssertEqual(best.frequency, 8); XCTAssertEqual(best.orientation, .pi / 4, accuracy: 1e-9)
        var maxDiff: Float = 0
        for w in [0, 100, 500] {
            var a: Float = 0, b: Float = 0
            for k in 0..<s2 { a += p.filters[2 * w * s2 + k] * img[k]; b += p.filters[(2 * w + 1) * s2 + k] * img[k] }
            maxDiff = max(maxDiff, abs((a * a + b * b).squareRoot() - e[w]))
        }
        print("gabor energy vs naive dot products: max difference \(maxDiff)")
        XCTAssertLessThan(maxDiff, 1e-3)
        XCTAssertThrowsError(try GaborPyramid(options: { var o = GaborPyramidOptions(); o.frequencies = [40]; return o }()))
    }

    /// The energy exponent q: (a² + b²)^q against the amplitude of the default pyramid, for
    /// q = 1 (squared energy: the amplitude squared) and q = 0.25 (its square root); relative
    /// tolerance 1e-5 (float32). Out-of-range exponents are refused.
    func testEnergyExponent() throws {
        var o = GaborPyramidOptions(); o.size = 16; o.frequencies = [2, 4]
        let base = try GaborPyramid(options: o)
        var rng = SeededRandom(seed: 3)
        let img = (0..<(3 * 256)).map { _ in Float(rng.uniform(-0.5, 0.5)) }
        let amp = base.features(images: img, count: 3)
        for (q, f) in [(1.0, { (x: Double) in x * x }), (0.25, { (x: Double) in x.squareRoot() })] {
            var oq = o; oq.energyExponent = q
            let e = try GaborPyramid(options: oq).features(images: img, count: 3)
            let worst = zip(e, amp).map { abs(Double($0) - f(Double($1))) / max(1e-6, f(Double($1))) }.max()!
            print("gabor energy exponent \(q): max relative difference from the amplitude transformed \(worst)")
            XCTAssertLessThan(worst, 1e-5)
        }
        for bad in [0.0, -1, 5, .nan] {
            var ob = o; ob.energyExponent = bad
            XCTAssertThrowsError(try GaborPyramid(options: ob), "\(bad)")
        }
    }
}
