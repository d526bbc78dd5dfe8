// receptive report through the built binary: a CNN and a GLM report (HTML with inline SVG that
// parses as XML, no scripts or network references; JSON whose numbers agree with each other and
// with a naive recomputation), and the bad inputs (model and data that do not belong together,
// an existing report without --force): one line on stderr, non-zero exit, nothing written.
import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TestSupport

final class ReportCLITests: XCTestCase {
    static var dir = ""
    static var data = ""
    static var other = ""
    static var model = ""
    static var glm = ""

    override class func setUp() {
        dir = TestPaths.temporaryDirectory("reportcli")
        data = dir + "/cells.h5"; other = dir + "/other.h5"
        model = dir + "/cnn.h5"; glm = dir + "/glm.h5"
        _ = try? CLIRunner.run(["simulate", "--out", data, "--cells", "simple:3,complex:3", "--stimuli", "300", "--size", "16",
                                "--repeats", "2", "--seed", "4", "--quiet"])
        _ = try? CLIRunner.run(["simulate", "--out", other, "--cells", "simple:2", "--stimuli", "60", "--size", "16", "--seed", "5", "--quiet"])
        _ = try? CLIRunner.run(["fit", data, "--out", model, "--arch", "custom", "--kernels", "5,3", "--channels", "4", "--epochs", "3", "--quiet"])
        _ = try? CLIRunner.run(["fit", data, "--out", glm, "--model", "glm", "--size", "8", "--quiet"])
    }

    func requireBinary() throws {
        guard CLIRunner.binary != nil else { throw XCTSkip(CLIRunner.skipReason) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.model), "setup (simulate/fit) failed")
    }

    /// Every inline <svg>…</svg> of the page, parsed as XML; returns the text of their <text> elements.
    func svgTexts(_ html: String) -> [String] {
        var texts: [String] = []
        var rest = html[...]
        var count = 0
        while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            let svg = String(rest[start.lowerBound..<end.upperBound])
            let collector = TextCollector()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = collector
            XCTAssertTrue(parser.parse(), "inline SVG \(count) is not well-formed: \(String(describing: parser.parserError))")
            texts += collector.texts
            count += 1
            rest = rest[end.upperBound...]
        }
        XCTAssertGreaterThan(count, 0, "no inline SVG")
        return texts
    }

    func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count), ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        return sab / (saa * sbb).squareRoot()
    }

    func testCNNReportPageAndJSON() throws {
        try requireBinary()
        let out = Self.dir + "/cnn-report"
        let r = try CLIRunner.run(["report", Self.model, Self.data, "--out", out, "--invariance", "--mei", "--rsa", "--scan",
                                   "--bootstrap", "50", "--mei-steps", "20"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), out + "/report.html")
        XCTAssertTrue(r.stderr.contains("report: scoring on the test split"), r.stderr)   // progress on stderr
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        for id in ["dataset", "training", "scores", "predictions", "readout", "filters", "invariance", "mei", "scan", "rsa"] {
            XCTAssertTrue(html.contains("<h2 id=\"\(id)\">"), "no section \(id)")
        }
        // Self-contained: no scripts, nothing loaded from elsewhere (the only URL is the SVG namespace).
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http"))
        XCTAssertFalse(html.contains("src=\""))
        let texts = svgTexts(html)
        for t in ["epoch", "validation (bits/spike)", "measured (mean response)", "predicted rate", "D / B", "Spearman ρ",
                  "dissimilarity (1 − r)"] {
            XCTAssertTrue(texts.contains(t), "no figure text '\(t)'")
        }
        // The orientation histogram exists exactly when some filter is Gabor-like (R² ≥ 0.7); a
        // 3-epoch fit may have none, and the page then says so instead.
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
        let gaborFilters = try XCTUnwrap((report["gabor"] as? [String: Any])?["filters"] as? [[String: Any]])
        let anyGaborLike = gaborFilters.contains { ($0["gabor_like"] as? NSNumber)?.boolValue == true }
        XCTAssertEqual(texts.contains("orientation (degrees)"), anyGaborLike, "orientation histogram iff a Gabor-like filter")
        XCTAssertEqual(html.contains("there are no orientations or frequencies of Gabor-like filters to show"), !anyGaborLike)

        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
        XCTAssertEqual(obj["kind"] as? String, "cnn")
        XCTAssertEqual((obj["training"] as? [Any])?.count, 3)
        let units = try XCTUnwrap(obj["units"] as? [[String: Any]])
        XCTAssertEqual(units.count, 6)
        // The stimulus-level correlation the report computes and the score's correlation are two
        // computations of the same quantity.
        let scores = try XCTUnwrap(obj["scores"] as? [String: Any])
        let corr = try XCTUnwrap((scores["corr"] as? [String: Any])?["per_unit"] as? [Double])
        var maxDiff = 0.0
        for (u, c) in zip(units, corr) { maxDiff = max(maxDiff, abs((u["stimulus_correlation"] as! Double) - c)) }
        print("[report] stimulus correlation vs score corr: max |diff| = \(maxDiff)")
        XCTAssertLessThan(maxDiff, 1e-9)
        // Examples: best ≥ median ≥ worst, and each one's plotted points give its correlation again.
        let examples = try XCTUnwrap(obj["examples"] as? [[String: Any]])
        XCTAssertEqual(examples.map { $0["rank"] as? String }, ["best", "median", "worst"])
        var r3: [Double] = []
        for e in examples {
            let p = e["predicted"] as! [Double], y = e["measured"] as! [Double]
            XCTAssertEqual(p.count, 30)   // the test split of 300 stimuli (10%)
            let expected = units[e["unit"] as! Int]["stimulus_correlation"] as! Double
            XCTAssertEqual(pearson(p, y), expected, accuracy: 1e-9)
            r3.append(expected)
        }
        XCTAssertGreaterThanOrEqual(r3[0], r3[1]); XCTAssertGreaterThanOrEqual(r3[1], r3[2])
        XCTAssertEqual(((obj["invariance"] as? [String: Any])?["units"] as? [Any])?.count, 6)
        XCTAssertEqual((obj["mei"] as? [Any])?.count, 3)
        let scan = try XCTUnwrap(obj["scan"] as? [[String: Any]])
        XCTAssertEqual(scan.map { $0["unit"] as? Int }, examples.map { $0["unit"] as? Int })
        // The learning image's stimulus is the split stimulus with the highest predicted rate.
        for (l, e) in zip(scan, examples) {
            let p = e["predicted"] as! [Double]
            XCTAssertEqual(l["rate"] as? Double ?? .nan, p.max()!, accuracy: 1e-12, "the chosen stimulus has the largest predicted rate")
            XCTAssertTrue((l["value"] as? Double)?.isFinite ?? false)
        }
        let layers = try XCTUnwrap((obj["rsa"] as? [String: Any])?["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.last?["layer"] as? String, "readout")
        XCTAssertEqual(((obj["gabor"] as? [String: Any])?["filters"] as? [Any])?.count, 4)

        // An existing report is not overwritten without --force.
        let again = try CLIRunner.run(["report", Self.model, Self.data, "--out", out, "--quiet"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--force"), again.stderr)
        XCTAssertEqual(try CLIRunner.run(["report", Self.model, Self.data, "--out", out, "--quiet", "--force"]).status, 0)
    }

    func testGLMReport() throws {
        try requireBinary()
        let out = Self.dir + "/glm-report"
        let r = try CLIRunner.run(["report", Self.glm, Self.data, "--out", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("linear receptive fields"))
        XCTAssertTrue(html.contains("has no convolution filters to fit"))
        _ = svgTexts(html)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
        XCTAssertEqual(obj["kind"] as? String, "glm")
        XCTAssertEqual((obj["units"] as? [Any])?.count, 6)
        XCTAssertTrue(obj["gabor"] == nil || obj["gabor"] is NSNull)
    }

    /// A ridge (voxel-wise) model: the page's sections and figures, and report.json's scores are
    /// exactly `score --json`'s; each example's plotted points give its R² again (naive recomputation).
    func testRidgeReport() throws {
        try requireBinary()
        let vox = Self.dir + "/vox.h5", ridge = Self.dir + "/ridge.h5", out = Self.dir + "/ridge-report"
        XCTAssertEqual(try CLIRunner.run(["simulate", "--out", vox, "--cells", "voxels:20", "--stimuli", "300", "--repeats", "2", "--size", "16",
                                          "--seed", "1", "--quiet"]).status, 0)
        let fit = try CLIRunner.run(["fit", vox, "--model", "ridge", "--features", "pixels", "--out", ridge, "--quiet"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let r = try CLIRunner.run(["report", ridge, vox, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), out + "/report.html")
        XCTAssertTrue(r.stderr.contains("report: scoring on the test split"), r.stderr)
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        for id in ["dataset", "model", "scores", "predictions"] { XCTAssertTrue(html.contains("<h2 id=\"\(id)\">"), "no section \(id)") }
        XCTAssertFalse(html.contains("<h2 id=\"spaces\">"), "one feature space: no banded split")
        XCTAssertFalse(html.contains("<script"))
        let texts = svgTexts(html)
        for t in ["log10 α", "chosen penalty per target", "measured (mean response)", "predicted response", "targets"] {
            XCTAssertTrue(texts.contains(t), "no figure text '\(t)'")
        }
        XCTAssertEqual(texts.filter { $0.hasPrefix("best: ") || $0.hasPrefix("median: ") || $0.hasPrefix("worst: ") }.count, 3)

        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
        XCTAssertEqual(obj["kind"] as? String, "ridge")
        let summary = try XCTUnwrap(obj["model_summary"] as? [String: Any])
        XCTAssertEqual(summary["features"] as? [String], ["pixels"])
        XCTAssertEqual((summary["log10_alpha"] as? [Double])?.count, 20)
        let targets = try XCTUnwrap(obj["targets"] as? [[String: Any]])
        XCTAssertEqual(targets.count, 20)
        let scores = try XCTUnwrap(obj["scores"] as? [String: Any])
        let reportR2 = try XCTUnwrap((scores["r2"] as? [String: Any])?["mean"] as? Double)

        let sr = try CLIRunner.run(["score", ridge, vox, "--json"])
        XCTAssertEqual(sr.status, 0, sr.stderr)
        let score = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(sr.stdout.utf8)) as? [String: Any])
        let scoreR2 = try XCTUnwrap((score["r2"] as? [String: Any])?["mean"] as? Double)
        print("[report] ridge mean R² report \(reportR2) vs score \(scoreR2): |diff| = \(abs(reportR2 - scoreR2))")
        XCTAssertEqual(reportR2, scoreR2, accuracy: 1e-12)
        for key in ["corr", "noise_ceiling", "fraction_of_ceiling", "ncsnr"] {
            let a = (scores[key] as? [String: Any])?["mean"] as? Double, b = (score[key] as? [String: Any])?["mean"] as? Double
            XCTAssertEqual(a ?? .nan, b ?? .nan, accuracy: 1e-12, key)
        }
        // Examples: best ≥ median ≥ worst by R², and R² from the plotted points (1 − SSE/SST).
        let examples = try XCTUnwrap(obj["examples"] as? [[String: Any]])
        XCTAssertEqual(examples.map { $0["rank"] as? String }, ["best", "median", "worst"])
        var r2s: [Double] = [], maxDiff = 0.0
        for e in examples {
            let p = e["predicted"] as! [Double], y = e["measured"] as! [Double]
            XCTAssertEqual(p.count, 30)   // the test split of 300 stimuli
            let my = y.reduce(0, +) / Double(y.count)
            let sse = zip(p, y).reduce(0.0) { $0 + ($1.1 - $1.0) * ($1.1 - $1.0) }, sst = y.reduce(0.0) { $0 + ($1 - my) * ($1 - my) }
            let expected = targets[e["unit"] as! Int]["r2"] as! Double
            maxDiff = max(maxDiff, abs((1 - sse / sst) - expected))
            r2s.append(expected)
        }
        print("[report] ridge examples: R² from the plotted points vs per-target R²: max |diff| = \(maxDiff)")
        XCTAssertLessThan(maxDiff, 1e-9)
        XCTAssertGreaterThanOrEqual(r2s[0], r2s[1]); XCTAssertGreaterThanOrEqual(r2s[1], r2s[2])

        // More than 40 targets: the table holds the 20 best and 20 worst by R² and says so; the JSON all.
        let vox45 = Self.dir + "/vox45.h5", ridge45 = Self.dir + "/ridge45.h5", out45 = Self.dir + "/ridge45-report"
        XCTAssertEqual(try CLIRunner.run(["simulate", "--out", vox45, "--cells", "voxels:45", "--stimuli", "100", "--repeats", "2", "--size", "8",
                                          "--seed", "2", "--quiet"]).status, 0)
        XCTAssertEqual(try CLIRunner.run(["fit", vox45, "--model", "ridge", "--features", "pixels", "--out", ridge45, "--quiet"]).status, 0)
        XCTAssertEqual(try CLIRunner.run(["report", ridge45, vox45, "--out", out45, "--quiet"]).status, 0)
        let html45 = try String(contentsOfFile: out45 + "/report.html", encoding: .utf8)
        XCTAssertTrue(html45.contains("45 targets: the table shows the 20 with the highest and the 20 with the lowest R²"))
        XCTAssertEqual(html45.components(separatedBy: "<td>voxel").count - 1, 40, "40 rows of targets")
        let obj45 = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out45 + "/report.json"))) as? [String: Any])
        XCTAssertEqual((obj45["targets"] as? [Any])?.count, 45)

        // Target count mismatch: the one-line error of score, nothing written; CNN-only flags refused.
        let bad = Self.dir + "/ridge-mismatch"
        let mismatch = try CLIRunner.run(["report", ridge, Self.other, "--out", bad])
        XCTAssertNotEqual(mismatch.status, 0)
        XCTAssertEqual(mismatch.stderr.split(separator: "\n").count, 1, mismatch.stderr)
        XCTAssertTrue(mismatch.stderr.contains(Self.other) && mismatch.stderr.contains("2 units") && mismatch.stderr.contains("20"), mismatch.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: bad), "nothing is written")
        let mei = try CLIRunner.run(["report", ridge, vox, "--out", bad, "--mei"])
        XCTAssertNotEqual(mei.status, 0)
        XCTAssertTrue(mei.stderr.contains("--mei"), mei.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: bad))
    }

    func testModelAndDataThatDoNotBelongTogether() throws {
        try requireBinary()
        let out = Self.dir + "/mismatch"
        let r = try CLIRunner.run(["report", Self.model, Self.other, "--out", out])
        XCTAssertNotEqual(r.status, 0)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains(Self.other) && r.stderr.contains("2 units") && r.stderr.contains("6"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is written")
        let missing = try CLIRunner.run(["report", Self.model, Self.dir + "/nope.h5", "--out", out])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("nope.h5"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
}

/// Text of the <text> elements of an SVG document.
final class TextCollector: NSObject, XMLParserDelegate {
    var texts: [String] = []
    private var current: String? = nil
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) { if name == "text" { current = "" } }
    func parser(_ parser: XMLParser, foundCharacters string: String) { current? += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", let c = current { texts.append(c); current = nil }
    }
}
