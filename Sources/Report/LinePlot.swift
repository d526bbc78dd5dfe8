// Line plot of one or more series (layer profiles, training curves) with a legend to the right
// of the data area.

/// One named curve: points (xs[i], ys[i]) joined in order; a non-finite point breaks the line.
public struct LineSeries {
    public var name: String
    public var xs: [Double]
    public var ys: [Double]
    /// nil takes the next palette colour.
    public var color: RGB?
    /// Dashed line.
    public var dashed: Bool

    public init(name: String, xs: [Double], ys: [Double], color: RGB? = nil, dashed: Bool = false) {
        precondition(xs.count == ys.count, "LineSeries \(name): \(xs.count) xs for \(ys.count) ys")
        self.name = name; self.xs = xs; self.ys = ys; self.color = color; self.dashed = dashed
    }
}

public enum LinePlot {
    /// Tuple form: `[(name, xs, ys)]`.
    public static func render(series: [(name: String, xs: [Double], ys: [Double])], xLabel: String = "", yLabel: String = "",
                              title: String = "", width: Double = 560, height: Double = 340) -> Figure {
        render(series: series.map { LineSeries(name: $0.name, xs: $0.xs, ys: $0.ys) }, xLabel: xLabel, yLabel: yLabel,
               title: title, width: width, height: height)
    }

    /// Renders the series on common axes (ranges from all finite points, padded 5%). Points are
    /// marked with small dots when a series has at most 60 of them. A legend lists the names
    /// (omitted when there is a single unnamed series).
    /// - Precondition: width, height ≥ 64.
    public static func render(series: [LineSeries], xLabel: String = "", yLabel: String = "",
                              title: String = "", width: Double = 560, height: Double = 340) -> Figure {
        precondition(width >= 64 && height >= 64, "LinePlot: size must be at least 64×64")
        var xlo = Double.infinity, xhi = -Double.infinity, ylo = Double.infinity, yhi = -Double.infinity
        for s in series {
            for (x, y) in zip(s.xs, s.ys) where x.isFinite && y.isFinite {
                xlo = min(xlo, x); xhi = max(xhi, x); ylo = min(ylo, y); yhi = max(yhi, y)
            }
        }
        let (x0, x1) = PlotArea.padded(xlo, xhi, fraction: 0.03)
        let (y0, y1) = PlotArea.padded(ylo, yhi)
        let xTicks = Ticks.nice(x0, x1, maxCount: 8)
        let yTicks = Ticks.nice(y0, y1, maxCount: 7)
        let ts = FigureStyle.tickSize
        let showLegend = series.count > 1 || (series.first.map { !$0.name.isEmpty } ?? false)
        let swatch = 18.0
        let legendW = showLegend ? swatch + 6 + (series.map { TextMetrics.width($0.name, size: ts) }.max() ?? 0) + 8 : 0
        var area = PlotArea.layout(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                                   yTickLabels: Ticks.labels(yTicks), rightExtra: legendW)
        area.x0 = x0; area.x1 = x1; area.y0 = y0; area.y1 = y1
        func color(_ k: Int) -> RGB { series[k].color ?? RGB.palette[k % RGB.palette.count] }
        return Figure(width: width, height: height) { p in
            area.drawFrame(p, figureHeight: height, title: title, xLabel: xLabel, yLabel: yLabel, xTicks: xTicks, yTicks: yTicks)
            for (k, s) in series.enumerated() {
                var run: [(Double, Double)] = []
                for (x, y) in zip(s.xs, s.ys) {
                    guard x.isFinite && y.isFinite else {
                        p.polyline(run, color: color(k), lineWidth: 1.5, dash: s.dashed ? 4 : nil); run = []; continue
                    }
                    run.append((area.px(x), area.py(y)))
                }
                p.polyline(run, color: color(k), lineWidth: 1.5, dash: s.dashed ? 4 : nil)
                if s.xs.count <= 60 {
                    for (x, y) in zip(s.xs, s.ys) where x.isFinite && y.isFinite {
                        p.disc(cx: area.px(x), cy: area.py(y), radius: 2.2, color: color(k), alpha: 1)
                    }
                }
            }
            if showLegend {
                let lx = area.left + area.width + FigureStyle.margin
                for (k, s) in series.enumerated() {
                    let mid = area.top + 6 + Double(k) * (ts + 7)
                    p.line(lx, mid, lx + swatch, mid, color: color(k), lineWidth: 2, dash: s.dashed ? 4 : nil)
                    p.text(s.name, x: lx + swatch + 5, y: mid + TextMetrics.centreToBaseline(size: ts), size: ts)
                }
            }
        }
    }
}
