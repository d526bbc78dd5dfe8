import XCTest
import Report
import Tensors
import TestSupport

private struct Score: Encodable {
    var unit: String
    var ll: Double
    var r: Double
    var weights: [Float]
    var note: String?
    var ci: [Double?]
    var nested: [String: Int]
}

final class JSONOutputTests: XCTestCase {
    func testNaNIsNullKeysSortedPretty() throws {
        let s = Score(unit: "u1", ll: -0.25, r: .nan, weights: [0.1, .infinity, -2], note: nil, ci: [nil, -.infinity, 1e-5],
                      nested: ["b": 2, "a": 1])
        let text = try JSONOutput.string(s)
        let expected = """
        {
          "ci": [
            null,
            null,
            1e-05
          ],
          "ll": -0.25,
          "nested": {
            "a": 1,
            "b": 2
          },
          "r": null,
          "unit": "u1",
          "weights": [
            0.1,
            null,
            -2.0
          ]
        }

        """
        XCTAssertEqual(text, expected)
        // Foundation's parser accepts it.
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        XCTAssertNotNil(parsed)
        XCTAssertTrue(parsed?["r"] is NSNull)
        // Top-level non-finite numbers too.
        XCTAssertEqual(try JSONOutput.string(Double.nan), "null\n")
        XCTAssertEqual(try JSONOutput.string([Float.nan, 1.5]), "[\n  null,\n  1.5\n]\n")
    }

    func testStringEscapingAndCompactForm() throws {
        let v: JSONValue = ["k\"ey": "a\\b\n\t\u{01}é", "empty": [], "obj": [:], "flag": true, "none": nil, "n": -3]
        XCTAssertEqual(v.text(indent: 0), #"{"empty":[],"flag":true,"k\"ey":"a\\b\n\t\u0001é","n":-3,"none":null,"obj":{}}"#)
        let back = try JSONSerialization.jsonObject(with: Data(v.text().utf8)) as! [String: Any]
        XCTAssertEqual(back["k\"ey"] as? String, "a\\b\n\t\u{01}é")
    }

    func testWriteAtomic() throws {
        let dir = TestPaths.temporaryDirectory("json")
        let path = dir + "/r.json"
        try JSONOutput.write(["x": Double.nan], to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "{\n  \"x\": null\n}\n")
        XCTAssertThrowsError(try JSONOutput.write(["x": 1.0], to: path, overwrite: false))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["r.json"])
    }
}
