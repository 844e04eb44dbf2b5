import Coffer
import CofferCrypto
import CofferSupport

extension ScoringModel {
    /// Loads and validates a model for `role` (the role that will run it).
    ///
    /// Refused with `file:line: message`: unknown keys, fields or operators; a rule on a field
    /// the role sees redacted (an error, never a silent zero), or on a view the operator cannot
    /// use (a range on a pseudonym); labels the view never shows; overlapping tiers or gaps
    /// between them; next actions naming unknown tiers; a purpose the role may not use.
    public static func load(yaml text: String, file: String, schema: Schema, role: RolePolicy) throws(PolicyFileError) -> ScoringModel {
        let root = try YAMLNode.parse(text, file: file)
        var loader = Loader(schema: schema, role: role)
        return try loader.model(root, digest: (try? SHA256.hash(Array(text.utf8)).hexString) ?? "")
    }
}

/// Walks the YAML tree; every error names the line of the node at fault.
private struct Loader {
    let schema: Schema
    let role: RolePolicy
    var fields: [String] = []
    var usesValue = false

    init(schema: Schema, role: RolePolicy) {
        self.schema = schema
        self.role = role
    }

    mutating func model(_ root: YAMLNode, digest: String) throws(PolicyFileError) -> ScoringModel {
        let entries = try root.mapping("a scoring model")
        let known: Set = ["name", "version", "purpose", "description", "score", "tier_by", "groups", "disqualifiers", "tiers", "matrix",
                          "next_actions", "default_action", "recontact", "value", "provenance"]
        for entry in entries where !known.contains(entry.key) {
            throw PolicyFileError(file: root.file, line: entry.keyLine,
                                  message: "unknown key '\(entry.key)'; a model has \(known.sorted().joined(separator: ", "))")
        }
        func value(_ key: String) -> YAMLNode? { entries.first { $0.key == key }?.value }
        func required(_ key: String) throws(PolicyFileError) -> YAMLNode {
            guard let node = value(key) else { throw root.error("the model needs '\(key)'") }
            return node
        }
        let name = try required("name").string("name")
        let version = try required("version").string("version")
        let purposeNode = try required("purpose")
        let purpose = try purposeNode.string("purpose")
        if let purposes = role.purposes, !purposes.contains(purpose) {
            throw purposeNode.error("purpose '\(purpose)' is not one the \(role.name) role may use (\(purposes.joined(separator: ", ")))")
        }
        let description = try value("description")?.string("description") ?? ""
        let scoreCap = try value("score").map { node throws(PolicyFileError) in try cap(node, "score") } ?? .none
        var tierBound = TierBoundPolicy.lower
        if let node = value("tier_by") {
            guard let parsed = TierBoundPolicy(rawValue: try node.string("tier_by")) else {
                throw node.error("tier_by must be lower, upper or midpoint")
            }
            tierBound = parsed
        }
        var valueSettings = ValueSettings()
        if let node = value("value") { valueSettings = try self.valueSettings(node) }

        var groups: [CriteriaGroup] = []
        let groupsNode = try required("groups")
        for entry in try groupsNode.mapping("groups") {
            groups.append(try group(entry.key, entry.value, line: entry.keyLine))
        }
        guard !groups.isEmpty else { throw groupsNode.error("the model needs at least one group of rules") }

        var disqualifiers: [Disqualifier] = []
        if let node = value("disqualifiers") {
            for item in try node.sequence("disqualifiers") { disqualifiers.append(try disqualifier(item)) }
        }

        let grading: Grading
        switch (value("tiers"), value("matrix")) {
        case let (tiersNode?, nil):
            grading = .tiers(try tiers(tiersNode, "tiers"))
        case let (nil, matrixNode?):
            grading = try matrix(matrixNode, groups: groups)
        case (nil, nil):
            throw root.error("the model needs 'tiers' (a ladder on the score) or 'matrix' (e.g. fit × engagement)")
        case let (_, matrixNode?):
            throw matrixNode.error("use either 'tiers' or 'matrix', not both")
        }

        var nextActions: [NextActionRule] = []
        if let node = value("next_actions") {
            for item in try node.sequence("next_actions") { nextActions.append(try nextAction(item, tierNames: grading.tierNames)) }
        }
        let defaultAction = try value("default_action")?.string("default_action")
        var recontact: Recontact?
        if let node = value("recontact") { recontact = try self.recontact(node) }

        var provenance: [Provenance] = []
        if let node = value("provenance") {
            for item in try node.sequence("provenance") { provenance.append(try self.provenance(item)) }
        }

        return ScoringModel(name: name, version: version, purpose: purpose, description: description, digest: digest, groups: groups,
                            disqualifiers: disqualifiers, scoreCap: scoreCap, grading: grading, tierBound: tierBound,
                            nextActions: nextActions, defaultAction: defaultAction, recontact: recontact, value: valueSettings,
                            provenance: provenance, fields: fields, usesValueAttributes: usesValue)
    }

    // MARK: Groups and rules

    mutating func group(_ name: String, _ node: YAMLNode, line: Int) throws(PolicyFileError) -> CriteriaGroup {
        var group = CriteriaGroup(name: name, framework: nil, cap: .none, decay: nil, rules: [], line: line)
        var sawRules = false
        for entry in try node.mapping("group \(name)") {
            switch entry.key {
            case "framework": group.framework = try entry.value.string("framework")
            case "cap": group.cap = try cap(entry.value, "cap of group \(name)")
            case "decay": group.decay = try decay(entry.value)
            case "rules":
                sawRules = true
                for item in try entry.value.sequence("rules of group \(name)") { group.rules.append(try rule(item)) }
            default:
                throw PolicyFileError(file: node.file, line: entry.keyLine,
                                      message: "unknown key '\(entry.key)' in group \(name); a group has rules, cap, decay, framework")
            }
        }
        guard sawRules, !group.rules.isEmpty else { throw node.error("group \(name) needs a non-empty 'rules' list") }
        return group
    }

    mutating func rule(_ node: YAMLNode) throws(PolicyFileError) -> Rule {
        let entries = try node.mapping("a rule")
        var points: Double?
        var criterion: String?
        for entry in entries {
            switch entry.key {
            case "points": points = try entry.value.double("points")
            case "criterion": criterion = try entry.value.string("criterion")
            default: break
            }
        }
        let condition = try self.condition(node, entries: entries, extraKeys: ["points", "criterion"])
        guard let points else { throw node.error("rule on \(condition.input.name) needs 'points' (may be negative)") }
        return Rule(condition: condition, points: points, criterion: criterion, line: node.line)
    }

    mutating func disqualifier(_ node: YAMLNode) throws(PolicyFileError) -> Disqualifier {
        let entries = try node.mapping("a disqualifier")
        var reason: String?
        var whenIndeterminate = true
        for entry in entries {
            switch entry.key {
            case "reason": reason = try entry.value.string("reason")
            case "when_indeterminate": whenIndeterminate = try entry.value.bool("when_indeterminate")
            default: break
            }
        }
        let condition = try self.condition(node, entries: entries, extraKeys: ["reason", "when_indeterminate"])
        guard let reason, !reason.isEmpty else { throw node.error("disqualifier on \(condition.input.name) needs a 'reason'") }
        return Disqualifier(condition: condition, reason: reason, whenIndeterminate: whenIndeterminate, line: node.line)
    }

    static let operators = ["equals", "in", "range", "overlaps", "missing"]

    /// `field` plus exactly one operator; other keys must be in `extraKeys`.
    mutating func condition(_ node: YAMLNode, entries: [(key: String, keyLine: Int, value: YAMLNode)],
                            extraKeys: Set<String>) throws(PolicyFileError) -> Condition {
        var fieldNode: YAMLNode?
        var operatorEntries: [(key: String, keyLine: Int, value: YAMLNode)] = []
        for entry in entries {
            if entry.key == "field" {
                fieldNode = entry.value
            } else if Self.operators.contains(entry.key) {
                operatorEntries.append(entry)
            } else if !extraKeys.contains(entry.key) {
                throw PolicyFileError(file: node.file, line: entry.keyLine,
                                      message: "unknown operator or key '\(entry.key)'; operators are \(Self.operators.joined(separator: ", "))")
            }
        }
        guard let fieldNode else { throw node.error("a rule needs 'field' (a schema field or a value attribute)") }
        guard let opEntry = operatorEntries.first else {
            throw node.error("a rule needs one operator: \(Self.operators.joined(separator: ", "))")
        }
        guard operatorEntries.count == 1 else {
            throw PolicyFileError(file: node.file, line: operatorEntries[1].keyLine, message: "a rule has exactly one operator; split it into two rules")
        }
        let input = try self.input(fieldNode)
        let target = Target(input: input, loader: self)
        let op = try self.op(opEntry.key, opEntry.value, target: target)
        return Condition(input: input, op: op, line: node.line)
    }

    /// Resolves a field name against the schema, the role's view and the value attributes.
    mutating func input(_ node: YAMLNode) throws(PolicyFileError) -> Input {
        let name = try node.string("field")
        if let spec = schema[name] {
            let view = role.view(of: name)
            if view == .redacted {
                throw node.error("field \(name) is redacted for the \(role.name) role: a rule on it could never see a value; remove the rule or change the role's policy")
            }
            if !fields.contains(spec.name) { fields.append(spec.name) }
            return .field(name)
        }
        if let attribute = ValueAttribute(rawValue: name) {
            usesValue = true
            return .attribute(attribute)
        }
        throw node.error("unknown field '\(name)': not in the schema and not a value attribute (\(ValueAttribute.allCases.map(\.rawValue).joined(separator: ", ")))")
    }

    /// What a condition's input can be compared with, for checking operators.
    struct Target {
        var name: String
        var isNumeric: Bool
        var labels: [String]?
        var view: FieldView?
        var type: FieldType?

        init(input: Input, loader: Loader) {
            name = input.name
            switch input {
            case let .field(field):
                let spec = loader.schema[field]!
                let view = loader.role.view(of: field)
                self.view = view
                type = spec.type
                labels = view.possibleLabels(for: spec)
                switch view {
                case .plain: isNumeric = spec.type == .integer || spec.type == .decimal || spec.type == .date
                case .generalized(.ageBand), .generalized(.bands), .generalized(.buckets): isNumeric = true
                default: isNumeric = false
                }
            case let .attribute(attribute):
                isNumeric = attribute.isNumeric
                labels = attribute == .rfmSegment ? RFMSegment.allCases.map(\.rawValue) + [ValueContext.noPurchases] : nil
            }
        }
    }

    func op(_ key: String, _ node: YAMLNode, target: Target) throws(PolicyFileError) -> Operator {
        switch key {
        case "missing":
            return .missing(try node.bool("missing"))
        case "equals", "in":
            if case .pseudonym = target.view {
                throw node.error("\(target.name) is a pseudonym for the \(role.name) role; only 'missing' can test it")
            }
            if case .masked = target.view {
                throw node.error("\(target.name) is masked for the \(role.name) role; only 'missing' can test it")
            }
            var labels: [String] = []
            if key == "equals" {
                labels = [try node.string("equals")]
            } else {
                for item in try node.sequence("in") { labels.append(try item.string("an 'in' value")) }
                guard !labels.isEmpty else { throw node.error("'in' needs at least one value") }
            }
            if target.type == .boolean, target.view == .plain {
                labels = try labels.map { label throws(PolicyFileError) in
                    switch label.lowercased() {
                    case "true", "yes": return "true"
                    case "false", "no": return "false"
                    default: throw node.error("\(target.name) is true or false, not '\(label)'")
                    }
                }
            }
            if let possible = target.labels {
                // Labels are matched without regard to case: where the view's labels are known,
                // a literal is rewritten to the one label it names (`software` → `Software`).
                labels = try labels.map { label throws(PolicyFileError) in
                    if possible.contains(label) { return label }
                    let same = possible.filter { sameIgnoringCase($0, label) }
                    guard same.count == 1 else {
                        throw node.error(same.isEmpty
                            ? "the \(role.name) role never sees '\(label)' for \(target.name); it sees one of: \(possible.joined(separator: ", "))"
                            : "'\(label)' could be any of \(same.joined(separator: ", ")) for \(target.name); write it as the role sees it")
                    }
                    return same[0]
                }
            }
            return .oneOf(labels)
        case "range", "overlaps":
            guard target.isNumeric else {
                throw node.error("'\(key)' needs a number, a numeric band or an age; the \(role.name) role sees \(target.name) as \(target.view?.description ?? "a label"); use equals or in")
            }
            var min: Double?, max: Double?
            for entry in try node.mapping(key) {
                switch entry.key {
                case "min": min = try entry.value.double("min")
                case "max": max = try entry.value.double("max")
                default: throw PolicyFileError(file: node.file, line: entry.keyLine, message: "'\(key)' takes min and max (inclusive), not '\(entry.key)'")
                }
            }
            guard min != nil || max != nil else { throw node.error("'\(key)' needs min, max or both") }
            if let min, let max, min > max { throw node.error("'\(key)': min \(formatNumber(min)) is above max \(formatNumber(max))") }
            return key == "range" ? .range(min: min, max: max) : .overlaps(min: min, max: max)
        default:
            throw node.error("unknown operator '\(key)'")
        }
    }

    func cap(_ node: YAMLNode, _ what: String) throws(PolicyFileError) -> ScoreCap {
        if !node.isMapping { return ScoreCap(min: nil, max: try node.double(what)) }
        var cap = ScoreCap.none
        for entry in try node.mapping(what) {
            switch entry.key {
            case "min": cap.min = try entry.value.double("min")
            case "max": cap.max = try entry.value.double("max")
            default: throw PolicyFileError(file: node.file, line: entry.keyLine, message: "\(what) takes min and max, not '\(entry.key)'")
            }
        }
        if let min = cap.min, let max = cap.max, min > max { throw node.error("\(what): min is above max") }
        return cap
    }

    mutating func decay(_ node: YAMLNode) throws(PolicyFileError) -> Decay {
        var field: String?, halfLife: Double?
        for entry in try node.mapping("decay") {
            switch entry.key {
            case "field":
                let input = try self.input(entry.value)
                guard case let .field(name) = input, schema[name]?.type == .date, datesVisible(name) else {
                    throw entry.value.error("decay needs a date field the \(role.name) role sees as a date or a month (e.g. last_activity)")
                }
                field = name
            case "half_life_days":
                halfLife = try entry.value.double("half_life_days")
                guard halfLife! > 0 else { throw entry.value.error("half_life_days must be above 0") }
            default:
                throw PolicyFileError(file: node.file, line: entry.keyLine, message: "decay takes field and half_life_days, not '\(entry.key)'")
            }
        }
        guard let field, let halfLife else { throw node.error("decay needs field and half_life_days") }
        return Decay(field: field, halfLifeDays: halfLife)
    }

    /// Whether the role sees `field` as a date, a month or a quarter (so it has a day range).
    func datesVisible(_ field: String) -> Bool {
        switch role.view(of: field) {
        case .plain, .generalized(.month), .generalized(.quarter): true
        default: false
        }
    }

    // MARK: Grading

    func tiers(_ node: YAMLNode, _ what: String) throws(PolicyFileError) -> [Tier] {
        var tiers: [Tier] = []
        for item in try node.sequence(what) {
            var tier = Tier(name: "", min: nil, max: nil, line: item.line)
            for entry in try item.mapping("a tier") {
                switch entry.key {
                case "name": tier.name = try entry.value.string("name")
                case "min": tier.min = try entry.value.double("min")
                case "max": tier.max = try entry.value.double("max")
                default: throw PolicyFileError(file: item.file, line: entry.keyLine, message: "a tier has name, min (inclusive) and max (exclusive), not '\(entry.key)'")
                }
            }
            guard !tier.name.isEmpty else { throw item.error("a tier needs a name") }
            if tiers.contains(where: { $0.name == tier.name }) { throw item.error("tier \(tier.name) is named twice") }
            if let min = tier.min, let max = tier.max, min >= max { throw item.error("tier \(tier.name): min must be below max") }
            tiers.append(tier)
        }
        guard !tiers.isEmpty else { throw node.error("\(what) needs at least one tier") }
        // Best first; together they must cover every score exactly once.
        let sorted = tiers.sorted { ($0.min ?? -.infinity) > ($1.min ?? -.infinity) }
        if sorted.first!.max != nil { throw PolicyFileError(file: node.file, line: sorted.first!.line, message: "the top tier \(sorted.first!.name) must have no max") }
        if sorted.last!.min != nil { throw PolicyFileError(file: node.file, line: sorted.last!.line, message: "the bottom tier \(sorted.last!.name) must have no min, so that every score gets a tier") }
        for (upper, lower) in zip(sorted, sorted.dropFirst()) {
            guard let upperMin = upper.min else {
                throw PolicyFileError(file: node.file, line: upper.line, message: "tiers \(upper.name) and \(lower.name) overlap: both have no min")
            }
            let lowerMax = lower.max ?? .infinity
            if lowerMax > upperMin {
                throw PolicyFileError(file: node.file, line: lower.line,
                                      message: "tiers \(lower.name) and \(upper.name) overlap: \(lower.name) reaches \(formatNumber(lowerMax)), \(upper.name) starts at \(formatNumber(upperMin))")
            }
            if lowerMax < upperMin {
                throw PolicyFileError(file: node.file, line: lower.line,
                                      message: "scores from \(formatNumber(lowerMax)) to \(formatNumber(upperMin)) have no tier: \(lower.name) should end (max) where \(upper.name) starts")
            }
        }
        return sorted
    }

    func matrix(_ node: YAMLNode, groups: [CriteriaGroup]) throws(PolicyFileError) -> Grading {
        var rows: MatrixAxis?, columns: MatrixAxis?
        for entry in try node.mapping("matrix") {
            var axis = MatrixAxis(groups: [], tiers: [])
            for part in try entry.value.mapping("matrix \(entry.key)") {
                switch part.key {
                case "groups":
                    for item in try part.value.sequence("groups") {
                        let name = try item.string("a group name")
                        guard groups.contains(where: { $0.name == name }) else {
                            throw item.error("no group \(name) in the model; groups: \(groups.map(\.name).joined(separator: ", "))")
                        }
                        axis.groups.append(name)
                    }
                case "tiers":
                    axis.tiers = try tiers(part.value, "matrix \(entry.key) tiers")
                default:
                    throw PolicyFileError(file: node.file, line: part.keyLine, message: "a matrix axis has groups and tiers, not '\(part.key)'")
                }
            }
            guard !axis.groups.isEmpty, !axis.tiers.isEmpty else { throw entry.value.error("matrix \(entry.key) needs groups and tiers") }
            switch entry.key {
            case "rows": rows = axis
            case "columns": columns = axis
            default: throw PolicyFileError(file: node.file, line: entry.keyLine, message: "a matrix has rows and columns, not '\(entry.key)'")
            }
        }
        guard let rows, let columns else { throw node.error("a matrix needs rows and columns") }
        if let shared = rows.groups.first(where: columns.groups.contains) {
            throw node.error("group \(shared) is on both axes of the matrix")
        }
        return .matrix(rows: rows, columns: columns)
    }

    // MARK: Actions and value

    mutating func nextAction(_ node: YAMLNode, tierNames: [String]) throws(PolicyFileError) -> NextActionRule {
        var rule = NextActionRule(conditions: [], tiers: [], action: "", line: node.line)
        for entry in try node.mapping("a next action") {
            switch entry.key {
            case "action": rule.action = try entry.value.string("action")
            case "when":
                let items = entry.value.isSequence ? try entry.value.sequence("when") : [entry.value]
                for item in items {
                    let parts = try item.mapping("a condition")
                    if let tierPart = parts.first(where: { $0.key == "tier" }) {
                        guard parts.count == 1 else { throw item.error("put a tier condition in its own list item") }
                        let names = tierPart.value.isSequence ? try tierPart.value.sequence("tier").map { n throws(PolicyFileError) in try n.string("a tier") }
                                                              : [try tierPart.value.string("tier")]
                        for name in names where !tierNames.contains(name) && name != ScoringEngine.disqualifiedTier {
                            throw tierPart.value.error("no tier \(name) in the model; tiers: \(tierNames.joined(separator: ", "))")
                        }
                        rule.tiers += names
                    } else {
                        rule.conditions.append(try condition(item, entries: parts, extraKeys: []))
                    }
                }
            default:
                throw PolicyFileError(file: node.file, line: entry.keyLine, message: "a next action has when and action, not '\(entry.key)'")
            }
        }
        guard !rule.action.isEmpty else { throw node.error("a next action needs 'action'") }
        guard !rule.conditions.isEmpty || !rule.tiers.isEmpty else { throw node.error("a next action needs 'when'") }
        return rule
    }

    mutating func recontact(_ node: YAMLNode) throws(PolicyFileError) -> Recontact {
        var field: String?, lead = 0, action: String?
        for entry in try node.mapping("recontact") {
            switch entry.key {
            case "field":
                let input = try self.input(entry.value)
                guard case let .field(name) = input, schema[name]?.type == .date, datesVisible(name) else {
                    throw entry.value.error("recontact needs a date field the \(role.name) role sees as a date or a month (e.g. competitor_contract_end)")
                }
                field = name
            case "lead_months":
                lead = try entry.value.int("lead_months")
                guard (0...120).contains(lead) else { throw entry.value.error("lead_months must be between 0 and 120") }
            case "action": action = try entry.value.string("action")
            default:
                throw PolicyFileError(file: node.file, line: entry.keyLine, message: "recontact takes field, lead_months and action, not '\(entry.key)'")
            }
        }
        guard let field else { throw node.error("recontact needs a date field") }
        return Recontact(field: field, leadMonths: lead, action: action)
    }

    func provenance(_ node: YAMLNode) throws(PolicyFileError) -> Provenance {
        var entry = Provenance(source: "", outcomes: false, line: node.line)
        var sawOutcomes = false
        for part in try node.mapping("a provenance entry") {
            let v = part.value
            switch part.key {
            case "source": entry.source = try v.string("source")
            case "segment": entry.segment = try v.string("segment")
            case "date": entry.date = try v.string("date")
            case "outcomes": entry.outcomes = try v.bool("outcomes"); sawOutcomes = true
            case "holdout":
                var fraction: Double?, seed = HoldoutSplit.defaultSeed
                for h in try v.mapping("holdout") {
                    switch h.key {
                    case "fraction": fraction = try h.value.double("fraction")
                    case "seed": seed = try h.value.string("seed")
                    default: throw PolicyFileError(file: node.file, line: h.keyLine, message: "holdout takes fraction and seed, not '\(h.key)'")
                    }
                }
                guard let fraction, fraction > 0, fraction < 1 else { throw v.error("holdout needs a fraction between 0 and 1") }
                entry.holdout = HoldoutSplit(fraction: fraction, seed: seed)
            default:
                throw PolicyFileError(file: node.file, line: part.keyLine,
                                      message: "a provenance entry has source, segment, date, outcomes and holdout; not '\(part.key)'")
            }
        }
        guard !entry.source.isEmpty else { throw node.error("a provenance entry needs 'source' (e.g. coffer icp)") }
        guard sawOutcomes else { throw node.error("a provenance entry needs 'outcomes: true|false' (were the rules chosen on imported outcomes?)") }
        return entry
    }

    func valueSettings(_ node: YAMLNode) throws(PolicyFileError) -> ValueSettings {
        var settings = ValueSettings()
        for entry in try node.mapping("value") {
            let v = entry.value
            switch entry.key {
            case "lifespan_years": settings.lifespanYears = try v.double("lifespan_years")
                guard settings.lifespanYears > 0 else { throw v.error("lifespan_years must be above 0") }
            case "margin": settings.margin = try v.double("margin")
                guard (0...1).contains(settings.margin) else { throw v.error("margin must be between 0 and 1") }
            case "horizon_months": settings.horizonMonths = try v.int("horizon_months")
                guard (1...120).contains(settings.horizonMonths) else { throw v.error("horizon_months must be between 1 and 120") }
            case "annual_discount_rate": settings.annualDiscountRate = try v.double("annual_discount_rate")
                guard (0...1).contains(settings.annualDiscountRate) else { throw v.error("annual_discount_rate must be between 0 and 1") }
            case "fit_sample": settings.fitSample = try v.int("fit_sample")
                guard settings.fitSample >= 100 else { throw v.error("fit_sample must be at least 100") }
            default:
                throw PolicyFileError(file: node.file, line: entry.keyLine,
                                      message: "value takes lifespan_years, margin, horizon_months, annual_discount_rate, fit_sample; not '\(entry.key)'")
            }
        }
        return settings
    }
}
