// The drawing calls every figure is made of. Chart code (PlotArea, Heatmap, BarChart, …) lays a
// figure out in points and issues these calls; CairoPainter turns them into PNG or PDF through
// cairo, SVGPainter into an SVG document whose text stays text. Text is measured once, with
// cairo's toy text API on DejaVu Sans (through fontconfig), so every format has the same layout.
import Foundation
import CCairo

/// Where a text run sits relative to its anchor point, along the direction of writing.
public enum TextAnchor: String, Sendable { case start, middle, end }

/// The drawing operations of a figure, in points (1/72 inch), origin top left, y down.
protocol Painter: AnyObject {
    /// Filled axis-aligned rectangle; `alpha` is the opacity.
    func fillRect(x: Double, y: Double, width: Double, height: Double, color: RGB, alpha: Double)
    /// Open polyline through `points`; `dash` is the dash and gap length (nil: solid).
    func polyline(_ points: [(Double, Double)], color: RGB, lineWidth: Double, dash: Double?)
    /// Filled disc.
    func disc(cx: Double, cy: Double, radius: Double, color: RGB, alpha: Double)
    /// Text with its baseline at `y`; `rotated` turns it 90° counter-clockwise about (x, y).
    func text(_ s: String, x: Double, y: Double, size: Double, anchor: TextAnchor, bold: Bool, rotated: Bool, color: RGB)
    /// A `(rows, cols)` image of colours (row-major) stretched over the rectangle, nearest neighbour.
    func raster(_ pixels: [RGB], rows: Int, cols: Int, x: Double, y: Double, width: Double, height: Double)
}

extension Painter {
    func fillRect(x: Double, y: Double, width: Double, height: Double, color: RGB) {
        fillRect(x: x, y: y, width: width, height: height, color: color, alpha: 1)
    }
    func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, color: RGB, lineWidth: Double = 1, dash: Double? = nil) {
        polyline([(x0, y0), (x1, y1)], color: color, lineWidth: lineWidth, dash: dash)
    }
    func strokeRect(x: Double, y: Double, width: Double, height: Double, color: RGB, lineWidth: Double = 1) {
        polyline([(x, y), (x + width, y), (x + width, y + height), (x, y + height), (x, y)], color: color, lineWidth: lineWidth, dash: nil)
    }
    func text(_ s: String, x: Double, y: Double, size: Double, anchor: TextAnchor = .start, bold: Bool = false,
              rotated: Bool = false, color: RGB = FigureStyle.textColor) {
        text(s, x: x, y: y, size: size, anchor: anchor, bold: bold, rotated: rotated, color: color)
    }
}

/// Sizes (points) and colours shared by every figure: the look of a matplotlib figure at its
/// default rcParams (10 pt ticks, about 11 pt labels, 12 pt titles, dark grey text).
public enum FigureStyle {
    public static let fontFamily = "DejaVu Sans"
    public static let tickSize = 9.0
    public static let labelSize = 11.0
    public static let titleSize = 12.0
    public static let margin = 10.0
    public static let tickLength = 3.5
    public static let axisColor = RGB(38, 38, 38)
    public static let textColor = RGB(38, 38, 38)
    public static let gridColor = RGB(232, 232, 232)
}

/// Text measurement with cairo's toy font API (DejaVu Sans through fontconfig).
public enum TextMetrics {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var context: OpaquePointer? = {
        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1)
        let cr = cairo_create(surface)
        cairo_surface_destroy(surface)   // the context keeps its own reference
        return cr
    }()

    /// Advance width in points of `s` at font `size`.
    public static func width(_ s: String, size: Double, bold: Bool = false) -> Double {
        if s.isEmpty { return 0 }
        lock.lock(); defer { lock.unlock() }
        guard let cr = context else { return Double(s.count) * size * 0.6 }
        cairo_select_font_face(cr, FigureStyle.fontFamily, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        var e = cairo_text_extents_t()
        cairo_text_extents(cr, s, &e)
        return e.x_advance
    }

    /// Height of a line of text: ascent (capital height plus a little) of DejaVu Sans at `size`.
    public static func ascent(size: Double) -> Double { 0.76 * size }

    /// Offset from a text line's vertical centre to its baseline, for centring text on a point.
    public static func centreToBaseline(size: Double) -> Double { 0.36 * size }

    /// `s` shortened in the middle with "…" until it is at most `maxWidth` points wide.
    public static func fitted(_ s: String, maxWidth: Double, size: Double) -> String {
        if width(s, size: size) <= maxWidth { return s }
        var chars = Array(s)
        while chars.count > 1 {
            chars.remove(at: chars.count / 2)
            let half = chars.count / 2
            let candidate = String(chars[..<half]) + "…" + String(chars[half...])
            if width(candidate, size: size) <= maxWidth { return candidate }
        }
        return "…"
    }
}
