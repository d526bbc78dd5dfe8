// Resampling and smoothing of single image planes (row-major [H, W] Float).
//
// Bilinear resize, as torch.nn.functional.interpolate(mode="bilinear", align_corners=False)
// with the output size given (scale = in / out):
//   s = scale·(o + ½) − ½, clamped at 0;  i0 = ⌊s⌋, i1 = min(i0 + 1, in − 1), λ = s − i0;
//   value = (1 − λ)·v[i0] + λ·v[i1], separably along rows and columns.
//
// Gaussian blur, as scipy.ndimage.gaussian_filter(sigma, mode="reflect", truncate=4):
//   radius r = ⌊4σ + ½⌋, weights w_t ∝ exp(−t² / 2σ²) for t = −r…r (normalised to sum 1),
//   applied along rows then columns with half-sample symmetric reflection (d c b a | a b c d).
import Foundation

public enum ImageResampling {
    /// Bilinear resize of a [h, w] plane to [outH, outW].
    public static func bilinear(_ v: [Float], height h: Int, width w: Int, toHeight oh: Int, toWidth ow: Int) -> [Float] {
        precondition(v.count == h * w && h > 0 && w > 0 && oh > 0 && ow > 0)
        func taps(_ n: Int, _ m: Int) -> [(Int, Int, Float)] {
            let scale = Double(n) / Double(m)
            return (0..<m).map { o in
                let s = max(0, scale * (Double(o) + 0.5) - 0.5)
                let i0 = min(Int(s), n - 1)
                let i1 = min(i0 + 1, n - 1)
                return (i0, i1, Float(s - Double(i0)))
            }
        }
        let ty = taps(h, oh), tx = taps(w, ow)
        var out = [Float](repeating: 0, count: oh * ow)
        for (y, (y0, y1, ly)) in ty.enumerated() {
            for (x, (x0, x1, lx)) in tx.enumerated() {
                let top = (1 - lx) * v[y0 * w + x0] + lx * v[y0 * w + x1]
                let bottom = (1 - lx) * v[y1 * w + x0] + lx * v[y1 * w + x1]
                out[y * ow + x] = (1 - ly) * top + ly * bottom
            }
        }
        return out
    }

    /// The normalised 1-D Gaussian kernel of `sigma` (length 2r + 1, r = ⌊4σ + ½⌋).
    public static func gaussianKernel(sigma: Double) -> [Double] {
        let r = Int(4 * sigma + 0.5)
        var k = (-r...r).map { t in Foundation.exp(-Double(t * t) / (2 * sigma * sigma)) }
        let s = k.reduce(0, +)
        for i in k.indices { k[i] /= s }
        return k
    }

    /// Half-sample symmetric reflection of index i into 0..<n (scipy "reflect").
    @inline(__always) static func reflect(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        let period = 2 * n
        var j = i % period
        if j < 0 { j += period }
        return j < n ? j : period - 1 - j
    }

    /// Gaussian blur of a [h, w] plane (σ in pixels; σ ≤ 0 returns the input).
    public static func gaussianBlur(_ v: [Float], height h: Int, width w: Int, sigma: Double) -> [Float] {
        precondition(v.count == h * w)
        guard sigma > 0 else { return v }
        let k = gaussianKernel(sigma: sigma)
        let r = k.count / 2
        var tmp = [Double](repeating: 0, count: h * w)
        for y in 0..<h { for x in 0..<w {
            var s = 0.0
            for t in -r...r { s += k[t + r] * Double(v[y * w + reflect(x + t, w)]) }
            tmp[y * w + x] = s
        } }
        var out = [Float](repeating: 0, count: h * w)
        for y in 0..<h { for x in 0..<w {
            var s = 0.0
            for t in -r...r { s += k[t + r] * tmp[reflect(y + t, h) * w + x] }
            out[y * w + x] = Float(s)
        } }
        return out
    }
}
