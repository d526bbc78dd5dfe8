// Plain-text tables for the command line: a title, a header, a rule, and rows with text columns
// left-aligned and number columns right-aligned, numbers printed with a chosen precision.
//
//     Held-out scores
//     model      LL/obs  bits/spike
//     --------------------------------
//     cnn       -0.5123      0.2140
//     glm       -0.6010      0.1021
import Foundation

public struct Table: CustomStringConvertible {
    /// How a column prints numbers.
    public enum NumberFormat: Equatable {
        /// Fixed decimals ("%.{d}f").
        case fixed(Int)
        /// Scientific with this many decimals in the mantissa ("%.{d}e").
        case scientific(Int)
        /// Fixed decimals, switching to scientific for |x| ≥ 1e6 or non-zero |x| < 10^-d (so a
        /// small p-value never prints as 0.000).
        case automatic(Int)
    }

    public enum Alignment: Equatable { case left, right }

    public struct Column {
        public var header: String
        public var format: NumberFormat
        /// nil: right for numbers, left for text, decided per cell.
        public var alignment: Alignment?
        public init(_ header: String, format: NumberFormat = .automatic(4), alignment: Alignment? = nil) {
            self.header = header; self.format = format; self.alignment = alignment
        }
    }

    /// One cell. Literals work: `["cnn", 0.51, 12]`.
    public enum Cell: ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
        case text(String)
        case number(Double)
        case integer(Int)
        /// An empty cell.
        case missing
        public init(stringLiteral value: String) { self = .text(value) }
        public init(floatLiteral value: Double) { self = .number(value) }
        public init(integerLiteral value: Int) { self = .integer(value) }
        var isNumeric: Bool { switch self { case .number, .integer: return true; default: return false } }
    }

    public var title: String?
    public var columns: [Column]
    public private(set) var rows: [[Cell]] = []
    /// Spaces between columns.
    public var separator = 2

    public init(title: String? = nil, columns: [Column]) {
        self.title = title; self.columns = columns
    }

    /// All columns with the same number format.
    public init(title: String? = nil, headers: [String], format: NumberFormat = .automatic(4)) {
        self.init(title: title, columns: headers.map { Column($0, format: format) })
    }

    /// Appends a row. - Precondition: one cell per column.
    public mutating func addRow(_ cells: [Cell]) {
        precondition(cells.count == columns.count, "Table: row of \(cells.count) cells for \(columns.count) columns")
        rows.append(cells)
    }

    /// The text of one cell in column `c`.
    public func text(of cell: Cell, column c: Int) -> String {
        switch cell {
        case .text(let s): return s
        case .integer(let i): return String(i)
        case .missing: return ""
        case .number(let x): return Table.format(x, columns[c].format)
        }
    }

    public static func format(_ x: Double, _ f: NumberFormat) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        switch f {
        case .fixed(let d): return Ticks.format(x, scientific: false, decimals: d)
        case .scientific(let d): return Ticks.format(x, scientific: true, decimals: d)
        case .automatic(let d):
            let scientific = abs(x) >= 1e6 || (x != 0 && abs(x) < 0.5 * pow(10, -Double(d)))
            return Ticks.format(x, scientific: scientific, decimals: d)
        }
    }

    /// The table as lines joined by "\n" (with a trailing newline); trailing spaces are trimmed.
    public var description: String { rendered() }

    public func rendered() -> String {
        let texts = rows.map { row in row.enumerated().map { text(of: $0.element, column: $0.offset) } }
        var widths = columns.map { $0.header.count }
        for row in texts { for (c, s) in row.enumerated() { widths[c] = max(widths[c], s.count) } }
        // A column is right-aligned when its alignment says so, or (unset) when all its non-empty cells are numbers.
        let alignments: [Alignment] = columns.indices.map { c in
            if let a = columns[c].alignment { return a }
            let cells = rows.map { $0[c] }.filter { if case .missing = $0 { return false }; return true }
            return !cells.isEmpty && cells.allSatisfy { $0.isNumeric } ? .right : .left
        }
        let gap = String(repeating: " ", count: separator)
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (c, s) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - s.count)
                parts.append(alignments[c] == .right ? pad + s : s + pad)
            }
            var l = parts.joined(separator: gap)
            while l.hasSuffix(" ") { l.removeLast() }
            return l
        }
        var out = ""
        if let title, !title.isEmpty { out += title + "\n" }
        out += line(columns.map { $0.header }) + "\n"
        let total = widths.reduce(0, +) + separator * max(0, columns.count - 1)
        out += String(repeating: "-", count: total) + "\n"
        for row in texts { out += line(row) + "\n" }
        return out
    }
}
