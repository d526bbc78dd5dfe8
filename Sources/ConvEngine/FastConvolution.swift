// The fast convolution path: threads over images (or over the rows of one image when the batch
// is smaller than the thread count) and calls the AVX2 or AVX-512 kernels of Sources/CKernels/conv2d.c
// (KernelInstructionSet).
// All scratch memory is owned here and reused across calls; one FastConvolution serves one layer
// and must not be used from two threads at once.
//
// Shapes (shape letters in Layer.swift): x [N, Ci, H, W], y / dY [N, Co, OH, OW],
// w / dW [Co, Ci/G, K, K], bias [Co].
import CKernels
import Tensors

/// Size and hyper-parameters of one convolution (square kernel, equal stride/padding/dilation on
/// both axes).
public struct ConvolutionGeometry: Hashable, Sendable {
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

/// The convolution kernels of one layer (see the header); public for receptive-bench, which
/// times them against the sgemm ceiling.
public final class FastConvolution {
    public init() {}

    /// Layouts of the padded scratch copies (tags for ScratchBuffer.isPrepared / markPrepared).
    private typealias Layout = ScratchLayout

    private var inputScratch: [ScratchBuffer] = []      // per thread: padded input image
    private var gradientScratch: [ScratchBuffer] = []   // per thread: padded dY image
    private var rowScratch: [ScratchBuffer] = []        // per thread: phase-split dX rows (stride > 1)
    private var accumulators: [ScratchBuffer] = []      // per thread: dWᵀ and dBias partial sums
    private var transposeScratch: [ScratchBuffer] = []  // per thread: dYᵀ of the rows at hand
    private let packedWeights = ScratchBuffer()
    private var offsets: [Int] = []
    private var phaseStart: [Int] = []

    private static func buffers(_ list: inout [ScratchBuffer], _ n: Int) -> [ScratchBuffer] {
        while list.count < n { list.append(ScratchBuffer()) }
        return Array(list.prefix(n))
    }

    /// Per-thread padded buffers of `count` floats for `layout`.
    private static func padded(_ list: inout [ScratchBuffer], _ n: Int, count: Int, layout: Layout) -> PaddedBuffers {
        let b = buffers(&list, n)
        return PaddedBuffers(buffers: b, pointers: b.map { $0.reserve(count) }, layout: layout)
    }

    private struct PaddedBuffers {
        let buffers: [ScratchBuffer]
        let pointers: [UnsafeMutablePointer<Float>]
        let layout: Layout
        var count: Int { buffers.count }
        /// True (and the buffer is then marked prepared) when buffer `i` must be zero-filled by the
        /// pack about to be made into it. Each thread calls this only for its own buffer.
        func claimZeroFill(_ i: Int) -> Bool {
            if buffers[i].isPrepared(for: layout) { return false }
            buffers[i].markPrepared(for: layout)
            return true
        }
    }

    /// Splits a batch over threads: whole images per thread when there are at least as many
    /// images as threads, else the rows of each image (`rows` = rows for the row split).
    /// `pack(buffer, image, zeroFill)` fills a padded buffer for `image`;
    /// `compute(buffer, chunk, image, rowRange)` then runs on it.
    private static func schedule(batch n: Int, rows: Int, buffers: PaddedBuffers,
                                 pack: (UnsafeMutablePointer<Float>, Int, Bool) -> Void,
                                 compute: (UnsafeMutablePointer<Float>, Int, Int, Range<Int>) -> Void) {
        let threads = buffers.count
        if n >= threads || threads == 1 {
            Parallel.forEachChunk(n) { chunk, images in
                for i in images {
                    pack(buffers.pointers[chunk], i, buffers.claimZeroFill(chunk))
                    compute(buffers.pointers[chunk], chunk, i, 0..<rows)
                }
            }
        } else {
            for i in 0..<n {
                pack(buffers.pointers[0], i, buffers.claimZeroFill(0))
                Parallel.forEachChunk(rows) { chunk, r in compute(buffers.pointers[0], chunk, i, r) }
            }
        }
    }

    /// y = conv(x, w) + bias for a batch. y is overwritten.
    public func forward(_ geometry: ConvolutionGeometry, batch n: Int, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                 bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) {
        geometry.check()
        var g = geometry.c
        let inCount = geometry.inputChannels * geometry.height * geometry.width
        let outCount = geometry.outputChannels * g.oh * g.ow
        let k = rcp_conv_forward_offset_count(&g)
        let wp = packedWeights.reserve(rcp_conv_forward_weight_floats(&g))
        rcp_conv_pack_forward_weights(&g, weight, wp)
        offsets = [Int](repeating: 0, count: k)
        rcp_conv_forward_offsets(&g, &offsets)
        let bufs = Self.padded(&inputScratch, Parallel.threadCount, count: rcp_conv_input_scratch_floats(&g), layout: .input(geometry))
        offsets.withUnsafeBufferPointer { off in
            let off = off.baseAddress!
            Self.schedule(batch: n, rows: g.oh, buffers: bufs, pack: { xp, i, zero in
                var g = g
                rcp_conv_pack_input(&g, x + i * inCount, xp, zero ? 1 : 0)
            }, compute: { xp, _, i, r in
                var g = g
                rcp_conv_forward_rows(&g, xp, wp, off, bias, y + i * outCount, r.lowerBound, r.upperBound)
            })
        }
    }

    /// dX = ∂(Σ dY ⊙ y)/∂x for a batch. dX is overwritten.
    public func backwardData(_ geometry: ConvolutionGeometry, batch n: Int, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      dx: UnsafeMutablePointer<Float>) {
        geometry.check()
        var g = geometry.c
        let inCount = geometry.inputChannels * geometry.height * geometry.width
        let outCount = geometry.outputChannels * g.oh * g.ow
        let wp = packedWeights.reserve(max(1, rcp_conv_backward_data_weight_floats(&g)))
        offsets = [Int](repeating: 0, count: max(1, rcp_conv_backward_data_offset_count(&g)))
        phaseStart = [Int](repeating: 0, count: geometry.stride * geometry.stride + 1)
        rcp_conv_backward_data_plan(&g, weight, wp, &offsets, &phaseStart)
        let threads = Parallel.threadCount
        let rows = Self.buffers(&rowScratch, threads).map { $0.reserve(max(1, rcp_conv_backward_data_row_scratch_floats(&g))) }
        let bufs = Self.padded(&gradientScratch, threads, count: rcp_conv_output_gradient_scratch_floats(&g), layout: .outputGradient(geometry))
        offsets.withUnsafeBufferPointer { off in phaseStart.withUnsafeBufferPointer { ps in
            let off = off.baseAddress!, ps = ps.baseAddress!
            Self.schedule(batch: n, rows: g.h, buffers: bufs, pack: { dyp, i, zero in
                var g = g
                rcp_conv_pack_output_gradient(&g, dy + i * outCount, dyp, zero ? 1 : 0)
            }, compute: { dyp, chunk, i, r in
                var g = g
                // The next image's dY as a prefetch hint (read while this one is computed).
                rcp_conv_backward_data_rows(&g, dyp, wp, off, ps, rows[chunk], dx + i * inCount, r.lowerBound, r.upperBound,
                                            i + 1 < n ? dy + (i + 1) * outCount : nil)
            })
        } }
    }

    /// dW += Σ_images ∂(Σ dY ⊙ y)/∂w and, when given, dBias += Σ dY over images and pixels.
    public func backwardWeights(_ geometry: ConvolutionGeometry, batch n: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?) {
        geometry.check()
        var g = geometry.c
        let inCount = geometry.inputChannels * geometry.height * geometry.width
        let pixels = g.oh * g.ow
        let co = geometry.outputChannels
        let outCount = co * pixels
        let k = rcp_conv_forward_offset_count(&g)
        let wCount = rcp_conv_backward_weights_accumulator_floats(&g)
        offsets = [Int](repeating: 0, count: k)
        rcp_conv_forward_offsets(&g, &offsets)
        let threads = Parallel.threadCount
        // Per-thread accumulators: dWᵀ [G, K, Cpad] then the [Co] bias gradient.
        let acc = Self.buffers(&accumulators, threads).map { $0.reserve(wCount + co) }
        for a in acc { a.initialize(repeating: 0, count: wCount + co) }
        let dyt = Self.buffers(&transposeScratch, threads).map { $0.reserve(rcp_conv_backward_weights_scratch_floats(&g)) }
        let bufs = Self.padded(&inputScratch, threads, count: rcp_conv_input_scratch_floats(&g), layout: .input(geometry))
        let rowSplit = !(n >= threads || threads == 1)
        offsets.withUnsafeBufferPointer { off in
            let off = off.baseAddress!
            Self.schedule(batch: n, rows: g.oh, buffers: bufs, pack: { xp, i, zero in
                var g = g
                rcp_conv_pack_input(&g, x + i * inCount, xp, zero ? 1 : 0)
                if rowSplit && dBias != nil { Self.sumRows(dy + i * outCount, rows: co, length: pixels, into: acc[0] + wCount) }
            }, compute: { xp, chunk, i, r in
                var g = g
                // Whole images: the bias gradient is summed on the way (bit for bit as sumRows).
                rcp_conv_backward_weights_rows(&g, xp, off, dy + i * outCount, dyt[chunk], acc[chunk], r.lowerBound, r.upperBound,
                                               i + 1 < n ? dy + (i + 1) * outCount : nil,
                                               !rowSplit && dBias != nil ? acc[chunk] + wCount : nil)
            })
        }
        for a in acc {
            rcp_conv_backward_weights_finish(&g, a, dWeight)
            if let db = dBias { for c in 0..<co { db[c] += a[wCount + c] } }
        }
    }

    /// out[r] += Σ_j m[r·length + j].
    static func sumRows(_ m: UnsafePointer<Float>, rows: Int, length: Int, into out: UnsafeMutablePointer<Float>) {
        rcp_sum_rows(m, rows, length, out)
    }
}
