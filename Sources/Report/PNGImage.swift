// PNG encoder (ISO/IEC 15948), pure Swift: 8-bit greyscale (colour type 0) or 8-bit RGB (colour
// type 2), not interlaced. Each row is filtered with the PNG filter (None, Sub, Up, Average,
// Paeth) whose output has the smallest sum of absolute values (the libpng heuristic), then the
// whole filtered image is zlib-compressed into a single IDAT chunk.

/// An 8-bit image. `pixels` is row-major `(height, width, channels)`: for RGB the bytes of one
/// pixel are adjacent (r, g, b), rows run top to bottom.
public struct PNGImage: Equatable {
    public let width: Int
    public let height: Int
    /// 1 (greyscale) or 3 (RGB).
    public let channels: Int
    /// `(height, width, channels)` bytes, row-major.
    public var pixels: [UInt8]

    /// - Precondition: width, height ≥ 1; channels 1 or 3; pixels.count == height·width·channels.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 1 && height >= 1, "PNGImage: size \(width)×\(height) must be at least 1×1")
        precondition(channels == 1 || channels == 3, "PNGImage: channels must be 1 or 3, got \(channels)")
        precondition(pixels.count == width * height * channels,
                     "PNGImage: \(pixels.count) bytes for \(width)×\(height)×\(channels)")
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }

    /// The PNG file signature (8 bytes).
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The complete PNG file: signature, IHDR, one IDAT, IEND.
    public func encoded() -> [UInt8] {
        var out = PNGImage.signature
        var ihdr: [UInt8] = []
        ihdr.append(contentsOf: PNGImage.bigEndian(UInt32(width)))
        ihdr.append(contentsOf: PNGImage.bigEndian(UInt32(height)))
        ihdr.append(8)                          // bit depth
        ihdr.append(channels == 1 ? 0 : 2)      // colour type: greyscale / truecolour
        ihdr.append(0)                          // compression method: deflate
        ihdr.append(0)                          // filter method: adaptive (5 types)
        ihdr.append(0)                          // interlace: none
        PNGImage.appendChunk("IHDR", ihdr, to: &out)
        PNGImage.appendChunk("IDAT", Zlib.compress(filteredRows()), to: &out)
        PNGImage.appendChunk("IEND", [], to: &out)
        return out
    }

    /// Writes the PNG atomically (temporary file, fsync, rename).
    /// - Throws: `ReportError.cannotWrite` naming `path`.
    public func write(to path: String, overwrite: Bool = true) throws {
        try AtomicFile.write(encoded(), to: path, overwrite: overwrite)
    }

    /// Filter-type byte + filtered bytes for every row: `height · (1 + width·channels)` bytes.
    /// One pass scores all five filters for a row (sum of |filtered byte| read as signed), a
    /// second writes the winner.
    func filteredRows() -> [UInt8] {
        let stride = width * channels
        let bpp = channels
        var out = [UInt8](repeating: 0, count: height * (stride + 1))
        let zeros = [UInt8](repeating: 0, count: stride)
        @inline(__always) func magnitude(_ d: Int) -> Int { let v = d & 0xFF; return v < 128 ? v : 256 - v }
        pixels.withUnsafeBufferPointer { px in
            zeros.withUnsafeBufferPointer { z in
                out.withUnsafeMutableBufferPointer { o in
                    for y in 0..<height {
                        let row = px.baseAddress! + y * stride
                        let up = y > 0 ? px.baseAddress! + (y - 1) * stride : z.baseAddress!
                        // a: left, b: up, c: upper-left (0 outside the image).
                        var s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0
                        for i in 0..<stride {
                            let x = Int(row[i]), b = Int(up[i])
                            let a = i >= bpp ? Int(row[i - bpp]) : 0
                            let c = i >= bpp ? Int(up[i - bpp]) : 0
                            s0 += magnitude(x)
                            s1 += magnitude(x - a)
                            s2 += magnitude(x - b)
                            s3 += magnitude(x - (a + b) >> 1)
                            s4 += magnitude(x - PNGImage.paeth(a, b, c))
                        }
                        var best = 0, bestScore = s0
                        for (t, sc) in [(1, s1), (2, s2), (3, s3), (4, s4)] where sc < bestScore { best = t; bestScore = sc }
                        let dst = o.baseAddress! + y * (stride + 1)
                        dst[0] = UInt8(best)
                        for i in 0..<stride {
                            let x = Int(row[i]), b = Int(up[i])
                            let a = i >= bpp ? Int(row[i - bpp]) : 0
                            let c = i >= bpp ? Int(up[i - bpp]) : 0
                            let predictor: Int
                            switch best {
                            case 0: predictor = 0
                            case 1: predictor = a
                            case 2: predictor = b
                            case 3: predictor = (a + b) >> 1
                            default: predictor = PNGImage.paeth(a, b, c)
                            }
                            dst[1 + i] = UInt8(truncatingIfNeeded: x - predictor)
                        }
                    }
                }
            }
        }
        return out
    }

    /// The Paeth predictor (PNG spec §9.4): whichever of left, up, upper-left is closest to a + b − c.
    @inline(__always) static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    /// Length (big-endian), type, data, CRC-32 of type + data.
    static func appendChunk(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        precondition(typeBytes.count == 4)
        out.append(contentsOf: bigEndian(UInt32(data.count)))
        var crc = CRC32()
        crc.update(typeBytes)
        crc.update(data)
        out.append(contentsOf: typeBytes)
        out.append(contentsOf: data)
        out.append(contentsOf: bigEndian(crc.value))
    }
}
