// Heatmap of a matrix (RDMs, attribution maps, learning images, readout masks) with a colour bar.

public enum Heatmap {
    /// Renders a `(rows, cols)` row-major matrix as `scale × scale`-point cells, with a colour bar
    /// on the right labelled at nice ticks.
    /// - Parameters:
    ///   - values: `rows · cols` values, row-major; NaN cells get the map's `nanColor`.
    ///   - colorMap: `.viridis` for magnitudes (limits: data range), `.diverging` for signed maps
    ///     (limits: symmetric about 0 so that 0 is white).
    ///   - scale: points per cell (> 0).
    ///   - limits: colour limits; nil picks `colorMap.limits(for: values)`.
    ///   - rowLabels, columnLabels: optional labels per row / column; when cells are smaller than
    ///     a text line only every k-th label is drawn.
    ///   - colorBarLabel: the quantity and its unit, e.g. "dissimilarity (1 − r)".
    /// - Precondition: values.count == rows·cols, rows, cols ≥ 1, scale > 0, label counts match.
    public static func render(values: [Float], rows: Int, cols: Int, colorMap: ColorMap = .viridis, scale: Double = 4,
                              title: String = "", limits: (lo: Double, hi: Double)? = nil,
                              rowLabels: [String]? = nil, columnLabels: [String]? = nil,
                              colorBarLabel: String = "") -> Figure {
        precondition(rows >= 1 && cols >= 1 && scale > 0, "Heatmap: rows, cols ≥ 1 and scale > 0")
        precondition(values.count == rows * cols, "Heatmap: \(values.count) values for \(rows)×\(cols)")
        precondition(rowLabels.map { $0.count == rows } ?? true, "Heatmap: \(rowLabels?.count ?? 0) row labels for \(rows) rows")
        precondition(columnLabels.map { $0.count == cols } ?? true, "Heatmap: \(columnLabels?.count ?? 0) column labels for \(cols) columns")
        let (lo, hi) = limits ?? colorMap.limits(for: values)
        let m = FigureStyle.margin, ts = FigureStyle.tickSize
        let lineStep = max(1, Int(((ts + 2) / scale).rounded(.up)))   // label every k-th cell
        let rowLabelW = rowLabels.map { ($0.map { TextMetrics.width($0, size: ts) }.max() ?? 0) + 4 } ?? 0
        let colLabelH = columnLabels.map { ($0.map { TextMetrics.width($0, size: ts) }.max() ?? 0) + 4 } ?? 0
        let gridW = Double(cols) * scale, gridH = Double(rows) * scale
        let titleH = title.isEmpty ? 0 : FigureStyle.titleSize * 1.2 + m
        let barH = max(gridH, 100)
        let left = m + rowLabelW
        let top = m + titleH + colLabelH
        let barX = left + gridW + 12
        let titleW = TextMetrics.width(title, size: FigureStyle.titleSize)
        let width = max(barX + ColorBar.width(lo: lo, hi: hi, label: colorBarLabel) + m, 2 * m + titleW)
        let height = top + max(gridH, barH) + m
        return Figure(width: width, height: height) { p in
            if !title.isEmpty {
                p.text(title, x: width / 2, y: m + TextMetrics.ascent(size: FigureStyle.titleSize), size: FigureStyle.titleSize, anchor: .middle)
            }
            p.raster(values.map { colorMap.map(Double($0), lo: lo, hi: hi) }, rows: rows, cols: cols,
                     x: left, y: top, width: gridW, height: gridH)
            if let rowLabels {
                for r in stride(from: 0, to: rows, by: lineStep) {
                    p.text(rowLabels[r], x: left - 4, y: top + (Double(r) + 0.5) * scale + TextMetrics.centreToBaseline(size: ts),
                           size: ts, anchor: .end)
                }
            }
            if let columnLabels {
                for c in stride(from: 0, to: cols, by: lineStep) {
                    p.text(columnLabels[c], x: left + (Double(c) + 0.5) * scale + TextMetrics.centreToBaseline(size: ts), y: top - 4,
                           size: ts, rotated: true)
                }
            }
            ColorBar.draw(p, colorMap: colorMap, lo: lo, hi: hi, label: colorBarLabel, x: barX, y: top, height: barH)
        }
    }
}
