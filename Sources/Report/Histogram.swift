// Histogram of a sample (sparsity indices, Gabor R², bootstrap distributions).

public enum Histogram {
    /// Bin counts like `numpy.histogram(values, bins, range)`: `bins` equal-width bins on
    /// [lo, hi], each half-open [e_i, e_{i+1}) except the last, which includes hi. Values outside
    /// the range are not counted; non-finite values are not counted and are reported in `ignored`.
    /// - Parameters:
    ///   - range: nil uses the min and max of the finite values (a constant sample gets v ± 0.5).
    /// - Precondition: bins ≥ 1.
    /// - Returns: `edges` (bins + 1), `counts` (bins), `ignored` (non-finite values).
    public static func counts(values: [Double], bins: Int, range: (lo: Double, hi: Double)? = nil) -> (edges: [Double], counts: [Int], ignored: Int) {
        precondition(bins >= 1, "Histogram: bins must be ≥ 1")
        let finite = values.filter { $0.isFinite }
        var (lo, hi) = range ?? (finite.min() ?? 0, finite.max() ?? 1)
        if lo == hi { lo -= 0.5; hi += 0.5 }
        let edges = (0...bins).map { lo + (hi - lo) * Double($0) / Double(bins) }
        var counts = [Int](repeating: 0, count: bins)
        for v in finite where v >= lo && v <= hi {
            let f = (v - lo) / (hi - lo) * Double(bins)
            var b = f.isFinite ? Int(min(max(f, 0), Double(bins - 1))) : bins - 1
            // Correct rounding at the edges so a value sits in the bin its edges say (as numpy does).
            if b > 0 && v < edges[b] { b -= 1 }
            if b < bins - 1 && v >= edges[b + 1] { b += 1 }
            counts[b] += 1
        }
        return (edges, counts, values.count - finite.count)
    }

    /// Renders the histogram as adjacent bars, y = count. When values were not finite, a note
    /// in the top-right corner says how many were left out.
    /// - Precondition: bins ≥ 1; width, height ≥ 64.
    public static func render(values: [Double], bins: Int = 20, title: String = "", xLabel: String = "",
                              yLabel: String = "count", range: (lo: Double, hi: Double)? = nil,
                              width: Double = 560, height: Double = 340) -> Figure {
        precondition(width >= 64 && height >= 64, "Histogram: size must be at least 64×64")
        let h = counts(values: values, bins: bins, range: range)
        let top = Double(h.counts.max() ?? 0)
        let y1 = top > 0 ? top * 1.05 : 1
        let yTicks = Ticks.nice(0, y1, maxCount: 6).filter { $0 == $0.rounded() }
        let x0 = h.edges.first!, x1 = h.edges.last!
        let xTicks = Ticks.nice(x0, x1, maxCount: 8)
        var area = PlotArea.layout(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                                   yTickLabels: Ticks.labels(yTicks))
        area.x0 = x0; area.x1 = x1; area.y0 = 0; area.y1 = y1
        return Figure(width: width, height: height) { p in
            area.drawFrame(p, figureHeight: height, title: title, xLabel: xLabel, yLabel: yLabel, xTicks: xTicks, yTicks: yTicks)
            let baseline = area.py(0)
            for b in 0..<bins where h.counts[b] > 0 {
                let xa = area.px(h.edges[b]), xb = area.px(h.edges[b + 1])
                let yc = area.py(Double(h.counts[b]))
                p.fillRect(x: xa, y: yc, width: max(0.5, xb - xa), height: baseline - yc, color: RGB.palette[0])
                p.strokeRect(x: xa, y: yc, width: max(0.5, xb - xa), height: baseline - yc, color: .white, lineWidth: 0.8)
            }
            if h.ignored > 0 {
                p.text("\(h.ignored) non-finite not shown", x: area.left + area.width - 4,
                       y: area.top + 4 + TextMetrics.ascent(size: FigureStyle.tickSize),
                       size: FigureStyle.tickSize, anchor: .end, color: RGB(160, 0, 0))
            }
        }
    }
}
