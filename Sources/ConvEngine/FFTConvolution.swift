// The FFT convolution path for stride-1, dilation-1, ungrouped layers with large kernels (the 7×7
// layers of stacked3): forward, backward-data and backward-weights as products of spectra.
//
// With xp the zero-padded input (extent L = H + 2P) placed in an n × n array, n ≥ L an FFT-friendly
// size (RealFFT2D.fastSize), and w, dy placed at the origin of n × n arrays, the circular sums
// below never wrap for the indices kept (o + k ≤ L − 1 < n), so they equal the linear ones:
//
//   forward           y[o]  = Σ_k w[k] xp[o + k]      ⇔  Y  = conj(W) · XP      (crop o < OH)
//   backward-data     dxp[j] = Σ_o dy[o] w[j − o]     ⇔  DXP = W · DY           (crop j − P < H)
//   backward-weights  dw[k] = Σ_o dy[o] xp[o + k]     ⇔  DW = conj(DY) · XP      (crop k < K)
//
// per frequency f, with the channel sums as complex matrix products (cgemm, one per frequency on a
// [frequency][image][channel] layout, so that each image's spectra are scattered in runs of C
// contiguous values): Y_f = X_f W_fᴴ, DXP_f = DY_f W_f, DW_f = DY_fᴴ X_f ([image × channel]
// operands), where W_f [Co × Ci] is computed once per forward and reused by
// backward-data while the weights are unchanged. Images are processed in blocks of
// `imagesPerBlock` (spectra of one block: channels × n(n/2 + 1) × block complex values per tensor).
//
// Threads (Parallel): transforms over the images of a block, products over frequencies. Scratch
// is owned here and reused; one FFTConvolution serves one layer from one thread at a time.
// Shapes as FastConvolution: x [N, Ci, H, W], y / dY [N, Co, OH, OW], w / dW [Co, Ci, K, K].
import Foundation
import Tensors

public final class FFTConvolution {
    public init() {}

    /// Images transformed and mixed together (bounds the spectra's memory).
    nonisolated(unsafe) public static var imagesPerBlock = 32

    /// Whether this path computes `g`: stride 1, dilation 1, one group.
    public static func accepts(_ g: ConvolutionGeometry) -> Bool {
        g.stride == 1 && g.dilation == 1 && g.groups == 1 && g.outputHeight > 0 && g.outputWidth > 0
    }

    /// Side n of the square transforms for `g`: the smallest FFT-friendly size ≥ max(H, W) + 2P.
    public static func transformSize(_ g: ConvolutionGeometry) -> Int {
        RealFFT2D.fastSize(atLeast: max(g.height, g.width) + 2 * g.padding)
    }

    // Filter spectra W/n² (the inverse transform's 1/n² folded in), [F][Co][Ci], and the weights
    // and geometry they were made from. The forward pass reads them conjugate-transposed (cgemm).
    private let filterSpectra = FFTBuffer()
    private var filterWeights: [Float] = []
    private var filterGeometry: ConvolutionGeometry?
    // Block spectra [F][block][C] of the operand and of the result; dW spectra [F][Co][Ci].
    private let operandSpectra = FFTBuffer(), resultSpectra = FFTBuffer(), weightGradientSpectra = FFTBuffer()
    // Per thread: a real [C][n][n] image stack and its half spectra [F][C].
    private var realScratch: [FFTBuffer] = [], spectrumScratch: [FFTBuffer] = []
    // Their pointers for the call at hand (refilled in place: no array per call).
    private var realPointers: [UnsafeMutablePointer<Float>] = [], spectrumPointers: [UnsafeMutablePointer<Float>] = []

    private func threadBuffers(_ threads: Int, channels: Int, n: Int) -> (real: [UnsafeMutablePointer<Float>], spectrum: [UnsafeMutablePointer<Float>]) {
        while realScratch.count < threads { realScratch.append(FFTBuffer()); spectrumScratch.append(FFTBuffer()) }
        let f = n * (n / 2 + 1)
        realPointers.removeAll(keepingCapacity: true); spectrumPointers.removeAll(keepingCapacity: true)
        for t in 0..<threads {
            realPointers.append(realScratch[t].reserve(channels * n * n))
            spectrumPointers.append(spectrumScratch[t].reserve(channels * 2 * f))
        }
        return (realPointers, spectrumPointers)
    }

    /// Drops the cached filter spectra (the next forward or backward-data transforms the weights
    /// again, as after an optimizer step); for benchmarks.
    public func forgetFilterSpectra() { filterGeometry = nil; filterWeights = [] }

    /// Makes W = FFT(w) [F][Co][Ci] unless it is already that of these weights.
    private func prepareFilters(_ g: ConvolutionGeometry, weight: UnsafePointer<Float>) {
        let co = g.outputChannels, ci = g.inputChannels, k = g.kernelSize
        let wCount = co * ci * k * k
        if filterGeometry == g && filterWeights.count == wCount
            && filterWeights.withUnsafeBufferPointer({ memcmp($0.baseAddress!, weight, wCount * 4) == 0 }) { return }
        let n = Self.transformSize(g), f = n * (n / 2 + 1)
        let plan = RealFFT2D.plan(size: n, count: ci, interleaved: true)
        let scale = 1 / Float(n * n)
        let wf = filterSpectra.reserve(f * co * ci * 2)
        let threads = min(Parallel.threadCount, co)
        let bufs = threadBuffers(threads, channels: ci, n: n)
        Parallel.forEachChunk(co) { chunk, outs in
            let real = bufs.real[chunk], spec = bufs.spectrum[chunk]
            for o in outs {
                real.initialize(repeating: 0, count: ci * n * n)
                for c in 0..<ci { for r in 0..<k { for s in 0..<k {
                    real[(c * n + r) * n + s] = weight[((o * ci + c) * k + r) * k + s]
                } } }
                plan.forward(real, spec)
                for q in 0..<f {
                    let d = wf + (q * co + o) * ci * 2, src = spec + q * ci * 2
                    for v in 0..<(2 * ci) { d[v] = src[v] * scale }
                }
            }
        }
        // Remember the weights in place (a new array per call would be an allocation per step).
        if filterWeights.count != wCount { filterWeights = [Float](repeating: 0, count: wCount) }
        filterWeights.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: weight, count: wCount) }
        filterGeometry = g
    }

    /// Transforms `channels` planes of each image of the block into `spectra` [F][block][channels]:
    /// plane (image i, channel c) is `source(i, c)`, `rows` × `cols` floats (row stride `cols`),
    /// placed at (offset, offset) of an n × n zero array.
    private func transformBlock(n: Int, channels: Int, images: Range<Int>, spectra: UnsafeMutablePointer<Float>,
                                rows: Int, cols: Int, offset: Int, source: (Int, Int) -> UnsafePointer<Float>) {
        let f = n * (n / 2 + 1), block = images.count
        let plan = RealFFT2D.plan(size: n, count: channels, interleaved: true)
        let bufs = threadBuffers(min(Parallel.threadCount, block), channels: channels, n: n)
        Parallel.forEachChunk(block) { chunk, js in
            let real = bufs.real[chunk], spec = bufs.spectrum[chunk]
            for j in js {
                real.initialize(repeating: 0, count: channels * n * n)
                for c in 0..<channels {
                    let src = source(images.lowerBound + j, c)
                    for r in 0..<rows {
                        (real + (c * n + r + offset) * n + offset).update(from: src + r * cols, count: cols)
                    }
                }
                plan.forward(real, spec)
                for q in 0..<f { (spectra + (q * block + j) * channels * 2).update(from: spec + q * channels * 2, count: channels * 2) }
            }
        }
    }

    /// Inverse transforms of `spectra` [F][block][channels]; `sink(i, c, plane)` receives the n × n
    /// real plane of image i, channel c (unnormalised: the filters carry the 1/n²).
    private func inverseBlock(n: Int, channels: Int, images: Range<Int>, spectra: UnsafePointer<Float>,
                              sink: (Int, Int, UnsafePointer<Float>) -> Void) {
        let f = n * (n / 2 + 1), block = images.count
        let plan = RealFFT2D.plan(size: n, count: channels, interleaved: true)
        let bufs = threadBuffers(min(Parallel.threadCount, block), channels: channels, n: n)
        Parallel.forEachChunk(block) { chunk, js in
            let real = bufs.real[chunk], spec = bufs.spectrum[chunk]
            for j in js {
                for q in 0..<f { (spec + q * channels * 2).update(from: spectra + (q * block + j) * channels * 2, count: channels * 2) }
                plan.inverse(spec, real)
                for c in 0..<channels { sink(images.lowerBound + j, c, real + c * n * n) }
            }
        }
    }

    /// For each frequency of a block: c_f = op(a_f) · b_f (cgemm), frequencies split over threads.
    private static func mix(frequencies f: Int, _ opA: BLAS.ComplexOperation, _ opB: BLAS.ComplexOperation,
                            m: Int, nCols: Int, k: Int,
                            a: UnsafePointer<Float>, aStride: Int, lda: Int,
                            b: UnsafePointer<Float>, bStride: Int, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, cStride: Int, ldc: Int) {
        Parallel.forEachChunk(f) { _, qs in
            for q in qs {
                BLAS.cgemm(opA, opB, m: m, n: nCols, k: k, a: a + q * aStride, lda: lda, b: b + q * bStride, ldb: ldb,
                           beta: (beta, 0), c: c + q * cStride, ldc: ldc)
            }
        }
    }

    private func blocks(_ n: Int) -> [Range<Int>] {
        let size = max(1, Self.imagesPerBlock)
        return stride(from: 0, to: n, by: size).map { $0..<min(n, $0 + size) }
    }

    /// y = conv(x, w) + bias for a batch (the FastConvolution contract). y is overwritten.
    public func forward(_ g: ConvolutionGeometry, batch: Int, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) {
        g.check()
        precondition(Self.accepts(g), "FFTConvolution: stride 1, dilation 1 and one group only")
        prepareFilters(g, weight: weight)
        let n = Self.transformSize(g), f = n * (n / 2 + 1)
        let ci = g.inputChannels, co = g.outputChannels, h = g.height, w = g.width
        let oh = g.outputHeight, ow = g.outputWidth
        let wf = UnsafePointer(filterSpectra.pointer)
        for images in blocks(batch) {
            let bl = images.count
            let xs = operandSpectra.reserve(f * ci * bl * 2), ys = resultSpectra.reserve(f * co * bl * 2)
            transformBlock(n: n, channels: ci, images: images, spectra: xs, rows: h, cols: w, offset: g.padding) { i, c in
                x + (i * ci + c) * h * w
            }
            // Y_f [block × Co] = X_f [block × Ci] · W_fᴴ (conj W: cross-correlation)
            Self.mix(frequencies: f, .none, .conjugateTranspose, m: bl, nCols: co, k: ci, a: xs, aStride: ci * bl * 2, lda: ci,
                     b: wf, bStride: co * ci * 2, ldb: ci, beta: 0, c: ys, cStride: co * bl * 2, ldc: co)
            inverseBlock(n: n, channels: co, images: images, spectra: ys) { i, c, plane in
                let out = y + (i * co + c) * oh * ow
                let b = bias?[c] ?? 0
                for r in 0..<oh { for s in 0..<ow { out[r * ow + s] = plane[r * n + s] + b } }
            }
        }
    }

    /// dX = ∂(Σ dY ⊙ y)/∂x for a batch. dX is overwritten.
    public func backwardData(_ g: ConvolutionGeometry, batch: Int, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                             dx: UnsafeMutablePointer<Float>) {
        g.check()
        precondition(Self.accepts(g), "FFTConvolution: stride 1, dilation 1 and one group only")
        prepareFilters(g, weight: weight)
        let n = Self.transformSize(g), f = n * (n / 2 + 1)
        let ci = g.inputChannels, co = g.outputChannels, h = g.height, w = g.width, p = g.padding
        let oh = g.outputHeight, ow = g.outputWidth
        let wf = UnsafePointer(filterSpectra.pointer)
        for images in blocks(batch) {
            let bl = images.count
            let dys = operandSpectra.reserve(f * co * bl * 2), dxs = resultSpectra.reserve(f * ci * bl * 2)
            transformBlock(n: n, channels: co, images: images, spectra: dys, rows: oh, cols: ow, offset: 0) { i, c in
                dy + (i * co + c) * oh * ow
            }
            // DXP_f [block × Ci] = DY_f [block × Co] · W_f
            Self.mix(frequencies: f, .none, .none, m: bl, nCols: ci, k: co, a: dys, aStride: co * bl * 2, lda: co,
                     b: wf, bStride: co * ci * 2, ldb: ci, beta: 0, c: dxs, cStride: ci * bl * 2, ldc: ci)
            inverseBlock(n: n, channels: ci, images: images, spectra: dxs) { i, c, plane in
                let out = dx + (i * ci + c) * h * w
                for r in 0..<h { for s in 0..<w { out[r * w + s] = plane[(r + p) * n + s + p] } }
            }
        }
    }

    /// dW += Σ_images ∂(Σ dY ⊙ y)/∂w and, when given, dBias += Σ dY over images and pixels.
    public func backwardWeights(_ g: ConvolutionGeometry, batch: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?) {
        g.check()
        precondition(Self.accepts(g), "FFTConvolution: stride 1, dilation 1 and one group only")
        let n = Self.transformSize(g), f = n * (n / 2 + 1)
        let ci = g.inputChannels, co = g.outputChannels, h = g.height, w = g.width, k = g.kernelSize
        let oh = g.outputHeight, ow = g.outputWidth
        let dws = weightGradientSpectra.reserve(f * co * ci * 2)
        for (index, images) in blocks(batch).enumerated() {
            let bl = images.count
            let xs = operandSpectra.reserve(f * ci * bl * 2), dys = resultSpectra.reserve(f * co * bl * 2)
            transformBlock(n: n, channels: ci, images: images, spectra: xs, rows: h, cols: w, offset: g.padding) { i, c in
                x + (i * ci + c) * h * w
            }
            transformBlock(n: n, channels: co, images: images, spectra: dys, rows: oh, cols: ow, offset: 0) { i, c in
                dy + (i * co + c) * oh * ow
            }
            // DW_f [Co × Ci] (+)= DY_fᴴ [Co × block] · X_f [block × Ci]
            Self.mix(frequencies: f, .conjugateTranspose, .none, m: co, nCols: ci, k: bl, a: dys, aStride: co * bl * 2, lda: co,
                     b: xs, bStride: ci * bl * 2, ldb: ci, beta: index == 0 ? 0 : 1, c: dws, cStride: co * ci * 2, ldc: ci)
        }
        // Inverse per output channel: the Ci planes of DW[co].
        let plan = RealFFT2D.plan(size: n, count: ci, interleaved: true)
        let bufs = threadBuffers(min(Parallel.threadCount, co), channels: ci, n: n)
        let scale = 1 / Float(n * n)
        Parallel.forEachChunk(co) { chunk, outs in
            let real = bufs.real[chunk], spec = bufs.spectrum[chunk]
            for o in outs {
                for q in 0..<f { (spec + q * ci * 2).update(from: dws + (q * co + o) * ci * 2, count: ci * 2) }
                plan.inverse(spec, real)
                for c in 0..<ci { for r in 0..<k { for s in 0..<k {
                    dWeight[((o * ci + c) * k + r) * k + s] += real[(c * n + r) * n + s] * scale
                } } }
            }
        }
        if let db = dBias {
            for i in 0..<batch { FastConvolution.sumRows(dy + i * co * oh * ow, rows: co, length: oh * ow, into: db) }
        }
    }
}
