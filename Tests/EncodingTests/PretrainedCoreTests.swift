import XCTest
import Tensors
import Encoding
import TestSupport

/// A VGG-layout PyTorch stack exported by scripts/export_torch_core.py: our forward of the loaded
/// core equals PyTorch's (evaluation mode). Tolerance 1e-5 relative to the output scale.
final class PretrainedCoreTests: XCTestCase {
    func testExportedTorchCoreForwardMatches() throws {
        let path = TestPaths.fixture("torch_core.h5")
        let core = try PretrainedCore.load(path)
        XCTAssertEqual(core.blocks.count, 3)
        XCTAssertEqual(core.blocks[0].pool, .max)
        let f = try HDF5File.open(path)
        let x = try f.readTensor("/test/input"), y = try f.readTensor("/test/output")
        let arch = EncoderArchitecture(name: "pretrained", inputChannels: 3, inputHeight: 20, inputWidth: 20, blocks: core.blocks,
                                       readout: .full, link: .softplus, observation: .poisson, units: 2)
        let enc = try NeuralEncoder(architecture: arch, seed: 0)
        try core.copy(into: enc)
        let out = try enc.activations(x, at: .coreOutput)
        XCTAssertEqual(out.shape, y.shape)
        let scale = y.data.map { abs($0) }.max()!
        XCTAssertTrue(compareArrays("exported VGG-layout core", out.data, y.data, atol: 1e-5 * scale).ok)
    }

    func testNotACoreFileIsAClearError() throws {
        XCTAssertThrowsError(try PretrainedCore.load(TestPaths.fixture("torch_stacked3.h5"))) { e in
            XCTAssertTrue("\(e)".contains("neither a Receptive model file nor a core file"), "\(e)")
        }
    }
}
