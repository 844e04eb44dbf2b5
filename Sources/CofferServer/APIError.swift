import Coffer
import Foundation
import HTTPTypes
import Hummingbird

/// An error as the API answers it: an HTTP status and `{"error": {"code", "message"}}`.
/// Messages are the vault's own one-line messages, which never carry customer values, keys or
/// tokens; the code is stable for clients to branch on.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra headers (`Retry-After` on 429).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The body every error response carries.
    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    func response() -> Response {
        let data = (try? JSONEncoder().encode(Body(error: .init(code: code, message: message)))) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    /// The vault's errors as HTTP answers; the statuses follow the CLI's exit codes (locked
    /// 401, not permitted 403, not found 404, bad input 422, audit store down 503).
    init(_ error: VaultError) {
        let status: HTTPResponse.Status
        switch error {
        case .notAuthenticated: status = .unauthorized
        case .notPermitted, .purposeRequired, .purposeNotAllowed: status = .forbidden
        case .customerNotFound, .noMatch, .userNotFound, .userNotActive, .customerErased: status = .notFound
        case .userExists, .userNotRevoked, .keyVersionInUse, .keyVersionActive, .keyVersionRetired, .keysChanged: status = .conflict
        case .auditUnavailable, .checkpointBlocked: status = .serviceUnavailable
        case .storage, .corruptVault, .crypto, .auditTampered, .wrongRootKey, .keyFileMissing, .keyFileTooOpen, .keyFileInvalid,
             .passphraseMissing, .passphraseNotUsed, .keyFileNotUsed, .vaultNotFound, .vaultAlreadyExists, .keyFileExists,
             .cannotWrite, .reindexRequired, .keyUsageExhausted:
            status = .internalServerError
        default: status = .unprocessableContent
        }
        // A server error's details are for the operator's log, not for the client.
        let message = status == .internalServerError ? "the server could not complete the request; see its log" : error.description
        self.init(status, code: Self.code(of: error), message: message)
    }

    /// The error's case name in snake_case (`customerNotFound` → `customer_not_found`).
    static func code(of error: VaultError) -> String {
        let name = String(describing: error).prefix { $0 != "(" }
        var out = ""
        for c in name {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}
