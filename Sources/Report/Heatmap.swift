// Heatmap of a matrix (RDMs, attribution maps, learning images) with a colour bar.

public enum Heatmap {
    /// Renders a `(rows, cols)` row-major matrix as `scale × scale`-pixel cells, with a colour bar
    /// on the right labelled at nice ticks.
    /// - Parameters:
    ///   - values: `rows · cols` values, row-major; NaN cells get the map's `nanColor`.
    ///   - colorMap: `.viridis` for RDMs (limits: data range), `.diverging` for signed maps
    ///     (limits: symmetric about 0 so that 0 is white).
    ///   - scale: pixels per cell (≥ 1).
    ///   - limits: colour limits; nil picks `colorMap.limits(for: values)`.
    ///   - rowLabels, columnLabels: optional labels per row / column; when cells are smaller than
    ///     a text line only every k-th label is drawn.
    /// - Precondition: values.count == rows·cols, rows, cols, scale ≥ 1, label counts match.
    public static func render(values: [Float], rows: Int, cols: Int, colorMap: ColorMap = .viridis, scale: Int = 4,
                              title: String = "", limits: (lo: Double, hi: Double)? = nil,
                              rowLabels: [String]? = nil, columnLabels: [String]? = nil,
                              colorBarLabel: String = "") -> PNGImage {
        precondition(rows >= 1 && cols >= 1 && scale >= 1, "Heatmap: rows, cols and scale must be ≥ 1")
        precondition(values.count == rows * cols, "Heatmap: \(values.count) values for \(rows)×\(cols)")
        precondition(rowLabels.map { $0.count == rows } ?? true, "Heatmap: \(rowLabels?.count ?? 0) row labels for \(rows) rows")
        precondition(columnLabels.map { $0.count == cols } ?? true, "Heatmap: \(columnLabels?.count ?? 0) column labels for \(cols) columns")
        let (lo, hi) = limits ?? colorMap.limits(for: values)
        let m = FigureStyle.margin
        let ts = FigureStyle.tickScale
        let lineStep = max(1, (Canvas.textHeight(scale: ts) + 3 + scale - 1) / scale)   // label every k-th cell
        let rowLabelW = (rowLabels?.map { Canvas.textWidth($0, scale: ts) }.max() ?? -4) + 4
        let colLabelH = (columnLabels?.map { Canvas.textWidth($0, scale: ts) }.max() ?? -4) + 4
        let gridW = cols * scale, gridH = rows * scale
        let titleH = title.isEmpty ? 0 : Canvas.textHeight(scale: FigureStyle.titleScale) + m
        let barH = max(gridH, 120)
        let barW = 16
        let ticks = Ticks.nice(lo, hi, maxCount: 6)
        let tickLabels = Ticks.labels(ticks)
        let tickW = tickLabels.map { Canvas.textWidth($0, scale: ts) }.max() ?? 0
        let barLabelW = colorBarLabel.isEmpty ? 0 : Canvas.textHeight(scale: FigureStyle.labelScale) + 8
        let left = m + rowLabelW
        let top = m + titleH + colLabelH
        let barX = left + gridW + 16
        let titleW = Canvas.textWidth(title, scale: FigureStyle.titleScale)
        let width = max(barX + barW + 6 + tickW + barLabelW + m, left + titleW + m, 2 * m + titleW)
        let height = top + max(gridH, barH) + m
        var canvas = Canvas(width: width, height: height)
        if !title.isEmpty {
            canvas.text(title, x: width / 2, y: m, scale: FigureStyle.titleScale, alignment: .center)
        }
        canvas.values(values, rows: rows, cols: cols, x: left, y: top, scale: scale, colorMap: colorMap, lo: lo, hi: hi)
        if let rowLabels {
            for r in stride(from: 0, to: rows, by: lineStep) {
                canvas.text(rowLabels[r], x: left - 4, y: top + r * scale + scale / 2 - Canvas.textHeight(scale: ts) / 2,
                            scale: ts, alignment: .right)
            }
        }
        if let columnLabels {
            for c in stride(from: 0, to: cols, by: lineStep) {
                canvas.verticalText(columnLabels[c], x: left + c * scale + scale / 2 - Canvas.textHeight(scale: ts) / 2,
                                    y: top - 4, scale: ts, anchor: .bottom)
            }
        }
        // Colour bar: top row is `hi`, bottom row `lo`.
        for yy in 0..<barH {
            let t = barH > 1 ? 1 - Double(yy) / Double(barH - 1) : 0.5
            canvas.fill(x: barX, y: top + yy, width: barW, height: 1, colorMap.at(t))
        }
        canvas.strokeRect(x: barX - 1, y: top - 1, width: barW + 2, height: barH + 2, FigureStyle.axisColor)
        for (t, label) in zip(ticks, tickLabels) where hi > lo {
            let yy = top + PlotArea.pixel((hi - t) / (hi - lo) * Double(barH - 1))
            canvas.line(barX + barW, yy, barX + barW + 3, yy, FigureStyle.axisColor)
            canvas.text(label, x: barX + barW + 6, y: yy - Canvas.textHeight(scale: ts) / 2, scale: ts)
        }
        if !colorBarLabel.isEmpty {
            canvas.verticalText(colorBarLabel, x: barX + barW + 6 + tickW + 8, y: top + barH / 2,
                                scale: FigureStyle.labelScale, anchor: .center)
        }
        return canvas.image
    }
}
