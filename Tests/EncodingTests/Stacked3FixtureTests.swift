import XCTest
import Tensors
import ConvEngine
import Encoding
import TestSupport

/// The `stacked3` encoder against PyTorch (scripts/fixtures/torch_stacked3.py): forward, the
/// gradient of the peer's penalised Poisson loss for every parameter and the input, batch-norm
/// running statistics, and three Adam steps.
/// Tolerances: the peer adds 1e-6 to its softplus rates, we do not (we clamp at 1e-8 in the
/// likelihood instead), so rates differ by 1e-6 by construction; float32 accumulation order
/// differs, so gradients are compared with atol 2e-5 relative to their scale.
final class Stacked3FixtureTests: XCTestCase {
    func makeEncoder(_ f: HDF5File) throws -> NeuralEncoder {
        let arch = EncoderArchitecture.stacked3(inputChannels: 1, height: 20, width: 20, units: 5, channels: 6)
        let enc = try NeuralEncoder(architecture: arch, seed: 0)
        for (layer, p) in enc.namedParameters {
            let t = try f.readTensor("/initial/\(layer)/\(p.localName)")
            XCTAssertEqual(t.count, p.value.count, "\(layer).\(p.localName)")
            p.value = t.reshaped(p.value.shape)
        }
        return enc
    }

    func penalisedLoss(_ enc: NeuralEncoder, _ x: Tensor, _ y: Tensor) -> (Double, Tensor) {
        let b = x.shape[0], u = 5
        let mu = enc.forward(x, training: true)
        var dMean = Tensor(shape: [b, u])
        let obs = PoissonObservation()
        let nll = y.data.withUnsafeBufferPointer { yp in mu.data.withUnsafeBufferPointer { mp in dMean.data.withUnsafeMutableBufferPointer { dp in
            obs.lossAndGradient(y: yp.baseAddress!, mean: mp.baseAddress!, dMean: dp.baseAddress!, count: b, units: u, scale: 1 / Float(b))
        } } }
        enc.zeroGradients()
        enc.backward(dMean)
        var loss = nll
        loss += Regularizer.laplace(enc.firstConv!.weight, strength: 0.1, padding: .valid)  // the fixture's unpadded form
        loss += Regularizer.l1((enc.readout as! FactorizedReadout).mask, strength: 1e-4)
        return (loss, mu)
    }

    func testForwardBackwardAndAdamMatchPyTorch() throws {
        let path = TestPaths.fixture("torch_stacked3.h5")
        let f = try HDF5File.open(path)
        let x = try f.readTensor("/input"), y = try f.readTensor("/responses")
        let enc = try makeEncoder(f)
        enc.core.layers.forEach { $0.retainsForBackward = true }
        let (loss, mu) = penalisedLoss(enc, x, y)
        let torchRates = try f.readFloats("/rates").values
        XCTAssertTrue(compareArrays("stacked3 rates", mu.data, torchRates, atol: 2e-5, rtol: 1e-4).ok)
        let torchLoss = try f.doubleAttribute("loss")!
        print("stacked3 loss ours \(loss) torch \(torchLoss)")
        XCTAssertEqual(loss, torchLoss, accuracy: 1e-4 * abs(torchLoss))
        for (layer, p) in enc.namedParameters {
            let ref = try f.readFloats("/grad/\(layer)/\(p.localName)").values
            let scale = ref.map { abs($0) }.max() ?? 1
            XCTAssertTrue(compareArrays("grad \(layer).\(p.localName)", p.grad.data, ref, atol: max(2e-5, 2e-4 * scale)).ok)
        }
        for k in ["bn1", "bn2", "bn3"] {
            let bn = enc.core.layer(named: k)!
            for s in ["running_mean", "running_var"] {
                XCTAssertTrue(compareArrays("\(k).\(s)", bn.state[s]!.data, try f.readFloats("/running/\(k)/\(s)").values, atol: 1e-5, rtol: 1e-4).ok)
            }
        }

        // Input gradient: one more forward/backward in a fresh encoder (the first forward updated
        // the running statistics; gradients in training mode do not depend on them).
        let enc2 = try makeEncoder(f)
        let b = x.shape[0]
        let mu2 = enc2.forward(x, training: true)
        var dMean = Tensor(shape: [b, 5])
        for i in 0..<dMean.count { dMean.data[i] = (1 - y.data[i] / mu2.data[i]) / Float(b) }
        enc2.zeroGradients()
        let dx = enc2.backward(dMean)
        let refDx = try f.readFloats("/input_grad").values
        XCTAssertTrue(compareArrays("input gradient", dx.data, refDx, atol: 2e-4 * (refDx.map { abs($0) }.max() ?? 1)).ok)

        // Three Adam steps (lr 5e-3) from the initial weights on the same batch.
        let enc3 = try makeEncoder(f)
        let adam = try Adam(learningRate: 5e-3)
        let torchLosses = try f.readDoubles("/adam_losses").values
        for step in 0..<3 {
            let (l, _) = penalisedLoss(enc3, x, y)
            print("Adam step \(step): ours \(l) torch \(torchLosses[step])")
            XCTAssertEqual(l, torchLosses[step], accuracy: 1e-4 * abs(torchLosses[step]))
            adam.step(enc3.parameters)
        }
        // A conv bias followed by batch-norm in training mode has a gradient that is zero by
        // structure (its effect is removed by the batch mean): both sides hold only rounding noise
        // (~1e-8), which Adam's normalisation turns into ±lr steps of arbitrary sign. Those
        // biases are excluded; everything else must agree after three steps.
        for (layer, p) in enc3.namedParameters where !(layer.hasPrefix("conv") && p.localName == "bias") {
            let ref = try f.readFloats("/after_adam/\(layer)/\(p.localName)").values
            XCTAssertTrue(compareArrays("after Adam \(layer).\(p.localName)", p.value.data, ref, atol: 5e-5, rtol: 1e-4).ok)
        }
        let evalRates = enc3.forward(x, training: false)
        // Evaluation mode uses the running means, which include the (noise-driven) conv biases for
        // 0.1 of their weight per step; hence the looser tolerance here.
        XCTAssertTrue(compareArrays("eval rates after Adam", evalRates.data, try f.readFloats("/eval_rates_after_adam").values, atol: 5e-5, rtol: 5e-3).ok)
    }
}
