// Phase scrambling (DESIGN §5): keep an image's amplitude spectrum, randomise its Fourier phase.
//
//   F = DFT(x)                       per channel, double precision (Tensors.DFT2D, numpy.fft convention)
//   ψ = angle(DFT(w))                w: real white noise [H, W], one draw per image
//   F′(k) = F(k) · exp(i·α·ψ(k))     for k inside the band (all k without a band), else F′(k) = F(k)
//   x′ = real(IDFT(F′))
//
// Because w is real, DFT(w) is conjugate symmetric, ψ(−k) = −ψ(k), so F′ stays conjugate
// symmetric and x′ is real — including the Nyquist row and column of even sizes. The code enforces
// ψ(−k) = −ψ(k) exactly (it takes ψ from one member of each pair and negates it for the other),
// so the imaginary part of IDFT(F′) is round-off of the transforms only (~1e-15 relative).
// Multiplying by a unit complex number leaves |F(k)| unchanged, so the amplitude spectrum is kept to
// the precision of the transforms and of the final cast to Float32.
//
// Self-conjugate coefficients (k = −k: the DC term, and for even sizes the Nyquist points (0, W/2),
// (H/2, 0), (H/2, W/2)) are real for every real image and their noise phase is 0 or π:
//   • DC is never changed, so the mean of every channel is kept exactly;
//   • a Nyquist point takes the noise sign (phase 0 or π) when α = 1 — the full scramble of the
//     design formula — and is left unchanged when 0 < α < 1, because a phase of α·π there would
//     make the image complex.
//
// Band: radial frequency ρ(k) = √(fy² + fx²) in cycles/pixel, fy = DFT2D.frequency(u, H),
// fx = DFT2D.frequency(v, W); a coefficient is scrambled when low ≤ ρ ≤ high. ρ(−k) = ρ(k), so the
// band keeps the symmetry. Without a band every coefficient is scrambled (corners up to ρ = √2/2).
//
// Colour: one noise phase per image, shared by all its channels, so the phase difference between
// channels at every frequency is kept (colour structure survives, spatial structure does not).
import Foundation
import Tensors

/// A band of radial spatial frequencies [low, high] in cycles per pixel, 0 < low < high ≤ 0.5.
public struct FrequencyBand: Equatable, Sendable, CustomStringConvertible {
    public let low: Double
    public let high: Double

    /// - Throws: `ImageTransformError.invalidBand` unless 0 < low < high ≤ 0.5.
    public init(low: Double, high: Double) throws {
        guard low.isFinite, high.isFinite, low > 0, low < high, high <= 0.5 else {
            throw ImageTransformError.invalidBand(low: low, high: high)
        }
        self.low = low; self.high = high
    }

    /// Parses the CLI form `low,high` (e.g. `0.05,0.2`).
    /// - Throws: `ImageTransformError.unparsableBand` or `.invalidBand`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let lo = Double(parts[0]), let hi = Double(parts[1]) else {
            throw ImageTransformError.unparsableBand(text)
        }
        try self.init(low: lo, high: hi)
    }

    /// Whether radial frequency `rho` (cycles/pixel) lies in the closed band.
    public func contains(_ rho: Double) -> Bool { rho >= low && rho <= high }

    public var description: String { "\(low)–\(high) cycles/pixel" }
}

/// The per-coefficient factor exp(i·α·ψ(k)) applied to the spectra of one image, [H, W] row-major
/// in DFT index order. Identity entries (cos 1, sin 0) mark coefficients left unchanged.
public struct PhaseRotation: Equatable, Sendable {
    public let height: Int
    public let width: Int
    public var cos: [Double]
    public var sin: [Double]
}

public struct PhaseScrambler: Sendable {
    /// Scrambling strength: 0 leaves images unchanged, 1 adds the full random phase.
    public let alpha: Double
    /// Radial frequency band that is scrambled; nil scrambles every frequency.
    public let band: FrequencyBand?

    /// - Throws: `ImageTransformError.invalidAlpha` unless 0 ≤ alpha ≤ 1.
    public init(alpha: Double = 1, band: FrequencyBand? = nil) throws {
        guard alpha.isFinite, alpha >= 0, alpha <= 1 else { throw ImageTransformError.invalidAlpha(alpha) }
        self.alpha = alpha; self.band = band
    }

    /// Scrambles one image [C, H, W] or a batch [N, C, H, W]; the result has the input's shape.
    /// Each image draws H·W standard normals from `rng` (in batch order) for its noise phase, so
    /// the same seed gives the same output.
    /// - Throws: `ImageTransformError.badShape` for other ranks, `.nonFiniteInput` for NaN/∞ pixels.
    public func scramble(_ image: Tensor, rng: inout SeededRandom) throws -> Tensor {
        guard image.rank == 3 || image.rank == 4 else {
            throw ImageTransformError.badShape(transform: "phase scramble", expected: "[C, H, W] or [N, C, H, W]", shape: image.shape)
        }
        guard image.allFinite else { throw ImageTransformError.nonFiniteInput(transform: "phase scramble") }
        let s = image.shape
        let (n, c, h, w) = image.rank == 3 ? (1, s[0], s[1], s[2]) : (s[0], s[1], s[2], s[3])
        var out = Tensor(shape: s)
        if out.count == 0 { return out }
        let dft = DFT2D(height: h, width: w)
        let plane = h * w
        var channel = [Double](repeating: 0, count: plane)
        for item in 0..<n {
            var noise = [Double](repeating: 0, count: plane)
            for i in 0..<plane { noise[i] = rng.normal() }
            let rotation = self.rotation(noise: noise, dft: dft)
            for ch in 0..<c {
                let base = (item * c + ch) * plane
                for i in 0..<plane { channel[i] = Double(image.data[base + i]) }
                let y = PhaseScrambler.apply(rotation, to: channel, dft: dft).image
                for i in 0..<plane { out.data[base + i] = Float(y[i]) }
            }
        }
        return out
    }

    /// The rotation exp(i·α·ψ) for noise image `noise` [H, W] (ψ = angle(DFT(noise))), with the
    /// band, DC and Nyquist rules of this file's header applied and ψ(−k) = −ψ(k) made exact.
    public func rotation(noise: [Double], dft: DFT2D) -> PhaseRotation {
        let h = dft.height, w = dft.width
        precondition(noise.count == h * w, "noise has \(noise.count) values, expected \(h)×\(w)")
        let z = dft.forward(noise)
        var rot = PhaseRotation(height: h, width: w,
                                cos: [Double](repeating: 1, count: h * w),
                                sin: [Double](repeating: 0, count: h * w))
        for u in 0..<h {
            let fy = DFT2D.frequency(u, h)
            for v in 0..<w {
                let k = u * w + v
                let partner = ((h - u) % h) * w + (w - v) % w
                // Each conjugate pair is set once, from its lower index.
                if partner < k { continue }
                if let band {
                    let fx = DFT2D.frequency(v, w)
                    if !band.contains((fy * fy + fx * fx).squareRoot()) { continue }
                }
                if partner == k {
                    // Self-conjugate: DC never changes; Nyquist points take the noise sign only at α = 1.
                    if k == 0 || alpha != 1 { continue }
                    if z.re[k] < 0 { rot.cos[k] = -1 }
                    continue
                }
                let a = alpha * atan2(z.im[k], z.re[k])
                let ca = Foundation.cos(a), sa = Foundation.sin(a)
                rot.cos[k] = ca; rot.sin[k] = sa
                rot.cos[partner] = ca; rot.sin[partner] = -sa
            }
        }
        return rot
    }

    /// Applies `rotation` to one channel `channel` [H, W]: real(IDFT(DFT(channel) · rotation)).
    /// `maxImaginary` is the largest |imaginary part| of the inverse before it is dropped (round-off).
    public static func apply(_ rotation: PhaseRotation, to channel: [Double], dft: DFT2D) -> (image: [Double], maxImaginary: Double) {
        precondition(rotation.height == dft.height && rotation.width == dft.width && channel.count == dft.height * dft.width)
        var f = dft.forward(channel)
        for k in 0..<f.re.count {
            let re = f.re[k], im = f.im[k], c = rotation.cos[k], s = rotation.sin[k]
            f.re[k] = re * c - im * s
            f.im[k] = re * s + im * c
        }
        let r = dft.inverseReal(f)
        return (r.real, r.maxImaginary)
    }
}
