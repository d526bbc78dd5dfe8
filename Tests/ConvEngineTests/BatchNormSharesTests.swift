import XCTest
import Foundation
import Tensors
import TestSupport
import ConvEngine

/// Sums buffers between two threads standing in for two MPI ranks (each call waits for the other).
private final class TwoShareSum: @unchecked Sendable {
    private let lock = NSCondition()
    private var pending: [[Double]] = []
    private var result: [Double]? = nil
    private var taken = 0
    private var generation = 0

    func sum(_ buffer: inout [Double]) {
        lock.lock(); defer { lock.unlock() }
        while result != nil { lock.wait() }          // the previous sum is still being read
        let myGeneration = generation
        pending.append(buffer)
        if pending.count == 2 {
            result = zip(pending[0], pending[1]).map { $0 + $1 }
            pending = []
            lock.broadcast()
        } else {
            while !(result != nil && generation == myGeneration) { lock.wait() }
        }
        buffer = result!
        taken += 1
        if taken == 2 { taken = 0; result = nil; generation += 1; lock.broadcast() }
    }
}

/// Batch-norm with `crossReplicaSum` on two shares of a batch equals batch-norm on the whole batch
/// (forward output, running statistics, input gradient; γ/β gradients add up), to float rounding.
final class BatchNormSharesTests: XCTestCase {
    func testTwoSharesEqualTheWholeBatch() {
        var rng = SeededRandom(seed: 11)
        let n = 7, c = 3, h = 4, w = 5, plane = c * h * w
        let x = rng.normalTensor([n, c, h, w], mean: 0.7, std: 2)
        let dy = rng.normalTensor([n, c, h, w])
        let whole = BatchNorm2D(channels: c)
        let y = whole.forward(x, training: true)
        let dx = whole.backward(dy)

        let split = 3   // rows 0..<3 on "rank 0", 3..<7 on "rank 1"
        let sum = TwoShareSum()
        let shares = [0..<split, split..<n].map { r -> (BatchNorm2D, Tensor, Tensor) in
            let bn = BatchNorm2D(channels: c)
            bn.crossReplicaSum = { sum.sum(&$0) }
            return (bn, Tensor(shape: [r.count, c, h, w], data: Array(x.data[(r.lowerBound * plane)..<(r.upperBound * plane)])),
                    Tensor(shape: [r.count, c, h, w], data: Array(dy.data[(r.lowerBound * plane)..<(r.upperBound * plane)])))
        }
        var outputs = [Tensor?](repeating: nil, count: 2), grads = [Tensor?](repeating: nil, count: 2)
        let box = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            let (bn, xs, dys) = shares[k]
            let ys = bn.forward(xs, training: true)
            let dxs = bn.backward(dys)
            box.lock(); outputs[k] = ys; grads[k] = dxs; box.unlock()
        }
        let y2 = outputs[0]!.data + outputs[1]!.data, dx2 = grads[0]!.data + grads[1]!.data
        XCTAssertTrue(compareArrays("y", y2, y.data, atol: 1e-5).ok)
        XCTAssertTrue(compareArrays("dx", dx2, dx.data, atol: 1e-5).ok)
        for (bn, _, _) in shares {
            XCTAssertTrue(compareArrays("running mean", bn.state["running_mean"]!.data, whole.state["running_mean"]!.data, atol: 1e-6).ok)
            XCTAssertTrue(compareArrays("running var", bn.state["running_var"]!.data, whole.state["running_var"]!.data, atol: 1e-6).ok)
        }
        let dGamma = zip(shares[0].0.weight.grad.data, shares[1].0.weight.grad.data).map { $0 + $1 }
        let dBeta = zip(shares[0].0.bias.grad.data, shares[1].0.bias.grad.data).map { $0 + $1 }
        XCTAssertTrue(compareArrays("dγ", dGamma, whole.weight.grad.data, atol: 1e-4).ok)
        XCTAssertTrue(compareArrays("dβ", dBeta, whole.bias.grad.data, atol: 1e-4).ok)
        // Without the hook a share normalises by its own statistics: clearly different (the test can fail).
        let alone = BatchNorm2D(channels: c)
        let y0 = alone.forward(shares[0].1, training: true)
        XCTAssertGreaterThan(zip(y0.data, outputs[0]!.data).map { abs($0 - $1) }.max()!, 1e-2)
    }
}
