import Foundation

/// Derivative-free minimiser (Nelder & Mead 1965) shared by the BG/NBD and Gamma-Gamma fits.
///
/// Why Nelder-Mead: the likelihoods are cheap, low-dimensional (3–4 parameters, optimised on a log
/// scale so they stay positive) and have no convenient closed-form gradient with respect to all
/// parameters. Standard coefficients: reflection 1, expansion 2, contraction ½, shrink ½.
///
/// Deterministic: no randomness, and ties between vertices are broken by vertex index. A run stops
/// when the spread of objective values over the simplex is at most `valueTolerance` and every vertex
/// lies within `pointTolerance` (max-norm) of the best one, or after `maxIterations` iterations. The
/// search is then restarted from the best point with a fresh simplex (up to `maxRestarts` times)
/// until a restart no longer improves the value, guarding against premature collapse of the simplex.
/// Non-finite objective values are treated as +∞ so the simplex moves away from them.
public struct NelderMead: Sendable, Equatable {
    /// Iteration limit of one run (restarts have their own).
    public var maxIterations: Int
    /// Convergence tolerance on the spread of objective values in the simplex.
    public var valueTolerance: Double
    /// Convergence tolerance on the simplex size (max-norm distance to the best vertex).
    public var pointTolerance: Double
    /// Edge length of the initial simplex along each coordinate axis.
    public var initialStep: Double
    /// How many times the search is restarted from the best point.
    public var maxRestarts: Int

    /// Creates a minimiser; see the type's documentation for the meaning of each setting.
    public init(
        maxIterations: Int = 5_000,
        valueTolerance: Double = 1e-11,
        pointTolerance: Double = 1e-7,
        initialStep: Double = 0.5,
        maxRestarts: Int = 5
    ) {
        self.maxIterations = maxIterations
        self.valueTolerance = valueTolerance
        self.pointTolerance = pointTolerance
        self.initialStep = initialStep
        self.maxRestarts = maxRestarts
    }

    /// Outcome of a minimisation.
    public struct Result: Sendable, Equatable {
        /// Best point found.
        public var point: [Double]
        /// Objective value at `point`.
        public var value: Double
        /// Iterations over all runs (first run and restarts).
        public var iterations: Int
        /// Objective evaluations over all runs.
        public var evaluations: Int
        /// Whether the last run met both tolerances and the last restart did not improve the value.
        public var converged: Bool
    }

    /// Minimises `objective` starting from `start` (an empty `start` is evaluated once and returned).
    public func minimize(from start: [Double], _ objective: ([Double]) -> Double) -> Result {
        var best = run(from: start, objective)
        var iterations = best.iterations
        var evaluations = best.evaluations
        var converged = best.converged
        if maxRestarts > 0 {
            converged = false
            for _ in 0..<maxRestarts {
                let next = run(from: best.point, objective)
                iterations += next.iterations
                evaluations += next.evaluations
                let improvement = best.value - next.value
                if next.value < best.value { best = next }
                if next.converged, !(improvement > valueTolerance) {
                    converged = true
                    break
                }
            }
        }
        best.iterations = iterations
        best.evaluations = evaluations
        best.converged = converged
        return best
    }

    /// One Nelder-Mead run from a fresh simplex around `start`.
    private func run(from start: [Double], _ objective: ([Double]) -> Double) -> Result {
        let dimension = start.count
        var evaluations = 0
        func evaluate(_ point: [Double]) -> Double {
            evaluations += 1
            let value = objective(point)
            return value.isNaN ? .infinity : value
        }
        guard dimension > 0 else {
            return Result(point: start, value: evaluate(start), iterations: 0, evaluations: evaluations, converged: true)
        }

        var vertices = [start]
        for axis in 0..<dimension {
            var vertex = start
            vertex[axis] += initialStep
            vertices.append(vertex)
        }
        var values = vertices.map(evaluate)

        var iterations = 0
        var converged = false
        while true {
            // Order vertices best to worst; ties broken by index for determinism.
            let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] < values[$1] : $0 < $1 }
            vertices = order.map { vertices[$0] }
            values = order.map { values[$0] }

            let bestValue = values[0]
            let worst = dimension
            let spread = values[worst] - bestValue
            var size = 0.0
            for vertex in vertices.dropFirst() {
                for (coordinate, bestCoordinate) in zip(vertex, vertices[0]) {
                    size = max(size, abs(coordinate - bestCoordinate))
                }
            }
            if spread <= valueTolerance, size <= pointTolerance {
                converged = true
                break
            }
            if iterations >= maxIterations { break }
            iterations += 1

            var centroid = [Double](repeating: 0, count: dimension)
            for vertex in vertices.dropLast() {
                for axis in 0..<dimension { centroid[axis] += vertex[axis] }
            }
            for axis in 0..<dimension { centroid[axis] /= Double(dimension) }

            func along(_ coefficient: Double) -> [Double] {
                (0..<dimension).map { centroid[$0] + coefficient * (vertices[worst][$0] - centroid[$0]) }
            }

            let reflected = along(-1)
            let reflectedValue = evaluate(reflected)
            if reflectedValue < bestValue {
                let expanded = along(-2)
                let expandedValue = evaluate(expanded)
                if expandedValue < reflectedValue {
                    vertices[worst] = expanded
                    values[worst] = expandedValue
                } else {
                    vertices[worst] = reflected
                    values[worst] = reflectedValue
                }
                continue
            }
            if reflectedValue < values[worst - 1] {
                vertices[worst] = reflected
                values[worst] = reflectedValue
                continue
            }
            let outside = reflectedValue < values[worst]
            let contracted = along(outside ? -0.5 : 0.5)
            let contractedValue = evaluate(contracted)
            if outside ? contractedValue <= reflectedValue : contractedValue < values[worst] {
                vertices[worst] = contracted
                values[worst] = contractedValue
                continue
            }
            // Shrink every vertex halfway towards the best one.
            for index in 1...dimension {
                vertices[index] = (0..<dimension).map { vertices[0][$0] + 0.5 * (vertices[index][$0] - vertices[0][$0]) }
                values[index] = evaluate(vertices[index])
            }
        }
        return Result(
            point: vertices[0], value: values[0], iterations: iterations,
            evaluations: evaluations, converged: converged
        )
    }
}
