import Coffer
import CofferSupport
import Foundation

/// The self-contained HTML report of a scoring run: score histogram, tier counts, conversion
/// by tier, the attributes most over-represented in the top tier, and data quality. Inline CSS
/// and SVG only: it opens in a browser without network. Holds aggregates only (cells under k
/// are left out by `ICPDiscovery`), never a customer row.
public enum ScoreReport {
    /// The self-contained HTML page (inline SVG, no scripts, no network) for one scoring run.
    public static func html(_ run: Qualifier.ScoreRun, generatedAt: Date = Date()) -> String {
        let model = run.qcl.model
        let qcl = run.qcl
        var page = HTMLDocument(title: "Qualification report: \(model.name) v\(model.version)",
                                subtitle: "Generated \(ISO8601DateFormatter().string(from: generatedAt)) by Coffer. Aggregates only; no customer is shown.")
        page.contents([("summary", "Summary"), ("scores", "Scores"), ("tiers", "Tiers"), ("conversion", "Conversion by tier"),
                       ("icp", "What the top tier has in common"), ("quality", "Data quality"), ("method", "How to read this")])

        page.heading("Summary", id: "summary")
        page.keyValues([
            ("Model", "\(model.name) version \(model.version)"),
            ("Model digest (SHA-256)", model.digest),
            ("Purpose", model.purpose),
            ("Customers scored", "\(run.customers)"),
            ("Scored at", qcl.scoredAtText),
            ("Rows in the QCL", "\(qcl.count)"),
            ("k-anonymity guard", "k = \(qcl.k): \(qcl.coarsened) rows coarsened, \(qcl.suppressed) suppressed"),
            ("Scores that are intervals", "\(run.quality.indeterminateScores) (a band straddles a rule's threshold)"),
            ("Customers missing some input", "\(run.quality.customersWithGaps)"),
        ])

        page.heading("Scores", id: "scores")
        let range = Qualifier.histogramRange(model)
        let width = (range.upperBound - range.lowerBound) / Double(run.histogram.count)
        let bins = run.histogram.enumerated().map { i, count in
            SVGChart.Bin(lower: range.lowerBound + Double(i) * width, upper: range.lowerBound + Double(i + 1) * width, count: count)
        }
        page.chart(.histogram(title: "Score distribution (the score that set each tier)", bins: bins, xAxisLabel: "score", yAxisLabel: "customers"))

        page.heading("Tiers", id: "tiers")
        // The same figures `coffer score` prints: scored per tier before the guard, and what the guard did.
        let tiers = qcl.tierGuard
        page.chart(.verticalBars(title: "Customers per tier (scored, before the k-anonymity guard)", labels: tiers.map(\.tier),
                                 values: tiers.map { Double($0.scored) }, xAxisLabel: "tier", yAxisLabel: "customers"))
        page.table(headers: ["tier", "scored", "coarsened", "suppressed", "in the QCL"], rows: tiers.map { t in
            [t.tier, "\(t.scored)", "\(t.coarsened)", "\(t.suppressed)", "\(t.rows)"]
        }, numericColumns: [1, 2, 3, 4])
        page.paragraph("The k-anonymity guard (\(qcl.guardExplanation)) coarsened \(qcl.coarsened) rows and suppressed \(qcl.suppressed).")

        page.heading("Conversion by tier", id: "conversion")
        if let calibration = run.calibration, calibration.won + calibration.lost > 0 {
            let tiers = calibration.tiers.filter { $0.customers > 0 }
            let charted = tiers.filter { !calibration.isSmall($0) }
            page.chart(.verticalBars(title: "Won / (won + lost) per tier, in % (tiers with at least \(calibration.minimumOutcomes) outcomes)", labels: charted.map(\.tier),
                                     values: charted.map { ($0.conversionRate ?? 0) * 100 }, xAxisLabel: "tier", yAxisLabel: "conversion %",
                                     color: SVGChart.palette[2]))
            page.table(headers: ["tier", "customers", "won", "lost", "conversion", "lift"], rows: tiers.map { t in
                [t.tier, "\(t.customers)", "\(t.won)", "\(t.lost)", calibration.isSmall(t) ? "small" : (calibration.conversion(t).map { percent($0) } ?? "–"),
                 calibration.lift(t).map { String(format: "%.2fx", $0) } ?? "–"]
            }, numericColumns: [1, 2, 3, 4, 5])
            if tiers.contains(where: calibration.isSmall) {
                page.paragraph("small: fewer than \(calibration.minimumOutcomes) customers with an outcome; no conversion or lift is shown for such a tier.")
            }
            page.paragraph("Baseline conversion \(calibration.baselineRate.map { percent($0) } ?? "–") over \(calibration.won + calibration.lost) customers with an outcome. ROC AUC \(calibration.auc.map { String(format: "%.3f", $0) } ?? "–") (0.5 = no better than chance). "
                           + (calibration.tiersSeparate() ? "Conversion falls from each tier to the next: the tiers separate winners from losers."
                                                          : "Conversion does not fall steadily from tier to tier: the tiers do not yet separate winners from losers; see coffer calibrate."))
        } else {
            page.callout("No won/lost outcomes are imported, so conversion cannot be shown. Import outcomes (coffer import outcomes) and run again.", tone: .warning)
        }

        page.heading("What the top tier has in common", id: "icp")
        if let discovery = run.discovery {
            let top = discovery.cells.prefix(12)
            page.chart(.horizontalBars(title: "Highest lift in \(discovery.segment) vs all customers", labels: top.map { "\($0.field) = \($0.value)" },
                                       values: top.map(\.lift), valueAxisLabel: "lift (share in segment / share overall)", color: SVGChart.palette[1]))
            page.table(headers: ["attribute", "value", "in segment", "share in segment", "share overall", "lift"], rows: top.map { c in
                [c.field, c.value, "\(c.support)", percent(c.segmentShare), percent(c.overallShare), String(format: "%.2f", c.lift)]
            }, numericColumns: [2, 3, 4, 5])
            page.paragraph("Only values held by at least \(discovery.k) customers in the segment and overall are shown.")
        }

        page.heading("Data quality", id: "quality")
        page.table(headers: ["criterion", "line", "matched", "not matched", "indeterminate", "missing", "invalid", "not scored"],
                   rows: run.quality.criteria.map { c in
                       [c.name, "\(c.line)", "\(c.matched)", "\(c.notMatched)", "\(c.indeterminate)", "\(c.missing)", "\(c.invalid)", "\(c.unscored)"]
                   }, numericColumns: [1, 2, 3, 4, 5, 6, 7])

        page.heading("How to read this", id: "method")
        page.list([
            "Scores are computed on what the analyst role sees: bands, months and pseudonyms, never names or contact details.",
            "When a band straddles a rule's threshold (an age band 30-39 against 'age 35 or more') the rule may or may not hold: the score is an interval, and the model's tier_by setting (\(model.tierBound.rawValue)) says which end sets the tier.",
            "A missing value is unknown, not 'no': it scores nothing, lowers completeness and confidence, and often sets the next action.",
            "Before the QCL is written, customers whose tier and identifying reason values are shared by fewer than \(qcl.k) customers have those values dropped; if they still stand out, they are left out.",
        ])
        return page.render()
    }

    static func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
}
