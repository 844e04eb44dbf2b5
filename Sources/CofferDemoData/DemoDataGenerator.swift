import Coffer

// Synthetic, deterministic CRM data for `coffer demo-data`.
//
// Everything here is plain integer/IEEE arithmetic: no Foundation, no libm, no
// SystemRandomNumberGenerator, so the same (customers, seed, asOf) yields byte-identical
// rows on every platform and toolchain.

// MARK: - Generator

/// Deterministic synthetic customers / orders / outcomes for demos and model development.
///
/// Customer `i` is derived only from `(seed, i, asOf)` (its own PRNG stream), so rows do not
/// depend on `customers`: a larger run starts with exactly the rows of a smaller one, and
/// generation could be split across threads by index range.
public struct DemoDataGenerator: Sendable {
    public static let customerColumns: [String] = [
        "customer_ref", "full_name", "email", "phone", "street_address", "postal_code", "city", "country",
        "birth_date", "gender", "occupation", "annual_income", "homeowner", "company", "job_title",
        "company_size", "industry", "budget", "decision_maker", "need", "purchase_timeline_days",
        "website_visits_30d", "email_opens_30d", "last_activity", "competitor_contract_end",
        "payment_delays", "disputes", "consent_marketing", "lead_source", "notes",
    ]
    public static let orderColumns = ["customer_ref", "order_date", "amount", "product_category"]
    public static let outcomeColumns = ["customer_ref", "outcome", "closed_at"]

    /// Values used in `product_category`.
    static let productCategories = [
        "electronics", "accessories", "subscriptions", "home_office",
        "software", "services", "support_plans", "training",
    ]

    public let customers: Int
    public let seed: UInt64
    public let asOf: CivilDate

    public init(customers: Int, seed: UInt64, asOf: CivilDate = CivilDate(year: 2026, month: 11, day: 1)) {
        precondition(customers >= 0, "customers must not be negative")
        precondition(asOf.isValid && (1900...9000).contains(asOf.year), "asOf must be a valid date in 1900...9000")
        self.customers = customers
        self.seed = seed
        self.asOf = asOf
    }

    /// Calls the closures row by row (streaming: memory does not grow with `customers`).
    /// Deterministic for (customers, seed, asOf). Per customer: its row, then its orders
    /// (ascending date), then at most one outcome.
    public func generate(
        customer: ([String]) throws -> Void,
        order: ([String]) throws -> Void,
        outcome: ([String]) throws -> Void
    ) rethrows {
        let tables = Tables.shared
        var scratch = Scratch(asOf: asOf)
        for index in 0..<customers {
            try emitCustomer(index, tables, &scratch, customer, order, outcome)
        }
    }
}

// MARK: - Per-customer model

extension DemoDataGenerator {
    /// Reused buffers; only bounded per-customer state lives here.
    struct Scratch {
        let asOfDay: Int
        let closeWindowStart: Int
        var row: [String] = []
        var small: [String] = []
        var orders: [(day: Int, cents: Int, category: Int)] = []

        init(asOf: CivilDate) {
            asOfDay = asOf.daysSinceEpoch
            closeWindowStart = asOf.adding(months: -18).daysSinceEpoch
            row.reserveCapacity(DemoDataGenerator.customerColumns.count)
            small.reserveCapacity(4)
            orders.reserveCapacity(32)
        }
    }

    static func customerRef(_ index: Int) -> String {
        "CUS-" + Format.padded(index + 1, width: 7)
    }

    private func emitCustomer(
        _ index: Int,
        _ t: Tables,
        _ s: inout Scratch,
        _ customer: ([String]) throws -> Void,
        _ order: ([String]) throws -> Void,
        _ outcome: ([String]) throws -> Void
    ) rethrows {
        var r = RNG(seed: seed, stream: UInt64(truncatingIfNeeded: index))
        let asOfDay = s.asOfDay
        let ref = Self.customerRef(index)
        let loc = t.locales[r.pickIndex(cdf: t.localeCDF)]

        // Latent propensity: drives engagement, BANT and the outcome.
        let z = r.normal()
        // Less promising leads tend to have sparser records.
        let sparse = z < -0.8 ? 1.5 : (z > 0.8 ? 0.75 : 1.0)
        func missing(_ p: Double, _ r: inout RNG) -> Bool { r.chance(p * sparse) }

        // Identity.
        let genderIndex = r.pickIndex(cdf: t.genderCDF)
        let female = genderIndex == 0 || (genderIndex >= 2 && r.chance(0.5))
        let given = r.pick(female ? loc.female : loc.male)
        let surname = r.pick(loc.surnames)
        let familyName = female ? surname.female : surname.male
        let familyAscii = female ? surname.femaleAscii : surname.maleAscii
        var fullName: String
        switch loc.nameOrder {
        case .familyFirstNoSpace:
            fullName = familyName + given.text
        case .familyFirstSpace:
            fullName = familyName + " " + given.text
        case .givenFirst:
            var family = familyName
            if loc.secondSurnameRate > 0, r.chance(loc.secondSurnameRate) {
                let second = r.pick(loc.surnames)
                family += " " + (female ? second.female : second.male)
            } else if loc.country == .DE, r.chance(0.03) {
                family += "-" + r.pick(loc.surnames).male
            }
            if loc.middleInitialRate > 0, r.chance(loc.middleInitialRate) {
                fullName = given.text + " " + String(t.upperLetters[r.int(t.upperLetters.count)]) + ". " + family
            } else if loc.country == .UA, r.chance(0.15) {
                fullName = family + " " + given.text
            } else {
                fullName = given.text + " " + family
            }
        }

        // Work: roughly 45% B2B contacts (working age), the rest consumers.
        let isB2B = r.chance(0.45)
        let ageYears = isB2B ? min(71, 21 + Int(r.gamma(shape: 4) * 5.5)) : min(92, 18 + Int(r.gamma(shape: 3.2) * 8.5))
        let birthDay = asOfDay - (ageYears * 365 + ageYears / 4) - 1 - r.int(364)

        var companyName = ""
        var companyDomain = ""
        var jobTitle = ""
        let occupation: String
        var companySize = 0
        var industryIndex = 0
        var level = 3
        let occupationFactor: Double
        if isB2B {
            companySize = max(1, min(250_000, Int(PortableMath.exp(3.1 + 1.7 * r.normal()))))
            let levelCDF = companySize < 10 ? t.levelCDFSmall : (companySize < 250 ? t.levelCDFMid : t.levelCDFLarge)
            level = r.pickIndex(cdf: levelCDF)
            let title = r.pick(t.jobTitles[level])
            jobTitle = title.text
            occupation = title.ascii
            occupationFactor = [2.3, 1.9, 1.4, 1.0][level]
            industryIndex = r.int(t.industries.count)
            (companyName, companyDomain) = t.company(loc, t.industries[industryIndex], &r)
        } else if ageYears >= 65 && r.chance(0.85) || ageYears >= 60 && r.chance(0.25) {
            occupation = "Retired"
            occupationFactor = 0.6
        } else if ageYears < 25 && r.chance(0.6) {
            occupation = "Student"
            occupationFactor = 0.15
        } else if r.chance(0.04) {
            occupation = "Unemployed"
            occupationFactor = 0.2
        } else {
            let occ = r.pick(t.occupations)
            occupation = occ.name
            occupationFactor = occ.factor
        }
        let ageFactor = 0.55 + 0.6 * min(1, Double(ageYears - 18) / 27) - 0.25 * max(0, Double(ageYears - 58) / 25)
        let income = loc.incomeLevel * occupationFactor * ageFactor * PortableMath.exp(0.45 * r.normal() + 0.1 * z)
        let incomeCents = r.chance(0.6) ? Format.roundCents(income, to: 1000) : Format.roundCents(income, to: 50)
        let homeowner = r.chance(PortableMath.sigmoid(-2.4 + 0.06 * Double(ageYears - 18) + 0.7 * PortableMath.ln(max(0.05, income / loc.incomeLevel))))

        // BANT.
        let decisionMaker: Bool
        if isB2B {
            decisionMaker = r.chance(min(0.97, max(0.03, [0.88, 0.68, 0.35, 0.1][level] + 0.06 * z)))
        } else {
            decisionMaker = r.chance(0.78)
        }
        let needScore = 0.75 * z + 0.8 * r.normal()
        let need = needScore > 0.55 ? 0 : (needScore < -0.45 ? 2 : 1) // high, medium, low
        let priceFactor = loc.priceFactor
        let budget: Double
        if isB2B {
            budget = 1200 * PortableMath.exp(0.42 * PortableMath.ln(Double(companySize))) * priceFactor
                * PortableMath.exp(0.3 * z + 0.6 * r.normal())
        } else {
            budget = max(80, income * 0.025 * PortableMath.exp(0.25 * z + 0.6 * r.normal()))
        }
        let budgetCents = Format.roundCents(budget, to: budget >= 10000 ? 1000 : (budget >= 1000 ? 100 : 50))
        let timelineDays: Int
        if r.chance(0.15) {
            timelineDays = 1 + r.int(400)
        } else {
            let slot = Int((4.5 - 1.8 * z + 1.5 * r.normal()).rounded(.down))
            timelineDays = t.timelines[max(0, min(t.timelines.count - 1, slot))]
        }

        // Lifecycle: first seen up to ~10 years ago, skewed recent.
        let seenRoll = r.uniform()
        let seenAgo = seenRoll < 0.4 ? r.int(365) : (seenRoll < 0.75 ? 365 + r.int(3 * 365) : 4 * 365 + r.int(6 * 365))
        let firstSeen = asOfDay - seenAgo

        // Orders: BG/NBD-like (Poisson purchasing while alive, dropout after each purchase).
        s.orders.removeAll(keepingCapacity: true)
        let typicalSpend = (isB2B ? 420 * PortableMath.exp(0.18 * PortableMath.ln(Double(companySize))) : 55)
            * priceFactor * PortableMath.exp(0.2 * z + (isB2B ? 0.8 : 0.7) * r.normal())
        let favoriteCategory = r.pickIndex(cdf: isB2B ? t.categoryCDFB2B : t.categoryCDFB2C)
        if r.chance(min(0.9, max(0.3, 0.62 + 0.1 * z))) {
            let perYear = max(0.15, r.gamma(shape: 0.9) * 2.6 * PortableMath.exp(0.25 * z))
            let dropout = min(0.95, max(0.02, r.beta(1.2, 3.0) * PortableMath.exp(-0.2 * z)))
            let cap = 16 + r.int(7) // soft cap around 20 instead of a hard spike
            var day = firstSeen + Int(r.exponential(mean: isB2B ? 45 : 12))
            while day <= asOfDay && s.orders.count < cap {
                s.orders.append((day, orderCents(typicalSpend, isB2B, &r), orderCategory(favoriteCategory, &r)))
                if r.chance(dropout) { break }
                day += r.chance(0.05) ? 0 : Int(r.exponential(mean: 365 / perYear))
            }
        }
        let historicalOrders = s.orders.count
        let lastOrderDay = s.orders.last?.day

        let paymentDelays = historicalOrders == 0 ? 0 : r.poisson(0.1 * Double(historicalOrders) * PortableMath.exp(-0.5 * z))
        let disputes = historicalOrders == 0 ? 0 : r.poisson(0.025 * Double(historicalOrders) * PortableMath.exp(-0.3 * z))

        // Engagement (negative-binomial counts) and consent. Dormant contacts (more likely when
        // propensity is low or purchasing stopped long ago) show no recent activity at all.
        let consent = r.chance(PortableMath.sigmoid(0.2 + 0.5 * z))
        let lapsed = lastOrderDay.map { asOfDay - $0 > 365 } ?? false
        let dormant = r.chance(PortableMath.sigmoid(-0.5 - 1.0 * z + (lapsed ? 1.2 : 0)))
        var visits = min(500, r.poisson(r.gamma(shape: 1.3) * PortableMath.exp(0.9 + 0.8 * z) / 1.3))
        var opens = min(80, r.poisson(r.gamma(shape: 1.5) * (consent ? PortableMath.exp(0.6 + 0.6 * z) : 0.25) / 1.5))
        let sinceSeen = asOfDay - firstSeen
        if dormant || sinceSeen < 3 && r.chance(0.5) {
            visits = 0
            opens = 0
        }
        var lastActivity: Int
        if visits + opens > 0 {
            lastActivity = asOfDay - min(sinceSeen, min(29, Int(r.exponential(mean: 7))))
        } else {
            lastActivity = asOfDay - min(sinceSeen, 30 + Int(r.exponential(mean: PortableMath.exp(5.3 - 0.5 * z))))
        }
        if let lastOrderDay, lastOrderDay > lastActivity { lastActivity = lastOrderDay }

        let leadSource: Int
        if z > 0.5 && r.chance(0.3) {
            leadSource = 1 + r.int(3) // referral, event, partner
        } else {
            leadSource = r.pickIndex(cdf: t.leadSourceCDF)
        }
        let hasCompetitor = r.chance(0.6)
        let competitorEnd = asOfDay - 240 + r.int(781)

        // Outcome: a logistic model over the observable features plus the latent propensity.
        var outcomeWon: Bool?
        var closedDay = 0
        if r.chance(PortableMath.sigmoid(-0.78 + 0.35 * z + (isB2B ? 0.2 : -0.1))) {
            let lo = max(firstSeen, s.closeWindowStart)
            closedDay = lo + r.int(asOfDay - lo + 1)
            var logit = -1.88 + 0.8 * z + (decisionMaker ? 0.75 : 0)
            logit += [0.6, 0.0, -0.6][need]
            logit += 0.25 * max(-2, min(2, PortableMath.ln(budget / (3000 * priceFactor))))
            logit += 0.15 * min(4, Double(visits) / 5) + 0.1 * min(3, Double(opens) / 4)
            logit += timelineDays <= 30 ? 0.3 : (timelineDays >= 180 ? -0.3 : 0)
            logit += leadSource == 1 ? 0.3 : 0
            logit -= 0.35 * Double(paymentDelays) + 0.7 * Double(disputes)
            let won = r.chance(PortableMath.sigmoid(logit + 0.3 * r.normal()))
            outcomeWon = won
            if closedDay > lastActivity { lastActivity = closedDay }
            if won && s.orders.count < 23 {
                let day = min(asOfDay, closedDay + Int(r.exponential(mean: 7)))
                let cents = orderCents(typicalSpend * 1.3, isB2B, &r)
                var at = s.orders.count
                while at > 0 && s.orders[at - 1].day > day { at -= 1 }
                s.orders.insert((day, cents, favoriteCategory), at: at)
                if day > lastActivity { lastActivity = day }
            }
        }

        // Contact details.
        let city = r.pickSkewed(loc.cities)
        let street = t.streetAddress(loc, &r)
        let postal = t.postalCode(loc, city, &r)
        let phone = t.phone(loc, city, &r)
        let email = t.email(
            index: index, seed: seed, given: given.ascii, family: familyAscii,
            companyDomain: companyDomain, loc: loc, &r
        )
        let note = r.chance(0.45) ? t.note(loc, &r) : ""

        // Row (missingness drawn in column order so the stream stays stable).
        s.row.removeAll(keepingCapacity: true)
        s.row.append(ref)
        s.row.append(fullName)
        let emailMissing = missing(0.05, &r)
        s.row.append(emailMissing ? "" : email)
        s.row.append(missing(emailMissing ? 0.03 : 0.1, &r) ? "" : phone)
        let streetMissing = missing(0.07, &r)
        s.row.append(streetMissing ? "" : street)
        s.row.append(missing(streetMissing ? 0.6 : 0.03, &r) ? "" : postal)
        s.row.append(missing(0.04, &r) ? "" : city.name)
        s.row.append(missing(0.02, &r) ? "" : loc.code)
        // Without a country a national number cannot be read (E.164 needs the country code):
        // such a row carries its phone in international form.
        if s.row[7].isEmpty, !s.row[3].isEmpty, !s.row[3].hasPrefix("+") {
            s.row[3] = t.international(s.row[3], loc)
        }
        s.row.append(missing(0.1, &r) ? "" : Format.iso(day: birthDay))
        s.row.append(missing(0.06, &r) ? "" : t.genders[genderIndex])
        s.row.append(missing(0.12, &r) ? "" : occupation)
        s.row.append(missing(0.22, &r) ? "" : Format.decimal(cents: incomeCents))
        s.row.append(missing(0.18, &r) ? "" : (homeowner ? "true" : "false"))
        s.row.append(!isB2B || missing(0.03, &r) ? "" : companyName)
        s.row.append(!isB2B || missing(0.08, &r) ? "" : jobTitle)
        s.row.append(!isB2B || missing(0.15, &r) ? "" : String(companySize))
        s.row.append(!isB2B || missing(0.1, &r) ? "" : t.industries[industryIndex].name)
        s.row.append(missing(0.2, &r) ? "" : Format.decimal(cents: budgetCents))
        s.row.append(missing(0.12, &r) ? "" : (decisionMaker ? "true" : "false"))
        s.row.append(missing(0.14, &r) ? "" : t.needs[need])
        s.row.append(missing(0.2, &r) ? "" : String(timelineDays))
        s.row.append(missing(0.05, &r) ? "" : String(visits))
        s.row.append(missing(0.07, &r) ? "" : String(opens))
        s.row.append(missing(0.04, &r) ? "" : Format.iso(day: lastActivity))
        s.row.append(!hasCompetitor || missing(0.05, &r) ? "" : Format.iso(day: competitorEnd))
        s.row.append(missing(0.08, &r) ? "" : String(paymentDelays))
        s.row.append(missing(0.08, &r) ? "" : String(disputes))
        s.row.append(missing(0.04, &r) ? "" : (consent ? "true" : "false"))
        s.row.append(missing(0.03, &r) ? "" : t.leadSources[leadSource])
        s.row.append(note)
        try customer(s.row)

        for o in s.orders {
            s.small.removeAll(keepingCapacity: true)
            s.small.append(ref)
            s.small.append(Format.iso(day: o.day))
            s.small.append(Format.decimal(cents: o.cents))
            s.small.append(Self.productCategories[o.category])
            try order(s.small)
        }
        if let won = outcomeWon {
            s.small.removeAll(keepingCapacity: true)
            s.small.append(ref)
            s.small.append(won ? "won" : "lost")
            s.small.append(Format.iso(day: closedDay))
            try outcome(s.small)
        }
    }

    /// One order amount: gamma around the customer's typical spend, with shop-like price endings.
    private func orderCents(_ typical: Double, _ isB2B: Bool, _ r: inout RNG) -> Int {
        var cents = max(199, Int((r.gamma(shape: 2.5) * typical / 2.5 * 100).rounded()))
        if isB2B {
            if r.chance(0.4) { cents = max(100, cents / 100 * 100) }
        } else if r.chance(0.35) {
            cents = cents / 100 * 100 + 99
        }
        return cents
    }

    private func orderCategory(_ favorite: Int, _ r: inout RNG) -> Int {
        r.chance(0.65) ? favorite : r.int(Self.productCategories.count)
    }
}

// MARK: - PRNG, portable math, formatting

extension DemoDataGenerator {
    /// SplitMix64; one independent stream per (seed, customer index).
    struct RNG: RandomNumberGenerator {
        private var state: UInt64
        private var spareNormal: Double?

        init(seed: UInt64, stream: UInt64) {
            state = Self.mix(Self.mix(seed) ^ Self.mix(stream &+ 0x632B_E59B_D9B4_E019))
        }

        static func mix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func next() -> UInt64 {
            // mix(x) scrambles x + golden ratio: the SplitMix64 step, then the state advances.
            defer { state &+= 0x9E37_79B9_7F4A_7C15 }
            return Self.mix(state)
        }

        /// Uniform in [0, 1).
        mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

        /// Uniform in 0..<n (Lemire multiply-high; bias < 2^-40 for our n).
        mutating func int(_ n: Int) -> Int {
            Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
        }

        mutating func chance(_ p: Double) -> Bool { uniform() < p }

        mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }

        /// Front-weighted pick (min of two draws): earlier entries (bigger cities) are more common.
        mutating func pickSkewed<T>(_ items: [T]) -> T { items[min(int(items.count), int(items.count))] }

        mutating func pickIndex(cdf: [Double]) -> Int {
            let u = uniform() * cdf[cdf.count - 1]
            var i = 0
            while i < cdf.count - 1 && u >= cdf[i] { i += 1 }
            return i
        }

        mutating func digits(_ n: Int, firstFrom low: Int = 0) -> String {
            var out = ""
            for i in 0..<n {
                let d = i == 0 ? low + int(10 - low) : int(10)
                out.unicodeScalars.append(Unicode.Scalar(UInt8(48 + d)))
            }
            return out
        }

        /// Standard normal (Marsaglia polar; the second variate of each pair is kept for the next call).
        mutating func normal() -> Double {
            if let z = spareNormal {
                spareNormal = nil
                return z
            }
            while true {
                let u = 2 * uniform() - 1
                let v = 2 * uniform() - 1
                let q = u * u + v * v
                if q > 0 && q < 1 {
                    let f = (-2 * PortableMath.ln(q) / q).squareRoot()
                    spareNormal = v * f
                    return u * f
                }
            }
        }

        mutating func exponential(mean: Double) -> Double { -mean * PortableMath.ln(1 - uniform()) }

        /// Gamma(shape, 1) (Marsaglia–Tsang, with the shape < 1 boost).
        mutating func gamma(shape: Double) -> Double {
            if shape < 1 {
                return gamma(shape: shape + 1) * PortableMath.exp(PortableMath.ln(1 - uniform()) / shape)
            }
            let d = shape - 1.0 / 3.0
            let c = 1 / (9 * d).squareRoot()
            while true {
                var x = 0.0
                var v = 0.0
                repeat {
                    x = normal()
                    v = 1 + c * x
                } while v <= 0
                v = v * v * v
                let u = 1 - uniform()
                if u < 1 - 0.0331 * x * x * x * x { return d * v }
                if PortableMath.ln(u) < 0.5 * x * x + d * (1 - v + PortableMath.ln(v)) { return d * v }
            }
        }

        mutating func beta(_ a: Double, _ b: Double) -> Double {
            let x = gamma(shape: a)
            return x / (x + gamma(shape: b))
        }

        mutating func poisson(_ lambda: Double) -> Int {
            guard lambda > 0 else { return 0 }
            if lambda > 30 { return max(0, Int((lambda + lambda.squareRoot() * normal()).rounded())) }
            let limit = PortableMath.exp(-lambda)
            var k = 0
            var p = uniform()
            while p > limit {
                k += 1
                p *= uniform()
            }
            return k
        }
    }

    /// exp/ln from + − × ÷ only (IEEE correctly rounded), so results never depend on the platform libm.
    enum PortableMath {
        static func ln(_ x: Double) -> Double {
            guard x > 0, x.isFinite else { return x == 0 ? -.infinity : .nan }
            var e = Int(x.exponent)
            var m = x.significand // [1, 2)
            if m > 1.4142135623730951 {
                m /= 2
                e += 1
            }
            let s = (m - 1) / (m + 1)
            let s2 = s * s
            var series = 0.0
            for c in lnCoefficients { series = series * s2 + c }
            return Double(e) * 0.6931471805599453 + 2 * s * series
        }

        /// 1/21, 1/19, …, 1/1 (atanh series, highest power first).
        private static let lnCoefficients: [Double] = stride(from: 21, through: 1, by: -2).map { 1 / Double($0) }
        /// 1/13!, 1/12!, …, 1/0! (Taylor series, highest power first).
        private static let expCoefficients: [Double] = (0...13).reversed().map { n in
            1 / (1...max(1, n)).reduce(1.0) { $0 * Double($1) }
        }

        static func exp(_ x: Double) -> Double {
            if x > 709 { return .infinity }
            if x < -745 { return 0 }
            let k = (x * 1.4426950408889634).rounded()
            let r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
            var p = 0.0
            for c in expCoefficients { p = p * r + c }
            return p * Double(sign: .plus, exponent: Int(k), significand: 1)
        }

        static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    }

    // MARK: - Formatting

    enum Format {
        private static let twoDigits: [String] = (0..<100).map { $0 < 10 ? "0\($0)" : "\($0)" }

        static func iso(day: Int) -> String {
            let d = CivilDate(daysSinceEpoch: day)
            return iso(d.year, d.month, d.day)
        }

        static func iso(_ y: Int, _ m: Int, _ d: Int) -> String {
            String(unsafeUninitializedCapacity: 10) { b in
                b[0] = UInt8(48 + y / 1000 % 10)
                b[1] = UInt8(48 + y / 100 % 10)
                b[2] = UInt8(48 + y / 10 % 10)
                b[3] = UInt8(48 + y % 10)
                b[4] = 45
                b[5] = UInt8(48 + m / 10)
                b[6] = UInt8(48 + m % 10)
                b[7] = 45
                b[8] = UInt8(48 + d / 10)
                b[9] = UInt8(48 + d % 10)
                return 10
            }
        }

        /// Non-negative cents as `123.45`.
        static func decimal(cents: Int) -> String {
            String(cents / 100) + "." + twoDigits[cents % 100]
        }

        static func padded(_ value: Int, width: Int) -> String {
            let text = String(value)
            let pad = width - text.utf8.count
            return pad > 0 ? String(repeating: "0", count: pad) + text : text
        }

        /// Rounds a positive amount to a multiple of `unit` (in whole currency units), returned as cents.
        static func roundCents(_ amount: Double, to unit: Int) -> Int {
            max(unit, Int((amount / Double(unit)).rounded()) * unit) * 100
        }
    }
}

// MARK: - Reference tables

extension DemoDataGenerator {
    /// A display string with its ASCII form (romanized / diacritics folded, lowercase) for email local parts.
    struct Term: Sendable {
        let text: String
        let ascii: String
    }

    struct Surname: Sendable {
        let male: String
        let female: String
        let maleAscii: String
        let femaleAscii: String
    }

    struct City: Sendable {
        let name: String
        let postalPrefixes: [String]
        /// Phone area code without trunk prefix.
        let area: String
    }

    struct Industry: Sendable {
        let name: String
        let words: [String]
        let cn: String
        let jp: String
        let kr: String
    }

    struct Occupation: Sendable {
        let name: String
        let factor: Double
    }

    struct LocaleData: Sendable {
        enum NameOrder: Sendable { case givenFirst, familyFirstSpace, familyFirstNoSpace }

        enum Country: String, Sendable { case US, GB, DE, FR, ES, IT, NL, PL, UA, CN, JP, IN, BR, MX, CA, AU, SE, IE, PT, KR }

        let country: Country
        let code: String
        let weight: Double
        let callingCode: String
        let female: [Term]
        let male: [Term]
        let surnames: [Surname]
        let nameOrder: NameOrder
        let secondSurnameRate: Double
        let middleInitialRate: Double
        let cities: [City]
        let streets: [String]
        let extras: [String]
        let postalTemplate: [Character]
        let incomeLevel: Double
        let priceFactor: Double
        let suffixes: [String]
        let providers: [String]
        let notes: [String]

        init(
            _ code: String, weight: Double, phone: String, income: Double,
            female: String, male: String, surnames: String, cities: String, streets: String,
            postal: String, suffixes: String = "", notes: String = "", extras: String = "",
            order: NameOrder = .givenFirst, secondSurname: Double = 0, middleInitial: Double = 0
        ) {
            let german = code == "DE"
            func terms(_ list: String) -> [Term] {
                list.split(separator: "|").map { item in
                    let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                    return Term(text: parts[0], ascii: Tables.fold(parts.count > 1 ? parts[1] : parts[0], german: german))
                }
            }
            country = Country(rawValue: code)!
            self.code = code
            self.weight = weight
            callingCode = phone
            self.female = terms(female)
            self.male = terms(male)
            self.surnames = surnames.split(separator: "|").map { item in
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                let native = parts[0].split(separator: "/").map(String.init)
                let latin = (parts.count > 1 ? parts[1] : parts[0]).split(separator: "/").map(String.init)
                return Surname(
                    male: native[0], female: native.last!,
                    maleAscii: Tables.fold(latin[0], german: german), femaleAscii: Tables.fold(latin.last!, german: german)
                )
            }
            nameOrder = order
            secondSurnameRate = secondSurname
            middleInitialRate = middleInitial
            self.cities = cities.split(separator: "|").map { item in
                let f = item.split(separator: ";").map(String.init)
                return City(name: f[0], postalPrefixes: f[1].split(separator: ",").map(String.init), area: f[2])
            }
            self.streets = streets.split(separator: "|").map(String.init)
            self.extras = extras.split(separator: "|").map(String.init)
            postalTemplate = Array(postal)
            incomeLevel = income
            priceFactor = min(1.3, max(0.35, (income / 50000).squareRoot()))
            self.suffixes = suffixes.split(separator: "|").map(String.init)
            let cc = code.lowercased()
            providers = ["example.com", "example.net", "example.org", "mail.example", "inbox.example",
                         "mail.\(cc).example", "post.\(cc).example"]
            self.notes = notes.split(separator: "|").map(String.init)
        }
    }

    /// Static lookup data, built once on first use.
    final class Tables: Sendable {
        static let shared = Tables()

        let locales: [LocaleData]
        let localeCDF: [Double]
        let genders = ["female", "male", "nonbinary", "undisclosed"]
        let genderCDF = cumulative([0.485, 0.47, 0.015, 0.03])
        let needs = ["high", "medium", "low"]
        let leadSources = ["web", "referral", "event", "partner", "outbound", "ads"]
        let leadSourceCDF = cumulative([0.32, 0.14, 0.08, 0.10, 0.18, 0.18])
        let timelines = [7, 14, 30, 45, 60, 90, 120, 180, 270, 365]
        let levelCDFSmall = cumulative([0.6, 0.05, 0.15, 0.2])
        let levelCDFMid = cumulative([0.15, 0.25, 0.35, 0.25])
        let levelCDFLarge = cumulative([0.05, 0.2, 0.4, 0.35])
        // Order matches productCategories.
        let categoryCDFB2C = cumulative([0.3, 0.25, 0.2, 0.15, 0.05, 0.03, 0.01, 0.01])
        let categoryCDFB2B = cumulative([0.05, 0.05, 0.1, 0.1, 0.25, 0.25, 0.12, 0.08])
        let upperLetters = Array("ABCDEFGHIJKLMNOPRSTVW")
        let postalLetters = Array("ABEGHJLNPRTWXYZ")
        let eircodeChars = Array("ACDEFHKNPRTVWXY0123456789")
        let jobTitles: [[Term]] // by seniority level; ascii holds the matching occupation
        let occupations: [Occupation]
        let industries: [Industry]
        let latinBrands = ("Northwind|Bluepeak|Silverline|Brightwater|Ironbridge|Greenfield|Redwood|Summit|Apex|Nova|"
            + "Atlas|Vertex|Harbor|Keystone|Oakridge|Pinnacle|Clearview|Evergreen|Lumen|Horizon|Meridian|Cobalt|Juniper|Polaris")
            .split(separator: "|").map(String.init)
        let cnBrands: [Term]
        let jpBrands: [Term]
        let krBrands: [Term]
        let uaBrands: [Term]
        let competitors = ["Acme Vaults", "LedgerLock", "StrongBox CRM", "Vaultline", "SafeHarbor Data"]

        static func cumulative(_ weights: [Double]) -> [Double] {
            var total = 0.0
            return weights.map { total += $0; return total }
        }

        /// Lowercase ASCII for email local parts: folds common diacritics, drops everything but a–z and '-'.
        static func fold(_ text: String, german: Bool) -> String {
            var out = ""
            for ch in text.lowercased() {
                switch ch {
                case "a"..."z", "-": out.append(ch)
                case "á", "à", "â", "ã", "å", "ā", "ą": out += "a"
                case "ä": out += german ? "ae" : "a"
                case "ç", "ć", "č": out += "c"
                case "é", "è", "ê", "ë", "ę", "ě": out += "e"
                case "í", "ì", "î", "ï": out += "i"
                case "ñ", "ń": out += "n"
                case "ó", "ò", "ô", "õ", "ø": out += "o"
                case "ö": out += german ? "oe" : "o"
                case "ú", "ù", "û": out += "u"
                case "ü": out += german ? "ue" : "u"
                case "ß": out += "ss"
                case "ł": out += "l"
                case "ś", "š": out += "s"
                case "ź", "ż", "ž": out += "z"
                case "æ": out += "ae"
                case "œ": out += "oe"
                case "ý": out += "y"
                default: break
                }
            }
            return out
        }

        private static func terms(_ list: String) -> [Term] {
            list.split(separator: "|").map { item in
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                return Term(text: parts[0], ascii: parts.count > 1 ? parts[1] : parts[0])
            }
        }

        private init() {
            locales = Self.makeLocales()
            localeCDF = Self.cumulative(locales.map(\.weight))
            jobTitles = [
                Self.terms("CEO=Executive|Founder & CEO=Entrepreneur|CFO=Executive|CTO=Executive|COO=Executive|"
                    + "Managing Director=Executive|Owner=Business Owner|Chief Marketing Officer=Executive|President=Executive"),
                Self.terms("VP, Sales=Sales Executive|VP of Engineering=Engineering Manager|Director of Operations=Manager|"
                    + "Head of Procurement=Purchasing Manager|Head of IT=IT Manager|Finance Director=Financial Manager|"
                    + "Marketing Director=Marketing Manager|Head of Customer Success=Manager"),
                Self.terms("IT Manager=IT Manager|Procurement Manager=Purchasing Manager|Operations Manager=Manager|"
                    + "Office Manager=Office Manager|Marketing Manager=Marketing Manager|Sales Manager=Sales Manager|"
                    + "Project Manager=Project Manager|Facilities Manager=Manager|Product Manager=Product Manager"),
                Self.terms("Procurement Specialist=Purchasing Agent|Software Engineer=Software Developer|Accountant=Accountant|"
                    + "Marketing Coordinator=Marketing Specialist|Business Analyst=Analyst|Sales Representative=Sales Representative|"
                    + "Executive Assistant=Administrative Assistant|Data Analyst=Data Analyst|Buyer=Purchasing Agent|Consultant=Consultant"),
            ]
            occupations = ("Teacher;0.9|Nurse;0.95|Software Developer;1.6|Accountant;1.15|Electrician;1.0|Sales Associate;0.65|"
                + "Physician;2.6|Graphic Designer;0.9|Civil Engineer;1.35|Chef;0.75|Truck Driver;0.85|Pharmacist;1.7|Lawyer;2.1|"
                + "Police Officer;1.05|Real Estate Agent;1.0|Homemaker;0.25|Self-employed;1.1|Marketing Specialist;1.05|"
                + "Mechanic;0.85|Architect;1.4|Dentist;2.3|Researcher;1.1|Freelancer;0.9|Customer Service Representative;0.7|"
                + "Warehouse Worker;0.7|Hairdresser;0.6")
                .split(separator: "|").map { item in
                    let f = item.split(separator: ";")
                    return Occupation(name: String(f[0]), factor: Double(f[1])!)
                }
            industries = ("Software;Software,Systems,Labs;科技;システム;테크|Manufacturing;Manufacturing,Industries,Works;制造;工業;산업|"
                + "Retail;Retail,Stores,Trading;商贸;商事;물산|Healthcare;Health,Medical,Care;医疗;メディカル;메디컬|"
                + "Financial Services;Capital,Finance,Partners;金融;ファイナンス;금융|Logistics;Logistics,Freight,Transport;物流;物流;로지스|"
                + "Construction;Construction,Builders,Build;建设;建設;건설|Education;Learning,Academy,Education;教育;教育;에듀|"
                + "Hospitality;Hospitality,Hotels,Hospitality Group;酒店;ホテル;호텔|Energy;Energy,Power,Solar;能源;エナジー;에너지|"
                + "Agriculture;Agro,Farms,Harvest;农业;農産;농산|Telecommunications;Telecom,Networks,Connect;通信;通信;텔레콤|"
                + "Professional Services;Consulting,Advisory,Partners;咨询;コンサルティング;컨설팅|Media;Media,Studios,Digital;传媒;メディア;미디어|"
                + "Real Estate;Properties,Realty,Estates;置业;不動産;부동산|Automotive;Motors,Automotive,Auto Parts;汽车;自動車;모터스|"
                + "Pharmaceuticals;Pharma,Biotech,Life Sciences;制药;製薬;제약")
                .split(separator: "|").map { item in
                    let f = item.split(separator: ";").map(String.init)
                    return Industry(name: f[0], words: f[1].split(separator: ",").map(String.init), cn: f[2], jp: f[3], kr: f[4])
                }
            cnBrands = Self.terms("华信=huaxin|联创=lianchuang|鼎盛=dingsheng|恒通=hengtong|天宇=tianyu|金桥=jinqiao|博远=boyuan|嘉禾=jiahe|中科=zhongke|远航=yuanhang")
            jpBrands = Self.terms("サクラ=sakura|ミライ=mirai|ヒカリ=hikari|東洋=toyo|大和=yamato|富士=fuji|青葉=aoba|北斗=hokuto|日進=nisshin|丸山=maruyama")
            krBrands = Self.terms("한빛=hanbit|미래=mirae|대한=daehan|새솔=saesol|푸른=pureun|누리=nuri|동방=dongbang|세종=sejong")
            uaBrands = Self.terms("Агросвіт=agrosvit|Укртех=ukrtech|Дніпро-Трейд=dnipro-trade|Карпати=karpaty|Світанок=svitanok|"
                + "Поділля=podillia|Техносфера=tekhnosfera|Зоря=zoria")
        }
    }
}

// MARK: - Field builders

extension DemoDataGenerator.Tables {
    typealias LocaleData = DemoDataGenerator.LocaleData
    typealias City = DemoDataGenerator.City
    typealias Industry = DemoDataGenerator.Industry
    typealias RNG = DemoDataGenerator.RNG

    /// Company name in the locale's style, plus a reserved-TLD email domain derived from it.
    func company(_ loc: LocaleData, _ industry: Industry, _ r: inout RNG) -> (name: String, domain: String) {
        let name: String
        let slug: String
        switch loc.country {
        case .CN:
            let b = r.pick(cnBrands)
            name = b.text + industry.cn + (r.chance(0.7) ? "有限公司" : "股份有限公司")
            slug = b.ascii + "-" + Self.fold(industry.words[0], german: false)
        case .JP:
            let b = r.pick(jpBrands)
            name = r.chance(0.6) ? "株式会社" + b.text + industry.jp : b.text + industry.jp + "株式会社"
            slug = b.ascii + "-" + Self.fold(industry.words[0], german: false)
        case .KR:
            let b = r.pick(krBrands)
            name = (r.chance(0.5) ? "(주)" : "주식회사 ") + b.text + industry.kr
            slug = b.ascii + "-" + Self.fold(industry.words[0], german: false)
        case .UA:
            let b = r.pick(uaBrands)
            name = r.pick(["ТОВ", "ТОВ", "ТОВ", "ПрАТ", "ПП"]) + " «" + b.text + "»"
            slug = b.ascii
        default:
            let suffix = r.pick(loc.suffixes)
            let roll = r.uniform()
            if roll < 0.3 {
                let s = r.pick(loc.surnames)
                name = s.male + " " + suffix
                slug = s.maleAscii
            } else if roll < 0.42 {
                let a = r.pick(loc.surnames)
                let b = r.pick(loc.surnames)
                name = a.male + " & " + b.male + (r.chance(0.5) ? " " + suffix : "")
                slug = a.maleAscii + "-" + b.maleAscii
            } else if roll < 0.9 {
                let brand = r.pick(latinBrands)
                let word = r.pick(industry.words)
                name = brand + " " + word + " " + suffix
                slug = brand.lowercased() + "-" + Self.fold(word, german: false)
            } else {
                let brand = r.pick(latinBrands)
                name = brand + " " + suffix
                slug = brand.lowercased()
            }
        }
        return (name, (slug.isEmpty ? "company" : slug) + ".example")
    }

    func streetAddress(_ loc: LocaleData, _ r: inout RNG) -> String {
        let street = r.pick(loc.streets)
        let n = 1 + Int(r.exponential(mean: 60)) % 400
        switch loc.country {
        case .US:
            let base = "\(1 + Int(r.exponential(mean: 1500)) % 9999) \(street)"
            return r.chance(0.15) ? base + ", Apt \(1 + r.int(30))\(upperLetters[r.int(6)])" : base
        case .CA:
            let base = "\(1 + Int(r.exponential(mean: 900)) % 9999) \(street)"
            return r.chance(0.12) ? base + ", Unit \(1 + r.int(40))" : base
        case .GB, .IE:
            let base = "\(n) \(street)"
            return r.chance(0.15) ? (loc.country == .GB ? "Flat" : "Apt") + " \(1 + r.int(20)), " + base : base
        case .AU:
            return r.chance(0.25) ? "\(1 + r.int(20))/\(n) \(street)" : "\(n) \(street)"
        case .FR:
            return r.chance(0.08) ? "\(n) bis \(street)" : "\(n) \(street)"
        case .DE, .NL, .SE:
            var s = "\(street) \(n)"
            if r.chance(0.1) { s += loc.country == .DE ? ["a", "b", "c"][r.int(3)] : ["A", "B", "C"][r.int(3)] }
            if loc.country == .NL && r.chance(0.1) { s += "-\(1 + r.int(3))" }
            return s
        case .PL:
            return r.chance(0.45) ? "\(street) \(n)/\(1 + r.int(80))" : "\(street) \(n)"
        case .IT:
            return r.chance(0.5) ? "\(street) \(n)" : "\(street), \(n)"
        case .MX:
            return r.chance(0.6) ? "\(street) \(n), Col. \(r.pick(loc.extras))" : "\(street) \(n)"
        case .ES:
            return r.chance(0.35) ? "\(street), \(n), \(1 + r.int(8))º \(upperLetters[r.int(4)])" : "\(street), \(n)"
        case .PT:
            return r.chance(0.35) ? "\(street), \(n), \(1 + r.int(8))º \(r.chance(0.5) ? "Esq." : "Dto.")" : "\(street), \(n)"
        case .BR:
            return r.chance(0.35) ? "\(street), \(n), apto \(1 + r.int(20))\(1 + r.int(4))" : "\(street), \(n)"
        case .UA:
            return r.chance(0.4) ? "\(street), \(n), кв. \(1 + r.int(150))" : "\(street), \(n)"
        case .CN:
            let base = "\(street)\(n)号"
            return r.chance(0.5) ? base + "\(1 + r.int(30))栋\(1 + r.int(30))0\(1 + r.int(6))室" : base
        case .JP:
            let base = "\(street)\(1 + r.int(9))-\(1 + r.int(30))-\(1 + r.int(20))"
            return r.chance(0.4) ? base + " \(r.pick(loc.extras))\(1 + r.int(12))0\(1 + r.int(9))" : base
        case .KR:
            let base = "\(street) \(n)"
            return r.chance(0.4) ? base + ", \(101 + r.int(20))동 \(1 + r.int(25))0\(1 + r.int(6))호" : base
        case .IN:
            return r.chance(0.5)
                ? "\(n), \(street)"
                : "Flat \(1 + r.int(12))0\(1 + r.int(8))\(upperLetters[r.int(4)]), \(r.pick(loc.extras)), \(street)"
        }
    }

    /// Template: `#` digit, `@` letter, `%` Eircode char, `*` the whole city prefix, anything else literal.
    /// Without `*`, the city prefix fills the leading placeholders.
    func postalCode(_ loc: LocaleData, _ city: City, _ r: inout RNG) -> String {
        var prefix = Array(r.pick(city.postalPrefixes))
        let whole = loc.postalTemplate.contains("*")
        var out = ""
        for c in loc.postalTemplate {
            switch c {
            case "*":
                out += String(prefix)
            case "#", "@", "%":
                if !whole && !prefix.isEmpty {
                    out.append(prefix.removeFirst())
                } else if c == "#" {
                    out.append(Character(Unicode.Scalar(UInt8(48 + r.int(10)))))
                } else if c == "@" {
                    out.append(postalLetters[r.int(postalLetters.count)])
                } else {
                    out.append(eircodeChars[r.int(eircodeChars.count)])
                }
            default:
                out.append(c)
            }
        }
        return out
    }

    /// National number groups for the locale (fictional ranges where regulators reserve them:
    /// NANP 555-01xx, Ofcom drama numbers, ACMA 5550/7010), then one of several common spellings.
    func phone(_ loc: LocaleData, _ city: City, _ r: inout RNG) -> String {
        let area = city.area
        var g: [String]
        var mobile = false
        switch loc.country {
        case .US, .CA:
            g = [area, "555", "01" + r.digits(2)]
        case .GB:
            if r.chance(0.3) {
                mobile = true
                g = ["7700", "900" + r.digits(3)]
            } else if area.count == 2 {
                g = [area, area == "20" ? "7946" : "2018", "0" + r.digits(3)]
            } else {
                g = [area, "496", "0" + r.digits(3)]
            }
        case .AU:
            if r.chance(0.2) {
                mobile = true
                g = ["491", "570", r.pick(["006", "156", "157", "158", "159", "110"])]
            } else {
                g = [area, r.chance(0.5) ? "5550" : "7010", r.digits(4)]
            }
        case .DE:
            if r.chance(0.4) {
                mobile = true
                g = [r.pick(["151", "152", "160", "170", "171", "172", "175", "176", "177", "178", "179"]),
                     r.digits(r.chance(0.5) ? 7 : 8, firstFrom: 1)]
            } else {
                g = [area, r.digits(max(5, 10 - area.count - (r.chance(0.3) ? 1 : 0)), firstFrom: 2)]
            }
        case .FR:
            mobile = r.chance(0.45)
            g = [mobile ? r.pick(["6", "7"]) : area, r.digits(2), r.digits(2), r.digits(2), r.digits(2)]
        case .ES:
            if r.chance(0.5) {
                mobile = true
                g = ["6" + r.digits(2), r.digits(2), r.digits(2), r.digits(2)]
            } else {
                g = area.count == 2 ? [area, r.digits(3, firstFrom: 1), r.digits(2), r.digits(2)]
                    : [area, r.digits(2, firstFrom: 1), r.digits(2), r.digits(2)]
            }
        case .IT:
            if r.chance(0.5) {
                mobile = true
                g = ["3" + r.pick(["20", "28", "33", "35", "40", "47", "49", "66", "88", "92"]), r.digits(3), r.digits(4)]
            } else {
                g = area.count == 2 ? [area, r.digits(4, firstFrom: 2), r.digits(4)] : [area, r.digits(3, firstFrom: 2), r.digits(4)]
            }
        case .NL:
            if r.chance(0.45) {
                mobile = true
                g = ["6", r.digits(8, firstFrom: 1)]
            } else {
                g = [area, r.digits(3, firstFrom: 2), r.digits(4)]
            }
        case .PL:
            if r.chance(0.55) {
                mobile = true
                g = [r.pick(["50", "51", "53", "60", "66", "69", "72", "78", "79", "88"]) + r.digits(1), r.digits(3), r.digits(3)]
            } else {
                g = [area, r.digits(3, firstFrom: 2), r.digits(2), r.digits(2)]
            }
        case .UA:
            if r.chance(0.6) {
                mobile = true
                g = [r.pick(["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]), r.digits(3, firstFrom: 1), r.digits(4)]
            } else {
                g = area.count == 2 ? [area, r.digits(3, firstFrom: 2), r.digits(4)] : [area, r.digits(3, firstFrom: 2), r.digits(3)]
            }
        case .CN:
            if r.chance(0.6) {
                mobile = true
                g = ["1" + r.pick(["3", "5", "8", "9"]) + r.digits(1), r.digits(4), r.digits(4)]
            } else {
                g = [area, r.digits(4, firstFrom: 2), r.digits(4)]
            }
        case .JP:
            if r.chance(0.5) {
                mobile = true
                g = [r.pick(["90", "80", "70"]), r.digits(4, firstFrom: 1), r.digits(4)]
            } else {
                g = area.count == 1 ? [area, r.digits(4, firstFrom: 1), r.digits(4)] : [area, r.digits(3, firstFrom: 1), r.digits(4)]
            }
        case .KR:
            if r.chance(0.6) {
                mobile = true
                g = ["10", r.digits(4, firstFrom: 2), r.digits(4)]
            } else {
                g = [area, r.digits(area.count == 1 ? 4 : 3, firstFrom: 2), r.digits(4)]
            }
        case .IN:
            if r.chance(0.7) {
                mobile = true
                g = [r.pick(["9", "8", "7", "6"]) + r.digits(4), r.digits(5)]
            } else {
                g = area.count == 2 ? [area, r.digits(4, firstFrom: 2), r.digits(4)] : [area, r.digits(3, firstFrom: 2), r.digits(4)]
            }
        case .BR:
            mobile = r.chance(0.6)
            g = [area, mobile ? "9" + r.digits(4, firstFrom: 6) : r.digits(4, firstFrom: 2), r.digits(4)]
        case .MX:
            g = area.count == 2 ? [area, r.digits(4, firstFrom: 1), r.digits(4)] : [area, r.digits(3, firstFrom: 1), r.digits(4)]
        case .SE:
            if r.chance(0.5) {
                mobile = true
                g = ["7" + r.pick(["0", "2", "3", "6", "9"]), r.digits(3), r.digits(2), r.digits(2)]
            } else {
                g = area.count == 1 ? [area, r.digits(3, firstFrom: 1), r.digits(3), r.digits(2)]
                    : [area, r.digits(3, firstFrom: 1), r.digits(2), r.digits(2)]
            }
        case .IE:
            if r.chance(0.5) {
                mobile = true
                g = [r.pick(["83", "85", "86", "87", "89"]), r.digits(3, firstFrom: 1), r.digits(4)]
            } else {
                g = [area, r.digits(3, firstFrom: 2), r.digits(4)]
            }
        case .PT:
            if r.chance(0.55) {
                mobile = true
                g = ["9" + r.pick(["1", "2", "3", "6"]) + r.digits(1), r.digits(3), r.digits(3)]
            } else {
                g = area.count == 2 ? [area, r.digits(3), r.digits(4)] : [area, r.digits(3), r.digits(3)]
            }
        }

        let cc = loc.callingCode
        let code = loc.country
        let dashed = code == .JP || code == .KR
        let trunk: String
        switch code {
        case .GB, .DE, .FR, .NL, .UA, .CN, .JP, .KR, .IN, .SE, .IE, .AU: trunk = "0"
        default: trunk = ""
        }
        let roll = r.uniform()
        if roll < 0.45 {
            if code == .US || code == .CA {
                return r.chance(0.5) ? "+1 (\(g[0])) \(g[1])-\(g[2])" : "+1 " + g.joined(separator: r.chance(0.5) ? " " : "-")
            }
            if code == .BR { return "+55 \(g[0]) \(g[1])-\(g[2])" }
            if dashed { return "+\(cc) " + g.joined(separator: "-") }
            return "+\(cc) " + g.joined(separator: " ")
        }
        if roll < 0.6 {
            return "+\(cc)" + g.joined()
        }
        if roll < 0.68, [.GB, .DE, .FR, .NL, .IE, .AU, .SE].contains(code) {
            return "+\(cc) (0)" + g.joined(separator: " ")
        }
        switch code {
        case .US, .CA:
            switch r.int(3) {
            case 0: return "(\(g[0])) \(g[1])-\(g[2])"
            case 1: return g.joined(separator: "-")
            default: return g.joined(separator: ".")
            }
        case .BR:
            return "(\(g[0])) \(g[1])-\(g[2])"
        case .JP, .KR:
            return trunk + g.joined(separator: "-")
        case .CN:
            return mobile ? g.joined(separator: " ") : trunk + g[0] + "-" + g[1] + g[2]
        case .FR:
            return trunk + g.joined(separator: r.chance(0.15) ? "." : " ")
        case .SE:
            return trunk + g[0] + "-" + g.dropFirst().joined(separator: " ")
        case .DE:
            return trunk + g.joined(separator: " ")
        default:
            return trunk + g.joined(separator: " ")
        }
    }

    /// A national number as written from abroad: `+<calling code> `, the trunk prefix dropped.
    func international(_ national: String, _ loc: LocaleData) -> String {
        var rest = Substring(national)
        switch loc.country {
        case .GB, .DE, .FR, .NL, .UA, .CN, .JP, .KR, .IN, .SE, .IE, .AU:
            if rest.first == "0" { rest = rest.dropFirst() }
        default: break
        }
        return "+\(loc.callingCode) " + rest
    }

    /// Unique per customer index: every local part ends in a digit tag that is a bijection of the index.
    func email(
        index: Int, seed: UInt64, given: String, family: String, companyDomain: String,
        loc: LocaleData, _ r: inout RNG
    ) -> String {
        let tag = String(Self.emailTag(index: index, seed: seed))
        let g = given.isEmpty ? "user" : given
        let f = family.isEmpty ? "contact" : family
        let i = String(g.first!)
        var local: String
        switch r.int(10) {
        case 0, 1: local = g + "." + f + tag
        case 2: local = g + f + tag
        case 3: local = i + "." + f + tag
        case 4: local = g + "_" + f + tag
        case 5: local = f + "." + g + tag
        case 6: local = g + tag
        case 7: local = i + f + tag
        case 8: local = g + "." + f + "." + tag
        default: local = f + i + tag
        }
        var domain = !companyDomain.isEmpty && r.chance(0.7) ? companyDomain : r.pick(loc.providers)
        // Messy but valid: mixed case and stray surrounding spaces (the vault trims and lowercases).
        let caseRoll = r.uniform()
        if caseRoll < 0.05 {
            local = Self.capitalizeSegments(local)
            domain = Self.capitalizeSegments(domain, upperLast: r.chance(0.5))
        } else if caseRoll < 0.065 {
            local = local.uppercased()
            domain = domain.uppercased()
        }
        var email = local + "@" + domain
        let spaceRoll = r.uniform()
        if spaceRoll < 0.03 {
            email = " " + email
        } else if spaceRoll < 0.06 {
            email += " "
        } else if spaceRoll < 0.07 {
            email = "  " + email + " "
        }
        return email
    }

    /// Bijection from index to a decimal tag whose width grows slowly: 0..<90 → 2 digits,
    /// the next 900 → 3 digits, …; scrambled within each block so tags are not sequential.
    static func emailTag(index: Int, seed: UInt64) -> UInt64 {
        var i = UInt64(index)
        var low: UInt64 = 10
        var size: UInt64 = 90
        var block: UInt64 = 2
        while i >= size && size < UInt64.max / 20 {
            i -= size
            low *= 10
            size *= 10
            block += 1
        }
        let h = RNG.mix(seed ^ (block &* 0xA24B_AED4_963E_E407))
        // size = 9·10^k has only the prime factors 2, 3, 5, so a multiplier free of them makes
        // i ↦ m·i + offset (mod size) a permutation.
        var m = (h >> 32) % size | 1
        while m % 3 == 0 || m % 5 == 0 || m == 1 { m = (m + 2) % size | 1 }
        let product = i.multipliedFullWidth(by: m)
        let scrambled = size.dividingFullWidth((product.high, product.low)).remainder
        return low + (scrambled + h % size) % size
    }

    static func capitalizeSegments(_ text: String, upperLast: Bool = false) -> String {
        var parts = text.split(separator: ".", omittingEmptySubsequences: false).map { part -> String in
            var up = true
            var out = ""
            for ch in part {
                out += up ? ch.uppercased() : String(ch)
                up = ch == "_" || ch == "-"
            }
            return out
        }
        if upperLast, parts.count > 1 { parts[parts.count - 1] = parts[parts.count - 1].uppercased() }
        return parts.joined(separator: ".")
    }

    func note(_ loc: LocaleData, _ r: inout RNG) -> String {
        if !loc.notes.isEmpty && r.chance(0.35) { return r.pick(loc.notes) }
        switch r.int(22) {
        case 0: return "Asked for a callback after \(1 + r.int(5)) pm."
        case 1: return "Interested in the premium plan, wants a demo next week."
        case 2: return "Prefers email over phone."
        case 3: return "Budget approval pending; anything over \(r.pick(["5,000", "10,000", "25,000"])) needs sign-off."
        case 4: return "Said \"maybe next quarter\", follow up in \(r.pick(["14", "30", "45", "60", "90"])) days."
        case 5: return "Met at trade fair, booth #\(10 + r.int(290)). Very engaged."
        case 6: return "Currently with \(r.pick(competitors)), contract ends soon."
        case 7: return "Complained about delivery delays, resolved with a 10% voucher."
        case 8: return "Follow-up:\n- send pricing\n- book demo, \"ASAP\" per assistant"
        case 9:
            return "Call notes:\nCustomer said \"we're happy with \(r.pick(competitors)), but pricing hurts\".\nRevisit in Q\(1 + r.int(4))."
        case 10: return "VIP – handle with care"
        case 11: return "Do not call before 10am"
        case 12: return "Duplicate of an older record? Check with support."
        case 13: return "Wants invoices in EUR, not USD."
        case 14: return "Requested a copy of their data (GDPR); sent last month."
        case 15: return "Moved recently; update shipping address."
        case 16: return "Left voicemail x\(2 + r.int(3)), no answer."
        case 17: return "Asked whether \"Pro\" includes onboarding."
        case 18: return "Great call 👍 – ready to sign once legal approves."
        case 19: return "Renewal risk: usage dropped \(10 + r.int(60))% since last quarter."
        case 20: return "Delivery instructions:\nBuilding B, 3rd floor\nReception closes at 5pm"
        default: return "Prefers \"Dr.\" as title."
        }
    }
}

// MARK: - Locales
// Lists are "|"-separated; "native=latin" gives the romanization, "male/female" a gendered surname,
// cities are "name;postal prefixes;phone area code".

extension DemoDataGenerator.Tables {
    static func makeLocales() -> [LocaleData] {
        [
            LocaleData(
                "US", weight: 18, phone: "1", income: 62000,
                female: "Mary|Jennifer|Emily|Jessica|Sarah|Ashley|Olivia|Emma|Madison|Linda|Patricia|Ava|Megan|Rachel|Lauren|Grace",
                male: "James|John|Robert|Michael|David|William|Christopher|Matthew|Joshua|Daniel|Ethan|Tyler|Brandon|Kevin|Jacob|Anthony",
                surnames: "Smith|Johnson|Williams|Brown|Jones|Garcia|Miller|Davis|Rodriguez|Martinez|Wilson|Anderson|Taylor|Thomas|"
                    + "Moore|Jackson|Lee|Nguyen|O'Connor|Walker",
                cities: "New York;100,101,102;212|Los Angeles;900,917;213|Chicago;606;312|Houston;770;713|Phoenix;850;602|"
                    + "Philadelphia;191;215|San Antonio;782;210|San Diego;921;619|Dallas;752;214|Austin;787;512|"
                    + "San Francisco;941;415|Seattle;981;206|Denver;802;303|Boston;021;617|Atlanta;303;404|Miami;331;305",
                streets: "Main St|Oak Ave|Maple Dr|Cedar Ln|Park Ave|Pine St|Elm St|Washington Blvd|Lakeview Rd|Sunset Blvd|"
                    + "Highland Ave|Broadway|Market St|Riverside Dr|Hillcrest Rd|5th Ave",
                postal: "#####", suffixes: "Inc.|LLC|Corp.|Co.", middleInitial: 0.08
            ),
            LocaleData(
                "GB", weight: 8, phone: "44", income: 45000,
                female: "Olivia|Amelia|Emily|Sophie|Charlotte|Jessica|Hannah|Lucy|Grace|Chloe|Isla|Poppy|Eleanor|Harriet|Ada",
                male: "Oliver|Harry|Jack|George|James|Thomas|William|Daniel|Samuel|Joseph|Alfie|Callum|Rhys|Owen",
                surnames: "Smith|Jones|Williams|Taylor|Brown|Davies|Evans|Wilson|Thomas|Johnson|Roberts|Walker|Wright|Robinson|"
                    + "Thompson|Hughes|Patel|Khan|Clarke|Lovelace",
                cities: "London;SW1A,EC1A,N1,E14,W1T,SE1,NW3,WC2N;20|Manchester;M1,M4,M20;161|Birmingham;B1,B15;121|"
                    + "Leeds;LS1,LS6;113|Glasgow;G1,G12;141|Edinburgh;EH1,EH3;131|Bristol;BS1,BS8;117|Liverpool;L1,L17;151|"
                    + "Sheffield;S1,S10;114|Cardiff;CF10,CF24;29",
                streets: "High Street|Station Road|Church Lane|Victoria Road|Park Road|Baker Street|Queen's Road|Mill Lane|"
                    + "Kings Road|The Crescent|Green Lane|Manor Road",
                postal: "* #@@", suffixes: "Ltd|Ltd.|PLC|LLP", middleInitial: 0.04
            ),
            LocaleData(
                "DE", weight: 8, phone: "49", income: 48000,
                female: "Anna|Julia|Laura|Lena|Sophie|Katharina|Sabine|Petra|Claudia|Jana|Lea|Ursula|Monika|Hannah",
                male: "Lukas|Maximilian|Jonas|Felix|Thomas|Michael|Stefan|Andreas|Jürgen|Tobias|Florian|Klaus|Uwe|Matthias",
                surnames: "Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schulz|Hoffmann|Schäfer|Koch|Bauer|"
                    + "Richter|Klein|Wolf|Schröder|Neumann|Zimmermann|Krüger",
                cities: "Berlin;10,12,13;30|Hamburg;20,22;40|München;80,81;89|Köln;50,51;221|Frankfurt am Main;60;69|"
                    + "Stuttgart;70;711|Düsseldorf;40;211|Leipzig;04;341|Dresden;01;351|Nürnberg;90;911|Hannover;30;511|Bremen;28;421",
                streets: "Hauptstraße|Bahnhofstraße|Gartenstraße|Schulstraße|Dorfstraße|Lindenallee|Goethestraße|"
                    + "Schillerstraße|Bergstraße|Kirchweg|Am Markt|Friedrichstraße",
                postal: "#####", suffixes: "GmbH|AG|GmbH & Co. KG|KG|e.K.",
                notes: "Rückruf erwünscht, bevorzugt vormittags.|Kunde wünscht Angebot per Post, nicht per E-Mail.|"
                    + "Hat nach \"Rabatt\" gefragt – Rückmeldung bis Freitag."
            ),
            LocaleData(
                "FR", weight: 6, phone: "33", income: 40000,
                female: "Marie|Camille|Léa|Manon|Chloé|Julie|Sophie|Émilie|Claire|Inès|Anne-Sophie|Marie-Claire|Nathalie|Isabelle",
                male: "Jean|Pierre|Nicolas|Julien|Thomas|Antoine|Louis|Hugo|François|Mathieu|Jean-Luc|Jean-Pierre|Olivier|Sébastien",
                surnames: "Martin|Bernard|Dubois|Thomas|Robert|Richard|Petit|Durand|Leroy|Moreau|Simon|Laurent|Lefèvre|"
                    + "Michel|Garcia|Fontaine|Rousseau|Girard",
                cities: "Paris;7500,7501;1|Marseille;130;4|Lyon;6900;4|Toulouse;31;5|Nice;06;4|Nantes;44;2|"
                    + "Strasbourg;67;3|Bordeaux;33;5|Lille;59;3|Montpellier;34;4|Rennes;35;2",
                streets: "rue de la République|avenue Jean Jaurès|rue Victor Hugo|boulevard Voltaire|rue de la Paix|"
                    + "place de la Mairie|rue du Moulin|avenue des Champs-Élysées|rue Pasteur|chemin des Vignes|"
                    + "rue Nationale|allée des Tilleuls",
                postal: "#####", suffixes: "SARL|SAS|SA|EURL",
                notes: "Souhaite une démo, rappeler après le 15.|Client satisfait, demande un devis \"urgent\".|"
                    + "Préfère être contacté par e-mail."
            ),
            LocaleData(
                "ES", weight: 5, phone: "34", income: 30000,
                female: "María|Lucía|Carmen|Laura|Marta|Paula|Elena|Sara|Ana|Cristina|Nerea|Ainhoa",
                male: "Antonio|Manuel|José|David|Javier|Daniel|Alejandro|Pablo|Sergio|Álvaro|Jordi|Iñaki",
                surnames: "García|Fernández|González|Rodríguez|López|Martínez|Sánchez|Pérez|Gómez|Martín|Jiménez|Ruiz|"
                    + "Hernández|Díaz|Moreno|Álvarez|Muñoz|Romero",
                cities: "Madrid;28;91|Barcelona;08;93|Valencia;46;96|Sevilla;41;95|Zaragoza;50;976|Málaga;29;952|"
                    + "Bilbao;48;94|Palma;07;971|Alicante;03;965|Murcia;30;968",
                streets: "Calle Mayor|Calle de Alcalá|Gran Vía|Avenida Diagonal|Calle Real|Paseo de la Castellana|"
                    + "Calle del Sol|Avenida de la Constitución|Calle San Juan|Plaza de España",
                postal: "#####", suffixes: "S.L.|S.A.|S.L.U.",
                notes: "Pide descuento por volumen, \"urgente\".|Llamar por la tarde, no por la mañana.|Interesado en el plan anual.",
                secondSurname: 0.85
            ),
            LocaleData(
                "IT", weight: 5, phone: "39", income: 32000,
                female: "Giulia|Francesca|Chiara|Sara|Valentina|Alessia|Martina|Elena|Federica|Giorgia|Anna|Paola",
                male: "Marco|Luca|Giuseppe|Alessandro|Francesco|Andrea|Matteo|Lorenzo|Davide|Stefano|Giovanni|Niccolò",
                surnames: "Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|Bruno|Gallo|Conti|"
                    + "De Luca|Costa|Fontana|Moretti|Barbieri",
                cities: "Roma;00;06|Milano;20;02|Napoli;80;081|Torino;10;011|Bologna;40;051|Firenze;50;055|"
                    + "Genova;16;010|Palermo;90;091|Verona;37;045|Bari;70;080",
                streets: "Via Roma|Via Garibaldi|Corso Vittorio Emanuele II|Via Dante|Via Mazzini|Piazza del Duomo|"
                    + "Via Verdi|Viale Europa|Via Cavour|Via della Repubblica",
                postal: "#####", suffixes: "S.r.l.|S.p.A.|S.n.c.|S.a.s.",
                notes: "Richiamare dopo le 15, interessato all'offerta.|Chiede fattura elettronica."
            ),
            LocaleData(
                "NL", weight: 3, phone: "31", income: 50000,
                female: "Emma|Sanne|Lotte|Anouk|Fleur|Iris|Eva|Femke|Lisa|Noor|Sophie|Maaike",
                male: "Daan|Sem|Lucas|Bram|Jeroen|Thijs|Ruben|Pieter|Joost|Sander|Bas|Koen",
                surnames: "de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer|de Boer|"
                    + "Mulder|de Groot|Bos|Vos|Peters|van der Meer|Dekker",
                cities: "Amsterdam;10;20|Rotterdam;30;10|Den Haag;25;70|Utrecht;35;30|Eindhoven;56;40|Groningen;97;50|"
                    + "Tilburg;50;13|Haarlem;20;23|Nijmegen;65;24|Breda;48;76",
                streets: "Keizersgracht|Prinsengracht|Herengracht|Dorpsstraat|Kerkstraat|Stationsweg|Molenweg|"
                    + "Schoolstraat|Julianalaan|Wilhelminastraat|Beatrixlaan|Markt",
                postal: "#### @@", suffixes: "B.V.|N.V.|V.O.F.",
                notes: "Graag terugbellen na 14:00.|Wil een offerte per e-mail."
            ),
            LocaleData(
                "PL", weight: 4, phone: "48", income: 22000,
                female: "Anna|Katarzyna|Małgorzata|Agnieszka|Magdalena|Joanna|Monika|Aleksandra|Zofia|Natalia|Ewa|Barbara",
                male: "Piotr|Krzysztof|Tomasz|Paweł|Michał|Marcin|Jakub|Łukasz|Kamil|Mateusz|Grzegorz|Wojciech",
                surnames: "Nowak|Kowalski/Kowalska|Wiśniewski/Wiśniewska|Wójcik|Kowalczyk|Kamiński/Kamińska|"
                    + "Lewandowski/Lewandowska|Zieliński/Zielińska|Szymański/Szymańska|Woźniak|Dąbrowski/Dąbrowska|"
                    + "Kozłowski/Kozłowska|Mazur|Krawczyk|Zając|Król",
                cities: "Warszawa;00,01,02,03,04;22|Kraków;30,31;12|Łódź;90,91,93;42|Wrocław;50,51,53;71|Poznań;60,61;61|"
                    + "Gdańsk;80;58|Szczecin;70,71;91|Lublin;20;81|Katowice;40;32|Bydgoszcz;85;52",
                streets: "ul. Marszałkowska|ul. Długa|ul. Piotrkowska|ul. Floriańska|ul. Mickiewicza|ul. Słowackiego|"
                    + "al. Jerozolimskie|ul. Kościuszki|ul. Polna|ul. Lipowa|ul. Ogrodowa|ul. Szkolna",
                postal: "##-###", suffixes: "Sp. z o.o.|S.A.|sp.j.",
                notes: "Prosi o kontakt mailowy, nie dzwonić.|Zainteresowany ofertą, oddzwonić w poniedziałek."
            ),
            LocaleData(
                "UA", weight: 4, phone: "380", income: 8000,
                female: "Олена=Olena|Оксана=Oksana|Наталія=Nataliia|Ірина=Iryna|Юлія=Yuliia|Тетяна=Tetiana|Марія=Mariia|"
                    + "Анна=Anna|Катерина=Kateryna|Світлана=Svitlana|Софія=Sofiia|Дарина=Daryna",
                male: "Андрій=Andrii|Олександр=Oleksandr|Дмитро=Dmytro|Сергій=Serhii|Іван=Ivan|Максим=Maksym|Богдан=Bohdan|"
                    + "Тарас=Taras|Василь=Vasyl|Микола=Mykola|Юрій=Yurii|Олег=Oleh",
                surnames: "Коваленко=Kovalenko|Шевченко=Shevchenko|Бондаренко=Bondarenko|Ткаченко=Tkachenko|"
                    + "Кравченко=Kravchenko|Мельник=Melnyk|Бойко=Boiko|Ковальчук=Kovalchuk|Олійник=Oliinyk|Лисенко=Lysenko|"
                    + "Савченко=Savchenko|Руденко=Rudenko|Петренко=Petrenko|Марченко=Marchenko|Поліщук=Polishchuk|"
                    + "Гончаренко=Honcharenko|Левицький/Левицька=Levytskyi/Levytska|Ковальський/Ковальська=Kovalskyi/Kovalska",
                cities: "Київ;01,02,03,04;44|Львів;79;32|Харків;61;57|Одеса;65;48|Дніпро;49;56|Запоріжжя;69;61|"
                    + "Вінниця;21;432|Івано-Франківськ;76;342|Полтава;36;532|Чернігів;14;462",
                streets: "вул. Хрещатик|вул. Шевченка|просп. Свободи|вул. Городоцька|вул. Сумська|вул. Дерибасівська|"
                    + "вул. Соборна|просп. Перемоги|вул. Грушевського|вул. Івана Франка|вул. Садова|бульв. Лесі Українки",
                postal: "#####",
                notes: "Передзвонити після 15:00, цікавиться тарифом «Бізнес».|"
                    + "Клієнт просить рахунок-фактуру, оплата до кінця місяця.|Просить не телефонувати, тільки e-mail."
            ),
            LocaleData(
                "CN", weight: 7, phone: "86", income: 14000,
                female: "芳=Fang|娜=Na|敏=Min|静=Jing|丽=Li|秀英=Xiuying|婷=Ting|雪=Xue|慧=Hui|玲=Ling|晓燕=Xiaoyan|欣怡=Xinyi",
                male: "伟=Wei|强=Qiang|磊=Lei|军=Jun|洋=Yang|勇=Yong|杰=Jie|涛=Tao|明=Ming|超=Chao|浩然=Haoran|子轩=Zixuan|建国=Jianguo",
                surnames: "王=Wang|李=Li|张=Zhang|刘=Liu|陈=Chen|杨=Yang|黄=Huang|赵=Zhao|吴=Wu|周=Zhou|徐=Xu|孙=Sun|马=Ma|"
                    + "朱=Zhu|胡=Hu|郭=Guo|何=He|林=Lin",
                cities: "北京;100,101;10|上海;200,201;21|广州;510;20|深圳;518;755|成都;610;28|杭州;310;571|武汉;430;27|"
                    + "南京;210;25|西安;710;29|重庆;400;23|天津;300;22|苏州;215;512",
                streets: "人民路|解放路|中山路|建设路|和平路|长江路|南京路|朝阳路|新华路|文化路|胜利路|东风路",
                postal: "######",
                notes: "客户对价格敏感，希望下周再联系。|已发送报价单，等待回复。|需要开具增值税发票。",
                order: .familyFirstNoSpace
            ),
            LocaleData(
                "JP", weight: 5, phone: "81", income: 38000,
                female: "花子=Hanako|陽子=Yoko|さくら=Sakura|美咲=Misaki|由美=Yumi|結衣=Yui|恵子=Keiko|愛=Ai|真由美=Mayumi|ひなた=Hinata",
                male: "太郎=Taro|翔太=Shota|健=Ken|大輔=Daisuke|拓也=Takuya|蓮=Ren|誠=Makoto|浩=Hiroshi|健一=Kenichi|悠真=Yuma",
                surnames: "佐藤=Sato|鈴木=Suzuki|高橋=Takahashi|田中=Tanaka|伊藤=Ito|渡辺=Watanabe|山本=Yamamoto|中村=Nakamura|"
                    + "小林=Kobayashi|加藤=Kato|吉田=Yoshida|山田=Yamada|佐々木=Sasaki|松本=Matsumoto",
                cities: "東京;100,101,150,160;3|大阪;530,540;6|横浜;220,231;45|名古屋;450,460;52|札幌;060;11|福岡;810;92|"
                    + "神戸;650;78|京都;600,604;75|仙台;980;22|広島;730;82",
                streets: "本町|中央|栄|錦|梅田|丸の内|銀座|天神|大通西|元町|新宿|桜木町",
                postal: "###-####",
                notes: "来週、見積もりを送付予定。|担当者不在のため、折り返し連絡待ち。|請求書は紙で送付希望。",
                extras: "サンハイツ|メゾン桜|グランドパレス|コーポ山田",
                order: .familyFirstSpace
            ),
            LocaleData(
                "IN", weight: 6, phone: "91", income: 6000,
                female: "Priya|Ananya|Aisha|Divya|Kavya|Neha|Pooja|Sneha|Lakshmi|Meera|Riya|Shreya",
                male: "Rahul|Arjun|Vikram|Amit|Rohan|Sanjay|Aditya|Karthik|Rajesh|Suresh|Imran|Harpreet",
                surnames: "Sharma|Patel|Singh|Kumar|Gupta|Reddy|Iyer|Nair|Mehta|Das|Rao|Joshi|Banerjee|Khan|Chatterjee|Agarwal",
                cities: "Mumbai;400;22|New Delhi;110;11|Bengaluru;560;80|Chennai;600;44|Hyderabad;500;40|Pune;411;20|"
                    + "Kolkata;700;33|Ahmedabad;380;79|Jaipur;302;141|Lucknow;226;522",
                streets: "MG Road|Linking Road|Park Street|Anna Salai|Brigade Road|FC Road|Nehru Nagar|Gandhi Road|"
                    + "Station Road|Lake View Colony",
                postal: "######", suffixes: "Pvt. Ltd.|Ltd.|LLP",
                extras: "Sai Residency|Green Park Apartments|Lotus Towers|Shanti Niwas"
            ),
            LocaleData(
                "BR", weight: 5, phone: "55", income: 9000,
                female: "Ana|Maria|Juliana|Fernanda|Camila|Beatriz|Larissa|Patrícia|Luana|Gabriela|Ana Paula|Letícia",
                male: "João|Pedro|Lucas|Gabriel|Rafael|Bruno|Thiago|Felipe|Carlos|Mateus|José Carlos|Vinícius",
                surnames: "Silva|Santos|Oliveira|Souza|Rodrigues|Ferreira|Alves|Pereira|Lima|Gomes|Costa|Ribeiro|Martins|"
                    + "Carvalho|Araújo|Barbosa",
                cities: "São Paulo;01,02,03,04,05;11|Rio de Janeiro;20,21,22;21|Belo Horizonte;30,31;31|Porto Alegre;90,91;51|"
                    + "Curitiba;80,81;41|Salvador;40,41;71|Recife;50,51;81|Fortaleza;60;85|Brasília;70,71;61|Manaus;69;92",
                streets: "Rua Augusta|Av. Paulista|Rua das Flores|Rua XV de Novembro|Av. Brasil|Rua da Consolação|"
                    + "Av. Atlântica|Rua Sete de Setembro|Av. Getúlio Vargas|Rua Bahia",
                postal: "#####-###", suffixes: "Ltda.|S.A.|ME|EIRELI",
                notes: "Pediu orçamento atualizado, retornar na segunda.|Cliente prefere contato por WhatsApp.",
                secondSurname: 0.45
            ),
            LocaleData(
                "MX", weight: 4, phone: "52", income: 10000,
                female: "María|Guadalupe|Fernanda|Sofía|Valeria|Ximena|Daniela|Andrea|Lucía|Mariana|María José|Itzel",
                male: "José|Juan|Luis|Carlos|Miguel|Alejandro|Diego|Javier|Jorge|Emiliano|José Luis|Juan Pablo",
                surnames: "Hernández|García|Martínez|López|González|Pérez|Rodríguez|Sánchez|Ramírez|Cruz|Flores|Gómez|"
                    + "Morales|Vázquez|Reyes|Jiménez",
                cities: "Ciudad de México;01,03,06,11;55|Guadalajara;44;33|Monterrey;64;81|Puebla;72;222|Tijuana;22;664|"
                    + "Mérida;97;999|Querétaro;76;442|León;37;477|Toluca;50;722|Cancún;77;998",
                streets: "Av. Insurgentes Sur|Av. Reforma|Calle Madero|Av. Juárez|Calle Hidalgo|Av. Revolución|"
                    + "Calle Morelos|Av. Universidad|Calle 5 de Mayo|Av. Chapultepec",
                postal: "#####", suffixes: "S.A. de C.V.|S. de R.L. de C.V.|S.C.",
                notes: "Solicita factura con RFC, llamar por la tarde.|Interesado, pero \"sin prisa\".",
                extras: "Del Valle|Roma Norte|Condesa|Centro|Polanco|Americana|Providencia|Jardines del Bosque",
                secondSurname: 0.9
            ),
            LocaleData(
                "CA", weight: 4, phone: "1", income: 52000,
                female: "Emma|Olivia|Chloé|Sophie|Emily|Charlotte|Léa|Ava|Isabelle|Madison|Camille|Mia",
                male: "Liam|Noah|William|Benjamin|Lucas|Félix|Ethan|Nathan|Samuel|Gabriel|Olivier|Owen",
                surnames: "Smith|Brown|Tremblay|Martin|Roy|Wilson|MacDonald|Gagnon|Johnson|Taylor|Côté|Campbell|Anderson|"
                    + "Leblanc|Lee|Bouchard",
                cities: "Toronto;M;416|Montréal;H;514|Vancouver;V;604|Calgary;T;403|Ottawa;K;613|Edmonton;T;780|"
                    + "Winnipeg;R;204|Québec;G;418|Halifax;B;902|Victoria;V;250",
                streets: "Yonge Street|Rue Sainte-Catherine|Robson Street|Main Street|King Street West|"
                    + "Boulevard Saint-Laurent|Jasper Avenue|Portage Avenue|Queen Street|Maple Avenue",
                postal: "@#@ #@#", suffixes: "Inc.|Ltd.|Corp.|Ltée",
                notes: "Préfère le français pour la correspondance.|Asked for pricing in CAD."
            ),
            LocaleData(
                "AU", weight: 3, phone: "61", income: 55000,
                female: "Charlotte|Olivia|Amelia|Isla|Mia|Chloe|Sarah|Emma|Jessica|Grace|Matilda|Ruby",
                male: "Oliver|Jack|William|Noah|Thomas|James|Lachlan|Liam|Cooper|Mitchell|Hamish|Riley",
                surnames: "Smith|Jones|Williams|Brown|Wilson|Taylor|Nguyen|Johnson|Martin|White|Anderson|Walker|Thompson|"
                    + "Kelly|Ryan|O'Brien",
                cities: "Sydney;20,21;2|Melbourne;30,31;3|Brisbane;40,41;7|Perth;60,61;8|Adelaide;50,51;8|Canberra;26;2|"
                    + "Hobart;70;3|Gold Coast;42;7|Newcastle;23;2|Darwin;08;8",
                streets: "George Street|Collins Street|Queen Street|Hay Street|King William Street|Bourke Street|"
                    + "Elizabeth Street|Pitt Street|Beach Road|Smith Street",
                postal: "####", suffixes: "Pty Ltd|Pty. Ltd.|Ltd"
            ),
            LocaleData(
                "SE", weight: 2, phone: "46", income: 48000,
                female: "Anna|Eva|Maria|Karin|Sara|Emma|Elsa|Maja|Linnéa|Ingrid|Astrid|Ebba",
                male: "Erik|Lars|Karl|Anders|Johan|Per|Oscar|Lucas|Nils|Magnus|Gustav|Björn",
                surnames: "Andersson|Johansson|Karlsson|Nilsson|Eriksson|Larsson|Olsson|Persson|Svensson|Gustafsson|"
                    + "Lindberg|Lindström|Björk|Åberg|Lundqvist|Sjöberg",
                cities: "Stockholm;111,112,113,114,115,116,117;8|Göteborg;411,412,413,414;31|Malmö;211,212,214;40|"
                    + "Uppsala;751,752,753;18|Västerås;721,722;21|Örebro;702,703;19|Linköping;582,583;13|Umeå;903,904;90",
                streets: "Drottninggatan|Storgatan|Kungsgatan|Vasagatan|Sveavägen|Götgatan|Skolgatan|Kyrkogatan|"
                    + "Strandvägen|Parkvägen",
                postal: "### ##", suffixes: "AB|HB",
                notes: "Vill bli kontaktad via e-post.|Ring tillbaka efter lunch."
            ),
            LocaleData(
                "IE", weight: 1.5, phone: "353", income: 50000,
                female: "Aoife|Siobhán|Niamh|Ciara|Sinéad|Emma|Sarah|Róisín|Orla|Gráinne|Aisling|Clodagh",
                male: "Seán|Conor|Cian|Patrick|Liam|Darragh|Oisín|Eoin|Ciarán|Michael|Pádraig|Declan",
                surnames: "Murphy|Kelly|O'Sullivan|Walsh|Smith|O'Brien|Byrne|Ryan|O'Connor|O'Neill|McCarthy|Doyle|"
                    + "Gallagher|Kennedy|Lynch|Ó Súilleabháin",
                cities: "Dublin;D01,D02,D04,D06,D08,D24;1|Cork;T12,T23;21|Galway;H91;91|Limerick;V94;61|"
                    + "Waterford;X91;51|Kilkenny;R95;56",
                streets: "Main Street|Harcourt Road|O'Connell Street|Grafton Street|Patrick Street|Shop Street|"
                    + "Church Road|Strand Road|Mill Road|Castle Street",
                postal: "* %%%%", suffixes: "Ltd|Ltd.|DAC|Teoranta"
            ),
            LocaleData(
                "PT", weight: 1.5, phone: "351", income: 22000,
                female: "Maria|Ana|Beatriz|Inês|Mariana|Joana|Sofia|Catarina|Rita|Leonor|Carolina|Marta",
                male: "João|Rodrigo|Francisco|Tiago|Duarte|Miguel|Pedro|Rui|Nuno|Gonçalo|Afonso|Diogo",
                surnames: "Silva|Santos|Ferreira|Pereira|Oliveira|Costa|Rodrigues|Martins|Jesus|Sousa|Fernandes|"
                    + "Gonçalves|Gomes|Lopes|Marques|Almeida",
                cities: "Lisboa;10,11,12,13,14,15,16,17;21|Porto;40,41,42,43;22|Braga;47;253|Coimbra;30;239|Faro;80;289|"
                    + "Aveiro;38;234|Setúbal;29;265|Funchal;90;291",
                streets: "Rua Augusta|Avenida da Liberdade|Rua de Santa Catarina|Rua do Carmo|Avenida da República|"
                    + "Rua Direita|Rua da Prata|Travessa do Mercado|Largo do Rato|Rua das Flores",
                postal: "####-###", suffixes: "Lda.|S.A.|Unipessoal Lda.",
                notes: "Pediu contacto por e-mail, não ligar.|Interessado no plano anual.",
                secondSurname: 0.5
            ),
            LocaleData(
                "KR", weight: 2.5, phone: "82", income: 36000,
                female: "서연=Seoyeon|지우=Jiwoo|민서=Minseo|하은=Haeun|수빈=Subin|지은=Jieun|은지=Eunji|예린=Yerin",
                male: "민준=Minjun|서준=Seojun|도윤=Doyun|지호=Jiho|현우=Hyunwoo|성민=Sungmin|준호=Junho|재원=Jaewon",
                surnames: "김=Kim|이=Lee|박=Park|최=Choi|정=Jung|강=Kang|조=Cho|윤=Yoon|장=Jang|임=Lim|한=Han|오=Oh",
                cities: "서울;01,02,03,04,05,06,07,08;2|부산;46,47,48,49;51|인천;21,22,23;32|대구;41,42;53|대전;34,35;42|"
                    + "광주;61,62;62|수원;16;31|울산;44;52",
                streets: "테헤란로|세종대로|해운대로|중앙대로|한밭대로|올림픽로|강남대로|동성로|충장로|인주대로",
                postal: "#####",
                notes: "다음 주에 다시 연락 요망.|견적서 발송 완료, 회신 대기 중.",
                order: .familyFirstNoSpace
            ),
        ]
    }
}
