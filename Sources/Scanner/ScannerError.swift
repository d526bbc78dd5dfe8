// Typed errors of the Scanner target. Every message is one readable line naming the setting
// (a ScannerParameter, which the command line maps to its option) or the dataset path at fault; nothing is written when one is thrown (callers validate before
// computing and write outputs atomically).
import Tensors

public enum ScannerError: Error, CustomStringConvertible, Equatable {
    /// A layer name that the model does not have.
    case unknownLayer(name: String, available: [String])
    /// A neuron, unit, filter or stimulus index outside its range.
    case indexOutOfRange(option: ScannerParameter, index: Int, count: Int, what: String)
    /// Masks whose shape does not match the stimuli.
    case maskShape(path: String, shape: [Int], expected: [Int])
    /// An option value that cannot be used (with the reason).
    case invalidOption(option: ScannerParameter, reason: String)
    /// A method that needs something the model or layer does not provide.
    case notApplicable(method: String, reason: String)
    /// Stimuli whose shape does not match the model input.
    case stimulusShape(shape: [Int], expected: [Int])
    /// A numerical procedure that could not produce a result (with the reason).
    case numerical(what: String, reason: String)

    public var description: String { message(naming: \.description) }

    /// The message with each setting called by `name` (the command line passes the option that sets it).
    public func message(naming name: (ScannerParameter) -> String) -> String {
        switch self {
        case .unknownLayer(let n, let a):
            return "\(name(.layer)): no layer named '\(n)' in the model (layers: \(a.joined(separator: ", ")))"
        case .indexOutOfRange(let o, let i, let c, let w):
            let plural = w == "stimulus" ? "stimuli" : w + "s"
            let owner = w == "stimulus" ? "dataset" : "model"
            return "\(name(o)): \(w) index \(i) is out of range (the \(owner) has \(c) \(c == 1 ? w : plural), indices 0..<\(c))"
        case .maskShape(let p, let s, let e):
            return "\(p): masks have shape \(s), expected \(e) (one [H, W] mask per stimulus)"
        case .invalidOption(let o, let r):
            return "\(name(o)): \(r)"
        case .notApplicable(let m, let r):
            return "\(m): \(r)"
        case .stimulusShape(let s, let e):
            return "stimuli of shape \(s) do not fit the model input \(e)"
        case .numerical(let w, let r):
            return "\(w): \(r)"
        }
    }
}
