import XCTest
import Report
import Tensors
import TestSupport

/// Renders one of each figure, writes them, decodes them with the test decoder and checks sizes
/// and colours. Set RECEPTIVE_FIGURE_DIR to keep the PNGs for inspection.
final class FigureTests: XCTestCase {
    var dir: String = ""

    override func setUp() {
        if let d = ProcessInfo.processInfo.environment["RECEPTIVE_FIGURE_DIR"] {
            try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            dir = d
        } else {
            dir = TestPaths.temporaryDirectory("figures")
        }
    }

    @discardableResult
    func save(_ img: PNGImage, _ name: String) throws -> DecodedPNG {
        let path = dir + "/" + name + ".png"
        try img.write(to: path)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        if ProcessInfo.processInfo.environment["RECEPTIVE_FIGURE_DIR"] != nil {
            // Raw pixels beside the PNG, so an outside decoder (PIL) can be checked against them by hand.
            try Data(img.pixels).write(to: URL(fileURLWithPath: dir + "/" + name + ".raw"))
        }
        let d = try DecodedPNG(bytes)
        XCTAssertEqual(d.pixels, img.pixels, name)
        XCTAssertEqual(d.width, img.width); XCTAssertEqual(d.height, img.height)
        print("[figure] \(path): \(img.width)×\(img.height), \(bytes.count) bytes (raw \(img.pixels.count))")
        return d
    }

    func colours(_ d: DecodedPNG) -> Set<RGB> {
        var s = Set<RGB>()
        for y in 0..<d.height { for x in 0..<d.width { s.insert(d.rgb(x: x, y: y)) } }
        return s
    }

    func testExtremeAndDegenerateDataDoNotTrap() {
        // Ranges whose span overflows Double, constants, empty inputs, all-NaN: figures still render.
        let huge = [-1e308, 1e308, 0]
        _ = LinePlot.render(series: [LineSeries(name: "", xs: huge, ys: huge)])
        _ = LinePlot.render(series: [LineSeries(name: "nan", xs: [1, 2], ys: [.nan, .nan])])
        _ = LinePlot.render(series: [LineSeries]())
        _ = BarChart.render(labels: ["a", "b"], values: [-1e308, 1e308], band: (-1e308, 1e308))
        _ = BarChart.render(labels: [], values: [])
        _ = Histogram.render(values: huge, bins: 5)
        _ = Histogram.render(values: [], bins: 3)
        _ = Histogram.render(values: [2, 2, 2], bins: 3)
        _ = Heatmap.render(values: [Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude, .nan, 0], rows: 2, cols: 2,
                           colorMap: .viridis, limits: (-1e308, 1e308))
        _ = Heatmap.render(values: [1, 1], rows: 1, cols: 2)
        _ = ImageGrid.render(images: [], height: 3, width: 3, columns: 4)
        XCTAssertEqual(ColorMap.viridis.map(1e308, lo: -1e308, hi: 1e308), ColorMap.viridis.at(1))
        XCTAssertEqual(ColorMap.viridis.map(Double.infinity, lo: -1e308, hi: 1e308), ColorMap.viridis.at(1))
    }

    func testGreyscalePNG() throws {
        // 8-bit greyscale (colour type 0): a ramp with a noisy patch.
        var rng = SeededRandom(seed: 2)
        var px = [UInt8](repeating: 0, count: 97 * 61)
        for y in 0..<61 { for x in 0..<97 { px[y * 97 + x] = (x > 40 && x < 60 && y > 20 && y < 40) ? UInt8.random(in: 0...255, using: &rng) : UInt8((x * 2 + y) & 0xFF) } }
        let d = try save(PNGImage(width: 97, height: 61, channels: 1, pixels: px), "gray_ramp")
        XCTAssertEqual(d.colorType, 0)
    }

    func testCanvasTextAndLines() {
        var c = Canvas(width: 20, height: 12)
        c.text("1", x: 2, y: 3, .black)
        // Glyph "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###."
        let art = ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."]
        for (gy, row) in art.enumerated() {
            for (gx, ch) in row.enumerated() {
                XCTAssertEqual(c.color(x: 2 + gx, y: 3 + gy), ch == "#" ? .black : .white, "(\(gx), \(gy))")
            }
        }
        var v = Canvas(width: 12, height: 20)
        v.verticalText("1", x: 2, y: 3, .black, anchor: .top)   // rotated anticlockwise: glyph top faces left
        for (gy, row) in art.enumerated() {
            for (gx, ch) in row.enumerated() {
                XCTAssertEqual(v.color(x: 2 + gy, y: 3 + 4 - gx), ch == "#" ? .black : .white, "(\(gx), \(gy))")
            }
        }
        var l = Canvas(width: 10, height: 10)
        l.line(1, 1, 8, 5, .black)
        XCTAssertEqual(l.color(x: 1, y: 1), .black); XCTAssertEqual(l.color(x: 8, y: 5), .black)
        let inked = (0..<10).flatMap { y in (0..<10).map { x in l.color(x: x, y: y) } }.filter { $0 == .black }.count
        XCTAssertEqual(inked, 8)   // one pixel per column along the major axis
        XCTAssertEqual(Canvas.textWidth("abc"), 17)
        XCTAssertEqual(Canvas.fitted("hypothesis model 10", maxWidth: 59), "hypot~l 10")   // 10 chars × 6 − 1 = 59 px
        XCTAssertEqual(Canvas.fitted("short", maxWidth: 59), "short")
        XCTAssertLessThanOrEqual(Canvas.textWidth(Canvas.fitted(String(repeating: "x", count: 99), maxWidth: 100, scale: 2), scale: 2), 100)
        XCTAssertEqual(Canvas.textWidth("abc", scale: 2), 34)
    }

    func testHeatmapRDMAndDivergingMap() throws {
        let n = 24
        var rdm = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { rdm[i * n + j] = i == j ? 0 : Float(abs(i / 8 - j / 8)) + 0.3 + 0.02 * Float((i * j) % 7) } }
        let img = Heatmap.render(values: rdm, rows: n, cols: n, colorMap: .viridis, scale: 10, title: "RDM (1 - r)",
                                 rowLabels: (0..<n).map { "s\($0)" }, columnLabels: (0..<n).map { "s\($0)" },
                                 colorBarLabel: "dissimilarity")
        let d = try save(img, "heatmap_rdm")
        XCTAssertGreaterThanOrEqual(img.width, n * 10); XCTAssertGreaterThanOrEqual(img.height, n * 10)
        let cs = colours(d)
        let (lo, hi) = ColorMap.rangeLimits(rdm)
        for v in rdm { XCTAssertTrue(cs.contains(ColorMap.viridis.map(Double(v), lo: lo, hi: hi))) }

        // Signed map with symmetric limits: the zero cells are white, ± extremes the end colours.
        let signed: [Float] = [-2, 0, 1, 2, 0.5, -1]
        let s = Heatmap.render(values: signed, rows: 2, cols: 3, colorMap: .diverging, scale: 30, title: "attribution")
        let ds = try save(s, "heatmap_signed")
        let cs2 = colours(ds)
        XCTAssertTrue(cs2.contains(ColorMap.diverging.anchors.first!))
        XCTAssertTrue(cs2.contains(ColorMap.diverging.anchors.last!))
        XCTAssertTrue(cs2.contains(ColorMap.diverging.map(1, lo: -2, hi: 2)))
    }

    func testImageGridOfFiltersAndFits() throws {
        // 8 Gabor-like filters (11×11) and their "fits", interleaved filter, fit, filter, fit, ...
        var images: [[Float]] = [], labels: [String] = []
        var rng = SeededRandom(seed: 5)
        for k in 0..<8 {
            let theta = Double(k) * .pi / 8
            var f = [Float](), g = [Float]()
            for y in 0..<11 {
                for x in 0..<11 {
                    let xr = Double(x - 5) * cos(theta) + Double(y - 5) * sin(theta)
                    let yr = -Double(x - 5) * sin(theta) + Double(y - 5) * cos(theta)
                    let v = exp(-(xr * xr + yr * yr) / 12) * cos(2 * .pi * 0.18 * xr)
                    g.append(Float(v) * Float(k + 1))
                    f.append(Float(v) * Float(k + 1) + Float(rng.normal()) * 0.1 * Float(k + 1))
                }
            }
            images += [f, g]
            labels += ["f\(k)", "R2=0.9\(k)"]
        }
        let img = ImageGrid.render(images: images, height: 11, width: 11, columns: 4, normalisation: .symmetricInGroups(2),
                                   colorMap: .diverging, scale: 6, labels: labels, title: "Filters and Gabor fits")
        let d = try save(img, "image_grid")
        XCTAssertGreaterThanOrEqual(img.width, 4 * 66); XCTAssertGreaterThanOrEqual(img.height, 4 * 66)
        XCTAssertTrue(colours(d).contains(.white))
        // Grey stimuli, per-image stretch.
        var stim: [[Float]] = []
        for k in 0..<6 {
            var img = [Float](repeating: 0, count: 16 * 16)
            for i in 0..<(16 * 16) { img[i] = Float((i % 16) * (k + 1) + i / 16) }
            stim.append(img)
        }
        try save(ImageGrid.render(images: stim, height: 16, width: 16, columns: 3, normalisation: .perImage, colorMap: .gray,
                                  scale: 4, labels: nil, title: ""), "image_grid_gray")
    }

    func testBarChartWithCIAndNoiseCeiling() throws {
        let labels = ["conv1", "conv2", "conv3", "conv4", "fc", "GLM"]
        let values = [0.12, 0.25, 0.41, 0.38, 0.30, -0.05]
        let img = BarChart.render(labels: labels, values: values, ciLow: values.map { $0 - 0.06 }, ciHigh: values.map { $0 + 0.05 },
                                  band: (0.45, 0.55), title: "RDM correlation (Spearman ρ)", yLabel: "Spearman ρ")
        let d = try save(img, "bar_chart")
        XCTAssertEqual(img.width, 720); XCTAssertEqual(img.height, 450)
        let cs = colours(d)
        XCTAssertTrue(cs.contains(RGB.palette[0]))
        XCTAssertTrue(cs.contains(RGB(150, 150, 150).blended(over: .white, alpha: 0.3)))   // band
        // Long labels rotate.
        let long = (0..<12).map { "hypothesis model number \($0)" }
        try save(BarChart.render(labels: long, values: (0..<12).map { Double($0) / 12 }, title: "many bars", yLabel: "τa"), "bar_chart_rotated")
    }

    func testLinePlotAndHistogram() throws {
        let epochs = (1...40).map(Double.init)
        let train = epochs.map { -0.9 + 0.4 * (1 - exp(-$0 / 8)) }
        var val = epochs.map { -0.92 + 0.37 * (1 - exp(-$0 / 9)) }
        val[20] = .nan   // a gap
        let img = LinePlot.render(series: [(name: "train", xs: epochs, ys: train), (name: "validation", xs: epochs, ys: val)],
                                  xLabel: "epoch", yLabel: "LL per observation (nats)", title: "Training curve")
        let d = try save(img, "line_plot")
        let cs = colours(d)
        XCTAssertTrue(cs.contains(RGB.palette[0])); XCTAssertTrue(cs.contains(RGB.palette[1]))

        var rng = SeededRandom(seed: 9)
        var values: [Double] = (0..<2000).map { _ in rng.normal() }
        values += [Double.nan, Double.infinity]
        let h = try save(Histogram.render(values: values, bins: 30, title: "Lifetime sparsity", xLabel: "value"), "histogram")
        XCTAssertTrue(colours(h).contains(RGB.palette[0]))
        XCTAssertTrue(colours(h).contains(RGB(160, 0, 0)))   // the "non-finite not shown" note
    }
}
