import Foundation

/// Settings of a maximum-likelihood fit (BG/NBD or Gamma-Gamma).
public struct FitOptions: Sendable, Equatable {
    /// Fewest usable customers accepted; below it the fit throws `insufficientCustomers`.
    public var minimumCustomers: Int
    /// The Nelder-Mead settings (iteration limit, tolerances, restarts).
    public var optimizer: NelderMead

    /// Creates fit settings. The optimiser minimises the *mean* negative log-likelihood per
    /// customer, so its tolerances do not depend on the number of customers.
    public init(minimumCustomers: Int = 10, optimizer: NelderMead = NelderMead()) {
        self.minimumCustomers = minimumCustomers
        self.optimizer = optimizer
    }

    /// Throws `.invalidParameter` for settings that cannot work.
    func validate() throws(ValueModelError) {
        guard minimumCustomers >= 1 else {
            throw .invalidParameter(name: "minimumCustomers", value: Double(minimumCustomers), requirement: ">= 1")
        }
        guard optimizer.maxIterations >= 1 else {
            throw .invalidParameter(name: "maxIterations", value: Double(optimizer.maxIterations), requirement: ">= 1")
        }
        guard optimizer.maxRestarts >= 0 else {
            throw .invalidParameter(name: "maxRestarts", value: Double(optimizer.maxRestarts), requirement: ">= 0")
        }
        try ValueModelError.requirePositive(optimizer.valueTolerance, "valueTolerance")
        try ValueModelError.requirePositive(optimizer.pointTolerance, "pointTolerance")
        try ValueModelError.requirePositive(optimizer.initialStep, "initialStep")
    }
}

/// Result of a maximum-likelihood fit: the fitted model plus the diagnostics needed to decide
/// whether to trust it.
public struct FitResult<Model: Sendable & Equatable>: Sendable, Equatable {
    /// The fitted model (its parameters).
    public var model: Model
    /// Total log-likelihood at the fitted parameters, summed over the customers used.
    public var logLikelihood: Double
    /// Number of customers the likelihood was computed over.
    public var customerCount: Int
    /// Nelder-Mead iterations over all runs.
    public var iterations: Int
    /// Whether the optimiser met its tolerances before its iteration limit.
    public var converged: Bool
}
