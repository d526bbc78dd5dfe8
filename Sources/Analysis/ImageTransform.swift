// Stimulus transforms for invariance tests: a small protocol so that phase scrambling, translation,
// contrast change (and later ones) slot into the same falsification code.
//
// Shape legend: N images in a batch, C channels, H rows, W columns. Batches are [N, C, H, W]
// Float32 tensors, row-major (NCHW), as everywhere in Receptive.
import Foundation
import Tensors

/// A transform T applied to a batch of stimuli, x ↦ T(x). Randomised transforms draw every random
/// choice from `rng`, so a seed reproduces the transformed batch exactly.
public protocol ImageTransform: Sendable {
    /// A short, stable description for logs and output files, e.g. `phase-scramble(alpha=1)`.
    var name: String { get }
    /// - Parameter batch: stimuli [N, C, H, W].
    /// - Returns: transformed stimuli, same shape [N, C, H, W].
    /// - Throws: `ImageTransformError` when the batch is not rank 4 or holds non-finite values.
    func apply(_ batch: Tensor, rng: inout SeededRandom) throws -> Tensor
}

/// Problems a user's option or stimulus file can cause in a transform. Messages name the setting
/// (alpha, band, …); the command line names the option it came from.
public enum ImageTransformError: Error, CustomStringConvertible, Equatable {
    case invalidAlpha(Double)
    case invalidBand(low: Double, high: Double)
    case unparsableBand(String)
    case invalidContrastFactor(Double)
    case badShape(transform: String, expected: String, shape: [Int])
    case nonFiniteInput(transform: String)

    public var description: String {
        switch self {
        case .invalidAlpha(let a):
            return "alpha must be in [0, 1] (0 leaves the image unchanged, 1 scrambles the phase fully); got \(a)"
        case .invalidBand(let lo, let hi):
            return "band must satisfy 0 < low < high ≤ 0.5 in cycles/pixel (0.5 is the Nyquist frequency); got low = \(lo), high = \(hi)"
        case .unparsableBand(let s):
            return "band must be two numbers 'low,high' in cycles/pixel with 0 < low < high ≤ 0.5; could not read '\(s)'"
        case .invalidContrastFactor(let k):
            return "contrast factor must be finite and ≥ 0 (1 leaves the image unchanged); got \(k)"
        case .badShape(let t, let expected, let shape):
            return "\(t): expected stimuli of shape \(expected), got \(shape)"
        case .nonFiniteInput(let t):
            return "\(t): stimuli contain NaN or infinite values"
        }
    }
}

/// Checks that `batch` is [N, C, H, W] with finite values; returns (N, C, H, W).
func checkedBatchShape(_ batch: Tensor, transform: String) throws -> (n: Int, c: Int, h: Int, w: Int) {
    guard batch.rank == 4 else {
        throw ImageTransformError.badShape(transform: transform, expected: "[N, C, H, W]", shape: batch.shape)
    }
    guard batch.allFinite else { throw ImageTransformError.nonFiniteInput(transform: transform) }
    return (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
}

// MARK: - Phase scrambling

/// Phase scrambling as an `ImageTransform`: each image gets its own noise draw from `rng`.
/// See `PhaseScrambler` for the definition.
public struct PhaseScrambleTransform: ImageTransform {
    public let scrambler: PhaseScrambler

    public init(scrambler: PhaseScrambler) { self.scrambler = scrambler }

    /// - Throws: `ImageTransformError.invalidAlpha` / `.invalidBand` for options out of range.
    public init(alpha: Double = 1, band: FrequencyBand? = nil) throws {
        scrambler = try PhaseScrambler(alpha: alpha, band: band)
    }

    public var name: String {
        var s = "phase-scramble(alpha=\(scrambler.alpha)"
        if let b = scrambler.band { s += ", band=\(b.low)-\(b.high)" }
        return s + ")"
    }

    public func apply(_ batch: Tensor, rng: inout SeededRandom) throws -> Tensor {
        _ = try checkedBatchShape(batch, transform: name)
        return try scrambler.scramble(batch, rng: &rng)
    }
}

// MARK: - Translation

/// How a translated image is filled where no source pixel exists.
public enum TranslationFill: String, CaseIterable, Sendable {
    /// Circular shift: pixels leaving one side re-enter on the other. Keeps the pixel histogram and
    /// the amplitude spectrum exactly (a circular shift is a pure linear phase ramp), so only
    /// position changes — the default, and the natural companion of phase scrambling.
    case wrap
    /// Uncovered pixels are 0 (for stimuli already centred on 0).
    case zero
    /// Uncovered pixels take the image's own mean in that channel (grey-background stimuli).
    case mean
}

/// Integer translation by (dx, dy) pixels: output(y, x) = input(y − dy, x − dx), so positive dx moves
/// content right (towards larger column index) and positive dy moves it down (larger row index).
/// Deterministic; `rng` is not used.
public struct TranslateTransform: ImageTransform {
    public let dx: Int
    public let dy: Int
    public let fill: TranslationFill

    public init(dx: Int, dy: Int, fill: TranslationFill = .wrap) {
        self.dx = dx; self.dy = dy; self.fill = fill
    }

    public var name: String { "translate(dx=\(dx), dy=\(dy), fill=\(fill.rawValue))" }

    public func apply(_ batch: Tensor, rng: inout SeededRandom) throws -> Tensor {
        let (n, c, h, w) = try checkedBatchShape(batch, transform: name)
        var out = Tensor(shape: batch.shape)
        let plane = h * w
        batch.data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for p in 0..<(n * c) {
                    let base = p * plane
                    var background: Float = 0
                    if fill == .mean {
                        var s = 0.0
                        for i in 0..<plane { s += Double(src[base + i]) }
                        background = Float(s / Double(max(plane, 1)))
                    }
                    for y in 0..<h {
                        var sy = y - dy
                        if fill == .wrap { sy = ((sy % h) + h) % h }
                        for x in 0..<w {
                            var sx = x - dx
                            if fill == .wrap { sx = ((sx % w) + w) % w }
                            dst[base + y * w + x] = (sy >= 0 && sy < h && sx >= 0 && sx < w)
                                ? src[base + sy * w + sx] : background
                        }
                    }
                }
            }
        }
        return out
    }
}

// MARK: - Contrast

/// Contrast change about the mean: y = m + k·(x − m), with m the mean of each image in each channel
/// (so the mean luminance and mean colour of every image are kept, and only deviations from them
/// scale). k = 1 is the identity, k = 0 a uniform image at the mean. Values are not clipped.
/// Deterministic; `rng` is not used.
public struct ContrastTransform: ImageTransform {
    public let factor: Double

    /// - Throws: `ImageTransformError.invalidContrastFactor` unless `factor` is finite and ≥ 0.
    public init(factor: Double) throws {
        guard factor.isFinite, factor >= 0 else { throw ImageTransformError.invalidContrastFactor(factor) }
        self.factor = factor
    }

    public var name: String { "contrast(factor=\(factor))" }

    public func apply(_ batch: Tensor, rng: inout SeededRandom) throws -> Tensor {
        let (n, c, h, w) = try checkedBatchShape(batch, transform: name)
        var out = batch
        let plane = h * w
        out.data.withUnsafeMutableBufferPointer { d in
            for p in 0..<(n * c) {
                let base = p * plane
                var s = 0.0
                for i in 0..<plane { s += Double(d[base + i]) }
                let m = s / Double(max(plane, 1))
                for i in 0..<plane { d[base + i] = Float(m + factor * (Double(d[base + i]) - m)) }
            }
        }
        return out
    }
}
