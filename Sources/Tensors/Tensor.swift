// Tensor: dense Float32 storage with a shape, row-major. Image tensors are NCHW throughout the
// project (N batch, C channels, H rows, W columns); matrices are [rows, cols].
import CBLAS

public struct Tensor: Equatable, CustomStringConvertible, Sendable {
    /// Extent of each axis, outermost first (NCHW for images).
    public private(set) var shape: [Int]
    /// Row-major values; `data.count == shape.product`.
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(data.count == shape.reduce(1, *), "data count \(data.count) does not match shape \(shape)")
        self.shape = shape
        self.data = data
    }

    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.reduce(1, *))
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape) }
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    public var count: Int { data.count }
    public var rank: Int { shape.count }
    public var description: String { "Tensor\(shape)" }

    /// Same values, new shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    public mutating func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == data.count, "cannot reshape \(shape) to \(newShape)")
        shape = newShape
    }

    /// Resize to `newShape`, reusing the allocation when the capacity allows. Contents are unspecified
    /// except that newly created elements are zero.
    public mutating func resize(_ newShape: [Int]) {
        let n = newShape.reduce(1, *)
        if n != data.count {
            if n < data.count { data.removeLast(data.count - n) } else { data.append(contentsOf: repeatElement(0, count: n - data.count)) }
        }
        shape = newShape
    }

    public mutating func fill(_ value: Float) {
        data.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = value } }
    }

    // MARK: indexing

    @inline(__always) public func offset(_ n: Int, _ c: Int, _ h: Int, _ w: Int) -> Int {
        ((n * shape[1] + c) * shape[2] + h) * shape[3] + w
    }

    public subscript(n: Int, c: Int, h: Int, w: Int) -> Float {
        get { data[offset(n, c, h, w)] }
        set { data[offset(n, c, h, w)] = newValue }
    }

    public subscript(i: Int, j: Int) -> Float {
        get { data[i * shape[1] + j] }
        set { data[i * shape[1] + j] = newValue }
    }

    /// Rows `range` of the outermost axis.
    public func slice(_ range: Range<Int>) -> Tensor {
        let inner = shape.dropFirst().reduce(1, *)
        var s = shape; s[0] = range.count
        return Tensor(shape: s, data: Array(data[(range.lowerBound * inner)..<(range.upperBound * inner)]))
    }

    /// Items `indices` of the outermost axis, in that order, written into `storage` (new by default;
    /// pass one kept between calls to reuse its array).
    public func gather(_ indices: [Int], into storage: ReusableStorage = ReusableStorage()) -> Tensor {
        let inner = shape.dropFirst().reduce(1, *)
        var s = shape; s[0] = indices.count
        return storage.tensor(s) { dst in
            data.withUnsafeBufferPointer { src in
                for (k, i) in indices.enumerated() {
                    precondition(i >= 0 && i < shape[0], "gather index \(i) out of range 0..<\(shape[0])")
                    (dst + k * inner).update(from: src.baseAddress! + i * inner, count: inner)
                }
            }
        }
    }

    // MARK: element-wise

    public func map(_ f: (Float) -> Float) -> Tensor { Tensor(shape: shape, data: data.map(f)) }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "shape mismatch \(a.shape) vs \(b.shape)")
        var r = a; r.add(b); return r
    }
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "shape mismatch \(a.shape) vs \(b.shape)")
        var r = a; r.add(b, scaledBy: -1); return r
    }
    public static func * (a: Tensor, s: Float) -> Tensor { var r = a; r.scale(by: s); return r }

    /// self += alpha * other (BLAS saxpy).
    public mutating func add(_ other: Tensor, scaledBy alpha: Float = 1) {
        precondition(count == other.count, "count mismatch \(shape) vs \(other.shape)")
        let n = Int32(count)
        other.data.withUnsafeBufferPointer { x in
            data.withUnsafeMutableBufferPointer { y in cblas_saxpy(n, alpha, x.baseAddress, 1, y.baseAddress, 1) }
        }
    }

    public mutating func scale(by s: Float) {
        let n = Int32(count)
        data.withUnsafeMutableBufferPointer { y in cblas_sscal(n, s, y.baseAddress, 1) }
    }

    /// Element-wise product, in place.
    public mutating func multiply(by other: Tensor) {
        precondition(count == other.count, "count mismatch \(shape) vs \(other.shape)")
        data.withUnsafeMutableBufferPointer { y in
            other.data.withUnsafeBufferPointer { x in for i in 0..<y.count { y[i] *= x[i] } }
        }
    }

    public func sum() -> Double { data.reduce(0.0) { $0 + Double($1) } }
    public func mean() -> Double { count == 0 ? 0 : sum() / Double(count) }
    public func dot(_ other: Tensor) -> Float {
        precondition(count == other.count)
        return data.withUnsafeBufferPointer { a in other.data.withUnsafeBufferPointer { b in
            cblas_sdot(Int32(count), a.baseAddress, 1, b.baseAddress, 1) } }
    }
    public func squaredNorm() -> Float { dot(self) }
    public func maxAbs() -> Float { data.reduce(0) { max($0, abs($1)) } }
    public var allFinite: Bool { data.allSatisfy { $0.isFinite } }

    /// Largest |a − b| over all elements.
    public static func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.count == b.count, "count mismatch \(a.shape) vs \(b.shape)")
        var m: Float = 0
        for i in 0..<a.count { m = max(m, abs(a.data[i] - b.data[i])) }
        return m
    }

    // MARK: matrix products

    /// C = op(A) · op(B) for rank-2 tensors.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let k2 = transposeB ? b.shape[1] : b.shape[0]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == k2, "inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        var c = Tensor(shape: [m, n])
        a.data.withUnsafeBufferPointer { pa in b.data.withUnsafeBufferPointer { pb in c.data.withUnsafeMutableBufferPointer { pc in
            BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                       alpha: 1, a: pa.baseAddress!, lda: a.shape[1], b: pb.baseAddress!, ldb: b.shape[1],
                       beta: 0, c: pc.baseAddress!, ldc: n)
        } } }
        return c
    }

    public func transposed() -> Tensor {
        precondition(rank == 2)
        let r = shape[0], c = shape[1]
        var out = Tensor(shape: [c, r])
        for i in 0..<r { for j in 0..<c { out.data[j * r + i] = data[i * c + j] } }
        return out
    }
}

extension Array where Element == Int {
    /// Product of the extents (element count of a shape).
    public var product: Int { reduce(1, *) }
}
