/// A problem in a policy or schema file, reported as `file:line: message` like a compiler would.
public struct PolicyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based line; 0 when the problem concerns the whole file.
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}
