import Foundation

/// The Gauss hypergeometric function ₂F₁(a, b; c; z), needed by the BG/NBD conditional expectation.
///
///     ₂F₁(a, b; c; z) = Σ_{n≥0} (a)_n (b)_n / (c)_n · zⁿ / n!,   (q)_n = q(q+1)…(q+n−1)
///
/// Evaluated by this power series, term by term with the ratio
/// t_{n+1}/t_n = (a+n)(b+n) / ((c+n)(n+1)) · z, which converges for |z| < 1 (geometrically, at rate
/// |z|). Domain: finite a, b; c not 0 or a negative integer; |z| < 1. The sum stops when the bound on
/// the remaining terms, |t_n|·ρ/(1−ρ) with ρ = max(|t_{n+1}/t_n|, |z|), falls below 1e-15 of the
/// sum, or throws after `maxTerms` terms. Convergence is slow only when |z| is close to 1: about
/// 35/−ln|z| terms (z = 0.99 needs ~3,500).
public enum GaussHypergeometric {
    /// Term limit of the series.
    public static let maxTerms = 200_000

    /// ₂F₁(a, b; c; z) for |z| < 1.
    public static func value(a: Double, b: Double, c: Double, z: Double) throws(ValueModelError) -> Double {
        guard a.isFinite, b.isFinite else {
            throw .invalidParameter(name: "2F1 a or b", value: a.isFinite ? b : a, requirement: "finite")
        }
        guard c.isFinite, !(c <= 0 && c == c.rounded()) else {
            throw .invalidParameter(name: "2F1 c", value: c, requirement: "finite and not 0 or a negative integer")
        }
        // 2F1 = 1 + (a b / c) z + ... = 1 + (b / c) · scaledTail
        return 1 + b / c * (try scaledTail(a: a, b: b, c: c, z: z))
    }

    /// The c-scaled tail Σ_{n≥1} zⁿ (a)_n (b+1)_{n−1} / ((c+1)_{n−1} n!), so that
    /// ₂F₁(a, b; c; z) = 1 + (b/c) · scaledTail. Factoring b and c out keeps the BG/NBD expectation
    /// finite where a−1 → 0 or a+b+x−1 → 0. Requires c+n ≠ 0 for n ≥ 1.
    static func scaledTail(a: Double, b: Double, c: Double, z: Double) throws(ValueModelError) -> Double {
        guard z.isFinite, abs(z) < 1 else {
            throw .invalidParameter(name: "2F1 z", value: z, requirement: "finite with |z| < 1")
        }
        guard !(c < 0 && c == c.rounded()) else {
            throw .invalidParameter(name: "2F1 c", value: c, requirement: "not a negative integer")
        }
        var term = a * z
        var sum = term
        var n = 1.0
        for _ in 1...maxTerms {
            let ratio = (a + n) * (b + n) / ((c + n) * (n + 1)) * z
            let rho = max(abs(ratio), abs(z))
            if term == 0 || (rho < 1 && abs(term) * rho / (1 - rho) <= 1e-15 * abs(sum)) {
                return sum
            }
            term *= ratio
            sum += term
            n += 1
            guard sum.isFinite else { break }
        }
        throw .seriesDidNotConverge(function: "2F1(\(a), \(b); \(c); \(z))", terms: maxTerms)
    }
}
