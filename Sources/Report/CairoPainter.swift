// Painter on a cairo context: PNG (image surface) and PDF (PDF surface) come from here, and so do
// the small PNGs an SVG embeds for raster content and reading a PNG back (RasterImage).
import Foundation
import CCairo

final class CairoPainter: Painter {
    let cr: OpaquePointer

    init(_ cr: OpaquePointer) { self.cr = cr }

    private func setColor(_ c: RGB, alpha: Double = 1) {
        cairo_set_source_rgba(cr, Double(c.r) / 255, Double(c.g) / 255, Double(c.b) / 255, alpha)
    }

    func fillRect(x: Double, y: Double, width: Double, height: Double, color: RGB, alpha: Double) {
        setColor(color, alpha: alpha)
        cairo_rectangle(cr, x, y, width, height)
        cairo_fill(cr)
    }

    func polyline(_ points: [(Double, Double)], color: RGB, lineWidth: Double, dash: Double?) {
        guard let first = points.first else { return }
        setColor(color)
        cairo_set_line_width(cr, lineWidth)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT)
        if let d = dash { var v = [d, d]; cairo_set_dash(cr, &v, 2, 0) } else { cairo_set_dash(cr, nil, 0, 0) }
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    func disc(cx: Double, cy: Double, radius: Double, color: RGB, alpha: Double) {
        setColor(color, alpha: alpha)
        cairo_new_sub_path(cr)
        cairo_arc(cr, cx, cy, radius, 0, 2 * .pi)
        cairo_fill(cr)
    }

    func text(_ s: String, x: Double, y: Double, size: Double, anchor: TextAnchor, bold: Bool, rotated: Bool, color: RGB) {
        guard !s.isEmpty else { return }
        cairo_save(cr)
        setColor(color)
        cairo_select_font_face(cr, FigureStyle.fontFamily, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        var e = cairo_text_extents_t()
        cairo_text_extents(cr, s, &e)
        let shift: Double = anchor == .start ? 0 : anchor == .middle ? -e.x_advance / 2 : -e.x_advance
        cairo_translate(cr, x, y)
        if rotated { cairo_rotate(cr, -.pi / 2) }
        cairo_move_to(cr, shift, 0)
        cairo_show_text(cr, s)
        cairo_restore(cr)
    }

    func raster(_ pixels: [RGB], rows: Int, cols: Int, x: Double, y: Double, width: Double, height: Double) {
        guard rows > 0, cols > 0, let img = CairoPainter.imageSurface(pixels, rows: rows, cols: cols) else { return }
        defer { cairo_surface_destroy(img) }
        cairo_save(cr)
        cairo_rectangle(cr, x, y, width, height)
        cairo_clip(cr)
        cairo_translate(cr, x, y)
        cairo_scale(cr, width / Double(cols), height / Double(rows))
        cairo_set_source_surface(cr, img, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
        cairo_paint(cr)
        cairo_restore(cr)
    }

    /// An opaque ARGB32 image surface holding `pixels` (row-major, `rows × cols`), each repeated
    /// `repeat × repeat` times; nil when cairo cannot allocate it.
    static func imageSurface(_ pixels: [RGB], rows: Int, cols: Int, repeat k: Int = 1) -> OpaquePointer? {
        let w = cols * k, h = rows * k
        guard let s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(w), Int32(h)),
              cairo_surface_status(s) == CAIRO_STATUS_SUCCESS else { return nil }
        cairo_surface_flush(s)
        let stride = Int(cairo_image_surface_get_stride(s))
        let base = cairo_image_surface_get_data(s)!
        for yy in 0..<h {
            let row = UnsafeMutableRawPointer(base + yy * stride).assumingMemoryBound(to: UInt32.self)
            for xx in 0..<w {
                let c = pixels[(yy / k) * cols + xx / k]
                row[xx] = 0xFF00_0000 | UInt32(c.r) << 16 | UInt32(c.g) << 8 | UInt32(c.b)
            }
        }
        cairo_surface_mark_dirty(s)
        return s
    }

    /// PNG bytes of a surface, written by cairo (which compresses with zlib).
    static func pngBytes(_ surface: OpaquePointer) throws -> [UInt8] {
        let sink = ByteSink()
        let status = cairo_surface_write_to_png_stream(surface, ByteSink.write, Unmanaged.passUnretained(sink).toOpaque())
        guard status == CAIRO_STATUS_SUCCESS else { throw ReportError.cannotRender(reason: "cairo PNG: " + String(cString: cairo_status_to_string(status))) }
        return sink.bytes
    }
}

/// Collects the bytes cairo writes to a stream.
final class ByteSink {
    var bytes: [UInt8] = []
    static let write: cairo_write_func_t = { closure, data, length in
        guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
        let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
        sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
        return CAIRO_STATUS_SUCCESS
    }
}

/// An 8-bit RGB image read back from pixels: a rendered figure or a PNG file (through cairo).
public struct RasterImage: Equatable {
    public let width: Int
    public let height: Int
    /// `(height, width)` colours, row-major, alpha composited over white.
    public let pixels: [RGB]

    public func rgb(x: Int, y: Int) -> RGB { pixels[y * width + x] }

    /// Reads a PNG file with cairo_image_surface_create_from_png.
    /// - Throws: `ReportError.cannotRead` naming the file.
    public init(pngFile path: String) throws {
        guard let s = cairo_image_surface_create_from_png(path) else { throw ReportError.cannotRead(file: path, reason: "cairo returned no surface") }
        defer { cairo_surface_destroy(s) }
        let status = cairo_surface_status(s)
        guard status == CAIRO_STATUS_SUCCESS else { throw ReportError.cannotRead(file: path, reason: String(cString: cairo_status_to_string(status))) }
        self.init(surface: s)
    }

    /// Copies an image surface (ARGB32 or RGB24), un-premultiplying onto white.
    init(surface s: OpaquePointer) {
        cairo_surface_flush(s)
        width = Int(cairo_image_surface_get_width(s)); height = Int(cairo_image_surface_get_height(s))
        let stride = Int(cairo_image_surface_get_stride(s))
        let hasAlpha = cairo_image_surface_get_format(s) == CAIRO_FORMAT_ARGB32
        var out = [RGB](repeating: .white, count: width * height)
        if let base = cairo_image_surface_get_data(s) {
            for y in 0..<height {
                let row = UnsafeRawPointer(base + y * stride).assumingMemoryBound(to: UInt32.self)
                for x in 0..<width {
                    let v = row[x]
                    let a = hasAlpha ? Int(v >> 24) : 255
                    // Premultiplied colour c·a over white: c·a + 255·(1 − a).
                    func channel(_ p: UInt32) -> UInt8 { UInt8(min(255, Int(p & 0xFF) + (255 - a))) }
                    out[y * width + x] = RGB(channel(v >> 16), channel(v >> 8), channel(v))
                }
            }
        }
        pixels = out
    }
}
