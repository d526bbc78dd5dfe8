// An `Encoder` that turns any Encodable value into a `JSONValue` tree (no Foundation
// JSONEncoder: that one refuses NaN unless told to write it as a string). Doubles and Floats that
// are not finite become null. Optional properties that are nil are left out, as JSONEncoder does;
// nil inside arrays becomes null. Keys are each coding key's `stringValue`.

/// Encodes `value` into a JSON tree.
public func jsonValue<T: Encodable>(_ value: T) throws -> JSONValue {
    try JSONTreeEncoder.box(value, codingPath: [])
}

final class JSONTreeEncoder: Encoder {
    /// Nodes under construction: containers are reference types so nested containers handed out
    /// earlier keep writing into the same tree.
    indirect enum Node {
        case value(JSONValue)
        case object(ObjectNode)
        case array(ArrayNode)
        case encoder(JSONTreeEncoder)

        var resolved: JSONValue {
            switch self {
            case .value(let v): return v
            case .object(let o): return .object(o.entries.mapValues { $0.resolved })
            case .array(let a): return .array(a.items.map { $0.resolved })
            case .encoder(let e): return e.resolved
            }
        }
    }
    final class ObjectNode { var entries: [String: Node] = [:] }
    final class ArrayNode { var items: [Node] = [] }

    let codingPath: [CodingKey]
    let userInfo: [CodingUserInfoKey: Any] = [:]
    var storage: Node?

    init(codingPath: [CodingKey]) { self.codingPath = codingPath }

    /// What was encoded; a value that encoded nothing becomes {} (as with JSONEncoder).
    var resolved: JSONValue { storage?.resolved ?? .object([:]) }

    /// Primitive fast paths, then the value's own `encode(to:)`.
    static func box<T: Encodable>(_ value: T, codingPath: [CodingKey]) throws -> JSONValue {
        switch value {
        case let v as JSONValue: return v
        case let v as Double: return v.isFinite ? .double(v) : .null
        case let v as Float: return JSONValue.float(v)
        case let v as Int: return .int(v)
        case let v as Int8: return .int(Int(v))
        case let v as Int16: return .int(Int(v))
        case let v as Int32: return .int(Int(v))
        case let v as Int64: return .int(Int(v))
        case let v as UInt8: return .int(Int(v))
        case let v as UInt16: return .int(Int(v))
        case let v as UInt32: return .int(Int(v))
        case let v as UInt: return v <= UInt(Int.max) ? .int(Int(v)) : .double(Double(v))
        case let v as UInt64: return v <= UInt64(Int.max) ? .int(Int(v)) : .double(Double(v))
        case let v as Bool: return .bool(v)
        case let v as String: return .string(v)
        default:
            let e = JSONTreeEncoder(codingPath: codingPath)
            try value.encode(to: e)
            return e.resolved
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: ObjectNode
        if case .object(let o)? = storage { object = o } else { object = ObjectNode(); storage = .object(object) }
        return KeyedEncodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        let array: ArrayNode
        if case .array(let a)? = storage { array = a } else { array = ArrayNode(); storage = .array(array) }
        return UnkeyedContainer(array: array, codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { SingleValueContainer(encoder: self) }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let object: ObjectNode
        let codingPath: [CodingKey]

        mutating func encodeNil(forKey key: Key) throws { object.entries[key.stringValue] = .value(.null) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            object.entries[key.stringValue] = .value(try JSONTreeEncoder.box(value, codingPath: codingPath + [key]))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let o = ObjectNode()
            object.entries[key.stringValue] = .object(o)
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(object: o, codingPath: codingPath + [key]))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            let a = ArrayNode()
            object.entries[key.stringValue] = .array(a)
            return UnkeyedContainer(array: a, codingPath: codingPath + [key])
        }
        mutating func superEncoder() -> Encoder { superEncoder(forKey: Key(stringValue: "super")!) }
        mutating func superEncoder(forKey key: Key) -> Encoder {
            let e = JSONTreeEncoder(codingPath: codingPath + [key])
            object.entries[key.stringValue] = .encoder(e)
            return e
        }
    }

    struct IndexKey: CodingKey {
        var stringValue: String { "Index \(intValue!)" }
        var intValue: Int?
        init(_ i: Int) { intValue = i }
        init?(stringValue: String) { return nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let array: ArrayNode
        let codingPath: [CodingKey]
        var count: Int { array.items.count }

        mutating func encodeNil() throws { array.items.append(.value(.null)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            array.items.append(.value(try JSONTreeEncoder.box(value, codingPath: codingPath + [IndexKey(count)])))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let o = ObjectNode()
            let path = codingPath + [IndexKey(count)]
            array.items.append(.object(o))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(object: o, codingPath: path))
        }
        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
            let a = ArrayNode()
            let path = codingPath + [IndexKey(count)]
            array.items.append(.array(a))
            return UnkeyedContainer(array: a, codingPath: path)
        }
        mutating func superEncoder() -> Encoder {
            let e = JSONTreeEncoder(codingPath: codingPath + [IndexKey(count)])
            array.items.append(.encoder(e))
            return e
        }
    }

    struct SingleValueContainer: SingleValueEncodingContainer {
        let encoder: JSONTreeEncoder
        var codingPath: [CodingKey] { encoder.codingPath }
        mutating func encodeNil() throws { encoder.storage = .value(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            encoder.storage = .value(try JSONTreeEncoder.box(value, codingPath: codingPath))
        }
    }
}
