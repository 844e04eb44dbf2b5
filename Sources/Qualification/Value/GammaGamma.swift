import Coffer
import Foundation

/// The Gamma-Gamma model of spend per purchase: what a customer will spend on average on future
/// purchases, shrinking their observed average towards the population's (Fader, Hardie & Lee 2005,
/// "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", Journal of Marketing Research
/// 42(4), 415–430; Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value", note 025).
///
/// Each purchase amount is Gamma(p, ν) distributed; the scale ν varies across customers as
/// Gamma(q, γ). Fitted on customers with x ≥ 1 repeat purchases and their mean repeat spend m̄
/// (`PurchaseSummary.monetaryValue`). Assumes spend is independent of purchase frequency.
///
///     f(m̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q · m̄^(px−1) · x^(px) / (γ + x m̄)^(px+q)
///
///     E[M | p, q, γ, m̄, x] = (q−1)/(px+q−1) · γp/(q−1) + px/(px+q−1) · m̄ = p (γ + x m̄) / (px + q − 1)
///
/// i.e. a weighted average of the population mean γp/(q−1) and the customer's own mean m̄. For
/// x = 0 it is the population mean, which exists only when q > 1.
public struct GammaGamma: Sendable, Equatable, Codable {
    /// Shape of the gamma distribution of one purchase amount.
    public let p: Double
    /// Shape of the gamma distribution of the per-customer scale ν.
    public let q: Double
    /// Scale γ (often written v) of the gamma distribution of ν, in money units.
    public let gamma: Double

    /// Creates a model from its parameters; all must be finite and > 0.
    public init(p: Double, q: Double, gamma: Double) throws(ValueModelError) {
        try ValueModelError.requirePositive(p, "Gamma-Gamma p")
        try ValueModelError.requirePositive(q, "Gamma-Gamma q")
        try ValueModelError.requirePositive(gamma, "Gamma-Gamma gamma")
        self.p = p
        self.q = q
        self.gamma = gamma
    }

    private enum CodingKeys: String, CodingKey { case p, q, gamma }

    /// Decodes and validates the parameters (rejecting non-positive values).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let p = try container.decode(Double.self, forKey: .p)
        let q = try container.decode(Double.self, forKey: .q)
        let gamma = try container.decode(Double.self, forKey: .gamma)
        do {
            try self.init(p: p, q: q, gamma: gamma)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .p, in: container, debugDescription: error.description)
        }
    }

    /// Encodes the three parameters.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(p, forKey: .p)
        try container.encode(q, forKey: .q)
        try container.encode(gamma, forKey: .gamma)
    }

    /// Population mean spend per purchase, γp/(q−1); `nil` when q ≤ 1 (the mean does not exist).
    public var populationMeanSpend: Double? {
        q > 1 ? gamma * p / (q - 1) : nil
    }

    /// Log-density of a customer's mean repeat spend m̄ given x repeat purchases (see the type's
    /// formula). Requires x ≥ 1 and m̄ > 0.
    public func logLikelihood(frequency: Int, monetaryValue: Double) throws(ValueModelError) -> Double {
        guard frequency >= 1 else {
            throw .invalidParameter(name: "frequency", value: Double(frequency), requirement: ">= 1 for the Gamma-Gamma likelihood")
        }
        try ValueModelError.requirePositive(monetaryValue, "monetaryValue")
        let x = Double(frequency)
        let px = p * x
        return lgamma(px + q) - lgamma(px) - lgamma(q) + q * log(gamma)
            + (px - 1) * log(monetaryValue) + px * log(x) - (px + q) * log(gamma + x * monetaryValue)
    }

    /// E[M | p, q, γ, m̄, x]: expected spend per future purchase of a customer with `frequency`
    /// repeat purchases averaging `monetaryValue`. With frequency 0 it is the population mean.
    ///
    /// - Throws: `.undefinedExpectation` when q ≤ 1 and frequency is 0 (no population mean),
    ///   `.invalidParameter` for a negative frequency or a negative or non-finite monetary value.
    public func expectedAverageSpend(frequency: Int, monetaryValue: Double) throws(ValueModelError) -> Double {
        guard frequency >= 0 else {
            throw .invalidParameter(name: "frequency", value: Double(frequency), requirement: ">= 0")
        }
        guard frequency > 0 else {
            guard let mean = populationMeanSpend else {
                throw .undefinedExpectation(reason: "Gamma-Gamma population mean spend needs q > 1, q = \(q)")
            }
            return mean
        }
        guard monetaryValue.isFinite, monetaryValue >= 0 else {
            throw .invalidParameter(name: "monetaryValue", value: monetaryValue, requirement: "finite and >= 0")
        }
        let px = p * Double(frequency)
        return p * (gamma + Double(frequency) * monetaryValue) / (px + q - 1)
    }

    /// E[M | …] for a customer summary (its `frequency` and `monetaryValue`).
    public func expectedAverageSpend(for customer: PurchaseSummary) throws(ValueModelError) -> Double {
        try expectedAverageSpend(frequency: customer.frequency, monetaryValue: customer.monetaryValue)
    }

    /// Maximum-likelihood fit on the customers with `frequency >= 1` and `monetaryValue > 0`
    /// (others, such as one-time buyers, carry no information on repeat spend and are skipped).
    ///
    /// Minimises the mean negative log-likelihood over log(p, q, γ) with Nelder-Mead from
    /// p = q = 1, γ = mean m̄, deterministically; identical (x, m̄) pairs are aggregated.
    ///
    /// - Throws: `.emptyPopulation`, `.noRepeatCustomers` (nobody with x ≥ 1 and m̄ > 0),
    ///   `.insufficientCustomers` (fewer usable customers than `options.minimumCustomers`),
    ///   `.invalidParameter` for bad options, `.fitFailed` if the optimum is not a valid model.
    public static func fit(_ customers: [PurchaseSummary], options: FitOptions = FitOptions()) throws(ValueModelError) -> FitResult<GammaGamma> {
        try options.validate()
        guard !customers.isEmpty else { throw .emptyPopulation }
        var counts: [SpendObservation: Int] = [:]
        var usable = 0
        for customer in customers where customer.frequency >= 1 {
            let spend = customer.monetaryValue
            guard spend.isFinite, spend > 0 else { continue }
            counts[SpendObservation(frequency: customer.frequency, monetaryValue: spend), default: 0] += 1
            usable += 1
        }
        guard usable > 0 else { throw .noRepeatCustomers(model: "Gamma-Gamma") }
        guard usable >= options.minimumCustomers else {
            throw .insufficientCustomers(model: "Gamma-Gamma", found: usable, required: options.minimumCustomers)
        }

        let likelihood = GammaGammaLikelihood(counts: counts)
        let start = [0, 0, log(likelihood.meanSpend)]
        let result = options.optimizer.minimize(from: start) { likelihood.meanNegativeLogLikelihood($0) }
        let parameters = result.point.map { exp($0) }
        guard result.value.isFinite, parameters.count == 3,
              let model = try? GammaGamma(p: parameters[0], q: parameters[1], gamma: parameters[2])
        else {
            throw .fitFailed(model: "Gamma-Gamma", reason: "the optimum \(parameters) is not a finite positive parameter set")
        }
        return FitResult(
            model: model,
            logLikelihood: -result.value * likelihood.totalWeight,
            customerCount: usable,
            iterations: result.iterations,
            converged: result.converged
        )
    }
}

/// One customer's (x, m̄) pair as used by the Gamma-Gamma likelihood.
private struct SpendObservation: Hashable {
    var frequency: Int
    var monetaryValue: Double
}

/// The Gamma-Gamma sample likelihood over aggregated (x, m̄) pairs.
private struct GammaGammaLikelihood {
    let frequencies: [Double]
    let logFrequencies: [Double]
    let spends: [Double]
    let logSpends: [Double]
    let weights: [Double]
    let totalWeight: Double
    let meanSpend: Double

    init(counts: [SpendObservation: Int]) {
        // Sorted so the summation order, and therefore the fit, is deterministic.
        let keys = counts.keys.sorted { ($0.frequency, $0.monetaryValue) < ($1.frequency, $1.monetaryValue) }
        frequencies = keys.map { Double($0.frequency) }
        logFrequencies = frequencies.map { log($0) }
        spends = keys.map(\.monetaryValue)
        logSpends = spends.map { log($0) }
        weights = keys.map { Double(counts[$0] ?? 0) }
        let total = weights.reduce(0, +)
        totalWeight = total
        meanSpend = zip(spends, weights).reduce(0) { $0 + $1.0 * $1.1 } / total
    }

    /// Mean negative log-likelihood at log-parameters (ln p, ln q, ln γ); +∞ where undefined.
    func meanNegativeLogLikelihood(_ logParameters: [Double]) -> Double {
        guard logParameters.count == 3 else { return .infinity }
        let p = exp(logParameters[0]), q = exp(logParameters[1]), gamma = exp(logParameters[2])
        guard [p, q, gamma].allSatisfy({ $0.isFinite && $0 > 0 }) else { return .infinity }
        let constant = -lgamma(q) + q * log(gamma)
        var sum = 0.0
        var cachedFrequency = -1.0
        var cachedGammaTerms = 0.0
        for index in frequencies.indices {
            let x = frequencies[index]
            let px = p * x
            if x != cachedFrequency {
                cachedFrequency = x
                cachedGammaTerms = lgamma(px + q) - lgamma(px) + px * logFrequencies[index]
            }
            let value = cachedGammaTerms + (px - 1) * logSpends[index] - (px + q) * log(gamma + x * spends[index])
            sum += weights[index] * value
        }
        let mean = (sum + constant * totalWeight) / totalWeight
        return mean.isFinite ? -mean : .infinity
    }
}
