import XCTest
import Tensors
import ConvEngine

/// Layers write each pass into the storage of the pass before when nobody holds its tensors
/// (ReusableStorage): results equal a fresh network's, tensors a caller holds never change, and
/// the storage is in fact reused once the caller lets go.
final class OutputReuseTests: XCTestCase {
    func network() -> Sequential {
        var r = SeededRandom(seed: 3)
        return Sequential([
            Conv2D(inputChannels: 2, outputChannels: 8, kernelSize: 3, padding: 1, name: "conv1", random: &r),
            BatchNorm2D(channels: 8, name: "bn1"), ELU(name: "act1"),
            MaxPool2D(kernelSize: 2, name: "pool1"),
            Conv2D(inputChannels: 8, outputChannels: 8, kernelSize: 5, padding: 2, name: "conv2", random: &r),
            ReLU(name: "act2"), AvgPool2D(kernelSize: 2, name: "pool2"), Softplus(name: "act3"),
            Flatten(name: "flat"), Linear(inputFeatures: 8 * 4 * 4, outputFeatures: 5, name: "fc", random: &r), Exp(name: "exp"),
        ])
    }

    private func address(_ t: Tensor) -> UnsafeRawPointer? {
        t.data.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }

    func testHeldResultsStayAndRepeatedPassesMatchAFreshNetwork() {
        var r = SeededRandom(seed: 9)
        let x1 = r.normalTensor([4, 2, 16, 16]), x2 = r.normalTensor([4, 2, 16, 16])
        let g = r.normalTensor([4, 5])
        for fft in [ConvolutionAlgorithm.direct, .fft] {
            let saved = Conv2D.algorithm
            Conv2D.algorithm = fft
            defer { Conv2D.algorithm = saved }
            // Reference: a fresh network per input.
            func fresh(_ x: Tensor) -> (Tensor, Tensor, [Tensor]) {
                let n = network()
                let y = n.forward(x, training: true)
                let dx = n.backward(g)
                return (y, dx, n.parameters.map(\.grad))
            }
            let (y1, dx1, _) = fresh(x1)
            let (y2, dx2, grads2) = fresh(x2)
            // One network, holding pass 1's results while pass 2 runs.
            let n = network()
            let heldY = n.forward(x1, training: true)
            let heldDx = n.backward(g)
            n.zeroGrad()
            let y = n.forward(x2, training: true)
            let dx = n.backward(g)
            XCTAssertEqual(heldY.data, y1.data, "\(fft): pass 1's output changed under its holder")
            XCTAssertEqual(heldDx.data, dx1.data, "\(fft): pass 1's input gradient changed under its holder")
            // Batch-norm's running statistics differ after two passes; in training mode the output
            // depends on the batch only.
            XCTAssertEqual(y.data, y2.data, "\(fft): output of pass 2")
            XCTAssertEqual(dx.data, dx2.data, "\(fft): input gradient of pass 2")
            for (p, q) in zip(n.parameters.map(\.grad), grads2) { XCTAssertEqual(p.data, q.data, "\(fft): parameter gradient") }
        }
    }

    func testStorageIsReusedOnceTheCallerLetsGo() {
        var r = SeededRandom(seed: 2)
        let x = r.normalTensor([4, 2, 16, 16])
        let n = network()
        var outputs: [UnsafeRawPointer?] = []
        for _ in 0..<3 {
            let y = n.forward(x, training: true)
            _ = n.backward(Tensor(shape: y.shape, repeating: 1))
            outputs.append(address(y))
        }
        XCTAssertEqual(outputs[1], outputs[2], "the last layer's output storage was not reused")
        // Every layer's output. Not held: the next pass writes into the same storage.
        _ = n.forward(x, training: true, saveActivations: true)
        let a = n.activations.map { address($0) }
        _ = n.forward(x, training: true, saveActivations: true)
        let b = n.activations.map { address($0) }
        XCTAssertEqual(a, b, "activations nobody held were not reused")
        // Held: new storage, and the held values stay.
        let held = n.activations
        let values = held.map(\.data)
        _ = n.forward(r.normalTensor([4, 2, 16, 16]), training: true, saveActivations: true)
        let c = n.activations.map { address($0) }
        for i in 0..<held.count where !(n.layers[i] is Flatten) {
            XCTAssertNotEqual(c[i], b[i], "layer \(i): a held activation's storage was written")
            XCTAssertEqual(held[i].data, values[i], "layer \(i): a held activation changed")
        }
    }
}
