// zlib stream format (RFC 1950) around our DEFLATE compressor: 2-byte header, raw DEFLATE data,
// Adler-32 of the uncompressed bytes (big-endian). This is what a PNG IDAT chunk carries.

public enum Zlib {
    /// zlib stream of `data`: CMF 0x78 (deflate, 32 KiB window), FLG with FCHECK so that
    /// (CMF·256 + FLG) is a multiple of 31, no preset dictionary.
    public static func compress(_ data: [UInt8]) -> [UInt8] {
        let cmf: UInt8 = 0x78
        var flg: UInt8 = 0x01 << 6   // FLEVEL 1 ("fast"): informative only
        flg += UInt8(31 - (Int(cmf) * 256 + Int(flg)) % 31) % 31
        var out: [UInt8] = [cmf, flg]
        out.append(contentsOf: Deflate.compress(data))
        let a = Adler32.checksum(data)
        out.append(contentsOf: [UInt8(a >> 24), UInt8((a >> 16) & 0xFF), UInt8((a >> 8) & 0xFF), UInt8(a & 0xFF)])
        return out
    }
}
