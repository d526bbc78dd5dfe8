// CRC-32 (ISO 3309 / ITU-T V.42, the one PNG and gzip use): reflected polynomial 0xEDB88320,
// initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF. Table-driven, one byte per step.
// Check value: CRC32("123456789") = 0xCBF43926.

public struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// Running register (pre-inverted); `value` gives the finished checksum.
    private var register: UInt32 = 0xFFFF_FFFF

    public init() {}

    /// Feeds bytes into the running checksum.
    public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        var c = register
        CRC32.table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        register = c
    }

    /// The checksum of everything fed so far.
    public var value: UInt32 { register ^ 0xFFFF_FFFF }

    /// CRC-32 of `bytes` in one call.
    public static func checksum<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var c = CRC32()
        c.update(bytes)
        return c.value
    }
}
