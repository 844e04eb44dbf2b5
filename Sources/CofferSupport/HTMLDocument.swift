/// A small toolkit for self-contained HTML reports: one file, inline CSS, no scripts, no
/// network. Review packages and qualification reports use it so that a reader needs nothing
/// but a browser, and so that every value placed in a page is escaped in one place.
///
/// ```swift
/// var page = HTMLDocument(title: "Quarterly review", subtitle: "2026-01-01 to 2026-03-31")
/// page.heading("Who read what")
/// page.paragraph("Reads per actor in the period.")
/// page.table(headers: ["actor", "reads"], rows: [["ana", "120"]], numericColumns: [1])
/// page.chart(SVGChart.horizontalBars(title: "Top actors", labels: ["ana"], values: [120], valueAxisLabel: "reads"))
/// let html = page.render()
/// ```
public enum HTML {
    /// Escapes `text` for element content and for quoted attribute values
    /// (`&`, `<`, `>`, `"` and `'`). Control characters other than tab and newline are dropped.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                if v < 0x20 || (0x7f...0x9f).contains(v) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// A self-contained HTML page, built top to bottom. Every method escapes the text it is
/// given; only `chart(_:)` inserts markup, and only markup `SVGChart` produced.
public struct HTMLDocument: Sendable {
    /// How a callout is emphasised.
    public enum Tone: String, Sendable {
        case info, ok, warning, alert
    }

    public let title: String
    private var body: [String] = []

    /// A page titled `title` (shown as the top heading too), with an optional subtitle line.
    public init(title: String, subtitle: String? = nil) {
        self.title = title
        body.append("<h1>\(HTML.escape(title))</h1>")
        if let subtitle { body.append("<p class=\"subtitle\">\(HTML.escape(subtitle))</p>") }
    }

    /// A section heading (`level` 2 to 4); `id` makes it a link target for `contents(_:)`.
    public mutating func heading(_ text: String, level: Int = 2, id: String? = nil) {
        let level = min(4, max(2, level))
        let anchor = id.map { " id=\"\(HTML.escape($0))\"" } ?? ""
        body.append("<h\(level)\(anchor)>\(HTML.escape(text))</h\(level)>")
    }

    /// A paragraph of plain text.
    public mutating func paragraph(_ text: String) {
        body.append("<p>\(HTML.escape(text))</p>")
    }

    /// A highlighted box, e.g. the overall verdict of a report.
    public mutating func callout(_ text: String, tone: Tone = .info) {
        body.append("<div class=\"callout \(tone.rawValue)\">\(HTML.escape(text))</div>")
    }

    /// A bulleted list.
    public mutating func list(_ items: [String]) {
        guard !items.isEmpty else { return }
        body.append("<ul>" + items.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>")
    }

    /// A table of links to headings given an `id` (a table of contents).
    public mutating func contents(_ entries: [(id: String, title: String)]) {
        guard !entries.isEmpty else { return }
        body.append("<nav><ol>" + entries.map { "<li><a href=\"#\(HTML.escape($0.id))\">\(HTML.escape($0.title))</a></li>" }.joined() + "</ol></nav>")
    }

    /// A table. Cells in `numericColumns` are right-aligned; an empty `rows` shows `empty`.
    public mutating func table(headers: [String], rows: [[String]], caption: String? = nil,
                               numericColumns: Set<Int> = [], empty: String = "none") {
        var html = "<table>"
        if let caption { html += "<caption>\(HTML.escape(caption))</caption>" }
        html += "<thead><tr>" + headers.enumerated().map { i, h in
            "<th\(numericColumns.contains(i) ? " class=\"num\"" : "")>\(HTML.escape(h))</th>"
        }.joined() + "</tr></thead><tbody>"
        if rows.isEmpty {
            html += "<tr><td colspan=\"\(max(1, headers.count))\" class=\"empty\">\(HTML.escape(empty))</td></tr>"
        }
        for row in rows {
            html += "<tr>" + row.enumerated().map { i, cell in
                "<td\(numericColumns.contains(i) ? " class=\"num\"" : "")>\(HTML.escape(cell))</td>"
            }.joined() + "</tr>"
        }
        body.append(html + "</tbody></table>")
    }

    /// Two columns of names and values (a record's properties).
    public mutating func keyValues(_ pairs: [(String, String)], caption: String? = nil) {
        var html = "<table class=\"kv\">"
        if let caption { html += "<caption>\(HTML.escape(caption))</caption>" }
        for (key, value) in pairs { html += "<tr><th>\(HTML.escape(key))</th><td>\(HTML.escape(value))</td></tr>" }
        body.append(html + "</table>")
    }

    /// Preformatted text. Lines starting with `+` or `-` are coloured when `diff` is true.
    public mutating func preformatted(_ text: String, diff: Bool = false) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let escaped = HTML.escape(String(line))
            guard diff else { return escaped }
            if line.hasPrefix("+") { return "<span class=\"add\">\(escaped)</span>" }
            if line.hasPrefix("-") { return "<span class=\"del\">\(escaped)</span>" }
            return escaped
        }
        body.append("<pre>" + lines.joined(separator: "\n") + "</pre>")
    }

    /// An SVG chart made by `SVGChart`.
    public mutating func chart(_ chart: SVGChart) {
        body.append("<figure>\(chart.svg)</figure>")
    }

    /// The complete page: doctype, charset, inline CSS, the body built so far.
    public func render() -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
        <title>\(HTML.escape(title))</title>
        <style>\(Self.css)</style>
        </head>
        <body>
        \(body.joined(separator: "\n"))
        </body>
        </html>

        """
    }

    static let css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1d2330;line-height:1.45}\
        h1{font-size:1.7em;margin-bottom:.1em}h2{margin-top:2em;border-bottom:2px solid #d8dde6;padding-bottom:.2em}h3{margin-top:1.4em}\
        .subtitle{color:#5a6272;margin-top:0}nav ol{columns:2}\
        table{border-collapse:collapse;margin:.8em 0;font-size:.92em;min-width:40%}caption{text-align:left;font-weight:600;padding:.3em 0}\
        th,td{border:1px solid #d8dde6;padding:.25em .6em;text-align:left;vertical-align:top}thead th{background:#eef1f6}\
        table.kv th{background:#f6f7fa;font-weight:600;white-space:nowrap}.num{text-align:right;font-variant-numeric:tabular-nums}\
        td.empty{color:#7a8293;font-style:italic}\
        .callout{padding:.7em 1em;border-left:5px solid #4a78c2;background:#eef3fb;margin:1em 0}\
        .callout.ok{border-color:#2e8b57;background:#edf7f1}.callout.warning{border-color:#d19a00;background:#fdf7e6}\
        .callout.alert{border-color:#c0392b;background:#fbeeee}\
        pre{background:#f6f7fa;padding:.7em;overflow-x:auto;font-size:.85em}.add{color:#1e7a3c}.del{color:#b3261e}\
        figure{margin:1em 0}svg{max-width:100%;height:auto;font-family:inherit}
        """
}
