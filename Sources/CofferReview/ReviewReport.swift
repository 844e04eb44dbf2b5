import CofferSupport

/// `report.html`: the summary of a review package for a person who has never seen Coffer.
/// One self-contained page (inline CSS and SVG, no scripts), built with `HTMLDocument`.
enum ReviewReport {
    static func render(_ s: ReviewSummary, files: [String]) -> String {
        var page = HTMLDocument(title: "Security review: who accessed customer data, and why",
                                subtitle: "Period \(s.period.from) to \(s.period.to) (UTC, \(s.period.days) days) · vault \(s.vaultID.prefix(12)) · generated \(s.generatedAt) by \(s.generatedBy)")
        verdict(s, into: &page)
        page.paragraph("""
            Coffer is an encrypted customer vault: customer data is stored encrypted, each staff member has a role that \
            decides which fields they may see, and every access (allowed or denied) is written to a tamper-evident audit log. \
            This report summarises that log for the period, with the state of keys, users and the role policy. Customers appear \
            only as internal numbers, never by name or contact data. The files beside this report hold every audit entry \
            (events.jsonl, events.csv, events.ocsf.jsonl) and the figures below (summary.json); MANIFEST.json carries their \
            SHA-256 digests, signed with the vault's Ed25519 key.
            """)
        page.contents([("activity", "Activity"), ("denials", "Denied attempts"), ("anomalies", "Anomalies"),
                       ("sensitive", "Re-identifications, handoffs, exports, erasures"), ("bulk", "Bulk reads"), ("keys", "Keys"),
                       ("users", "Users"), ("policy", "Role policy"), ("chain", "Audit log integrity"), ("verify", "Checking this package")])
        activity(s, into: &page)
        denials(s, into: &page)
        anomalies(s, into: &page)
        sensitive(s, into: &page)
        bulk(s, into: &page)
        keys(s, into: &page)
        users(s, into: &page)
        policy(s, into: &page)
        chain(s, into: &page)
        page.heading("Checking this package", id: "verify")
        page.paragraph("Files: \(files.joined(separator: ", ")). To check that none was changed, removed or added, run (with the vault's public key, from `coffer audit public-key`):")
        page.preformatted("coffer review verify <this directory> --public-key review.pem")
        page.paragraph("It needs no access to the vault. Keep MANIFEST.json's checkpoint: `coffer audit verify --checkpoint` detects a later truncation or rewrite of the log up to entry \(s.auditChain.head.seq).")
        return page.render()
    }

    private static func verdict(_ s: ReviewSummary, into page: inout HTMLDocument) {
        if s.auditChain.intact {
            page.callout("Audit log intact: \(s.auditChain.entriesChecked) entries verified, chain head at entry \(s.auditChain.head.seq) (signed checkpoint included).", tone: .ok)
        } else {
            page.callout("Audit log verification FAILED.", tone: .alert)
        }
        var concerns: [String] = []
        if !s.anomalies.findings.isEmpty { concerns.append("\(s.anomalies.findings.count) anomal\(s.anomalies.findings.count == 1 ? "y" : "ies") to review") }
        if s.totals.denied > 0 { concerns.append("\(s.totals.denied) denied attempt\(s.totals.denied == 1 ? "" : "s")") }
        if !s.keys.overdue.isEmpty { concerns.append("keys needing rotation or re-wrap: \(s.keys.overdue.joined(separator: ", "))") }
        if !s.users.inactive.isEmpty { concerns.append("inactive users: \(s.users.inactive.joined(separator: ", "))") }
        if s.users.users.contains(where: { !$0.intact }) || !s.policy.alteredHistoryRows.isEmpty { concerns.append("access-control records edited outside coffer") }
        page.callout(concerns.isEmpty ? "Nothing needs attention in this period." : "Needs attention: " + concerns.joined(separator: "; ") + ".",
                     tone: s.anomalies.findings.isEmpty && concerns.isEmpty ? .ok : .warning)
        page.keyValues([("audit entries in the period", "\(s.totals.entries)"), ("allowed", "\(s.totals.ok)"), ("denied", "\(s.totals.denied)"),
                        ("failed", "\(s.totals.failed)"), ("customers read (summed over entries)", "\(s.totals.customersRead)"),
                        ("staff who acted", "\(s.totals.actors)")], caption: "The period at a glance")
    }

    private static func activity(_ s: ReviewSummary, into page: inout HTMLDocument) {
        page.heading("Activity", id: "activity")
        page.paragraph("\"Customers read\" counts the customers named by each allowed read (a lookup of one customer counts 1, an export of 10,000 counts 10,000).")
        let roles = Array(Set(s.days.flatMap { $0.customersReadByRole.keys })).sorted()
        page.chart(SVGChart.series(title: "Customers read per day, by role", categories: s.days.map(\.day),
                                   series: roles.map { role in SVGChart.Series(name: role, values: s.days.map { Double($0.customersReadByRole[role] ?? 0) }) },
                                   style: .stackedBars, xAxisLabel: "day (UTC)", yAxisLabel: "customers read"))
        let top = Array(s.byActor.prefix(15))
        page.chart(SVGChart.horizontalBars(title: "Top actors by customers read", labels: top.map { "\($0.actor) (\($0.role))" },
                                           values: top.map { Double($0.customersRead) }, valueAxisLabel: "customers read in the period"))
        page.table(headers: ["actor", "role", "entries", "reads", "customers read", "off-hours reads", "denied", "failed"],
                   rows: s.byActor.map { [$0.actor, $0.role, "\($0.entries)", "\($0.readEntries)", "\($0.customersRead)", "\($0.offHoursReads)", "\($0.denied)", "\($0.failed)"] },
                   caption: "By actor", numericColumns: [2, 3, 4, 5, 6, 7])
        for (caption, rows) in [("By role", s.byRole), ("By action", s.byAction), ("By purpose", s.byPurpose)] {
            page.table(headers: [String(caption.dropFirst(3)), "entries", "denied", "customers read"],
                       rows: rows.map { [$0.name, "\($0.entries)", "\($0.denied)", "\($0.customersRead)"] }, caption: caption, numericColumns: [1, 2, 3])
        }
    }

    private static func denials(_ s: ReviewSummary, into page: inout HTMLDocument) {
        page.heading("Denied attempts", id: "denials")
        page.paragraph("Requests the vault refused: an action the role does not allow, a missing purpose, a wrong or revoked token, a lookup by a field the role cannot see.")
        page.chart(SVGChart.verticalBars(title: "Denied attempts per day", labels: s.days.map(\.day), values: s.days.map { Double($0.denied) },
                                         xAxisLabel: "day (UTC)", yAxisLabel: "denied attempts", color: SVGChart.palette[3]))
        events(s.denials, caption: "Denied attempts", into: &page)
    }

    private static func anomalies(_ s: ReviewSummary, into page: inout HTMLDocument) {
        page.heading("Anomalies", id: "anomalies")
        page.paragraph("Rules applied (thresholds are in summary.json under settings):")
        page.list(s.anomalies.rules.map { "\($0.id): \($0.description)" })
        if s.anomalies.findings.isEmpty {
            page.callout("No rule fired in this period.", tone: .ok)
        }
        page.table(headers: ["rule", "actor", "role", "when", "value", "threshold", "explanation", "entries"],
                   rows: s.anomalies.findings.map { f in
                       [f.rule, f.actor, f.role, f.when, SVGChart.format(f.value), SVGChart.format(f.threshold), f.explanation,
                        f.samples.map { "#\($0.seq)" }.joined(separator: " ")]
                   }, caption: "Findings" + (s.anomalies.truncated ? " (first \(s.anomalies.findings.count))" : ""), numericColumns: [4, 5])
        if !s.anomalies.unbaselined.isEmpty {
            page.paragraph("Not compared: these actors have no earlier reads in the baseline and no role peers, so the read-volume rule has nothing to measure them against. Their largest day is shown; check it against their job.")
            page.table(headers: ["actor", "role", "day", "distinct customers read"],
                       rows: s.anomalies.unbaselined.map { [$0.actor, $0.role, $0.day, "\($0.customers)"] },
                       caption: "Unbaselined readers", numericColumns: [3])
        }
    }

    private static func sensitive(_ s: ReviewSummary, into page: inout HTMLDocument) {
        page.heading("Re-identifications, handoffs, exports, erasures", id: "sensitive")
        page.paragraph("Re-identification turns pseudonyms back into customer references; a handoff passes a qualified list to sales; exports write many customers' data to a file; erasures destroy a customer's data key for good.")
        events(s.reidentifications, caption: "Re-identifications", into: &page)
        events(s.handoffs, caption: "Handoffs", into: &page)
        events(s.exports, caption: "Exports", into: &page)
        events(s.erasures, caption: "Erasures", into: &page)
    }

    private static func bulk(_ s: ReviewSummary, into page: inout HTMLDocument) {
        page.heading("Bulk reads", id: "bulk")
        page.paragraph("\(s.bulkReads.count) reads named at least \(s.bulkReads.minimumCustomers) customers each (\(s.bulkReads.customers) customers in total).")
        page.chart(SVGChart.histogram(title: "Reads by number of customers", bins: s.bulkReads.sizeHistogram.map {
            SVGChart.Bin(lower: Double($0.lower), upper: Double($0.upper ?? $0.lower), count: $0.entries, label: $0.label)
        }, xAxisLabel: "customers named by one read", yAxisLabel: "reads"))
        eventTable(s.bulkReads.largest, caption: "Largest bulk reads", into: &page)
    }

    private static func keys(_ s: ReviewSummary, into page: inout HTMLDocument) {
        page.heading("Keys", id: "keys")
        page.paragraph("Customer data is encrypted with one data key per customer; key-encryption keys (KEK) wrap those data keys. A KEK should be rotated every \(s.keys.rotationPeriodDays) days; a superseded version should be emptied (re-wrap) and retired. \(s.keys.customers) customers in the vault.")
        if !s.keys.overdue.isEmpty { page.callout("Overdue: \(s.keys.overdue.joined(separator: ", ")).", tone: .warning) }
        page.table(headers: ["key", "version", "state", "created", "age (days)", "data keys wrapped", "customers covered", "note"],
                   rows: s.keys.keys.map { k in
                       [k.kind, "\(k.version)", k.state, k.createdAt, "\(k.ageDays)", k.uses.map(String.init) ?? "", k.customers.map(String.init) ?? "", k.note]
                   }, caption: "Key inventory", numericColumns: [1, 4, 5, 6])
        events(s.keys.events, caption: "Key operations in the period", into: &page)
    }

    private static func users(_ s: ReviewSummary, into page: inout HTMLDocument) {
        page.heading("Users", id: "users")
        page.paragraph("Privileged roles may \(s.users.privilegedActions.joined(separator: ", ")). Users with no audit entry in the \(s.users.inactiveDays) days before the end of the period are inactive: consider revoking them.")
        page.table(headers: ["user", "role", "created", "privileged", "last seen", "inactive", "revoked", "record intact"],
                   rows: s.users.users.map { u in
                       [u.name, u.role, u.createdAt, u.privileged ? "yes" : "", u.lastSeen ?? "not in the scanned window", u.inactive ? "yes" : "",
                        u.revoked ? "yes" : "", u.intact ? "yes" : "NO: edited outside coffer"]
                   }, caption: "Users")
        events(s.users.roleChanges, caption: "Users added, re-roled or revoked in the period", into: &page)
    }

    private static func policy(_ s: ReviewSummary, into page: inout HTMLDocument) {
        page.heading("Role policy", id: "policy")
        page.paragraph("The role policy decides what each role may do and see. In force at export: digest \(s.policy.inForceDigest).")
        if !s.policy.alteredHistoryRows.isEmpty {
            page.callout("Policy history rows \(s.policy.alteredHistoryRows.map(String.init).joined(separator: ", ")) fail their MAC: edited outside coffer.", tone: .alert)
        }
        if s.policy.changes.isEmpty { page.paragraph("No policy change in the period.") }
        for change in s.policy.changes {
            page.heading("Entry #\(change.seq), \(change.time), by \(change.actor)", level: 3)
            page.keyValues([("before", change.oldDigest.isEmpty ? "(none)" : change.oldDigest), ("after", change.newDigest)])
            if !change.note.isEmpty { page.paragraph(change.note) }
            if !change.diff.isEmpty { page.preformatted(change.diff, diff: true) }
        }
    }

    private static func chain(_ s: ReviewSummary, into page: inout HTMLDocument) {
        let c = s.auditChain
        page.heading("Audit log integrity", id: "chain")
        page.paragraph("Each audit entry carries a MAC over its content and the previous entry's MAC, so an edited, deleted, inserted or reordered entry breaks the chain. The whole log was verified when this package was made.")
        page.keyValues([("verification", c.intact ? "intact" : "FAILED"), ("entries verified", "\(c.entriesChecked)"),
                        ("first entry in the period", c.firstInPeriod.map { "#\($0.seq) at \($0.time)" } ?? "none"),
                        ("last entry in the period", c.lastInPeriod.map { "#\($0.seq) at \($0.time)" } ?? "none"),
                        ("chain head (this export)", "#\(c.head.seq) at \(c.head.time)"), ("head MAC", c.checkpoint.mac),
                        ("checkpoint signature (Ed25519)", c.checkpoint.signature), ("signing public key", c.checkpoint.publicKey)],
                       caption: "Verification")
    }

    private static func events(_ list: ReviewSummary.EventList, caption: String, into page: inout HTMLDocument) {
        let suffix = list.truncated ? " (\(list.count), first \(list.listed.count) shown)" : " (\(list.count))"
        eventTable(list.listed, caption: caption + suffix, into: &page)
    }

    private static func eventTable(_ events: [ReviewEvent], caption: String, into page: inout HTMLDocument) {
        page.table(headers: ["entry", "time (UTC)", "actor", "role", "action", "purpose", "outcome", "customers", "detail"],
                   rows: events.map { e in
                       ["#\(e.seq)", e.time, e.actor, e.role, e.action.rawValue, e.purpose, e.outcome,
                        e.customerCount == 0 ? "" : e.customers.isEmpty || e.customerCount > 5 ? "\(e.customerCount)" : "\(e.customerCount): \(e.customers)",
                        e.detail]
                   }, caption: caption, numericColumns: [7])
    }
}
