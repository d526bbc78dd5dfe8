// Direct convolution by its definition, with Double accumulation: the reference the fast kernels
// (FastConvolution, CKernels/conv2d.c) are tested against. Slow; use only in tests and checks.
//
//   y[n, co, oh, ow] = b[co] + Σ_{ci ∈ group(co), kh, kw} w[co, ci − ci0, kh, kw] · x[n, ci, oh·S + kh·D − P, ow·S + kw·D − P]
//
// with zero padding (out-of-range x reads are 0). x [N, Ci, H, W], w [Co, Ci/G, K, K], b [Co],
// y [N, Co, OH, OW].
import Tensors

public enum NaiveConvolution {
    /// Visits every (output index, input index, weight index) triple of the convolution sum.
    private static func forEachTerm(_ g: ConvolutionGeometry, batch: Int,
                                    _ body: (_ yi: Int, _ xi: Int, _ wi: Int) -> Void) {
        let oh = g.outputHeight, ow = g.outputWidth, k = g.kernelSize
        let cig = g.inputChannels / g.groups, cog = g.outputChannels / g.groups
        for n in 0..<batch {
            for co in 0..<g.outputChannels {
                let group = co / cog
                for i in 0..<oh { for j in 0..<ow {
                    let yi = ((n * g.outputChannels + co) * oh + i) * ow + j
                    for c in 0..<cig {
                        let ci = group * cig + c
                        for kh in 0..<k {
                            let r = i * g.stride + kh * g.dilation - g.padding
                            if r < 0 || r >= g.height { continue }
                            for kw in 0..<k {
                                let col = j * g.stride + kw * g.dilation - g.padding
                                if col < 0 || col >= g.width { continue }
                                body(yi, ((n * g.inputChannels + ci) * g.height + r) * g.width + col,
                                     ((co * cig + c) * k + kh) * k + kw)
                            }
                        }
                    }
                } }
            }
        }
    }

    private static func geometry(_ inputShape: [Int], _ weightShape: [Int], stride: Int, padding: Int,
                                 dilation: Int, groups: Int) -> ConvolutionGeometry {
        precondition(inputShape.count == 4 && weightShape.count == 4, "need NCHW input and [Co, Ci/G, K, K] weight")
        precondition(weightShape[2] == weightShape[3], "square kernels only")
        precondition(inputShape[1] == weightShape[1] * groups, "input channels \(inputShape[1]) ≠ \(weightShape[1])·\(groups)")
        let g = ConvolutionGeometry(inputChannels: inputShape[1], outputChannels: weightShape[0], groups: groups,
                                    height: inputShape[2], width: inputShape[3], kernelSize: weightShape[2],
                                    stride: stride, padding: padding, dilation: dilation)
        g.check()
        return g
    }

    /// y [N, Co, OH, OW].
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0,
                               dilation: Int = 1, groups: Int = 1) -> Tensor {
        let g = geometry(x.shape, weight.shape, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let shape = [x.shape[0], g.outputChannels, g.outputHeight, g.outputWidth]
        var acc = [Double](repeating: 0, count: shape.product)
        forEachTerm(g, batch: x.shape[0]) { yi, xi, wi in acc[yi] += Double(weight.data[wi]) * Double(x.data[xi]) }
        var y = Tensor(shape: shape, data: acc.map { Float($0) })
        if let b = bias {
            let pixels = g.outputHeight * g.outputWidth
            for i in 0..<y.count { y.data[i] = Float(acc[i] + Double(b.data[(i / pixels) % g.outputChannels])) }
        }
        return y
    }

    /// dX [N, Ci, H, W] = ∂(Σ dY ⊙ y)/∂x.
    public static func backwardData(_ dOut: Tensor, weight: Tensor, inputShape: [Int], stride: Int = 1, padding: Int = 0,
                                    dilation: Int = 1, groups: Int = 1) -> Tensor {
        let g = geometry(inputShape, weight.shape, stride: stride, padding: padding, dilation: dilation, groups: groups)
        precondition(dOut.shape == [inputShape[0], g.outputChannels, g.outputHeight, g.outputWidth], "dOut shape \(dOut.shape)")
        var acc = [Double](repeating: 0, count: inputShape.product)
        forEachTerm(g, batch: inputShape[0]) { yi, xi, wi in acc[xi] += Double(weight.data[wi]) * Double(dOut.data[yi]) }
        return Tensor(shape: inputShape, data: acc.map { Float($0) })
    }

    /// dW [Co, Ci/G, K, K] = ∂(Σ dY ⊙ y)/∂w.
    public static func backwardWeights(_ x: Tensor, dOut: Tensor, weightShape: [Int], stride: Int = 1, padding: Int = 0,
                                       dilation: Int = 1, groups: Int = 1) -> Tensor {
        let g = geometry(x.shape, weightShape, stride: stride, padding: padding, dilation: dilation, groups: groups)
        precondition(dOut.shape == [x.shape[0], g.outputChannels, g.outputHeight, g.outputWidth], "dOut shape \(dOut.shape)")
        var acc = [Double](repeating: 0, count: weightShape.product)
        forEachTerm(g, batch: x.shape[0]) { yi, xi, wi in acc[wi] += Double(x.data[xi]) * Double(dOut.data[yi]) }
        return Tensor(shape: weightShape, data: acc.map { Float($0) })
    }

    /// dBias [Co] = Σ over images and pixels of dY.
    public static func backwardBias(_ dOut: Tensor) -> Tensor {
        precondition(dOut.rank == 4)
        let co = dOut.shape[1], pixels = dOut.shape[2] * dOut.shape[3]
        var acc = [Double](repeating: 0, count: co)
        for i in 0..<dOut.count { acc[(i / pixels) % co] += Double(dOut.data[i]) }
        return Tensor(shape: [co], data: acc.map { Float($0) })
    }
}
