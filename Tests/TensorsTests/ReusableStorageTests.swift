import XCTest
import Tensors

/// ReusableStorage writes in place exactly when nobody holds the last tensor it handed out, and
/// never changes a tensor someone holds.
final class ReusableStorageTests: XCTestCase {
    private func address(_ t: Tensor) -> UnsafeRawPointer? {
        t.data.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }

    func testUniquenessCheckOnThisPlatform() {
        XCTAssertTrue(ReusableStorage.uniquenessCheckWorks, "the Array layout check failed: every call would allocate")
    }

    func testReusesOnlyWhenTheLastTensorIsGone() {
        let s = ReusableStorage()
        var first: Tensor? = s.tensor([4, 8]) { p in for i in 0..<32 { p[i] = Float(i) } }
        let a = address(first!)
        XCTAssertFalse(s.isReusable, "the caller still holds the tensor")
        // Held: a new array, and the held tensor keeps its values.
        let second = s.tensor([4, 8]) { p in for i in 0..<32 { p[i] = -1 } }
        XCTAssertNotEqual(address(second), a)
        XCTAssertEqual(first!.data, (0..<32).map(Float.init))
        XCTAssertEqual(second.data, [Float](repeating: -1, count: 32))
        first = nil
        // `second` is still held: still no reuse of its array.
        let third = s.tensor([4, 8]) { p in for i in 0..<32 { p[i] = 2 } }
        XCTAssertEqual(second.data, [Float](repeating: -1, count: 32))
        let b = address(third)
        withExtendedLifetime(third) {}
        // Dropped: the same array is written in place.
        do {
            var t: Tensor? = s.tensor([32]) { p in for i in 0..<32 { p[i] = 3 } }
            XCTAssertEqual(address(t!), b)
            XCTAssertEqual(t!.shape, [32])
            t = nil
        }
        // A smaller shape fits in the capacity; zeroed clears it.
        let small = s.tensor([2, 3], zeroed: true) { _ in }
        XCTAssertEqual(address(small), b)
        XCTAssertEqual(small.data, [Float](repeating: 0, count: 6))
    }

    func testTakeAndKeep() {
        let s = ReusableStorage()
        var t = s.take([3], zeroed: true)
        XCTAssertEqual(t.data, [0, 0, 0])
        t.data[1] = 5
        s.keep(t)
        let a = address(t)
        t = Tensor(shape: [0])
        var u = s.take([3])
        XCTAssertEqual(address(u), a, "taken back in place")
        XCTAssertEqual(u.data[1], 5, "contents kept when not zeroed")
        u.data[0] = 1  // unique: no copy
        XCTAssertEqual(address(u), a)
        u = Tensor(shape: [0])
        XCTAssertFalse(s.isReusable, "taken and never kept: the storage holds nothing")
        s.keep(Tensor(shape: [2], repeating: 1))  // (a literal array may be a static, immortal one: never reusable)
        XCTAssertTrue(s.isReusable, "kept by the storage alone")
    }

    func testGatherIntoStorage() {
        let x = Tensor(shape: [4, 2], data: [0, 1, 10, 11, 20, 21, 30, 31])
        let s = ReusableStorage()
        var g: Tensor? = x.gather([3, 0, 3], into: s)
        XCTAssertEqual(g!.shape, [3, 2])
        XCTAssertEqual(g!.data, [30, 31, 0, 1, 30, 31])
        let a = address(g!)
        g = nil
        let h = x.gather([1, 2], into: s)
        XCTAssertEqual(h.data, [10, 11, 20, 21])
        XCTAssertEqual(address(h), a)
        XCTAssertEqual(x.gather([2]).data, [20, 21])
    }

    func testPoolSharesFewArraysAndNeverOneSomeoneHolds() {
        let pool = StoragePool(maximumEntries: 3)
        let a = ReusableStorage(pool: pool), b = ReusableStorage(pool: pool), c = ReusableStorage(pool: pool)
        // A chain: each tensor is read by the next request and then dropped (a backward pass).
        var upstream = a.tensor([100]) { p in for i in 0..<100 { p[i] = 1 } }
        var addresses: [UnsafeRawPointer?] = []
        for step in 0..<6 {
            let s = [a, b, c][step % 3]
            let next = s.tensor([step % 2 == 0 ? 100 : 60]) { p in
                upstream.data.withUnsafeBufferPointer { u in for i in 0..<(step % 2 == 0 ? 100 : 60) { p[i] = u[i] + 1 } }
            }
            XCTAssertNotEqual(address(next), address(upstream), "step \(step): wrote into the array it was reading")
            addresses.append(address(next))
            upstream = next
        }
        XCTAssertEqual(upstream.data.first, 7)
        XCTAssertLessThanOrEqual(Set(addresses).count, 2, "a chain needs two arrays")
        XCTAssertLessThanOrEqual(pool.footprint.entries, 2)
        // Holding every result: the pool fills up to its maximum, then allocates outside it.
        var held: [Tensor] = []
        for k in 0..<6 { held.append(a.tensor([10]) { p in for i in 0..<10 { p[i] = Float(k) } }) }
        XCTAssertEqual(pool.footprint.entries, 3)
        for (k, t) in held.enumerated() { XCTAssertEqual(t.data, [Float](repeating: Float(k), count: 10)) }
        XCTAssertEqual(Set(held.map { address($0) }).count, 6)
        pool.drain()
        XCTAssertEqual(pool.footprint.entries, 0)
        XCTAssertEqual(held[0].data[0], 0)
    }
}
