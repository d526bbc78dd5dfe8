// Stimulus preprocessing, fitted once on the training split and recorded (Codable) in the model
// file, so that fitting, scoring and analysis apply exactly the same transform.
//
// Steps, in this order (each optional):
//   1. grayscale   channel mean, [C, H, W] → [1, H, W]
//   2. resize      area resize to (H₁, W₁): each output pixel is the average of the input over its
//                  footprint, input pixels weighted by their fractional overlap (separable; for an
//                  integer factor this is the block mean; for upsampling it picks the covering pixel(s))
//   3. crop        centre crop to (H₂, W₂); the top/left offset is round((H₁ − H₂)/2) with ties to
//                  even, as torchvision's CenterCrop
//   4. whitening   spectral whitening of natural images' 1/f amplitude spectrum: each plane's DFT is
//                  multiplied by |f|·exp(−(|f|/f₀)⁴), f the radial frequency in cycles/pixel; the mean
//                  (f = 0) is removed and the highest frequencies rolled off (Olshausen & Field 1997)
//   5. normalization z-scoring with training-split statistics: per channel (one mean/std per
//                  channel over pixels and stimuli) or per pixel; population std (ddof 0)
// Shapes: raw input [n, C, H, W] (values as stored: 0…255 for uint8), output [n, outputShape].
import Foundation
import Tensors

public struct ImageSize: Codable, Equatable, Sendable, CustomStringConvertible {
    public var height: Int
    public var width: Int
    public init(height: Int, width: Int) { self.height = height; self.width = width }
    public init(_ side: Int) { self.init(height: side, width: side) }
    public var description: String { "\(height)×\(width)" }
}

public enum Normalization: String, Codable, CaseIterable, Sendable {
    case none
    case perChannel = "per-channel"
    case perPixel = "per-pixel"
}

public struct PreprocessingOptions: Codable, Equatable, Sendable {
    public var grayscale: Bool
    public var resize: ImageSize?
    public var crop: ImageSize?
    public var whitening: Bool
    /// f₀ of the whitening filter's roll-off, cycles/pixel (0.5 is Nyquist).
    public var whiteningCutoff: Double
    public var normalization: Normalization

    public init(grayscale: Bool = false, resize: ImageSize? = nil, crop: ImageSize? = nil, whitening: Bool = false,
                whiteningCutoff: Double = 0.4, normalization: Normalization = .perChannel) {
        self.grayscale = grayscale; self.resize = resize; self.crop = crop; self.whitening = whitening
        self.whiteningCutoff = whiteningCutoff; self.normalization = normalization
    }
}

public struct Preprocessing: Codable, Equatable, Sendable {
    /// [C, H, W] of the raw stimuli it was fitted on.
    public let inputShape: [Int]
    public let options: PreprocessingOptions
    /// Normalization statistics from the training split: [] (none), [C′] (per channel) or
    /// [C′·H₂·W₂] (per pixel), in the units after steps 1–4.
    public let mean: [Float]
    public let std: [Float]

    /// [C′, H₂, W₂].
    public var outputShape: [Int] { Self.geometryShape(inputShape, options) }

    /// A preprocessing with given statistics. Throws `DatasetError.invalidOption` for impossible
    /// options (a crop larger than the image, a non-positive size, statistics of the wrong length).
    public init(inputShape: [Int], options: PreprocessingOptions, mean: [Float] = [], std: [Float] = []) throws {
        precondition(inputShape.count == 3, "input shape is [C, H, W]")
        try Self.validate(options, inputShape: inputShape)
        let out = Self.geometryShape(inputShape, options)
        let expected: Int
        switch options.normalization {
        case .none: expected = 0
        case .perChannel: expected = out[0]
        case .perPixel: expected = out.product
        }
        guard mean.count == expected, std.count == expected else {
            throw DatasetError.invalidOption(option: .normalization, problem: "normalization \(options.normalization.rawValue) needs \(expected) means and stds, got \(mean.count) and \(std.count)")
        }
        self.inputShape = inputShape; self.options = options; self.mean = mean; self.std = std
    }

    /// Identity: no step at all.
    public static func identity(inputShape: [Int]) -> Preprocessing {
        // Cannot fail: no resize, no crop, no statistics.
        try! Preprocessing(inputShape: inputShape, options: PreprocessingOptions(normalization: .none))
    }

    static func validate(_ o: PreprocessingOptions, inputShape: [Int]) throws {
        if let r = o.resize, r.height <= 0 || r.width <= 0 {
            throw DatasetError.invalidOption(option: .resize, problem: "size \(r) must be positive")
        }
        let h1 = o.resize?.height ?? inputShape[1], w1 = o.resize?.width ?? inputShape[2]
        if let c = o.crop {
            guard c.height > 0, c.width > 0 else { throw DatasetError.invalidOption(option: .crop, problem: "size \(c) must be positive") }
            guard c.height <= h1, c.width <= w1 else {
                throw DatasetError.invalidOption(option: .crop, problem: "crop \(c) is larger than the \(h1)×\(w1) image it is cut from")
            }
        }
        if o.whitening && !(o.whiteningCutoff > 0) {
            throw DatasetError.invalidOption(option: .whiteningCutoff, problem: "cut-off \(o.whiteningCutoff) must be positive (cycles/pixel)")
        }
    }

    static func geometryShape(_ s: [Int], _ o: PreprocessingOptions) -> [Int] {
        let c = o.grayscale ? 1 : s[0]
        let h1 = o.resize?.height ?? s[1], w1 = o.resize?.width ?? s[2]
        return [c, o.crop?.height ?? h1, o.crop?.width ?? w1]
    }

    // MARK: fitting

    /// Fits the normalization statistics on the stimuli of `split` (read in batches of `batchSize`,
    /// so a streamed dataset stays in bounded memory).
    public static func fit(on dataset: Dataset, options: PreprocessingOptions, split: Split = .train,
                           batchSize: Int = 256) throws -> Preprocessing {
        let shown = Set(dataset.stimulusIndex)
        let stimuli = dataset.stimuli(in: split).filter { shown.contains($0) }
        return try fit(source: dataset.stimulusSource, stimuli: stimuli, options: options, batchSize: batchSize,
                       file: dataset.file, path: dataset.paths.stimuli)
    }

    /// Fits on the given stimuli of any source.
    public static func fit(source: StimulusSource, stimuli: [Int], options: PreprocessingOptions,
                           batchSize: Int = 256, file: String = "(memory)", path: String = "/stimuli") throws -> Preprocessing {
        let inputShape = source.itemShape
        try validate(options, inputShape: inputShape)
        let geometryOnly = try Preprocessing(inputShape: inputShape, options: {
            var o = options; o.normalization = .none; return o }())
        if options.normalization == .none { return geometryOnly }
        guard !stimuli.isEmpty else {
            throw DatasetError.emptySplit(file: file, path: path, split: "training", problem: "normalization statistics need at least one stimulus")
        }
        let out = geometryShape(inputShape, options)
        let plane = out[1] * out[2]
        let slots = options.normalization == .perChannel ? out[0] : out.product
        var sum = [Double](repeating: 0, count: slots), sumSq = sum
        var count = 0
        var start = 0
        while start < stimuli.count {
            let end = min(stimuli.count, start + batchSize)
            let raw: Tensor
            do { raw = try source.stimuli(Array(stimuli[start..<end])) } catch { throw DatasetError.from(error, file: file, path: path) }
            let x = geometryOnly.apply(raw)
            x.data.withUnsafeBufferPointer { p in
                for i in 0..<(end - start) {
                    for c in 0..<out[0] {
                        let base = (i * out[0] + c) * plane
                        for k in 0..<plane {
                            let v = Double(p[base + k])
                            let slot = options.normalization == .perChannel ? c : c * plane + k
                            sum[slot] += v; sumSq[slot] += v * v
                        }
                    }
                }
            }
            count += end - start
            start = end
        }
        let perSlot = Double(options.normalization == .perChannel ? count * plane : count)
        var mean = [Float](repeating: 0, count: slots), std = mean
        for s in 0..<slots {
            let m = sum[s] / perSlot
            let v = max(0, sumSq[s] / perSlot - m * m)
            mean[s] = Float(m)
            // A constant channel/pixel has no spread to divide by; it is only centred (std 1).
            std[s] = v > 1e-12 * max(1, m * m) ? Float(v.squareRoot()) : 1
        }
        return try Preprocessing(inputShape: inputShape, options: options, mean: mean, std: std)
    }

    // MARK: applying

    /// Applies every step to raw stimuli [n, C, H, W]; returns [n, outputShape].
    public func apply(_ raw: Tensor) -> Tensor {
        precondition(raw.rank == 4 && Array(raw.shape.dropFirst()) == inputShape,
                     "preprocessing fitted for \(inputShape) applied to \(raw.shape)")
        var x = raw
        if options.grayscale && x.shape[1] > 1 { x = Self.channelMean(x) }
        if let r = options.resize, r.height != x.shape[2] || r.width != x.shape[3] { x = Self.areaResize(x, to: r) }
        if let c = options.crop, c.height != x.shape[2] || c.width != x.shape[3] { x = Self.centreCrop(x, to: c) }
        if options.whitening { x = Self.whiten(x, cutoff: options.whiteningCutoff) }
        switch options.normalization {
        case .none: break
        case .perChannel, .perPixel:
            let n = x.shape[0], c = x.shape[1], plane = x.shape[2] * x.shape[3]
            let perPixel = options.normalization == .perPixel
            mean.withUnsafeBufferPointer { m in std.withUnsafeBufferPointer { s in
                x.data.withUnsafeMutableBufferPointer { p in
                    for i in 0..<n { for ch in 0..<c {
                        let base = (i * c + ch) * plane
                        for k in 0..<plane {
                            let slot = perPixel ? ch * plane + k : ch
                            p[base + k] = (p[base + k] - m[slot]) / s[slot]
                        }
                    } }
                }
            } }
        }
        return x
    }

    /// [n, C, H, W] → [n, 1, H, W], the mean over channels.
    static func channelMean(_ x: Tensor) -> Tensor {
        let n = x.shape[0], c = x.shape[1], plane = x.shape[2] * x.shape[3]
        var out = Tensor(shape: [n, 1, x.shape[2], x.shape[3]])
        let scale = 1 / Float(c)
        x.data.withUnsafeBufferPointer { p in out.data.withUnsafeMutableBufferPointer { o in
            for i in 0..<n { for ch in 0..<c {
                let src = (i * c + ch) * plane, dst = i * plane
                for k in 0..<plane { o[dst + k] += p[src + k] }
            } }
            for k in 0..<o.count { o[k] *= scale }
        } }
        return out
    }

    /// [outSize, inSize] row-major area-resampling weights: row i averages the input over
    /// [i·s, (i+1)·s), s = inSize/outSize, each input pixel weighted by its overlap. Rows sum to 1.
    public static func areaWeights(inSize: Int, outSize: Int) -> [Float] {
        var w = [Float](repeating: 0, count: outSize * inSize)
        let s = Double(inSize) / Double(outSize)
        for i in 0..<outSize {
            let a = Double(i) * s, b = Double(i + 1) * s
            var j = Int(a.rounded(.down))
            while j < inSize && Double(j) < b {
                let overlap = min(b, Double(j + 1)) - max(a, Double(j))
                if overlap > 0 { w[i * inSize + j] = Float(overlap / s) }
                j += 1
            }
        }
        return w
    }

    /// Separable area resize of every plane: Y = A_h · X · A_wᵀ.
    static func areaResize(_ x: Tensor, to size: ImageSize) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let ah = areaWeights(inSize: h, outSize: size.height), aw = areaWeights(inSize: w, outSize: size.width)
        let planes = n * c
        // T = X · A_wᵀ for all rows of all planes at once: [planes·H, W] · [W, W₁].
        var t = [Float](repeating: 0, count: planes * h * size.width)
        x.data.withUnsafeBufferPointer { px in aw.withUnsafeBufferPointer { pw in t.withUnsafeMutableBufferPointer { pt in
            BLAS.sgemm(transposeA: false, transposeB: true, m: planes * h, n: size.width, k: w, alpha: 1,
                       a: px.baseAddress!, lda: w, b: pw.baseAddress!, ldb: w, beta: 0, c: pt.baseAddress!, ldc: size.width)
        } } }
        var out = Tensor(shape: [n, c, size.height, size.width])
        let inPlane = h * size.width, outPlane = size.height * size.width
        t.withUnsafeBufferPointer { pt in ah.withUnsafeBufferPointer { ph in out.data.withUnsafeMutableBufferPointer { po in
            for p in 0..<planes {
                BLAS.sgemm(transposeA: false, transposeB: false, m: size.height, n: size.width, k: h, alpha: 1,
                           a: ph.baseAddress!, lda: h, b: pt.baseAddress! + p * inPlane, ldb: size.width,
                           beta: 0, c: po.baseAddress! + p * outPlane, ldc: size.width)
            }
        } } }
        return out
    }

    /// Top/left offset of a centre crop (ties to even, as torchvision).
    public static func cropOffset(_ size: Int, _ crop: Int) -> Int {
        Int((Double(size - crop) / 2).rounded(.toNearestOrEven))
    }

    static func centreCrop(_ x: Tensor, to size: ImageSize) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let top = cropOffset(h, size.height), left = cropOffset(w, size.width)
        var out = Tensor(shape: [n, c, size.height, size.width])
        x.data.withUnsafeBufferPointer { p in out.data.withUnsafeMutableBufferPointer { o in
            for plane in 0..<(n * c) { for r in 0..<size.height {
                (o.baseAddress! + (plane * size.height + r) * size.width)
                    .update(from: p.baseAddress! + (plane * h + top + r) * w + left, count: size.width)
            } }
        } }
        return out
    }

    /// The whitening filter |f|·exp(−(|f|/f₀)⁴) on the DFT grid [H, W] (numpy.fft order).
    public static func whiteningFilter(height: Int, width: Int, cutoff: Double) -> [Double] {
        var filter = [Double](repeating: 0, count: height * width)
        for u in 0..<height { for v in 0..<width {
            let fy = DFT2D.frequency(u, height), fx = DFT2D.frequency(v, width)
            let f = (fx * fx + fy * fy).squareRoot()
            filter[u * width + v] = f * Foundation.exp(-Foundation.pow(f / cutoff, 4))
        } }
        return filter
    }

    static func whiten(_ x: Tensor, cutoff: Double) -> Tensor {
        let h = x.shape[2], w = x.shape[3], plane = h * w
        let dft = DFT2D(height: h, width: w)
        let filter = whiteningFilter(height: h, width: w, cutoff: cutoff)
        var out = x
        for p in 0..<(x.shape[0] * x.shape[1]) {
            var z = dft.forward(Array(x.data[(p * plane)..<((p + 1) * plane)]))
            for k in 0..<plane { z.re[k] *= filter[k]; z.im[k] *= filter[k] }
            let y = dft.inverseReal(z).real
            for k in 0..<plane { out.data[p * plane + k] = Float(y[k]) }
        }
        return out
    }
}
