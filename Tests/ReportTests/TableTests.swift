import XCTest
import Report

final class TableTests: XCTestCase {
    func testAlignmentGolden() {
        var t = Table(title: "Held-out scores", columns: [
            Table.Column("model"), Table.Column("LL/obs", format: .fixed(4)),
            Table.Column("bits/spike", format: .fixed(3)), Table.Column("n"),
        ])
        t.addRow(["cnn", -0.51234, 0.214, 120])
        t.addRow(["glm-poisson", -0.6, .number(.nan), 7])
        t.addRow(["null", -0.75, 0.0, .missing])
        // Golden string made independently with Python str.format (<, > alignment, 2-space gaps).
        let expected = "Held-out scores\nmodel         LL/obs  bits/spike    n\n-------------------------------------\ncnn          -0.5123       0.214  120\nglm-poisson  -0.6000         NaN    7\nnull         -0.7500       0.000\n"
        XCTAssertEqual(t.rendered(), expected)
        XCTAssertEqual(t.description, expected)
        print(t)
    }

    func testNumberFormats() {
        XCTAssertEqual(Table.format(0.000012, .automatic(3)), "1.200e-05")   // never "0.000"
        XCTAssertEqual(Table.format(0.0012, .automatic(3)), "0.001")
        XCTAssertEqual(Table.format(-0.00001, .fixed(2)), "0.00")            // no "-0.00"
        XCTAssertEqual(Table.format(2.5e7, .automatic(2)), "2.50e+07")
        XCTAssertEqual(Table.format(1234.5678, .scientific(2)), "1.23e+03")
        XCTAssertEqual(Table.format(-.infinity, .fixed(2)), "-inf")
        XCTAssertEqual(Table.format(0, .automatic(3)), "0.000")
    }

    func testExplicitAlignmentAndNoTitle() {
        var t = Table(columns: [Table.Column("id", alignment: .right), Table.Column("x", format: .fixed(1), alignment: .left)])
        t.addRow(["a", 1.25])
        t.addRow(["bbb", 10.0])
        XCTAssertEqual(t.rendered(), " id  x\n---------\n  a  1.2\nbbb  10.0\n")
    }
}
