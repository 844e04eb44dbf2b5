import Coffer
// TEMPORARY: replaced when the value models land (this session).
public enum RFMSegment: String, CaseIterable, Sendable { case champions }
public struct ValueContext: Sendable {
    static let noPurchases = "no_purchases"
    public init(population: [PurchaseSummary], settings: ValueSettings) throws {}
    func attributes(for summary: PurchaseSummary?) -> [ValueAttribute: Observation] { [:] }
    func predictedCLV(_ summary: PurchaseSummary?) -> Double { 0 }
    func predictedCLVQuantile(_ q: Double) -> Double { 0 }
}
