// Output storage a layer writes into pass after pass: the allocation-free training step
// (docs/performance.md, "Allocation per step").
//
// A layer keeps one `ReusableStorage` per tensor it produces (its output, its input gradient, what
// it saves for backward). `tensor(_:_:)` hands back a Tensor sharing the storage's array. On the
// next call the array is written in place when nobody holds the tensor returned last time (the
// caller dropped it: a training step's activations and gradients die with the step, and
// `Layer.releaseSaved()` lets go of the saved ones), and a new array is allocated when someone
// still holds it — so a tensor once returned never changes under its holder: value semantics are
// kept, and reuse is only an optimisation.
//
// Whether an array is uniquely referenced is the one fact the standard library keeps to itself
// (`Array` checks it internally before each copy-on-write). On Linux an `Array<Float>` is a single
// strong reference to its storage object (no Objective-C bridging), so it is read with
// `isKnownUniquelyReferenced` through that reference. `ReusableStorage.uniquenessCheckWorks`
// verifies the layout on known arrays at first use; where it fails every call allocates, as
// without reuse.

public struct ReusableStorage {
    private var values: [Float] = []

    public init() {}

    /// Whether the last tensor handed out can be written in place now (nobody else holds it).
    public var isReusable: Bool {
        mutating get { !values.isEmpty && Self.uniquenessCheckWorks && Self.isUnique(&values) }
    }

    /// A tensor of `shape` whose values `body` writes (every one of them: the contents on entry are
    /// unspecified unless `zeroed`), kept as the storage for next time. `body` is not called for an
    /// empty shape.
    public mutating func tensor(_ shape: [Int], zeroed: Bool = false,
                                _ body: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        var t = take(shape, zeroed: zeroed)
        if t.count > 0 { t.data.withUnsafeMutableBufferPointer { body($0.baseAddress!) } }
        keep(t)
        return t
    }

    /// A uniquely held tensor of `shape` to fill in place: the storage's array when `isReusable` and
    /// its capacity suffices (the storage lets go of it), else a new one. Contents unspecified
    /// unless `zeroed`. Hand it back with `keep` once written.
    public mutating func take(_ shape: [Int], zeroed: Bool = false) -> Tensor {
        let n = shape.reduce(1, *)
        precondition(n >= 0, "negative extent in shape \(shape)")
        if isReusable && values.capacity >= n {
            var v: [Float] = []
            swap(&v, &values)
            if v.count > n { v.removeLast(v.count - n) }
            else if v.count < n { v.append(contentsOf: repeatElement(0, count: n - v.count)) }
            if zeroed && n > 0 { v.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: n) } }
            return Tensor(shape: shape, data: v)
        }
        values = []
        if zeroed { return Tensor(shape: shape) }
        // Every caller writes all n values before reading any (the contract of `take`).
        return Tensor(shape: shape, data: [Float](unsafeUninitializedCapacity: n) { _, count in count = n })
    }

    /// Keeps `t`'s array as the storage for the next `take` (a reference: no copy).
    public mutating func keep(_ t: Tensor) { values = t.data }

    /// Lets go of the storage (the next call allocates).
    public mutating func release() { values = [] }

    /// Whether `array`'s storage has no other reference (see the header).
    @inline(never)
    static func isUnique(_ array: inout [Float]) -> Bool {
        withUnsafeMutablePointer(to: &array) { p in
            p.withMemoryRebound(to: AnyObject.self, capacity: 1) { isKnownUniquelyReferenced(&$0.pointee) }
        }
    }

    /// The layout check behind `isReusable`: true for a fresh array, false once it is shared.
    public static let uniquenessCheckWorks: Bool = {
        guard MemoryLayout<[Float]>.size == MemoryLayout<AnyObject>.size else { return false }
        var a = [Float](repeating: 1, count: 8)
        guard isUnique(&a) else { return false }
        let b = a
        let shared = isUnique(&a)
        return withExtendedLifetime(b) { !shared }
    }()
}
