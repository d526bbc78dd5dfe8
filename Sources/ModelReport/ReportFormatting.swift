// How the reports write numbers and words in tables, captions and notes: the one place for it.
import Foundation

/// A number for a table: `decimals` decimals (3 by default), "–" for nil or a non-finite value.
func fmt(_ v: Double?, _ decimals: Int = 3) -> String {
    guard let v, v.isFinite else { return "–" }
    return String(format: "%.\(decimals)f", v)
}

/// A penalty: 3 significant digits, "–" for nil or a non-finite value.
func fmtG(_ v: Double?) -> String {
    guard let v, v.isFinite else { return "–" }
    return String(format: "%.3g", v)
}

