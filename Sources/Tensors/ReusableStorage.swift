// Storage a layer writes its tensors into pass after pass: the allocation-free training step
// (docs/performance.md, "Allocation per step").
//
// A layer keeps one `ReusableStorage` per tensor it produces. `tensor(_:_:)` (or `take` … `keep`)
// hands back a Tensor sharing the storage's array. On the next call the array is written in place
// when nobody holds the tensor returned last time (the caller dropped it: a training step's
// activations and gradients die with the step, and `Layer.releaseSaved()` lets go of the saved
// ones), and a new array is allocated when someone still holds it — so a tensor once returned
// never changes under its holder: value semantics are kept, and reuse is only an optimisation.
//
// Two kinds: a storage of its own (`ReusableStorage()`: what forward saves for backward, which
// lives until the next step) and one borrowed from a `StoragePool` per call
// (`ReusableStorage(pool:)`: tensors that live briefly — backward's input gradients, each consumed
// by the layer below, and evaluation-mode activations — so that a chain of layers shares two or
// three arrays instead of keeping one each; the memory of a step stays that of allocating and
// freeing them).
//
// Whether an array is uniquely referenced is the one fact the standard library keeps to itself
// (`Array` checks it internally before each copy-on-write). On Linux an `Array<Float>` is a single
// strong reference to its storage object (no Objective-C bridging), so it is read with
// `isKnownUniquelyReferenced` through that reference. `ReusableStorage.uniquenessCheckWorks`
// verifies the layout on known arrays at first use; where it fails every call allocates, as
// without reuse.
import Foundation

public final class ReusableStorage {
    private var values: [Float] = []
    private let pool: StoragePool?
    // The pool entry the tensor taken last came from (nil: none, or allocated outside the pool).
    private var entry: Int?

    /// A storage of its own.
    public init() { pool = nil }

    /// A storage borrowed from `pool` on each call.
    public init(pool: StoragePool) { self.pool = pool }

    /// Whether the last tensor handed out can be written in place now (nobody else holds it).
    /// Always false for a pooled storage (the pool decides).
    public var isReusable: Bool {
        pool == nil && !values.isEmpty && Self.uniquenessCheckWorks && Self.isUnique(&values)
    }

    /// Floats the storage holds without reallocating.
    public var capacity: Int { values.capacity }

    /// A tensor of `shape` whose values `body` writes (every one of them: the contents on entry are
    /// unspecified unless `zeroed`), kept as the storage for next time. `body` is not called for an
    /// empty shape.
    public func tensor(_ shape: [Int], zeroed: Bool = false, _ body: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        var t = take(shape, zeroed: zeroed)
        if t.count > 0 { t.data.withUnsafeMutableBufferPointer { body($0.baseAddress!) } }
        keep(t)
        return t
    }

    /// A uniquely held tensor of `shape` to fill in place: the storage's array when `isReusable` and
    /// its capacity suffices (the storage lets go of it), else a new one. Contents unspecified
    /// unless `zeroed`. Hand it back with `keep` once written.
    public func take(_ shape: [Int], zeroed: Bool = false) -> Tensor {
        if let pool {
            let (t, e) = pool.take(shape, zeroed: zeroed)
            entry = e
            return t
        }
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
    public func keep(_ t: Tensor) {
        if let pool { pool.keep(t, entry: entry); entry = nil } else { values = t.data }
    }

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

/// The storage of one layer's passes: its output — of its own when the output is kept for backward
/// (training or `retainsForBackward`: the next layer keeps it as its input), borrowed from the
/// shared pool otherwise (read once by the next layer) — and its input gradient, always borrowed (it
/// lives until the layer below has used it).
public final class LayerStorage {
    private let ownOutput = ReusableStorage(), transientOutput = ReusableStorage(pool: .shared)
    public let inputGradient = ReusableStorage(pool: .shared)

    public init() {}

    /// Where forward writes its output.
    public func output(kept: Bool) -> ReusableStorage { kept ? ownOutput : transientOutput }
}

/// A few storages shared by every `ReusableStorage(pool:)`, for tensors that live briefly. A
/// request takes the free entry (nobody holds its last tensor) of the smallest sufficient capacity;
/// with none, it grows the largest free entry, or adds one up to `maximumEntries`; with every entry
/// held it allocates outside the pool (nothing retained: a caller keeping many results, as the
/// Scanner does, does not make the pool grow). Thread-safe.
public final class StoragePool: @unchecked Sendable {
    /// The pool layers use for backward's input gradients and evaluation-mode activations.
    public static let shared = StoragePool(maximumEntries: 8)

    public let maximumEntries: Int
    // An entry lent out (taken, not yet kept) holds no array, so it is not `isReusable` either.
    private var entries: [ReusableStorage] = []
    private let lock = NSLock()

    public init(maximumEntries: Int) {
        precondition(maximumEntries > 0, "StoragePool needs at least one entry")
        self.maximumEntries = maximumEntries
    }

    /// Entries in the pool and the floats they hold (for tests and benchmarks).
    public var footprint: (entries: Int, floats: Int) {
        lock.lock(); defer { lock.unlock() }
        return (entries.count, entries.reduce(0) { $0 + $1.capacity })
    }

    /// Lets go of every entry's array (held tensors stay valid).
    public func drain() {
        lock.lock(); defer { lock.unlock() }
        entries.removeAll()
    }

    func take(_ shape: [Int], zeroed: Bool) -> (Tensor, Int?) {
        let n = shape.reduce(1, *)
        lock.lock(); defer { lock.unlock() }
        var best: Int?, largest: Int?
        for i in entries.indices where entries[i].isReusable {
            let c = entries[i].capacity
            if c >= n, best.map({ c < entries[$0].capacity }) ?? true { best = i }
            if largest.map({ c > entries[$0].capacity }) ?? true { largest = i }
        }
        if best == nil {
            if entries.count < maximumEntries {
                entries.append(ReusableStorage())
                best = entries.count - 1
            } else {
                best = largest
            }
        }
        guard let i = best else { return (ReusableStorage().take(shape, zeroed: zeroed), nil) }
        return (entries[i].take(shape, zeroed: zeroed), i)
    }

    func keep(_ t: Tensor, entry: Int?) {
        guard let i = entry else { return }
        lock.lock(); defer { lock.unlock() }
        guard i < entries.count else { return }  // drained meanwhile
        entries[i].keep(t)
    }
}
