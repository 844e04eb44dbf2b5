import Foundation

/// Why a customer-value computation refused to run. Every model in this folder throws this one
/// typed error, each case carrying enough context for a message a person can act on.
public enum ValueModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A model or option parameter is outside its valid range.
    case invalidParameter(name: String, value: Double, requirement: String)
    /// A customer summary is inconsistent or non-finite (for example recency greater than age).
    case invalidCustomer(reason: String)
    /// The population to score or fit is empty.
    case emptyPopulation
    /// Too few usable customers to identify the model.
    case insufficientCustomers(model: String, found: Int, required: Int)
    /// No customer made a repeat purchase, so the model cannot be identified.
    case noRepeatCustomers(model: String)
    /// A series did not reach its tolerance within its term limit.
    case seriesDidNotConverge(function: String, terms: Int)
    /// The requested expectation does not exist for these parameters.
    case undefinedExpectation(reason: String)
    /// The optimiser ended on parameters that are not a valid model.
    case fitFailed(model: String, reason: String)

    /// A sentence saying what is wrong and what is needed instead.
    public var description: String {
        switch self {
        case let .invalidParameter(name, value, requirement):
            "invalid parameter \(name) = \(value): must be \(requirement)"
        case let .invalidCustomer(reason):
            "invalid customer summary: \(reason)"
        case .emptyPopulation:
            "the population is empty: at least one customer with a purchase is needed"
        case let .insufficientCustomers(model, found, required):
            "\(model) needs at least \(required) usable customers to be identified, found \(found)"
        case let .noRepeatCustomers(model):
            "\(model) cannot be identified: no customer made a repeat purchase"
        case let .seriesDidNotConverge(function, terms):
            "\(function) did not converge within \(terms) terms"
        case let .undefinedExpectation(reason):
            "expectation undefined: \(reason)"
        case let .fitFailed(model, reason):
            "\(model) fit failed: \(reason)"
        }
    }
}

extension ValueModelError {
    /// Throws `.invalidParameter` unless `value` is finite and strictly positive.
    static func requirePositive(_ value: Double, _ name: String) throws(ValueModelError) {
        guard value.isFinite, value > 0 else {
            throw .invalidParameter(name: name, value: value, requirement: "finite and > 0")
        }
    }
}
