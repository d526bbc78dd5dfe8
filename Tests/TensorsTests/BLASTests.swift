import XCTest
import Tensors

/// BLAS.dsyrk (one triangle of AᵀA or AAᵀ) against BLAS.dgemm computing the whole product.
final class BLASTests: XCTestCase {
    func testDsyrkMatchesDgemm() {
        var rng = SeededRandom(seed: 15)
        for (rows, cols) in [(1, 1), (37, 13), (200, 41)] {
            let a = (0..<(rows * cols)).map { _ in rng.normal() }
            for transpose in [true, false] {
                // transpose: C = AᵀA (cols × cols); else C = AAᵀ (rows × rows).
                let n = transpose ? cols : rows, k = transpose ? rows : cols
                var reference = [Double](repeating: 0, count: n * n)
                a.withUnsafeBufferPointer { pa in reference.withUnsafeMutableBufferPointer { pc in
                    BLAS.dgemm(transposeA: transpose, transposeB: !transpose, m: n, n: n, k: k, alpha: 1.5, a: pa.baseAddress!, lda: cols,
                               b: pa.baseAddress!, ldb: cols, beta: 0, c: pc.baseAddress!, ldc: n)
                } }
                for lower in [true, false] {
                    let sentinel = -12345.0
                    var c = [Double](repeating: sentinel, count: n * n)
                    a.withUnsafeBufferPointer { pa in c.withUnsafeMutableBufferPointer { pc in
                        BLAS.dsyrk(lower: lower, transpose: transpose, n: n, k: k, alpha: 1.5, a: pa.baseAddress!, lda: cols,
                                   beta: 0, c: pc.baseAddress!, ldc: n)
                    } }
                    var maxDiff = 0.0, scale = 0.0
                    for i in 0..<n { for j in 0..<n {
                        let written = lower ? j <= i : j >= i
                        if written {
                            maxDiff = max(maxDiff, abs(c[i * n + j] - reference[i * n + j]))
                            scale = max(scale, abs(reference[i * n + j]))
                        } else {
                            XCTAssertEqual(c[i * n + j], sentinel, "dsyrk wrote outside its triangle at (\(i), \(j))")
                        }
                    } }
                    c.withUnsafeMutableBufferPointer { pc in BLAS.fillSymmetric(lower: lower, n: n, c: pc.baseAddress!, ldc: n) }
                    let filledDiff = zip(c, reference).map { abs($0 - $1) }.max()!
                    print("dsyrk \(rows)×\(cols) transpose \(transpose) lower \(lower): max |dsyrk − dgemm| \(maxDiff) (scale \(scale)), after fill \(filledDiff)")
                    XCTAssertLessThanOrEqual(maxDiff, 1e-12 * max(scale, 1))
                    XCTAssertLessThanOrEqual(filledDiff, 1e-12 * max(scale, 1))
                }
            }
        }
    }
}
