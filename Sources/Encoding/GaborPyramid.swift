// A Gabor wavelet pyramid (Kay, Naselaris, Prenger & Gallant 2008, Nature 452:352): the feature
// space of voxel-wise encoding models of early visual cortex.
//
// Images are converted to grayscale and area-resized to S × S (`size`); coordinates are in image
// widths, pixel centres at (i + ½)/S. For each spatial frequency f (cycles per image), the
// Gaussian envelope has standard deviation σ_f = min(maxEnvelope, envelopeRatio / f) and the
// centres lie on a g_f × g_f grid, g_f = max(1, ⌈1 / (spacing · σ_f)⌉), at ((i + ½)/g_f, (j + ½)/g_f)
// — the grid tiles the image, finer for higher frequencies. For each centre and orientation θ
// (k·π/orientations) a quadrature pair
//     g_φ(x, y) = exp(−((x−x0)² + (y−y0)²) / (2σ_f²)) · cos(2πf((x−x0)cos θ + (y−y0) sin θ) + φ),  φ ∈ {0, π/2}
// is made zero-mean over the pixels and scaled to unit L2 norm. Features, per wavelet:
//     energy  (⟨g_0, x⟩² + ⟨g_{π/2}, x⟩²)^q   (phase-invariant, complex-cell-like), always; q =
//             `energyExponent`, ½ by default (the amplitude √(a² + b²)); 1 gives the squared
//             energy of the classic energy model, ¼ a compressive √ of the amplitude (Kay et al.
//             2008 fit such a compressive exponent on the energies);
//     linear  ⟨g_0, x⟩ and ⟨g_{π/2}, x⟩       (simple-cell-like), with `linear`.
// Defaults follow pymoten's static pyramid (envelope ratio 0.6, maximum envelope 0.3, spacing 3.5).
import Foundation
import Tensors

public struct GaborPyramidOptions: Codable, Equatable, Sendable {
    /// Side S of the resized grayscale image.
    public var size = 64
    /// Spatial frequencies, cycles per image.
    public var frequencies: [Double] = [1, 2, 4, 8, 16]
    public var orientations = 8
    public var envelopeRatio = 0.6
    public var maxEnvelope = 0.3
    /// Centre spacing in envelope standard deviations.
    public var spacing = 3.5
    /// Also the two linear (quadrature) responses of every wavelet.
    public var linear = false
    /// Exponent q of the energy feature (a² + b²)^q; nil means ½ (the amplitude √(a² + b²)).
    public var energyExponent: Double?
    public init() {}
}

/// One wavelet of the pyramid.
public struct GaborWavelet: Equatable, Sendable {
    public var frequency: Double
    public var orientation: Double
    public var x: Double
    public var y: Double
    public var sigma: Double
}

public struct GaborPyramid {
    public let options: GaborPyramidOptions
    public let wavelets: [GaborWavelet]
    /// [2·W, S·S] row-major: the φ = 0 and φ = π/2 filter of wavelet w in rows 2w and 2w + 1.
    public let filters: [Float]

    /// Checks the options (typed errors naming the option) without building the filters.
    public static func validate(_ options: GaborPyramidOptions) throws {
        let s = options.size
        guard s >= 4 else { throw EncodingError.invalidOption(option: .gaborSize, reason: "must be at least 4 pixels, got \(s)") }
        guard options.orientations >= 1 else { throw EncodingError.invalidOption(option: .gaborOrientations, reason: "must be at least 1") }
        guard !options.frequencies.isEmpty, options.frequencies.allSatisfy({ $0 > 0 && $0 <= Double(s) / 2 }) else {
            throw EncodingError.invalidOption(option: .gaborFrequencies, reason: "each must be > 0 and at most the Nyquist frequency \(s / 2) cycles per image of a \(s)-pixel image, got \(options.frequencies)")
        }
        if let q = options.energyExponent, !(q > 0 && q <= 4) {
            throw EncodingError.invalidOption(option: .gaborEnergyExponent, reason: "must be in (0, 4], got \(q)")
        }
        guard options.envelopeRatio > 0, options.maxEnvelope > 0, options.spacing > 0 else {
            throw EncodingError.invalidOption(option: .gaborEnvelope, reason: "envelope ratio, maximum envelope and spacing must be positive")
        }
    }

    public init(options: GaborPyramidOptions) throws {
        try Self.validate(options)
        let s = options.size
        self.options = options
        var ws: [GaborWavelet] = []
        for f in options.frequencies {
            let sigma = min(options.maxEnvelope, options.envelopeRatio / f)
            let g = max(1, Int((1 / (options.spacing * sigma)).rounded(.up)))
            for i in 0..<g { for j in 0..<g { for k in 0..<options.orientations {
                ws.append(GaborWavelet(frequency: f, orientation: Double(k) * .pi / Double(options.orientations),
                                       x: (Double(j) + 0.5) / Double(g), y: (Double(i) + 0.5) / Double(g), sigma: sigma))
            } } }
        }
        wavelets = ws
        var filt = [Float](repeating: 0, count: 2 * ws.count * s * s)
        var g = [Double](repeating: 0, count: s * s)
        for (w, wv) in ws.enumerated() {
            for (q, phase) in [0.0, Double.pi / 2].enumerated() {
                var mean = 0.0
                for i in 0..<s { for j in 0..<s {
                    let dx = (Double(j) + 0.5) / Double(s) - wv.x, dy = (Double(i) + 0.5) / Double(s) - wv.y
                    let env = exp(-(dx * dx + dy * dy) / (2 * wv.sigma * wv.sigma))
                    let v = env * cos(2 * .pi * wv.frequency * (dx * cos(wv.orientation) + dy * sin(wv.orientation)) + phase)
                    g[i * s + j] = v; mean += v
                } }
                mean /= Double(s * s)
                var norm = 0.0
                for i in 0..<(s * s) { g[i] -= mean; norm += g[i] * g[i] }
                norm = max(norm.squareRoot(), 1e-12)
                let row = (2 * w + q) * s * s
                for i in 0..<(s * s) { filt[row + i] = Float(g[i] / norm) }
            }
        }
        filters = filt
    }

    /// Features per wavelet (energy, then the two linear responses with `linear`), in wavelet order.
    public var featureCount: Int { wavelets.count * (options.linear ? 3 : 1) }

    public var descriptions: [String] {
        var out: [String] = []
        for w in wavelets {
            let base = String(format: "gabor f=%g cyc/img θ=%.1f° x=%.3f y=%.3f σ=%.3f", w.frequency, w.orientation * 180 / .pi, w.x, w.y, w.sigma)
            out.append(base + " energy")
            if options.linear { out.append(base + " linear φ=0"); out.append(base + " linear φ=90°") }
        }
        return out
    }

    /// Features of images already grayscale and S × S: `images` [n, S·S] → [n, featureCount].
    public func features(images: [Float], count n: Int) -> [Float] {
        let s2 = options.size * options.size, nf = 2 * wavelets.count
        precondition(images.count == n * s2)
        var responses = [Float](repeating: 0, count: n * nf)   // (n, 2W)
        images.withUnsafeBufferPointer { pi in filters.withUnsafeBufferPointer { pf in responses.withUnsafeMutableBufferPointer { pr in
            BLAS.sgemm(transposeA: false, transposeB: true, m: n, n: nf, k: s2, alpha: 1, a: pi.baseAddress!, lda: s2,
                       b: pf.baseAddress!, ldb: s2, beta: 0, c: pr.baseAddress!, ldc: nf)
        } } }
        let per = options.linear ? 3 : 1, fc = featureCount
        let q = options.energyExponent ?? 0.5
        var out = [Float](repeating: 0, count: n * fc)
        for i in 0..<n {
            for w in 0..<wavelets.count {
                let a = responses[i * nf + 2 * w], b = responses[i * nf + 2 * w + 1]
                let e2 = a * a + b * b
                out[i * fc + w * per] = q == 0.5 ? e2.squareRoot() : (q == 1 ? e2 : Float(pow(Double(e2), q)))
                if options.linear { out[i * fc + w * per + 1] = a; out[i * fc + w * per + 2] = b }
            }
        }
        return out
    }
}
