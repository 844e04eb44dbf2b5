/// A request that can cross the process boundary to a server (`coffer serve`): performed as
/// `POST /v1/<route>` with the request's own fields as a JSON object, answered with its
/// `Response` in the output contract. The request types are the API: what a caller may choose
/// is exactly what the type holds, and nothing a server decides (who, when) travels in it.
///
/// The body's keys are the snake_case names of the request's properties; a key not in
/// `fields` is refused, so a misspelt option never silently does nothing. Requests are
/// Encodable and responses Decodable so the CLI can perform them through a server
/// (`--server`): decoding what `OutputContract.encoder` wrote, with `OutputContract.decoder`,
/// gives back what the vault answered.
public protocol RemoteRequest: VaultRequest, Codable where Response: Codable {
    /// The path under `/v1`, e.g. `users/add`.
    static var route: String { get }
    /// The keys of the request's JSON body; empty when it takes none.
    static var fields: Set<String> { get }
}

extension RemoteRequest {
    public static var fields: Set<String> { [] }
}
