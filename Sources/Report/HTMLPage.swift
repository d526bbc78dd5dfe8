// A self-contained HTML page: headings, paragraphs, tables and figures inlined as SVG, one
// stylesheet in the head, no scripts and nothing fetched from the network, so it opens from a file
// and prints. Wide figures scale down to the page width (max-width: 100%).

public struct HTMLPage {
    public var title: String
    private var body = ""
    private var toc: [(id: String, heading: String)] = []

    public init(title: String) { self.title = title }

    /// `s` escaped for HTML text and attribute values (the same escaping as SVG text).
    public static func escape(_ s: String) -> String { SVGPainter.escape(s) }

    /// A new section with a level-2 heading, listed in the table of contents.
    public mutating func section(_ heading: String, id: String) {
        toc.append((id, heading))
        body += "<h2 id=\"\(HTMLPage.escape(id))\">\(HTMLPage.escape(heading))</h2>\n"
    }

    public mutating func subheading(_ text: String) { body += "<h3>\(HTMLPage.escape(text))</h3>\n" }

    public mutating func paragraph(_ text: String) { body += "<p>\(HTMLPage.escape(text))</p>\n" }

    /// A paragraph in smaller grey type (method notes, what was not computed and why).
    public mutating func note(_ text: String) { body += "<p class=\"note\">\(HTMLPage.escape(text))</p>\n" }

    /// A table; cells of `numericColumns` are right-aligned.
    public mutating func table(headers: [String], rows: [[String]], numericColumns: Set<Int> = [], caption: String? = nil) {
        var h = "<div class=\"table\"><table>\n"
        if let caption { h += "<caption>\(HTMLPage.escape(caption))</caption>\n" }
        h += "<thead><tr>" + headers.enumerated().map { i, s in
            "<th\(numericColumns.contains(i) ? " class=\"num\"" : "")>\(HTMLPage.escape(s))</th>"
        }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows {
            h += "<tr>" + row.enumerated().map { i, s in
                "<td\(numericColumns.contains(i) ? " class=\"num\"" : "")>\(HTMLPage.escape(s))</td>"
            }.joined() + "</tr>\n"
        }
        body += h + "</tbody></table></div>\n"
    }

    /// Figures side by side (wrapping to the next line when the page is too narrow), each inline
    /// SVG with its caption underneath.
    public mutating func figures(_ items: [(figure: Figure, caption: String)]) {
        body += "<div class=\"figures\">\n"
        for (f, caption) in items {
            body += "<figure>\n" + f.svg() + (caption.isEmpty ? "" : "<figcaption>\(HTMLPage.escape(caption))</figcaption>\n") + "</figure>\n"
        }
        body += "</div>\n"
    }

    /// The complete document.
    public func render() -> String {
        let nav = toc.isEmpty ? "" : "<nav>" + toc.map { "<a href=\"#\(HTMLPage.escape($0.id))\">\(HTMLPage.escape($0.heading))</a>" }.joined(separator: " · ") + "</nav>\n"
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLPage.escape(title))</title>
        <style>
        body { font-family: "DejaVu Sans", Verdana, sans-serif; color: #262626; margin: 0 auto; padding: 16px 24px; max-width: 1240px; line-height: 1.4; }
        h1 { font-size: 22px; margin: 8px 0; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        h3 { font-size: 15px; margin: 16px 0 6px; }
        nav { font-size: 13px; margin-bottom: 12px; } nav a { color: #1f77b4; text-decoration: none; }
        .note { color: #666; font-size: 13px; }
        .figures { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
        figure { margin: 0; max-width: 100%; display: table; } figure svg { max-width: 100%; height: auto; display: block; }
        figcaption { display: table-caption; caption-side: bottom; font-size: 12px; color: #555; margin-top: 2px; }
        .table { overflow-x: auto; max-height: 640px; overflow-y: auto; }
        table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
        caption { text-align: left; font-size: 13px; color: #555; padding-bottom: 4px; }
        th, td { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; white-space: nowrap; }
        th { background: #f5f5f5; position: sticky; top: 0; } .num { text-align: right; font-variant-numeric: tabular-nums; }
        </style>
        </head>
        <body>
        <h1>\(HTMLPage.escape(title))</h1>
        \(nav)\(body)</body>
        </html>

        """
    }
}
