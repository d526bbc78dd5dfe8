// The fast convolution path: threads over images (or over the rows of one image when the batch
// is smaller than the thread count) and calls the AVX2 kernels of Sources/CKernels/conv2d.c.
// All scratch memory is owned here and reused across calls; one FastConvolution serves one layer
// and must not be used from two threads at once.
//
// Shapes (shape letters in Layer.swift): x [N, Ci, H, W], y / dY [N, Co, OH, OW],
// w / dW [Co, Ci/G, K, K], bias [Co].
import CKernels
import Tensors

/// Size and hyper-parameters of one convolution (square kernel, equal stride/padding/dilation on
/// both axes).
public struct ConvolutionGeometry: Equatable, Sendable {
    public var inputChannels: Int, outputChannels: Int, groups: Int
    public var height: Int, width: Int
    public var kernelSize: Int, stride: Int, padding: Int, dilation: Int

    public init(inputChannels: Int, outputChannels: Int, groups: Int = 1, height: Int, width: Int,
                kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1) {
        self.inputChannels = inputChannels; self.outputChannels = outputChannels; self.groups = groups
        self.height = height; self.width = width
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding; self.dilation = dilation
    }

    /// Output rows: ⌊(H + 2P − D(K − 1) − 1) / S⌋ + 1 (≤ 0 when the image is too small).
    public var outputHeight: Int { Self.outputExtent(height, kernelSize, stride, padding, dilation) }
    /// Output columns, same formula as `outputHeight`.
    public var outputWidth: Int { Self.outputExtent(width, kernelSize, stride, padding, dilation) }

    static func outputExtent(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int) -> Int {
        let span = n + 2 * p - d * (k - 1) - 1
        return span < 0 ? 0 : span / s + 1
    }

    /// Multiply-adds of one image's forward pass (also those of backward-data and backward-weights).
    public var multiplyAddsPerImage: Int {
        outputChannels * (inputChannels / groups) * kernelSize * kernelSize * outputHeight * outputWidth
    }

    var c: rcp_conv_geometry {
        rcp_conv_geometry(cin: inputChannels, cout: outputChannels, groups: groups, h: height, w: width,
                          kh: kernelSize, kw: kernelSize, stride: stride, dilation: dilation, pad: padding,
                          oh: outputHeight, ow: outputWidth)
    }

    func check() {
        precondition(inputChannels > 0 && outputChannels > 0 && groups > 0, "channel counts must be positive")
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0,
                     "channels \(inputChannels)→\(outputChannels) not divisible by groups \(groups)")
        precondition(kernelSize > 0 && stride > 0 && dilation > 0 && padding >= 0, "invalid convolution hyper-parameters")
        precondition(outputHeight > 0 && outputWidth > 0,
                     "image \(height)×\(width) smaller than the receptive field (kernel \(kernelSize), dilation \(dilation), padding \(padding))")
    }
}

final class FastConvolution {
    private var threadScratch: [ScratchBuffer] = []
    private var rowScratch: [ScratchBuffer] = []
    private var accumulators: [ScratchBuffer] = []
    private let sharedScratch = ScratchBuffer()
    private let packedWeights = ScratchBuffer()
    private var offsets: [Int] = []
    private var phaseStart: [Int] = []

    private func buffers(_ list: inout [ScratchBuffer], _ n: Int) -> [ScratchBuffer] {
        while list.count < n { list.append(ScratchBuffer()) }
        return Array(list.prefix(n))
    }

    /// y = conv(x, w) + bias for a batch. y is overwritten.
    func forward(_ geometry: ConvolutionGeometry, batch n: Int, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                 bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) {
        geometry.check()
        var g = geometry.c
        let inCount = geometry.inputChannels * geometry.height * geometry.width
        let outCount = geometry.outputChannels * g.oh * g.ow
        let scratchCount = rcp_conv_input_scratch_floats(&g)
        let wp = packedWeights.reserve(geometry.outputChannels * rcp_conv_forward_offset_count(&g))
        rcp_conv_pack_forward_weights(&g, weight, wp)
        offsets = [Int](repeating: 0, count: rcp_conv_forward_offset_count(&g))
        rcp_conv_forward_offsets(&g, &offsets)
        let threads = Parallel.threadCount
        offsets.withUnsafeBufferPointer { off in
            let off = off.baseAddress!
            if n >= threads || threads == 1 {
                let scratch = buffers(&threadScratch, threads).map { $0.reserve(scratchCount) }
                Parallel.forEachChunk(n) { chunk, images in
                    var g = g
                    for i in images {
                        rcp_conv_pack_input(&g, x + i * inCount, scratch[chunk])
                        rcp_conv_forward_rows(&g, scratch[chunk], wp, off, bias, y + i * outCount, 0, g.oh)
                    }
                }
            } else {
                let xp = sharedScratch.reserve(scratchCount)
                for i in 0..<n {
                    rcp_conv_pack_input(&g, x + i * inCount, xp)
                    Parallel.forEachChunk(g.oh) { _, rows in
                        var g = g
                        rcp_conv_forward_rows(&g, xp, wp, off, bias, y + i * outCount, rows.lowerBound, rows.upperBound)
                    }
                }
            }
        }
    }

    /// dX = ∂(Σ dY ⊙ y)/∂x for a batch. dX is overwritten.
    func backwardData(_ geometry: ConvolutionGeometry, batch n: Int, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      dx: UnsafeMutablePointer<Float>) {
        geometry.check()
        var g = geometry.c
        let inCount = geometry.inputChannels * geometry.height * geometry.width
        let outCount = geometry.outputChannels * g.oh * g.ow
        let scratchCount = rcp_conv_output_gradient_scratch_floats(&g)
        let rowCount = max(1, rcp_conv_backward_data_row_scratch_floats(&g))
        let wp = packedWeights.reserve(geometry.outputChannels * (geometry.inputChannels / geometry.groups) * geometry.kernelSize * geometry.kernelSize)
        offsets = [Int](repeating: 0, count: max(1, rcp_conv_backward_data_offset_count(&g)))
        phaseStart = [Int](repeating: 0, count: geometry.stride * geometry.stride + 1)
        rcp_conv_backward_data_plan(&g, weight, wp, &offsets, &phaseStart)
        let threads = Parallel.threadCount
        let rows = buffers(&rowScratch, threads).map { $0.reserve(rowCount) }
        offsets.withUnsafeBufferPointer { off in phaseStart.withUnsafeBufferPointer { ps in
            let off = off.baseAddress!, ps = ps.baseAddress!
            if n >= threads || threads == 1 {
                let scratch = buffers(&threadScratch, threads).map { $0.reserve(scratchCount) }
                Parallel.forEachChunk(n) { chunk, images in
                    var g = g
                    for i in images {
                        rcp_conv_pack_output_gradient(&g, dy + i * outCount, scratch[chunk])
                        rcp_conv_backward_data_rows(&g, scratch[chunk], wp, off, ps, rows[chunk], dx + i * inCount, 0, g.h)
                    }
                }
            } else {
                let dyp = sharedScratch.reserve(scratchCount)
                for i in 0..<n {
                    rcp_conv_pack_output_gradient(&g, dy + i * outCount, dyp)
                    Parallel.forEachChunk(g.h) { chunk, r in
                        var g = g
                        rcp_conv_backward_data_rows(&g, dyp, wp, off, ps, rows[chunk], dx + i * inCount, r.lowerBound, r.upperBound)
                    }
                }
            }
        } }
    }

    /// dW += Σ_images ∂(Σ dY ⊙ y)/∂w and, when given, dBias += Σ dY over images and pixels.
    func backwardWeights(_ geometry: ConvolutionGeometry, batch n: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?) {
        geometry.check()
        var g = geometry.c
        let inCount = geometry.inputChannels * geometry.height * geometry.width
        let pixels = g.oh * g.ow
        let outCount = geometry.outputChannels * pixels
        let scratchCount = rcp_conv_input_scratch_floats(&g)
        let k = rcp_conv_forward_offset_count(&g)
        let wCount = geometry.outputChannels * k
        let co = geometry.outputChannels
        offsets = [Int](repeating: 0, count: k)
        rcp_conv_forward_offsets(&g, &offsets)
        let threads = Parallel.threadCount
        // Per-thread accumulators: [Co·K] weight gradient then [Co] bias gradient.
        let acc = buffers(&accumulators, threads).map { $0.reserve(wCount + co) }
        for a in acc { a.initialize(repeating: 0, count: wCount + co) }
        let scratch = buffers(&threadScratch, threads).map { $0.reserve(scratchCount) }
        offsets.withUnsafeBufferPointer { off in
            let off = off.baseAddress!
            if n >= threads || threads == 1 {
                Parallel.forEachChunk(n) { chunk, images in
                    var g = g
                    for i in images {
                        rcp_conv_pack_input(&g, x + i * inCount, scratch[chunk])
                        rcp_conv_backward_weights_rows(&g, scratch[chunk], off, dy + i * outCount, acc[chunk], 0, g.oh)
                        if dBias != nil { Self.sumRows(dy + i * outCount, rows: co, length: pixels, into: acc[chunk] + wCount) }
                    }
                }
            } else {
                let xp = sharedScratch.reserve(scratchCount)
                for i in 0..<n {
                    rcp_conv_pack_input(&g, x + i * inCount, xp)
                    Parallel.forEachChunk(g.oh) { chunk, r in
                        var g = g
                        rcp_conv_backward_weights_rows(&g, xp, off, dy + i * outCount, acc[chunk], r.lowerBound, r.upperBound)
                    }
                    if dBias != nil { Self.sumRows(dy + i * outCount, rows: co, length: pixels, into: acc[0] + wCount) }
                }
            }
        }
        for a in acc {
            for j in 0..<wCount { dWeight[j] += a[j] }
            if let db = dBias { for c in 0..<co { db[c] += a[wCount + c] } }
        }
    }

    /// out[r] += Σ_j m[r·length + j], summed in Double.
    static func sumRows(_ m: UnsafePointer<Float>, rows: Int, length: Int, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            var s = 0.0
            let p = m + r * length
            for j in 0..<length { s += Double(p[j]) }
            out[r] += Float(s)
        }
    }
}
