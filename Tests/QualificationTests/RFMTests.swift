import Coffer
import Foundation
import Qualification
import Testing

/// A summary carrying just the three RFM metrics.
private func rfmCustomer(daysSince: Double, frequency: Int, daySpend: Double) -> PurchaseSummary {
    PurchaseSummary(
        orders: frequency + 1, purchaseDays: frequency + 1, frequency: frequency,
        recency: 100, age: 100 + daysSince, monetaryValue: daySpend,
        averageDaySpend: daySpend, totalSpend: daySpend * Double(frequency + 1)
    )
}

@Suite("RFM")
struct RFMTests {
    @Test("Quintile cut-offs and scores of ten distinct customers, by hand")
    func distinctValues() throws {
        // Days since last purchase 1…10, frequency 1…10, spend 10…100.
        let population = (1...10).map { rfmCustomer(daysSince: Double($0), frequency: $0, daySpend: Double($0) * 10) }
        let thresholds = try RFMThresholds(population: population)
        // Nearest rank ⌈k·10/5⌉ = 2, 4, 6, 8.
        #expect(thresholds.daysSinceLastPurchase == [2, 4, 6, 8])
        #expect(thresholds.frequency == [2, 4, 6, 8])
        #expect(thresholds.averageDaySpend == [20, 40, 60, 80])

        let scores = population.map { thresholds.score($0) }
        #expect(scores.map(\.recency) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1])   // fewer days = better
        #expect(scores.map(\.frequency) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        #expect(scores.map(\.monetary) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        #expect(scores[0].code == "511")
        #expect(scores[9].code == "155")
    }

    @Test("Ties are never split: six one-time buyers share one F score")
    func ties() throws {
        let frequencies = [0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
        let population = frequencies.map { rfmCustomer(daysSince: 5, frequency: $0, daySpend: 10) }
        let thresholds = try RFMThresholds(population: population)
        // Sorted 0,0,0,0,0,0,1,2,3,4: ranks 2,4,6,8 → 0, 0, 0, 2.
        #expect(thresholds.frequency == [0, 0, 0, 2])
        let f = population.map { thresholds.score($0).frequency }
        #expect(f == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5])
        // All equal days since last purchase and spend: everybody equal.
        #expect(Set(population.map { thresholds.score($0).recency }) == [5])
        #expect(Set(population.map { thresholds.score($0).monetary }) == [1])
    }

    @Test("Scores are monotone in the metric and equal for equal values")
    func monotone() throws {
        var random = SplitMix64(state: 7)
        let population = (0..<2_000).map { _ in
            rfmCustomer(
                daysSince: Double(Int(random.uniform() * 50)),
                frequency: Int(random.uniform() * 8),
                daySpend: (random.uniform() * 20).rounded()
            )
        }
        let thresholds = try RFMThresholds(population: population)
        let pairs = population.map { ($0, thresholds.score($0)) }
        let byFrequency = pairs.sorted { $0.0.frequency < $1.0.frequency }
        for (earlier, later) in zip(byFrequency, byFrequency.dropFirst()) {
            #expect(earlier.1.frequency <= later.1.frequency)
            if earlier.0.frequency == later.0.frequency { #expect(earlier.1.frequency == later.1.frequency) }
        }
        let byDays = pairs.sorted { $0.0.daysSinceLastPurchase < $1.0.daysSinceLastPurchase }
        for (earlier, later) in zip(byDays, byDays.dropFirst()) {
            #expect(earlier.1.recency >= later.1.recency)
            if earlier.0.daysSinceLastPurchase == later.0.daysSinceLastPurchase { #expect(earlier.1.recency == later.1.recency) }
        }
    }

    @Test("Distinct values split into exact fifths")
    func exactFifths() throws {
        let population = (0..<1_000).map { rfmCustomer(daysSince: Double($0), frequency: $0, daySpend: Double($0)) }
        let thresholds = try RFMThresholds(population: population)
        for score in 1...5 {
            #expect(population.filter { thresholds.score($0).frequency == score }.count == 200)
            #expect(population.filter { thresholds.score($0).recency == score }.count == 200)
        }
    }

    @Test("The segment map covers all 25 (R, F) cells exactly once")
    func segmentCoverage() {
        for r in 1...5 {
            for f in 1...5 {
                let matches = RFMSegment.rules.filter { $0.recencyScores.contains(r) && $0.frequencyScores.contains(f) }
                #expect(matches.count == 1, "R\(r) F\(f) is covered by \(matches.count) rules")
            }
        }
        let cells = RFMSegment.rules.reduce(0) { $0 + $1.recencyScores.count * $1.frequencyScores.count }
        #expect(cells == 25)
        #expect(Set(RFMSegment.rules.map(\.segment)) == Set(RFMSegment.allCases))
        #expect(RFMSegment(recencyScore: 0, frequencyScore: 3) == nil)
        #expect(RFMSegment(recencyScore: 3, frequencyScore: 6) == nil)
    }

    @Test("Segment map spot checks and labels")
    func segmentMap() throws {
        let expected: [(Int, Int, RFMSegment, String)] = [
            (1, 1, .hibernating, "hibernating"), (2, 2, .hibernating, "hibernating"),
            (1, 3, .atRisk, "at_risk"), (2, 4, .atRisk, "at_risk"),
            (1, 5, .cantLose, "cant_lose"), (2, 5, .cantLose, "cant_lose"),
            (3, 1, .aboutToSleep, "about_to_sleep"), (3, 2, .aboutToSleep, "about_to_sleep"),
            (3, 3, .needAttention, "need_attention"),
            (3, 4, .loyal, "loyal"), (4, 5, .loyal, "loyal"),
            (4, 1, .promising, "promising"),
            (5, 1, .newCustomers, "new"),
            (4, 2, .potentialLoyalist, "potential_loyalist"), (5, 3, .potentialLoyalist, "potential_loyalist"),
            (5, 4, .champions, "champions"), (5, 5, .champions, "champions"),
        ]
        for (r, f, segment, label) in expected {
            #expect(RFMSegment(recencyScore: r, frequencyScore: f) == segment)
            #expect(segment.rawValue == label)
            let score = try #require(RFMScore(recency: r, frequency: f, monetary: 3))
            #expect(score.segment == segment)
        }
    }

    @Test("Invalid scores, thresholds and populations are rejected")
    func errors() throws {
        #expect(RFMScore(recency: 0, frequency: 1, monetary: 1) == nil)
        #expect(RFMScore(recency: 1, frequency: 6, monetary: 1) == nil)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(RFMScore.self, from: Data(#"{"recency":7,"frequency":1,"monetary":1}"#.utf8))
        }
        #expect(throws: ValueModelError.emptyPopulation) { try RFMThresholds(population: [PurchaseSummary]()) }
        #expect(throws: ValueModelError.self) {
            try RFMThresholds(daysSinceLastPurchase: [3, 2, 1, 0], frequency: [0, 0, 0, 0], averageDaySpend: [1, 2, 3, 4])
        }
        #expect(throws: ValueModelError.self) {
            try RFMThresholds(population: [rfmCustomer(daysSince: .nan, frequency: 1, daySpend: 1)])
        }
        // Stored thresholds round-trip.
        let thresholds = try RFMThresholds(daysSinceLastPurchase: [1, 2, 3, 4], frequency: [0, 0, 1, 2], averageDaySpend: [5, 6, 7, 8])
        let decoded = try JSONDecoder().decode(RFMThresholds.self, from: JSONEncoder().encode(thresholds))
        #expect(decoded == thresholds)
    }
}
