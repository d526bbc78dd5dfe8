// The data rectangle of a chart: maps data coordinates to points and draws the spines, ticks,
// grid lines, tick labels, axis labels and title around it (left and bottom spines, ticks
// outward, light horizontal grid: the look of a matplotlib figure). Shared by BarChart,
// LinePlot, Histogram and ScatterPlot; ColorBar is drawn beside heatmaps.

struct PlotArea {
    /// Rectangle of the data area in points: [left, left+width] × [top, top+height].
    var left: Double, top: Double, width: Double, height: Double
    /// Data ranges mapped onto it.
    var x0: Double, x1: Double, y0: Double, y1: Double

    func px(_ x: Double) -> Double {
        let t = x1 > x0 ? (0.5 * x - 0.5 * x0) / (0.5 * x1 - 0.5 * x0) : 0.5   // halves: no overflow
        return left + PlotArea.clamped(t * width)
    }

    func py(_ y: Double) -> Double {
        let t = y1 > y0 ? (0.5 * y - 0.5 * y0) / (0.5 * y1 - 0.5 * y0) : 0.5
        return top + height - PlotArea.clamped(t * height)
    }

    /// An offset that cannot blow up a drawing: NaN (from ranges so wide that hi − lo overflows)
    /// becomes 0 and anything beyond ±100 000 points is clamped.
    static func clamped(_ v: Double) -> Double {
        guard !v.isNaN else { return 0 }
        return min(max(v, -100_000), 100_000)
    }

    /// Lays out a chart of `width × height` points: title on top, y-axis label (rotated) and
    /// y tick labels on the left, x tick labels and `bottomExtra` points below them, x label
    /// below, `rightExtra` points on the right (legend, colour bar).
    static func layout(width: Double, height: Double, title: String, xLabel: String, yLabel: String,
                       yTickLabels: [String], xTickLabels: Bool = true, bottomExtra: Double = 0, rightExtra: Double = 0) -> PlotArea {
        let m = FigureStyle.margin
        let titleH = title.isEmpty ? 0 : FigureStyle.titleSize * 1.2 + m
        let yLabelW = yLabel.isEmpty ? 0 : FigureStyle.labelSize * 1.2 + 4
        let tickW = (yTickLabels.map { TextMetrics.width($0, size: FigureStyle.tickSize) }.max() ?? 0) + FigureStyle.tickLength + 4
        let xTickH = xTickLabels ? FigureStyle.tickSize + FigureStyle.tickLength + 4 : 0
        let xLabelH = xLabel.isEmpty ? 0 : FigureStyle.labelSize * 1.2 + 4
        let left = m + yLabelW + tickW
        let top = m + titleH
        let right = m + rightExtra
        let bottom = m + xTickH + xLabelH + bottomExtra
        return PlotArea(left: left, top: top, width: max(8, width - left - right), height: max(8, height - top - bottom),
                        x0: 0, x1: 1, y0: 0, y1: 1)
    }

    /// Title (centred over the data area), grid lines at `yTicks`, tick marks and labels at
    /// `yTicks` (and `xTicks` when given), the left and bottom spines, and the axis labels.
    func drawFrame(_ p: Painter, figureHeight: Double, title: String, xLabel: String, yLabel: String,
                   xTicks: [Double]?, yTicks: [Double], grid: Bool = true) {
        let tl = FigureStyle.tickLength, ts = FigureStyle.tickSize
        for (t, label) in zip(yTicks, Ticks.labels(yTicks)) {
            let y = py(t)
            if grid { p.line(left, y, left + width, y, color: FigureStyle.gridColor, lineWidth: 0.8) }
            p.line(left - tl, y, left, y, color: FigureStyle.axisColor, lineWidth: 0.8)
            p.text(label, x: left - tl - 2.5, y: y + TextMetrics.centreToBaseline(size: ts), size: ts, anchor: .end)
        }
        if let xTicks {
            for (t, label) in zip(xTicks, Ticks.labels(xTicks)) {
                let x = px(t)
                p.line(x, top + height, x, top + height + tl, color: FigureStyle.axisColor, lineWidth: 0.8)
                p.text(label, x: x, y: top + height + tl + 2 + TextMetrics.ascent(size: ts), size: ts, anchor: .middle)
            }
        }
        p.polyline([(left, top), (left, top + height), (left + width, top + height)], color: FigureStyle.axisColor, lineWidth: 0.8, dash: nil)
        let m = FigureStyle.margin
        if !title.isEmpty {
            p.text(title, x: left + width / 2, y: m + TextMetrics.ascent(size: FigureStyle.titleSize), size: FigureStyle.titleSize, anchor: .middle)
        }
        if !yLabel.isEmpty {
            p.text(yLabel, x: m + TextMetrics.ascent(size: FigureStyle.labelSize), y: top + height / 2, size: FigureStyle.labelSize,
                   anchor: .middle, rotated: true)
        }
        if !xLabel.isEmpty {
            p.text(xLabel, x: left + width / 2, y: figureHeight - m - 2, size: FigureStyle.labelSize, anchor: .middle)
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

/// A vertical colour bar: the map from `lo` (bottom) to `hi` (top) with ticks and a rotated label.
enum ColorBar {
    static let barWidth = 12.0

    /// Width in points taken by a colour bar with these limits and label (bar, ticks, label).
    static func width(lo: Double, hi: Double, label: String) -> Double {
        let ticks = Ticks.labels(Ticks.nice(lo, hi, maxCount: 6))
        let tickW = ticks.map { TextMetrics.width($0, size: FigureStyle.tickSize) }.max() ?? 0
        return barWidth + FigureStyle.tickLength + 3 + tickW + (label.isEmpty ? 0 : 6 + FigureStyle.labelSize * 1.2)
    }

    static func draw(_ p: Painter, colorMap: ColorMap, lo: Double, hi: Double, label: String,
                     x: Double, y: Double, height: Double) {
        let steps = 128
        p.raster((0..<steps).map { colorMap.at(1 - Double($0) / Double(steps - 1)) }, rows: steps, cols: 1,
                 x: x, y: y, width: barWidth, height: height)
        p.strokeRect(x: x, y: y, width: barWidth, height: height, color: FigureStyle.axisColor, lineWidth: 0.8)
        let ticks = Ticks.nice(lo, hi, maxCount: 6)
        var tickW = 0.0
        for (t, s) in zip(ticks, Ticks.labels(ticks)) where hi > lo {
            let yy = y + PlotArea.clamped((0.5 * hi - 0.5 * t) / (0.5 * hi - 0.5 * lo) * height)
            p.line(x + barWidth, yy, x + barWidth + FigureStyle.tickLength, yy, color: FigureStyle.axisColor, lineWidth: 0.8)
            p.text(s, x: x + barWidth + FigureStyle.tickLength + 2, y: yy + TextMetrics.centreToBaseline(size: FigureStyle.tickSize),
                   size: FigureStyle.tickSize)
            tickW = max(tickW, TextMetrics.width(s, size: FigureStyle.tickSize))
        }
        if !label.isEmpty {
            p.text(label, x: x + barWidth + FigureStyle.tickLength + 3 + tickW + 6 + TextMetrics.ascent(size: FigureStyle.labelSize),
                   y: y + height / 2, size: FigureStyle.labelSize, anchor: .middle, rotated: true)
        }
    }
}
