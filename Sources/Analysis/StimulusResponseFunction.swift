// The response function f that the invariance test probes: raw stimuli in, mean responses out.
// Two kinds: a fitted encoder (raw stimuli → the model's own preprocessing → encoder → μ), and the
// generating model of a simulated file (its simple and complex cells, from /ground_truth).
//
// Shapes: n stimuli, C channels, H × W pixels, U units. Raw stimuli are [n, C, H, W] with values as
// the dataset stores them (0…255 for uint8 files); responses are [n, U] in the units of the
// model's mean (spikes per trial for count models).
import Foundation
import Tensors
import NeuralData
import Encoding

/// Maps raw stimuli [n, C, H, W] to mean responses [n, U].
public protocol StimulusResponseFunction: AnyObject {
    /// U.
    var unitCount: Int { get }
    /// [C, H, W] of the raw stimuli it accepts.
    var stimulusShape: [Int] { get }
    /// - Parameter raw: [n, C, H, W], values as stored.
    /// - Returns: [n, U].
    func responses(_ raw: Tensor) throws -> Tensor
}

/// Problems with the inputs of the model analyses (files, options) that a user can cause.
public enum ModelAnalysisError: Error, CustomStringConvertible, Equatable {
    case incompatibleStimuli(file: String, problem: String)
    case groundTruthUnavailable(file: String, problem: String)
    case pairs(file: String, path: String, problem: String)
    case invalidOption(option: AnalysisParameter, reason: String)
    case tooLarge(what: String, bytes: Int, availableBytes: Int)

    public var description: String {
        switch self {
        case .incompatibleStimuli(let f, let p): return "\(f): \(p)"
        case .groundTruthUnavailable(let f, let p): return "\(f): \(p)"
        case .pairs(let f, let path, let p): return "\(f): \(path): \(p)"
        case .invalidOption(let o, let r): return "\(o): \(r)"
        case .tooLarge(let what, let b, let a):
            return String(format: "%@ needs %.1f GiB, more than the %.1f GiB of available memory", what,
                          Double(b) / 1_073_741_824, Double(a) / 1_073_741_824)
        }
    }
}

// MARK: - Fitted encoder

/// A fitted model as a response function: raw stimuli → `model.config.preprocessing` → encoder
/// (evaluation mode) → predicted means μ [n, U].
public final class EncoderResponseFunction: StimulusResponseFunction {
    public let model: FittedModel
    public var unitCount: Int { model.config.architecture.units }
    public var stimulusShape: [Int] { model.config.preprocessing.inputShape }

    public init(model: FittedModel) { self.model = model }

    /// Checks that stimuli of shape `shape` ([C, H, W]) from `file` fit the model.
    public func checkStimulusShape(_ shape: [Int], file: String) throws {
        guard shape == stimulusShape else {
            throw ModelAnalysisError.incompatibleStimuli(file: file,
                problem: "stimuli have shape \(shape) (C, H, W) but the model was fitted to \(stimulusShape)")
        }
    }

    public func responses(_ raw: Tensor) throws -> Tensor {
        precondition(raw.rank == 4 && Array(raw.shape.dropFirst()) == stimulusShape,
                     "stimuli \(raw.shape) do not match the model's input \(stimulusShape)")
        return model.encoder.predict(model.config.preprocessing.apply(raw))
    }
}

// MARK: - Ground truth of a simulation

/// The generating model of a simulated file (docs/data.md §4), rebuilt from `/ground_truth`:
///
///     s = v·scale − 0.5                      v as stored; scale 1/255 for uint8 files, else 1
///     simple   λ = b + a·max(0, ⟨g, s⟩)
///     complex  λ = b + a·(⟨g, s⟩² + ⟨g_q, s⟩²)
///
/// with g = `filters[u]`, g_q = `filters_quadrature[u]`, a = `gain[u]`, b = `baseline[u]`. Only
/// simple and complex cells are supported (v2 and voxel units pool subunits whose filters the file
/// does not store). Drives are one sgemm; the nonlinearity is applied in double precision.
public final class GroundTruthResponseFunction: StimulusResponseFunction {
    /// [U] "simple" or "complex".
    public let unitTypes: [String]
    public let stimulusShape: [Int]
    public let intensityScale: Float
    /// [2U, H·W]: even filters of all units, then quadrature filters.
    let bank: Tensor
    let gain: [Double], baseline: [Double]

    public var unitCount: Int { unitTypes.count }

    /// - Parameters:
    ///   - dataset: a simulated file (with `/ground_truth`), grayscale stimuli [N, 1, H, W].
    ///   - intensityScale: nil takes 1/255 for uint8 stimuli and 1 otherwise (what the simulator stores).
    /// - Throws: `ModelAnalysisError.groundTruthUnavailable` naming what is missing.
    public init(dataset: Dataset, intensityScale: Float? = nil) throws {
        let file = dataset.file
        guard let truth = dataset.groundTruth else {
            throw ModelAnalysisError.groundTruthUnavailable(file: file, problem: "no /ground_truth group (only files written by `receptive simulate` carry the generating model)")
        }
        let u = dataset.unitCount, h = dataset.height, w = dataset.width
        guard truth.unitTypes.count == u else {
            throw ModelAnalysisError.groundTruthUnavailable(file: file, problem: "/ground_truth/unit_type is missing")
        }
        if let other = truth.unitTypes.first(where: { $0 != "simple" && $0 != "complex" }) {
            throw ModelAnalysisError.groundTruthUnavailable(file: file,
                problem: "the ground-truth model is available for simple and complex cells only; this file has \(other) units")
        }
        guard dataset.channels == 1 else {
            throw ModelAnalysisError.groundTruthUnavailable(file: file, problem: "simulated stimuli are grayscale, but these have \(dataset.channels) channels")
        }
        func array(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard let t = truth.arrays[name] else {
                throw ModelAnalysisError.groundTruthUnavailable(file: file, problem: "/ground_truth/\(name) is missing")
            }
            guard t.count == shape.product else {
                throw ModelAnalysisError.groundTruthUnavailable(file: file, problem: "/ground_truth/\(name) has shape \(t.shape), expected \(shape)")
            }
            return t
        }
        let even = try array("filters", [u, h, w]), odd = try array("filters_quadrature", [u, h, w])
        gain = try array("gain", [u]).data.map(Double.init)
        baseline = try array("baseline", [u]).data.map(Double.init)
        bank = Tensor(shape: [2 * u, h * w], data: even.data + odd.data)
        unitTypes = truth.unitTypes
        stimulusShape = [1, h, w]
        self.intensityScale = intensityScale ?? (dataset.stimulusType == .uint8 ? 1 / 255 : 1)
    }

    public func responses(_ raw: Tensor) throws -> Tensor {
        precondition(raw.rank == 4 && Array(raw.shape.dropFirst()) == stimulusShape,
                     "stimuli \(raw.shape) do not match the ground truth's \(stimulusShape)")
        let n = raw.shape[0], u = unitCount, plane = stimulusShape.product
        // s = v·scale − 0.5, as the simulated cells see it.
        let s = Tensor(shape: [n, plane], data: raw.data.map { $0 * intensityScale - 0.5 })
        let drives = Tensor.matmul(s, bank, transposeB: true)   // [n, 2U]
        var out = Tensor(shape: [n, u])
        for i in 0..<n {
            for j in 0..<u {
                // Columns 0..<U of the drives are the even filters, U..<2U the odd ones.
                let e = Double(drives[i, j]), o = Double(drives[i, u + j])
                let z = unitTypes[j] == "simple" ? max(0, e) : e * e + o * o
                out[i, j] = Float(baseline[j] + gain[j] * z)
            }
        }
        return out
    }
}
