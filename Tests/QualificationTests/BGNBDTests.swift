import Coffer
import Foundation
import Qualification
import Testing

@Suite("BG/NBD")
struct BGNBDTests {
    @Test("Log-likelihood of one repeat customer equals the closed form, by hand")
    func logLikelihoodByHand() throws {
        // r = 0.5, α = 2, a = 1, b = 2; x = 1, t_x = 1 week (7 days), T = 2 weeks (14 days).
        let model = try BGNBD(r: 0.5, alpha: 2, a: 1, b: 2)
        let customer = btydSummary(frequency: 1, recencyDays: 7, ageDays: 14)
        // L = Γ(r+x) α^r / Γ(r) · [B(a,b+x)/B(a,b) · (α+T)^−(r+x) + B(a+1,b+x−1)/B(a,b) · (α+t_x)^−(r+x)]
        //   Γ(1.5)/Γ(0.5) = 0.5;  α^r = √2
        //   B(1,2) = 1/2, B(1,3) = 1/3, B(2,2) = 1/6  →  B(1,3)/B(1,2) = 2/3,  B(2,2)/B(1,2) = 1/3
        //   (α+T)^−1.5 = 4^−1.5 = 1/8;  (α+t_x)^−1.5 = 3^−1.5
        //   L = 0.5 · √2 · (2/3 · 1/8 + 1/3 · 3^−1.5) = 0.70710678 · 0.14748336 = 0.10428649
        let activeTerm: Double = 2.0 / 3.0 * 0.125
        let dropOutTerm: Double = 1.0 / 3.0 * pow(3.0, -1.5)
        let expected = log(0.5 * 2.0.squareRoot() * (activeTerm + dropOutTerm))
        #expect(abs(expected - log(0.10428649)) < 1e-7)
        #expect(isClose(try model.logLikelihood(customer), expected, tolerance: 1e-13))
    }

    @Test("Log-likelihood of a one-time buyer is (α/(α+T))^r")
    func logLikelihoodNoRepeat() throws {
        let model = try BGNBD(r: 0.5, alpha: 2, a: 1, b: 2)
        // x = 0, T = 2 weeks: L = (2/4)^0.5 = √0.5.
        let value = try model.logLikelihood(btydSummary(frequency: 0, recencyDays: 0, ageDays: 14))
        #expect(isClose(value, log(0.5.squareRoot()), tolerance: 1e-14))
    }

    @Test("P(alive) is 1 for x = 0 and the closed form otherwise")
    func probabilityAlive() throws {
        let model = try BGNBD(r: 1, alpha: 1, a: 1, b: 1)
        #expect(try model.probabilityAlive(btydSummary(frequency: 0, recencyDays: 0, ageDays: 700)) == 1)
        // x = 2, t_x = 1 week, T = 2 weeks: 1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
        //   = 1 / (1 + 1/2 · (3/2)^3) = 1 / 2.6875
        let alive = try model.probabilityAlive(btydSummary(frequency: 2, recencyDays: 7, ageDays: 14))
        #expect(isClose(alive, 1 / 2.6875, tolerance: 1e-14))
        // A longer silence since the last purchase makes the customer less likely alive.
        let recent = try model.probabilityAlive(btydSummary(frequency: 2, recencyDays: 13, ageDays: 14))
        #expect(recent > alive)
    }

    @Test("E[Y(t)] by hand where ₂F₁ vanishes (a = 1, b = r)")
    func expectationByHand() throws {
        // With a = 1 and b = r, the transformed series ₂F₁(a+b−1−r, a−1; …) has a zero parameter and
        // E[Y(t)] = (b+x) · ln((α+T+t)/(α+T)) · P(alive).
        let model = try BGNBD(r: 1, alpha: 1, a: 1, b: 1)
        // x = 0, T = 1 week, t = 1 week: ln(3/2). First principles: λ | no purchase ~ Gamma(1, 2),
        // p ~ U(0,1): E = ∫₀¹ E[(1 − e^{−λpt})/p] dp = ∫₀¹ t/(2+pt) dp = ln((2+t)/2) = ln 1.5.
        let newcomer = try model.expectedTransactions(inNext: 7, given: btydSummary(frequency: 0, recencyDays: 0, ageDays: 7))
        #expect(isClose(newcomer, log(1.5), tolerance: 1e-13))
        // x = 2, t_x = 1 week, T = 2 weeks, t = 1 week: 3 · ln(4/3) / 2.6875 = 0.3211334
        let repeatBuyer = try model.expectedTransactions(inNext: 7, given: btydSummary(frequency: 2, recencyDays: 7, ageDays: 14))
        #expect(isClose(repeatBuyer, 3 * log(4.0 / 3.0) / 2.6875, tolerance: 1e-13))
        #expect(abs(repeatBuyer - 0.3211334) < 1e-7)
    }

    @Test("E[Y(t)] for x = 0: zero at t = 0, increasing, below the horizon's purchase rate")
    func expectationSanityNoRepeat() throws {
        let model = try BGNBD(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
        let newcomer = btydSummary(frequency: 0, recencyDays: 0, ageDays: 100)
        #expect(try model.expectedTransactions(inNext: 0, given: newcomer) == 0)
        var previous = 0.0
        for days in stride(from: 7.0, through: 3_650, by: 91) {
            let value = try model.expectedTransactions(inNext: days, given: newcomer)
            #expect(value > previous)
            // Alive-forever Poisson bound: E[λ | x=0, T] · t = r/(α+T) · t.
            #expect(value < 0.243 / (4.414 + 100 / 7) * days / 7)
            previous = value
        }
    }

    @Test("Euler-transformed expectation equals the textbook ₂F₁ formula")
    func expectationMatchesDirectFormula() throws {
        let (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426)
        let model = try BGNBD(r: r, alpha: alpha, a: a, b: b)
        for (x, tx, T, t) in [(2, 30.43, 38.86, 39.0), (0, 0.0, 38.86, 52.0), (7, 29.43, 38.86, 10.0), (1, 38.43, 38.43, 1.0)] {
            let z = t / (alpha + T + t)
            let f = try GaussHypergeometric.value(a: r + Double(x), b: b + Double(x), c: a + b + Double(x) - 1, z: z)
            let bracket = 1 - pow((alpha + T) / (alpha + T + t), r + Double(x)) * f
            let alive = x == 0 ? 1 : 1 / (1 + a / (b + Double(x) - 1) * pow((alpha + T) / (alpha + tx), r + Double(x)))
            let direct = (a + b + Double(x) - 1) / (a - 1) * bracket * alive
            let customer = btydSummary(frequency: x, recencyDays: tx * 7, ageDays: T * 7)
            #expect(isClose(try model.expectedTransactions(inNext: t * 7, given: customer), direct, tolerance: 1e-11))
        }
    }

    @Test("E[Y(t)] is continuous through the removable singularity at a = 1")
    func expectationNearAEqualsOne() throws {
        let customer = btydSummary(frequency: 3, recencyDays: 150, ageDays: 250)
        let atOne = try BGNBD(r: 0.5, alpha: 3, a: 1, b: 2).expectedTransactions(inNext: 180, given: customer)
        for a in [1 - 1e-9, 1 + 1e-9, 1 + 1e-6] {
            let near = try BGNBD(r: 0.5, alpha: 3, a: a, b: 2).expectedTransactions(inNext: 180, given: customer)
            #expect(isClose(near, atOne, tolerance: 1e-5))
        }
        #expect(atOne > 0 && atOne.isFinite)
    }

    @Test("Very frequent buyers stay finite (no overflow in the powers or ₂F₁)")
    func largeFrequency() throws {
        let model = try BGNBD(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
        let heavy = btydSummary(frequency: 2_000, recencyDays: 20, ageDays: 700)
        let alive = try model.probabilityAlive(heavy)
        let expected = try model.expectedTransactions(inNext: 365, given: heavy)
        #expect(alive >= 0 && alive < 1e-100)
        #expect(expected.isFinite && expected >= 0)
        let active = btydSummary(frequency: 2_000, recencyDays: 699, ageDays: 700)
        let activeExpected = try model.expectedTransactions(inNext: 7, given: active)
        // About (r+x)/(α+T) ≈ 2000.2/104.4 ≈ 19.2 purchases a week while alive, slightly less with drop-out.
        #expect(activeExpected > 18 && activeExpected < 19.2)
        #expect(try model.logLikelihood(active).isFinite)
    }

    @Test("Parameter and input errors are typed")
    func errors() throws {
        #expect(throws: ValueModelError.invalidParameter(name: "BG/NBD r", value: 0, requirement: "finite and > 0")) {
            try BGNBD(r: 0, alpha: 1, a: 1, b: 1)
        }
        #expect(throws: ValueModelError.self) { try BGNBD(r: 1, alpha: .nan, a: 1, b: 1) }
        #expect(throws: ValueModelError.self) { try BGNBD(r: 1, alpha: 1, a: -1, b: 1) }
        let model = try BGNBD(r: 1, alpha: 1, a: 1, b: 1)
        let customer = btydSummary(frequency: 1, recencyDays: 5, ageDays: 10)
        #expect(throws: ValueModelError.self) { try model.expectedTransactions(inNext: -1, given: customer) }
        #expect(throws: ValueModelError.self) { try model.expectedTransactions(inNext: .infinity, given: customer) }
        #expect(throws: ValueModelError.self) { try model.probabilityAlive(btydSummary(frequency: 1, recencyDays: 11, ageDays: 10)) }
        #expect(throws: ValueModelError.self) { try model.logLikelihood(btydSummary(frequency: 0, recencyDays: 3, ageDays: 10)) }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(BGNBD.self, from: Data(#"{"r":-1,"alpha":1,"a":1,"b":1}"#.utf8))
        }
        let decoded = try JSONDecoder().decode(BGNBD.self, from: JSONEncoder().encode(model))
        #expect(decoded == model)
    }

    @Test("Fits refuse data that cannot identify the model")
    func fitErrors() throws {
        #expect(throws: ValueModelError.emptyPopulation) { try BGNBD.fit([]) }
        let few = (0..<5).map { _ in btydSummary(frequency: 1, recencyDays: 5, ageDays: 10) }
        #expect(throws: ValueModelError.insufficientCustomers(model: "BG/NBD", found: 5, required: 10)) { try BGNBD.fit(few) }
        let oneTimers = (0..<50).map { btydSummary(frequency: 0, recencyDays: 0, ageDays: Double($0)) }
        #expect(throws: ValueModelError.noRepeatCustomers(model: "BG/NBD")) { try BGNBD.fit(oneTimers) }
        let inconsistent = few + [btydSummary(frequency: 2, recencyDays: 20, ageDays: 10)] + few
        #expect(throws: ValueModelError.invalidCustomer(reason: "customer at index 5: recency 20.0 must be within 0...age (10.0)")) {
            try BGNBD.fit(inconsistent)
        }
        #expect(throws: ValueModelError.self) { try BGNBD.fit(few, options: FitOptions(minimumCustomers: 0)) }
        do {
            _ = try BGNBD.fit(oneTimers)
        } catch {
            #expect(error.description == "BG/NBD cannot be identified: no customer made a repeat purchase")
        }
    }
}

@Suite("Gauss hypergeometric series")
struct GaussHypergeometricTests {
    @Test("Known closed forms")
    func closedForms() throws {
        // ₂F₁(1, 1; 2; z) = −ln(1−z)/z
        #expect(isClose(try GaussHypergeometric.value(a: 1, b: 1, c: 2, z: 0.5), 2 * log(2.0), tolerance: 1e-14))
        #expect(isClose(try GaussHypergeometric.value(a: 1, b: 1, c: 2, z: -0.5), log(1.5) / 0.5, tolerance: 1e-14))
        #expect(isClose(try GaussHypergeometric.value(a: 1, b: 1, c: 2, z: 0.99), -log(0.01) / 0.99, tolerance: 1e-12))
        // ₂F₁(a, b; b; z) = (1−z)^−a
        #expect(isClose(try GaussHypergeometric.value(a: 0.7, b: 3, c: 3, z: 0.9), pow(0.1, -0.7), tolerance: 1e-12))
        // Terminating series: ₂F₁(−2, 1; 1; z) = (1−z)²
        #expect(isClose(try GaussHypergeometric.value(a: -2, b: 1, c: 1, z: 0.3), 0.49, tolerance: 1e-15))
        #expect(try GaussHypergeometric.value(a: 3, b: 4, c: 5, z: 0) == 1)
    }

    @Test("Outside the domain or too close to z = 1 it throws")
    func domain() {
        #expect(throws: ValueModelError.self) { try GaussHypergeometric.value(a: 1, b: 1, c: 2, z: 1) }
        #expect(throws: ValueModelError.self) { try GaussHypergeometric.value(a: 1, b: 1, c: -2, z: 0.5) }
        #expect(throws: ValueModelError.self) { try GaussHypergeometric.value(a: 1, b: 1, c: 0, z: 0.5) }
        #expect(throws: ValueModelError.self) { try GaussHypergeometric.value(a: .nan, b: 1, c: 2, z: 0.5) }
        #expect(throws: ValueModelError.seriesDidNotConverge(function: "2F1(1.0, 1.0; 2.0; 0.99999999)", terms: GaussHypergeometric.maxTerms)) {
            try GaussHypergeometric.value(a: 1, b: 1, c: 2, z: 0.99999999)
        }
    }
}

@Suite("Nelder-Mead")
struct NelderMeadTests {
    @Test("Finds the Rosenbrock minimum deterministically")
    func rosenbrock() {
        let rosenbrock: ([Double]) -> Double = { p in
            let (x, y) = (p[0], p[1])
            return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)
        }
        let optimizer = NelderMead(valueTolerance: 1e-14, pointTolerance: 1e-9)
        let first = optimizer.minimize(from: [-1.2, 1], rosenbrock)
        let second = optimizer.minimize(from: [-1.2, 1], rosenbrock)
        #expect(first == second)
        #expect(first.converged)
        #expect(abs(first.point[0] - 1) < 1e-6 && abs(first.point[1] - 1) < 1e-6)
        #expect(first.value < 1e-12)
    }

    @Test("Reports non-convergence at the iteration limit and avoids NaN regions")
    func limits() {
        let bowl: ([Double]) -> Double = { p in p.reduce(0) { $0 + ($1 - 3) * ($1 - 3) } }
        let capped = NelderMead(maxIterations: 3, maxRestarts: 0).minimize(from: [0, 0, 0, 0], bowl)
        #expect(!capped.converged)
        #expect(capped.iterations == 3)
        // NaN for negative coordinates: treated as +∞, the minimum at 3 is still found.
        let guarded = NelderMead().minimize(from: [1, 1]) { p in p.contains { $0 < 0 } ? .nan : bowl(p) }
        #expect(guarded.converged)
        #expect(guarded.point.allSatisfy { abs($0 - 3) < 1e-5 })
    }
}
