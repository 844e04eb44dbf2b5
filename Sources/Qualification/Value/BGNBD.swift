import Coffer
import Foundation

/// The BG/NBD model of repeat purchasing: how many purchases a customer will make, and whether
/// they are still "alive" (Fader, Hardie & Lee 2005, "'Counting Your Customers' the Easy Way: An
/// Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275–284).
///
/// While active, a customer buys as a Poisson process with rate λ ~ Gamma(shape r, rate α); after
/// each repeat purchase they drop out for good with probability p ~ Beta(a, b). Per customer the
/// model needs x = `frequency`, t_x = `recency` and T = `age`.
///
/// Time: the public API takes and returns days; internally time is in weeks (days / 7), the unit of
/// the literature, so `alpha` is in weeks and the parameters compare directly with published ones.
/// With B the beta function and δ(x>0) = 1 when x > 0, else 0:
///
///     L(r, α, a, b | x, t_x, T) = Γ(r+x) α^r / Γ(r)
///         · [ B(a, b+x)/B(a, b) · (α+T)^−(r+x)  +  δ(x>0) · B(a+1, b+x−1)/B(a, b) · (α+t_x)^−(r+x) ]
///
///     P(alive | x, t_x, T) = 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
///
///     E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1)
///         · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive | x, t_x, T)
///
/// Note P(alive) = 1 when x = 0: in BG/NBD a customer can only drop out right after a repeat purchase.
///
/// Numerics: the likelihood is evaluated in logs with `lgamma` and a log-sum-exp of its two terms.
/// The expectation uses Euler's transformation ₂F₁(α₁, β₁; γ₁; z) = (1−z)^(γ₁−α₁−β₁) ₂F₁(γ₁−α₁, γ₁−β₁; γ₁; z),
/// which turns the bracket into 1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z) — parameters that no
/// longer grow with x (the "#NUM!" fix of Fader & Hardie's note 027) — and factors a−1 out of the
/// series so the removable singularity at a = 1 needs no special case.
public struct BGNBD: Sendable, Equatable, Codable {
    /// Days per model time unit (the model works in weeks).
    public static let daysPerWeek = 7.0

    /// Shape of the gamma distribution of purchase rates.
    public let r: Double
    /// Rate (scale, in weeks) of the gamma distribution of purchase rates.
    public let alpha: Double
    /// First shape of the beta distribution of drop-out probabilities.
    public let a: Double
    /// Second shape of the beta distribution of drop-out probabilities.
    public let b: Double

    /// Creates a model from its parameters (alpha in weeks); all must be finite and > 0.
    public init(r: Double, alpha: Double, a: Double, b: Double) throws(ValueModelError) {
        try ValueModelError.requirePositive(r, "BG/NBD r")
        try ValueModelError.requirePositive(alpha, "BG/NBD alpha")
        try ValueModelError.requirePositive(a, "BG/NBD a")
        try ValueModelError.requirePositive(b, "BG/NBD b")
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
    }

    private enum CodingKeys: String, CodingKey { case r, alpha, a, b }

    /// Decodes and validates the parameters (rejecting non-positive values).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let r = try container.decode(Double.self, forKey: .r)
        let alpha = try container.decode(Double.self, forKey: .alpha)
        let a = try container.decode(Double.self, forKey: .a)
        let b = try container.decode(Double.self, forKey: .b)
        do {
            try self.init(r: r, alpha: alpha, a: a, b: b)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .r, in: container, debugDescription: error.description)
        }
    }

    /// Encodes the four parameters.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(r, forKey: .r)
        try container.encode(alpha, forKey: .alpha)
        try container.encode(a, forKey: .a)
        try container.encode(b, forKey: .b)
    }

    // MARK: Per-customer quantities

    /// Log-likelihood of one customer's (x, t_x, T) under this model, in the model's week time scale
    /// (the scale of published log-likelihoods such as CDNOW's −9582.4).
    public func logLikelihood(_ customer: PurchaseSummary) throws(ValueModelError) -> Double {
        let observation = try BTYDObservation(customer)
        let x = Double(observation.frequency)
        let rateTerms: Double = lgamma(r + x) - lgamma(r) + r * log(alpha)
        let betaTerms: Double = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x)
        let common = rateTerms + betaTerms
        let activeTerm = -(r + x) * log(alpha + observation.age)
        guard observation.frequency > 0 else { return common + activeTerm }
        let dropOutTerm = log(a) - log(b + x - 1) - (r + x) * log(alpha + observation.recency)
        return common + Self.logSumExp(activeTerm, dropOutTerm)
    }

    /// P(alive | x, t_x, T): probability that the customer has not dropped out by the end of
    /// observation. Equals 1 when x = 0 (see the type's documentation).
    public func probabilityAlive(_ customer: PurchaseSummary) throws(ValueModelError) -> Double {
        probabilityAlive(try BTYDObservation(customer))
    }

    /// Expected number of purchase days in the next `days` days after the end of observation,
    /// E[Y(t) | x, t_x, T] (t = days / 7 weeks internally).
    public func expectedTransactions(inNext days: Double, given customer: PurchaseSummary) throws(ValueModelError) -> Double {
        guard days.isFinite, days >= 0 else {
            throw .invalidParameter(name: "days", value: days, requirement: "finite and >= 0")
        }
        return try expectedTransactions(inNextWeeks: days / Self.daysPerWeek, try BTYDObservation(customer))
    }

    func probabilityAlive(_ observation: BTYDObservation) -> Double {
        guard observation.frequency > 0 else { return 1 }
        let x = Double(observation.frequency)
        let logOdds = log(a) - log(b + x - 1) + (r + x) * (log(alpha + observation.age) - log(alpha + observation.recency))
        return 1 / (1 + exp(logOdds))
    }

    func expectedTransactions(inNextWeeks t: Double, _ observation: BTYDObservation) throws(ValueModelError) -> Double {
        guard t > 0 else { return 0 }
        let x = Double(observation.frequency)
        let horizon = alpha + observation.age + t
        let z = t / horizon
        let logOneMinusZ = log(alpha + observation.age) - log(horizon)
        let epsilon = a - 1
        let c = a + b + x - 1
        // bracket · (a+b+x−1)/(a−1) with ₂F₁(a+b−1−r, ε; c; z) = 1 + (ε/c)·tail:
        //   c · [(1 − (1−z)^ε)/ε − (1−z)^ε · tail/c] = c · (−expm1(ε ln(1−z))/ε) − (1−z)^ε · tail
        let tail = try GaussHypergeometric.scaledTail(a: a + b - 1 - r, b: epsilon, c: c, z: z)
        let growth = epsilon == 0 ? -logOneMinusZ : -expm1(epsilon * logOneMinusZ) / epsilon
        let expectedIfAliveAtStart = c * growth - exp(epsilon * logOneMinusZ) * tail
        return expectedIfAliveAtStart * probabilityAlive(observation)
    }

    // MARK: Fitting

    /// Maximum-likelihood fit on a set of customers (the caller may pass a subsample).
    ///
    /// Minimises the mean negative log-likelihood over log(r, α, a, b) with Nelder-Mead from
    /// r = α = a = b = 1, deterministically. Customers with identical (x, t_x, T) are aggregated and
    /// weighted, and the `lgamma`/`log` terms are computed once per distinct x, T and t_x, so one
    /// likelihood evaluation costs a few flops per distinct triple.
    ///
    /// - Throws: `.emptyPopulation`, `.insufficientCustomers` (fewer than
    ///   `options.minimumCustomers`), `.noRepeatCustomers` (no x > 0: a and b are not identified),
    ///   `.invalidCustomer` for an inconsistent summary, `.invalidParameter` for bad options, and
    ///   `.fitFailed` if the optimum is not a valid parameter set.
    public static func fit(_ customers: [PurchaseSummary], options: FitOptions = FitOptions()) throws(ValueModelError) -> FitResult<BGNBD> {
        try options.validate()
        guard !customers.isEmpty else { throw .emptyPopulation }
        guard customers.count >= options.minimumCustomers else {
            throw .insufficientCustomers(model: "BG/NBD", found: customers.count, required: options.minimumCustomers)
        }
        var counts: [BTYDObservation: Int] = [:]
        var repeatCustomers = 0
        for (index, customer) in customers.enumerated() {
            let observation = try BTYDObservation(customer, index: index)
            counts[observation, default: 0] += 1
            if observation.frequency > 0 { repeatCustomers += 1 }
        }
        guard repeatCustomers > 0 else { throw .noRepeatCustomers(model: "BG/NBD") }

        let likelihood = BGNBDLikelihood(counts: counts)
        let result = options.optimizer.minimize(from: [0, 0, 0, 0]) { likelihood.meanNegativeLogLikelihood($0) }
        let parameters = result.point.map { exp($0) }
        guard result.value.isFinite, parameters.count == 4,
              let model = try? BGNBD(r: parameters[0], alpha: parameters[1], a: parameters[2], b: parameters[3])
        else {
            throw .fitFailed(model: "BG/NBD", reason: "the optimum \(parameters) is not a finite positive parameter set")
        }
        return FitResult(
            model: model,
            logLikelihood: -result.value * likelihood.totalWeight,
            customerCount: customers.count,
            iterations: result.iterations,
            converged: result.converged
        )
    }
}

extension BGNBD {
    /// log(eᵘ + eᵛ) without overflow or underflow.
    fileprivate static func logSumExp(_ u: Double, _ v: Double) -> Double {
        let high = max(u, v)
        guard high > -.infinity else { return -.infinity }
        return high + log1p(exp(min(u, v) - high))
    }
}

/// The BG/NBD sample likelihood over aggregated (x, t_x, T) triples, with per-evaluation caches of
/// every term that depends on only one of x, T or t_x.
private struct BGNBDLikelihood {
    struct Group {
        var frequencyIndex: Int
        var ageIndex: Int
        var recencyIndex: Int
        var weight: Double
    }

    let frequencies: [Double]
    let ages: [Double]
    let recencies: [Double]
    let groups: [Group]
    let totalWeight: Double

    init(counts: [BTYDObservation: Int]) {
        // Sorted so the summation order, and therefore the fit, is deterministic.
        let keys = counts.keys.sorted {
            ($0.frequency, $0.age, $0.recency) < ($1.frequency, $1.age, $1.recency)
        }
        let frequencyValues = Array(Set(keys.map(\.frequency))).sorted()
        let ageValues = Array(Set(keys.map(\.age))).sorted()
        let recencyValues = Array(Set(keys.map(\.recency))).sorted()
        let frequencyIndex = Dictionary(uniqueKeysWithValues: frequencyValues.enumerated().map { ($1, $0) })
        let ageIndex = Dictionary(uniqueKeysWithValues: ageValues.enumerated().map { ($1, $0) })
        let recencyIndex = Dictionary(uniqueKeysWithValues: recencyValues.enumerated().map { ($1, $0) })
        var groups: [Group] = []
        groups.reserveCapacity(keys.count)
        var total = 0.0
        for key in keys {
            let weight = Double(counts[key] ?? 0)
            total += weight
            groups.append(Group(
                frequencyIndex: frequencyIndex[key.frequency] ?? 0,
                ageIndex: ageIndex[key.age] ?? 0,
                recencyIndex: recencyIndex[key.recency] ?? 0,
                weight: weight
            ))
        }
        self.frequencies = frequencyValues.map(Double.init)
        self.ages = ageValues
        self.recencies = recencyValues
        self.groups = groups
        self.totalWeight = total
    }

    /// Mean negative log-likelihood at log-parameters (ln r, ln α, ln a, ln b); +∞ where undefined.
    func meanNegativeLogLikelihood(_ logParameters: [Double]) -> Double {
        guard logParameters.count == 4 else { return .infinity }
        let r = exp(logParameters[0]), alpha = exp(logParameters[1])
        let a = exp(logParameters[2]), b = exp(logParameters[3])
        guard [r, alpha, a, b].allSatisfy({ $0.isFinite && $0 > 0 }) else { return .infinity }

        let constant = -lgamma(r) + r * log(alpha) + lgamma(a + b) - lgamma(b)
        let logA = log(a)
        let shapes = frequencies.map { r + $0 }
        let frequencyTerms = frequencies.map { x in lgamma(r + x) + lgamma(b + x) - lgamma(a + b + x) }
        let dropOutTerms = frequencies.map { x in x > 0 ? logA - log(b + x - 1) : -Double.infinity }
        let logAlphaAges = ages.map { log(alpha + $0) }
        let logAlphaRecencies = recencies.map { log(alpha + $0) }

        var sum = 0.0
        for group in groups {
            let shape = shapes[group.frequencyIndex]
            let activeTerm = -shape * logAlphaAges[group.ageIndex]
            let dropOut = dropOutTerms[group.frequencyIndex]
            let mixture = dropOut == -.infinity
                ? activeTerm
                : BGNBD.logSumExp(activeTerm, dropOut - shape * logAlphaRecencies[group.recencyIndex])
            sum += group.weight * (frequencyTerms[group.frequencyIndex] + mixture)
        }
        let mean = (sum + constant * totalWeight) / totalWeight
        return mean.isFinite ? -mean : .infinity
    }
}
