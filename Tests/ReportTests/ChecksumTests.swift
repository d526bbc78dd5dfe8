import XCTest
import Report

final class ChecksumTests: XCTestCase {
    func testCRC32KnownVectors() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)          // the CRC-32 check value
        XCTAssertEqual(CRC32.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
        // The CRC of the IEND chunk type, present in every PNG file: AE 42 60 82.
        XCTAssertEqual(CRC32.checksum(Array("IEND".utf8)), 0xAE42_6082)
    }

    func testCRC32IncrementalMatchesOneShot() {
        let data = (0..<10_000).map { UInt8(($0 * 7919) & 0xFF) }
        var c = CRC32()
        c.update(data[0..<3333]); c.update(data[3333..<9000]); c.update(data[9000...])
        XCTAssertEqual(c.value, CRC32.checksum(data))
    }

    func testAdler32KnownVectors() {
        XCTAssertEqual(Adler32.checksum(Array("Wikipedia".utf8)), 0x11E6_0398)
        XCTAssertEqual(Adler32.checksum([]), 1)
        XCTAssertEqual(Adler32.checksum(Array("123456789".utf8)), 0x091E_01DE)
    }

    func testAdler32LongInputMatchesDirectDefinition() {
        // 200 000 bytes of 0xFF: the worst case for overflow; compare with the definition taken mod 65521 at every byte.
        let data = [UInt8](repeating: 0xFF, count: 200_000) + (0..<777).map { UInt8($0 & 0xFF) }
        var a: UInt64 = 1, b: UInt64 = 0
        for x in data { a = (a + UInt64(x)) % 65521; b = (b + a) % 65521 }
        XCTAssertEqual(Adler32.checksum(data), UInt32(b << 16 | a))
        var inc = Adler32()
        inc.update(Array(data[0..<12345])); inc.update(Array(data[12345...]))
        XCTAssertEqual(inc.value, Adler32.checksum(data))
    }
}
