// Test-only decoders, written from RFC 1950/1951 and the PNG spec independently of the encoder
// under test: an inflater for stored, fixed-Huffman and dynamic-Huffman blocks (after Mark
// Adler's puff.c) and a PNG reader that checks chunk CRCs and undoes the row filters. Checked
// against streams made by zlib itself (see DeflateTests) before being trusted on ours.
import Foundation
import Report

struct DecodeError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

struct TestInflater {
    private let input: [UInt8]
    private var position = 0
    private var bitBuffer = 0
    private var bitCount = 0
    private(set) var output: [UInt8] = []
    /// Block types seen, in order.
    private(set) var blockTypes: [Int] = []

    init(_ input: [UInt8], start: Int = 0) { self.input = input; position = start }

    /// Bytes consumed so far (after the final block, rounded up to a whole byte).
    var consumed: Int { position }

    private mutating func bits(_ n: Int) throws -> Int {
        var v = bitBuffer
        while bitCount < n {
            guard position < input.count else { throw DecodeError("deflate: out of input") }
            v |= Int(input[position]) << bitCount
            position += 1
            bitCount += 8
        }
        bitBuffer = v >> n
        bitCount -= n
        return v & ((1 << n) - 1)
    }

    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]
        init(lengths: [Int]) throws {
            symbols = [Int](repeating: 0, count: lengths.count)
            for l in lengths { counts[l] += 1 }
            var left = 1
            for len in 1..<16 {
                left <<= 1
                left -= counts[len]
                if left < 0 { throw DecodeError("deflate: over-subscribed code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            for (s, l) in lengths.enumerated() where l != 0 { symbols[offsets[l]] = s; offsets[l] += 1 }
        }
    }

    private mutating func decode(_ h: Huffman) throws -> Int {
        var code = 0, first = 0, index = 0
        for len in 1..<16 {
            code |= try bits(1)
            let count = h.counts[len]
            if code - count < first { return h.symbols[index + (code - first)] }
            index += count
            first += count
            first <<= 1
            code <<= 1
        }
        throw DecodeError("deflate: invalid Huffman code")
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                           4097, 6145, 8193, 12289, 16385, 24577]
    static let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    private mutating func codes(_ lit: Huffman, _ dist: Huffman) throws {
        while true {
            let s = try decode(lit)
            if s < 256 { output.append(UInt8(s)); continue }
            if s == 256 { return }
            let li = s - 257
            guard li < 29 else { throw DecodeError("deflate: bad length symbol \(s)") }
            let length = TestInflater.lengthBase[li] + (try bits(TestInflater.lengthExtra[li]))
            let ds = try decode(dist)
            guard ds < 30 else { throw DecodeError("deflate: bad distance symbol \(ds)") }
            let distance = TestInflater.distBase[ds] + (try bits(TestInflater.distExtra[ds]))
            guard distance <= output.count else { throw DecodeError("deflate: distance \(distance) too far back (\(output.count))") }
            for _ in 0..<length { output.append(output[output.count - distance]) }
        }
    }

    mutating func run() throws {
        var final = 0
        repeat {
            final = try bits(1)
            let type = try bits(2)
            blockTypes.append(type)
            switch type {
            case 0:
                bitBuffer = 0; bitCount = 0
                guard position + 4 <= input.count else { throw DecodeError("deflate: stored header cut") }
                let len = Int(input[position]) | Int(input[position + 1]) << 8
                let nlen = Int(input[position + 2]) | Int(input[position + 3]) << 8
                guard len == (~nlen & 0xFFFF) else { throw DecodeError("deflate: LEN/NLEN mismatch") }
                position += 4
                guard position + len <= input.count else { throw DecodeError("deflate: stored data cut") }
                output.append(contentsOf: input[position..<(position + len)])
                position += len
            case 1:
                var lengths = [Int](repeating: 8, count: 288)
                for s in 144..<256 { lengths[s] = 9 }
                for s in 256..<280 { lengths[s] = 7 }
                try codes(try Huffman(lengths: lengths), try Huffman(lengths: [Int](repeating: 5, count: 30)))
            case 2:
                let nlen = try bits(5) + 257, ndist = try bits(5) + 1, ncode = try bits(4) + 4
                let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                var cl = [Int](repeating: 0, count: 19)
                for i in 0..<ncode { cl[order[i]] = try bits(3) }
                let clCode = try Huffman(lengths: cl)
                var lengths: [Int] = []
                while lengths.count < nlen + ndist {
                    let s = try decode(clCode)
                    switch s {
                    case 0..<16: lengths.append(s)
                    case 16:
                        guard let last = lengths.last else { throw DecodeError("deflate: repeat with no length") }
                        lengths += Array(repeating: last, count: 3 + (try bits(2)))
                    case 17: lengths += Array(repeating: 0, count: 3 + (try bits(3)))
                    default: lengths += Array(repeating: 0, count: 11 + (try bits(7)))
                    }
                }
                guard lengths.count == nlen + ndist else { throw DecodeError("deflate: too many lengths") }
                try codes(try Huffman(lengths: Array(lengths[0..<nlen])), try Huffman(lengths: Array(lengths[nlen...])))
            default:
                throw DecodeError("deflate: invalid block type 3")
            }
        } while final == 0
    }

    /// Inflates a raw DEFLATE stream.
    static func inflate(_ data: [UInt8]) throws -> (bytes: [UInt8], blockTypes: [Int]) {
        var i = TestInflater(data)
        try i.run()
        guard i.consumed == data.count else { throw DecodeError("deflate: \(data.count - i.consumed) bytes after the final block") }
        return (i.output, i.blockTypes)
    }

    /// Inflates a zlib stream, checking the header and the Adler-32 trailer.
    static func unzlib(_ data: [UInt8]) throws -> (bytes: [UInt8], blockTypes: [Int]) {
        guard data.count >= 6 else { throw DecodeError("zlib: too short") }
        guard data[0] & 0x0F == 8, (Int(data[0]) * 256 + Int(data[1])) % 31 == 0, data[1] & 0x20 == 0 else {
            throw DecodeError("zlib: bad header \(data[0]) \(data[1])")
        }
        var i = TestInflater(data, start: 2)
        try i.run()
        guard i.consumed + 4 == data.count else { throw DecodeError("zlib: \(data.count - i.consumed - 4) unexpected trailing bytes") }
        let t = data[(data.count - 4)...].reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
        guard t == Adler32.checksum(i.output) else { throw DecodeError("zlib: Adler-32 mismatch") }
        return (i.output, i.blockTypes)
    }
}

/// A decoded PNG: header fields, pixels, the chunk types in order and the row filter types used.
struct DecodedPNG {
    var width = 0, height = 0, bitDepth = 0, colorType = 0, compression = 0, filter = 0, interlace = 0
    var pixels: [UInt8] = []
    var chunkTypes: [String] = []
    var filterTypes: [Int] = []
    var blockTypes: [Int] = []

    init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 8, Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw DecodeError("png: bad signature")
        }
        func be32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }
        var p = 8
        var idat: [UInt8] = []
        while p < bytes.count {
            guard p + 12 <= bytes.count else { throw DecodeError("png: chunk header cut") }
            let length = be32(p)
            guard p + 12 + length <= bytes.count else { throw DecodeError("png: chunk data cut") }
            let typeBytes = Array(bytes[(p + 4)..<(p + 8)])
            let type = String(decoding: typeBytes, as: UTF8.self)
            let data = Array(bytes[(p + 8)..<(p + 8 + length)])
            let crc = UInt32(be32(p + 8 + length))
            guard crc == CRC32.checksum(typeBytes + data) else { throw DecodeError("png: CRC mismatch in \(type)") }
            chunkTypes.append(type)
            if type == "IHDR" {
                guard length == 13 else { throw DecodeError("png: IHDR length \(length)") }
                width = Int(data[0]) << 24 | Int(data[1]) << 16 | Int(data[2]) << 8 | Int(data[3])
                height = Int(data[4]) << 24 | Int(data[5]) << 16 | Int(data[6]) << 8 | Int(data[7])
                bitDepth = Int(data[8]); colorType = Int(data[9]); compression = Int(data[10])
                filter = Int(data[11]); interlace = Int(data[12])
            } else if type == "IDAT" {
                idat += data
            }
            p += 12 + length
        }
        guard bitDepth == 8, colorType == 0 || colorType == 2 else { throw DecodeError("png: unsupported depth/colour") }
        let channels = colorType == 0 ? 1 : 3
        let (raw, blocks) = try TestInflater.unzlib(idat)
        blockTypes = blocks
        let stride = width * channels
        guard raw.count == height * (stride + 1) else { throw DecodeError("png: \(raw.count) filtered bytes, expected \(height * (stride + 1))") }
        var out = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let f = Int(raw[y * (stride + 1)])
            filterTypes.append(f)
            for i in 0..<stride {
                let x = Int(raw[y * (stride + 1) + 1 + i])
                let a = i >= channels ? Int(out[y * stride + i - channels]) : 0
                let b = y > 0 ? Int(out[(y - 1) * stride + i]) : 0
                let c = (i >= channels && y > 0) ? Int(out[(y - 1) * stride + i - channels]) : 0
                let pred: Int
                switch f {
                case 0: pred = 0
                case 1: pred = a
                case 2: pred = b
                case 3: pred = (a + b) / 2
                case 4:
                    let pp = a + b - c
                    let pa = abs(pp - a), pb = abs(pp - b), pc = abs(pp - c)
                    pred = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c)
                default: throw DecodeError("png: filter type \(f)")
                }
                out[y * stride + i] = UInt8((x + pred) & 0xFF)
            }
        }
        pixels = out
    }

    var channels: Int { colorType == 0 ? 1 : 3 }

    func rgb(x: Int, y: Int) -> RGB {
        let i = (y * width + x) * 3
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }
}
