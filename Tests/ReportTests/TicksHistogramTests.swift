import XCTest
import Report

final class TicksHistogramTests: XCTestCase {
    func testNiceTicks() {
        XCTAssertEqual(Ticks.nice(0, 1, maxCount: 6), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        XCTAssertEqual(Ticks.labels(Ticks.nice(0, 1, maxCount: 6)), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        XCTAssertEqual(Ticks.nice(-0.03, 0.97, maxCount: 5), [0, 0.25, 0.5, 0.75])
        XCTAssertEqual(Ticks.labels([0, 0.25, 0.5, 0.75]), ["0.00", "0.25", "0.50", "0.75"])
        XCTAssertEqual(Ticks.nice(3, 97, maxCount: 6), [20, 40, 60, 80])
        XCTAssertEqual(Ticks.labels([20, 40, 60]), ["20", "40", "60"])
        XCTAssertEqual(Ticks.labels([-0.5, 0, 0.5]), ["-0.5", "0.0", "0.5"])
        XCTAssertEqual(Ticks.labels([0, 2e5, 4e5]), ["0.0e+00", "2.0e+05", "4.0e+05"])
        XCTAssertEqual(Ticks.nice(2, 2), [2])
        XCTAssertEqual(Ticks.nice(.nan, 1), [])
        XCTAssertEqual(Ticks.niceStep(0.7), 1)
        XCTAssertEqual(Ticks.niceStep(0.021), 0.025)
    }

    func testHistogramCountsMatchNumpy() {
        // numpy.histogram([0,.1,.25,.3,.5,.5,.99,1,-.2,2], bins=4, range=(0,1)) → [2, 2, 2, 2]
        let a = Histogram.counts(values: [0, 0.1, 0.25, 0.3, 0.5, 0.5, 0.99, 1.0, -0.2, 2.0], bins: 4, range: (0, 1))
        XCTAssertEqual(a.counts, [2, 2, 2, 2])
        XCTAssertEqual(a.edges, [0, 0.25, 0.5, 0.75, 1])
        // numpy.histogram([1,2,2,3,3,3,10], bins=3) → [6, 0, 1], edges [1, 4, 7, 10]
        let b = Histogram.counts(values: [1, 2, 2, 3, 3, 3, 10, .nan, .infinity], bins: 3)
        XCTAssertEqual(b.counts, [6, 0, 1])
        XCTAssertEqual(b.edges, [1, 4, 7, 10])
        XCTAssertEqual(b.ignored, 2)
        // Bin edges that are not exact in binary still put values where the edges say.
        let c = Histogram.counts(values: [0.3, 0.6, 0.7], bins: 10, range: (0, 1))
        XCTAssertEqual(c.counts.reduce(0, +), 3)
        for (k, v) in [0.3, 0.6, 0.7].enumerated() {
            let bin = c.counts.indices.filter { c.counts[$0] > 0 }[k]
            XCTAssertTrue(c.edges[bin] <= v && v < c.edges[bin + 1], "\(v) in bin \(bin)")
        }
    }
}
