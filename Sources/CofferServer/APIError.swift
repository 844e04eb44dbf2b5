import Coffer
import CofferSupport
import Foundation
import HTTPTypes
import Hummingbird

/// An error as the API answers it: an HTTP status and an `ErrorBody`
/// (`{"error": {"code", "message", "exit_code"}}`).
/// Messages are the vault's own one-line messages, which never carry customer values, keys or
/// tokens; the code is stable for clients to branch on.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// What the CLI would exit with for this failure (1 for the server's own refusals).
    public var exitCode: Int32
    /// Extra headers (`Retry-After` on 429).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String, exitCode: Int32 = 1) {
        self.status = status
        self.code = code
        self.message = message
        self.exitCode = exitCode
    }

    func response() -> Response {
        let body = ErrorBody(code: code, message: message, exitCode: exitCode)
        let data = (try? OutputContract.encoder(pretty: false).encode(body)) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    /// A vault error as the API answers it: the status, code and exit code from the one table
    /// (`VaultError.httpStatus`, `code`, `exitCode`). A 500's details are for the operator's
    /// log, not for the client.
    init(_ error: VaultError) {
        let status = HTTPResponse.Status(code: error.httpStatus)
        let message = status == .internalServerError ? "the server could not complete the request; see its log" : error.description
        self.init(status, code: error.code, message: message, exitCode: error.exitCode)
    }
}
