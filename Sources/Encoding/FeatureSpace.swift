// Feature spaces of stimuli for feature-space (ridge) encoding models: Φ(x), an [N, F] matrix.
//
//   pixels[:S]               grayscale pixels, area-resized to S × S when S is given
//   file:F.h5:/path          a user's own [N, F] matrix (rows follow the dataset's stimuli)
//   gabor                    a Gabor wavelet pyramid (GaborPyramid.swift), options recorded
//   layer:MODEL.h5:NAME[:P]  activations of layer NAME of a fitted model's core, after the model's
//                            own preprocessing, average-pooled to P × P per channel when P is given
// Every source names each column (`descriptions`); sources are Codable so that a ridge model file
// records how to recompute its features for new stimuli.
import Foundation
import Tensors
import ConvEngine
import NeuralData

public enum FeatureSource: Codable, Equatable, Sendable, CustomStringConvertible {
    case pixels(size: Int?)
    case file(path: String, dataset: String)
    case gabor(GaborPyramidOptions)
    case layer(model: String, layer: String, pool: Int?)

    /// Parses `pixels`, `pixels:S`, `file:F.h5:/path`, `gabor`, `layer:MODEL.h5:NAME[:P]`.
    public init(specification s: String, gabor: GaborPyramidOptions = GaborPyramidOptions()) throws {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func bad(_ why: String) -> EncodingError { .invalidOption(option: .features, reason: "'\(s)': \(why)") }
        switch parts[0] {
        case "pixels":
            guard parts.count <= 2 else { throw bad("expected pixels or pixels:S") }
            if parts.count == 2 {
                guard let v = Int(parts[1]), v >= 1 else { throw bad("S must be a positive integer") }
                self = .pixels(size: v)
            } else { self = .pixels(size: nil) }
        case "file":
            guard parts.count == 3, !parts[1].isEmpty, parts[2].hasPrefix("/") else { throw bad("expected file:FILE.h5:/path/in/file") }
            self = .file(path: parts[1], dataset: parts[2])
        case "gabor":
            guard parts.count == 1 else { throw EncodingError.gaborFeatureArguments(specification: s) }
            self = .gabor(gabor)
        case "layer":
            guard parts.count == 3 || parts.count == 4, !parts[1].isEmpty, !parts[2].isEmpty else { throw bad("expected layer:MODEL.h5:LAYER or layer:MODEL.h5:LAYER:P") }
            var pool: Int?
            if parts.count == 4 {
                guard let v = Int(parts[3]), v >= 1 else { throw bad("the pooled size P must be a positive integer") }
                pool = v
            }
            self = .layer(model: parts[1], layer: parts[2], pool: pool)
        default:
            throw bad("unknown feature source (pixels, file:F.h5:/path, gabor, layer:MODEL.h5:NAME)")
        }
    }

    public var description: String {
        switch self {
        case .pixels(let s): return s.map { "pixels:\($0)" } ?? "pixels"
        case .file(let p, let d): return "file:\(p):\(d)"
        case .gabor: return "gabor"
        case .layer(let m, let l, let p): return "layer:\(m):\(l)" + (p.map { ":\($0)" } ?? "")
        }
    }
}

/// Φ for a set of stimuli: `values` [n, F] row-major and a description of every column.
public struct FeatureMatrix {
    public var values: [Float]
    public var rows: Int
    public var columns: Int
    public var descriptions: [String]

    /// Columns of several matrices side by side (banded feature spaces), rows must agree.
    public static func concatenated(_ ms: [FeatureMatrix]) -> FeatureMatrix {
        let n = ms[0].rows, f = ms.reduce(0) { $0 + $1.columns }
        var v = [Float](repeating: 0, count: n * f)
        var c0 = 0
        for m in ms {
            precondition(m.rows == n)
            for i in 0..<n { for j in 0..<m.columns { v[i * f + c0 + j] = m.values[i * m.columns + j] } }
            c0 += m.columns
        }
        return FeatureMatrix(values: v, rows: n, columns: f, descriptions: ms.flatMap { $0.descriptions })
    }
}

public enum FeatureSpace {
    /// Φ of `stimuli` (indices into `dataset`), in batches of `batchSize` images.
    public static func compute(_ source: FeatureSource, dataset: Dataset, stimuli: [Int], batchSize: Int = 256,
                               progress: ((Int, Int) -> Void)? = nil) throws -> FeatureMatrix {
        switch source {
        case .file(let path, let name):
            return try readFile(path: path, dataset: name, expectedRows: dataset.stimulusCount, stimuli: stimuli, dataFile: dataset.file)
        case .pixels(let size):
            var o = PreprocessingOptions(grayscale: true)
            if let s = size { o.resize = ImageSize(s) }
            o.normalization = .none
            let prep = try Preprocessing(inputShape: dataset.stimulusShape, options: o)
            let shape = prep.outputShape, f = shape.reduce(1, *)
            let values = try batched(dataset: dataset, stimuli: stimuli, columns: f, batchSize: batchSize, progress: progress) { prep.apply($0).data }
            let desc = (0..<f).map { "pixel row \($0 / shape[2]) column \($0 % shape[2])" }
            return FeatureMatrix(values: values, rows: stimuli.count, columns: f, descriptions: desc)
        case .gabor(let options):
            let pyramid = try GaborPyramid(options: options)
            var o = PreprocessingOptions(grayscale: true)
            o.resize = ImageSize(options.size)
            o.normalization = .none
            let prep = try Preprocessing(inputShape: dataset.stimulusShape, options: o)
            let values = try batched(dataset: dataset, stimuli: stimuli, columns: pyramid.featureCount, batchSize: batchSize, progress: progress) { raw in
                let img = prep.apply(raw)
                return pyramid.features(images: img.data, count: img.shape[0])
            }
            return FeatureMatrix(values: values, rows: stimuli.count, columns: pyramid.featureCount, descriptions: pyramid.descriptions)
        case .layer(let modelPath, let layer, let pool):
            let model = try FittedModel.load(modelPath)
            let prep = model.config.preprocessing
            guard prep.inputShape == dataset.stimulusShape else {
                throw EncodingError.incompatibleData(reason: "\(modelPath) was fitted on stimuli of shape \(prep.inputShape), \(dataset.file) has \(dataset.stimulusShape)")
            }
            guard let handle = LayerHandle(name: layer), model.encoder.architecture.coreIndex(of: handle) != nil else {
                throw EncodingError.invalidOption(option: .features, reason: "\(modelPath) has no layer '\(layer)' (layers: \(model.encoder.layerNames.joined(separator: ", ")))")
            }
            // Shape of the layer's output, from one image.
            let probe = try model.encoder.activations(prep.apply(try dataset.stimuli([stimuli.first ?? 0])), at: handle)
            let c = probe.shape[1], h = probe.shape[2], w = probe.shape[3]
            let ph = pool.map { min($0, h) } ?? h, pw = pool.map { min($0, w) } ?? w
            let f = c * ph * pw
            let values = try batched(dataset: dataset, stimuli: stimuli, columns: f, batchSize: batchSize, progress: progress) { raw in
                let a = try model.encoder.activations(prep.apply(raw), at: handle)
                return pool == nil ? a.data : averagePool(a, toHeight: ph, width: pw)
            }
            var desc: [String] = []
            for ch in 0..<c { for i in 0..<ph { for j in 0..<pw { desc.append("\(layer) channel \(ch) cell (\(i), \(j)) of \(ph)×\(pw)") } } }
            return FeatureMatrix(values: values, rows: stimuli.count, columns: f, descriptions: desc)
        }
    }

    /// Adaptive average pooling of [n, C, H, W] to [n, C, ph, pw] (cell (i, j) averages rows
    /// ⌊iH/ph⌋ ..< ⌈(i+1)H/ph⌉, as torch's adaptive_avg_pool2d), flattened.
    static func averagePool(_ a: Tensor, toHeight ph: Int, width pw: Int) -> [Float] {
        let n = a.shape[0], c = a.shape[1], h = a.shape[2], w = a.shape[3]
        var out = [Float](repeating: 0, count: n * c * ph * pw)
        for b in 0..<n { for ch in 0..<c { for i in 0..<ph { for j in 0..<pw {
            let r0 = i * h / ph, r1 = ((i + 1) * h + ph - 1) / ph, c0 = j * w / pw, c1 = ((j + 1) * w + pw - 1) / pw
            var s: Float = 0
            for r in r0..<r1 { for q in c0..<c1 { s += a.data[((b * c + ch) * h + r) * w + q] } }
            out[((b * c + ch) * ph + i) * pw + j] = s / Float((r1 - r0) * (c1 - c0))
        } } } }
        return out
    }

    private static func batched(dataset: Dataset, stimuli: [Int], columns f: Int, batchSize: Int, progress: ((Int, Int) -> Void)?,
                                _ body: (Tensor) throws -> [Float]) throws -> [Float] {
        var out = [Float](repeating: 0, count: stimuli.count * f)
        var start = 0
        while start < stimuli.count {
            let idx = Array(stimuli[start..<min(start + batchSize, stimuli.count)])
            let v = try body(try dataset.stimuli(idx))
            precondition(v.count == idx.count * f)
            for k in 0..<v.count { out[start * f + k] = v[k] }
            start += idx.count
            progress?(start, stimuli.count)
        }
        return out
    }

    /// Rows `stimuli` of a user's [N, F] matrix; N must equal the dataset's stimulus count and every
    /// value be finite. Column descriptions from `/feature_names` when the matrix is `/features`
    /// of a `receptive features` file, else "column j".
    static func readFile(path: String, dataset name: String, expectedRows: Int, stimuli: [Int], dataFile: String) throws -> FeatureMatrix {
        guard FileManager.default.fileExists(atPath: path) else { throw EncodingError.invalidOption(option: .features, reason: "\(path) does not exist") }
        let f = try HDF5File.open(path)
        guard f.exists(name), !f.isGroup(name) else { throw EncodingError.modelFile(file: path, reason: "no dataset \(name)") }
        let info = try f.info(name)
        guard info.shape.count == 2 else { throw EncodingError.modelFile(file: path, reason: "\(name) has shape \(info.shape), expected [N, F]") }
        guard info.shape[0] == expectedRows else {
            throw EncodingError.incompatibleData(reason: "\(path):\(name) has \(info.shape[0]) rows but \(dataFile) has \(expectedRows) stimuli")
        }
        let all = try f.readFloats(name).values
        let cols = info.shape[1]
        var v = [Float](repeating: 0, count: stimuli.count * cols)
        for (k, s) in stimuli.enumerated() {
            for j in 0..<cols {
                let x = all[s * cols + j]
                guard x.isFinite else { throw EncodingError.modelFile(file: path, reason: "\(name) has a NaN or infinite value at row \(s), column \(j)") }
                v[k * cols + j] = x
            }
        }
        let parent = (name as NSString).deletingLastPathComponent
        let namesPath = parent == "/" ? "/feature_names" : parent + "/feature_names"
        var desc = (0..<cols).map { "\(path):\(name) column \($0)" }
        if f.exists(namesPath), let names = try? f.readStrings(namesPath), names.count == cols { desc = names }
        return FeatureMatrix(values: v, rows: stimuli.count, columns: cols, descriptions: desc)
    }
}
