// A figure: its size in points and the drawing code that paints it. The same drawing code makes
// the SVG (default: vector, text stays text), the PNG (cairo image surface, `pngScale` pixels per
// point) and the PDF (cairo PDF surface).
import Foundation
import CCairo
import Tensors

/// The file formats a figure can be written in.
public enum FigureFormat: String, CaseIterable, Sendable {
    case svg, png, pdf

    /// "name.svg", "name.png" or "name.pdf".
    public func fileName(_ base: String) -> String { base + "." + rawValue }
}

public struct Figure {
    /// Size in points (1/72 inch); an SVG is this many CSS pixels wide and high.
    public let width: Double
    public let height: Double
    let draw: (Painter) -> Void

    init(width: Double, height: Double, draw: @escaping (Painter) -> Void) {
        self.width = max(1, width.rounded(.up)); self.height = max(1, height.rounded(.up)); self.draw = draw
    }

    /// The SVG document: a white background, then the drawing.
    public func svg() -> String {
        let p = SVGPainter()
        draw(p)
        let w = SVGPainter.num(width), h = SVGPainter.num(height)
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" "
            + "font-family=\"DejaVu Sans, Verdana, sans-serif\" fill=\"\(SVGPainter.hex(FigureStyle.textColor))\">\n"
            + "<rect width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n" + p.body + "</svg>\n"
    }

    /// Pixels of the figure drawn by cairo at `scale` pixels per point, on white.
    public func rasterized(scale: Double = 2) throws -> RasterImage {
        let s = try imageSurface(scale: scale)
        defer { cairo_surface_destroy(s) }
        return RasterImage(surface: s)
    }

    /// PNG bytes (cairo_surface_write_to_png) at `scale` pixels per point.
    public func png(scale: Double = 2) throws -> [UInt8] {
        let s = try imageSurface(scale: scale)
        defer { cairo_surface_destroy(s) }
        return try CairoPainter.pngBytes(s)
    }

    /// PDF bytes from cairo's PDF surface (vector; text embedded as DejaVu Sans).
    public func pdf() throws -> [UInt8] {
        let sink = ByteSink()
        guard let s = cairo_pdf_surface_create_for_stream(ByteSink.write, Unmanaged.passUnretained(sink).toOpaque(), width, height) else {
            throw ReportError.cannotRender(reason: "cairo could not create a PDF surface")
        }
        try paint(on: s, scale: 1)
        cairo_surface_finish(s)
        let status = cairo_surface_status(s)
        cairo_surface_destroy(s)
        guard status == CAIRO_STATUS_SUCCESS else { throw ReportError.cannotRender(reason: "cairo PDF: " + String(cString: cairo_status_to_string(status))) }
        return sink.bytes
    }

    /// The figure's bytes in `format`.
    public func encoded(_ format: FigureFormat, pngScale: Double = 2) throws -> [UInt8] {
        switch format {
        case .svg: return Array(svg().utf8)
        case .png: return try png(scale: pngScale)
        case .pdf: return try pdf()
        }
    }

    /// Writes the figure atomically (temporary file, fsync, rename).
    /// - Throws: `ReportError.cannotWrite` naming `path`, `.cannotRender` when cairo fails.
    public func write(to path: String, format: FigureFormat, overwrite: Bool = true) throws {
        try AtomicOutput.write(bytes: try encoded(format), to: path, overwrite: overwrite)
    }

    private func imageSurface(scale: Double) throws -> OpaquePointer {
        let w = Int32((width * scale).rounded(.up)), h = Int32((height * scale).rounded(.up))
        guard let s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h), cairo_surface_status(s) == CAIRO_STATUS_SUCCESS else {
            throw ReportError.cannotRender(reason: "cairo could not allocate a \(w)×\(h) image")
        }
        do { try paint(on: s, scale: scale) } catch { cairo_surface_destroy(s); throw error }
        cairo_surface_flush(s)
        return s
    }

    private func paint(on surface: OpaquePointer, scale: Double) throws {
        guard let cr = cairo_create(surface) else { throw ReportError.cannotRender(reason: "cairo_create failed") }
        defer { cairo_destroy(cr) }
        cairo_scale(cr, scale, scale)
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        draw(CairoPainter(cr))
        let status = cairo_status(cr)
        guard status == CAIRO_STATUS_SUCCESS else { throw ReportError.cannotRender(reason: String(cString: cairo_status_to_string(status))) }
    }
}
