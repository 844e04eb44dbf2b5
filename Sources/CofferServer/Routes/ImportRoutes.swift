import Coffer
import CofferSupport
import Foundation
import HTTPTypes
import Hummingbird

/// `POST /v1/imports/{customers,orders,outcomes}`: the CSV file is the request body
/// (`text/csv`), streamed into the importer as it arrives through a bounded `ByteChannel`:
/// memory does not grow with the file, and the plaintext is never written to the server's disk.
/// The JSON routes' 1 MiB limit does not apply.
///
/// Options travel in the query (they hold no customer data): `delimiter` (`,` `;` `tab` `|`,
/// or the names `comma`, `semicolon`, `pipe`), `encoding` (as `--encoding`), `dry_run`
/// (`true`/`false`), `map` (a built-in mapping preset: hubspot, salesforce, odoo), `filename`
/// (the uploader's file name, letters, digits and `._-` only, for messages and the report). A
/// mapping of one's own goes in the `Coffer-Import-Mapping` header as base64 of its YAML.
///
/// The answer is the `ImportReport` as `coffer import --json` prints it. Rejected rows come
/// back as the report's lines and reasons (never their values): the uploader holds the rows
/// and writes its own rejects file from them; the server writes none. A body that stops
/// before its end (fewer bytes than its Content-Length, or a broken chunked body) fails the
/// import with 422 `file_unreadable`: the batches committed before stay, as after a crash, and
/// a re-run converges.
struct ImportRoutes {
    let service: VaultService

    static let queryFields: Set<String> = ["delimiter", "encoding", "dry_run", "map", "filename"]
    static let mappingHeader = HTTPField.Name("Coffer-Import-Mapping")!

    static var paths: [String] { ImportKind.allCases.map { "/v1/imports/" + $0.rawValue } }

    func add(to group: RouterGroup<CofferRequestContext>) {
        for kind in ImportKind.allCases {
            group.post(RouterPath("imports/" + kind.rawValue)) { [service] request, context in
                let caller = try context.requireCaller()
                let (options, name) = try Self.options(of: request)
                guard let type = request.headers[.contentType]?.lowercased(), type.hasPrefix("text/csv") else {
                    throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "send the CSV file as text/csv")
                }
                let announced = request.headers[.contentLength].flatMap(Int.init)
                let channel = ByteChannel(name: name)
                async let outcome = Self.perform(ImportStream(kind, from: channel, name: name, size: announced, options: options),
                                                 as: caller, service: service, channel: channel)
                var received = 0
                do {
                    for try await buffer in request.body {
                        received += buffer.readableBytes
                        try await channel.send(Array(buffer.readableBytesView))
                    }
                    if let announced, received < announced {
                        channel.fail(reason: "\(received) of \(announced) bytes received")
                    } else {
                        channel.finish()
                    }
                } catch is ByteChannel.Closed {
                    // The import stopped reading (it failed, or refused the header): its result says why.
                } catch {
                    channel.fail(reason: "the connection broke off after \(received) bytes")
                }
                return try JSONResponse.encode(try await outcome.get())
            }
        }
    }

    /// Runs the import; whatever its end, the channel's reader is closed so the sender stops.
    private static func perform(_ request: ImportStream, as caller: Caller, service: VaultService,
                                channel: ByteChannel) async -> Result<ImportReport, VaultError> {
        defer { channel.closeReading() }
        do { return .success(try await service.perform(request, as: caller)) } catch { return .failure(error) }
    }

    /// The import options from the query and the mapping header; refuses what it does not know.
    static func options(of request: Request) throws -> (ImportOptions, String) {
        let query = request.uri.queryParameters
        var options = ImportOptions()
        for (key, _) in query where !queryFields.contains(String(key)) {
            let shown = key.count <= 32 && key.allSatisfy({ $0.isLetter || $0 == "_" }) ? " '\(key)'" : ""
            throw APIError(.unprocessableContent, code: "unknown_field",
                           message: "unknown query parameter\(shown); an import takes: \(queryFields.sorted().joined(separator: ", "))")
        }
        if let text = query["delimiter"] {
            guard let delimiter = CSVDelimiter(argument: String(text)) else {
                throw APIError(.unprocessableContent, code: "invalid_input", message: "delimiter must be one of , ; tab |")
            }
            options.delimiter = delimiter
        }
        if let text = query["encoding"] {
            guard let named = TextEncoding.named(String(text)) else {
                throw APIError(.unprocessableContent, code: "invalid_input", message: "encoding must be one of \(TextEncoding.acceptedNames)")
            }
            options.encoding = named.encoding
            options.utf16ByteOrderFromFile = named.byteOrderFromFile
        }
        switch query["dry_run"].map(String.init) {
        case nil, "false": break
        case "true": options.dryRun = true
        default: throw APIError(.unprocessableContent, code: "invalid_input", message: "dry_run must be true or false")
        }
        var name = "upload.csv"
        if let text = query["filename"] {
            guard !text.isEmpty, text.count <= 128, text != ".", text != "..",
                  text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
            else {
                throw APIError(.unprocessableContent, code: "invalid_input", message: "filename may hold letters, digits and ._- only (at most 128)")
            }
            name = String(text)
        }
        let header = request.headers[mappingHeader]
        switch (query["map"].map(String.init), header) {
        case (nil, nil): break
        case (_?, _?):
            throw APIError(.unprocessableContent, code: "invalid_input", message: "give either map (a built-in mapping) or the Coffer-Import-Mapping header, not both")
        case let (preset?, nil):
            let file = preset.hasSuffix(".yaml") ? preset : preset + ".yaml"
            guard let yaml = BuiltInPolicies.mappings[file] else {
                let known = BuiltInPolicies.mappings.keys.sorted().map { $0.replacingOccurrences(of: ".yaml", with: "") }
                throw APIError(.unprocessableContent, code: "invalid_input", message: "map names a built-in mapping: \(known.joined(separator: ", "))")
            }
            options.mapping = .init(yaml: yaml, file: "built-in \(file)")
        case let (nil, encoded?):
            guard let data = Data(base64Encoded: encoded), let yaml = String(data: data, encoding: .utf8) else {
                throw APIError(.unprocessableContent, code: "invalid_input", message: "Coffer-Import-Mapping must be the mapping's YAML in base64")
            }
            options.mapping = .init(yaml: yaml, file: "mapping.yaml")
        }
        return (options, name)
    }
}
