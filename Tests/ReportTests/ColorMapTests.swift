import XCTest
import Report

final class ColorMapTests: XCTestCase {
    func testDivergingIsWhiteAtZeroAndBlueRedAtEnds() {
        let m = ColorMap.diverging
        XCTAssertEqual(m.map(0, lo: -3, hi: 3), .white)
        XCTAssertEqual(m.map(0.0 as Float, lo: -1, hi: 1), .white)
        let lo = m.map(-3, lo: -3, hi: 3), hi = m.map(3, lo: -3, hi: 3)
        XCTAssertEqual(lo, RGB(5, 48, 97))
        XCTAssertEqual(hi, RGB(103, 0, 31))
        XCTAssertGreaterThan(lo.b, lo.r)   // blue end
        XCTAssertGreaterThan(hi.r, hi.b)   // red end
        // Clamped outside the limits; ±infinity goes to the ends; NaN to the NaN colour.
        XCTAssertEqual(m.map(-100, lo: -3, hi: 3), lo)
        XCTAssertEqual(m.map(.infinity, lo: -3, hi: 3), hi)
        XCTAssertEqual(m.map(.nan, lo: -3, hi: 3), m.nanColor)
        // Symmetric: ±v are equally far from white.
        let a = m.map(-1.3, lo: -3, hi: 3), b = m.map(1.3, lo: -3, hi: 3)
        XCTAssertLessThan(abs(Int(a.r) + Int(a.g) + Int(a.b) - Int(b.r) - Int(b.g) - Int(b.b)), 120)
        // Degenerate limits map to the centre.
        XCTAssertEqual(m.map(5, lo: 0, hi: 0), .white)
    }

    func testViridisEndpointsAndMidpoint() {
        let m = ColorMap.viridis
        XCTAssertEqual(m.map(0, lo: 0, hi: 1), RGB(68, 1, 84))
        XCTAssertEqual(m.map(1, lo: 0, hi: 1), RGB(253, 231, 37))
        XCTAssertEqual(m.map(0.5, lo: 0, hi: 1), RGB(33, 145, 140))   // matplotlib viridis(0.5)
        // Between anchors: linear. t = 1/32 is halfway between anchors 0 and 1.
        XCTAssertEqual(m.at(1.0 / 32), RGB(70, 13, 95))
        XCTAssertFalse(m.isDiverging)
    }

    func testGrayIsMonotone() {
        var previous = -1
        for i in 0...20 {
            let c = ColorMap.gray.map(Double(i), lo: 0, hi: 20)
            XCTAssertEqual(c.r, c.g); XCTAssertEqual(c.g, c.b)
            XCTAssertGreaterThan(Int(c.r), previous)
            previous = Int(c.r)
        }
    }

    func testLimits() {
        let v: [Float] = [-0.5, 2, .nan, 1]
        XCTAssertTrue(ColorMap.symmetricLimits(v) == (-2, 2))
        XCTAssertTrue(ColorMap.rangeLimits(v) == (-0.5, 2))
        XCTAssertTrue(ColorMap.rangeLimits([Float]([3, 3])) == (2.5, 3.5))
        XCTAssertTrue(ColorMap.symmetricLimits([Float]()) == (-1, 1))
        XCTAssertTrue(ColorMap.diverging.limits(for: v) == (-2, 2))
        XCTAssertTrue(ColorMap.viridis.limits(for: v) == (-0.5, 2))
    }
}
