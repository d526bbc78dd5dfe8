// Translation equivariance of conv stacks (TranslationEquivariance): stride-1 layers are
// equivariant away from borders to float round-off; a stride-2 convolution or 2×2 pooling is
// equivariant for even shifts and not for odd ones; receptive-field bookkeeping by hand.
import Foundation
import XCTest
import Tensors
import ConvEngine
import Analysis

final class InvarianceEquivarianceTests: XCTestCase {

    func input(_ seed: UInt64, c: Int = 2, size: Int = 24) -> Tensor {
        var rng = SeededRandom(seed: seed)
        return rng.normalTensor([3, c, size, size])
    }

    func testStrideOneStackIsEquivariantAwayFromBorders() throws {
        let bn = BatchNorm2D(channels: 4, name: "bn1")
        bn.state["running_mean"] = Tensor(shape: [4], data: [0.1, -0.2, 0.3, 0])
        bn.state["running_var"] = Tensor(shape: [4], data: [1.5, 0.5, 2, 1])
        let layers: [Layer] = [Conv2D(inputChannels: 2, outputChannels: 4, kernelSize: 5, padding: 2, name: "conv1", seed: 1), bn,
                               ELU(name: "act1"), Conv2D(inputChannels: 4, outputChannels: 3, kernelSize: 3, padding: 1, dilation: 1, name: "conv2", seed: 2),
                               ReLU(name: "act2"), Conv2D(inputChannels: 3, outputChannels: 3, kernelSize: 3, padding: 2, dilation: 2, name: "conv3", seed: 3)]
        for (dx, dy) in [(1, 0), (2, 3), (-2, 1), (0, -3)] {
            let e = try TranslationEquivariance.measure(layers: layers, input: input(7), dx: dx, dy: dy)
            XCTAssertEqual(e.map(\.layer), ["conv1", "bn1", "act1", "conv2", "act2", "conv3"])
            for l in e {
                XCTAssertTrue(l.integerShift)
                XCTAssertEqual(l.stride, 1)
                XCTAssertGreaterThan(l.positions, 0, "\(l.layer): no valid position")
                XCTAssertLessThan(l.relativeError, 1e-5, "\(l.layer) shift (\(dx), \(dy)): \(l.relativeError)")
            }
            print("[equivariance stride 1, shift (\(dx), \(dy))] max relative error \(e.map(\.relativeError).max()!)")
        }
    }

    func testStrideTwoBreaksEquivarianceForOddShifts() throws {
        let layers: [Layer] = [Conv2D(inputChannels: 2, outputChannels: 4, kernelSize: 3, padding: 1, name: "conv1", seed: 1),
                               ELU(name: "act1"),
                               Conv2D(inputChannels: 4, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1, name: "conv2", seed: 2),
                               ELU(name: "act2"), MaxPool2D(kernelSize: 2, name: "pool2"),
                               Conv2D(inputChannels: 4, outputChannels: 2, kernelSize: 3, padding: 1, name: "conv3", seed: 3)]
        let x = input(11, size: 48)
        let even = try TranslationEquivariance.measure(layers: layers, input: x, dx: 4, dy: 0)
        let two = try TranslationEquivariance.measure(layers: layers, input: x, dx: 2, dy: 0)
        let odd = try TranslationEquivariance.measure(layers: layers, input: x, dx: 1, dy: 0)
        XCTAssertEqual(even.map(\.stride), [1, 1, 2, 2, 4, 4])
        for l in even {
            XCTAssertTrue(l.integerShift)
            XCTAssertLessThan(l.relativeError, 1e-5, "\(l.layer) shift 4: \(l.relativeError)")
        }
        // Shift 2: equivariant up to the stride-2 conv, not after the pooling (J = 4).
        for l in two {
            if l.stride <= 2 { XCTAssertLessThan(l.relativeError, 1e-5, l.layer) } else {
                XCTAssertFalse(l.integerShift); XCTAssertGreaterThan(l.relativeError, 0.1, l.layer)
            }
        }
        // Shift 1: stride-1 layers equivariant, everything from the stride-2 conv on not.
        for l in odd {
            if l.stride == 1 { XCTAssertLessThan(l.relativeError, 1e-5, l.layer) } else {
                XCTAssertFalse(l.integerShift)
                XCTAssertEqual(l.layerShiftX, 1 / Double(l.stride))
                XCTAssertGreaterThan(l.relativeError, 0.1, "\(l.layer) should not be equivariant to an odd shift")
            }
        }
        print("[equivariance] shift 1: " + odd.map { String(format: "%@ J=%d %.3g", $0.layer, $0.stride, $0.relativeError) }.joined(separator: ", "))
    }

    func testReceptiveFieldGeometry() throws {
        let layers: [Layer] = [Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 9, padding: 4, name: "c1"),
                               Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 3, stride: 2, padding: 1, name: "c2"),
                               AvgPool2D(kernelSize: 2, name: "p"),
                               Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 3, padding: 2, dilation: 2, name: "c3")]
        let g = try TranslationEquivariance.geometry(of: layers)
        // c1: R 9, J 1, left −4; c2: R 9+2 = 11, J 2, left −5; pool: R 11+2 = 13, J 4, left −5;
        // c3 (extent 5, padding 2): R 13 + 4·4 = 29, J 4, left −5 − 2·4 = −13.
        XCTAssertEqual(g.map(\.field), [9, 11, 13, 29])
        XCTAssertEqual(g.map(\.jump), [1, 2, 4, 4])
        XCTAssertEqual(g.map(\.left), [-4, -5, -5, -13])
        XCTAssertThrowsError(try TranslationEquivariance.geometry(of: [Flatten(name: "flat")])) { e in
            XCTAssertTrue("\(e)".contains("flat"), "\(e)")
        }
    }

    func testNoValidPositionGivesNaN() throws {
        // A 7×7 kernel on 8×8 images shifted by 3: no receptive field avoids border and wrap.
        let layers: [Layer] = [Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 7, padding: 3, name: "c1", seed: 1)]
        var rng = SeededRandom(seed: 1)
        let e = try TranslationEquivariance.measure(layers: layers, input: rng.normalTensor([1, 1, 8, 8]), dx: 3, dy: 0)
        XCTAssertEqual(e[0].positions, 0)
        XCTAssertTrue(e[0].relativeError.isNaN)
    }
}
