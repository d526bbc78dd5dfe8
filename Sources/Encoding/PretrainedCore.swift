// A conv core taken from elsewhere: a Receptive model file, or a core file written by
// scripts/export_torch_core.py from a PyTorch nn.Sequential (e.g. the first blocks of a VGG).
//
// Core file layout: root attribute `format` = "receptive-core", root attribute `config` = JSON
// {"format": "receptive-core", "version": 1, "inputChannels": C, "blocks": [ConvBlockSpec…]},
// and /params/<layer>/<name>, /state/<layer>/<name> exactly as in model files (layers conv<k>,
// bn<k>; PyTorch weight layouts).
import Foundation
import Tensors
import NeuralData

public struct PretrainedCore {
    public struct CoreConfig: Codable {
        public var format: String
        public var version: Int
        public var inputChannels: Int
        public var blocks: [ConvBlockSpec]
    }

    public let file: String
    public let inputChannels: Int
    public let blocks: [ConvBlockSpec]
    /// "params/<layer>/<name>" and "state/<layer>/<name>" → values.
    public let arrays: [String: Tensor]

    public static func load(_ path: String) throws -> PretrainedCore {
        let f = try HDF5File.open(path)
        let format = try f.stringAttribute("format")
        if format == "receptive-model" {
            let m = try FittedModel.load(path)
            var arrays: [String: Tensor] = [:]
            for l in m.encoder.core.layers {
                for p in l.parameters { arrays["params/\(l.name)/\(p.localName)"] = p.value }
                for (k, v) in l.state { arrays["state/\(l.name)/\(k)"] = v }
            }
            return PretrainedCore(file: path, inputChannels: m.config.architecture.inputChannels,
                                  blocks: m.config.architecture.blocks, arrays: arrays)
        }
        guard format == "receptive-core", let json = try f.stringAttribute("config") else {
            throw EncodingError.modelFile(file: path, reason: "neither a Receptive model file nor a core file (root attribute 'format' is \(format.map { "'\($0)'" } ?? "absent"))")
        }
        let cfg: CoreConfig
        do { cfg = try JSONDecoder().decode(CoreConfig.self, from: Data(json.utf8)) }
        catch { throw EncodingError.modelFile(file: path, reason: "the 'config' attribute is not a valid core configuration (\(error))") }
        var arrays: [String: Tensor] = [:]
        for group in ["params", "state"] where f.exists("/\(group)") {
            for layer in f.children(of: "/\(group)") {
                for name in f.children(of: "/\(group)/\(layer)") {
                    arrays["\(group)/\(layer)/\(name)"] = try f.readTensor("/\(group)/\(layer)/\(name)")
                }
            }
        }
        return PretrainedCore(file: path, inputChannels: cfg.inputChannels, blocks: cfg.blocks, arrays: arrays)
    }

    /// Copies the weights into an encoder whose core has these blocks; every array must be present
    /// with the right shape.
    public func copy(into encoder: NeuralEncoder) throws {
        guard encoder.architecture.blocks == blocks, encoder.architecture.inputChannels == inputChannels else {
            throw EncodingError.invalidOption(option: .core, reason: "\(file): the core's blocks or input channels differ from the architecture's")
        }
        for l in encoder.core.layers {
            for p in l.parameters {
                guard let v = arrays["params/\(l.name)/\(p.localName)"] else {
                    throw EncodingError.modelFile(file: file, reason: "missing /params/\(l.name)/\(p.localName)")
                }
                guard v.count == p.value.count else {
                    throw EncodingError.modelFile(file: file, reason: "/params/\(l.name)/\(p.localName) has shape \(v.shape), expected \(p.value.shape)")
                }
                p.value = v.reshaped(p.value.shape)
            }
            for (k, old) in l.state {
                guard let v = arrays["state/\(l.name)/\(k)"], v.count == old.count else {
                    throw EncodingError.modelFile(file: file, reason: "missing or mis-shaped /state/\(l.name)/\(k)")
                }
                l.state[k] = v.reshaped(old.shape)
            }
        }
    }
}
