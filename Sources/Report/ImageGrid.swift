// A grid of small images (first-layer filters beside their Gabor fits, learning images, stimuli),
// each with an optional label underneath.

public enum ImageGrid {
    /// How grey levels / colours are assigned.
    public enum Normalisation: Equatable {
        /// Each image stretched from its own min to its own max.
        case perImage
        /// Each image on its own symmetric limits (−max|x|, max|x|): 0 is the map's centre.
        case perImageSymmetric
        /// All images on the common min…max.
        case shared
        /// All images on common symmetric limits.
        case sharedSymmetric
        /// Consecutive groups of `k` images share symmetric limits (e.g. k = 2 for filter + fit).
        case symmetricInGroups(Int)
    }

    /// Renders `images` (each `height × width` values, row-major) in rows of `columns` tiles of
    /// `scale` pixels per image pixel, with `labels[i]` under tile i (shortened in the middle to the tile width).
    /// - Precondition: every image has height·width values; columns, scale ≥ 1; labels match.
    public static func render(images: [[Float]], height: Int, width: Int, columns: Int,
                              normalisation: Normalisation = .perImageSymmetric, colorMap: ColorMap = .diverging,
                              scale: Int = 4, labels: [String]? = nil, title: String = "") -> PNGImage {
        precondition(height >= 1 && width >= 1 && columns >= 1 && scale >= 1, "ImageGrid: sizes must be ≥ 1")
        precondition(images.allSatisfy { $0.count == height * width }, "ImageGrid: every image needs \(height)×\(width) values")
        precondition(labels.map { $0.count == images.count } ?? true, "ImageGrid: \(labels?.count ?? 0) labels for \(images.count) images")
        if case .symmetricInGroups(let k) = normalisation { precondition(k >= 1, "ImageGrid: group size must be ≥ 1") }
        let m = FigureStyle.margin
        let ts = FigureStyle.tickScale
        let gap = 6
        let tileW = width * scale, tileH = height * scale
        let labelH = labels == nil ? 0 : Canvas.textHeight(scale: ts) + 4
        let n = images.count
        let cols = max(1, min(columns, n))
        let gridRows = max(1, (n + cols - 1) / cols)
        let titleH = title.isEmpty ? 0 : Canvas.textHeight(scale: FigureStyle.titleScale) + m
        let gridW = cols * tileW + (cols - 1) * gap
        let canvasW = max(2 * m + gridW, 2 * m + Canvas.textWidth(title, scale: FigureStyle.titleScale))
        let canvasH = m + titleH + gridRows * (tileH + labelH) + (gridRows - 1) * gap + m
        var canvas = Canvas(width: canvasW, height: canvasH)
        if !title.isEmpty { canvas.text(title, x: canvasW / 2, y: m, scale: FigureStyle.titleScale, alignment: .center) }
        let x0 = (canvasW - gridW) / 2
        let limits = imageLimits(images, normalisation: normalisation, colorMap: colorMap)
        for (i, img) in images.enumerated() {
            let x = x0 + (i % cols) * (tileW + gap)
            let y = m + titleH + (i / cols) * (tileH + labelH + gap)
            canvas.values(img, rows: height, cols: width, x: x, y: y, scale: scale, colorMap: colorMap,
                          lo: limits[i].lo, hi: limits[i].hi)
            if let labels {
                let label = Canvas.fitted(labels[i], maxWidth: tileW, scale: ts)
                canvas.text(label, x: x + tileW / 2, y: y + tileH + 3, scale: ts, alignment: .center)
            }
        }
        return canvas.image
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
