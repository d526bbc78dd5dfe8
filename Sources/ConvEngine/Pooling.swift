// 2-D max and average pooling over each channel plane, like torch.nn.MaxPool2d / AvgPool2d with
// dilation 1, ceil_mode false and (average) count_include_pad true.
//
//   x [N, C, H, W] → y [N, C, OH, OW],  OH = ⌊(H + 2P − K) / S⌋ + 1 (same for OW)
//
// Padding is implicit: −∞ for max pooling, 0 (counted in the divisor K²) for average pooling.
// As in PyTorch, P ≤ K / 2, so every window overlaps the image.
import Tensors

/// Geometry shared by the pooling layers.
public struct PoolingGeometry: Equatable, Sendable {
    public let kernelSize: Int, stride: Int, padding: Int

    init(kernelSize: Int, stride: Int?, padding: Int, layer: String) {
        precondition(kernelSize > 0, "\(layer): kernel size must be positive")
        precondition((stride ?? kernelSize) > 0, "\(layer): stride must be positive")
        precondition(padding >= 0 && padding <= kernelSize / 2, "\(layer): padding \(padding) must be in 0...kernelSize/2 (as PyTorch)")
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
    }

    func outputExtent(_ n: Int) -> Int {
        let span = n + 2 * padding - kernelSize
        return span < 0 ? 0 : span / stride + 1
    }

    /// [N, C, OH, OW]; [] when the input is not NCHW or smaller than the window.
    func outputShape(_ s: [Int]) -> [Int] {
        guard s.count == 4 else { return [] }
        let oh = outputExtent(s[2]), ow = outputExtent(s[3])
        guard oh > 0, ow > 0 else { return [] }
        return [s[0], s[1], oh, ow]
    }

    var config: [String: LayerConfigValue] {
        ["kernel_size": .int(kernelSize), "stride": .int(stride), "padding": .int(padding)]
    }
}

public final class MaxPool2D: Layer {
    public var name: String
    public let geometry: PoolingGeometry
    public var state: [String: Tensor] = [:]
    public var retainsForBackward = false
    public var parameters: [Parameter] { [] }

    /// Routing of the last forward: for every output element [N, C, OH, OW] (row-major), the index
    /// h·W + w of the input element it selected within its own [H, W] plane (PyTorch's
    /// `return_indices` convention). Recorded on every forward; max pooling passes the gradient
    /// (and the NNS contribution) only to that input.
    public private(set) var argmax: [Int32] = []
    /// Input shape of the last forward [N, C, H, W].
    public private(set) var lastInputShape: [Int] = []
    // Storage of the output and of dX, reused from pass to pass when nobody holds the last ones.
    private let storage = LayerStorage()

    /// `stride` defaults to `kernelSize` (PyTorch's default).
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, name: String = "maxpool") {
        self.geometry = PoolingGeometry(kernelSize: kernelSize, stride: stride, padding: padding, layer: "MaxPool2D")
        self.name = name
    }

    public var config: [String: LayerConfigValue] { geometry.config.merging(["type": .string("maxpool2d")]) { a, _ in a } }

    public func outputShape(for inputShape: [Int]) -> [Int] { geometry.outputShape(inputShape) }

    /// Saves no tensor (the routing and the input shape are kept, and reused).
    public func releaseSaved() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let shape = outputShape(for: x.shape)
        precondition(!shape.isEmpty, "\(name): input \(x.shape) does not fit MaxPool2D(k\(geometry.kernelSize), s\(geometry.stride), p\(geometry.padding))")
        let (h, w, oh, ow) = (x.shape[2], x.shape[3], shape[2], shape[3])
        let k = geometry.kernelSize, s = geometry.stride, p = geometry.padding
        let planes = shape[0] * shape[1]
        lastInputShape = x.shape
        if argmax.count != shape.product { argmax = [Int32](repeating: 0, count: shape.product) }
        var y = storage.output(kept: training || retainsForBackward).take(shape)  // every value written below
        x.data.withUnsafeBufferPointer { px in y.data.withUnsafeMutableBufferPointer { py in argmax.withUnsafeMutableBufferPointer { pa in
            let px = px.baseAddress!, py = py.baseAddress!, pa = pa.baseAddress!
            Parallel.forEachChunk(planes) { _, range in
                for plane in range {
                    let src = px + plane * h * w
                    for i in 0..<oh {
                        let r0 = max(0, i * s - p), r1 = min(h, i * s - p + k)
                        for j in 0..<ow {
                            let c0 = max(0, j * s - p), c1 = min(w, j * s - p + k)
                            // Scan order (row, column); ties keep the first, NaN wins (as PyTorch).
                            var best = -Float.infinity, at = r0 * w + c0
                            for r in r0..<r1 {
                                for c in c0..<c1 {
                                    let v = src[r * w + c]
                                    if v > best || v.isNaN { best = v; at = r * w + c; if v.isNaN { break } }
                                }
                                if best.isNaN { break }
                            }
                            let o = (plane * oh + i) * ow + j
                            py[o] = best
                            pa[o] = Int32(at)
                        }
                    }
                }
            }
        } } }
        storage.output(kept: training || retainsForBackward).keep(y)
        return y
    }

    /// dX [N, C, H, W]: each dY element added to the input it selected (`argmax`).
    public func backward(_ dOut: Tensor) -> Tensor {
        precondition(!lastInputShape.isEmpty, "\(name): backward before forward")
        precondition(dOut.shape == outputShape(for: lastInputShape), "\(name): dOut \(dOut.shape) ≠ output \(outputShape(for: lastInputShape))")
        let plane = lastInputShape[2] * lastInputShape[3], outPlane = dOut.shape[2] * dOut.shape[3]
        let planes = dOut.shape[0] * dOut.shape[1]
        var dx = storage.inputGradient.take(lastInputShape, zeroed: true)  // accumulated into
        dOut.data.withUnsafeBufferPointer { pd in dx.data.withUnsafeMutableBufferPointer { px in argmax.withUnsafeBufferPointer { pa in
            let pd = pd.baseAddress!, px = px.baseAddress!, pa = pa.baseAddress!
            Parallel.forEachChunk(planes) { _, range in
                for q in range {
                    for o in (q * outPlane)..<((q + 1) * outPlane) { px[q * plane + Int(pa[o])] += pd[o] }
                }
            }
        } } }
        storage.inputGradient.keep(dx)
        return dx
    }
}

public final class AvgPool2D: Layer {
    public var name: String
    public let geometry: PoolingGeometry
    public var state: [String: Tensor] = [:]
    public var retainsForBackward = false
    public var parameters: [Parameter] { [] }
    private var lastInputShape: [Int] = []
    // Storage of the output and of dX, reused from pass to pass when nobody holds the last ones.
    private let storage = LayerStorage()

    /// `stride` defaults to `kernelSize` (PyTorch's default). Padded zeros count in the divisor K².
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, name: String = "avgpool") {
        self.geometry = PoolingGeometry(kernelSize: kernelSize, stride: stride, padding: padding, layer: "AvgPool2D")
        self.name = name
    }

    public var config: [String: LayerConfigValue] { geometry.config.merging(["type": .string("avgpool2d")]) { a, _ in a } }

    public func outputShape(for inputShape: [Int]) -> [Int] { geometry.outputShape(inputShape) }

    /// Saves no tensor (the routing and the input shape are kept, and reused).
    public func releaseSaved() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let shape = outputShape(for: x.shape)
        precondition(!shape.isEmpty, "\(name): input \(x.shape) does not fit AvgPool2D(k\(geometry.kernelSize), s\(geometry.stride), p\(geometry.padding))")
        let (h, w, oh, ow) = (x.shape[2], x.shape[3], shape[2], shape[3])
        let k = geometry.kernelSize, s = geometry.stride, p = geometry.padding
        let scale = 1 / Float(k * k)
        lastInputShape = x.shape
        var y = storage.output(kept: training || retainsForBackward).take(shape)  // every value written below
        x.data.withUnsafeBufferPointer { px in y.data.withUnsafeMutableBufferPointer { py in
            let px = px.baseAddress!, py = py.baseAddress!
            Parallel.forEachChunk(shape[0] * shape[1]) { _, range in
                for plane in range {
                    let src = px + plane * h * w
                    for i in 0..<oh {
                        let r0 = max(0, i * s - p), r1 = min(h, i * s - p + k)
                        for j in 0..<ow {
                            let c0 = max(0, j * s - p), c1 = min(w, j * s - p + k)
                            var sum: Float = 0
                            for r in r0..<r1 { for c in c0..<c1 { sum += src[r * w + c] } }
                            py[(plane * oh + i) * ow + j] = sum * scale
                        }
                    }
                }
            }
        } }
        storage.output(kept: training || retainsForBackward).keep(y)
        return y
    }

    /// dX [N, C, H, W]: each dY element spread as dY/K² over its window (padding excluded).
    public func backward(_ dOut: Tensor) -> Tensor {
        precondition(!lastInputShape.isEmpty, "\(name): backward before forward")
        precondition(dOut.shape == outputShape(for: lastInputShape), "\(name): dOut \(dOut.shape) ≠ output \(outputShape(for: lastInputShape))")
        let (h, w, oh, ow) = (lastInputShape[2], lastInputShape[3], dOut.shape[2], dOut.shape[3])
        let k = geometry.kernelSize, s = geometry.stride, p = geometry.padding
        let scale = 1 / Float(k * k)
        var dx = storage.inputGradient.take(lastInputShape, zeroed: true)  // accumulated into
        dOut.data.withUnsafeBufferPointer { pd in dx.data.withUnsafeMutableBufferPointer { px in
            let pd = pd.baseAddress!, px = px.baseAddress!
            Parallel.forEachChunk(dOut.shape[0] * dOut.shape[1]) { _, range in
                for plane in range {
                    let dst = px + plane * h * w
                    for i in 0..<oh {
                        let r0 = max(0, i * s - p), r1 = min(h, i * s - p + k)
                        for j in 0..<ow {
                            let c0 = max(0, j * s - p), c1 = min(w, j * s - p + k)
                            let g = pd[(plane * oh + i) * ow + j] * scale
                            for r in r0..<r1 { for c in c0..<c1 { dst[r * w + c] += g } }
                        }
                    }
                }
            }
        } }
        storage.inputGradient.keep(dx)
        return dx
    }
}
