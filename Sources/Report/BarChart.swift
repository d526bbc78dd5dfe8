// Bar chart with optional confidence intervals and a shaded band (e.g. the RSA noise ceiling
// between its lower and upper bound, or a threshold drawn as a dashed line).

public enum BarChart {
    /// - Parameters:
    ///   - labels, values: one bar per entry; a NaN value draws no bar.
    ///   - ciLow, ciHigh: optional interval ends per bar (both or neither), drawn as capped error bars.
    ///   - band: optional (lo, hi) drawn as a grey band across the chart with dashed edges.
    ///   - yLabel: the quantity and its unit.
    ///   - colors: per-bar colours; nil uses one colour for all bars.
    /// - Precondition: all per-bar arrays have the same length; width, height ≥ 64.
    public static func render(labels: [String], values: [Double], ciLow: [Double]? = nil, ciHigh: [Double]? = nil,
                              band: (lo: Double, hi: Double)? = nil, title: String = "", yLabel: String = "",
                              colors: [RGB]? = nil, width: Double = 560, height: Double = 340) -> Figure {
        let n = values.count
        precondition(labels.count == n, "BarChart: \(labels.count) labels for \(n) values")
        precondition((ciLow == nil) == (ciHigh == nil), "BarChart: give both ciLow and ciHigh or neither")
        precondition(ciLow.map { $0.count == n } ?? true, "BarChart: ciLow needs \(n) entries")
        precondition(ciHigh.map { $0.count == n } ?? true, "BarChart: ciHigh needs \(n) entries")
        precondition(colors.map { $0.count == n } ?? true, "BarChart: colors needs \(n) entries")
        precondition(width >= 64 && height >= 64, "BarChart: size must be at least 64×64")

        // y range: 0, every finite value, interval end and band edge; padded away from 0 only.
        var lo = 0.0, hi = 0.0
        let all = values + (ciLow ?? []) + (ciHigh ?? []) + (band.map { [$0.lo, $0.hi] } ?? [])
        for v in all where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        if hi == lo { hi = 1 }
        let span = hi - lo
        if lo < 0 { lo -= 0.05 * span }
        if hi > 0 { hi += 0.05 * span }
        let yTicks = Ticks.nice(lo, hi, maxCount: 7)

        // Bar labels: horizontal when they fit their slot, else rotated and, if longer than a
        // third of the height, shortened in the middle.
        let ts = FigureStyle.tickSize
        let provisional = PlotArea.layout(width: width, height: height, title: title, xLabel: "", yLabel: yLabel,
                                          yTickLabels: Ticks.labels(yTicks), xTickLabels: false)
        let slot = provisional.width / Double(max(n, 1))
        let longest = labels.map { TextMetrics.width($0, size: ts) }.max() ?? 0
        let rotate = longest > slot - 4
        let shown = rotate ? labels.map { TextMetrics.fitted($0, maxWidth: height / 3, size: ts) } : labels
        let labelExtent = rotate ? (shown.map { TextMetrics.width($0, size: ts) }.max() ?? 0) : ts
        var area = PlotArea.layout(width: width, height: height, title: title, xLabel: "", yLabel: yLabel,
                                   yTickLabels: Ticks.labels(yTicks), xTickLabels: false, bottomExtra: labelExtent + 8)
        area.x0 = 0; area.x1 = Double(max(n, 1)); area.y0 = lo; area.y1 = hi
        return Figure(width: width, height: height) { p in
            area.drawFrame(p, figureHeight: height, title: title, xLabel: "", yLabel: yLabel, xTicks: nil, yTicks: yTicks)
            if let band, band.lo.isFinite, band.hi.isFinite {
                let yTop = area.py(max(band.lo, band.hi)), yBottom = area.py(min(band.lo, band.hi))
                p.fillRect(x: area.left, y: yTop, width: area.width, height: yBottom - yTop, color: RGB(150, 150, 150), alpha: 0.3)
            }
            let baseline = area.py(0)
            let slotW = area.width / Double(max(n, 1))
            let barW = max(1, slotW * 0.7)
            for i in 0..<n {
                let centre = area.left + (Double(i) + 0.5) * slotW
                let v = values[i]
                if v.isFinite {
                    let yv = area.py(v)
                    p.fillRect(x: centre - barW / 2, y: min(yv, baseline), width: barW, height: abs(yv - baseline),
                               color: colors?[i] ?? RGB.palette[0])
                }
                if let ciLow, let ciHigh, ciLow[i].isFinite, ciHigh[i].isFinite {
                    let y0 = area.py(ciLow[i]), y1 = area.py(ciHigh[i])
                    let cap = max(2, barW / 6)
                    p.line(centre, y0, centre, y1, color: .black, lineWidth: 1.2)
                    p.line(centre - cap, y0, centre + cap, y0, color: .black, lineWidth: 1.2)
                    p.line(centre - cap, y1, centre + cap, y1, color: .black, lineWidth: 1.2)
                }
                let labelTop = area.top + area.height + 5
                if rotate {
                    p.text(shown[i], x: centre + TextMetrics.centreToBaseline(size: ts), y: labelTop, size: ts, anchor: .end, rotated: true)
                } else {
                    p.text(shown[i], x: centre, y: labelTop + TextMetrics.ascent(size: ts), size: ts, anchor: .middle)
                }
            }
            // The band's edges over the bars (a threshold stays visible across them).
            if let band, band.lo.isFinite, band.hi.isFinite {
                for edge in [band.lo, band.hi] {
                    p.line(area.left, area.py(edge), area.left + area.width, area.py(edge), color: .darkGray, lineWidth: 1.2, dash: 4)
                }
            }
            // Zero line over the bars when the range crosses zero.
            if lo < 0 && hi > 0 { p.line(area.left, baseline, area.left + area.width, baseline, color: .black, lineWidth: 0.8) }
        }
    }
}
