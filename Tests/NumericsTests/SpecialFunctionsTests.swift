// Special functions against scipy.special (scipy_likelihoods.h5, written by
// scripts/fixtures/ for the observation-model tests) and hand-checked identities.
import Foundation
import XCTest
import Tensors
import TestSupport
import Numerics

final class SpecialFunctionsTests: XCTestCase {
    func testSpecialFunctionsMatchScipy() throws {
        let f = try HDF5File.open(TestPaths.fixture("scipy_likelihoods.h5"))
        func read(_ f: HDF5File, _ path: String) throws -> [Double] { try f.readDoubles(path).values }
        let x = try read(f, "special/x")
        XCTAssertTrue(compareArrays("gammaln", x.map(SpecialFunctions.logGamma), try read(f, "special/gammaln"), atol: 1e-14, rtol: 1e-13).ok)
        XCTAssertTrue(compareArrays("digamma", x.map(SpecialFunctions.digamma), try read(f, "special/digamma"), atol: 1e-14, rtol: 1e-13).ok)
        XCTAssertTrue(compareArrays("trigamma", x.map(SpecialFunctions.trigamma), try read(f, "special/polygamma1"), atol: 0, rtol: 1e-13).ok)
        let a = try read(f, "gammainc/a"), gx = try read(f, "gammainc/x")
        XCTAssertTrue(compareArrays("gammainc P", (0..<a.count).map { SpecialFunctions.regularizedGammaP(a[$0], gx[$0]) },
                                    try read(f, "gammainc/p"), atol: 1e-300, rtol: 1e-10).ok)
        XCTAssertTrue(compareArrays("gammaincc Q", (0..<a.count).map { SpecialFunctions.regularizedGammaQ(a[$0], gx[$0]) },
                                    try read(f, "gammainc/q"), atol: 1e-300, rtol: 1e-10).ok)
        let ba = try read(f, "betainc/a"), bb = try read(f, "betainc/b"), bx = try read(f, "betainc/x")
        XCTAssertTrue(compareArrays("betainc", (0..<ba.count).map { SpecialFunctions.regularizedBeta(ba[$0], bb[$0], x: bx[$0]) },
                                    try read(f, "betainc/i"), atol: 1e-300, rtol: 1e-10).ok)
        // Digamma / trigamma differences: the finite-sum path against the digamma path.
        for r in [1e-3, 0.7, 5.0, 1e4] {
            for y in [0.0, 1, 7, 63] {
                XCTAssertEqual(SpecialFunctions.digammaDifference(y, r), SpecialFunctions.digamma(y + r) - SpecialFunctions.digamma(r),
                               accuracy: 1e-11 * max(1, 1 / r))
                XCTAssertEqual(SpecialFunctions.trigammaDifference(y, r), SpecialFunctions.trigamma(y + r) - SpecialFunctions.trigamma(r),
                               accuracy: 1e-10 * max(1, 1 / (r * r)))
            }
        }
        XCTAssertEqual(SpecialFunctions.logFactorial(10), log(3628800.0), accuracy: 1e-13)
        XCTAssertEqual(SpecialFunctions.logFactorial(2.5), SpecialFunctions.logGamma(3.5), accuracy: 0)
    }
}
