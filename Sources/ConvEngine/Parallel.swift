// Thread-level parallelism of ConvEngine kernels. The machines this project targets have two
// cores, so work is split into exactly `threadCount` contiguous chunks (no work stealing).
import Foundation

public enum Parallel {
    /// Worker threads used by the convolution and pooling kernels. Defaults to the number of
    /// active processors; set to 1 for single-threaded runs (benchmarks, debugging).
    nonisolated(unsafe) public static var threadCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body(chunk, range)` for `min(threadCount, count)` contiguous chunks of 0..<count,
    /// concurrently when there is more than one chunk.
    static func forEachChunk(_ count: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
        let chunks = max(1, min(threadCount, count))
        if chunks == 1 { if count > 0 { body(0, 0..<count) }; return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body(c, (c * count / chunks)..<((c + 1) * count / chunks))
        }
    }
}

/// A growable, reusable float buffer (uninitialised contents). Owned by one layer; not shared
/// between threads except by disjoint ranges.
final class ScratchBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    /// What the buffer's zero-filled regions were last prepared for (a kernel layout and its
    /// geometry); nil after a reallocation. Lets padded copies skip re-zeroing their borders.
    private var preparedLayout: AnyHashable?

    init() { pointer = .allocate(capacity: 1); capacity = 1 }
    deinit { pointer.deallocate() }

    /// A buffer of at least `count` floats; contents are unspecified.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = max(count, capacity + capacity / 2)
            pointer = .allocate(capacity: capacity)
            preparedLayout = nil
        }
        return pointer
    }

    /// Reserves `count` floats for `layout`; `needsZeroFill` is true when the buffer did not
    /// already hold that layout (the caller's first pack must then zero it).
    func reserve(_ count: Int, layout: AnyHashable) -> (pointer: UnsafeMutablePointer<Float>, needsZeroFill: Bool) {
        let p = reserve(count)
        let fresh = preparedLayout != layout
        preparedLayout = layout
        return (p, fresh)
    }
}
