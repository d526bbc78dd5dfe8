// Single-precision complex matrix product (cblas_cgemm) on interleaved (re, im) Float storage, for
// the per-frequency channel mixing of the FFT convolution path (ConvEngine/FFTConvolution).
import CBLAS

extension BLAS {
    /// How cgemm reads a matrix operand: as stored, transposed, or conjugate-transposed.
    public enum ComplexOperation: Sendable {
        case none, transpose, conjugateTranspose
        var cblas: CBLAS_TRANSPOSE {
            switch self {
            case .none: return CblasNoTrans
            case .transpose: return CblasTrans
            case .conjugateTranspose: return CblasConjTrans
            }
        }
    }

    /// C(m×n) = alpha · op(A) · op(B) + beta · C for complex matrices stored row-major as
    /// interleaved (re, im) Float pairs; lda/ldb/ldc are row strides in complex elements.
    @inline(__always)
    public static func cgemm(_ opA: ComplexOperation, _ opB: ComplexOperation, m: Int, n: Int, k: Int,
                             alpha: (Float, Float) = (1, 0), a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: (Float, Float) = (0, 0), c: UnsafeMutablePointer<Float>, ldc: Int) {
        // The scalars as (re, im) pairs on the stack (called once per frequency: no heap arrays).
        var al = alpha, be = beta
        withUnsafePointer(to: &al) { pa in withUnsafePointer(to: &be) { pb in
            cblas_cgemm(CblasRowMajor, opA.cblas, opB.cblas, Int32(m), Int32(n), Int32(k),
                        UnsafeRawPointer(pa), a, Int32(lda), b, Int32(ldb), UnsafeRawPointer(pb), c, Int32(ldc))
        } }
    }
}
