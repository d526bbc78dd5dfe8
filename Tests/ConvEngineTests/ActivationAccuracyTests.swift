import XCTest
import Foundation
import Tensors
import ConvEngine

/// The AVX2 activation kernels (Cephes exp/log) against Double-precision references on a dense
/// grid over the useful float range, tails included (odd element counts). Tolerance: 4e-7 relative
/// (≈ 3 ulp), relative to at least 2.5e-32 (values below ~1e-38 are denormal, with fewer digits).
final class ActivationAccuracyTests: XCTestCase {
    /// −100 … 100 in steps of 1/64, plus extremes, the overflow edge and signed zeros: 12 801 + 8
    /// values (not a multiple of 8).
    let grid: [Float] = (-6400...6400).map { Float($0) / 64 } + [-1e30, -87.5, 87.5, 88.7, 88.75, 1e30, 0, -0.0]

    func check(_ label: String, _ ours: [Float], _ reference: (Double) -> Double, _ inputs: [Float], file: StaticString = #filePath, line: UInt = #line) {
        var worst = 0.0, at: Float = 0
        for (x, y) in zip(inputs, ours) {
            let r = reference(Double(x))
            let err = r.isInfinite ? (Double(y) == r ? 0 : .infinity) : abs(Double(y) - r) / max(abs(r), 1e-38 / 4e-7)
            if !(err <= worst) { worst = err; at = x }
        }
        print("[\(label)] max relative error \(worst) at x = \(at)")
        XCTAssertLessThanOrEqual(worst, 4e-7, label, file: file, line: line)
    }

    func testExpELUSoftplus() {
        let x = Tensor(shape: [grid.count], data: grid)
        // exp: overflow to +inf above ln(FLT_MAX) ≈ 88.72, as Float(exp) does.
        check("exp", Exp().forward(x, training: true).data, { Double(Float(Foundation.exp($0))) }, grid)
        for alpha: Float in [1, 0.3] {
            let elu = ELU(alpha: alpha)
            check("elu α=\(alpha)", elu.forward(x, training: true).data, { $0 > 0 ? $0 : Double(alpha) * Foundation.expm1($0) }, grid)
            check("elu grad α=\(alpha)", elu.backward(.ones(x.shape)).data, { $0 > 0 ? 1 : Double(alpha) * Foundation.exp($0) }, grid)
        }
        for (beta, threshold): (Float, Float) in [(1, 20), (2, 5), (0.5, 20)] {
            let sp = Softplus(beta: beta, threshold: threshold)
            let b = Double(beta)
            check("softplus β=\(beta)", sp.forward(x, training: true).data,
                  { $0 * b > Double(threshold) ? $0 : (max($0 * b, 0) + Foundation.log1p(Foundation.exp(-abs($0 * b)))) / b }, grid)
            check("softplus grad β=\(beta)", sp.backward(.ones(x.shape)).data,
                  { $0 * b > Double(threshold) ? 1 : 1 / (1 + Foundation.exp(-$0 * b)) }, grid)
        }
    }

    func testNaNAndReLU() {
        let x = Tensor(shape: [5], data: [.nan, -1, 0, 2, -.infinity])
        let relu = ReLU()
        let y = relu.forward(x, training: true)
        XCTAssertTrue(y.data[0].isNaN)                      // NaN propagates, as torch.relu
        XCTAssertEqual(Array(y.data[1...]), [0, 0, 2, 0])
        XCTAssertEqual(relu.backward(.ones([5])).data, [0, 0, 0, 1, 0])
        XCTAssertEqual(relu.mask?.data, [0, 0, 0, 1, 0])
        XCTAssertTrue(ELU().forward(x, training: false).data[0].isNaN)
        XCTAssertTrue(Softplus().forward(x, training: false).data[0].isNaN)
        XCTAssertTrue(Exp().forward(x, training: false).data[0].isNaN)
        XCTAssertEqual(ELU(alpha: 2).forward(x, training: false).data[4], -2)
        XCTAssertEqual(Softplus().forward(x, training: false).data[4], 0)
        XCTAssertEqual(Exp().forward(x, training: false).data[4], 0)
    }
}
