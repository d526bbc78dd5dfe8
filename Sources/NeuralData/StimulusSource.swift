// Where stimulus pixels come from while a dataset is used: memory, or the HDF5 file itself read in
// row ranges (hyperslabs) as batches are drawn, so a file several times the size of RAM trains in
// bounded memory.
//
// Shapes: N stimuli, C channels, H rows, W columns. Values are raw (as stored, converted to Float32:
// 0…255 for uint8 files); preprocessing is a separate step (`Preprocessing`).
import Tensors

public protocol StimulusSource: AnyObject {
    /// N, the number of distinct stimuli.
    var count: Int { get }
    var channels: Int { get }
    var height: Int { get }
    var width: Int { get }
    /// The stimuli at `indices` (each in 0..<N, repeats allowed), in that order: [n, C, H, W] raw Float.
    func stimuli(_ indices: [Int]) throws -> Tensor
}

extension StimulusSource {
    /// [C, H, W].
    public var itemShape: [Int] { [channels, height, width] }
    public var itemCount: Int { channels * height * width }
}

/// All stimuli held in one tensor [N, C, H, W].
public final class InMemoryStimulusSource: StimulusSource {
    public let tensor: Tensor
    public var count: Int { tensor.shape[0] }
    public var channels: Int { tensor.shape[1] }
    public var height: Int { tensor.shape[2] }
    public var width: Int { tensor.shape[3] }

    /// `tensor` is [N, C, H, W].
    public init(tensor: Tensor) {
        precondition(tensor.rank == 4, "stimuli must be [N, C, H, W], got \(tensor.shape)")
        self.tensor = tensor
    }

    public func stimuli(_ indices: [Int]) throws -> Tensor { tensor.gather(indices) }
}

/// Stimuli read from an HDF5 dataset on demand. A request is sorted, split into runs of
/// consecutive rows, and each run is one hyperslab read; memory in use is the request itself plus
/// one run, whatever the size of the file.
public final class HDF5StimulusSource: StimulusSource {
    public let file: HDF5File
    public let path: String
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// Total bytes (as Float32) and hyperslab reads served so far; for benchmarks.
    public private(set) var floatsRead = 0
    public private(set) var rangeReads = 0

    /// Element type as stored; uint8 rows are read as bytes and widened here, which is several
    /// times faster than HDF5's own type conversion for small row reads.
    public let storedType: HDF5ElementType
    /// Check float blocks for NaN/Inf as they are read (`DatasetError.nonFinite` at the first).
    public var checksValues = false
    private let storedShape: [Int]

    /// `shape` is the dataset's shape as stored: [N, H, W] or [N, C, H, W].
    public init(file: HDF5File, path: String, shape: [Int], storedType: HDF5ElementType = .float32) {
        precondition(shape.count == 3 || shape.count == 4, "stimuli must be rank 3 or 4, got \(shape)")
        self.file = file; self.path = path; self.storedType = storedType; storedShape = shape
        count = shape[0]
        channels = shape.count == 4 ? shape[1] : 1
        height = shape[shape.count - 2]; width = shape[shape.count - 1]
    }

    public func stimuli(_ indices: [Int]) throws -> Tensor {
        let inner = itemCount
        var out = Tensor(shape: [indices.count, channels, height, width])
        if indices.isEmpty { return out }
        // Output positions in order of the row they need.
        let order = indices.indices.sorted { indices[$0] < indices[$1] }
        var k = 0
        while k < order.count {
            let first = indices[order[k]]
            precondition(first >= 0 && first < count, "stimulus index \(first) out of range 0..<\(count)")
            // Extend the run while the next needed row is the same or the next one.
            var end = k + 1
            var last = first
            while end < order.count, indices[order[end]] - last <= 1 { last = indices[order[end]]; end += 1 }
            precondition(last < count, "stimulus index \(last) out of range 0..<\(count)")
            let rows = first..<(last + 1)
            if storedType == .uint8 {
                let block = try file.readUInt8(path, rows: rows).values
                block.withUnsafeBufferPointer { src in
                    out.data.withUnsafeMutableBufferPointer { dst in
                        for j in k..<end {
                            let s = src.baseAddress! + (indices[order[j]] - first) * inner, d = dst.baseAddress! + order[j] * inner
                            for e in 0..<inner { d[e] = Float(s[e]) }
                        }
                    }
                }
            } else {
                let block = try file.readFloats(path, rows: rows).values
                if checksValues {
                    try Dataset.checkFinite(block, file: file.path, path: path, shape: storedShape, offset: first * inner)
                }
                block.withUnsafeBufferPointer { src in
                    out.data.withUnsafeMutableBufferPointer { dst in
                        for j in k..<end {
                            let row = indices[order[j]] - first
                            (dst.baseAddress! + order[j] * inner).update(from: src.baseAddress! + row * inner, count: inner)
                        }
                    }
                }
            }
            rangeReads += 1
            floatsRead += rows.count * inner
            k = end
        }
        return out
    }
}
