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
}
