// Bar chart with optional confidence intervals and a shaded band (e.g. the RSA noise ceiling
// between its lower and upper bound).

public enum BarChart {
    /// - Parameters:
    ///   - labels, values: one bar per entry; a NaN value draws no bar.
    ///   - ciLow, ciHigh: optional interval ends per bar (both or neither), drawn as capped error bars.
    ///   - band: optional (lo, hi) drawn as a grey band across the chart with dashed edges.
    ///   - colors: per-bar colours; nil uses one colour for all bars.
    /// - Precondition: all per-bar arrays have the same length; width, height ≥ 64.
    public static func render(labels: [String], values: [Double], ciLow: [Double]? = nil, ciHigh: [Double]? = nil,
                              band: (lo: Double, hi: Double)? = nil, title: String = "", yLabel: String = "",
                              colors: [RGB]? = nil, width: Int = 720, height: Int = 450) -> PNGImage {
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

        // Bar labels: horizontal when they fit their slot, else rotated and, if longer than a third of
        // the height, shortened in the middle.
        let ts = FigureStyle.tickScale
        let provisional = PlotArea.layout(width: width, height: height, title: title, xLabel: "", yLabel: yLabel,
                                          yTickLabels: Ticks.labels(yTicks), bottomExtra: 0)
        let slot = Double(provisional.width) / Double(max(n, 1))
        let longest = labels.map { Canvas.textWidth($0, scale: ts) }.max() ?? 0
        let rotate = Double(longest) > slot - 4
        let shown = rotate ? labels.map { Canvas.fitted($0, maxWidth: height / 3, scale: ts) } : labels
        let labelExtent = rotate ? (shown.map { Canvas.textWidth($0, scale: ts) }.max() ?? 0) : Canvas.textHeight(scale: ts)
        let r = PlotArea.layout(width: width, height: height, title: title, xLabel: "", yLabel: yLabel,
                                yTickLabels: Ticks.labels(yTicks), bottomExtra: labelExtent + 8)
        let area = PlotArea(left: r.left, top: r.top, width: r.width, height: r.height,
                            x0: 0, x1: Double(max(n, 1)), y0: lo, y1: hi)
        var canvas = Canvas(width: width, height: height)
        area.drawFrame(on: &canvas, title: title, xLabel: "", yLabel: yLabel, xTicks: nil, yTicks: yTicks)

        if let band, band.lo.isFinite, band.hi.isFinite {
            let yTop = area.py(max(band.lo, band.hi)), yBottom = area.py(min(band.lo, band.hi))
            canvas.fill(x: area.left, y: yTop, width: area.width, height: yBottom - yTop + 1, RGB(150, 150, 150), alpha: 0.3)
            canvas.line(area.left, yTop, area.left + area.width - 1, yTop, .darkGray, dash: 4)
            canvas.line(area.left, yBottom, area.left + area.width - 1, yBottom, .darkGray, dash: 4)
        }
        let baseline = area.py(0)
        let slotW = Double(area.width) / Double(max(n, 1))
        let barW = max(1, Int(slotW * 0.7))
        for i in 0..<n {
            let centre = area.left + Int((Double(i) + 0.5) * slotW)
            let v = values[i]
            if v.isFinite {
                let yv = area.py(v)
                let color = colors?[i] ?? RGB.palette[0]
                canvas.fill(x: centre - barW / 2, y: min(yv, baseline), width: barW, height: abs(yv - baseline) + 1, color)
            }
            if let ciLow, let ciHigh, ciLow[i].isFinite, ciHigh[i].isFinite {
                let y0 = area.py(ciLow[i]), y1 = area.py(ciHigh[i])
                let cap = max(2, barW / 6)
                canvas.line(centre, y0, centre, y1, .black, thickness: 2)
                canvas.line(centre - cap, y0, centre + cap, y0, .black, thickness: 2)
                canvas.line(centre - cap, y1, centre + cap, y1, .black, thickness: 2)
            }
            let labelTop = area.top + area.height + 6
            if rotate {
                canvas.verticalText(shown[i], x: centre - Canvas.textHeight(scale: ts) / 2, y: labelTop, scale: ts, anchor: .top)
            } else {
                canvas.text(shown[i], x: centre, y: labelTop, scale: ts, alignment: .center)
            }
        }
        // Zero line over the bars when the range crosses zero.
        if lo < 0 && hi > 0 { canvas.line(area.left, baseline, area.left + area.width - 1, baseline, .black) }
        return canvas.image
    }
}
