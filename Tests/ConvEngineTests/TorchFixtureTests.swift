import XCTest
import Tensors
import TestSupport
import ConvEngine

/// Layers against PyTorch 2.x values (scripts/fixtures/torch_layers.py → Tests/Fixtures/torch_layers.h5).
/// Tolerance: |ours − torch| ≤ 1e-5 · max(1, max|torch|) + 1e-5·|torch| per element (float32 sums
/// in a different order); the printed max differences are typically 1e-7…1e-6.
final class TorchFixtureTests: XCTestCase {
    var file: HDF5File!

    override func setUpWithError() throws {
        file = try HDF5File.open(TestPaths.fixture("torch_layers.h5"))
    }

    func tensor(_ path: String) throws -> Tensor { try file.readTensor(path) }
    func int(_ name: String, _ path: String) throws -> Int { Int(try XCTUnwrap(file.doubleAttribute(name, at: path))) }

    func assertClose(_ label: String, _ ours: Tensor, _ ref: Tensor, scale: Float = 1e-5, file f: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(ours.shape, ref.shape, label, file: f, line: line)
        guard ours.count == ref.count else { return }
        let atol = scale * max(1, ref.maxAbs())
        XCTAssertTrue(compareArrays(label, ours.data, ref.data, atol: atol, rtol: scale).ok, label, file: f, line: line)
    }

    func testConvolution() throws {
        let cases = file.children(of: "/conv")
        XCTAssertEqual(cases.count, 7)
        for name in cases {
            let g = "/conv/\(name)"
            let x = try tensor("\(g)/x"), w = try tensor("\(g)/weight")
            let bias = file.exists("\(g)/bias") ? try tensor("\(g)/bias") : nil
            let groups = try int("groups", g)
            let conv = Conv2D(inputChannels: x.shape[1], outputChannels: w.shape[0], kernelSize: w.shape[2],
                              stride: try int("stride", g), padding: try int("padding", g), dilation: try int("dilation", g),
                              groups: groups, weight: w, bias: bias)
            let y = conv.forward(x, training: true)
            assertClose("conv \(name) y", y, try tensor("\(g)/y"))
            let dx = conv.backward(try tensor("\(g)/dy"))
            assertClose("conv \(name) dx", dx, try tensor("\(g)/dx"))
            assertClose("conv \(name) dweight", conv.weight.grad, try tensor("\(g)/dweight"))
            if let b = conv.bias { assertClose("conv \(name) dbias", b.grad, try tensor("\(g)/dbias")) }
        }
    }

    func testPooling() throws {
        for name in file.children(of: "/maxpool") {
            let g = "/maxpool/\(name)"
            let pool = MaxPool2D(kernelSize: try int("kernel", g), stride: try int("stride", g), padding: try int("padding", g))
            let y = pool.forward(try tensor("\(g)/x"), training: true)
            assertClose("maxpool \(name) y", y, try tensor("\(g)/y"), scale: 0)
            XCTAssertEqual(pool.argmax.map { Int($0) }, try file.readInts("\(g)/indices").values, "maxpool \(name) indices")
            assertClose("maxpool \(name) dx", pool.backward(try tensor("\(g)/dy")), try tensor("\(g)/dx"), scale: 0)
        }
        for name in file.children(of: "/avgpool") {
            let g = "/avgpool/\(name)"
            let pool = AvgPool2D(kernelSize: try int("kernel", g), stride: try int("stride", g), padding: try int("padding", g))
            assertClose("avgpool \(name) y", pool.forward(try tensor("\(g)/x"), training: true), try tensor("\(g)/y"))
            assertClose("avgpool \(name) dx", pool.backward(try tensor("\(g)/dy")), try tensor("\(g)/dx"))
        }
    }

    func testBatchNorm() throws {
        for mode in ["train", "eval"] {
            let g = "/batchnorm/\(mode)"
            let bn = BatchNorm2D(channels: 3, momentum: try XCTUnwrap(file.doubleAttribute("momentum", at: g)),
                                 epsilon: try XCTUnwrap(file.doubleAttribute("eps", at: g)))
            bn.weight.value = try tensor("\(g)/weight")
            bn.bias.value = try tensor("\(g)/bias")
            bn.state = ["running_mean": try tensor("\(g)/running_mean"), "running_var": try tensor("\(g)/running_var")]
            bn.retainsForBackward = true
            let y = bn.forward(try tensor("\(g)/x"), training: mode == "train")
            assertClose("batchnorm \(mode) y", y, try tensor("\(g)/y"))
            assertClose("batchnorm \(mode) running_mean", bn.state["running_mean"]!, try tensor("\(g)/running_mean_after"))
            assertClose("batchnorm \(mode) running_var", bn.state["running_var"]!, try tensor("\(g)/running_var_after"))
            assertClose("batchnorm \(mode) dx", bn.backward(try tensor("\(g)/dy")), try tensor("\(g)/dx"))
            assertClose("batchnorm \(mode) dweight", bn.weight.grad, try tensor("\(g)/dweight"))
            assertClose("batchnorm \(mode) dbias", bn.bias.grad, try tensor("\(g)/dbias"))
        }
    }

    func testActivations() throws {
        for name in file.children(of: "/elu") {
            let g = "/elu/\(name)"
            let elu = ELU(alpha: Float(try XCTUnwrap(file.doubleAttribute("alpha", at: g))))
            assertClose("elu \(name) y", elu.forward(try tensor("\(g)/x"), training: true), try tensor("\(g)/y"))
            assertClose("elu \(name) dx", elu.backward(try tensor("\(g)/dy")), try tensor("\(g)/dx"))
        }
        for name in file.children(of: "/softplus") {
            let g = "/softplus/\(name)"
            let sp = Softplus(beta: Float(try XCTUnwrap(file.doubleAttribute("beta", at: g))),
                              threshold: Float(try XCTUnwrap(file.doubleAttribute("threshold", at: g))))
            assertClose("softplus \(name) y", sp.forward(try tensor("\(g)/x"), training: true), try tensor("\(g)/y"))
            assertClose("softplus \(name) dx", sp.backward(try tensor("\(g)/dy")), try tensor("\(g)/dx"))
        }
    }

    func testLinear() throws {
        let lin = Linear(weight: try tensor("/linear/weight"), bias: try tensor("/linear/bias"))
        assertClose("linear y", lin.forward(try tensor("/linear/x"), training: true), try tensor("/linear/y"))
        assertClose("linear dx", lin.backward(try tensor("/linear/dy")), try tensor("/linear/dx"))
        assertClose("linear dweight", lin.weight.grad, try tensor("/linear/dweight"))
        assertClose("linear dbias", lin.bias!.grad, try tensor("/linear/dbias"))
    }
}
