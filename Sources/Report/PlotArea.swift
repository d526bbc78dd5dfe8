// The data rectangle of a chart: maps data coordinates to pixels and draws the frame, ticks,
// grid lines, tick labels, axis labels and title around it. Shared by BarChart, LinePlot and
// Histogram.

/// Sizes of text in figures: tick labels, axis labels and titles, as bitmap-font scale factors.
public enum FigureStyle {
    public static let tickScale = 1
    public static let labelScale = 2
    public static let titleScale = 2
    public static let margin = 12
    public static let axisColor = RGB.black
    public static let gridColor = RGB(232, 232, 232)
}

struct PlotArea {
    /// Pixel rectangle of the data area: [left, left+width) × [top, top+height).
    var left: Int, top: Int, width: Int, height: Int
    /// Data ranges mapped onto it.
    var x0: Double, x1: Double, y0: Double, y1: Double

    @inline(__always) func px(_ x: Double) -> Int {
        let t = x1 > x0 ? (0.5 * x - 0.5 * x0) / (0.5 * x1 - 0.5 * x0) : 0.5   // halves: no overflow
        return left + PlotArea.pixel(t * Double(width - 1))
    }

    @inline(__always) func py(_ y: Double) -> Int {
        let t = y1 > y0 ? (0.5 * y - 0.5 * y0) / (0.5 * y1 - 0.5 * y0) : 0.5
        return top + height - 1 - PlotArea.pixel(t * Double(height - 1))
    }

    /// A pixel offset from a computed coordinate that cannot trap: NaN (from ranges so wide that
    /// hi − lo overflows) becomes 0 and anything beyond ±100 000 pixels is clamped.
    @inline(__always) static func pixel(_ v: Double) -> Int {
        guard !v.isNaN else { return 0 }
        return Int(min(max(v, -100_000), 100_000).rounded())
    }

    /// Lays out a chart of `width × height` pixels: title on top, y-axis label (rotated) and
    /// y tick labels on the left, x tick labels (`bottomExtra` pixels of them) and x label below,
    /// `rightExtra` pixels on the right (legend, colour bar).
    static func layout(width: Int, height: Int, title: String, xLabel: String, yLabel: String,
                       yTickLabels: [String], bottomExtra: Int, rightExtra: Int = 0) -> (left: Int, top: Int, width: Int, height: Int) {
        let m = FigureStyle.margin
        let titleH = title.isEmpty ? 0 : Canvas.textHeight(scale: FigureStyle.titleScale) + m
        let yLabelW = yLabel.isEmpty ? 0 : Canvas.textHeight(scale: FigureStyle.labelScale) + m
        let tickW = (yTickLabels.map { Canvas.textWidth($0, scale: FigureStyle.tickScale) }.max() ?? 0) + 8
        let xLabelH = xLabel.isEmpty ? 0 : Canvas.textHeight(scale: FigureStyle.labelScale) + m / 2
        let left = m + yLabelW + tickW
        let top = m + titleH
        let right = m + rightExtra
        let bottom = m + xLabelH + bottomExtra
        return (left, top, max(8, width - left - right), max(8, height - top - bottom))
    }

    /// Title (centred over the data area), grid lines and tick marks at `yTicks` (and `xTicks`
    /// when given), the frame, tick labels and axis labels.
    func drawFrame(on canvas: inout Canvas, title: String, xLabel: String, yLabel: String,
                   xTicks: [Double]?, yTicks: [Double], grid: Bool = true) {
        let yLabels = Ticks.labels(yTicks)
        for (t, label) in zip(yTicks, yLabels) {
            let y = py(t)
            if grid { canvas.line(left, y, left + width - 1, y, FigureStyle.gridColor) }
            canvas.line(left - 4, y, left - 1, y, FigureStyle.axisColor)
            canvas.text(label, x: left - 7, y: y - Canvas.textHeight(scale: FigureStyle.tickScale) / 2,
                        scale: FigureStyle.tickScale, alignment: .right)
        }
        if let xTicks {
            for (t, label) in zip(xTicks, Ticks.labels(xTicks)) {
                let x = px(t)
                if grid { canvas.line(x, top, x, top + height - 1, FigureStyle.gridColor) }
                canvas.line(x, top + height, x, top + height + 3, FigureStyle.axisColor)
                canvas.text(label, x: x, y: top + height + 7, scale: FigureStyle.tickScale, alignment: .center)
            }
        }
        canvas.strokeRect(x: left - 1, y: top - 1, width: width + 2, height: height + 2, FigureStyle.axisColor)
        let m = FigureStyle.margin
        if !title.isEmpty {
            canvas.text(title, x: left + width / 2, y: m, scale: FigureStyle.titleScale, alignment: .center)
        }
        if !yLabel.isEmpty {
            canvas.verticalText(yLabel, x: m, y: top + height / 2, scale: FigureStyle.labelScale, anchor: .center)
        }
        if !xLabel.isEmpty {
            canvas.text(xLabel, x: left + width / 2, y: canvas.height - m - Canvas.textHeight(scale: FigureStyle.labelScale),
                        scale: FigureStyle.labelScale, alignment: .center)
        }
    }

    /// Data range padded by `fraction` of its span on both sides (a unit span around a constant).
    static func padded(_ lo: Double, _ hi: Double, fraction: Double = 0.05) -> (Double, Double) {
        if !(lo.isFinite && hi.isFinite) || lo > hi { return (0, 1) }
        if lo == hi { return lo == 0 ? (-1, 1) : (lo - abs(lo) * 0.5, hi + abs(hi) * 0.5) }
        let pad = (hi - lo) * fraction
        return (lo - pad, hi + pad)
    }
}
