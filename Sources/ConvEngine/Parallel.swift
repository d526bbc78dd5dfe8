// Thread-level parallelism of ConvEngine kernels. The machines this project targets have two
// cores, so work is split into exactly `threadCount` contiguous chunks (no work stealing).
import Foundation
import Tensors

public enum Parallel {
    /// Worker threads used by the convolution and pooling kernels. Defaults to the number of
    /// active processors; set to 1 for single-threaded runs (benchmarks, debugging). Commands set
    /// it together with BLAS's through `setThreads`.
    nonisolated(unsafe) public static var threadCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// The one thread setting of a run: the conv, pooling, batch-norm and activation kernels and
    /// OpenBLAS all use `n` threads (at least 1).
    public static func setThreads(_ n: Int) {
        threadCount = max(1, n)
        BLAS.setThreads(threadCount)
    }

    /// How many distinct threads ran the chunks of the last `forEachChunk` / `forEachRange` call
    /// that split its work (for tests that check the setting reaches the kernels).
    nonisolated(unsafe) public private(set) static var lastChunkCount: Int = 0

    /// Calls `body(chunk, range)` for `min(threadCount, count)` contiguous chunks of 0..<count,
    /// concurrently when there is more than one chunk.
    static func forEachChunk(_ count: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
        let chunks = max(1, min(threadCount, count))
        lastChunkCount = chunks
        if chunks == 1 { if count > 0 { body(0, 0..<count) }; return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body(c, (c * count / chunks)..<((c + 1) * count / chunks))
        }
    }
}

extension Parallel {
    /// Calls `body(range)` over contiguous ranges covering 0..<count, concurrently when count is at
    /// least `minimumPerChunk` per thread (small arrays are not worth a thread hop).
    static func forEachRange(_ count: Int, minimumPerChunk: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = max(1, min(threadCount, count / max(1, minimumPerChunk)))
        lastChunkCount = chunks
        if chunks == 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body((c * count / chunks)..<((c + 1) * count / chunks))
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
    private var preparedLayout: ScratchLayout?

    init() { pointer = Self.allocate(1); capacity = 1 }
    deinit { pointer.deallocate() }

    /// `count` floats on pages of their own, with one more page unused after them. Each thread
    /// has its own buffers; packed next to each other in the heap, two threads' buffers shared
    /// pages, and the first layer's backward-weights ran 0.75–0.83 of the FMA peak on 2 threads
    /// against 0.86–0.90 with the buffers 16 KB apart (same C kernels called from Swift, three
    /// alternating rounds; 64 bytes apart did not help — the hardware prefetchers reach across a
    /// page, not just a line). Costs at most two pages per buffer.
    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let page = 4096
        let bytes = (count * MemoryLayout<Float>.stride + page - 1) / page * page + page
        return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: page).bindMemory(to: Float.self, capacity: count)
    }

    /// A buffer of at least `count` floats; contents are unspecified.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = max(count, capacity + capacity / 2)
            pointer = Self.allocate(capacity)
            // NaN, not whatever the allocator hands out: a kernel that reads scratch it has not
            // written then fails every test instead of depending on the heap's contents.
            pointer.initialize(repeating: .nan, count: capacity)
            preparedLayout = nil
        }
        return pointer
    }

    /// Whether the buffer's zero regions are those of `layout` (set by `markPrepared` after a
    /// zero fill; cleared by a reallocation).
    func isPrepared(for layout: ScratchLayout) -> Bool { preparedLayout == layout }
    func markPrepared(for layout: ScratchLayout) { preparedLayout = layout }
}

/// What a scratch buffer's zero-filled regions were prepared for: the padded input image or the
/// padded dY image of a geometry (a concrete type: an AnyHashable tag cost an allocation per check).
enum ScratchLayout: Equatable { case input(ConvolutionGeometry), outputGradient(ConvolutionGeometry) }
