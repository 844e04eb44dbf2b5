import Coffer
import Foundation
import Testing

/// What an auditor types, through the real binary: review periods in everyday words, and the
/// audit log newest first with filters.
@Suite(.serialized) struct AuditorCLITests {
    static func utcDay(_ offset: Int = 0) -> CivilDate { CivilDate.today.adding(days: offset) }

    @Test func reviewPeriodsInEverydayWords() throws {
        let (cli, _, auditor, _) = try CLI.withAuditorAndAnalyst()
        cli.environment["COFFER_TOKEN"] = auditor
        let today = Self.utcDay().iso8601
        // The README's example, as written.
        let readme = try cli.run(["review", "export", "--from", "TODAY", "--to", "TODAY", "--out", "p-today"])
        #expect(readme.status == 0, "\(readme.stderr)")
        #expect(readme.stdout.hasPrefix("review package for \(today) to \(today) written to p-today"))
        let yesterday = try cli.run(["review", "export", "--from", "yesterday", "--to", "today", "--out", "p-two", "--json"])
        #expect(yesterday.status == 0, "\(yesterday.stderr)")
        // Last month, whole: from its first to its last day.
        let lastMonth = Self.utcDay().adding(months: -1)
        let month = String(lastMonth.iso8601.prefix(7))
        let monthly = try cli.run(["review", "export", "--month", month, "--out", "p-month"])
        #expect(monthly.status == 0, "\(monthly.stderr)")
        let days = CivilDate.daysInMonth(year: lastMonth.year, month: lastMonth.month)
        #expect(monthly.stdout.hasPrefix("review package for \(month)-01 to \(month)-\(days) written to p-month"))
        // YYYY-MM as --from and --to: the first day of one, the last of the other.
        let spanned = try cli.run(["review", "export", "--from", month, "--to", month, "--out", "p-span"])
        #expect(spanned.stdout.hasPrefix("review package for \(month)-01 to \(month)-\(days)"), "\(spanned.stderr)")

        // Refusals: one line naming the flag, nothing written.
        let thisMonth = String(today.prefix(7))
        let endOfMonth = CivilDate(year: Self.utcDay().year, month: Self.utcDay().month,
                                   day: CivilDate.daysInMonth(year: Self.utcDay().year, month: Self.utcDay().month))
        var refusals: [([String], Int32, String)] = [
            (["--from", "today", "--to", Self.utcDay(1).iso8601], 1,
             "coffer: error: the period ends on \(Self.utcDay(1)), after today (\(today), UTC): it has not ended, so its package would be incomplete; end it today or earlier (a period ending today covers the log up to the export)\n"),
            (["--month", month, "--from", "today"], 64, "coffer: error: give either --month or --from and --to, not both\n"),
            (["--month", month, "--to", "today"], 64, "coffer: error: give either --month or --from and --to, not both\n"),
            (["--from", "today"], 64, "coffer: error: --from needs --to too (or give --month instead)\n"),
            (["--to", "today"], 64, "coffer: error: --to needs --from too (or give --month instead)\n"),
            ([], 64, "coffer: error: give the period: --month, or --from and --to\n"),
            (["--month", "2026-1"], 1, "coffer: error: --month '2026-1' is not a month; use YYYY-MM, e.g. 2026-01\n"),
            (["--month", "2026-13"], 1, "coffer: error: --month '2026-13' is not a month; use YYYY-MM, e.g. 2026-01\n"),
            (["--from", "tomorrow", "--to", "today"], 1,
             "coffer: error: --from 'tomorrow' is not a day; use today, yesterday, YYYY-MM-DD or YYYY-MM (UTC), e.g. 2026-01-31\n"),
        ]
        if endOfMonth > Self.utcDay() {
            refusals.append((["--month", thisMonth], 1,
                             "coffer: error: the period ends on \(endOfMonth), after today (\(today), UTC): it has not ended, so its package would be incomplete; end it today or earlier (a period ending today covers the log up to the export)\n"))
        }
        let before = try FileManager.default.contentsOfDirectory(atPath: cli.directory).sorted()
        for (arguments, status, message) in refusals {
            let result = try cli.run(["review", "export"] + arguments + ["--out", "refused"])
            #expect(result.status == status, "\(arguments)")
            #expect(result.stderr == message, "\(arguments)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.directory).sorted() == before)
        let help = try cli.run(["review", "export", "--help"])
        #expect(help.stdout.contains("--month <YYYY-MM>") && help.stdout.contains("yesterday"))
    }

    @Test func theAuditLogIsNewestFirstWithLimitOutcomeAndTimesWithOrWithoutAZone() throws {
        let (cli, admin, _, analyst) = try CLI.withAuditorAndAnalyst()
        // A denied attempt (the analyst may not read the log) and a failed lookup.
        cli.environment["COFFER_TOKEN"] = analyst
        #expect(try cli.run(["audit", "log"]).status == 5)
        cli.environment["COFFER_TOKEN"] = admin
        #expect(try cli.run(["get", "CUS-NONE", "--purpose", "operations"]).status == 4)

        func entries(_ arguments: [String]) throws -> [[String: Any]] {
            let result = try cli.run(["audit", "log", "--json"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return try #require(try json(result) as? [[String: Any]])
        }
        func seqs(_ list: [[String: Any]]) -> [Int] { list.compactMap { $0["seq"] as? Int } }
        // init, two users added, the denial, the failed get: 5 entries; each query adds one.
        #expect(seqs(try entries([])) == [5, 4, 3, 2, 1])
        #expect(seqs(try entries(["--limit", "3"])) == [6, 5, 4])
        #expect(seqs(try entries(["--limit", "2", "--oldest-first"])) == [1, 2])
        let denied = try entries(["--outcome", "denied"])
        #expect(denied.count == 1 && denied[0]["actor"] as? String == "ana" && denied[0]["outcome"] as? String == "denied")
        #expect(try entries(["--outcome", "failed"]).map { $0["action"] as? String } == ["read"])
        let allowed = try entries(["--outcome", "allowed", "--limit", "50"])
        #expect(!allowed.isEmpty && allowed.allSatisfy { $0["outcome"] as? String == "ok" })

        // Times: without a zone (UTC assumed), with Z, with an offset, or a day.
        let hourAgo = Date().addingTimeInterval(-3_600)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let noZone = formatter.string(from: hourAgo)
        let total = try entries(["--limit", "1000"]).count
        #expect(try entries(["--since", noZone, "--limit", "1000"]).count == total + 1)
        #expect(try entries(["--since", noZone + "Z", "--limit", "1000"]).count == total + 2)
        // The same instant written in UTC+02:00 is two hours later on the clock.
        formatter.timeZone = TimeZone(secondsFromGMT: 7_200)
        #expect(try entries(["--since", formatter.string(from: hourAgo) + "+02:00", "--limit", "1000"]).count == total + 3)
        #expect(try entries(["--until", noZone]).isEmpty)
        #expect(try entries(["--since", "today", "--until", "today", "--limit", "1000"]).count == total + 5)
        #expect(try entries(["--since", "yesterday", "--until", "yesterday"]).isEmpty)

        for (arguments, message) in [
            (["--since", "2026-03-01 noon"], "coffer: error: --since '2026-03-01 noon' is not a time; use \(DateInput.timeForms)\n"),
            (["--until", "03/01/2026"], "coffer: error: --until '03/01/2026' is not a time; use \(DateInput.timeForms)\n"),
            (["--limit", "0"], "coffer: error: --limit 0 must be at least 1\n"),
        ] {
            let result = try cli.run(["audit", "log"] + arguments)
            #expect(result.status == 1 && result.stderr == message, "\(arguments): \(result.stderr)")
        }
        #expect(try cli.run(["audit", "log", "--outcome", "maybe"]).status == 64)
        let help = try cli.run(["audit", "log", "--help"])
        #expect(help.stdout.contains("newest first") && help.stdout.contains("no zone means UTC") && help.stdout.contains("--outcome"))
    }
}
