// Adler-32 (RFC 1950), the checksum that ends a zlib stream: a = 1 + Σ bytes, b = Σ a, both
// mod 65521, value = b·65536 + a. Sums are reduced every 5552 bytes, the most that cannot
// overflow 32 bits (the bound zlib uses). Check value: Adler32("Wikipedia") = 0x11E60398.

public struct Adler32 {
    private static let modulus: UInt32 = 65521
    private static let blockLength = 5552
    private var a: UInt32 = 1
    private var b: UInt32 = 0

    public init() {}

    /// Feeds bytes into the running checksum.
    public mutating func update(_ bytes: [UInt8]) {
        var a = self.a, b = self.b
        bytes.withUnsafeBufferPointer { p in
            var i = 0
            while i < p.count {
                let end = min(i + Adler32.blockLength, p.count)
                while i < end { a &+= UInt32(p[i]); b &+= a; i += 1 }
                a %= Adler32.modulus
                b %= Adler32.modulus
            }
        }
        self.a = a; self.b = b
    }

    /// The checksum of everything fed so far.
    public var value: UInt32 { (b << 16) | a }

    /// Adler-32 of `bytes` in one call.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c = Adler32()
        c.update(bytes)
        return c.value
    }
}
