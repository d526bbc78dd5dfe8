// A grid of small images (first-layer filters beside their Gabor fits, learning images, model
// RDMs, readout masks), each with an optional label underneath.

public enum ImageGrid {
    /// How colours are assigned.
    public enum Normalisation: Equatable {
        /// Each image stretched from its own min to its own max.
        case perImage
        /// Each image on its own symmetric limits (−max|x|, max|x|): 0 is the map's centre.
        case perImageSymmetric
        /// All images on the common min…max (a colour bar is drawn).
        case shared
        /// All images on common symmetric limits (a colour bar is drawn).
        case sharedSymmetric
        /// Consecutive groups of `k` images share symmetric limits (e.g. k = 2 for filter + fit).
        case symmetricInGroups(Int)
    }

    /// Renders `images` (each `height × width` values, row-major) in rows of `columns` tiles of
    /// `scale` points per image pixel, with `labels[i]` under tile i (shortened in the middle to
    /// the tile width). With a shared normalisation a colour bar labelled `colorBarLabel` is drawn.
    /// - Precondition: every image has height·width values; columns ≥ 1, scale > 0; labels match.
    public static func render(images: [[Float]], height: Int, width: Int, columns: Int,
                              normalisation: Normalisation = .perImageSymmetric, colorMap: ColorMap = .diverging,
                              scale: Double = 4, labels: [String]? = nil, title: String = "",
                              colorBarLabel: String = "") -> Figure {
        precondition(height >= 1 && width >= 1 && columns >= 1 && scale > 0, "ImageGrid: sizes must be positive")
        precondition(images.allSatisfy { $0.count == height * width }, "ImageGrid: every image needs \(height)×\(width) values")
        precondition(labels.map { $0.count == images.count } ?? true, "ImageGrid: \(labels?.count ?? 0) labels for \(images.count) images")
        if case .symmetricInGroups(let k) = normalisation { precondition(k >= 1, "ImageGrid: group size must be ≥ 1") }
        let m = FigureStyle.margin, ts = FigureStyle.tickSize
        let gap = 6.0
        let tileW = Double(width) * scale, tileH = Double(height) * scale
        let labelH = labels == nil ? 0 : ts + 4
        let n = images.count
        let cols = max(1, min(columns, n))
        let gridRows = max(1, (n + cols - 1) / cols)
        let titleH = title.isEmpty ? 0 : FigureStyle.titleSize * 1.2 + m
        let gridW = Double(cols) * tileW + Double(cols - 1) * gap
        let gridH = Double(gridRows) * (tileH + labelH) + Double(gridRows - 1) * gap
        let limits = imageLimits(images, normalisation: normalisation, colorMap: colorMap)
        let sharedBar: (lo: Double, hi: Double)? = (normalisation == .shared || normalisation == .sharedSymmetric) ? limits.first : nil
        let barW = sharedBar.map { 12 + ColorBar.width(lo: $0.lo, hi: $0.hi, label: colorBarLabel) } ?? 0
        let figW = max(2 * m + gridW + barW, 2 * m + TextMetrics.width(title, size: FigureStyle.titleSize))
        let figH = m + titleH + max(gridH, sharedBar == nil ? 0 : 100) + m
        return Figure(width: figW, height: figH) { p in
            if !title.isEmpty {
                p.text(title, x: figW / 2, y: m + TextMetrics.ascent(size: FigureStyle.titleSize), size: FigureStyle.titleSize, anchor: .middle)
            }
            let x0 = (figW - barW - gridW) / 2
            for (i, img) in images.enumerated() {
                let x = x0 + Double(i % cols) * (tileW + gap)
                let y = m + titleH + Double(i / cols) * (tileH + labelH + gap)
                p.raster(img.map { colorMap.map(Double($0), lo: limits[i].lo, hi: limits[i].hi) }, rows: height, cols: width,
                         x: x, y: y, width: tileW, height: tileH)
                if let labels {
                    p.text(TextMetrics.fitted(labels[i], maxWidth: tileW + gap - 1, size: ts), x: x + tileW / 2,
                           y: y + tileH + 2 + TextMetrics.ascent(size: ts), size: ts, anchor: .middle)
                }
            }
            if let b = sharedBar {
                ColorBar.draw(p, colorMap: colorMap, lo: b.lo, hi: b.hi, label: colorBarLabel,
                              x: x0 + gridW + 12, y: m + titleH, height: max(gridH - labelH, 100))
            }
        }
    }

    /// Colour limits of every image under `normalisation`.
    static func imageLimits(_ images: [[Float]], normalisation: Normalisation, colorMap: ColorMap) -> [(lo: Double, hi: Double)] {
        switch normalisation {
        case .perImage: return images.map { ColorMap.rangeLimits($0) }
        case .perImageSymmetric: return images.map { ColorMap.symmetricLimits($0) }
        case .shared:
            let l = ColorMap.rangeLimits(images.lazy.flatMap { $0 })
            return Array(repeating: l, count: images.count)
        case .sharedSymmetric:
            let l = ColorMap.symmetricLimits(images.lazy.flatMap { $0 })
            return Array(repeating: l, count: images.count)
        case .symmetricInGroups(let k):
            var out: [(lo: Double, hi: Double)] = []
            for start in stride(from: 0, to: images.count, by: k) {
                let group = images[start..<min(start + k, images.count)]
                let l = ColorMap.symmetricLimits(group.lazy.flatMap { $0 })
                out.append(contentsOf: Array(repeating: l, count: group.count))
            }
            return out
        }
    }
}
