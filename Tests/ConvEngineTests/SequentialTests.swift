import XCTest
import Tensors
import TestSupport
import ConvEngine

final class SequentialTests: XCTestCase {
    /// conv1 → relu1 → conv2 → relu2 → pool → flatten → linear (2·3·3 → 4).
    func makeModel(seed: UInt64 = 11) -> Sequential {
        var rng = SeededRandom(seed: seed)
        return Sequential([
            Conv2D(inputChannels: 1, outputChannels: 3, kernelSize: 3, padding: 1, name: "conv1", random: &rng),
            ReLU(name: "relu1"),
            Conv2D(inputChannels: 3, outputChannels: 2, kernelSize: 3, padding: 1, name: "conv2", random: &rng),
            ReLU(name: "relu2"),
            MaxPool2D(kernelSize: 2, name: "pool"),
            Flatten(name: "flatten"),
            Linear(inputFeatures: 18, outputFeatures: 4, name: "readout", random: &rng),
        ])
    }

    /// A fresh copy of layers 0...end with the same weights.
    func cloneSubnetwork(_ m: Sequential, through end: Int) -> Sequential {
        Sequential((0...end).map { i -> Layer in
            switch m.layers[i] {
            case let c as Conv2D:
                return Conv2D(inputChannels: c.inputChannels, outputChannels: c.outputChannels, kernelSize: c.kernelSize,
                              stride: c.stride, padding: c.padding, name: c.name, weight: c.weight.value, bias: c.bias?.value)
            case let l as Linear: return Linear(name: l.name, weight: l.weight.value, bias: l.bias?.value)
            case let p as MaxPool2D: return MaxPool2D(kernelSize: p.geometry.kernelSize, name: p.name)
            case is ReLU: return ReLU(name: m.layers[i].name)
            case is Flatten: return Flatten(name: m.layers[i].name)
            default: fatalError("unexpected layer")
            }
        })
    }

    func testForwardUpToMatchesPrefix() throws {
        let model = makeModel()
        var rng = SeededRandom(seed: 1)
        let x = rng.normalTensor([2, 1, 6, 6])
        let full = model.forward(x, training: false, saveActivations: true)
        XCTAssertEqual(model.activations.count, 7)
        XCTAssertEqual(model.activations.last, full)
        for k in 0..<7 {
            let partial = model.forward(x, upTo: k)
            XCTAssertEqual(partial, cloneSubnetwork(model, through: k).forward(x, training: false), "upTo \(k)")
            XCTAssertEqual(partial, model.forward(x, training: false, saveActivations: true) == full ? model.activations[k] : nil)
        }
        XCTAssertEqual(try model.forward(x, upTo: "relu2"), model.forward(x, upTo: 3))
        XCTAssertThrowsError(try model.forward(x, upTo: "conv9")) { e in
            XCTAssertEqual("\(e)", "no layer named 'conv9' in the model (layers: conv1, relu1, conv2, relu2, pool, flatten, readout)")
        }
    }

    func testBackwardFromAnyLayerEqualsSubnetworkGradient() throws {
        var rng = SeededRandom(seed: 2)
        let x = rng.normalTensor([2, 1, 6, 6])
        for k in [0, 2, 3, 4, 6] {
            let model = makeModel()
            model.retainsForBackward = true
            let y = model.forward(x, training: false, saveActivations: true)
            XCTAssertEqual(y.shape, [2, 4])
            let g = rng.normalTensor(model.activations[k].shape)
            let dx = model.backward(from: k, gradient: g)
            XCTAssertEqual(model.inputGradient, dx)
            let sub = cloneSubnetwork(model, through: k)
            sub.retainsForBackward = true
            _ = sub.forward(x, training: false)
            let dxSub = sub.backward(g)
            XCTAssertTrue(compareArrays("backward(from: \(k))", dx.data, dxSub.data, atol: 1e-6).ok)
            // Parameter gradients of the layers on the path agree too.
            let subParams = Dictionary(uniqueKeysWithValues: sub.parameters.map { ($0.name, $0) })
            for p in model.parameters {
                if let q = subParams[p.name] {
                    XCTAssertTrue(compareArrays("backward(from: \(k)) \(p.name)", p.grad.data, q.grad.data, atol: 1e-6).ok)
                } else {
                    XCTAssertEqual(p.grad.maxAbs(), 0, "\(p.name) is past layer \(k) and must get no gradient")
                }
            }
        }
        // A named start layer gives the same gradient as its index.
        let model = makeModel()
        model.retainsForBackward = true
        _ = try model.forward(x, upTo: "relu2")
        let g = Tensor.ones([2, 2, 6, 6])
        let byName = try model.backward(from: "relu2", gradient: g)
        _ = model.forward(x, upTo: 3)
        XCTAssertEqual(byName, model.backward(from: 3, gradient: g))
        // backward(_:) after a partial forward starts at the last layer run.
        _ = model.forward(x, upTo: 3)
        XCTAssertEqual(model.backward(g), byName)
    }

    func testReluMasks() {
        let model = makeModel()
        var rng = SeededRandom(seed: 3)
        let x = rng.normalTensor([2, 1, 6, 6])
        // Evaluation without retaining: masks come from the saved activations.
        _ = model.forward(x, training: false, saveActivations: true)
        var masks = model.reluMasks
        XCTAssertEqual(masks.map(\.layerIndex), [1, 3])
        XCTAssertEqual(masks.map(\.layerName), ["relu1", "relu2"])
        for m in masks {
            let pre = model.activations[m.layerIndex - 1]
            XCTAssertEqual(m.mask.data, pre.data.map { $0 > 0 ? 1 : 0 })
            XCTAssertGreaterThan(m.mask.sum(), 0); XCTAssertLessThan(m.mask.sum(), Double(m.mask.count))
        }
        // Retaining: the ReLU's own mask, identical.
        model.retainsForBackward = true
        _ = model.forward(x, training: false)
        masks = model.reluMasks
        XCTAssertEqual(masks.count, 2)
        XCTAssertEqual((model.layers[1] as! ReLU).gate, masks[0].mask.data.map { $0 == 1 })
    }

    func testNamesParametersStateAndShapes() throws {
        var rng = SeededRandom(seed: 4)
        let model = Sequential([
            Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, random: &rng), BatchNorm2D(channels: 2), ReLU(),
            Conv2D(inputChannels: 2, outputChannels: 2, kernelSize: 3, random: &rng), BatchNorm2D(channels: 2), ReLU(),
        ])
        XCTAssertEqual(model.layers.map(\.name), ["conv", "bn", "relu", "conv_3", "bn_4", "relu_5"])
        XCTAssertEqual(model.parameters.map(\.name), ["conv.weight", "conv.bias", "bn.weight", "bn.bias",
                                                      "conv_3.weight", "conv_3.bias", "bn_4.weight", "bn_4.bias"])
        XCTAssertEqual(model.parameters.map(\.localName), ["weight", "bias", "weight", "bias", "weight", "bias", "weight", "bias"])
        XCTAssertEqual(Set(model.state.keys), ["bn.running_mean", "bn.running_var", "bn_4.running_mean", "bn_4.running_var"])
        model.state = ["bn_4.running_var": Tensor(shape: [2], data: [3, 4])]
        XCTAssertEqual((model.layers[4] as! BatchNorm2D).runningVar.data, [3, 4])
        // Nested: paths include the block name.
        let outer = Sequential([model, Flatten()], name: "outer")
        XCTAssertEqual(outer.parameters.first?.name, "sequential.conv.weight")
        // Shapes.
        XCTAssertEqual(model.outputShape(for: [5, 1, 9, 9]), [5, 2, 5, 5])
        XCTAssertEqual(model.outputShape(for: [5, 1, 4, 4]), [])
        XCTAssertThrowsError(try model.validate(inputShape: [5, 1, 4, 4])) { e in
            XCTAssertEqual(e as? SequentialError, .shapeMismatch(layer: "conv_3", index: 3, inputShape: [5, 2, 2, 2]))
        }
        XCTAssertThrowsError(try model.validate(inputShape: [5, 3, 9, 9]))
        // retainsForBackward propagates to every child.
        model.retainsForBackward = true
        XCTAssertTrue(model.layers.allSatisfy(\.retainsForBackward))
    }
}
