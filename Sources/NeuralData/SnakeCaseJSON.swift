// The one JSON encoding of NeuralData's reports and attributes: Foundation's JSONEncoder with
// snake_case keys, sorted (the inspect/summary outputs and the import's provenance attributes).
import Foundation

enum SnakeCaseJSON {
    /// `value` as JSON text with snake_case, sorted keys; `pretty` indents it, `escapeSlashes`
    /// keeps Foundation's "\/" for "/".
    static func encode<T: Encodable>(_ value: T, pretty: Bool, escapeSlashes: Bool = true) throws -> String {
        let e = JSONEncoder()
        var format: JSONEncoder.OutputFormatting = [.sortedKeys]
        if pretty { format.insert(.prettyPrinted) }
        if !escapeSlashes { format.insert(.withoutEscapingSlashes) }
        e.outputFormatting = format
        e.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try e.encode(value), as: UTF8.self)
    }
}
