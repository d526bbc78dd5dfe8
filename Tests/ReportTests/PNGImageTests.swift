import XCTest
import Report
import Tensors
import TestSupport

final class PNGImageTests: XCTestCase {
    /// Test images: noise, gradients, a smooth 2-D pattern, stripes — together they make the
    /// encoder pick every one of the five row filters.
    func images(channels: Int) -> [PNGImage] {
        var rng = SeededRandom(seed: 11)
        var out: [PNGImage] = []
        let (w, h) = (37, 23)
        out.append(PNGImage(width: w, height: h, channels: channels,
                            pixels: (0..<(w * h * channels)).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        var grad = [UInt8](), smooth = [UInt8](), stripes = [UInt8](), mixed = [UInt8]()
        let noiseRow = (0..<(w * channels)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<channels {
                    grad.append(UInt8((x * 6 + c * 40) & 0xFF))
                    let v = 127.5 + 120 * sin(Double(x) / 5 + Double(c)) * cos(Double(y) / 4)
                    smooth.append(UInt8(v))
                    stripes.append(((x / 3 + y) % 2 == 0) ? 30 : 220)
                    // Rows alternate between a repeated noise row (Up wins) and a ramp of noise (Paeth/Average).
                    mixed.append(y % 3 == 0 ? noiseRow[x * channels + c] : UInt8((x * y + Int(noiseRow[x * channels + c]) / 16) & 0xFF))
                }
            }
        }
        out += [grad, smooth, stripes, mixed].map { PNGImage(width: w, height: h, channels: channels, pixels: $0) }
        out.append(PNGImage(width: 1, height: 1, channels: channels, pixels: [UInt8](repeating: 77, count: channels)))
        return out
    }

    func testStructureAndPixelRoundTrip() throws {
        var filtersSeen = Set<Int>()
        for channels in [1, 3] {
            for (k, img) in images(channels: channels).enumerated() {
                let bytes = img.encoded()
                XCTAssertEqual(Array(bytes[0..<8]), PNGImage.signature)
                let d = try DecodedPNG(bytes)   // checks every chunk CRC, zlib header and Adler-32
                XCTAssertEqual(d.chunkTypes, ["IHDR", "IDAT", "IEND"])
                XCTAssertEqual(d.width, img.width); XCTAssertEqual(d.height, img.height)
                XCTAssertEqual(d.bitDepth, 8)
                XCTAssertEqual(d.colorType, channels == 1 ? 0 : 2)
                XCTAssertEqual([d.compression, d.filter, d.interlace], [0, 0, 0])
                XCTAssertEqual(d.pixels, img.pixels, "image \(k), \(channels) channel(s)")
                filtersSeen.formUnion(d.filterTypes)
            }
        }
        XCTAssertEqual(filtersSeen, [0, 1, 2, 3, 4], "every PNG row filter exercised")
    }

    func testChunkCRCIsChecked() throws {
        var bytes = images(channels: 1)[1].encoded()
        // IHDR data starts at 16; flip a bit in the width: the decoder must reject the CRC.
        bytes[19] ^= 0x01
        XCTAssertThrowsError(try DecodedPNG(bytes))
    }

    func testWriteIsAtomicAndRespectsOverwrite() throws {
        let dir = TestPaths.temporaryDirectory("png")
        let path = dir + "/a.png"
        let img = images(channels: 3)[2]
        try img.write(to: path)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), img.encoded())
        // No temporary file left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["a.png"])
        XCTAssertThrowsError(try img.write(to: path, overwrite: false)) { e in
            XCTAssertTrue("\(e)".contains("already exists"), "\(e)")
            XCTAssertTrue("\(e)".contains(path), "\(e)")
        }
        XCTAssertThrowsError(try img.write(to: dir + "/missing/b.png")) { e in
            XCTAssertTrue("\(e)".contains("does not exist"), "\(e)")
        }
        XCTAssertThrowsError(try img.write(to: dir)) { e in
            XCTAssertTrue("\(e)".contains("is a directory"), "\(e)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["a.png"])
    }
}
