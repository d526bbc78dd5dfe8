// JSON output of results (`--json`): any Encodable value, keys sorted, pretty-printed with two
// spaces, NaN and ±infinity written as null, a trailing newline. Built on `jsonValue(_:)` and
// `JSONValue.text(indent:)` (in Tensors, so that every target writes JSON the same way); Foundation's JSONEncoder is not used (it throws on NaN).
//
// Encoding follows the Encodable conformance of each type: structs become objects keyed by
// property name, arrays become arrays, nil optionals are omitted, Float values keep their short
// decimal form. Types whose Encodable conformance relies on JSONEncoder special cases (Date,
// Data, URL) encode through their generic conformance; convert them to strings first.
import Foundation
import Tensors

public enum JSONOutput {
    /// The JSON text of `value` (ends with a newline).
    public static func string<T: Encodable>(_ value: T) throws -> String {
        try jsonValue(value).text(indent: 2) + "\n"
    }

    /// Prints the JSON text of `value` to standard output.
    public static func print<T: Encodable>(_ value: T) throws {
        let s = try string(value)
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    /// Writes the JSON text of `value` to `path` atomically.
    /// - Throws: `ReportError.cannotWrite` naming the file; errors the value's own `encode(to:)` throws.
    public static func write<T: Encodable>(_ value: T, to path: String, overwrite: Bool = true) throws {
        try AtomicOutput.write(text: try string(value), to: path, overwrite: overwrite)
    }
}
