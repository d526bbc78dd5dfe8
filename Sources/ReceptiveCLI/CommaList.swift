// Comma-separated option values (`--delays 1,2,3`, `--kernels 9,7,7`, `--alphas 1,10,100`) parsed
// once, by ArgumentParser, into typed lists: a bad element is refused while the command line is
// parsed, in one line naming the option, the value and the element.
import ArgumentParser

/// A non-empty comma-separated list of `Element`s. Use as `@Option(transform: CommaList<Int>.parse)`
/// for a refusal that says which element is wrong; as a plain `ExpressibleByArgument` it is refused
/// with ArgumentParser's "invalid value" message.
struct CommaList<Element: LosslessStringConvertible & Sendable>: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var values: [Element]
    /// The text as given (or the values, for a default).
    let text: String

    init(_ values: [Element]) {
        self.values = values
        text = values.map { v in (v as? Double).map { String(format: "%g", $0) } ?? v.description }.joined(separator: ",")
    }

    private init(values: [Element], text: String) { self.values = values; self.text = text }

    init?(argument: String) { guard let l = try? Self.parse(argument) else { return nil }; self = l }

    var description: String { text }
    var defaultValueDescription: String { text }

    /// Parses "9,7,7"; every element must parse and pass `Self.accepts` (finite numbers).
    static func parse(_ text: String) throws -> CommaList {
        var out: [Element] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let v = Element(piece), accepts(v) else {
                throw CommaListError(element: piece, type: elementName)
            }
            out.append(v)
        }
        return CommaList(values: out, text: text)
    }

    static func accepts(_ v: Element) -> Bool {
        if let d = v as? Double { return d.isFinite }
        if let f = v as? Float { return f.isFinite }
        return true
    }

    static var elementName: String {
        switch Element.self {
        case is Int.Type, is UInt64.Type, is Int32.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a finite number"
        default: return "a valid \(Element.self)"
        }
    }
}

/// Why a comma list was refused (ArgumentParser prints it after the option and the value).
struct CommaListError: Error, CustomStringConvertible {
    let element: String
    let type: String
    var description: String {
        element.isEmpty ? "an element is empty (expected a comma-separated list such as 1,2,3)"
                        : "'\(element)' is not \(type) (expected a comma-separated list such as 1,2,3)"
    }
}
