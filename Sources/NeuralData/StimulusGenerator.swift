// Synthetic stimulus families for the simulator. Images are S × S, grayscale, intensities in [0, 1]
// (mean 0.5); every image draws from its own seeded stream, so image i is the same whatever N is.
//
//   white-noise  i.i.d. Gaussian pixels, mean 0.5, std 0.2, clipped to [0, 1]
//   gratings     sinusoidal gratings 0.5 + 0.4·cos(2πf(x cosθ + y sinθ) + φ), in sequences of
//                `frames` frames drifting by 2π/frames per frame (frames = 1: static gratings);
//                θ ~ U[0, π), f ~ U[2.5, 9]/S cycles/pixel (≤ 0.45), φ₀ ~ U[0, 2π)
//   dead-leaves  occluding discs (radius density ∝ r⁻³ on [1, S], grey level ~ U[0, 1]) painted
//                front to back until every pixel is covered; this scale-invariant process has a 1/f
//                amplitude spectrum. The frontmost leaf is a foreground disc near the centre (radius
//                U[S/6, S/4]); its support is the image's foreground mask.
//   natural-1f   phase-randomised 1/f noise: amplitude 1/|f| (DC removed), phases of white noise
// dead-leaves and natural-1f images are then set to mean 0.5, RMS contrast 0.2 and clipped to [0, 1].
// A phase-scrambled partner keeps an image's amplitude spectrum and mean and randomises its phases
// (DESIGN §5 with α = 1): F′ = F · W/|W|, W = DFT(white noise), DC factor 1; then clipped to [0, 1].
import Foundation
import Tensors

public enum StimulusFamily: String, CaseIterable, Codable, Sendable {
    case whiteNoise = "white-noise"
    case gratings
    case deadLeaves = "dead-leaves"
    case natural1f = "natural-1f"
}

/// Images [N, S, S] in [0, 1], with masks for dead leaves and parameters for gratings.
struct GeneratedStimuli {
    var images: [Float]
    /// [N, S, S], 1 on the foreground disc (dead leaves only).
    var masks: [UInt8]?
    /// [N, 4]: orientation (rad), frequency (cycles/pixel), phase (rad), contrast (gratings only).
    var gratings: [Float]?
}

enum StimulusGenerator {
    /// Seed-stream bases: image i of family generation draws from stream `imageStream + i`.
    static let imageStream: UInt64 = 1 << 32
    static let scrambleStream: UInt64 = 2 << 32

    static func generate(_ family: StimulusFamily, count n: Int, size s: Int, seed: UInt64, frames: Int) -> GeneratedStimuli {
        let plane = s * s
        var images = [Float](repeating: 0, count: n * plane)
        var masks: [UInt8]? = family == .deadLeaves ? [UInt8](repeating: 0, count: n * plane) : nil
        var gratings: [Float]? = family == .gratings ? [Float](repeating: 0, count: n * 4) : nil
        let dft = family == .natural1f ? DFT2D(height: s, width: s) : nil
        for i in 0..<n {
            var img: [Double]
            switch family {
            case .whiteNoise:
                var rng = SeededRandom.derived(seed: seed, stream: imageStream + UInt64(i))
                img = (0..<plane).map { _ in min(1, max(0, 0.5 + 0.2 * rng.normal())) }
            case .gratings:
                let f = max(1, frames)
                var rng = SeededRandom.derived(seed: seed, stream: imageStream + UInt64(i / f))
                let theta = rng.uniform(0, Double.pi)
                let freq = min(0.45, rng.uniform(2.5, 9) / Double(s))
                let phase = rng.uniform(0, 2 * Double.pi) + 2 * Double.pi * Double(i % f) / Double(f)
                img = grating(size: s, orientation: theta, frequency: freq, phase: phase, contrast: 0.4)
                gratings![i * 4] = Float(theta); gratings![i * 4 + 1] = Float(freq)
                gratings![i * 4 + 2] = Float(phase.truncatingRemainder(dividingBy: 2 * Double.pi)); gratings![i * 4 + 3] = 0.4
            case .deadLeaves:
                var rng = SeededRandom.derived(seed: seed, stream: imageStream + UInt64(i))
                let (leaves, mask) = deadLeaves(size: s, rng: &rng)
                img = normalised(leaves)
                for k in 0..<plane { masks![i * plane + k] = mask[k] }
            case .natural1f:
                var rng = SeededRandom.derived(seed: seed, stream: imageStream + UInt64(i))
                img = normalised(oneOverF(size: s, dft: dft!, rng: &rng))
            }
            for k in 0..<plane { images[i * plane + k] = Float(img[k]) }
        }
        return GeneratedStimuli(images: images, masks: masks, gratings: gratings)
    }

    /// 0.5 + contrast·cos(2πf(x cosθ + y sinθ) + φ), coordinates about the image centre, x = column.
    static func grating(size s: Int, orientation theta: Double, frequency f: Double, phase: Double, contrast: Double) -> [Double] {
        let c = Double(s - 1) / 2
        var img = [Double](repeating: 0, count: s * s)
        for y in 0..<s { for x in 0..<s {
            let u = (Double(x) - c) * Foundation.cos(theta) + (Double(y) - c) * Foundation.sin(theta)
            img[y * s + x] = 0.5 + contrast * Foundation.cos(2 * Double.pi * f * u + phase)
        } }
        return img
    }

    /// Mean 0.5, RMS contrast 0.2, clipped to [0, 1].
    static func normalised(_ x: [Double]) -> [Double] {
        let m = x.reduce(0, +) / Double(x.count)
        let v = x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count)
        let k = v > 0 ? 0.2 / v.squareRoot() : 0
        return x.map { min(1, max(0, 0.5 + k * ($0 - m))) }
    }

    /// A dead-leaves image and its foreground mask, painted front to back.
    static func deadLeaves(size s: Int, rng: inout SeededRandom) -> (image: [Double], mask: [UInt8]) {
        let plane = s * s
        var img = [Double](repeating: 0.5, count: plane)
        var covered = [Bool](repeating: false, count: plane)
        var mask = [UInt8](repeating: 0, count: plane)
        var remaining = plane
        // Paints the uncovered pixels of a disc; returns how many it painted.
        func paint(cx: Double, cy: Double, r: Double, grey: Double, foreground: Bool) {
            let y0 = max(0, Int((cy - r).rounded(.up))), y1 = min(s - 1, Int((cy + r).rounded(.down)))
            let x0 = max(0, Int((cx - r).rounded(.up))), x1 = min(s - 1, Int((cx + r).rounded(.down)))
            guard y0 <= y1, x0 <= x1 else { return }
            let r2 = r * r
            for y in y0...y1 {
                let dy = Double(y) - cy
                for x in x0...x1 where !covered[y * s + x] {
                    let dx = Double(x) - cx
                    if dx * dx + dy * dy <= r2 {
                        covered[y * s + x] = true; img[y * s + x] = grey; remaining -= 1
                        if foreground { mask[y * s + x] = 1 }
                    }
                }
            }
        }
        let c = Double(s - 1) / 2
        paint(cx: c + rng.uniform(-0.125, 0.125) * Double(s), cy: c + rng.uniform(-0.125, 0.125) * Double(s),
              r: rng.uniform(1.0 / 6, 0.25) * Double(s), grey: rng.uniform(), foreground: true)
        // Radii with density ∝ r⁻³ on [rMin, rMax] by inverse CDF; centres uniform on the image
        // dilated by rMax (discs that miss the image are drawn and skipped, keeping the process exact).
        let rMin = 1.0, rMax = Double(s)
        let a = 1 / (rMin * rMin), b = 1 / (rMax * rMax)
        var leaves = 0
        while remaining > 0 && leaves < 200_000 {
            let r = 1 / (a - rng.uniform() * (a - b)).squareRoot()
            let cx = rng.uniform(-rMax, Double(s) + rMax), cy = rng.uniform(-rMax, Double(s) + rMax)
            let grey = rng.uniform()
            leaves += 1
            paint(cx: cx, cy: cy, r: r, grey: grey, foreground: false)
        }
        return (img, mask)
    }

    /// Real noise with amplitude spectrum 1/|f| (no DC) and random phases.
    static func oneOverF(size s: Int, dft: DFT2D, rng: inout SeededRandom) -> [Double] {
        let w = (0..<(s * s)).map { _ in rng.normal() }
        var z = dft.forward(w)
        for u in 0..<s { for v in 0..<s {
            let k = u * s + v
            let f = (DFT2D.frequency(u, s) * DFT2D.frequency(u, s) + DFT2D.frequency(v, s) * DFT2D.frequency(v, s)).squareRoot()
            let m = z.magnitude(k)
            if f == 0 || m == 0 { z.re[k] = 0; z.im[k] = 0; continue }
            z.re[k] *= 1 / (f * m); z.im[k] *= 1 / (f * m)
        } }
        return dft.inverseReal(z).real
    }

    /// The phase-scrambled partner of an image [S, S] (amplitude spectrum and mean kept, then
    /// clipped to [0, 1]).
    static func phaseScrambled(_ x: [Float], size s: Int, dft: DFT2D, rng: inout SeededRandom) -> [Float] {
        let w = (0..<(s * s)).map { _ in rng.normal() }
        let zw = dft.forward(w)
        var z = dft.forward(x)
        for k in 1..<(s * s) {
            let m = zw.magnitude(k)
            guard m > 0 else { continue }
            let c = zw.re[k] / m, d = zw.im[k] / m
            let re = z.re[k] * c - z.im[k] * d, im = z.re[k] * d + z.im[k] * c
            z.re[k] = re; z.im[k] = im
        }
        return dft.inverseReal(z).real.map { Float(min(1, max(0, $0))) }
    }
}
