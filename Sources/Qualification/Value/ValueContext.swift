import Coffer
import Foundation

/// The population figures value attributes need, fitted once per run on every customer's
/// `PurchaseSummary` (made inside the vault; no order leaves it): RFM quintile thresholds,
/// and the BG/NBD and Gamma-Gamma models behind the predictive CLV.
///
/// Per customer it then yields the derived attributes rules can use: `rfm_segment`,
/// `rfm_recency`/`rfm_frequency`/`rfm_monetary` (1–5), `orders`, `clv_historic`,
/// `clv_predicted` and `p_alive`. Customers without orders get segment `no_purchases`, RFM
/// scores 0 and CLVs 0. When a model cannot be fitted (too few customers, no repeat buyers),
/// the attributes that need it are missing for everyone rather than guessed, and `fitNotes`
/// says why.
public struct ValueContext: Sendable {
    static let noPurchases = "no_purchases"

    public let settings: ValueSettings
    public let rfm: RFMThresholds?
    public let historic: HistoricCLV
    public let purchases: FitResult<BGNBD>?
    public let spend: FitResult<GammaGamma>?
    let predictive: PredictiveCLV?
    /// Why a model is missing, for the report.
    public let fitNotes: [String]
    /// Sorted predictive CLVs of the population (0 for customers without orders are not
    /// included), for `--top-clv` thresholds.
    let predictedValues: [Double]

    /// Fits on `population` (customers with at least one order). Fits use at most
    /// `settings.fitSample` customers, taken at an even stride so the sample is deterministic.
    public init(population: [PurchaseSummary], settings: ValueSettings) throws {
        self.settings = settings
        var notes: [String] = []
        rfm = population.isEmpty ? nil : try RFMThresholds(population: population)
        historic = try HistoricCLV(expectedLifespanYears: settings.lifespanYears, margin: settings.margin)
        let stride = max(1, population.count / settings.fitSample)
        let sample = stride == 1 ? population : Swift.stride(from: 0, to: population.count, by: stride).map { population[$0] }
        var purchases: FitResult<BGNBD>?, spend: FitResult<GammaGamma>?
        do { purchases = try BGNBD.fit(sample) } catch { notes.append("BG/NBD not fitted: \(error)") }
        do { spend = try GammaGamma.fit(sample) } catch { notes.append("Gamma-Gamma not fitted: \(error)") }
        self.purchases = purchases
        self.spend = spend
        if let purchases, let spend {
            // Monthly rate equivalent to the annual one: (1 + annual)^(1/12) − 1.
            let monthly = pow(1 + settings.annualDiscountRate, 1.0 / 12) - 1
            predictive = try PredictiveCLV(purchases: purchases.model, spend: spend.model, horizonDays: Double(settings.horizonMonths) * 30,
                                           monthlyDiscountRate: monthly, margin: settings.margin)
        } else {
            predictive = nil
        }
        fitNotes = notes
        if let predictive {
            predictedValues = population.compactMap { try? predictive.value(for: $0) }.sorted()
        } else {
            predictedValues = []
        }
    }

    /// The derived attributes of one customer (nil: no orders).
    func attributes(for summary: PurchaseSummary?) -> [ValueAttribute: Observation] {
        guard let summary else {
            var none: [ValueAttribute: Observation] = [.rfmSegment: Observation(label: Self.noPurchases), .orders: Observation(number: 0),
                                                       .rfmRecency: Observation(number: 0), .rfmFrequency: Observation(number: 0),
                                                       .rfmMonetary: Observation(number: 0), .clvHistoric: Observation(number: 0)]
            if predictive != nil { none[.clvPredicted] = Observation(number: 0) }
            return none
        }
        var out: [ValueAttribute: Observation] = [.orders: Observation(number: Double(summary.orders))]
        if let rfm {
            let score = rfm.score(summary)
            out[.rfmSegment] = Observation(label: score.segment.rawValue)
            out[.rfmRecency] = Observation(number: Double(score.recency))
            out[.rfmFrequency] = Observation(number: Double(score.frequency))
            out[.rfmMonetary] = Observation(number: Double(score.monetary))
        }
        if let value = try? historic.value(for: summary) { out[.clvHistoric] = Observation(number: Self.cents(value)) }
        if let value = predictedCLV(summary) { out[.clvPredicted] = Observation(number: Self.cents(value)) }
        if let purchases, let alive = try? purchases.model.probabilityAlive(summary) { out[.pAlive] = Observation(number: (alive * 1000).rounded() / 1000) }
        return out
    }

    /// Predictive CLV of one customer; 0 without orders, nil when the models are not fitted.
    func predictedCLV(_ summary: PurchaseSummary?) -> Double? {
        guard let predictive else { return nil }
        guard let summary else { return 0 }
        return try? predictive.value(for: summary)
    }

    /// The smallest predictive CLV among the top `share` (0...1) of `customers` customers
    /// (customers without orders count as 0, so they are never in the top unless it is all).
    func predictedCLVThreshold(top share: Double, of customers: Int) -> Double {
        let wanted = max(1, Int((share * Double(customers)).rounded()))
        guard !predictedValues.isEmpty else { return .infinity }
        return predictedValues[max(0, predictedValues.count - wanted)]
    }

    static func cents(_ x: Double) -> Double { (x * 100).rounded() / 100 }
}
