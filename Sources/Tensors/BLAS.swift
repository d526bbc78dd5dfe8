// Thin wrappers over CBLAS / LAPACKE. Row-major everywhere. Only Tensors imports CBLAS; other
// targets call these.
import CBLAS

public enum BLAS {
    /// Number of threads OpenBLAS uses for level-3 calls.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// C(m×n) = alpha · op(A) · op(B) + beta · C, row-major; lda/ldb/ldc are row strides.
    @inline(__always)
    public static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y(m) = alpha · op(A) · x + beta · y for row-major A (m×n before transposition).
    @inline(__always)
    public static func sgemv(transpose: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda),
                    x, 1, beta, y, 1)
    }

    /// Double-precision C = alpha · op(A) · op(B) + beta · C, row-major.
    public static func dgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                             alpha: Double, a: UnsafePointer<Double>, lda: Int,
                             b: UnsafePointer<Double>, ldb: Int,
                             beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Double-precision symmetric rank-k update, row-major: C(n×n) = alpha · AᵀA + beta · C when
    /// `transpose` (A is k×n), alpha · AAᵀ + beta · C otherwise (A is n×k). Half the flops of the
    /// equivalent dgemm: only the `lower` (else upper) triangle of C, diagonal included, is
    /// written; the other triangle is left as it was (see `fillSymmetric`).
    public static func dsyrk(lower: Bool = true, transpose: Bool, n: Int, k: Int,
                             alpha: Double, a: UnsafePointer<Double>, lda: Int,
                             beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dsyrk(CblasRowMajor, lower ? CblasLower : CblasUpper, transpose ? CblasTrans : CblasNoTrans,
                    Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }

    /// Copies the `lower` (else upper) triangle of the row-major n×n matrix `c` onto the other one.
    public static func fillSymmetric(lower: Bool = true, n: Int, c: UnsafeMutablePointer<Double>, ldc: Int) {
        for i in 0..<n {
            for j in (i + 1)..<max(i + 1, n) {
                if lower { c[i * ldc + j] = c[j * ldc + i] } else { c[j * ldc + i] = c[i * ldc + j] }
            }
        }
    }

    /// Element-wise helpers used by optimisers and layers.
    @inline(__always)
    public static func saxpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }
    @inline(__always)
    public static func sdot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        cblas_sdot(Int32(n), x, 1, y, 1)
    }
}

public enum LinearAlgebraError: Error, CustomStringConvertible {
    case notPositiveDefinite(order: Int, info: Int)
    case failed(routine: String, info: Int)
    public var description: String {
        switch self {
        case .notPositiveDefinite(let n, let info):
            return "matrix of order \(n) is not positive definite (leading minor \(info) is not positive)"
        case .failed(let r, let info): return "LAPACK \(r) failed (info = \(info))"
        }
    }
}

/// Dense double-precision linear algebra (LAPACK). Matrices are row-major [n, n] arrays.
public enum LAPACK {
    /// Solves A x = b for symmetric positive-definite A by Cholesky (dpotrf + dpotrs).
    /// `a` is n×n row-major, `b` is n×nrhs row-major; returns x with b's layout.
    public static func choleskySolve(_ a: [Double], _ b: [Double], n: Int, nrhs: Int = 1) throws -> [Double] {
        precondition(a.count == n * n && b.count == n * nrhs)
        var a = a, b = b
        let info = a.withUnsafeMutableBufferPointer { pa in
            LAPACKE_dpotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), pa.baseAddress, Int32(n))
        }
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: n, info: Int(info)) }
        if info < 0 { throw LinearAlgebraError.failed(routine: "dpotrf", info: Int(info)) }
        let info2 = a.withUnsafeMutableBufferPointer { pa in b.withUnsafeMutableBufferPointer { pb in
            LAPACKE_dpotrs(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), Int32(nrhs), pa.baseAddress, Int32(n), pb.baseAddress, Int32(nrhs))
        } }
        if info2 != 0 { throw LinearAlgebraError.failed(routine: "dpotrs", info: Int(info2)) }
        return b
    }

    /// Lower-triangular Cholesky factor L of a symmetric positive-definite matrix, A = L Lᵀ
    /// (dpotrf). `a` is n×n row-major; the result is row-major with zeros above the diagonal.
    public static func choleskyFactor(_ a: [Double], n: Int) throws -> [Double] {
        precondition(a.count == n * n)
        var a = a
        let info = a.withUnsafeMutableBufferPointer { pa in
            LAPACKE_dpotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), pa.baseAddress, Int32(n))
        }
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: n, info: Int(info)) }
        if info < 0 { throw LinearAlgebraError.failed(routine: "dpotrf", info: Int(info)) }
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { a[i * n + j] = 0 } }
        return a
    }

    /// Inverse of a symmetric positive-definite matrix (dpotrf + dpotri), full matrix returned.
    public static func choleskyInverse(_ a: [Double], n: Int) throws -> [Double] {
        var a = a
        let info = a.withUnsafeMutableBufferPointer { pa in
            LAPACKE_dpotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), pa.baseAddress, Int32(n))
        }
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: n, info: Int(info)) }
        let info2 = a.withUnsafeMutableBufferPointer { pa in
            LAPACKE_dpotri(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), pa.baseAddress, Int32(n))
        }
        if info2 != 0 { throw LinearAlgebraError.failed(routine: "dpotri", info: Int(info2)) }
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { a[i * n + j] = a[j * n + i] } }
        return a
    }

    /// Eigen-decomposition of a symmetric matrix (dsyevd). Returns eigenvalues ascending and the
    /// eigenvectors as the columns of a row-major n×n matrix.
    public static func symmetricEigen(_ a: [Double], n: Int) throws -> (values: [Double], vectors: [Double]) {
        var a = a
        var w = [Double](repeating: 0, count: n)
        let info = a.withUnsafeMutableBufferPointer { pa in w.withUnsafeMutableBufferPointer { pw in
            LAPACKE_dsyevd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "L")), Int32(n), pa.baseAddress, Int32(n), pw.baseAddress)
        } }
        if info != 0 { throw LinearAlgebraError.failed(routine: "dsyevd", info: Int(info)) }
        return (w, a)
    }

    /// Single-precision eigendecomposition of a symmetric matrix (ssyevd): eigenvalues ascending,
    /// eigenvectors as the columns of a row-major n×n matrix. About twice as fast as the double one.
    public static func symmetricEigenFloat(_ a: [Float], n: Int) throws -> (values: [Float], vectors: [Float]) {
        var a = a
        var w = [Float](repeating: 0, count: n)
        // The workspace sizes of ssyevd with eigenvectors (LAPACK's documented minimum), given
        // explicitly: LAPACKE_ssyevd's own query returns LWORK = 1 + 6n + 2n² as a float, which
        // rounds below the minimum beyond n ≈ 2 900 (2n² > 2²⁴), and then fails with info −9.
        var work = [Float](repeating: 0, count: 1 + 6 * n + 2 * n * n)
        var iwork = [Int32](repeating: 0, count: 3 + 5 * n)
        let lwork = Int32(work.count), liwork = Int32(iwork.count)
        let info = a.withUnsafeMutableBufferPointer { pa in w.withUnsafeMutableBufferPointer { pw in
            work.withUnsafeMutableBufferPointer { pk in iwork.withUnsafeMutableBufferPointer { pi in
                LAPACKE_ssyevd_work(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "L")), Int32(n), pa.baseAddress, Int32(n), pw.baseAddress,
                                    pk.baseAddress, lwork, pi.baseAddress, liwork)
            } }
        } }
        if info != 0 { throw LinearAlgebraError.failed(routine: "ssyevd", info: Int(info)) }
        return (w, a)
    }

    /// Solves the general square system A x = b (dgesv). Row-major.
    public static func solve(_ a: [Double], _ b: [Double], n: Int, nrhs: Int = 1) throws -> [Double] {
        var a = a, b = b
        var ipiv = [Int32](repeating: 0, count: n)
        let info = a.withUnsafeMutableBufferPointer { pa in b.withUnsafeMutableBufferPointer { pb in ipiv.withUnsafeMutableBufferPointer { pi in
            LAPACKE_dgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), pa.baseAddress, Int32(n), pi.baseAddress, pb.baseAddress, Int32(nrhs))
        } } }
        if info != 0 { throw LinearAlgebraError.failed(routine: "dgesv", info: Int(info)) }
        return b
    }
}

extension LAPACK {
    /// Thin QR decomposition A = Q·R of an m×n matrix with m ≥ n (dgeqrf + dorgqr), row-major.
    /// Returns Q (m×n, orthonormal columns, row-major) and the diagonal of R (n values; its signs
    /// are what orthogonal initialisation uses to make Q unique).
    public static func thinQR(_ a: [Double], rows m: Int, cols n: Int) throws -> (q: [Double], rDiagonal: [Double]) {
        precondition(m >= n && n >= 1 && a.count == m * n, "thinQR needs an m×n matrix with m ≥ n ≥ 1, got \(m)×\(n) with \(a.count) values")
        var a = a
        var tau = [Double](repeating: 0, count: n)
        let info = a.withUnsafeMutableBufferPointer { pa in tau.withUnsafeMutableBufferPointer { pt in
            LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, Int32(m), Int32(n), pa.baseAddress, Int32(n), pt.baseAddress)
        } }
        if info != 0 { throw LinearAlgebraError.failed(routine: "dgeqrf", info: Int(info)) }
        let diagonal = (0..<n).map { a[$0 * n + $0] }
        let info2 = a.withUnsafeMutableBufferPointer { pa in tau.withUnsafeMutableBufferPointer { pt in
            LAPACKE_dorgqr(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(n), pa.baseAddress, Int32(n), pt.baseAddress)
        } }
        if info2 != 0 { throw LinearAlgebraError.failed(routine: "dorgqr", info: Int(info2)) }
        return (a, diagonal)
    }
}
