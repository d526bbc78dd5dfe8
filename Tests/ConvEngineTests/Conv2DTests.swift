import XCTest
import Tensors
import TestSupport
import ConvEngine

/// Fast convolution kernels against the naive definition, on many geometries.
final class Conv2DTests: XCTestCase {
    struct Case: CustomStringConvertible {
        var n: Int, cin: Int, cout: Int, h: Int, w: Int, k: Int, s: Int = 1, p: Int = 0, d: Int = 1, g: Int = 1, bias = true
        var description: String { "N\(n) \(cin)→\(cout) \(h)×\(w) k\(k) s\(s) p\(p) d\(d) g\(g)\(bias ? "" : " nobias")" }
    }

    static let cases: [Case] = [
        Case(n: 2, cin: 3, cout: 5, h: 9, w: 11, k: 3, p: 1),
        Case(n: 1, cin: 1, cout: 1, h: 5, w: 5, k: 3),
        Case(n: 3, cin: 4, cout: 8, h: 13, w: 7, k: 3, s: 2, p: 1),
        Case(n: 2, cin: 4, cout: 6, h: 10, w: 17, k: 3, s: 2, p: 0, d: 2, g: 2),
        Case(n: 2, cin: 6, cout: 9, h: 12, w: 12, k: 5, p: 2, g: 3),
        Case(n: 2, cin: 2, cout: 7, h: 8, w: 9, k: 1),
        Case(n: 2, cin: 3, cout: 4, h: 7, w: 7, k: 1, s: 2),
        Case(n: 1, cin: 5, cout: 3, h: 7, w: 7, k: 7),                   // kernel = image
        Case(n: 2, cin: 2, cout: 3, h: 6, w: 5, k: 5, p: 0),              // kernel = image width
        Case(n: 2, cin: 3, cout: 4, h: 11, w: 23, k: 4, s: 3, p: 2, d: 1, bias: false),
        Case(n: 2, cin: 2, cout: 2, h: 15, w: 14, k: 3, s: 1, p: 3, d: 3),
        Case(n: 3, cin: 1, cout: 32, h: 20, w: 19, k: 9, p: 4),
        Case(n: 2, cin: 8, cout: 8, h: 9, w: 9, k: 3, s: 2, p: 1, g: 8), // depthwise
        Case(n: 1, cin: 4, cout: 4, h: 3, w: 30, k: 3, s: 1, p: 1),
        Case(n: 2, cin: 3, cout: 5, h: 16, w: 16, k: 2, s: 2, p: 0),
        Case(n: 2, cin: 2, cout: 3, h: 9, w: 8, k: 3, s: 4, p: 2, d: 2),
        Case(n: 5, cin: 6, cout: 10, h: 8, w: 33, k: 3, s: 1, p: 5),      // padding > kernel
        Case(n: 1, cin: 16, cout: 1, h: 12, w: 12, k: 3, p: 1),
        // One input channel per group at stride 1 (row-blocked backward-data), short last row blocks:
        Case(n: 2, cin: 1, cout: 3, h: 4, w: 9, k: 3, p: 1),
        Case(n: 1, cin: 1, cout: 5, h: 7, w: 13, k: 5, p: 2, d: 1),
        Case(n: 2, cin: 4, cout: 8, h: 6, w: 5, k: 3, p: 2, d: 2, g: 4),
        Case(n: 1, cin: 3, cout: 3, h: 9, w: 17, k: 3, p: 0, g: 3, bias: false),
        // Channel counts over one 16/32-channel block of the AVX-512 tiles, and the benchmark /
        // V4 shapes at small batch (first layer k9, stride 2, 56×56 and 28×28):
        Case(n: 1, cin: 40, cout: 20, h: 13, w: 17, k: 3, p: 1),
        Case(n: 2, cin: 36, cout: 50, h: 9, w: 30, k: 3, s: 2, p: 1),
        Case(n: 2, cin: 1, cout: 32, h: 56, w: 56, k: 9, p: 4),
        Case(n: 2, cin: 32, cout: 32, h: 28, w: 28, k: 5, p: 2),
        Case(n: 2, cin: 32, cout: 32, h: 32, w: 32, k: 3, s: 2, p: 1),
        Case(n: 1, cin: 32, cout: 32, h: 20, w: 64, k: 7, p: 3),
        // Session 6. Single-channel backward-data tiles (one input channel per group, stride 1,
        // dilation 1, KH ≤ 11; 4 rows × 64 columns AVX-512, 4 × 16 AVX2): widths past one column
        // chunk and not a multiple of 16, rows not a multiple of 4, padding 0, the largest KH, an
        // even kernel with groups, KH 12 (row-blocked tile again); backward-weights' last tap tile
        // of every size (K = 1, 16, 25, 81, 121 taps: 12-tap tiles plus 1, 4, 1, 9, 1):
        Case(n: 1, cin: 1, cout: 32, h: 13, w: 70, k: 9, p: 0),
        Case(n: 3, cin: 1, cout: 7, h: 9, w: 33, k: 11, p: 5),
        Case(n: 2, cin: 1, cout: 4, h: 6, w: 10, k: 12, p: 3),
        Case(n: 2, cin: 2, cout: 6, h: 11, w: 21, k: 4, p: 2, g: 2),
        Case(n: 1, cin: 1, cout: 17, h: 5, w: 3, k: 1),
    ]

    /// The kernels this CPU can run: AVX2 always, AVX-512 when reported (else said so).
    static var instructionSets: [KernelInstructionSet] {
        if !KernelInstructionSet.avx512.isSupported { print("Conv2DTests: this CPU does not report AVX-512; AVX2 kernels only") }
        return KernelInstructionSet.allCases.filter { $0.isSupported }
    }

    /// Every case under every supported instruction set (tolerances 2e-5 × the reference's largest
    /// magnitude for forward, backward-data and backward-weights; 1e-4 for the bias gradient).
    func check(_ c: Case, threads: Int) {
        for isa in Self.instructionSets {
            print("Conv2DTests: \(isa.rawValue) kernels, \(c)")
            KernelInstructionSet.with(isa) { checkCurrentKernels(c, threads: threads) }
        }
    }

    func checkCurrentKernels(_ c: Case, threads: Int) {
        Parallel.threadCount = threads
        defer { Parallel.threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount) }
        var rng = SeededRandom(seed: UInt64(c.h * 1000 + c.w * 10 + c.k))
        let conv = Conv2D(inputChannels: c.cin, outputChannels: c.cout, kernelSize: c.k, stride: c.s, padding: c.p,
                          dilation: c.d, groups: c.g, bias: c.bias, random: &rng)
        let x = rng.normalTensor([c.n, c.cin, c.h, c.w])
        let y = conv.forward(x, training: true)
        let yRef = NaiveConvolution.forward(x, weight: conv.weight.value, bias: conv.bias?.value, stride: c.s,
                                            padding: c.p, dilation: c.d, groups: c.g)
        XCTAssertEqual(y.shape, yRef.shape, "\(c)")
        let scale = max(1, yRef.maxAbs())
        XCTAssertTrue(compareArrays("forward \(c) t\(threads)", y.data, yRef.data, atol: 2e-5 * scale).ok)
        let dy = rng.normalTensor(y.shape)
        let dx = conv.backward(dy)
        let dxRef = NaiveConvolution.backwardData(dy, weight: conv.weight.value, inputShape: x.shape, stride: c.s,
                                                  padding: c.p, dilation: c.d, groups: c.g)
        XCTAssertTrue(compareArrays("backward-data \(c) t\(threads)", dx.data, dxRef.data, atol: 2e-5 * max(1, dxRef.maxAbs())).ok)
        let dwRef = NaiveConvolution.backwardWeights(x, dOut: dy, weightShape: conv.weight.value.shape, stride: c.s,
                                                     padding: c.p, dilation: c.d, groups: c.g)
        XCTAssertTrue(compareArrays("backward-weights \(c) t\(threads)", conv.weight.grad.data, dwRef.data,
                                    atol: 2e-5 * max(1, dwRef.maxAbs())).ok)
        if let b = conv.bias {
            XCTAssertTrue(compareArrays("backward-bias \(c)", b.grad.data, NaiveConvolution.backwardBias(dy).data, atol: 1e-4).ok)
        }
    }

    func testFastMatchesNaive() {
        for c in Self.cases { check(c, threads: 2) }
    }

    /// One layer reused with alternating batch sizes (row split for N < threads, image split
    /// otherwise) and image sizes: reused scratch borders must be zero for every path.
    func testScratchReuseAcrossBatchAndImageSizes() {
        for isa in Self.instructionSets { KernelInstructionSet.with(isa) { scratchReuse() } }
    }

    func scratchReuse() {
        var rng = SeededRandom(seed: 99)
        for (k, s, p, cin) in [(3, 1, 1, 3), (3, 2, 1, 3), (5, 1, 2, 1), (3, 1, 1, 1)] {
            let conv = Conv2D(inputChannels: cin, outputChannels: 5, kernelSize: k, stride: s, padding: p, random: &rng)
            for (n, h, w) in [(1, 9, 10), (3, 9, 10), (1, 9, 10), (2, 7, 12), (1, 9, 10), (4, 9, 10)] {
                let x = rng.normalTensor([n, cin, h, w])
                let y = conv.forward(x, training: true)
                let yRef = NaiveConvolution.forward(x, weight: conv.weight.value, bias: conv.bias?.value, stride: s, padding: p)
                XCTAssertTrue(compareArrays("reuse forward k\(k) s\(s) N\(n) \(h)×\(w)", y.data, yRef.data, atol: 1e-4).ok)
                let dy = rng.normalTensor(y.shape)
                conv.weight.zeroGrad()
                let dx = conv.backward(dy)
                let dxRef = NaiveConvolution.backwardData(dy, weight: conv.weight.value, inputShape: x.shape, stride: s, padding: p)
                XCTAssertTrue(compareArrays("reuse backward-data k\(k) s\(s) N\(n)", dx.data, dxRef.data, atol: 1e-4).ok)
                let dwRef = NaiveConvolution.backwardWeights(x, dOut: dy, weightShape: conv.weight.value.shape, stride: s, padding: p)
                XCTAssertTrue(compareArrays("reuse backward-weights k\(k) s\(s) N\(n)", conv.weight.grad.data, dwRef.data, atol: 1e-3).ok)
            }
        }
    }

    func testFastMatchesNaiveSingleThreadAndBatchOfOne() {
        for c in Self.cases { check(c, threads: 1) }
        for var c in Self.cases.prefix(6) { c.n = 1; check(c, threads: 2) }
    }

    /// The bias gradient that backward-weights sums while it transposes dY (whole images, blocks
    /// on 8-pixel boundaries) is bit for bit the separate pass's: per channel and image, four
    /// 8-lane float accumulators over 32-pixel steps, their 32 lanes then the leftover pixels summed
    /// in double, rounded to float and added to the thread's float accumulator. Written out here in
    /// scalar Swift. Geometries: blocks on 8-pixel boundaries (64×64 k9 first layer; 16×16 with 20
    /// channels, a 4-channel tail; 13×24, 24 leftover pixels; groups of 6 channels, all tail) and
    /// not (31×29, 13×13); one thread, so one accumulator sums the images in order.
    func testBiasGradientBitIdenticalToSeparateSum() {
        let geometries = [
            ConvolutionGeometry(inputChannels: 1, outputChannels: 32, height: 64, width: 64, kernelSize: 9, padding: 4),
            ConvolutionGeometry(inputChannels: 1, outputChannels: 20, height: 16, width: 16, kernelSize: 3, padding: 1),
            ConvolutionGeometry(inputChannels: 2, outputChannels: 20, height: 13, width: 24, kernelSize: 3, padding: 1),
            ConvolutionGeometry(inputChannels: 4, outputChannels: 12, groups: 2, height: 20, width: 20, kernelSize: 3, padding: 1),
            ConvolutionGeometry(inputChannels: 3, outputChannels: 20, height: 31, width: 29, kernelSize: 5, padding: 2),
            ConvolutionGeometry(inputChannels: 1, outputChannels: 35, height: 13, width: 13, kernelSize: 3, padding: 1),
        ]
        let savedThreads = Parallel.threadCount
        Parallel.threadCount = 1
        defer { Parallel.threadCount = savedThreads }
        for isa in Self.instructionSets {
            KernelInstructionSet.with(isa) {
                for (gi, g) in geometries.enumerated() {
                    var rng = SeededRandom(seed: UInt64(40 + gi))
                    let n = 3, pixels = g.outputHeight * g.outputWidth, co = g.outputChannels
                    let x = rng.normalTensor([n, g.inputChannels, g.height, g.width])
                    // Magnitudes growing along the row, so that the order of additions shows.
                    var dy = rng.normalTensor([n, co, g.outputHeight, g.outputWidth])
                    for i in 0..<dy.count { dy.data[i] *= Float(1 + i % 97) }
                    let w = g.outputChannels * (g.inputChannels / g.groups) * g.kernelSize * g.kernelSize
                    var dW = [Float](repeating: 0, count: w)
                    var dBias = (0..<co).map { Float($0) * 0.25 }
                    let initial = dBias
                    x.data.withUnsafeBufferPointer { xb in dy.data.withUnsafeBufferPointer { yb in
                        FastConvolution().backwardWeights(g, batch: n, x: xb.baseAddress!, dy: yb.baseAddress!,
                                                          dWeight: &dW, dBias: &dBias)
                    } }
                    var accumulator = [Float](repeating: 0, count: co)
                    for i in 0..<n {
                        for c in 0..<co {
                            let row = (i * co + c) * pixels
                            var lanes = [Float](repeating: 0, count: 32)
                            var j = 0
                            while j + 32 <= pixels {
                                for l in 0..<32 { lanes[l] += dy.data[row + j + l] }
                                j += 32
                            }
                            var sum = 0.0
                            for l in 0..<32 { sum += Double(lanes[l]) }
                            while j < pixels { sum += Double(dy.data[row + j]); j += 1 }
                            accumulator[c] += Float(sum)
                        }
                    }
                    let expected = (0..<co).map { initial[$0] + accumulator[$0] }
                    let differing = (0..<co).filter { dBias[$0].bitPattern != expected[$0].bitPattern }.count
                    let maxDiff = zip(dBias, expected).map { abs($0 - $1) }.max() ?? 0
                    print("Conv2DTests: \(isa.rawValue) bias gradient \(g.outputHeight)×\(g.outputWidth) \(co) channels: " +
                          "\(differing) of \(co) differ in bits, max difference \(maxDiff)")
                    XCTAssertEqual(differing, 0, "\(isa.rawValue) geometry \(gi)")
                }
            }
        }
    }
}
