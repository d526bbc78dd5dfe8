// Two-dimensional discrete Fourier transform of any size, computed in double precision as two
// dense complex matrix products per image (F = W_H · X · W_W, W_n[j,k] = exp(−2πi jk/n)). Exact to
// float precision against the naive sum; O(HW(H+W)), which for stimulus sizes (≤ 256) is a few ms
// and runs through dgemm. The convention matches numpy.fft.fft2 (no scaling forward, 1/(HW) inverse).
import Foundation

public struct ComplexImage: Equatable {
    /// Real and imaginary parts, row-major [H, W].
    public var re: [Double]
    public var im: [Double]
    public let height: Int
    public let width: Int

    public init(height: Int, width: Int) {
        self.height = height; self.width = width
        re = [Double](repeating: 0, count: height * width)
        im = re
    }

    public func magnitude(_ i: Int) -> Double { (re[i] * re[i] + im[i] * im[i]).squareRoot() }
    public func phase(_ i: Int) -> Double { atan2(im[i], re[i]) }
}

public final class DFT2D {
    public let height: Int
    public let width: Int
    // Twiddle matrices, row-major, cos and −sin parts: W[j,k] = cos(2πjk/n) − i sin(2πjk/n).
    private let cosH: [Double], sinH: [Double], cosW: [Double], sinW: [Double]

    public init(height: Int, width: Int) {
        precondition(height > 0 && width > 0)
        self.height = height; self.width = width
        func table(_ n: Int) -> ([Double], [Double]) {
            var c = [Double](repeating: 0, count: n * n), s = c
            for j in 0..<n { for k in 0..<n {
                // Reduce jk mod n before the angle so large products stay exact.
                let a = 2 * Double.pi * Double((j * k) % n) / Double(n)
                c[j * n + k] = cos(a); s[j * n + k] = sin(a)
            } }
            return (c, s)
        }
        (cosH, sinH) = table(height)
        (cosW, sinW) = table(width)
    }

    /// Forward transform of a real image (row-major [H, W]).
    public func forward(_ x: [Double]) -> ComplexImage {
        precondition(x.count == height * width)
        var z = ComplexImage(height: height, width: width)
        z.re = x
        transform(&z, sign: -1)
        return z
    }

    public func forward(_ x: [Float]) -> ComplexImage { forward(x.map(Double.init)) }

    /// Inverse transform; returns the real part (the imaginary part of a conjugate-symmetric input is
    /// round-off only; `maxImaginary` reports it for tests).
    public func inverseReal(_ z: ComplexImage) -> (real: [Double], maxImaginary: Double) {
        var w = z
        transform(&w, sign: +1)
        let s = 1.0 / Double(height * width)
        var mi = 0.0
        for i in 0..<w.re.count { w.re[i] *= s; mi = max(mi, abs(w.im[i] * s)) }
        return (w.re, mi)
    }

    public func inverse(_ z: ComplexImage) -> ComplexImage {
        var w = z
        transform(&w, sign: +1)
        let s = 1.0 / Double(height * width)
        for i in 0..<w.re.count { w.re[i] *= s; w.im[i] *= s }
        return w
    }

    /// In-place W_H^± · Z · W_W^± where sign −1 is forward and +1 inverse.
    private func transform(_ z: inout ComplexImage, sign: Double) {
        let h = height, w = width
        // Rows: T = Z · W_W (W symmetric). (a+ib)(c+i·sign·s) = (ac − sign·bs) + i(sign·as + bc)
        var tr = [Double](repeating: 0, count: h * w), ti = tr
        BLAS.dgemm(transposeA: false, transposeB: false, m: h, n: w, k: w, alpha: 1, a: z.re, lda: w, b: cosW, ldb: w, beta: 0, c: &tr, ldc: w)
        BLAS.dgemm(transposeA: false, transposeB: false, m: h, n: w, k: w, alpha: -sign, a: z.im, lda: w, b: sinW, ldb: w, beta: 1, c: &tr, ldc: w)
        BLAS.dgemm(transposeA: false, transposeB: false, m: h, n: w, k: w, alpha: sign, a: z.re, lda: w, b: sinW, ldb: w, beta: 0, c: &ti, ldc: w)
        BLAS.dgemm(transposeA: false, transposeB: false, m: h, n: w, k: w, alpha: 1, a: z.im, lda: w, b: cosW, ldb: w, beta: 1, c: &ti, ldc: w)
        // Columns: Z = W_H · T.
        BLAS.dgemm(transposeA: false, transposeB: false, m: h, n: w, k: h, alpha: 1, a: cosH, lda: h, b: tr, ldb: w, beta: 0, c: &z.re, ldc: w)
        BLAS.dgemm(transposeA: false, transposeB: false, m: h, n: w, k: h, alpha: -sign, a: sinH, lda: h, b: ti, ldb: w, beta: 1, c: &z.re, ldc: w)
        BLAS.dgemm(transposeA: false, transposeB: false, m: h, n: w, k: h, alpha: sign, a: sinH, lda: h, b: tr, ldb: w, beta: 0, c: &z.im, ldc: w)
        BLAS.dgemm(transposeA: false, transposeB: false, m: h, n: w, k: h, alpha: 1, a: cosH, lda: h, b: ti, ldb: w, beta: 1, c: &z.im, ldc: w)
    }

    /// The naive O((HW)²) sum, kept as the reference for tests.
    public static func naiveForward(_ x: [Double], height h: Int, width w: Int) -> ComplexImage {
        var z = ComplexImage(height: h, width: w)
        for u in 0..<h { for v in 0..<w {
            var sr = 0.0, si = 0.0
            for r in 0..<h { for c in 0..<w {
                let a = -2 * Double.pi * (Double((u * r) % h) / Double(h) + Double((v * c) % w) / Double(w))
                sr += x[r * w + c] * cos(a); si += x[r * w + c] * sin(a)
            } }
            z.re[u * w + v] = sr; z.im[u * w + v] = si
        } }
        return z
    }

    /// Signed spatial frequency of DFT index k out of n, in cycles per pixel (−0.5…0.5).
    public static func frequency(_ k: Int, _ n: Int) -> Double {
        Double(k <= n / 2 ? k : k - n) / Double(n)
    }
}
