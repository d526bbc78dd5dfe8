// Line plot of one or more series (layer profiles, AIPC curves, training curves) with a legend
// to the right of the data area.

/// One named curve: points (xs[i], ys[i]) joined in order; a non-finite point breaks the line.
public struct LineSeries {
    public var name: String
    public var xs: [Double]
    public var ys: [Double]
    /// nil takes the next palette colour.
    public var color: RGB?

    public init(name: String, xs: [Double], ys: [Double], color: RGB? = nil) {
        precondition(xs.count == ys.count, "LineSeries \(name): \(xs.count) xs for \(ys.count) ys")
        self.name = name; self.xs = xs; self.ys = ys; self.color = color
    }
}

public enum LinePlot {
    /// Tuple form: `[(name, xs, ys)]`.
    public static func render(series: [(name: String, xs: [Double], ys: [Double])], xLabel: String = "", yLabel: String = "",
                              title: String = "", width: Int = 720, height: Int = 450) -> PNGImage {
        render(series: series.map { LineSeries(name: $0.name, xs: $0.xs, ys: $0.ys) }, xLabel: xLabel, yLabel: yLabel,
               title: title, width: width, height: height)
    }

    /// Renders the series on common axes (ranges from all finite points, padded 5%). Points are
    /// marked with small squares when a series has at most 60 of them. A legend lists the names
    /// (omitted when there is a single unnamed series).
    /// - Precondition: width, height ≥ 64.
    public static func render(series: [LineSeries], xLabel: String = "", yLabel: String = "",
                              title: String = "", width: Int = 720, height: Int = 450) -> PNGImage {
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
        let ts = FigureStyle.tickScale
        let showLegend = series.count > 1 || (series.first.map { !$0.name.isEmpty } ?? false)
        let swatch = 18
        let legendW = showLegend ? swatch + 6 + (series.map { Canvas.textWidth($0.name, scale: ts) }.max() ?? 0) + 8 : 0
        let r = PlotArea.layout(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                                yTickLabels: Ticks.labels(yTicks), bottomExtra: Canvas.textHeight(scale: ts) + 10,
                                rightExtra: legendW)
        let area = PlotArea(left: r.left, top: r.top, width: r.width, height: r.height, x0: x0, x1: x1, y0: y0, y1: y1)
        var canvas = Canvas(width: width, height: height)
        area.drawFrame(on: &canvas, title: title, xLabel: xLabel, yLabel: yLabel, xTicks: xTicks, yTicks: yTicks)
        for (k, s) in series.enumerated() {
            let color = s.color ?? RGB.palette[k % RGB.palette.count]
            var previous: (Int, Int)? = nil
            for (x, y) in zip(s.xs, s.ys) {
                guard x.isFinite && y.isFinite else { previous = nil; continue }
                let p = (area.px(x), area.py(y))
                if let q = previous { canvas.line(q.0, q.1, p.0, p.1, color, thickness: 2) }
                previous = p
            }
            if s.xs.count <= 60 {
                for (x, y) in zip(s.xs, s.ys) where x.isFinite && y.isFinite {
                    canvas.fill(x: area.px(x) - 2, y: area.py(y) - 2, width: 5, height: 5, color)
                }
            }
        }
        if showLegend {
            let lx = area.left + area.width + FigureStyle.margin
            for (k, s) in series.enumerated() {
                let color = s.color ?? RGB.palette[k % RGB.palette.count]
                let ly = area.top + 4 + k * (Canvas.textHeight(scale: ts) + 8)
                let mid = ly + Canvas.textHeight(scale: ts) / 2
                canvas.line(lx, mid, lx + swatch - 1, mid, color, thickness: 3)
                canvas.text(s.name, x: lx + swatch + 6, y: ly, scale: ts)
            }
        }
        return canvas.image
    }
}
