// A small RGB raster canvas for figures: pixels, filled/blended rectangles, lines (Bresenham, square
// brush, optional dashes), bitmap text (horizontal or rotated a quarter turn anticlockwise), and
// colour-mapped value blocks. Coordinates are pixels, origin at the top-left, x right, y down;
// everything is clipped to the canvas.

public enum TextAlignment { case left, center, right }
public enum VerticalAnchor { case top, center, bottom }

public struct Canvas {
    public let width: Int
    public let height: Int
    /// `(height, width, 3)` RGB bytes, row-major.
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, background: RGB = .white) {
        precondition(width >= 1 && height >= 1, "Canvas: size \(width)×\(height) must be at least 1×1")
        self.width = width; self.height = height
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) { p[3 * i] = background.r; p[3 * i + 1] = background.g; p[3 * i + 2] = background.b }
        pixels = p
    }

    /// The canvas as an RGB PNG image.
    public var image: PNGImage { PNGImage(width: width, height: height, channels: 3, pixels: pixels) }

    public func color(x: Int, y: Int) -> RGB {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "Canvas: (\(x), \(y)) outside \(width)×\(height)")
        let i = 3 * (y * width + x)
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Sets one pixel; outside the canvas it is ignored.
    @inline(__always) public mutating func set(x: Int, y: Int, _ c: RGB) {
        guard x >= 0 && x < width && y >= 0 && y < height else { return }
        let i = 3 * (y * width + x)
        pixels[i] = c.r; pixels[i + 1] = c.g; pixels[i + 2] = c.b
    }

    /// Fills the rectangle [x, x+w) × [y, y+h) with `c`, blended over what is there with opacity `alpha`.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ c: RGB, alpha: Double = 1) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1 && y0 < y1 else { return }
        for yy in y0..<y1 {
            for xx in x0..<x1 {
                set(x: xx, y: yy, alpha >= 1 ? c : c.blended(over: color(x: xx, y: yy), alpha: alpha))
            }
        }
    }

    /// One-pixel outline of the rectangle [x, x+w) × [y, y+h).
    public mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int, _ c: RGB) {
        guard w > 0 && h > 0 else { return }
        fill(x: x, y: y, width: w, height: 1, c)
        fill(x: x, y: y + h - 1, width: w, height: 1, c)
        fill(x: x, y: y, width: 1, height: h, c)
        fill(x: x + w - 1, y: y, width: 1, height: h, c)
    }

    /// Straight line from (x0, y0) to (x1, y1) inclusive, `thickness` pixels wide (square brush).
    /// With `dash` > 0 the line alternates `dash` pixels on and `dash` off along its major axis.
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: RGB, thickness: Int = 1, dash: Int = 0) {
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        var x = x0, y = y0
        var step = 0
        let lo = -(thickness - 1) / 2, hi = thickness / 2
        // Guard against absurd coordinates from degenerate data (e.g. huge values mapped to pixels).
        if max(dx, -dy) > 1 << 20 { return }
        while true {
            if dash <= 0 || (step / dash) % 2 == 0 {
                for oy in lo...hi { for ox in lo...hi { set(x: x + ox, y: y + oy, c) } }
            }
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
            step += 1
        }
    }

    /// Width in pixels of `text` at `scale`.
    public static func textWidth(_ text: String, scale: Int = 1) -> Int { BitmapFont.width(text) * scale }

    /// `text` shortened to at most `maxWidth` pixels at `scale` by replacing its middle with "~"
    /// (so "hypothesis model 10" keeps its distinguishing end).
    public static func fitted(_ text: String, maxWidth: Int, scale: Int = 1) -> String {
        let maxChars = max(1, (maxWidth / scale + 1) / BitmapFont.advance)
        guard text.count > maxChars else { return text }
        if maxChars < 3 { return String(text.prefix(maxChars)) }
        let keep = maxChars - 1
        let head = (keep + 1) / 2, tail = keep - head
        return String(text.prefix(head)) + "~" + String(text.suffix(tail))
    }

    /// Height in pixels of one line of text at `scale` (glyph height, no spacing row).
    public static func textHeight(scale: Int = 1) -> Int { BitmapFont.glyphHeight * scale }

    /// Horizontal text with its top edge at `y`; `x` is the left edge, centre or right edge per `alignment`.
    public mutating func text(_ s: String, x: Int, y: Int, _ c: RGB = .black, scale: Int = 1, alignment: TextAlignment = .left) {
        let w = Canvas.textWidth(s, scale: scale)
        var left: Int
        switch alignment {
        case .left: left = x
        case .center: left = x - w / 2
        case .right: left = x - w
        }
        for ch in s {
            let rows = BitmapFont.rows(ch)
            for gy in 0..<BitmapFont.glyphHeight {
                let bits = rows[gy]
                for gx in 0..<BitmapFont.glyphWidth where (bits >> UInt8(BitmapFont.glyphWidth - 1 - gx)) & 1 == 1 {
                    fill(x: left + gx * scale, y: y + gy * scale, width: scale, height: scale, c)
                }
            }
            left += BitmapFont.advance * scale
        }
    }

    /// Text rotated a quarter turn anticlockwise (reads bottom to top, as a y-axis label). `x` is
    /// the left edge of the rotated box (its width is the glyph height); `y` places the box's top,
    /// centre or bottom per `anchor` (the string's last character is at the top).
    public mutating func verticalText(_ s: String, x: Int, y: Int, _ c: RGB = .black, scale: Int = 1, anchor: VerticalAnchor = .center) {
        let length = Canvas.textWidth(s, scale: scale)
        let top: Int
        switch anchor {
        case .top: top = y
        case .center: top = y - length / 2
        case .bottom: top = y - length
        }
        var u = 0   // position along the string, unscaled pixels
        for ch in s {
            let rows = BitmapFont.rows(ch)
            for gy in 0..<BitmapFont.glyphHeight {
                let bits = rows[gy]
                for gx in 0..<BitmapFont.glyphWidth where (bits >> UInt8(BitmapFont.glyphWidth - 1 - gx)) & 1 == 1 {
                    let along = u + gx
                    fill(x: x + gy * scale, y: top + length - (along + 1) * scale, width: scale, height: scale, c)
                }
            }
            u += BitmapFont.advance
        }
    }

    /// Draws a `(rows, cols)` row-major value array as blocks of `scale × scale` pixels with their
    /// top-left at (x, y), coloured by `colorMap` on `lo…hi`.
    public mutating func values(_ v: [Float], rows: Int, cols: Int, x: Int, y: Int, scale: Int,
                                colorMap: ColorMap, lo: Double, hi: Double) {
        precondition(v.count == rows * cols, "Canvas.values: \(v.count) values for \(rows)×\(cols)")
        for r in 0..<rows {
            for c in 0..<cols {
                fill(x: x + c * scale, y: y + r * scale, width: scale, height: scale,
                     colorMap.map(Double(v[r * cols + c]), lo: lo, hi: hi))
            }
        }
    }
}
