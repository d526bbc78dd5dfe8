// Batched two-dimensional real-to-complex FFTs of square n × n images through FFTW3 (single
// precision), for the FFT convolution path (ConvEngine/FFTConvolution). Conventions are FFTW's
// (and numpy.fft.rfft2's): forward X[u, v] = Σ x[r, c] e^{−2πi(ur + vc)/n}, the half spectrum
// v = 0…n/2 of F = n(n/2 + 1) frequencies in row-major order, complex values as (re, im) Float
// pairs; the inverse is unnormalised (inverse(forward(x)) = n² · x). Images are stored one after
// another ([count][n][n]); spectra either the same way ([count][F], `interleaved` false) or
// frequency-major ([F][count], `interleaved` true: the count values of one frequency adjacent).
//
// Plans are made once per (size, count, layout) under a lock (FFTW's planner is not thread-safe)
// and cached for the process, with FFTW_ESTIMATE by default: its choice of algorithm depends only
// on the sizes, so every process computes the same bits (a fit resumed in a new process, or run on
// several ranks, repeats the uninterrupted one exactly). FFTW_MEASURE (`measure`) times candidate
// algorithms and may choose differently from run to run; it saved 10–30 % of a transform at the
// sizes measured (planning ≈ 0.2 s per 72 × 72 × 32 pair); executing a plan on new arrays is thread-safe, so any
// thread may call `forward` / `inverse`. Every array passed must come from `FFTBuffer` (FFTW's
// SIMD alignment, which the plans assume).
import CFFTW
import Foundation

public final class RealFFT2D: @unchecked Sendable {
    /// Side of the square transform.
    public let size: Int
    /// Transforms per call.
    public let count: Int
    /// Spectra frequency-major, [F][count] (else [count][F]).
    public let interleaved: Bool

    /// FFTW_MEASURE for plans made from now on (else FFTW_ESTIMATE, the default: reproducible
    /// across processes, see the header).
    nonisolated(unsafe) public static var measure = false
    /// Complex values per image's half spectrum: n · (n/2 + 1).
    public var spectrumCount: Int { size * (size / 2 + 1) }

    private let forwardPlan: fftwf_plan
    private let inversePlan: fftwf_plan

    private static let lock = NSLock()
    private struct Key: Hashable { var size: Int, count: Int, interleaved: Bool }
    nonisolated(unsafe) private static var cache: [Key: RealFFT2D] = [:]

    /// The cached plan pair for `count` transforms of size × size.
    public static func plan(size: Int, count: Int, interleaved: Bool = false) -> RealFFT2D {
        precondition(size > 0 && count > 0, "RealFFT2D: size and count must be positive")
        lock.lock(); defer { lock.unlock() }
        let key = Key(size: size, count: count, interleaved: interleaved)
        if let p = cache[key] { return p }
        let p = RealFFT2D(size: size, count: count, interleaved: interleaved)
        cache[key] = p
        return p
    }

    /// Called with the lock held.
    private init(size n: Int, count: Int, interleaved: Bool) {
        self.size = n; self.count = count; self.interleaved = interleaved
        let real = FFTBuffer(floats: count * n * n), spectrum = FFTBuffer(floats: count * 2 * n * (n / 2 + 1))
        var dims: [Int32] = [Int32(n), Int32(n)]
        let freq = Int32(n * (n / 2 + 1)), pixels = Int32(n * n)
        let r = real.pointer, s = Self.complex(spectrum.pointer)
        // Spectrum element (transform t, frequency q) at t·dist + q·stride.
        let stride: Int32 = interleaved ? Int32(count) : 1, dist: Int32 = interleaved ? 1 : freq
        // FFTW_NO_BUFFERING: without it FFTW chose buffered solvers for these strided batches,
        // which malloc their buffers on every execution (≈ 86 000 allocations per training step
        // of the 32×32 test encoder); the A/B on `receptive-bench train` showed no loss
        // (docs/performance.md, "Allocation per step").
        let flags = UInt32(Self.measure ? FFTW_MEASURE : FFTW_ESTIMATE) | UInt32(FFTW_NO_BUFFERING)
        forwardPlan = fftwf_plan_many_dft_r2c(2, &dims, Int32(count), r, nil, 1, pixels, s, nil, stride, dist, flags)!
        inversePlan = fftwf_plan_many_dft_c2r(2, &dims, Int32(count), s, nil, stride, dist, r, nil, 1, pixels, flags | UInt32(FFTW_DESTROY_INPUT))!
    }

    private static func complex(_ p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<fftwf_complex> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: fftwf_complex.self)
    }

    /// spectrum ([count][F] or [F][count], complex) = FFT of real [count][n][n]; real is left unchanged.
    public func forward(_ real: UnsafeMutablePointer<Float>, _ spectrum: UnsafeMutablePointer<Float>) {
        fftwf_execute_dft_r2c(forwardPlan, real, Self.complex(spectrum))
    }

    /// real [count][n][n] = n² × inverse FFT of the half spectrum; destroys `spectrum`.
    public func inverse(_ spectrum: UnsafeMutablePointer<Float>, _ real: UnsafeMutablePointer<Float>) {
        fftwf_execute_dft_c2r(inversePlan, Self.complex(spectrum), real)
    }

    /// The smallest even size ≥ n whose only prime factors are 2, 3 and 5 (FFTW's fast sizes; 7 is
    /// left out: 70 × 70 transforms measured slower than 72 × 72).
    public static func fastSize(atLeast n: Int) -> Int {
        var m = max(2, n)
        while true {
            if m % 2 == 0 {
                var r = m
                for p in [2, 3, 5] { while r % p == 0 { r /= p } }
                if r == 1 { return m }
            }
            m += 1
        }
    }
}

/// A growable Float buffer with FFTW's alignment (fftwf_malloc); contents unspecified.
public final class FFTBuffer {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var capacity: Int

    public init(floats: Int = 1) {
        capacity = max(1, floats)
        pointer = Self.allocate(capacity)
    }
    deinit { fftwf_free(pointer) }

    private static func allocate(_ n: Int) -> UnsafeMutablePointer<Float> {
        guard let p = fftwf_alloc_real(n) else { fatalError("FFTBuffer: out of memory for \(n) floats") }
        return p
    }

    /// At least `floats` floats (reallocated when larger than the current capacity).
    @discardableResult
    public func reserve(_ floats: Int) -> UnsafeMutablePointer<Float> {
        if floats > capacity {
            fftwf_free(pointer)
            capacity = floats
            pointer = Self.allocate(floats)
        }
        return pointer
    }
}
