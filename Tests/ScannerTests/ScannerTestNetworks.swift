// Tiny networks for the scanner tests, built from the weights in scanner_torch.h5
// (scripts/fixtures/scanner_torch.py), and a seeded generator of small random networks.
import Foundation
import Tensors
import ConvEngine
import Scanner
import TestSupport

enum TinyKind: String { case relu, plain, smooth }

enum ScannerTestNetworks {
    static let fixture = TestPaths.fixture("scanner_torch.h5")
    static let layerNames = ["conv1", "bn1", "act1", "pool1", "conv2", "act2", "pool2", "readout"]

    static func stimuli() throws -> Tensor {
        let f = try HDF5File.open(fixture)
        defer { f.close() }
        return try f.readTensor("x")
    }

    /// The fixture network of `kind`: core conv1, bn1, act1, pool1, conv2, act2, pool2 and a
    /// flatten + linear readout (a nested Sequential, probed by the literal construction).
    static func network(_ kind: TinyKind) throws -> ScanNetwork {
        let f = try HDF5File.open(fixture)
        defer { f.close() }
        func p(_ name: String) throws -> Tensor? {
            let path = "\(kind.rawValue)/params/\(name)"
            return f.exists(path) ? try f.readTensor(path) : nil
        }
        let conv1 = Conv2D(inputChannels: 2, outputChannels: 4, kernelSize: 3, padding: 1, name: "conv1",
                           weight: try p("conv1.weight")!, bias: try p("conv1.bias"))
        let bn1: Layer
        if let w = try p("bn1.weight") {
            let bn = BatchNorm2D(channels: 4, name: "bn1")
            bn.weight.value = w
            bn.bias.value = try p("bn1.bias")!
            bn.state = ["running_mean": try p("bn1.running_mean")!, "running_var": try p("bn1.running_var")!]
            bn1 = bn
        } else {
            bn1 = Identity(name: "bn1")
        }
        let act1: Layer = kind == .smooth ? ELU(name: "act1") : ReLU(name: "act1")
        let conv2 = Conv2D(inputChannels: 4, outputChannels: 6, kernelSize: 3, name: "conv2",
                           weight: try p("conv2.weight")!, bias: try p("conv2.bias"))
        let act2: Layer = kind == .smooth ? Softplus(name: "act2") : ReLU(name: "act2")
        let core = Sequential([conv1, bn1, act1, MaxPool2D(kernelSize: 2, name: "pool1"), conv2, act2,
                               AvgPool2D(kernelSize: 2, stride: 1, name: "pool2")], name: "core")
        let readout = Sequential([Flatten(name: "flatten"), Linear(name: "linear", weight: try p("readout.weight")!, bias: try p("readout.bias"))],
                                 name: "readout")
        return try ScanNetwork(core: core, readout: readout, inputShape: [2, 10, 10])
    }

    static func read(_ path: String) throws -> Tensor {
        let f = try HDF5File.open(fixture)
        defer { f.close() }
        return try f.readTensor(path)
    }

    static func readInts(_ path: String) throws -> [Int] {
        let f = try HDF5File.open(fixture)
        defer { f.close() }
        return try f.readInts(path).values
    }
}
