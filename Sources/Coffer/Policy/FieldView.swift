/// How a generalized view coarsens a value so that it identifies fewer people.
public enum Generalization: Sendable, Equatable, CustomStringConvertible {
    /// Age in whole years at the reading date, in bands of `width` years ("30-39"). Dates only.
    case ageBand(width: Int)
    /// Lower bounds of numeric bands, strictly increasing ("50000-74999.99", "250000+"). Numbers only.
    case bands([Double])
    /// The first N characters followed by `*` ("SW*"). Strings only.
    case prefix(Int)
    /// The year and month of a date ("2026-03").
    case month
    /// The year and quarter of a date ("2026-Q1").
    case quarter
    /// Lower bounds of integer buckets, strictly increasing ("10-49", "5000+"). Integers only.
    case buckets([Int64])

    public var description: String {
        switch self {
        case let .ageBand(width): "age band of \(width) years"
        case let .bands(bounds): "bands from \(bounds.map { ViewRenderer.formatCents(ViewRenderer.cents($0)) }.joined(separator: ", "))"
        case let .prefix(n): "first \(n) characters"
        case .month: "month"
        case .quarter: "quarter"
        case let .buckets(bounds): "buckets from \(bounds.map(String.init).joined(separator: ", "))"
        }
    }
}

/// The form in which a role sees one field.
public enum FieldView: Sendable, Equatable, CustomStringConvertible {
    /// The value as stored.
    case plain
    /// Partly hidden: `j***@e***.com`, `*** *** 1234`, initials `A. L.`, or first character + `***`.
    case masked
    /// A keyed token, equal for equal values within `domain` and unlinkable across domains.
    case pseudonym(domain: String)
    /// A coarser value (band, prefix, month...).
    case generalized(Generalization)
    /// Absent: never decrypted, never shown. What every field not granted explicitly gets.
    case redacted

    public var description: String {
        switch self {
        case .plain: "plain"
        case .masked: "masked"
        case let .pseudonym(domain): "pseudonym (domain \(domain))"
        case let .generalized(g): "generalized (\(g))"
        case .redacted: "redacted"
        }
    }

    /// Field types a masked view can hide part of; masking an enum, date, number or boolean
    /// would show either everything or nothing useful.
    static let maskableTypes: [FieldType] = [.string, .text, .email, .phone]
    /// Pseudonyms of a boolean only relabel two values; free text is not a stable identifier.
    static let unpseudonymizableTypes: [FieldType] = [.boolean, .text]
}

extension FieldView {
    /// Every label this view can show for `field`, when that set is finite and known in advance:
    /// enum values and booleans shown plain, and the bands or buckets of a generalized number.
    /// Nil otherwise (free text, prefixes, dates, ages). Scoring models check their labels here.
    public func possibleLabels(for field: FieldSpec) -> [String]? {
        switch self {
        case .plain:
            switch field.type {
            case .enum: return field.values
            case .boolean: return ["true", "false"]
            default: return nil
            }
        case let .generalized(.bands(bounds)):
            // One probe value per band: below the first bound, then each bound.
            let probes = [bounds[0] - 1] + bounds
            return probes.compactMap {
                ViewRenderer.generalize(field.type == .integer ? String(Int64($0)) : String($0), field: field, .bands(bounds), asOf: .today)?.label
            }
        case let .generalized(.buckets(bounds)):
            let probes = [bounds[0] - 1] + bounds
            return probes.compactMap { ViewRenderer.generalize(String($0), field: field, .buckets(bounds), asOf: .today)?.label }
        default:
            return nil
        }
    }
}
