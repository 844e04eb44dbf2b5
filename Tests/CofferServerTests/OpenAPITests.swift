@testable import Coffer
@testable import CofferServer
import CofferTestSupport
import Foundation
import HummingbirdTesting
import Testing
import Yams

/// The OpenAPI document is the contract: it is the file in `openapi/`, the server serves it, and
/// its paths and request fields are exactly the routes and fields the server takes.
@Suite struct OpenAPITests {
    static let file = TestVault.repositoryRoot + "/openapi/coffer.yaml"

    static func document() throws -> [String: Any] {
        try #require(try Yams.load(yaml: String(contentsOfFile: file, encoding: .utf8)) as? [String: Any])
    }

    @Test func theServedDocumentIsTheFile() async throws {
        #expect(OpenAPIDocument.yaml == (try String(contentsOfFile: Self.file, encoding: .utf8)), "run scripts/embed-defaults")
        let fixture = try TestVault()
        let service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
        let app = try CofferServer.makeApplication(service: service, configuration: try ServerConfiguration(listen: .init(host: "127.0.0.1", port: 0)),
                                                   logger: CapturedLog().logger)
        try await app.test(.live) { client in
            let response = try await client.execute(uri: "/v1/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body ?? .init()) == OpenAPIDocument.yaml)
        }
    }

    @Test func everyRouteIsDocumentedAndNothingElse() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: Any])
        #expect(Set(paths.keys) == Set(RequestRoutes.paths + ImportRoutes.paths + ExportRoutes.paths + ["/healthz", "/readyz", "/v1/openapi.yaml"]))
        for path in RequestRoutes.paths + ImportRoutes.paths + ExportRoutes.paths {
            let item = try #require(paths[path] as? [String: Any])
            #expect(item.keys.sorted() == ["post"], "\(path) is POST only")
        }
    }

    @Test func eachRequestBodyHasExactlyTheFieldsTheRequestTakes() throws {
        let document = try Self.document()
        let paths = try #require(document["paths"] as? [String: Any])
        let components = try #require(document["components"] as? [String: Any])
        let bodies = try #require(components["requestBodies"] as? [String: Any])
        for request in RequestRoutes.requests {
            let post = try #require((paths["/v1/" + request.route] as? [String: Any])?["post"] as? [String: Any])
            var body = try #require(post["requestBody"] as? [String: Any], "\(request.route) has a requestBody")
            if let reference = body["$ref"] as? String {
                body = try #require(bodies[String(reference.split(separator: "/").last!)] as? [String: Any])
            }
            let schema = try #require(((body["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any])
            #expect(schema["additionalProperties"] as? Bool == false, "\(request.route) refuses unknown fields")
            let properties = Set((schema["properties"] as? [String: Any] ?? [:]).keys)
            #expect(properties == request.fields, "\(request.route): document \(properties.sorted()), request \(request.fields.sorted())")
        }
    }

    @Test func theExportStreamsCSVAndTakesTheFieldsTheRouteReads() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: Any])
        let post = try #require((paths["/v1/export/view"] as? [String: Any])?["post"] as? [String: Any])
        let schema = try #require((((post["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any])
        #expect(Set((schema["properties"] as? [String: Any] ?? [:]).keys) == ExportRoutes.viewFields)
        #expect(schema["additionalProperties"] as? Bool == false)
        let ok = try #require((post["responses"] as? [String: Any])?["200"] as? [String: Any])
        #expect((ok["content"] as? [String: Any])?.keys.sorted() == ["text/csv"])
    }

    /// The streamed imports take a CSV body, and their query parameters are exactly the ones the route reads.
    @Test func importsTakeCSVAndTheQueryParametersTheRouteReads() throws {
        let document = try Self.document()
        let paths = try #require(document["paths"] as? [String: Any])
        let parameters = try #require((document["components"] as? [String: Any])?["parameters"] as? [String: Any])
        for path in ImportRoutes.paths {
            let post = try #require((paths[path] as? [String: Any])?["post"] as? [String: Any])
            let content = try #require((post["requestBody"] as? [String: Any])?["content"] as? [String: Any])
            #expect(content.keys.sorted() == ["text/csv"], "\(path) takes text/csv")
            let named = try #require(post["parameters"] as? [[String: Any]]).compactMap { reference -> [String: Any]? in
                guard let ref = reference["$ref"] as? String else { return reference }
                return parameters[String(ref.split(separator: "/").last!)] as? [String: Any]
            }
            let query = Set(named.filter { $0["in"] as? String == "query" }.compactMap { $0["name"] as? String })
            #expect(query == ImportRoutes.queryFields, "\(path): document \(query.sorted()), route \(ImportRoutes.queryFields.sorted())")
            #expect(named.contains { $0["in"] as? String == "header" && $0["name"] as? String == ImportRoutes.mappingHeader.rawName })
        }
    }
}
