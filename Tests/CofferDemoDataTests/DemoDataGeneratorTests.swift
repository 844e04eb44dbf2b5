import Coffer
import Foundation
import Testing
@testable import CofferDemoData

// MARK: - Helpers

/// All rows of one generation run.
private struct DemoSample: Sendable {
    var customers: [[String]] = []
    var orders: [[String]] = []
    var outcomes: [[String]] = []

    init(_ n: Int, seed: UInt64, asOf: CivilDate = CivilDate(year: 2026, month: 11, day: 1)) {
        var c: [[String]] = []
        var o: [[String]] = []
        var w: [[String]] = []
        DemoDataGenerator(customers: n, seed: seed, asOf: asOf).generate(
            customer: { c.append($0) }, order: { o.append($0) }, outcome: { w.append($0) }
        )
        customers = c
        orders = o
        outcomes = w
    }

    func column(_ name: String) -> [String] {
        let i = DemoDataGenerator.customerColumns.firstIndex(of: name)!
        return customers.map { $0[i] }
    }
}

private let defaultAsOf = CivilDate(year: 2026, month: 11, day: 1)
private let sample2000 = DemoSample(2000, seed: 20_261_101)
private let sample10k = DemoSample(10000, seed: 7)

private func col(_ name: String) -> Int { DemoDataGenerator.customerColumns.firstIndex(of: name)! }

/// First differing row (with both versions) so failures stay readable; nil when equal.
private func firstMismatch(_ a: [[String]], _ b: [[String]]) -> String? {
    for (i, (x, y)) in zip(a, b).enumerated() where x != y { return "row \(i): \(x) vs \(y)" }
    return a.count == b.count ? nil : "row counts \(a.count) vs \(b.count)"
}

// Independent re-implementations of the vault's validation rules.
private enum Check {
    static func trimmed(_ s: String) -> Substring {
        var sub = Substring(s)
        while let f = sub.first, f.isWhitespace { sub.removeFirst() }
        while let l = sub.last, l.isWhitespace { sub.removeLast() }
        return sub
    }

    static func email(_ s: String) -> Bool {
        let t = trimmed(s)
        guard !t.contains(where: \.isWhitespace) else { return false }
        let parts = t.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..")
    }

    static func phone(_ s: String) -> Bool {
        var body = Substring(s)
        if body.first == "+" { body.removeFirst() }
        var digits = 0
        for ch in body {
            if ch.isASCII && ch.isNumber {
                digits += 1
            } else if !" -.()".contains(ch) {
                return false
            }
        }
        return (7...15).contains(digits)
    }

    static func date(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 10, u[4] == 45, u[7] == 45 else { return false }
        for i in [0, 1, 2, 3, 5, 6, 8, 9] where !(48...57).contains(u[i]) { return false }
        let y = Int(s.prefix(4))!, m = Int(s.dropFirst(5).prefix(2))!, d = Int(s.suffix(2))!
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...12).contains(m) && d >= 1 && d <= dim[m - 1]
    }

    static func integer(_ s: String) -> Bool { !s.isEmpty && s.allSatisfy { $0.isASCII && $0.isNumber } }

    static func decimal(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, integer(String(parts[0])) else { return false }
        return parts.count == 1 || ((1...2).contains(parts[1].count) && integer(String(parts[1])))
    }

    static func bool(_ s: String) -> Bool { s == "true" || s == "false" }

    static func isHan(_ s: String) -> Bool { s.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) } }
    static func isKana(_ s: String) -> Bool { s.unicodeScalars.contains { (0x3040...0x30FF).contains($0.value) } }
    static func isCyrillic(_ s: String) -> Bool { s.unicodeScalars.contains { (0x0400...0x04FF).contains($0.value) } }
}

@Suite("DemoDataGenerator")
struct DemoDataGeneratorTests {
    // MARK: - Determinism

    @Test func sameSeedIsByteIdenticalAndSeedsDiffer() {
        let a = DemoSample(400, seed: 99)
        let b = DemoSample(400, seed: 99)
        #expect(firstMismatch(a.customers, b.customers) == nil)
        #expect(firstMismatch(a.orders, b.orders) == nil)
        #expect(firstMismatch(a.outcomes, b.outcomes) == nil)

        let c = DemoSample(400, seed: 100)
        #expect(a.customers != c.customers)
        let differing = zip(a.customers, c.customers).filter { $0.0.dropFirst() != $0.1.dropFirst() }.count
        #expect(differing > 390, "different seeds should change nearly every customer")

        let d = DemoSample(400, seed: 99, asOf: CivilDate(year: 2025, month: 3, day: 15))
        #expect(a.customers != d.customers)
    }

    @Test func customersDoNotDependOnRunLength() {
        let short = DemoSample(250, seed: 5)
        let long = DemoSample(700, seed: 5)
        #expect(firstMismatch(Array(long.customers.prefix(250)), short.customers) == nil)
        let refs = Set(short.customers.map { $0[0] })
        #expect(firstMismatch(long.orders.filter { refs.contains($0[0]) }, short.orders) == nil)
        #expect(firstMismatch(long.outcomes.filter { refs.contains($0[0]) }, short.outcomes) == nil)
    }

    @Test func zeroCustomersEmitsNothing() {
        let s = DemoSample(0, seed: 1)
        #expect(s.customers.isEmpty && s.orders.isEmpty && s.outcomes.isEmpty)
    }

    @Test func closureErrorsPropagate() {
        struct Stop: Error {}
        var seen = 0
        #expect(throws: Stop.self) {
            try DemoDataGenerator(customers: 100, seed: 1).generate(
                customer: { _ in
                    seen += 1
                    if seen == 3 { throw Stop() }
                },
                order: { _ in }, outcome: { _ in }
            )
        }
        #expect(seen == 3)
    }

    // MARK: - Shape and validation

    @Test func headersMatchSpec() {
        #expect(DemoDataGenerator.customerColumns == [
            "customer_ref", "full_name", "email", "phone", "street_address", "postal_code", "city", "country",
            "birth_date", "gender", "occupation", "annual_income", "homeowner", "company", "job_title",
            "company_size", "industry", "budget", "decision_maker", "need", "purchase_timeline_days",
            "website_visits_30d", "email_opens_30d", "last_activity", "competitor_contract_end",
            "payment_delays", "disputes", "consent_marketing", "lead_source", "notes",
        ])
        #expect(DemoDataGenerator.orderColumns == ["customer_ref", "order_date", "amount", "product_category"])
        #expect(DemoDataGenerator.outcomeColumns == ["customer_ref", "outcome", "closed_at"])
    }

    @Test func everyRowHasHeaderWidth() {
        let s = sample2000
        #expect(s.customers.allSatisfy { $0.count == DemoDataGenerator.customerColumns.count })
        #expect(s.orders.allSatisfy { $0.count == DemoDataGenerator.orderColumns.count })
        #expect(s.outcomes.allSatisfy { $0.count == DemoDataGenerator.outcomeColumns.count })
    }

    @Test(arguments: [
        (UInt64(20_261_101), CivilDate(year: 2026, month: 11, day: 1)),
        (UInt64(3), CivilDate(year: 2024, month: 2, day: 29)),
        (UInt64.max, CivilDate(year: 2031, month: 1, day: 1)),
    ])
    func everyCustomerRowPassesVaultValidation(seed: UInt64, asOf: CivilDate) {
        let s = seed == 20_261_101 ? sample2000 : DemoSample(3000, seed: seed, asOf: asOf)
        let kinds: [String: (String) -> Bool] = [
            "email": Check.email, "phone": Check.phone,
            "birth_date": Check.date, "last_activity": Check.date, "competitor_contract_end": Check.date,
            "annual_income": Check.decimal, "budget": Check.decimal,
            "company_size": Check.integer, "purchase_timeline_days": Check.integer, "website_visits_30d": Check.integer,
            "email_opens_30d": Check.integer, "payment_delays": Check.integer, "disputes": Check.integer,
            "homeowner": Check.bool, "decision_maker": Check.bool, "consent_marketing": Check.bool,
            "gender": { ["female", "male", "nonbinary", "undisclosed"].contains($0) },
            "need": { ["high", "medium", "low"].contains($0) },
            "lead_source": { ["web", "referral", "event", "partner", "outbound", "ads"].contains($0) },
            "country": { $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isUppercase } },
        ]
        var failures: [String] = []
        for row in s.customers {
            #expect(!row[col("customer_ref")].isEmpty && !row[col("full_name")].isEmpty)
            #expect(row[col("full_name")] == String(Check.trimmed(row[col("full_name")])))
            for (name, valid) in kinds {
                let value = row[col(name)]
                if !value.isEmpty && !valid(value) { failures.append("\(row[0]) \(name)=\(value.debugDescription)") }
            }
        }
        let failureCount = failures.count
        #expect(failureCount == 0, "first failures: \(failures.prefix(10))")
    }

    @Test func refsAreUniqueAndOrdersAndOutcomesReferenceThem() {
        let s = sample2000
        let refs = s.customers.map { $0[0] }
        #expect(Set(refs).count == refs.count)
        #expect(refs.first == "CUS-0000001" && refs.last == "CUS-0002000")
        let known = Set(refs)
        #expect(s.orders.allSatisfy { known.contains($0[0]) })
        #expect(s.outcomes.allSatisfy { known.contains($0[0]) })
        #expect(Set(s.outcomes.map { $0[0] }).count == s.outcomes.count, "at most one outcome per customer")
        #expect(s.outcomes.allSatisfy { $0[1] == "won" || $0[1] == "lost" })
        #expect(s.orders.allSatisfy { Check.date($0[1]) && Check.decimal($0[2]) && $0[2].split(separator: ".").last?.count == 2 })
        #expect(s.orders.allSatisfy { Double($0[2])! > 0 })
        #expect(s.orders.allSatisfy { DemoDataGenerator.productCategories.contains($0[3]) })
        #expect(s.outcomes.allSatisfy { Check.date($0[2]) })
    }

    @Test func emailsAreUniqueAfterVaultNormalization() {
        let emails = sample10k.column("email").filter { !$0.isEmpty }.map { Check.trimmed($0).lowercased() }
        #expect(Set(emails).count == emails.count)
        let tags = (0..<200_000).map { DemoDataGenerator.Tables.emailTag(index: $0, seed: 42) }
        #expect(Set(tags).count == tags.count)
        #expect(tags.prefix(90).allSatisfy { (10...99).contains($0) })
    }

    // MARK: - Dates

    @Test func datesRespectAsOf() {
        let s = sample2000
        let asOf = defaultAsOf
        let windowStart = asOf.adding(months: -18)
        func date(_ text: String) -> CivilDate { CivilDate(iso8601: text)! }
        var lastOrder: [String: CivilDate] = [:]
        var firstOrder: [String: CivilDate] = [:]
        for o in s.orders {
            let d = date(o[1])
            #expect(d <= asOf)
            #expect(d >= asOf.adding(months: -12 * 11))
            lastOrder[o[0]] = max(lastOrder[o[0]] ?? d, d)
            firstOrder[o[0]] = min(firstOrder[o[0]] ?? d, d)
        }
        for o in s.outcomes {
            let d = date(o[2])
            #expect(d <= asOf && d >= windowStart, "closed_at \(o[2]) outside the 18 months before asOf")
        }
        for row in s.customers {
            if !row[col("last_activity")].isEmpty {
                let d = date(row[col("last_activity")])
                #expect(d <= asOf)
                if let last = lastOrder[row[0]] { #expect(d >= last, "last_activity before the last order for \(row[0])") }
            }
            if !row[col("birth_date")].isEmpty {
                #expect(date(row[col("birth_date")]) <= asOf.adding(months: -12 * 18), "customers are adults")
            }
            if !row[col("competitor_contract_end")].isEmpty {
                let d = date(row[col("competitor_contract_end")])
                #expect(d >= asOf.adding(days: -365) && d <= asOf.adding(days: 730))
            }
        }
        // Orders are emitted in date order per customer.
        var previous: [String: String] = [:]
        for o in s.orders {
            #expect(o[1] >= previous[o[0], default: ""])
            previous[o[0]] = o[1]
        }
        #expect(s.customers.contains { $0[col("competitor_contract_end")] > asOf.iso8601 }, "some contracts end in the future")
    }

    // MARK: - Realism

    @Test func sampleContainsTheInterestingCases() {
        let s = sample2000
        let names = s.customers.map { ($0[col("country")], $0[col("full_name")]) }
        #expect(names.contains { $0.0 == "CN" && Check.isHan($0.1) && !Check.isKana($0.1) }, "a Chinese name")
        #expect(names.contains { $0.0 == "UA" && Check.isCyrillic($0.1) }, "a Ukrainian name")
        #expect(names.contains { $0.0 == "JP" && Check.isHan($0.1) }, "a Japanese name")
        #expect(s.customers.contains { $0[col("country")] == "UA" && Check.isCyrillic($0[col("city")]) })

        let notes = s.column("notes")
        #expect(notes.contains { $0.contains(",") && $0.contains("\"") && $0.contains("\n") }, "a note needing full CSV quoting")
        #expect(notes.contains { $0.split(separator: "\n").count >= 3 }, "a multi-line note")
        #expect(notes.contains { Check.isHan($0) || Check.isCyrillic($0) }, "a non-Latin note")
        #expect(notes.filter(\.isEmpty).count > 800, "notes are often empty")

        let emails = s.column("email").filter { !$0.isEmpty }
        #expect(emails.contains { $0 != String(Check.trimmed($0)) }, "an email with surrounding spaces")
        #expect(emails.contains { $0 != $0.lowercased() }, "a mixed-case email")
        #expect(emails.allSatisfy { Check.trimmed($0).allSatisfy(\.isASCII) }, "non-Latin names are transliterated")
        #expect(Set(emails.map { $0.split(separator: "@").last!.lowercased() }).count > 20, "many domains")

        let b2b = s.customers.filter { !$0[col("company")].isEmpty }
        let b2c = s.customers.filter { $0[col("company")].isEmpty && $0[col("job_title")].isEmpty && $0[col("company_size")].isEmpty }
        #expect(b2b.count > 500 && b2c.count > 500, "B2B and consumer contacts are mixed")
    }

    @Test func optionalValuesGoMissingAtRealisticRates() {
        let s = sample2000
        let n = Double(s.customers.count)
        for (i, name) in DemoDataGenerator.customerColumns.enumerated() {
            let missing = Double(s.customers.filter { $0[i].isEmpty }.count) / n
            if name == "customer_ref" || name == "full_name" {
                #expect(missing == 0, "\(name) is required")
            } else if ["company", "job_title", "company_size", "industry", "notes", "competitor_contract_end"].contains(name) {
                #expect(missing > 0.2 && missing < 0.75, "\(name) missing \(missing)")
            } else {
                #expect(missing >= 0.01 && missing <= 0.3, "\(name) missing \(missing)")
            }
        }
        let noEmail = s.column("email").filter(\.isEmpty).count
        let noPhone = s.column("phone").filter(\.isEmpty).count
        #expect(noEmail > 0 && noPhone > 0)
    }

    @Test func addressesAndPhonesMatchTheCountry() {
        let calling = [
            "US": "1", "CA": "1", "GB": "44", "DE": "49", "FR": "33", "ES": "34", "IT": "39", "NL": "31", "PL": "48",
            "UA": "380", "CN": "86", "JP": "81", "IN": "91", "BR": "55", "MX": "52", "AU": "61", "SE": "46", "IE": "353",
            "PT": "351", "KR": "82",
        ]
        // Postal shapes: 9 = digit, A = letter, other characters literal; GB/IE checked loosely.
        let postal = [
            "US": ["99999"], "DE": ["99999"], "FR": ["99999"], "ES": ["99999"], "IT": ["99999"], "UA": ["99999"],
            "MX": ["99999"], "KR": ["99999"], "CN": ["999999"], "IN": ["999999"], "AU": ["9999"], "JP": ["999-9999"],
            "BR": ["99999-999"], "PT": ["9999-999"], "PL": ["99-999"], "SE": ["999 99"], "NL": ["9999 AA"],
            "CA": ["A9A 9A9"], "GB": ["A9 9AA", "A99 9AA", "AA9 9AA", "AA99 9AA", "A9A 9AA", "AA9A 9AA"],
            "IE": ["A99 XXXX"],
        ]
        func shape(_ s: String) -> String {
            String(s.map { $0.isASCII && $0.isNumber ? "9" : ($0.isASCII && $0.isLetter ? "A" : $0) })
        }
        var countries = Set<String>()
        for row in sample10k.customers {
            let country = row[col("country")]
            guard !country.isEmpty else { continue }
            countries.insert(country)
            let phone = row[col("phone")]
            if phone.hasPrefix("+") {
                let digits = phone.filter { $0.isASCII && $0.isNumber }
                #expect(digits.hasPrefix(calling[country]!), "\(country) phone \(phone)")
            }
            let code = row[col("postal_code")]
            if !code.isEmpty, let shapes = postal[country] {
                let ok = country == "IE"
                    ? code.count == 8 && shape(String(code.prefix(3))) == "A99" && code.dropFirst(3).first == " "
                    : shapes.contains(shape(code))
                #expect(ok, "\(country) postal code \(code)")
            }
        }
        #expect(countries.count >= 20, "all locales appear: \(countries.sorted())")
    }

    // MARK: - Signal for scoring and value models

    @Test func decisionMakersWinMoreInTheSmallSample() {
        let s = sample2000
        let result = Dictionary(uniqueKeysWithValues: s.outcomes.map { ($0[0], $0[1] == "won") })
        let dm = col("decision_maker")
        func rate(_ value: String) -> Double {
            let outcomes = s.customers.filter { $0[dm] == value }.compactMap { result[$0[0]] }
            return Double(outcomes.filter { $0 }.count) / Double(max(1, outcomes.count))
        }
        #expect(rate("true") > rate("false"))
    }

    @Test func outcomesCarrySignal() {
        let s = sample10k
        let n = Double(s.customers.count)
        let result = Dictionary(uniqueKeysWithValues: s.outcomes.map { ($0[0], $0[1] == "won") })
        let withOutcome = Double(result.count) / n
        let wonShare = Double(result.values.filter { $0 }.count) / Double(result.count)
        #expect(withOutcome > 0.28 && withOutcome < 0.42, "outcome rate \(withOutcome)")
        #expect(wonShare > 0.22 && wonShare < 0.38, "won share \(wonShare)")

        func wonRate(_ column: String, _ value: String) -> Double {
            let i = col(column)
            let outcomes = s.customers.filter { $0[i] == value }.compactMap { result[$0[0]] }
            return Double(outcomes.filter { $0 }.count) / Double(max(1, outcomes.count))
        }
        #expect(wonRate("decision_maker", "true") > wonRate("decision_maker", "false") + 0.05)
        #expect(wonRate("need", "high") > wonRate("need", "low") + 0.15)
        #expect(wonRate("payment_delays", "0") > wonRate("payment_delays", "1"))
        let visits = col("website_visits_30d")
        let engaged = s.customers.filter { Int($0[visits]).map { $0 >= 5 } ?? false }.compactMap { result[$0[0]] }
        let idle = s.customers.filter { $0[visits] == "0" }.compactMap { result[$0[0]] }
        func share(_ wins: [Bool]) -> Double { Double(wins.filter { $0 }.count) / Double(max(1, wins.count)) }
        #expect(share(engaged) > share(idle) + 0.1, "engagement predicts winning")
    }

    @Test func orderHistoriesHaveAHeavyTail() {
        let s = sample10k
        var counts: [String: Int] = [:]
        var days: [String: [String]] = [:]
        for o in s.orders {
            counts[o[0], default: 0] += 1
            days[o[0], default: []].append(o[1])
        }
        let perCustomer = s.customers.map { counts[$0[0], default: 0] }
        #expect(perCustomer.filter { $0 == 0 }.count > 2000, "many leads never bought")
        #expect(perCustomer.filter { $0 == 1 }.count > 1500, "one-time buyers")
        #expect(perCustomer.filter { $0 >= 10 }.count > 100, "loyal repeat buyers")
        #expect(perCustomer.max()! <= 25)
        #expect(days.values.contains { Set($0).count < $0.count }, "same-day repeat orders")
        let churnCutoff = defaultAsOf.adding(months: -24).iso8601
        #expect(days.values.filter { $0.count >= 3 && $0.max()! < churnCutoff }.count > 50, "customers who churned long ago")
        let amounts = s.orders.map { Double($0[2])! }.sorted()
        #expect(amounts[amounts.count / 2] * 3 < amounts[amounts.count * 99 / 100], "spend is right-skewed")
    }

    // MARK: - CivilDate and math

    @Test func demoDateArithmetic() {
        #expect(CivilDate(year: 1970, month: 1, day: 1).daysSinceEpoch == 0)
        #expect(CivilDate(year: 2000, month: 3, day: 1).daysSinceEpoch == 11017)
        #expect(CivilDate(daysSinceEpoch: -1) == CivilDate(year: 1969, month: 12, day: 31))
        // Walk day by day across four centuries against a naive calendar.
        var d = CivilDate(year: 1899, month: 12, day: 31)
        var n = d.daysSinceEpoch
        for _ in 0..<(366 * 201) {
            n += 1
            var next = CivilDate(year: d.year, month: d.month, day: d.day + 1)
            if !next.isValid { next = CivilDate(year: d.year, month: d.month + 1, day: 1) }
            if !next.isValid { next = CivilDate(year: d.year + 1, month: 1, day: 1) }
            #expect(next.daysSinceEpoch == n)
            #expect(CivilDate(daysSinceEpoch: n) == next)
            d = next
            if n % 997 == 0 { #expect(CivilDate(iso8601: d.iso8601) == d) }
        }
        #expect(CivilDate(iso8601: "2024-02-29") == CivilDate(year: 2024, month: 2, day: 29))
        #expect(CivilDate(iso8601: "2023-02-29") == nil)
        #expect(CivilDate(iso8601: "2100-02-29") == nil)
        #expect(CivilDate(iso8601: "2024-2-29") == nil)
        #expect(CivilDate(iso8601: "2024-13-01") == nil)
        #expect(CivilDate(iso8601: "2024-01-01 ") == nil)
        #expect(CivilDate(year: 2024, month: 1, day: 31).adding(months: 1) == CivilDate(year: 2024, month: 2, day: 29))
        #expect(CivilDate(year: 2026, month: 11, day: 1).adding(months: -18) == CivilDate(year: 2025, month: 5, day: 1))
        #expect(CivilDate(year: 2026, month: 1, day: 15).adding(months: -13) == CivilDate(year: 2024, month: 12, day: 15))
        #expect(CivilDate(year: 2026, month: 1, day: 15) < CivilDate(year: 2026, month: 2, day: 1))
        #expect(CivilDate(year: 987, month: 6, day: 5).iso8601 == "0987-06-05")
    }

    @Test func portableMathMatchesLibm() {
        var x = 1e-9
        while x < 1e9 {
            #expect(abs(DemoDataGenerator.PortableMath.ln(x) - Foundation.log(x)) <= 1e-13 * max(1, abs(Foundation.log(x))))
            x *= 1.37
        }
        var y = -700.0
        while y < 700 {
            let expected = Foundation.exp(y)
            #expect(abs(DemoDataGenerator.PortableMath.exp(y) - expected) <= 1e-14 * expected)
            y += 0.731
        }
    }
}
