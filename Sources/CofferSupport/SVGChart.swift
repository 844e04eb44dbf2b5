/// Inline SVG charts for `HTMLDocument`: vertical and horizontal bars, histograms, and
/// multi-series charts over categories (e.g. days) as lines or stacked bars.
///
/// Every chart has a title, labelled axes and a `<title>` tooltip on each mark; every label
/// is escaped. No scripts and no external resources, so the page stays self-contained.
///
/// ```swift
/// let chart = SVGChart.verticalBars(title: "Denials per day", labels: days, values: counts,
///                                   xAxisLabel: "day (UTC)", yAxisLabel: "denied attempts")
/// page.chart(chart)
/// ```
public struct SVGChart: Sendable, Equatable {
    /// The `<svg>` element.
    public let svg: String

    /// One named series of a multi-series chart: one value per category.
    public struct Series: Sendable, Equatable {
        public var name: String
        public var values: [Double]
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    /// One histogram bin: values in `lower..<upper` (the last bin includes `upper`).
    public struct Bin: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        /// Shown under the bar; defaults to "lower–upper".
        public var label: String?
        public init(lower: Double, upper: Double, count: Int, label: String? = nil) {
            self.lower = lower
            self.upper = upper
            self.count = count
            self.label = label
        }
    }

    /// How `series` draws several series.
    public enum Style: Sendable {
        /// One polyline per series, with a dot per point.
        case lines
        /// One bar per category, the series stacked in order.
        case stackedBars
    }

    /// Colours assigned to series and bars in order.
    public static let palette = ["#4a78c2", "#e07b39", "#2e8b57", "#c0392b", "#8e6cc0", "#d19a00", "#3aa6a6", "#7a8293"]

    // MARK: - Charts

    /// One vertical bar per label.
    public static func verticalBars(title: String, labels: [String], values: [Double], xAxisLabel: String, yAxisLabel: String,
                                    width: Int = 720, height: Int = 320, color: String = palette[0]) -> SVGChart {
        let n = min(labels.count, values.count)
        var canvas = Canvas(title: title, width: width, height: height, xAxisLabel: xAxisLabel, yAxisLabel: yAxisLabel)
        guard n > 0 else { return canvas.empty() }
        let scale = canvas.valueAxis(maximum: values.prefix(n).max() ?? 0)
        let band = canvas.plotWidth / Double(n)
        for i in 0..<n {
            let h = scale(values[i])
            canvas.rect(x: canvas.left + band * Double(i) + band * 0.1, y: canvas.bottom - h, width: band * 0.8, height: h,
                        color: color, tooltip: "\(labels[i]): \(format(values[i]))")
        }
        canvas.categoryLabels(labels.prefix(n).map { $0 }, band: band)
        return canvas.finish()
    }

    /// One horizontal bar per label, top to bottom (good for rankings with long names).
    public static func horizontalBars(title: String, labels: [String], values: [Double], valueAxisLabel: String,
                                      width: Int = 720, color: String = palette[0]) -> SVGChart {
        let n = min(labels.count, values.count)
        let labelWidth = min(240, 16 + 7 * (labels.prefix(n).map(\.count).max() ?? 4))
        var canvas = Canvas(title: title, width: width, height: 90 + 24 * max(1, n), xAxisLabel: valueAxisLabel, yAxisLabel: nil,
                            left: Double(labelWidth))
        guard n > 0 else { return canvas.empty() }
        let maximum = niceMaximum(values.prefix(n).max() ?? 0)
        let band = canvas.plotHeight / Double(n)
        for tick in ticks(upTo: maximum) {
            let x = canvas.left + canvas.plotWidth * tick / maximum
            canvas.line(x1: x, y1: canvas.top, x2: x, y2: canvas.bottom, color: "#e3e6ec")
            canvas.text(format(tick), x: x, y: canvas.bottom + 16, anchor: "middle", size: 11)
        }
        canvas.line(x1: canvas.left, y1: canvas.top, x2: canvas.left, y2: canvas.bottom, color: "#5a6272")
        for i in 0..<n {
            let y = canvas.top + band * Double(i)
            let w = maximum > 0 ? canvas.plotWidth * max(0, values[i]) / maximum : 0
            canvas.rect(x: canvas.left, y: y + band * 0.15, width: w, height: band * 0.7, color: color,
                        tooltip: "\(labels[i]): \(format(values[i]))")
            canvas.text(clip(labels[i], 32), x: canvas.left - 6, y: y + band / 2 + 4, anchor: "end", size: 12)
            canvas.text(format(values[i]), x: canvas.left + w + 4, y: y + band / 2 + 4, anchor: "start", size: 11)
        }
        return canvas.finish()
    }

    /// A histogram of pre-computed bins (see `bins(of:count:)`), bars touching.
    public static func histogram(title: String, bins: [Bin], xAxisLabel: String, yAxisLabel: String = "count",
                                 width: Int = 720, height: Int = 320, color: String = palette[0]) -> SVGChart {
        var canvas = Canvas(title: title, width: width, height: height, xAxisLabel: xAxisLabel, yAxisLabel: yAxisLabel)
        guard !bins.isEmpty else { return canvas.empty() }
        let scale = canvas.valueAxis(maximum: Double(bins.map(\.count).max() ?? 0))
        let band = canvas.plotWidth / Double(bins.count)
        let labels = bins.map { $0.label ?? "\(format($0.lower))–\(format($0.upper))" }
        for (i, bin) in bins.enumerated() {
            let h = scale(Double(bin.count))
            canvas.rect(x: canvas.left + band * Double(i) + 0.5, y: canvas.bottom - h, width: max(0, band - 1), height: h,
                        color: color, tooltip: "\(labels[i]): \(bin.count)")
        }
        canvas.categoryLabels(labels, band: band)
        return canvas.finish()
    }

    /// Several series over the same categories (e.g. one series per role over days), with a legend.
    public static func series(title: String, categories: [String], series: [Series], style: Style = .lines,
                              xAxisLabel: String, yAxisLabel: String, width: Int = 720, height: Int = 340) -> SVGChart {
        var canvas = Canvas(title: title, width: width, height: height, xAxisLabel: xAxisLabel, yAxisLabel: yAxisLabel,
                            legendRows: (series.count + 3) / 4)
        let n = categories.count
        guard n > 0, !series.isEmpty else { return canvas.empty() }
        func value(_ s: Int, _ i: Int) -> Double { i < series[s].values.count ? max(0, series[s].values[i]) : 0 }
        let maximum: Double
        switch style {
        case .lines: maximum = series.indices.flatMap { s in (0..<n).map { value(s, $0) } }.max() ?? 0
        case .stackedBars: maximum = (0..<n).map { i in series.indices.reduce(0) { $0 + value($1, i) } }.max() ?? 0
        }
        let scale = canvas.valueAxis(maximum: maximum)
        let band = canvas.plotWidth / Double(n)
        switch style {
        case .lines:
            for s in series.indices {
                let color = palette[s % palette.count]
                let points = (0..<n).map { i in (canvas.left + band * (Double(i) + 0.5), canvas.bottom - scale(value(s, i))) }
                canvas.polyline(points, color: color)
                for (i, point) in points.enumerated() {
                    canvas.dot(x: point.0, y: point.1, color: color, tooltip: "\(series[s].name), \(categories[i]): \(format(value(s, i)))")
                }
            }
        case .stackedBars:
            for i in 0..<n {
                var base = canvas.bottom
                for s in series.indices where value(s, i) > 0 {
                    let h = scale(value(s, i))
                    canvas.rect(x: canvas.left + band * Double(i) + band * 0.1, y: base - h, width: band * 0.8, height: h,
                                color: palette[s % palette.count], tooltip: "\(series[s].name), \(categories[i]): \(format(value(s, i)))")
                    base -= h
                }
            }
        }
        canvas.categoryLabels(categories, band: band)
        canvas.legend(series.map(\.name))
        return canvas.finish()
    }

    /// `count` equal-width bins over `range` (default: the values' minimum to maximum).
    public static func bins(of values: [Double], count: Int, range: ClosedRange<Double>? = nil) -> [Bin] {
        let finite = values.filter(\.isFinite)
        guard count > 0, let lo = range?.lowerBound ?? finite.min(), let hi = range?.upperBound ?? finite.max() else { return [] }
        let width = hi > lo ? (hi - lo) / Double(count) : 1
        var bins = (0..<count).map { Bin(lower: lo + width * Double($0), upper: lo + width * Double($0 + 1), count: 0) }
        for value in finite where value >= lo && value <= hi {
            bins[min(count - 1, Int((value - lo) / width))].count += 1
        }
        return bins
    }

    // MARK: - Number formatting and axes

    /// Integers as integers, other values with up to two decimals; thousands as k, millions as M.
    package static func format(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        let magnitude = abs(value)
        if magnitude >= 10_000_000 { return trimmed(value / 1_000_000) + "M" }
        if magnitude >= 100_000 { return trimmed(value / 1_000) + "k" }
        return trimmed(value)
    }

    private static func trimmed(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(Double(Int64((value * 100).rounded())) / 100)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }

    /// The smallest 1, 2 or 5 × 10^k at or above `value` (1 for zero or less).
    static func niceMaximum(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        var power = 1.0
        while power * 10 <= value { power *= 10 }
        while power > value { power /= 10 }
        for factor in [1.0, 2, 5, 10] where power * factor >= value { return power * factor }
        return power * 10
    }

    /// Five ticks from 0 to `maximum` inclusive.
    static func ticks(upTo maximum: Double) -> [Double] {
        (0...5).map { maximum * Double($0) / 5 }
    }

    private static func clip(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }

    private static func number(_ value: Double) -> String {
        String(Double(Int((value * 10).rounded())) / 10)
    }

    /// Accumulates SVG elements for one chart.
    private struct Canvas {
        let title: String
        let width: Double, height: Double
        let left: Double, top: Double, right: Double, bottom: Double
        let xAxisLabel: String
        let yAxisLabel: String?
        var parts: [String] = []

        var plotWidth: Double { right - left }
        var plotHeight: Double { bottom - top }

        init(title: String, width: Int, height: Int, xAxisLabel: String, yAxisLabel: String?, left: Double = 70, legendRows: Int = 0) {
            self.title = title
            self.width = Double(width)
            self.height = Double(height)
            self.xAxisLabel = xAxisLabel
            self.yAxisLabel = yAxisLabel
            self.left = left
            top = 40 + Double(legendRows) * 18
            right = Double(width) - 20
            bottom = Double(height) - 70
            parts.append("<title>\(HTML.escape(title))</title>")
            parts.append("<text x=\"\(number(Double(width) / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"600\">\(HTML.escape(title))</text>")
        }

        /// Draws the value axis (left) with gridlines and returns value -> pixel height.
        mutating func valueAxis(maximum: Double) -> (Double) -> Double {
            let top = niceMaximum(maximum)
            for tick in ticks(upTo: top) {
                let y = bottom - plotHeight * tick / top
                line(x1: left, y1: y, x2: right, y2: y, color: tick == 0 ? "#5a6272" : "#e3e6ec")
                text(format(tick), x: left - 6, y: y + 4, anchor: "end", size: 11)
            }
            line(x1: left, y1: self.top, x2: left, y2: bottom, color: "#5a6272")
            let height = plotHeight
            return { value in height * max(0, min(value, top)) / top }
        }

        /// Labels under category bands; thinned to at most about 24, rotated when crowded.
        mutating func categoryLabels(_ labels: [String], band: Double) {
            let step = max(1, (labels.count + 23) / 24)
            let rotate = labels.count > 8 || (labels.map(\.count).max() ?? 0) * 7 > Int(band * Double(step))
            for (i, label) in labels.enumerated() where i % step == 0 {
                let x = left + band * (Double(i) + 0.5)
                let y = bottom + 14
                let shown = HTML.escape(clip(label, 18))
                if rotate {
                    parts.append("<text x=\"\(number(x))\" y=\"\(number(y))\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-40 \(number(x)) \(number(y)))\">\(shown)</text>")
                } else {
                    parts.append("<text x=\"\(number(x))\" y=\"\(number(y))\" font-size=\"11\" text-anchor=\"middle\">\(shown)</text>")
                }
            }
        }

        mutating func legend(_ names: [String]) {
            for (i, name) in names.enumerated() {
                let x = left + Double(i % 4) * (plotWidth / 4)
                let y = 34 + Double(i / 4) * 18
                parts.append("<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"12\" height=\"12\" fill=\"\(palette[i % palette.count])\"><title>\(HTML.escape(name))</title></rect>")
                text(clip(name, 24), x: x + 16, y: y + 10, anchor: "start", size: 12)
            }
        }

        mutating func rect(x: Double, y: Double, width: Double, height: Double, color: String, tooltip: String) {
            parts.append("<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(max(0, width)))\" height=\"\(number(max(0, height)))\" fill=\"\(color)\"><title>\(HTML.escape(tooltip))</title></rect>")
        }

        mutating func dot(x: Double, y: Double, color: String, tooltip: String) {
            parts.append("<circle cx=\"\(number(x))\" cy=\"\(number(y))\" r=\"3\" fill=\"\(color)\"><title>\(HTML.escape(tooltip))</title></circle>")
        }

        mutating func polyline(_ points: [(Double, Double)], color: String) {
            let list = points.map { "\(number($0.0)),\(number($0.1))" }.joined(separator: " ")
            parts.append("<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>")
        }

        mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, color: String) {
            parts.append("<line x1=\"\(number(x1))\" y1=\"\(number(y1))\" x2=\"\(number(x2))\" y2=\"\(number(y2))\" stroke=\"\(color)\" stroke-width=\"1\"/>")
        }

        mutating func text(_ value: String, x: Double, y: Double, anchor: String, size: Int) {
            parts.append("<text x=\"\(number(x))\" y=\"\(number(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\">\(HTML.escape(value))</text>")
        }

        /// A chart without data still says what it is.
        mutating func empty() -> SVGChart {
            text("no data in this period", x: width / 2, y: height / 2, anchor: "middle", size: 13)
            return finish()
        }

        mutating func finish() -> SVGChart {
            text(xAxisLabel, x: left + plotWidth / 2, y: height - 8, anchor: "middle", size: 12)
            if let yAxisLabel {
                let y = top + plotHeight / 2
                parts.append("<text x=\"16\" y=\"\(number(y))\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 16 \(number(y)))\">\(HTML.escape(yAxisLabel))</text>")
            }
            let header = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
            return SVGChart(svg: header + parts.joined() + "</svg>")
        }
    }
}
