import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
import Report
import Tensors
import TestSupport

/// Collects what an SVG document holds: the root's attributes, every element name and the
/// character data of every <text> element.
final class SVGContent: NSObject, XMLParserDelegate {
    var rootAttributes: [String: String] = [:]
    var elements: [String: Int] = [:]
    var texts: [String] = []
    private var inText = false
    private var current = ""

    static func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> SVGContent {
        let c = SVGContent()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = c
        XCTAssertTrue(parser.parse(), "SVG is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?")", file: file, line: line)
        return c
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if elements.isEmpty { rootAttributes = attributes }
        elements[name, default: 0] += 1
        if name == "text" { inText = true; current = "" }
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { current += string } }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { texts.append(current); inText = false }
    }
}

/// Renders every figure kind to SVG (parsed as XML, text checked as text), to PNG (pixels read back
/// through cairo at known places) and to PDF. Set RECEPTIVE_FIGURE_DIR to keep the files.
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

    /// Writes the figure in all three formats and returns the parsed SVG.
    @discardableResult
    func check(_ figure: Figure, _ name: String, texts expected: [String], file: StaticString = #filePath, line: UInt = #line) throws -> SVGContent {
        for format in FigureFormat.allCases { try figure.write(to: dir + "/" + format.fileName(name), format: format) }
        let svg = try String(contentsOfFile: dir + "/" + name + ".svg", encoding: .utf8)
        let c = SVGContent.parse(svg, file: file, line: line)
        XCTAssertEqual(c.rootAttributes["width"].flatMap(Double.init), figure.width, file: file, line: line)
        XCTAssertEqual(c.rootAttributes["height"].flatMap(Double.init), figure.height, file: file, line: line)
        for t in expected { XCTAssertTrue(c.texts.contains(t), "\(name): no <text> '\(t)' in \(c.texts)", file: file, line: line) }
        let pdf = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name + ".pdf"))
        XCTAssertEqual(Array(pdf.prefix(5)), Array("%PDF-".utf8), file: file, line: line)
        let png = try RasterImage(pngFile: dir + "/" + name + ".png")
        XCTAssertEqual(png.width, Int((figure.width * 2).rounded(.up)), file: file, line: line)
        XCTAssertEqual(png.height, Int((figure.height * 2).rounded(.up)), file: file, line: line)
        print("[figure] \(dir)/\(name).{svg,png,pdf}: \(figure.width)×\(figure.height) pt, svg \(svg.utf8.count) B, pdf \(pdf.count) B, \(c.texts.count) text elements")
        return c
    }

    func testEveryFigureKindIsSVGWithItsTextAsText() throws {
        let n = 12
        var rdm = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { rdm[i * n + j] = i == j ? 0 : Float(abs(i / 4 - j / 4)) + 0.3 } }
        let heat = try check(Heatmap.render(values: rdm, rows: n, cols: n, colorMap: .viridis, scale: 12, title: "RDM of V4 & IT <test>",
                                            rowLabels: (0..<n).map { "cond \($0)" }, columnLabels: (0..<n).map { "cond \($0)" },
                                            colorBarLabel: "dissimilarity (1 − r)"),
                             "heatmap", texts: ["RDM of V4 & IT <test>", "dissimilarity (1 − r)", "cond 0"])
        XCTAssertEqual(heat.elements["image"], 2)   // the cells and the colour bar

        var images: [[Float]] = []
        for k in 0..<4 { images.append((0..<81).map { Float(sin(Double($0 + k) * 0.4)) }) }
        let grid = try check(ImageGrid.render(images: images, height: 9, width: 9, columns: 4, normalisation: .sharedSymmetric,
                                              scale: 6, labels: ["unit 0", "fit 0", "unit 1", "fit 1"], title: "conv1 filters",
                                              colorBarLabel: "weight (a.u.)"),
                             "image_grid", texts: ["conv1 filters", "unit 0", "fit 1", "weight (a.u.)"])
        XCTAssertEqual(grid.elements["image"], 5)

        let values = [0.12, 0.25, -0.05]
        try check(BarChart.render(labels: ["conv1", "conv2", "GLM"], values: values, ciLow: values.map { $0 - 0.06 },
                                  ciHigh: values.map { $0 + 0.05 }, band: (0.45, 0.55), title: "model-brain similarity",
                                  yLabel: "Spearman ρ"),
                  "bar_chart", texts: ["model-brain similarity", "Spearman ρ", "conv1", "GLM", "0.4"])

        let epochs = (1...30).map(Double.init)
        try check(LinePlot.render(series: [LineSeries(name: "train", xs: epochs, ys: epochs.map { -1 + 1 / $0 }),
                                           LineSeries(name: "validation", xs: epochs, ys: epochs.map { -1.1 + 1 / $0 }, dashed: true)],
                                  xLabel: "epoch", yLabel: "LL per trial (nats)", title: "training curves"),
                  "line_plot", texts: ["epoch", "LL per trial (nats)", "train", "validation", "10"])

        try check(Histogram.render(values: (0..<200).map { Double($0 % 180) }, bins: 12, title: "orientation",
                                   xLabel: "orientation (degrees)", range: (0, 180)),
                  "histogram", texts: ["orientation (degrees)", "count", "150"])

        let measured = (0..<50).map { Double($0) / 10 }
        try check(ScatterPlot.render(series: [ScatterSeries(name: "unit 7", xs: measured, ys: measured.map { $0 * 0.8 + 0.3 })],
                                     xLabel: "measured (spikes/trial)", yLabel: "predicted (spikes/trial)", title: "unit 7, r = 0.99",
                                     identityLine: true),
                  "scatter", texts: ["measured (spikes/trial)", "predicted (spikes/trial)", "unit 7, r = 0.99"])
    }

    func testPNGHasTheExpectedColoursAtKnownPlaces() throws {
        // A 2×3 signed heatmap on the diverging map, 20-point cells, no title or labels: the grid's
        // top-left corner is at (margin, margin) = (10, 10) points, 2 pixels per point in the PNG.
        let signed: [Float] = [-2, 0, 1, 2, 0.5, -1]
        let fig = Heatmap.render(values: signed, rows: 2, cols: 3, colorMap: .diverging, scale: 20, colorBarLabel: "attribution")
        let path = dir + "/known_pixels.png"
        try fig.write(to: path, format: .png)
        let img = try RasterImage(pngFile: path)
        for r in 0..<2 {
            for c in 0..<3 {
                let x = Int(((10 + (Double(c) + 0.5) * 20) * 2).rounded()), y = Int(((10 + (Double(r) + 0.5) * 20) * 2).rounded())
                let expected = ColorMap.diverging.map(Double(signed[r * 3 + c]), lo: -2, hi: 2)
                XCTAssertEqual(img.rgb(x: x, y: y), expected, "cell (\(r), \(c)) at pixel (\(x), \(y))")
                // The whole cell, not just its centre (2 pixels in from each edge: antialiased borders).
                for dy in -16...16 { for dx in -16...16 where img.rgb(x: x + dx, y: y + dy) != expected {
                    XCTFail("cell (\(r), \(c)): pixel (\(x + dx), \(y + dy)) is \(img.rgb(x: x + dx, y: y + dy)), expected \(expected)"); return
                } }
            }
        }
        XCTAssertEqual(img.rgb(x: 2, y: 2), .white)                    // background
        XCTAssertEqual(img.rgb(x: 80, y: 40), .white)                  // value 0 is white under symmetric limits
        XCTAssertEqual(img.rgb(x: 20 + 20, y: 20 + 20), RGB(5, 48, 97)) // −2: the blue end
        // Colour bar (12 points wide, 12 points right of the grid, 100 points high, 128 steps from
        // the red end at the top to the blue end at the bottom): the step under a pixel's centre.
        let barCentre = Int(((10 + 60 + 12 + 6) * 2))
        for py in [24, 120, 216] {
            let step = Int(((Double(py) + 0.5) / 2 - 10) / 100 * 128)
            XCTAssertEqual(img.rgb(x: barCentre, y: py), ColorMap.diverging.at(1 - Double(step) / 127), "colour bar at pixel row \(py)")
        }
        // Reading the PNG back gives the pixels cairo drew.
        XCTAssertEqual(try fig.rasterized(scale: 2), img)
        print("[figure] known pixels checked in \(path) (\(img.width)×\(img.height))")
    }

    func testLinePlotDrawsItsSeriesColours() throws {
        let xs = (0..<20).map(Double.init)
        let fig = LinePlot.render(series: [LineSeries(name: "a", xs: xs, ys: xs), LineSeries(name: "b", xs: xs, ys: xs.map { 20 - $0 })],
                                  xLabel: "x (s)", yLabel: "y (Hz)")
        let img = try fig.rasterized(scale: 2)
        let colours = Set(img.pixels)
        XCTAssertTrue(colours.contains(RGB.palette[0]))
        XCTAssertTrue(colours.contains(RGB.palette[1]))
    }

    func testWriteIsAtomicAndRespectsOverwrite() throws {
        let fig = Histogram.render(values: [1, 2, 3], bins: 3)
        let path = dir + "/h.svg"
        try fig.write(to: path, format: .svg)
        XCTAssertThrowsError(try fig.write(to: path, format: .svg, overwrite: false)) { e in
            XCTAssertTrue("\(e)".contains("already exists"), "\(e)")
        }
        XCTAssertThrowsError(try fig.write(to: dir + "/missing/h.png", format: .png)) { e in
            XCTAssertTrue("\(e)".contains("does not exist"), "\(e)")
        }
        XCTAssertThrowsError(try RasterImage(pngFile: path)) { e in XCTAssertTrue("\(e)".contains(path), "\(e)") }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    func testExtremeAndDegenerateDataDoNotTrap() throws {
        // Ranges whose span overflows Double, constants, empty inputs, all-NaN: figures still render
        // in every format and the SVG stays well-formed.
        let huge = [-1e308, 1e308, 0]
        let figures = [
            LinePlot.render(series: [LineSeries(name: "", xs: huge, ys: huge)]),
            LinePlot.render(series: [LineSeries(name: "nan", xs: [1, 2], ys: [.nan, .nan])]),
            LinePlot.render(series: [LineSeries]()),
            BarChart.render(labels: ["a", "b"], values: [-1e308, 1e308], band: (-1e308, 1e308)),
            BarChart.render(labels: [], values: []),
            Histogram.render(values: huge, bins: 5),
            Histogram.render(values: [], bins: 3),
            Histogram.render(values: [2, 2, 2], bins: 3),
            Heatmap.render(values: [Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude, .nan, 0], rows: 2, cols: 2,
                           colorMap: .viridis, limits: (-1e308, 1e308)),
            Heatmap.render(values: [1, 1], rows: 1, cols: 2),
            ImageGrid.render(images: [], height: 3, width: 3, columns: 4),
            ScatterPlot.render(series: [ScatterSeries(name: "x", xs: [.nan, 1e308], ys: [-1e308, .infinity])], identityLine: true),
        ]
        for f in figures {
            _ = SVGContent.parse(f.svg())
            _ = try f.png(scale: 1)
            _ = try f.pdf()
        }
        XCTAssertEqual(ColorMap.viridis.map(1e308, lo: -1e308, hi: 1e308), ColorMap.viridis.at(1))
        XCTAssertEqual(ColorMap.viridis.map(Double.infinity, lo: -1e308, hi: 1e308), ColorMap.viridis.at(1))
    }

    func testTextIsMeasuredWithARealFont() {
        // DejaVu Sans through fontconfig: proportional ('W' wider than 'i'), scales with size.
        XCTAssertGreaterThan(TextMetrics.width("WWWW", size: 10), 2 * TextMetrics.width("iiii", size: 10))
        XCTAssertEqual(TextMetrics.width("abc", size: 20), 2 * TextMetrics.width("abc", size: 10), accuracy: 0.5)
        let long = String(repeating: "x", count: 99)
        XCTAssertLessThanOrEqual(TextMetrics.width(TextMetrics.fitted(long, maxWidth: 100, size: 10), size: 10), 100)
        XCTAssertTrue(TextMetrics.fitted(long, maxWidth: 100, size: 10).contains("…"))
    }
}
