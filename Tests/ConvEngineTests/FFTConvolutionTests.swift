import XCTest
import Tensors
import TestSupport
import ConvEngine

/// The FFT convolution path (FFTConvolution, Conv2D's `fft` algorithm) against the naive
/// definition (NaiveConvolution, Double accumulation) on every kind of geometry it accepts, a
/// finite-difference check through an FFT layer, and the selection rule.
/// Tolerance: 2e-5 × the reference's largest magnitude (float32 transforms of n ≤ 72 and channel
/// sums of ≤ 32 terms; the measured max differences are printed).
final class FFTConvolutionTests: XCTestCase {
    struct Case: CustomStringConvertible {
        var n: Int, cin: Int, cout: Int, h: Int, w: Int, k: Int, p: Int, bias = true
        var description: String { "N\(n) \(cin)→\(cout) \(h)×\(w) k\(k) p\(p)\(bias ? "" : " nobias")" }
    }

    /// Odd and even sizes, non-square images, padding 0…K−1, K 5/7/9, batch 1 and 3, channels 1…32.
    static let cases: [Case] = [
        Case(n: 1, cin: 1, cout: 1, h: 9, w: 9, k: 5, p: 0),
        Case(n: 3, cin: 2, cout: 3, h: 11, w: 10, k: 5, p: 2),
        Case(n: 3, cin: 3, cout: 2, h: 12, w: 12, k: 5, p: 4, bias: false),
        Case(n: 1, cin: 4, cout: 5, h: 13, w: 16, k: 7, p: 3),
        Case(n: 3, cin: 5, cout: 4, h: 8, w: 7, k: 7, p: 6),
        Case(n: 3, cin: 1, cout: 8, h: 10, w: 14, k: 7, p: 1, bias: false),
        Case(n: 1, cin: 6, cout: 1, h: 17, w: 15, k: 9, p: 4),
        Case(n: 3, cin: 2, cout: 3, h: 9, w: 9, k: 9, p: 0),              // kernel = image
        Case(n: 3, cin: 3, cout: 3, h: 10, w: 12, k: 9, p: 8),
        Case(n: 3, cin: 32, cout: 32, h: 12, w: 11, k: 7, p: 3),
        Case(n: 1, cin: 32, cout: 16, h: 16, w: 16, k: 5, p: 2),
        Case(n: 3, cin: 16, cout: 32, h: 14, w: 14, k: 9, p: 4, bias: false),
    ]

    override func tearDown() {
        Conv2D.algorithm = .fromEnvironment
        FFTConvolution.imagesPerBlock = 32
        Parallel.threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Forward, backward-data, backward-weights (accumulated onto a non-zero gradient) and the bias
    /// gradient of a Conv2D on the FFT path against the naive sums. Returns the largest relative error.
    @discardableResult
    func check(_ c: Case, threads: Int, imagesPerBlock: Int = 32, tolerance: Float = 2e-5) -> Float {
        Parallel.threadCount = threads
        FFTConvolution.imagesPerBlock = imagesPerBlock
        Conv2D.algorithm = .fft
        var rng = SeededRandom(seed: UInt64(c.h * 1000 + c.w * 10 + c.k + c.cin))
        let conv = Conv2D(inputChannels: c.cin, outputChannels: c.cout, kernelSize: c.k, padding: c.p, bias: c.bias, random: &rng)
        XCTAssertTrue(Conv2D.usesFFT(conv.geometry(height: c.h, width: c.w)), "\(c)")
        let label = "\(c) t\(threads) block \(imagesPerBlock)"
        let x = rng.normalTensor([c.n, c.cin, c.h, c.w])
        let y = conv.forward(x, training: true)
        let yRef = NaiveConvolution.forward(x, weight: conv.weight.value, bias: conv.bias?.value, padding: c.p)
        XCTAssertEqual(y.shape, yRef.shape, label)
        let sy = max(1, yRef.maxAbs())
        let ry = compareArrays("fft forward \(label)", y.data, yRef.data, atol: tolerance * sy)
        XCTAssertTrue(ry.ok, label)
        let dy = rng.normalTensor(y.shape)
        // A non-zero starting gradient: backward-weights must add, not overwrite.
        let start = rng.normalTensor(conv.weight.value.shape)
        conv.weight.grad = start
        conv.bias?.zeroGrad()
        let dx = conv.backward(dy)
        let dxRef = NaiveConvolution.backwardData(dy, weight: conv.weight.value, inputShape: x.shape, padding: c.p)
        let sdx = max(1, dxRef.maxAbs())
        let rdx = compareArrays("fft backward-data \(label)", dx.data, dxRef.data, atol: tolerance * sdx)
        XCTAssertTrue(rdx.ok, label)
        var dwRef = NaiveConvolution.backwardWeights(x, dOut: dy, weightShape: conv.weight.value.shape, padding: c.p)
        let sdw = max(1, dwRef.maxAbs())
        for i in 0..<dwRef.count { dwRef.data[i] += start.data[i] }
        let rdw = compareArrays("fft backward-weights \(label)", conv.weight.grad.data, dwRef.data, atol: tolerance * sdw)
        XCTAssertTrue(rdw.ok, label)
        if let b = conv.bias {
            let db = NaiveConvolution.backwardBias(dy)
            XCTAssertTrue(compareArrays("fft backward-bias \(label)", b.grad.data, db.data, atol: 1e-4 * max(1, db.maxAbs())).ok, label)
        }
        return max(ry.maxDiff / sy, rdx.maxDiff / sdx, rdw.maxDiff / sdw)
    }

    func testFFTMatchesNaive() {
        var worst: Float = 0
        for c in Self.cases { worst = max(worst, check(c, threads: 2)) }
        print("FFTConvolutionTests: largest error relative to the reference's max magnitude: \(worst)")
    }

    /// One thread; batches split into blocks of 2 (backward-weights sums spectra over blocks).
    func testFFTMatchesNaiveSingleThreadAndSmallBlocks() {
        for c in Self.cases { check(c, threads: 1, imagesPerBlock: 2) }
        for c in Self.cases where c.n == 3 { check(c, threads: 2, imagesPerBlock: 1) }
    }

    /// The filter spectra are cached between forward and backward-data: a weight update (as an
    /// optimizer step makes) and a change of image size must be seen.
    func testFilterSpectraFollowWeightsAndGeometry() {
        Conv2D.algorithm = .fft
        var rng = SeededRandom(seed: 5)
        let conv = Conv2D(inputChannels: 4, outputChannels: 3, kernelSize: 5, padding: 2, random: &rng)
        for (step, (h, w)) in [(12, 12), (12, 12), (9, 15), (16, 16)].enumerated() {
            if step > 0 { for i in 0..<conv.weight.value.count { conv.weight.value.data[i] += 0.1 * Float(step) } }
            let x = rng.normalTensor([2, 4, h, w])
            let y = conv.forward(x, training: true)
            let yRef = NaiveConvolution.forward(x, weight: conv.weight.value, bias: conv.bias?.value, padding: 2)
            XCTAssertTrue(compareArrays("cache forward step \(step)", y.data, yRef.data, atol: 2e-5 * max(1, yRef.maxAbs())).ok)
            // Backward-data alone after another weight change (no forward in between).
            conv.weight.value.data[0] -= 0.5
            let dy = rng.normalTensor(y.shape)
            let dx = conv.inputGradient(dy, inputShape: x.shape)
            let dxRef = NaiveConvolution.backwardData(dy, weight: conv.weight.value, inputShape: x.shape, padding: 2)
            XCTAssertTrue(compareArrays("cache backward-data step \(step)", dx.data, dxRef.data, atol: 2e-5 * max(1, dxRef.maxAbs())).ok)
        }
    }

    /// Central differences through a layer on the FFT path (input, weight and bias gradients).
    func testGradientCheckThroughFFTLayer() {
        Conv2D.algorithm = .fft
        var rng = SeededRandom(seed: 11)
        let conv = Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: 5, padding: 2, random: &rng)
        let x = rng.normalTensor([2, 3, 9, 8])
        let r = GradientCheck.check(conv, input: x, seed: 3)
        print("FFTConvolutionTests: \(r)")
        XCTAssertLessThan(r.maxError, 2e-3, "\(r)")
    }

    /// The direct kernels still serve every geometry `auto` sends to the FFT path when asked
    /// (`direct`), and agree with the FFT path there.
    func testDirectAndFFTAgreeOnTheBenchmarkShapes() {
        var rng = SeededRandom(seed: 21)
        for (ci, co, size, k, p) in [(32, 32, 20, 7, 3), (16, 16, 24, 5, 2)] {
            let conv = Conv2D(inputChannels: ci, outputChannels: co, kernelSize: k, padding: p, random: &rng)
            XCTAssertTrue(Conv2D.usesFFT(conv.geometry(height: size, width: size), algorithm: .auto))
            XCTAssertFalse(Conv2D.usesFFT(conv.geometry(height: size, width: size), algorithm: .direct))
            let x = rng.normalTensor([3, ci, size, size])
            var outputs: [[Float]] = []
            for a in [ConvolutionAlgorithm.direct, .fft] {
                Conv2D.algorithm = a
                conv.weight.zeroGrad()
                let y = conv.forward(x, training: true)
                let dx = conv.backward(Tensor(shape: y.shape, data: y.data.map { $0 * 0.5 }))
                outputs.append(y.data + dx.data + conv.weight.grad.data)
            }
            let scale = outputs[0].map { abs($0) }.max() ?? 1
            XCTAssertTrue(compareArrays("direct vs fft \(ci)→\(co) \(size)² k\(k)", outputs[1], outputs[0], atol: 5e-5 * scale).ok)
        }
    }

    /// The selection rule: strided, dilated, grouped, small-kernel, small-image and few-channel
    /// layers stay on the direct kernels under `auto`; `fft` takes every layer the path accepts.
    func testSelectionRule() {
        func g(_ ci: Int, _ co: Int, _ h: Int, _ k: Int, s: Int = 1, d: Int = 1, groups: Int = 1) -> ConvolutionGeometry {
            ConvolutionGeometry(inputChannels: ci, outputChannels: co, groups: groups, height: h, width: h, kernelSize: k,
                                stride: s, padding: k / 2, dilation: d)
        }
        XCTAssertTrue(Conv2D.usesFFT(g(32, 32, 64, 7), algorithm: .auto))
        XCTAssertTrue(Conv2D.usesFFT(g(32, 32, 56, 7), algorithm: .auto))
        XCTAssertFalse(Conv2D.usesFFT(g(32, 32, 64, 3), algorithm: .auto))
        XCTAssertFalse(Conv2D.usesFFT(g(32, 32, 64, 7, s: 2), algorithm: .auto))
        XCTAssertFalse(Conv2D.usesFFT(g(32, 32, 64, 7, s: 2), algorithm: .fft))
        XCTAssertFalse(Conv2D.usesFFT(g(32, 32, 64, 7, d: 2), algorithm: .fft))
        XCTAssertFalse(Conv2D.usesFFT(g(32, 32, 64, 7, groups: 2), algorithm: .fft))
        XCTAssertFalse(Conv2D.usesFFT(g(32, 32, 12, 7), algorithm: .auto))
        XCTAssertTrue(Conv2D.usesFFT(g(32, 32, 12, 3), algorithm: .fft))
        XCTAssertFalse(Conv2D.usesFFT(g(32, 32, 64, 7), algorithm: .direct))
    }

    func testTransformSizes() {
        XCTAssertEqual(RealFFT2D.fastSize(atLeast: 62), 64)
        XCTAssertEqual(RealFFT2D.fastSize(atLeast: 70), 72)
        XCTAssertEqual(RealFFT2D.fastSize(atLeast: 11), 12)
        XCTAssertEqual(RealFFT2D.fastSize(atLeast: 1), 2)
        XCTAssertEqual(RealFFT2D.fastSize(atLeast: 22), 24)
        XCTAssertEqual(RealFFT2D.fastSize(atLeast: 13), 16)
    }
}
