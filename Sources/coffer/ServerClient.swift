import CofferSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Where `coffer serve` answers (`--server` / COFFER_SERVER): `https://host[:port]`, or
/// `http://` to a loopback address only (the token would otherwise travel in clear).
struct ServerEndpoint: Sendable {
    var tls: Bool
    var host: String
    var port: Int
    /// PEM file of the CA that signed the server's certificate (`--ca-cert` / COFFER_CA_CERT);
    /// nil for the system's roots.
    var caCertificate: String?

    /// Parses `url`; refuses anything but `http(s)://host[:port]` (a path, a query, user info),
    /// and `http://` to a host that is not loopback, before any connection is made.
    init(_ url: String, caCertificate: String?) throws(ReportedFailure) {
        func refuse(_ why: String) -> ReportedFailure {
            ReportedFailure(code: "invalid_server_url", message: "--server \(Terminal.printable(url)): \(why)", exitCode: 1)
        }
        let rest: Substring
        if url.hasPrefix("https://") { tls = true; rest = url.dropFirst(8) } else if url.hasPrefix("http://") { tls = false; rest = url.dropFirst(7) } else {
            throw refuse("give an https:// (or, on this machine only, http://) URL")
        }
        let authority = rest.hasSuffix("/") ? rest.dropLast() : rest
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ ".contains($0) }) else {
            throw refuse("give the server's address only, as scheme://host[:port]")
        }
        var hostPart = Substring(authority)
        var portText: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw refuse("an IPv6 address is written [address]") }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw refuse("cannot read the port") }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            portText = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        host = String(hostPart)
        if let portText {
            guard let port = Int(portText), (1...65_535).contains(port) else { throw refuse("the port must be a number from 1 to 65535") }
            self.port = port
        } else {
            port = tls ? 443 : 80
        }
        guard !host.isEmpty else { throw refuse("the host is missing") }
        guard tls || Self.isLoopback(host) else {
            throw refuse("http:// is refused for a host other than this machine (the token would travel in clear); use https://")
        }
        self.caCertificate = caCertificate
    }

    /// localhost, 127.0.0.0/8 or ::1.
    static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" { return true }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Whether `host` is an IP address (which is verified against the certificate's IP
    /// addresses, and never sent as SNI).
    var hostIsAddress: Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }
}

/// A failure to talk to the server at all (not an answer): one line, exit 1.
private func unreachable(_ endpoint: ServerEndpoint, _ why: String) -> ReportedFailure {
    ReportedFailure(code: "server_unreachable", message: "cannot reach the server at \(endpoint.host):\(endpoint.port): \(why)", exitCode: 1)
}

/// A small HTTP/1.1 client for `coffer serve`: one connection per request, a JSON body POSTed
/// with the user's token and purpose, the status and a bounded JSON body read back. It logs
/// nothing: neither the token nor any body.
struct ServerClient: Sendable {
    var endpoint: ServerEndpoint
    var connectTimeout: TimeAmount = .seconds(10)
    var readTimeout: TimeAmount = .seconds(120)
    /// Answers larger than this are refused (a customer search answers far less).
    var maximumBody = 64 * 1024 * 1024

    struct Answer: Sendable {
        var status: Int
        var body: Data
    }

    /// POSTs `body` (JSON) to `path`; `Authorization: Bearer token`, `Coffer-Purpose` when given.
    func post(_ path: String, body: Data, token: String?, purpose: String?) async throws(ReportedFailure) -> Answer {
        let sslContext: NIOSSLContext?
        if endpoint.tls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let file = endpoint.caCertificate {
                do {
                    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
                } catch {
                    throw ReportedFailure(code: "file_unreadable", message: "cannot read the CA certificate file \(file) (PEM)", exitCode: 1)
                }
            }
            do { sslContext = try NIOSSLContext(configuration: configuration) } catch {
                throw unreachable(endpoint, "TLS could not be set up")
            }
        } else {
            sslContext = nil
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.host.contains(":") ? "[\(endpoint.host)]:\(endpoint.port)" : "\(endpoint.host):\(endpoint.port)")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        if let token { headers.add(name: "Authorization", value: "Bearer " + token) }
        if let purpose { headers.add(name: "Coffer-Purpose", value: purpose) }

        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Answer.self)
        let endpoint = endpoint
        let limit = maximumBody
        let serverHostname = endpoint.hostIsAddress ? nil : endpoint.host
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise, limit: limit))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            promise.fail(error)
            throw unreachable(endpoint, "the connection failed or timed out")
        }
        let timeout = loop.scheduleTask(in: readTimeout) {
            promise.fail(ClientFailure.timedOut)
            channel.close(promise: nil)
        }
        var buffer = channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            let answer = try await promise.futureResult.get()
            timeout.cancel()
            return answer
        } catch {
            timeout.cancel()
            channel.close(promise: nil)
            switch error {
            case ClientFailure.timedOut: throw unreachable(endpoint, "no answer in time")
            case ClientFailure.tooLarge: throw unreachable(endpoint, "the answer is larger than \(limit) bytes")
            case is NIOSSLError, is BoringSSLError: throw unreachable(endpoint, "TLS failed (is the server's certificate trusted? pass --ca-cert or set COFFER_CA_CERT)")
            default: throw unreachable(endpoint, "the connection ended before an answer")
            }
        }
    }
}

private enum ClientFailure: Error { case timedOut, tooLarge, closed }

/// Collects one response: its status and body (at most `limit` bytes).
private final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let promise: EventLoopPromise<ServerClient.Answer>
    private let limit: Int
    private var status = 0
    private var body = ByteBuffer()
    private var done = false

    init(promise: EventLoopPromise<ServerClient.Answer>, limit: Int) {
        self.promise = promise
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case let .head(head):
            status = Int(head.status.code)
        case var .body(part):
            guard body.readableBytes + part.readableBytes <= limit else { return finish(context, .failure(ClientFailure.tooLarge)) }
            body.writeBuffer(&part)
        case .end:
            finish(context, .success(ServerClient.Answer(status: status, body: Data(body.readableBytesView))))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(context, .failure(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            promise.fail(ClientFailure.closed)
        }
        context.fireChannelInactive()
    }

    private func finish(_ context: ChannelHandlerContext, _ result: Result<ServerClient.Answer, any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
        context.close(promise: nil)
    }
}
