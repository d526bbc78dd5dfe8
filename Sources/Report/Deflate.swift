// DEFLATE compressor (RFC 1951), no zlib: LZ77 matching over a 32 KiB window with hash chains,
// coded with the fixed Huffman tables (block type 1). When that would not be smaller than the
// input (noise-like data) the data are sent as stored blocks (type 0) instead, so the output is
// never more than 5 bytes per 65 535 larger than the input.
//
// Figures are mostly flat colour and PNG-filtered rows are mostly zeros, which the fixed code and
// long matches compress well (typically 20–100×); dynamic Huffman tables are not implemented.

public enum Deflate {
    /// Raw DEFLATE stream of `data`: one fixed-Huffman block, or stored blocks if those are smaller.
    public static func compress(_ data: [UInt8]) -> [UInt8] {
        let fixed = fixedHuffman(data)
        return fixed.count < storedSize(data.count) ? fixed : stored(data)
    }

    /// Size in bytes of `stored(data)` for `count` input bytes.
    public static func storedSize(_ count: Int) -> Int {
        let blocks = max(1, (count + maxStoredLength - 1) / maxStoredLength)
        return count + 5 * blocks
    }

    static let maxStoredLength = 65_535

    /// Stored (uncompressed) blocks, each at most 65 535 bytes; the last one has BFINAL set.
    public static func stored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(storedSize(data.count))
        var start = 0
        repeat {
            let length = min(maxStoredLength, data.count - start)
            let final = start + length == data.count
            // Header bits: BFINAL, BTYPE = 00, then padding to the byte boundary.
            out.append(final ? 1 : 0)
            let len = UInt16(length)
            out.append(UInt8(len & 0xFF)); out.append(UInt8(len >> 8))
            out.append(UInt8(~len & 0xFF)); out.append(UInt8(~len >> 8))
            out.append(contentsOf: data[start..<(start + length)])
            start += length
        } while start < data.count
        return out
    }

    // MARK: fixed Huffman + LZ77

    static let minMatch = 3
    static let maxMatch = 258
    static let windowSize = 32_768
    /// Longest hash chain followed per position: a speed/ratio trade-off (zlib level 6 uses 128).
    static let maxChain = 64
    static let hashBits = 15

    /// Base lengths of length codes 257…285 and their extra bits (RFC 1951 §3.2.5).
    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                    67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    /// Base distances of distance codes 0…29 and their extra bits.
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                                      1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11,
                                       12, 12, 13, 13]

    /// Length-code index (0…28) for each match length 0…258 (entries below 3 unused).
    static let lengthIndex: [UInt8] = {
        var t = [UInt8](repeating: 0, count: maxMatch + 1)
        for code in 0..<lengthBase.count {
            let hi = code + 1 < lengthBase.count ? lengthBase[code + 1] : maxMatch + 1
            for l in lengthBase[code]..<min(hi, maxMatch + 1) { t[l] = UInt8(code) }
        }
        t[maxMatch] = 28   // 258 has its own code (285), not 284 + 31
        return t
    }()

    /// Distance-code index (0…29) for each distance 1…32768 (entry 0 unused).
    static let distanceIndex: [UInt8] = {
        var t = [UInt8](repeating: 0, count: windowSize + 1)
        for code in 0..<distanceBase.count {
            let hi = code + 1 < distanceBase.count ? distanceBase[code + 1] : windowSize + 1
            for d in distanceBase[code]..<hi { t[d] = UInt8(code) }
        }
        return t
    }()

    /// Fixed literal/length code of symbol 0…287, bit-reversed for LSB-first output, and its length.
    static let fixedLiteralCodes: [(code: UInt32, length: Int)] = (0..<288).map { s in
        let (code, length): (Int, Int)
        switch s {
        case 0...143: (code, length) = (0x30 + s, 8)
        case 144...255: (code, length) = (0x190 + s - 144, 9)
        case 256...279: (code, length) = (s - 256, 7)
        default: (code, length) = (0xC0 + s - 280, 8)
        }
        return (reverseBits(UInt32(code), length), length)
    }

    /// Fixed distance codes are the 5-bit code numbers, bit-reversed.
    static let fixedDistanceCodes: [UInt32] = (0..<30).map { reverseBits(UInt32($0), 5) }

    static func reverseBits(_ v: UInt32, _ n: Int) -> UInt32 {
        var r: UInt32 = 0, x = v
        for _ in 0..<n { r = (r << 1) | (x & 1); x >>= 1 }
        return r
    }

    /// One final fixed-Huffman block holding the whole input, with greedy LZ77 matches.
    public static func fixedHuffman(_ data: [UInt8]) -> [UInt8] {
        var w = BitWriter()
        w.bytes.reserveCapacity(data.count / 4 + 64)
        w.write(1, count: 1)   // BFINAL
        w.write(1, count: 2)   // BTYPE = 01 (fixed Huffman)
        let n = data.count
        let hashSize = 1 << hashBits
        let mask = windowSize - 1
        // head[h]: most recent position with hash h; chain[p & mask]: the previous one with the same hash.
        var head = [Int32](repeating: -1, count: hashSize)
        var chain = [Int32](repeating: -1, count: windowSize)
        data.withUnsafeBufferPointer { d in
            @inline(__always) func hash(_ i: Int) -> Int {
                let v = (UInt32(d[i]) << 16) | (UInt32(d[i + 1]) << 8) | UInt32(d[i + 2])
                return Int((v &* 2_654_435_761) >> UInt32(32 - hashBits))
            }
            @inline(__always) func insert(_ i: Int) {
                let h = hash(i)
                chain[i & mask] = head[h]
                head[h] = Int32(i)
            }
            var i = 0
            while i < n {
                var bestLength = 0, bestDistance = 0
                if i + minMatch <= n {
                    let limit = min(maxMatch, n - i)
                    var candidate = Int(head[hash(i)])
                    var steps = maxChain
                    // Distances up to windowSize − 1 only: then chain[candidate & mask] has not been
                    // overwritten by a newer position, so the chain strictly decreases.
                    while candidate >= 0 && i - candidate < windowSize && steps > 0 {
                        if d[candidate + bestLength] == d[i + bestLength] || bestLength == 0 {
                            var l = 0
                            while l < limit && d[candidate + l] == d[i + l] { l += 1 }
                            if l > bestLength {
                                bestLength = l; bestDistance = i - candidate
                                if l == limit { break }
                            }
                        }
                        let next = Int(chain[candidate & mask])
                        if next >= candidate { break }
                        candidate = next
                        steps -= 1
                    }
                    insert(i)
                }
                if bestLength >= minMatch {
                    let li = Int(lengthIndex[bestLength])
                    let lc = fixedLiteralCodes[257 + li]
                    w.write(lc.code, count: lc.length)
                    if lengthExtra[li] > 0 { w.write(UInt32(bestLength - lengthBase[li]), count: lengthExtra[li]) }
                    let di = Int(distanceIndex[bestDistance])
                    w.write(fixedDistanceCodes[di], count: 5)
                    if distanceExtra[di] > 0 { w.write(UInt32(bestDistance - distanceBase[di]), count: distanceExtra[di]) }
                    let end = i + bestLength
                    var j = i + 1
                    while j < end && j + minMatch <= n { insert(j); j += 1 }
                    i = end
                } else {
                    let lc = fixedLiteralCodes[Int(d[i])]
                    w.write(lc.code, count: lc.length)
                    i += 1
                }
            }
        }
        let eob = fixedLiteralCodes[256]
        w.write(eob.code, count: eob.length)
        w.flush()
        return w.bytes
    }
}

/// Bits packed least-significant first into bytes, as DEFLATE requires (Huffman codes are
/// bit-reversed by the caller so that they come out most-significant bit first).
struct BitWriter {
    var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var count = 0

    /// Appends the low `count` bits of `value` (count ≤ 32).
    @inline(__always) mutating func write(_ value: UInt32, count n: Int) {
        buffer |= UInt64(value) << UInt64(count)
        count += n
        while count >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: buffer))
            buffer >>= 8
            count -= 8
        }
    }

    /// Pads with zero bits to the next byte boundary.
    mutating func flush() {
        if count > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer)); buffer = 0; count = 0 }
    }
}
