// Phase scrambling and the image-transform protocol: spectrum/mean preservation, realness,
// Nyquist handling, band limits, colour, reproducibility, the numpy reference, option errors.
import Foundation
import XCTest
import Tensors
import TestSupport
import Analysis

final class PhaseScrambleTests: XCTestCase {

    /// Channel `c` of image `n` of a [N, C, H, W] tensor as Doubles.
    private func channel(_ t: Tensor, _ n: Int, _ c: Int) -> [Double] {
        let h = t.shape[2], w = t.shape[3]
        let base = (n * t.shape[1] + c) * h * w
        return t.data[base..<(base + h * w)].map(Double.init)
    }

    private func amplitudes(_ z: ComplexImage) -> [Double] { (0..<z.re.count).map { z.magnitude($0) } }

    // MARK: spectrum, mean, realness

    func testAmplitudeSpectrumAndMeanPreserved() throws {
        var rng = SeededRandom(seed: 1)
        for (c, h, w) in [(3, 32, 40), (1, 31, 27), (2, 16, 15)] {
            let x = rng.uniformTensor([2, c, h, w], 0, 1)
            for alpha in [1.0, 0.6] {
                var noiseRng = SeededRandom(seed: 99)
                let y = try PhaseScrambler(alpha: alpha).scramble(x, rng: &noiseRng)
                XCTAssertEqual(y.shape, x.shape)
                let dft = DFT2D(height: h, width: w)
                var worstAmp = 0.0, worstMean = 0.0
                for n in 0..<2 { for ch in 0..<c {
                    let a = amplitudes(dft.forward(channel(x, n, ch)))
                    let b = amplitudes(dft.forward(channel(y, n, ch)))
                    let peak = a.max()!
                    for k in 0..<a.count { worstAmp = max(worstAmp, abs(a[k] - b[k]) / peak) }
                    let mx = channel(x, n, ch).reduce(0, +) / Double(h * w)
                    let my = channel(y, n, ch).reduce(0, +) / Double(h * w)
                    worstMean = max(worstMean, abs(mx - my) / abs(mx))
                } }
                print("[phase scramble \(c)×\(h)×\(w) α=\(alpha)] max |ΔA|/max A = \(worstAmp), max relative mean change = \(worstMean)")
                XCTAssertLessThan(worstAmp, 1e-6, "amplitude spectrum changed beyond float precision")
                XCTAssertLessThan(worstMean, 1e-6, "mean changed beyond float precision")
            }
        }
    }

    func testDoublePathIsRealAndKeepsSpectrumExactly() throws {
        var rng = SeededRandom(seed: 2)
        for (h, w) in [(8, 8), (9, 7), (10, 13), (64, 48), (33, 33)] {
            for alpha in [1.0, 0.37] {
                let dft = DFT2D(height: h, width: w)
                let noise = (0..<(h * w)).map { _ in rng.normal() }
                let x = (0..<(h * w)).map { _ in rng.uniform() }
                let rot = try PhaseScrambler(alpha: alpha).rotation(noise: noise, dft: dft)
                let (y, maxImaginary) = PhaseScrambler.apply(rot, to: x, dft: dft)
                let a = amplitudes(dft.forward(x)), b = amplitudes(dft.forward(y))
                let peak = a.max()!
                var worst = 0.0
                for k in 0..<a.count { worst = max(worst, abs(a[k] - b[k]) / peak) }
                print("[phase scramble double \(h)×\(w) α=\(alpha)] max imaginary part = \(maxImaginary), max |ΔA|/max A = \(worst)")
                XCTAssertLessThan(maxImaginary, 1e-12)
                XCTAssertLessThan(worst, 1e-12)
                // Factors are unit complex numbers with exact conjugate symmetry.
                for u in 0..<h { for v in 0..<w {
                    let k = u * w + v, p = ((h - u) % h) * w + (w - v) % w
                    XCTAssertEqual(rot.cos[k], rot.cos[p]); XCTAssertEqual(rot.sin[k], -rot.sin[p])
                    XCTAssertEqual(rot.cos[k] * rot.cos[k] + rot.sin[k] * rot.sin[k], 1, accuracy: 1e-15)
                } }
            }
        }
    }

    // MARK: Nyquist

    func testNyquistRowsAndColumnsForEvenAndOddSizes() throws {
        var rng = SeededRandom(seed: 3)
        for (h, w) in [(8, 8), (8, 7), (7, 8), (7, 9)] {
            let dft = DFT2D(height: h, width: w)
            let noise = (0..<(h * w)).map { _ in rng.normal() }
            let zNoise = dft.forward(noise)
            for alpha in [1.0, 0.5] {
                let rot = try PhaseScrambler(alpha: alpha).rotation(noise: noise, dft: dft)
                var selfConjugate = 0, nyquistScrambled = 0, nyquistTotal = 0
                for u in 0..<h { for v in 0..<w {
                    let k = u * w + v
                    let isSelf = (2 * u) % h == 0 && (2 * v) % w == 0
                    if isSelf {
                        selfConjugate += 1
                        XCTAssertEqual(rot.sin[k], 0, "self-conjugate coefficient must stay real")
                        if k == 0 || alpha != 1 {
                            XCTAssertEqual(rot.cos[k], 1, "DC, and Nyquist points for α < 1, are unchanged")
                        } else {
                            XCTAssertEqual(rot.cos[k], zNoise.re[k] < 0 ? -1 : 1, "Nyquist point takes the noise sign at α = 1")
                        }
                    } else if (h % 2 == 0 && u == h / 2) || (w % 2 == 0 && v == w / 2) {
                        nyquistTotal += 1
                        if abs(rot.sin[k]) > 1e-9 { nyquistScrambled += 1 }
                        // The factor is exactly the design's exp(iαψ).
                        let expected = alpha * atan2(zNoise.im[k], zNoise.re[k])
                        let partner = ((h - u) % h) * w + (w - v) % w
                        if partner > k {
                            XCTAssertEqual(rot.cos[k], cos(expected), accuracy: 1e-15)
                            XCTAssertEqual(rot.sin[k], sin(expected), accuracy: 1e-15)
                        }
                    }
                } }
                let expectedSelf = (h % 2 == 0 ? 2 : 1) * (w % 2 == 0 ? 2 : 1)
                XCTAssertEqual(selfConjugate, expectedSelf)
                XCTAssertEqual(nyquistScrambled, nyquistTotal, "\(h)×\(w): every non-self-conjugate Nyquist coefficient is scrambled")
                // Realness and amplitudes through the whole path, including the Nyquist row/column.
                let x = (0..<(h * w)).map { _ in rng.normal() }
                let (y, maxImaginary) = PhaseScrambler.apply(rot, to: x, dft: dft)
                let a = amplitudes(dft.forward(x)), b = amplitudes(dft.forward(y))
                var worst = 0.0
                for k in 0..<a.count { worst = max(worst, abs(a[k] - b[k])) }
                print("[nyquist \(h)×\(w) α=\(alpha)] max imaginary = \(maxImaginary), max |ΔA| = \(worst), Nyquist coefficients scrambled \(nyquistScrambled)/\(nyquistTotal)")
                XCTAssertLessThan(maxImaginary, 1e-12)
                XCTAssertLessThan(worst, 1e-12)
            }
        }
    }

    // MARK: strength

    func testAlphaZeroIsIdentity() throws {
        var rng = SeededRandom(seed: 4)
        let x = rng.uniformTensor([3, 2, 17, 20], -1, 1)
        var noiseRng = SeededRandom(seed: 5)
        let y = try PhaseScrambler(alpha: 0).scramble(x, rng: &noiseRng)
        let r = compareArrays("α = 0 identity", y.data, x.data, atol: 1e-6)
        XCTAssertTrue(r.ok)
    }

    /// With uniform noise phase ψ, E[cos(αψ)] = sin(απ)/(απ): the correlation between a white-noise
    /// image and its scramble. This checks that scrambling happens, and how strongly.
    func testCorrelationWithOriginalFollowsAlpha() throws {
        var rng = SeededRandom(seed: 6)
        let x = rng.normalTensor([1, 1, 96, 96])
        for alpha in [1.0, 0.75, 0.5, 0.3] {
            var noiseRng = SeededRandom(seed: 7)
            let y = try PhaseScrambler(alpha: alpha).scramble(x, rng: &noiseRng)
            let a = x.data.map(Double.init), b = y.data.map(Double.init)
            let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
            var sab = 0.0, saa = 0.0, sbb = 0.0
            for i in 0..<a.count { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
            let corr = sab / (saa * sbb).squareRoot()
            let expected = sin(alpha * .pi) / (alpha * .pi)
            print("[phase scramble α=\(alpha)] correlation with original \(corr), expected \(expected)")
            XCTAssertEqual(corr, expected, accuracy: 0.05)
        }
    }

    // MARK: band

    func testBandLimitedScrambleLeavesOutsideBandUnchanged() throws {
        var rng = SeededRandom(seed: 8)
        let (h, w) = (24, 30)
        let x = rng.uniformTensor([1, 1, h, w], 0, 1)
        let band = try FrequencyBand(low: 0.1, high: 0.25)
        var noiseRng = SeededRandom(seed: 9)
        let y = try PhaseScrambler(alpha: 1, band: band).scramble(x, rng: &noiseRng)
        let dft = DFT2D(height: h, width: w)
        let fx = dft.forward(channel(x, 0, 0)), fy = dft.forward(channel(y, 0, 0))
        let peak = amplitudes(fx).max()!
        var outsideWorst = 0.0, inside = 0, insideChanged = 0
        for u in 0..<h { for v in 0..<w {
            let k = u * w + v
            let rho = (pow(DFT2D.frequency(u, h), 2) + pow(DFT2D.frequency(v, w), 2)).squareRoot()
            let d = hypot(fx.re[k] - fy.re[k], fx.im[k] - fy.im[k]) / peak
            if band.contains(rho) {
                inside += 1
                if d > 1e-3 { insideChanged += 1 }
            } else {
                outsideWorst = max(outsideWorst, d)
            }
        } }
        print("[band 0.1–0.25] outside band: max |ΔF|/max|F| = \(outsideWorst); inside: \(insideChanged)/\(inside) coefficients changed")
        XCTAssertLessThan(outsideWorst, 1e-6)
        XCTAssertGreaterThan(Double(insideChanged), 0.9 * Double(inside))
    }

    // MARK: reproducibility and colour

    func testSameSeedSameOutputAndDifferentSeedDifferentOutput() throws {
        var rng = SeededRandom(seed: 10)
        let x = rng.uniformTensor([2, 3, 12, 12], 0, 1)
        let s = try PhaseScrambler(alpha: 0.8)
        var r1 = SeededRandom(seed: 42), r2 = SeededRandom(seed: 42), r3 = SeededRandom(seed: 43)
        let a = try s.scramble(x, rng: &r1), b = try s.scramble(x, rng: &r2), c = try s.scramble(x, rng: &r3)
        XCTAssertEqual(a, b)
        XCTAssertGreaterThan(Tensor.maxAbsDifference(a, c), 0.01)
        // A single [C, H, W] image equals the first item of the batch with the same stream.
        var r4 = SeededRandom(seed: 42)
        let single = try s.scramble(x.slice(0..<1).reshaped([3, 12, 12]), rng: &r4)
        XCTAssertEqual(single.shape, [3, 12, 12])
        XCTAssertEqual(single.data, Array(a.data[0..<(3 * 144)]))
    }

    func testColourChannelsShareOneNoisePhase() throws {
        var rng = SeededRandom(seed: 11)
        let (h, w) = (20, 22)
        let x = rng.uniformTensor([1, 3, h, w], 0, 1)
        var noiseRng = SeededRandom(seed: 12)
        let y = try PhaseScrambler(alpha: 1).scramble(x, rng: &noiseRng)
        let dft = DFT2D(height: h, width: w)
        let fx = (0..<3).map { dft.forward(channel(x, 0, $0)) }, fy = (0..<3).map { dft.forward(channel(y, 0, $0)) }
        var worst = 0.0, checked = 0
        for k in 1..<(h * w) {
            // Only coefficients well above float noise have a meaningful phase.
            guard (0..<3).allSatisfy({ fx[$0].magnitude(k) > 1e-2 }) else { continue }
            for c in 1..<3 {
                let before = fx[c].phase(k) - fx[0].phase(k), after = fy[c].phase(k) - fy[0].phase(k)
                let d = abs(remainder(after - before, 2 * .pi))
                worst = max(worst, d); checked += 1
            }
        }
        // And the phases themselves did change.
        var changed = 0
        for k in 1..<(h * w) where fx[0].magnitude(k) > 1e-2 { if abs(remainder(fy[0].phase(k) - fx[0].phase(k), 2 * .pi)) > 1e-2 { changed += 1 } }
        print("[colour] max change of inter-channel phase difference = \(worst) rad over \(checked) pairs; \(changed) phases of channel 0 changed")
        XCTAssertLessThan(worst, 1e-4)
        XCTAssertGreaterThan(changed, h * w / 2)
    }

    // MARK: numpy reference

    func testMatchesNumpyReference() throws {
        let file = try HDF5File.open(TestPaths.fixture("scipy_phase_scramble.h5"))
        defer { file.close() }
        let cases = file.children(of: "/")
        XCTAssertEqual(cases.count, 8)
        for name in cases {
            let image = try file.readDoubles("/\(name)/image"), noise = try file.readDoubles("/\(name)/noise")
            let expected = try file.readDoubles("/\(name)/output")
            let alpha = try XCTUnwrap(try file.doubleAttribute("alpha", at: "/\(name)"))
            let lo = try XCTUnwrap(try file.doubleAttribute("band_low", at: "/\(name)"))
            let hi = try XCTUnwrap(try file.doubleAttribute("band_high", at: "/\(name)"))
            let (c, h, w) = (image.shape[0], image.shape[1], image.shape[2])
            let scrambler = try PhaseScrambler(alpha: alpha, band: hi > 0 ? FrequencyBand(low: lo, high: hi) : nil)
            let dft = DFT2D(height: h, width: w)
            let rot = scrambler.rotation(noise: noise.values, dft: dft)
            var out: [Double] = []
            for ch in 0..<c { out += PhaseScrambler.apply(rot, to: Array(image.values[(ch * h * w)..<((ch + 1) * h * w)]), dft: dft).image }
            XCTAssertTrue(compareArrays("numpy phase scramble \(name) (\(c)×\(h)×\(w), α=\(alpha))", out, expected.values, atol: 1e-10).ok)
        }
    }

    // MARK: option errors

    func testInvalidOptionsAreTypedErrors() {
        for a in [-0.1, 1.5, Double.nan, .infinity] {
            XCTAssertThrowsError(try PhaseScrambler(alpha: a)) { e in
                guard case ImageTransformError.invalidAlpha = e else { return XCTFail("\(e)") }
                XCTAssertTrue("\(e)".hasPrefix("alpha must be in [0, 1]"), "\(e)")
            }
        }
        for (lo, hi) in [(0.0, 0.2), (0.3, 0.2), (0.2, 0.2), (0.1, 0.6), (-0.1, 0.3)] {
            XCTAssertThrowsError(try FrequencyBand(low: lo, high: hi)) { e in
                XCTAssertEqual(e as? ImageTransformError, .invalidBand(low: lo, high: hi))
                XCTAssertTrue("\(e)".hasPrefix("band must satisfy"), "\(e)")
            }
        }
        XCTAssertEqual(try FrequencyBand(parsing: " 0.05, 0.2"), try FrequencyBand(low: 0.05, high: 0.2))
        for s in ["abc", "0.1", "0.1,0.2,0.3", "0.1;0.2", ""] {
            XCTAssertThrowsError(try FrequencyBand(parsing: s)) { e in XCTAssertEqual(e as? ImageTransformError, .unparsableBand(s)) }
        }
        XCTAssertThrowsError(try FrequencyBand(parsing: "0.3,0.1")) { e in XCTAssertEqual(e as? ImageTransformError, .invalidBand(low: 0.3, high: 0.1)) }
        var rng = SeededRandom(seed: 0)
        XCTAssertThrowsError(try PhaseScrambler().scramble(Tensor(shape: [4, 4]), rng: &rng)) { e in
            guard case ImageTransformError.badShape = e else { return XCTFail("\(e)") }
        }
        var bad = Tensor(shape: [1, 4, 4]); bad.data[3] = .nan
        XCTAssertThrowsError(try PhaseScrambler().scramble(bad, rng: &rng)) { e in
            XCTAssertEqual(e as? ImageTransformError, .nonFiniteInput(transform: "phase scramble"))
        }
        XCTAssertThrowsError(try ContrastTransform(factor: -1)) { e in XCTAssertEqual(e as? ImageTransformError, .invalidContrastFactor(-1)) }
        XCTAssertThrowsError(try TranslateTransform(dx: 1, dy: 0).apply(Tensor(shape: [2, 4, 4]), rng: &rng)) { e in
            guard case ImageTransformError.badShape = e else { return XCTFail("\(e)") }
        }
    }

    // MARK: other transforms

    func testTranslateTransform() throws {
        var rng = SeededRandom(seed: 13)
        let (h, w) = (5, 7)
        let x = rng.uniformTensor([2, 2, h, w], 1, 2)
        let wrap = try TranslateTransform(dx: 2, dy: -1).apply(x, rng: &rng)
        let zero = try TranslateTransform(dx: 2, dy: -1, fill: .zero).apply(x, rng: &rng)
        let mean = try TranslateTransform(dx: 2, dy: -1, fill: .mean).apply(x, rng: &rng)
        for n in 0..<2 { for c in 0..<2 {
            let m = Float(channel(x, n, c).reduce(0, +) / Double(h * w))
            for y in 0..<h { for xx in 0..<w {
                let sy = y + 1, sx = xx - 2
                XCTAssertEqual(wrap[n, c, y, xx], x[n, c, (sy + h) % h, (sx + w) % w])
                let inside = sy < h && sx >= 0
                XCTAssertEqual(zero[n, c, y, xx], inside ? x[n, c, sy, sx] : 0)
                XCTAssertEqual(mean[n, c, y, xx], inside ? x[n, c, sy, sx] : m, accuracy: 1e-6)
            } }
        } }
        // Wrap is invertible and keeps the amplitude spectrum.
        let back = try TranslateTransform(dx: -2, dy: 1).apply(wrap, rng: &rng)
        XCTAssertEqual(back, x)
        XCTAssertEqual(TranslateTransform(dx: 2, dy: -1).name, "translate(dx=2, dy=-1, fill=wrap)")
    }

    func testContrastTransform() throws {
        var rng = SeededRandom(seed: 14)
        let x = rng.uniformTensor([2, 3, 6, 5], 0, 1)
        for k in [0.0, 0.5, 1.0, 2.0] {
            let y = try ContrastTransform(factor: k).apply(x, rng: &rng)
            for n in 0..<2 { for c in 0..<3 {
                let a = channel(x, n, c), b = channel(y, n, c)
                let ma = a.reduce(0, +) / 30, mb = b.reduce(0, +) / 30
                XCTAssertEqual(ma, mb, accuracy: 1e-6)
                for i in 0..<30 { XCTAssertEqual(b[i] - mb, k * (a[i] - ma), accuracy: 1e-6) }
            } }
        }
    }

    func testPhaseScrambleTransformMatchesScrambler() throws {
        var rng = SeededRandom(seed: 15)
        let x = rng.uniformTensor([2, 1, 10, 10], 0, 1)
        let t: any ImageTransform = try PhaseScrambleTransform(alpha: 0.5, band: FrequencyBand(low: 0.1, high: 0.4))
        XCTAssertEqual(t.name, "phase-scramble(alpha=0.5, band=0.1-0.4)")
        var r1 = SeededRandom(seed: 1), r2 = SeededRandom(seed: 1)
        let a = try t.apply(x, rng: &r1)
        let b = try PhaseScrambler(alpha: 0.5, band: FrequencyBand(low: 0.1, high: 0.4)).scramble(x, rng: &r2)
        XCTAssertEqual(a, b)
    }
}
