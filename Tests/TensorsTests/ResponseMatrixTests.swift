// ResponseMatrix accessors against the row-major index arithmetic they replace.
import Tensors
import XCTest

final class ResponseMatrixTests: XCTestCase {
    let t = 5, u = 3
    var flat: [Float] { (0..<15).map { Float($0) * 0.5 - 2 } }

    func testElementRowAndColumnAccess() {
        var m = ResponseMatrix(rows: t, columns: u, values: flat)
        XCTAssertEqual(m.trials, 5); XCTAssertEqual(m.units, 3)
        for i in 0..<t { for j in 0..<u { XCTAssertEqual(m[i, j], flat[i * u + j]) } }
        for i in 0..<t { XCTAssertEqual(Array(m.row(i)), (0..<u).map { flat[i * u + $0] }) }
        for j in 0..<u { XCTAssertEqual(m.column(j), (0..<t).map { flat[$0 * u + j] }) }
        m[2, 1] = 42
        XCTAssertEqual(m.values[2 * u + 1], 42)
        m.setRow(4, to: [7, 8, 9])
        XCTAssertEqual(Array(m.values.suffix(3)), [7, 8, 9])
        XCTAssertEqual(ResponseMatrix(columns: 2, rows: [[1, 2], [3, 4]]), ResponseMatrix<Double>(rows: 2, columns: 2, values: [1, 2, 3, 4]))
    }

    func testRowAndColumnSelection() {
        let m = ResponseMatrix(rows: t, columns: u, values: flat)
        let sel = [4, 0, 4]
        XCTAssertEqual(m.rows(sel).values, sel.flatMap { r in (0..<u).map { flat[r * u + $0] } })
        XCTAssertEqual(m.rows(sel).rows, 3)
        let c = m.columns(1..<3)
        XCTAssertEqual(c.columns, 2)
        XCTAssertEqual(c.values, (0..<t).flatMap { r in (1..<3).map { flat[r * u + $0] } })
        XCTAssertEqual(m.rows([]).rows, 0)
    }

    func testColumnMeansAndConversion() {
        let m = ResponseMatrix(rows: t, columns: u, values: flat)
        let rows = [0, 2, 2, 3]
        var naive = [Double](repeating: 0, count: u)
        for r in rows { for j in 0..<u { naive[j] += Double(flat[r * u + j]) } }
        naive = naive.map { $0 / 4 }
        let means = m.columnMeans(of: rows)
        let diff = zip(means, naive).map { abs($0 - $1) }.max() ?? 0
        print("column means vs naive sums: max |Δ| = \(diff)")
        XCTAssertEqual(diff, 0)
        XCTAssertEqual(m.columnMeans(of: []), [0, 0, 0])
        XCTAssertEqual(m.converted(to: Double.self).values, flat.map(Double.init))
    }
}
