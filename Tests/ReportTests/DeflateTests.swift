import XCTest
import Report
import Tensors

final class DeflateTests: XCTestCase {
    /// Streams made by zlib 1.x (Python `zlib.compress(data, 9)`) validate the test inflater
    /// before it is used on our encoder's output.
    func testInflaterDecodesZlibReferenceStreams() throws {
        // zlib.compress(b"hello hello hello hello\n", 9): one fixed-Huffman block.
        let fixed = hex("78dacb48cdc9c957c84027b90070be08bb")
        let a = try TestInflater.unzlib(fixed)
        XCTAssertEqual(a.blockTypes, [1])
        XCTAssertEqual(String(decoding: a.bytes, as: UTF8.self), "hello hello hello hello\n")
        // zlib.compress(b"the quick brown fox jumps over the lazy dog; " * 3
        //               + bytes((i*i*7) % 23 + 97 for i in range(300)), 9): one dynamic-Huffman block.
        let dynamic = hex("78daed8a4b1640300c45b7f2f6613545a3b4a42269b17a8eb1a999e1fd68f0586dec225ae1ba8078c76473dec0c50bf4cec99d077a1e9a87be995d2031ae25e5a81a732a954d28fcfa455f0311b303")
        let b = try TestInflater.unzlib(dynamic)
        XCTAssertEqual(b.blockTypes, [2])
        let expected = Array(String(repeating: "the quick brown fox jumps over the lazy dog; ", count: 3).utf8)
            + (0..<300).map { UInt8(($0 * $0 * 7) % 23 + 97) }
        XCTAssertEqual(b.bytes, expected)
        // A corrupted trailer is caught.
        var bad = fixed; bad[bad.count - 1] ^= 1
        XCTAssertThrowsError(try TestInflater.unzlib(bad))
    }

    func testRoundTripsOfAssortedInputs() throws {
        var rng = SeededRandom(seed: 7)
        let random = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let period = (0..<30_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("one byte", [42]),
            ("two bytes", [1, 2]),
            ("three equal", [9, 9, 9]),
            ("zeros 300k (max-length matches)", [UInt8](repeating: 0, count: 300_000)),
            ("text", Array(String(repeating: "Receptive fields of V1 neurons. ", count: 500).utf8)),
            ("random 100k (incompressible)", random),
            ("period 30000 (long distances)", period + period + period + Array(period[0..<1234])),
            ("bytes 0...255 ×40", (0..<10_240).map { UInt8($0 & 0xFF) }),
        ]
        for (name, data) in cases {
            let z = Zlib.compress(data)
            let d = try TestInflater.unzlib(z)
            XCTAssertEqual(d.bytes, data, name)
            // Never larger than stored blocks + zlib framing.
            XCTAssertLessThanOrEqual(z.count, Deflate.storedSize(data.count) + 6, name)
            print("[deflate] \(name): \(data.count) → \(z.count) bytes, blocks \(Set(d.blockTypes).sorted())")
        }
    }

    func testCompressesRedundantDataAndFallsBackToStoredForNoise() throws {
        let zeros = [UInt8](repeating: 0, count: 300_000)
        XCTAssertLessThan(Zlib.compress(zeros).count, 300_000 / 100)   // ≥ 100× on a constant
        let fixedOut = Deflate.fixedHuffman(zeros)
        XCTAssertEqual(try TestInflater.inflate(fixedOut).blockTypes, [1])

        var rng = SeededRandom(seed: 3)
        let noise = (0..<150_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let out = Deflate.compress(noise)
        let d = try TestInflater.inflate(out)
        XCTAssertEqual(d.bytes, noise)
        XCTAssertEqual(Set(d.blockTypes), [0])                       // stored
        XCTAssertEqual(d.blockTypes.count, 3)                         // 150 000 bytes → 3 blocks of ≤ 65 535
        XCTAssertEqual(out.count, Deflate.storedSize(noise.count))
        // The fixed-Huffman path on noise still decodes, it is just larger.
        XCTAssertEqual(try TestInflater.inflate(Deflate.fixedHuffman(noise)).bytes, noise)
    }

    func testStoredBlocksAtExactBoundaries() throws {
        for n in [0, 1, 65_535, 65_536, 131_070, 131_071] {
            let data = (0..<n).map { UInt8(($0 * 31) & 0xFF) }
            let d = try TestInflater.inflate(Deflate.stored(data))
            XCTAssertEqual(d.bytes, data, "n = \(n)")
            XCTAssertEqual(d.blockTypes.count, max(1, (n + 65_534) / 65_535), "n = \(n)")
        }
    }

    func testZlibHeader() {
        let z = Zlib.compress(Array("abc".utf8))
        XCTAssertEqual(z[0], 0x78)
        XCTAssertEqual((Int(z[0]) * 256 + Int(z[1])) % 31, 0)
        XCTAssertEqual(z[1] & 0x20, 0)   // no preset dictionary
        let adler = z[(z.count - 4)...].reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
        XCTAssertEqual(adler, Adler32.checksum(Array("abc".utf8)))
    }
}

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2)
        out.append(UInt8(s[i..<j], radix: 16)!)
        i = j
    }
    return out
}
