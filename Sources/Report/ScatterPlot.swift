// Scatter plot (predicted against measured responses, one point per stimulus), with an optional
// identity line y = x on equal axes.

/// One set of points drawn in one colour.
public struct ScatterSeries {
    public var name: String
    public var xs: [Double]
    public var ys: [Double]
    public var color: RGB?

    public init(name: String, xs: [Double], ys: [Double], color: RGB? = nil) {
        precondition(xs.count == ys.count, "ScatterSeries \(name): \(xs.count) xs for \(ys.count) ys")
        self.name = name; self.xs = xs; self.ys = ys; self.color = color
    }
}

public enum ScatterPlot {
    /// Renders the points; non-finite points are skipped. With `identityLine` both axes share one
    /// range and the dashed line y = x is drawn. A legend lists the names when there are several.
    /// - Precondition: width, height ≥ 64.
    public static func render(series: [ScatterSeries], xLabel: String = "", yLabel: String = "", title: String = "",
                              identityLine: Bool = false, width: Double = 300, height: Double = 300) -> Figure {
        precondition(width >= 64 && height >= 64, "ScatterPlot: size must be at least 64×64")
        var xlo = Double.infinity, xhi = -Double.infinity, ylo = Double.infinity, yhi = -Double.infinity
        for s in series {
            for (x, y) in zip(s.xs, s.ys) where x.isFinite && y.isFinite {
                xlo = min(xlo, x); xhi = max(xhi, x); ylo = min(ylo, y); yhi = max(yhi, y)
            }
        }
        if identityLine { xlo = min(xlo, ylo); ylo = xlo; xhi = max(xhi, yhi); yhi = xhi }
        let (x0, x1) = PlotArea.padded(xlo, xhi)
        let (y0, y1) = PlotArea.padded(ylo, yhi)
        let xTicks = Ticks.nice(x0, x1, maxCount: 6)
        let yTicks = Ticks.nice(y0, y1, maxCount: 6)
        let ts = FigureStyle.tickSize
        let showLegend = series.count > 1
        let legendW = showLegend ? 14 + (series.map { TextMetrics.width($0.name, size: ts) }.max() ?? 0) + 8 : 0
        var area = PlotArea.layout(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                                   yTickLabels: Ticks.labels(yTicks), rightExtra: legendW)
        area.x0 = x0; area.x1 = x1; area.y0 = y0; area.y1 = y1
        let total = series.reduce(0) { $0 + $1.xs.count }
        let radius = total > 2000 ? 1.2 : total > 300 ? 1.8 : 2.5
        func color(_ k: Int) -> RGB { series[k].color ?? RGB.palette[k % RGB.palette.count] }
        return Figure(width: width, height: height) { p in
            area.drawFrame(p, figureHeight: height, title: title, xLabel: xLabel, yLabel: yLabel, xTicks: xTicks, yTicks: yTicks)
            if identityLine {
                let a = max(x0, y0), b = min(x1, y1)
                if a < b { p.line(area.px(a), area.py(a), area.px(b), area.py(b), color: .darkGray, lineWidth: 1, dash: 3) }
            }
            for (k, s) in series.enumerated() {
                for (x, y) in zip(s.xs, s.ys) where x.isFinite && y.isFinite {
                    p.disc(cx: area.px(x), cy: area.py(y), radius: radius, color: color(k), alpha: 0.6)
                }
            }
            if showLegend {
                let lx = area.left + area.width + FigureStyle.margin
                for (k, s) in series.enumerated() {
                    let mid = area.top + 6 + Double(k) * (ts + 7)
                    p.disc(cx: lx + 4, cy: mid, radius: 3, color: color(k), alpha: 1)
                    p.text(s.name, x: lx + 12, y: mid + TextMetrics.centreToBaseline(size: ts), size: ts)
                }
            }
        }
    }
}
