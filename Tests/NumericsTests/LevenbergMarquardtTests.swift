// Levenberg–Marquardt on Rosenbrock (minimum known by hand), the LAPACK Cholesky factor it and
// the Gaussian mixture rely on, and average ranks worked out by hand.
import Foundation
import XCTest
import Tensors
import Numerics

final class LevenbergMarquardtTests: XCTestCase {
    // MARK: Levenberg–Marquardt

    /// Rosenbrock as least squares: r = (10(y − x²), 1 − x), minimum 0 at (1, 1).
    private struct Rosenbrock: LeastSquaresProblem {
        var parameterCount: Int { 2 }
        var residualCount: Int { 2 }
        func evaluate(_ p: [Double], residuals: inout [Double], jacobian: inout [Double], computeJacobian: Bool) {
            residuals[0] = 10 * (p[1] - p[0] * p[0]); residuals[1] = 1 - p[0]
            if computeJacobian { jacobian[0] = -20 * p[0]; jacobian[1] = 10; jacobian[2] = -1; jacobian[3] = 0 }
        }
    }

    func testLevenbergMarquardtSolvesRosenbrock() {
        let result = LevenbergMarquardt().minimize(Rosenbrock(), from: [-1.2, 1])
        print("[LM Rosenbrock] \(result.parameters) cost \(result.cost) after \(result.iterations) iterations (\(result.stopReason))")
        XCTAssertEqual(result.parameters[0], 1, accuracy: 1e-8)
        XCTAssertEqual(result.parameters[1], 1, accuracy: 1e-8)
        XCTAssertLessThan(result.cost, 1e-16)
    }

    /// The LAPACK Cholesky factor (dpotrf) that the Gaussian mixture uses: L Lᵀ reproduces A,
    /// L is lower triangular, and a singular matrix is refused.
    func testCholeskyFactor() throws {
        let a: [Double] = [4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]
        let l = try LAPACK.choleskyFactor(a, n: 3)
        var maxDiff = 0.0
        for i in 0..<3 { for j in 0..<3 {
            var s = 0.0
            for k in 0..<3 { s += l[i * 3 + k] * l[j * 3 + k] }
            maxDiff = max(maxDiff, abs(s - a[i * 3 + j]))
            if j > i { XCTAssertEqual(l[i * 3 + j], 0) }
        } }
        print("[Cholesky] max |L Lᵀ − A| = \(maxDiff)")
        XCTAssertLessThan(maxDiff, 1e-14)
        XCTAssertEqual(l[0], 2, accuracy: 1e-15)          // √4
        XCTAssertEqual(l[3], 1, accuracy: 1e-15)          // 2 / 2
        XCTAssertThrowsError(try LAPACK.choleskyFactor([1, 1, 1, 1], n: 2))
    }

    /// Ranks with ties averaged, worked out by hand (scipy.stats.rankdata "average").
    func testAverageRanks() {
        XCTAssertEqual(Ranks.average([3, 1, 2]), [3, 1, 2])
        XCTAssertEqual(Ranks.average([10, 20, 10, 30, 20, 10]), [2, 4.5, 2, 6, 4.5, 2])
        XCTAssertEqual(Ranks.average([]), [])
        XCTAssertEqual(Ranks.average([-1, -1]), [1.5, 1.5])
    }
}
