import Coffer
import CofferSupport
import Foundation
import HTTPTypes
import Hummingbird

/// `POST /v1/export/view` (`{"role": …}`, optional): exactly what a role sees of every
/// customer, streamed as `text/csv` (chunked) from the vault's export through a bounded
/// `ByteChannel` — the same export that writes `coffer export view --out` files. Refusals
/// (role, purpose) are JSON errors before the stream starts; the run's one audit entry is
/// committed before the first byte. A failure after the first byte cuts the stream off without
/// its final chunk, so a client cannot take a partial file for a whole one.
struct ExportRoutes {
    let service: VaultService

    static let paths = ["/v1/export/view"]
    static let viewFields: Set<String> = ["role"]

    struct ViewBody: Decodable {
        var role: String?
    }

    func add(to group: RouterGroup<CofferRequestContext>) {
        group.post("export/view") { [service] request, context in
            let caller = try context.requireCaller()
            let body = try await request.decodeBody(ViewBody.self, fields: Self.viewFields, context: context)
            let channel = ByteChannel(name: "view.csv")
            let export = Task {
                defer { channel.fail(reason: "the export stopped") }   // no effect after it finished
                return try await service.perform(ExportView(role: body.role, streamingTo: channel), as: caller)
            }
            let first: [UInt8]?
            do {
                first = try await channel.next()
            } catch {
                // Nothing was sent yet: the export's own error is the answer.
                channel.closeReading()
                _ = try await export.value
                throw APIError(.internalServerError, code: "internal", message: "the server could not complete the request; see its log")
            }
            let logger = context.logger
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store"],
                            body: ResponseBody { writer in
                                do {
                                    if let first { try await writer.write(ByteBuffer(bytes: first)) }
                                    while let chunk = try await channel.next() { try await writer.write(ByteBuffer(bytes: chunk)) }
                                    try await writer.finish(nil)
                                } catch {
                                    channel.closeReading()
                                    if case let .failure(failure) = await export.result {
                                        logger.error("export stopped", metadata: ["error": "\(failure)"])
                                    }
                                    throw error
                                }
                            })
        }
    }
}
