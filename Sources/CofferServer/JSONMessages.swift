import CofferSupport
import Foundation
import HTTPTypes
import Hummingbird

/// A JSON request body: at most the context's upload size, `application/json`, an object whose
/// every key is one the type knows (`fields`). Unknown keys are refused rather than ignored, so
/// a misspelt option never silently does nothing.
protocol RequestBody: Decodable {
    static var fields: Set<String> { get }
}

extension Request {
    /// The body decoded as `Body`, or a 413/415/422 that names the problem (never a value).
    func decodeBody<Body: RequestBody>(_: Body.Type, context: some RequestContext) async throws -> Body {
        guard let type = headers[.contentType], type.lowercased().hasPrefix("application/json") else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "send the body as application/json")
        }
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        let data = Data(buffer: buffer)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw APIError(.unprocessableContent, code: "invalid_json", message: "the body is not a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !Body.fields.contains($0) }) {
            let shown = unknown.count <= 64 && unknown.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) ? " '\(unknown)'" : ""
            throw APIError(.unprocessableContent, code: "unknown_field",
                           message: "unknown field\(shown); this request takes: \(Body.fields.sorted().joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError(.unprocessableContent, code: "missing_field", message: "missing field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError(.unprocessableContent, code: "wrong_type", message: "field '\(path)' has the wrong type")
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
