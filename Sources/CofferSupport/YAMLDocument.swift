import Yams

/// A YAML node with its source position, for loaders that must report `file:line: message`.
///
/// Policy and schema loaders walk these instead of decoding into Codable types so that every
/// rejection can name the line it comes from. Duplicate mapping keys are refused here, once.
/// Public for the other policy loaders (scoring models).
public struct YAMLNode {
    package let node: Node
    public let file: String

    public var line: Int { node.mark?.line ?? 0 }

    /// Parses `text`; an empty document or a syntax error is a `PolicyFileError`.
    public static func parse(_ text: String, file: String) throws(PolicyFileError) -> YAMLNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PolicyFileError(file: file, line: Self.line(of: error), message: "not valid YAML: \(Self.summary(of: error))")
        } catch {
            throw PolicyFileError(file: file, line: 0, message: "not valid YAML")
        }
        guard let root else { throw PolicyFileError(file: file, line: 1, message: "the file is empty") }
        return YAMLNode(node: root, file: file)
    }

    public func error(_ message: String) -> PolicyFileError {
        PolicyFileError(file: file, line: line, message: message)
    }

    /// Mapping entries in file order; duplicate keys are an error naming the second one.
    public func mapping(_ what: String) throws(PolicyFileError) -> [(key: String, keyLine: Int, value: YAMLNode)] {
        guard let mapping = node.mapping else { throw error("\(what) must be a mapping") }
        var seen = Set<String>()
        var out: [(key: String, keyLine: Int, value: YAMLNode)] = []
        for (key, value) in mapping {
            let keyNode = YAMLNode(node: key, file: file)
            guard let name = key.scalar?.string else { throw keyNode.error("\(what): keys must be plain names") }
            guard seen.insert(name).inserted else { throw keyNode.error("duplicate key '\(name)' in \(what)") }
            out.append((name, keyNode.line, YAMLNode(node: value, file: file)))
        }
        return out
    }

    /// Whether the node is a mapping / a list (for keys that accept either form).
    public var isMapping: Bool { node.mapping != nil }
    public var isSequence: Bool { node.sequence != nil }

    public func sequence(_ what: String) throws(PolicyFileError) -> [YAMLNode] {
        guard let seq = node.sequence else { throw error("\(what) must be a list") }
        return seq.map { YAMLNode(node: $0, file: file) }
    }

    public func string(_ what: String) throws(PolicyFileError) -> String {
        guard let scalar = node.scalar else { throw error("\(what) must be a single value") }
        return scalar.string
    }

    public func bool(_ what: String) throws(PolicyFileError) -> Bool {
        switch try string(what).lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default: throw error("\(what) must be true or false")
        }
    }

    public func int(_ what: String) throws(PolicyFileError) -> Int {
        guard let value = Int(try string(what)) else { throw error("\(what) must be an integer") }
        return value
    }

    public func double(_ what: String) throws(PolicyFileError) -> Double {
        guard let value = Double(try string(what)), value.isFinite else { throw error("\(what) must be a number") }
        return value
    }

    private static func line(of error: YamlError) -> Int {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _):
            return mark.line
        case let .duplicatedKeysInMapping(_, context):
            return context.mark.line
        default:
            return 0
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case let .scanner(_, problem, _, _), let .parser(_, problem, _, _), let .composer(_, problem, _, _):
            return problem
        case let .duplicatedKeysInMapping(duplicates, _):
            return "duplicate key '\(duplicates.first ?? "")'"
        default:
            return "syntax error"
        }
    }
}
