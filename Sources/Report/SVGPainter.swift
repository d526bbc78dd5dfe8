// Painter that writes SVG elements. Why not cairo's SVG surface: it turns every glyph into an
// outline (<symbol>/<use>), so labels could not be searched, selected or read by a screen reader.
// Here text is a <text> element in DejaVu Sans at the size cairo measured it at, so the layout
// matches the PNG and PDF; raster content (heatmaps, filters) is a PNG written by cairo,
// embedded as a data URI and drawn with crisp pixels.
import Foundation
import CCairo

final class SVGPainter: Painter {
    private(set) var body = ""

    static func hex(_ c: RGB) -> String { String(format: "#%02x%02x%02x", c.r, c.g, c.b) }
    static func num(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }
    /// `s` escaped for XML character data and attribute values.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default:
                // Control characters are not allowed in XML 1.0.
                if ch.value < 0x20 && ch != "\n" && ch != "\t" { out += " " } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    private func opacity(_ a: Double) -> String { a >= 1 ? "" : " fill-opacity=\"\(SVGPainter.num(a))\"" }

    func fillRect(x: Double, y: Double, width: Double, height: Double, color: RGB, alpha: Double) {
        let n = SVGPainter.num
        body += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, width)))\" height=\"\(n(max(0, height)))\" fill=\"\(SVGPainter.hex(color))\"\(opacity(alpha))/>\n"
    }

    func polyline(_ points: [(Double, Double)], color: RGB, lineWidth: Double, dash: Double?) {
        guard points.count >= 2 else { return }
        let n = SVGPainter.num
        let pts = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        let dashAttr = dash.map { " stroke-dasharray=\"\(n($0)) \(n($0))\"" } ?? ""
        body += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(SVGPainter.hex(color))\" stroke-width=\"\(n(lineWidth))\" stroke-linejoin=\"round\"\(dashAttr)/>\n"
    }

    func disc(cx: Double, cy: Double, radius: Double, color: RGB, alpha: Double) {
        let n = SVGPainter.num
        body += "<circle cx=\"\(n(cx))\" cy=\"\(n(cy))\" r=\"\(n(radius))\" fill=\"\(SVGPainter.hex(color))\"\(opacity(alpha))/>\n"
    }

    func text(_ s: String, x: Double, y: Double, size: Double, anchor: TextAnchor, bold: Bool, rotated: Bool, color: RGB) {
        guard !s.isEmpty else { return }
        let n = SVGPainter.num
        var attrs = "x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\""
        if anchor != .start { attrs += " text-anchor=\"\(anchor.rawValue)\"" }
        if bold { attrs += " font-weight=\"bold\"" }
        if color != FigureStyle.textColor { attrs += " fill=\"\(SVGPainter.hex(color))\"" }
        if rotated { attrs += " transform=\"rotate(-90 \(n(x)) \(n(y)))\"" }
        body += "<text \(attrs)>\(SVGPainter.escape(s))</text>\n"
    }

    func raster(_ pixels: [RGB], rows: Int, cols: Int, x: Double, y: Double, width: Double, height: Double) {
        guard rows > 0, cols > 0 else { return }
        // Repeat each pixel so the PNG is at least as large as it is shown (viewers that ignore
        // image-rendering then still show sharp cells), within about 4 megapixels.
        let want = Int((max(width / Double(cols), height / Double(rows))).rounded(.up))
        let k = max(1, min(want, Int((4_000_000.0 / Double(rows * cols)).squareRoot())))
        guard let s = CairoPainter.imageSurface(pixels, rows: rows, cols: cols, repeat: k) else { return }
        defer { cairo_surface_destroy(s) }
        guard let png = try? CairoPainter.pngBytes(s) else { return }
        let n = SVGPainter.num
        body += "<image x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>\n"
    }
}
