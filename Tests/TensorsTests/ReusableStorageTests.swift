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
        var s = ReusableStorage()
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
        var s = ReusableStorage()
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
        s.release()
        XCTAssertFalse(s.isReusable)
    }

    func testGatherIntoStorage() {
        let x = Tensor(shape: [4, 2], data: [0, 1, 10, 11, 20, 21, 30, 31])
        var s = ReusableStorage()
        var g: Tensor? = x.gather([3, 0, 3], into: &s)
        XCTAssertEqual(g!.shape, [3, 2])
        XCTAssertEqual(g!.data, [30, 31, 0, 1, 30, 31])
        let a = address(g!)
        g = nil
        let h = x.gather([1, 2], into: &s)
        XCTAssertEqual(h.data, [10, 11, 20, 21])
        XCTAssertEqual(address(h), a)
        XCTAssertEqual(x.gather([2]).data, [20, 21])
    }
}
