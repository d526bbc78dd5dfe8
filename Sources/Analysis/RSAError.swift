// Errors of representational similarity analysis: every problem a user's file, flag or data can
// cause, one readable line naming the source (FILE:/path, or the caller's label) and what is wrong.

public enum RSAError: Error, CustomStringConvertible, Equatable {
    /// A `FILE:/path` argument that cannot be split into a file and a dataset path.
    case badSource(option: String, value: String)
    /// A dataset that is not [n, K, K] or [K, K].
    case wrongShape(source: String, shape: [Int])
    case notNumeric(source: String, type: String)
    case tooFewConditions(source: String, conditions: Int)
    case emptySet(source: String)
    case mismatchedConditions(first: String, firstConditions: Int, second: String, secondConditions: Int)
    case nonFinite(source: String, rdm: String, row: Int, column: Int)
    case notSymmetric(source: String, rdm: String, row: Int, column: Int, difference: Double, tolerance: Double)
    case nonZeroDiagonal(source: String, rdm: String, condition: Int, value: Double, tolerance: Double)
    /// An RDM whose dissimilarities are all equal (correlation-type comparisons are undefined), or
    /// all zero (cosine is undefined).
    case degenerateRDM(source: String, rdm: String, method: String, reason: String)
    case badNames(source: String, reason: String)
    case badGrouping(source: String, count: Int, groupSize: Int)
    case invalidPatterns(source: String, reason: String)
    /// Crossnobis over conditions with different numbers of repeats and no cap on the repeats used.
    case unequalRepeats(source: String, lowest: Int, highest: Int)
    case invalidOption(option: AnalysisParameter, reason: String)

    public var description: String {
        switch self {
        case .badSource(let o, let v):
            return "\(o) '\(v)': expected FILE:/path/inside/file (e.g. data.h5:/rdms/brain)"
        case .wrongShape(let s, let sh):
            return "\(s): RDMs must be an array [n, K, K] (or one [K, K]); found shape \(sh)"
        case .notNumeric(let s, let t): return "\(s): RDMs must be numeric; found \(t)"
        case .tooFewConditions(let s, let k):
            return "\(s): RDMs over \(k) condition\(k == 1 ? "" : "s"); at least 3 are needed"
        case .emptySet(let s): return "\(s): holds no RDMs"
        case .mismatchedConditions(let a, let ka, let b, let kb):
            return "RDM sizes differ: \(a) has \(ka) conditions, \(b) has \(kb)"
        case .nonFinite(let s, let r, let i, let j):
            return "\(s): RDM \(r) has a non-finite dissimilarity at (\(i), \(j))"
        case .notSymmetric(let s, let r, let i, let j, let d, let tol):
            return "\(s): RDM \(r) is not symmetric: entries (\(i), \(j)) and (\(j), \(i)) differ by \(d) (tolerance \(tol))"
        case .nonZeroDiagonal(let s, let r, let k, let v, let tol):
            return "\(s): RDM \(r) has a non-zero diagonal: entry (\(k), \(k)) is \(v) (tolerance \(tol))"
        case .degenerateRDM(let s, let r, let m, let why):
            return "\(s): RDM \(r) \(why); the \(m) comparison is undefined for it"
        case .badNames(let s, let why): return "\(s): names attribute \(why)"
        case .badGrouping(let s, let n, let g):
            return "\(s): \(n) RDMs cannot be averaged in consecutive groups of \(g)"
        case .invalidPatterns(let s, let why): return "\(s): \(why)"
        case .unequalRepeats(let s, let lo, let hi):
            return "\(s): crossnobis needs the same number of repeats for every condition (found \(lo) to \(hi)); use the first \(lo) repeats"
        case .invalidOption(let o, let why): return "\(o): \(why)"
        }
    }
}
