// Responses (or predicted means) of trials × units: one row per trial (or stimulus), one column per
// unit, stored row-major so that `values` is the flat (T, U) array BLAS, HDF5 and the scorers take.
// Replaces flat arrays that travelled with a separate unit count and were indexed `t * u + j` by hand.

public struct ResponseMatrix<Scalar: BinaryFloatingPoint & Sendable>: Equatable, Sendable {
    /// Trials (or stimuli).
    public let rows: Int
    /// Units.
    public let columns: Int
    /// Row-major values, `rows · columns` of them: element (t, j) is `values[t · columns + j]`.
    public var values: [Scalar]

    /// A matrix of `rows × columns` copies of `value`.
    @inlinable
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "a response matrix needs non-negative dimensions")
        self.rows = rows; self.columns = columns
        values = [Scalar](repeating: value, count: rows * columns)
    }

    /// Wraps row-major values; `values.count` must be `rows · columns`.
    @inlinable
    public init(rows: Int, columns: Int, values: [Scalar]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns,
                     "\(values.count) values do not fill a \(rows)×\(columns) response matrix")
        self.rows = rows; self.columns = columns; self.values = values
    }

    /// Stacks equally long rows.
    @inlinable
    public init(columns: Int, rows: [[Scalar]]) {
        precondition(rows.allSatisfy { $0.count == columns }, "every row must have \(columns) values")
        self.init(rows: rows.count, columns: columns, values: rows.flatMap { $0 })
    }

    /// Trials (= rows) and units (= columns), for code that speaks of them so.
    @inlinable public var trials: Int { rows }
    @inlinable public var units: Int { columns }
    @inlinable public var isEmpty: Bool { values.isEmpty }

    /// Element (row, column).
    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "(\(row), \(column)) is outside \(rows)×\(columns)")
            return values[row &* columns &+ column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "(\(row), \(column)) is outside \(rows)×\(columns)")
            values[row &* columns &+ column] = newValue
        }
    }

    /// The values of row `r` (one trial, every unit).
    @inlinable
    public func row(_ r: Int) -> ArraySlice<Scalar> {
        precondition(r >= 0 && r < rows, "row \(r) is outside 0..<\(rows)")
        return values[(r * columns)..<((r + 1) * columns)]
    }

    /// Replaces row `r` with `newValues` (`columns` of them).
    @inlinable
    public mutating func setRow<C: Collection>(_ r: Int, to newValues: C) where C.Element == Scalar {
        precondition(r >= 0 && r < rows && newValues.count == columns, "row \(r): \(newValues.count) values for a \(rows)×\(columns) matrix")
        values.replaceSubrange((r * columns)..<((r + 1) * columns), with: newValues)
    }

    /// The values of column `c` (one unit, every trial).
    @inlinable
    public func column(_ c: Int) -> [Scalar] {
        precondition(c >= 0 && c < columns, "column \(c) is outside 0..<\(columns)")
        var out = [Scalar](); out.reserveCapacity(rows)
        for r in 0..<rows { out.append(values[r * columns + c]) }
        return out
    }

    /// The matrix of the given rows, in the given order (repeats allowed).
    @inlinable
    public func rows(_ indices: [Int]) -> ResponseMatrix {
        var out = [Scalar](); out.reserveCapacity(indices.count * columns)
        for r in indices { out.append(contentsOf: row(r)) }
        return ResponseMatrix(rows: indices.count, columns: columns, values: out)
    }

    /// The matrix of the given columns, in the given order.
    @inlinable
    public func columns(_ range: Range<Int>) -> ResponseMatrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns, "columns \(range) are outside 0..<\(columns)")
        var out = [Scalar](); out.reserveCapacity(rows * range.count)
        for r in 0..<rows { out.append(contentsOf: values[(r * columns + range.lowerBound)..<(r * columns + range.upperBound)]) }
        return ResponseMatrix(rows: rows, columns: range.count, values: out)
    }

    /// The mean of every column over the given rows (each counted as often as it is listed); zeros
    /// when `indices` is empty. Summed in Double.
    @inlinable
    public func columnMeans(of indices: [Int]) -> [Double] {
        var m = [Double](repeating: 0, count: columns)
        for r in indices { for (j, v) in row(r).enumerated() { m[j] += Double(v) } }
        return m.map { $0 / Double(max(indices.count, 1)) }
    }

    /// Element-wise conversion (e.g. Float responses to Double).
    @inlinable
    public func converted<T: BinaryFloatingPoint & Sendable>(to: T.Type = T.self) -> ResponseMatrix<T> {
        ResponseMatrix<T>(rows: rows, columns: columns, values: values.map { T($0) })
    }
}
