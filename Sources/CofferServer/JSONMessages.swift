import CofferSupport
import Foundation
import HTTPTypes
import Hummingbird

extension Request {
    /// The body decoded as `Body`: `application/json`, at most the context's upload size, an
    /// object whose every key is in `fields` (snake_case, decoded into the camelCase
    /// properties). A request that takes no fields accepts an empty body. Refusals are 413,
    /// 415 or 422 and name the problem, never a value.
    func decodeBody<Body: Decodable>(_: Body.Type, fields: Set<String>, context: some RequestContext) async throws -> Body {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        var data = Data(buffer: buffer)
        if data.isEmpty && fields.isEmpty {
            data = Data("{}".utf8)
        } else {
            guard let type = headers[.contentType], type.lowercased().hasPrefix("application/json") else {
                throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "send the body as application/json")
            }
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw APIError(.unprocessableContent, code: "invalid_json", message: "the body is not a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            let shown = unknown.count <= 64 && unknown.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) ? " '\(unknown)'" : ""
            let takes = fields.isEmpty ? "this request takes no fields" : "this request takes: \(fields.sorted().joined(separator: ", "))"
            throw APIError(.unprocessableContent, code: "unknown_field", message: "unknown field\(shown); \(takes)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(Body.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError(.unprocessableContent, code: "missing_field", message: "missing field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError(.unprocessableContent, code: "wrong_type", message: "field '\(path)' has the wrong type")
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty && !context.debugDescription.isEmpty
            && !context.debugDescription.contains("JSON") {
            // The request's own check of its fields (e.g. "give exactly one of email and phone").
            throw APIError(.unprocessableContent, code: "invalid_input", message: context.debugDescription)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_json", message: "the body does not match this request")
        }
    }
}

/// Encodes responses in the output contract (`OutputContract`), as the CLI's `--json` prints them.
enum JSONResponse {
    static func encode<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try OutputContract.encoder(pretty: false).encode(value)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
