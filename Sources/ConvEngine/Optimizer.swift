// Optimisers: the contract, checkpointable state, and gradient clipping.
//
// An optimiser updates `Parameter.value` in place from `Parameter.grad` (which layers accumulate,
// see Layer.swift). Parameters with `trainable == false` are skipped: neither their values nor any
// optimiser state are touched. The update rules are those of torch.optim (single-tensor, CPU,
// float32 code path), element for element, so that a fit here and a fit in PyTorch from the same
// start and the same gradients agree to float rounding (Tests/ConvEngineTests/OptimizerTests.swift).
//
// State is keyed by POSITION in the parameter list passed to `step` (as torch's state_dict keys
// parameters by index): a model must pass the same parameters in the same order every step, and a
// checkpoint reloads into a model whose parameter list has the same order and shapes.
// Exported names are "<index>.<slot>" (e.g. "3.exp_avg") plus optimiser-wide scalars stored as
// shape-[1] tensors ("learning_rate", "step_count"). Counts are stored as Float32 exactly as torch
// stores Adam's `step`; they are exact up to 2^24 = 16,777,216 steps, and loading checks that
// every count is a non-negative integer.
import Tensors

/// A first-order optimiser over a list of parameters.
public protocol Optimizer: AnyObject {
    /// Step size (torch's `lr`); learning-rate schedules change it between steps.
    var learningRate: Float { get set }
    /// Number of `step` calls so far (restored from checkpoints).
    var stepCount: Int { get }
    /// One update of every trainable parameter from its accumulated `grad`. The list must hold the
    /// same parameters in the same order at every call (state is kept by position).
    func step(_ parameters: [Parameter])
    /// Everything needed to resume bit-for-bit: buffers per parameter ("<index>.<slot>") and the
    /// scalars "learning_rate" and "step_count" as shape-[1] tensors.
    func stateTensors() -> [String: Tensor]
    /// Replaces the state with one exported by `stateTensors()` of an optimiser of the same kind,
    /// checking every buffer against `parameters` (same list, same order as for `step`).
    /// Throws `OptimizerStateError` on a missing, unexpected or mis-shaped entry.
    func loadState(_ tensors: [String: Tensor], parameters: [Parameter]) throws
}

/// A hyperparameter outside its valid range (from a user's option or configuration file).
public struct OptimizerConfigurationError: Error, CustomStringConvertible, Equatable {
    public let optimizer: String
    public let option: String
    public let value: Double
    public let requirement: String
    public var description: String {
        "\(optimizer): \(option) = \(value) is invalid; it must be \(requirement)"
    }
}

/// A checkpoint's optimiser state that does not fit the optimiser or the model.
public enum OptimizerStateError: Error, CustomStringConvertible, Equatable {
    case missing(optimizer: String, key: String)
    case unexpected(optimizer: String, key: String)
    case shapeMismatch(optimizer: String, key: String, expected: [Int], found: [Int])
    case invalidValue(optimizer: String, key: String, value: Float, requirement: String)

    public var description: String {
        switch self {
        case .missing(let o, let k):
            return "\(o) state: entry '\(k)' is missing from the checkpoint"
        case .unexpected(let o, let k):
            return "\(o) state: entry '\(k)' does not belong to this optimiser or model (was the checkpoint written for another model or optimiser?)"
        case .shapeMismatch(let o, let k, let e, let f):
            return "\(o) state: entry '\(k)' has shape \(f), but the parameter it belongs to has shape \(e)"
        case .invalidValue(let o, let k, let v, let r):
            return "\(o) state: entry '\(k)' = \(v) is invalid; it must be \(r)"
        }
    }
}

/// Checkpoint-state plumbing and SIMD buffer access shared by the optimisers (namespaced so that
/// other files of the module can use the same short names).
enum OptimizerSupport {
    /// Largest count a Float32 holds exactly.
    static let exactFloatCountLimit = 1 << 24

    /// Encodes a count as a shape-[1] tensor (exact below 2^24).
    static func countTensor(_ n: Int) -> Tensor {
        precondition(n >= 0 && n <= exactFloatCountLimit, "count \(n) exceeds what a Float32 checkpoint entry holds exactly (2^24)")
        return Tensor(shape: [1], data: [Float(n)])
    }

    /// Reads a shape-[1] count written by `countTensor`.
    static func readCount(_ tensors: [String: Tensor], _ key: String, optimizer: String) throws -> Int {
        guard let t = tensors[key] else { throw OptimizerStateError.missing(optimizer: optimizer, key: key) }
        guard t.shape == [1] else { throw OptimizerStateError.shapeMismatch(optimizer: optimizer, key: key, expected: [1], found: t.shape) }
        let v = t.data[0]
        guard v.isFinite, v >= 0, v == v.rounded(), v <= Float(exactFloatCountLimit) else {
            throw OptimizerStateError.invalidValue(optimizer: optimizer, key: key, value: v, requirement: "a non-negative integer")
        }
        return Int(v)
    }

    /// Reads the shape-[1] "learning_rate" entry.
    static func readLearningRate(_ tensors: [String: Tensor], optimizer: String) throws -> Float {
        let key = "learning_rate"
        guard let t = tensors[key] else { throw OptimizerStateError.missing(optimizer: optimizer, key: key) }
        guard t.shape == [1] else { throw OptimizerStateError.shapeMismatch(optimizer: optimizer, key: key, expected: [1], found: t.shape) }
        guard t.data[0].isFinite, t.data[0] >= 0 else {
            throw OptimizerStateError.invalidValue(optimizer: optimizer, key: key, value: t.data[0], requirement: "finite and non-negative")
        }
        return t.data[0]
    }

    /// Reads the buffer "<index>.<slot>" for `parameter` if present, checking its shape.
    static func readBuffer(_ tensors: [String: Tensor], index: Int, slot: String, parameter: Parameter, optimizer: String) throws -> Tensor? {
        let key = "\(index).\(slot)"
        guard let t = tensors[key] else { return nil }
        guard t.shape == parameter.value.shape else {
            throw OptimizerStateError.shapeMismatch(optimizer: optimizer, key: key, expected: parameter.value.shape, found: t.shape)
        }
        return t
    }

    /// Throws for any key not in `known`.
    static func rejectUnknownKeys(_ tensors: [String: Tensor], known: Set<String>, optimizer: String) throws {
        for key in tensors.keys.sorted() where !known.contains(key) {
            throw OptimizerStateError.unexpected(optimizer: optimizer, key: key)
        }
    }

    static func checkHyperparameter(_ ok: Bool, _ optimizer: String, _ option: String, _ value: Double, _ requirement: String) throws {
        if !ok { throw OptimizerConfigurationError(optimizer: optimizer, option: option, value: value, requirement: requirement) }
    }

    // SIMD access to raw Float buffers

    @inline(__always) static func load16(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) static func load16(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> SIMD16<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) static func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}

// MARK: - gradient clipping

/// Scales the gradients of the trainable parameters so that their global L2 norm (all gradients
/// seen as one vector) is at most `maxNorm`, as torch.nn.utils.clip_grad_norm_ (norm_type 2):
/// every gradient is multiplied by `min(1, maxNorm / (norm + 1e-6))`.
/// Returns the norm before clipping. The norm is accumulated in double precision. As in torch,
/// a non-finite norm is returned as is and then propagates into the gradients (NaN); callers
/// that want to skip such a step check the returned value.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    precondition(maxNorm >= 0, "maxNorm must be non-negative, got \(maxNorm)")
    var sumSquares = 0.0
    for p in parameters where p.trainable {
        p.grad.data.withUnsafeBufferPointer { g in
            let n = g.count
            guard let base = g.baseAddress else { return }
            var acc = SIMD16<Double>()
            var i = 0
            while i + 16 <= n {
                let v = SIMD16<Double>(OptimizerSupport.load16(base, i))
                acc.addProduct(v, v)
                i += 16
            }
            var tail = 0.0
            while i < n { let v = Double(base[i]); tail += v * v; i += 1 }
            sumSquares += acc.sum() + tail
        }
    }
    let norm = Float(sumSquares.squareRoot())
    // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped at 1, multiplied into every grad
    // (float32 arithmetic).
    let coefficient = min(maxNorm / (norm + 1e-6), 1)
    if coefficient.isNaN || coefficient < 1 {
        for p in parameters where p.trainable { p.grad.scale(by: coefficient) }
    }
    return norm
}

/// Clamps every gradient element of the trainable parameters to [−clipValue, clipValue], as
/// torch.nn.utils.clip_grad_value_ (a NaN stays NaN, as in torch's clamp).
public func clipGradientValue(_ parameters: [Parameter], clipValue: Float) {
    precondition(clipValue >= 0, "clipValue must be non-negative, got \(clipValue)")
    let hi = SIMD16<Float>(repeating: clipValue), lo = -hi
    for p in parameters where p.trainable {
        p.grad.data.withUnsafeMutableBufferPointer { g in
            let n = g.count
            guard let base = g.baseAddress else { return }
            var i = 0
            while i + 16 <= n {
                let x = OptimizerSupport.load16(base, i)
                // Comparisons with NaN are false, so NaN passes through unchanged.
                OptimizerSupport.store16(x.replacing(with: hi, where: x .> hi).replacing(with: lo, where: x .< lo), base, i)
                i += 16
            }
            while i < n {
                let x = base[i]
                base[i] = x > clipValue ? clipValue : (x < -clipValue ? -clipValue : x)
                i += 1
            }
        }
    }
}
