// Typed errors of the Numerics target: one readable line naming the method and the reason.

public enum NumericsError: Error, CustomStringConvertible, Equatable {
    /// A numerical procedure that could not produce a result (with the reason).
    case numerical(what: String, reason: String)

    public var description: String {
        switch self {
        case .numerical(let w, let r): return "\(w): \(r)"
        }
    }
}
