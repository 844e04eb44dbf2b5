import Foundation
import Testing
@testable import CofferSupport

/// The HTML/SVG report toolkit: escaping, self-containment, chart structure.
@Suite struct HTMLReportTests {
    static let hostile = "<script>alert('x')</script>&\"quoted\""

    @Test func escapingCoversMarkupQuotesAndControlCharacters() {
        #expect(HTML.escape(Self.hostile) == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;quoted&quot;")
        #expect(HTML.escape("a\u{07}b\u{1B}[2Jc\td\ne") == "ab[2Jc\td\ne")
        #expect(HTML.escape("Zoë — 東京") == "Zoë — 東京")
    }

    @Test func aDocumentIsSelfContainedAndEscapesEverything() {
        var page = HTMLDocument(title: Self.hostile, subtitle: Self.hostile)
        page.heading(Self.hostile, id: "x\"y")
        page.paragraph(Self.hostile)
        page.callout(Self.hostile, tone: .alert)
        page.list([Self.hostile])
        page.table(headers: [Self.hostile, "n"], rows: [[Self.hostile, "1"]], caption: Self.hostile, numericColumns: [1])
        page.table(headers: ["a"], rows: [], empty: "nothing here")
        page.keyValues([(Self.hostile, Self.hostile)])
        page.preformatted("+ added \(Self.hostile)\n- removed\n  same", diff: true)
        page.chart(SVGChart.verticalBars(title: Self.hostile, labels: [Self.hostile], values: [3], xAxisLabel: Self.hostile, yAxisLabel: Self.hostile))
        let html = page.render()
        #expect(!html.contains("<script"))
        #expect(!html.contains("alert('x')"))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<style>") && html.contains("<meta charset=\"utf-8\">"))
        // No external resources: the only URL is the SVG namespace.
        #expect(html.components(separatedBy: "http://").count == 2 && html.contains("http://www.w3.org/2000/svg"))
        #expect(!html.contains("https://") && !html.contains("src="))
        #expect(html.contains("<span class=\"add\">+ added &lt;script&gt;"))
        #expect(html.contains("<span class=\"del\">- removed</span>"))
        #expect(html.contains("<td class=\"num\">1</td>"))
        #expect(html.contains("nothing here"))
        #expect(html.contains("id=\"x&quot;y\""))
    }

    @Test func verticalBarsHaveATitleAxesAndATooltipPerBar() {
        let chart = SVGChart.verticalBars(title: "Reads", labels: ["mon", "tue", "wed"], values: [1, 20, 7],
                                          xAxisLabel: "day", yAxisLabel: "reads")
        #expect(chart.svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(chart.svg.contains("<title>Reads</title>"))
        #expect(chart.svg.contains(">day</text>") && chart.svg.contains(">reads</text>"))
        #expect(chart.svg.components(separatedBy: "<rect").count - 1 == 3)
        for tooltip in ["mon: 1", "tue: 20", "wed: 7"] { #expect(chart.svg.contains("<title>\(tooltip)</title>")) }
        // The axis tops out at a round number at or above the maximum (20 -> 20, ticks every 4).
        #expect(chart.svg.contains(">20</text>") && chart.svg.contains(">16</text>"))
    }

    @Test func horizontalBarsRankAndLabelEachBar() {
        let chart = SVGChart.horizontalBars(title: "Top actors", labels: ["ana", "<b>bob</b>"], values: [120, 45], valueAxisLabel: "customers read")
        #expect(chart.svg.contains("<title>ana: 120</title>"))
        #expect(chart.svg.contains("&lt;b&gt;bob&lt;/b&gt;") && !chart.svg.contains("<b>"))
        #expect(chart.svg.contains(">customers read</text>"))
    }

    @Test func histogramBinsCountEveryValueOnce() {
        let bins = SVGChart.bins(of: [0, 0.05, 0.5, 0.99, 1.0, .nan], count: 10, range: 0...1)
        #expect(bins.count == 10)
        #expect(bins.map(\.count) == [2, 0, 0, 0, 0, 1, 0, 0, 0, 2])
        #expect(bins[0].lower == 0 && bins[9].upper == 1)
        let chart = SVGChart.histogram(title: "Scores", bins: bins, xAxisLabel: "score")
        #expect(chart.svg.components(separatedBy: "<rect").count - 1 == 10)
        #expect(chart.svg.contains("<title>0–0.1: 2</title>"))
        let labelled = SVGChart.histogram(title: "Sizes", bins: [SVGChart.Bin(lower: 1, upper: 10, count: 4, label: "1-9")], xAxisLabel: "size")
        #expect(labelled.svg.contains("<title>1-9: 4</title>"))
    }

    @Test func multiSeriesChartsHaveALegendAndStackOrConnect() {
        let series = [SVGChart.Series(name: "analyst", values: [1, 2, 3]), SVGChart.Series(name: "sales", values: [4, 0, 6])]
        let stacked = SVGChart.series(title: "Reads per day by role", categories: ["d1", "d2", "d3"], series: series,
                                      style: .stackedBars, xAxisLabel: "day", yAxisLabel: "reads")
        // Five non-zero segments, plus two legend swatches.
        #expect(stacked.svg.components(separatedBy: "<rect").count - 1 == 7)
        #expect(stacked.svg.contains("<title>sales, d3: 6</title>"))
        #expect(stacked.svg.contains(">analyst</text>") && stacked.svg.contains(">sales</text>"))
        // Stacked maximum is 9 -> axis to 10.
        #expect(stacked.svg.contains(">10</text>"))
        let lines = SVGChart.series(title: "Lines", categories: ["d1", "d2", "d3"], series: series, xAxisLabel: "day", yAxisLabel: "reads")
        #expect(lines.svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(lines.svg.components(separatedBy: "<circle").count - 1 == 6)
    }

    @Test func emptyChartsSaySo() {
        #expect(SVGChart.verticalBars(title: "T", labels: [], values: [], xAxisLabel: "x", yAxisLabel: "y").svg.contains("no data in this period"))
        #expect(SVGChart.series(title: "T", categories: [], series: [], xAxisLabel: "x", yAxisLabel: "y").svg.contains("no data"))
        #expect(SVGChart.bins(of: [], count: 5).isEmpty)
    }

    @Test func numbersAndAxesAreRound() {
        #expect(SVGChart.niceMaximum(0) == 1)
        #expect(SVGChart.niceMaximum(7) == 10)
        #expect(SVGChart.niceMaximum(20) == 20)
        #expect(SVGChart.niceMaximum(21) == 50)
        #expect(SVGChart.niceMaximum(0.3) == 0.5)
        #expect(SVGChart.format(12) == "12")
        #expect(SVGChart.format(0.125) == "0.13")
        #expect(SVGChart.format(250_000) == "250k")
        #expect(SVGChart.format(12_500_000) == "12.5M")
    }
}
