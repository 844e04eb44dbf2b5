import ArgumentParser
import Coffer
import CofferSupport
import Foundation

/// What a command performs its request through: the vault here (embedded: the service opened
/// from `VaultOptions` and the caller its token authenticated) or a server (`--server` /
/// COFFER_SERVER), to which the request travels as its `RemoteRequest` body. Commands say
/// `try await auth.connect(vault).perform(request)` and print the response the same way in both
/// modes.
enum VaultConnection {
    case embedded(VaultService, Caller)
    case remote(ServerClient, token: String?, purpose: String?)

    /// Performs `request` here or on the server. A server's `ErrorBody` becomes a
    /// `ReportedFailure` with its code, message and exit code.
    func perform<Request: RemoteRequest>(_ request: Request) async throws -> Request.Response {
        switch self {
        case let .embedded(service, caller):
            return try await service.perform(request, as: caller)
        case let .remote(client, token, purpose):
            let body: Data
            do { body = try OutputContract.encoder(pretty: false).encode(request) } catch {
                throw ReportedFailure(code: "not_remote", message: "this form of the request cannot be sent to a server; run it where the vault is", exitCode: 1)
            }
            let answer = try await client.post("/v1/" + Request.route, body: body, token: token, purpose: purpose)
            let decoder = OutputContract.decoder()
            guard answer.status == 200 else {
                if let failure = try? decoder.decode(ErrorBody.self, from: answer.body) {
                    throw ReportedFailure(code: failure.error.code, message: failure.error.message, exitCode: failure.error.exitCode)
                }
                throw ReportedFailure(code: "server_error", message: "the server answered HTTP \(answer.status) without an error body", exitCode: 1)
            }
            do { return try decoder.decode(Request.Response.self, from: answer.body) } catch {
                throw ReportedFailure(code: "server_error", message: "the server's answer to /v1/\(Request.route) is not the expected JSON", exitCode: 1)
            }
        }
    }
}

/// Where a server is: `--server URL` or COFFER_SERVER, with `--ca-cert` / COFFER_CA_CERT.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Perform the command through `coffer serve` at this URL (default: $COFFER_SERVER); https://, or http:// to this machine only.", valueName: "url"))
    var server: String?

    @Option(name: .long, help: ArgumentHelp("PEM file of the CA that signed the server's certificate (default: $COFFER_CA_CERT; else the system's roots).", valueName: "file"))
    var caCert: String?

    /// The server's URL when one is given.
    var serverURL: String? { server ?? environment("COFFER_SERVER") }
}

extension AuthOptions {
    /// The vault here, or the server when `--server` / COFFER_SERVER names one. With a server,
    /// vault options given explicitly are refused (they would be silently unused); COFFER_VAULT
    /// and COFFER_KEY_FILE are ignored.
    func connect(_ options: VaultOptions) async throws -> VaultConnection {
        guard let url = remote.serverURL else {
            let (service, caller) = try await caller(options)
            return .embedded(service, caller)
        }
        let given = [
            ("--vault", options.vault != nil), ("--key-file", options.keyFile != nil), ("--passphrase-fd", options.passphraseFd != nil),
            ("--pkcs11-module", options.pkcs11Module != nil), ("--pkcs11-pin-fd", options.pkcs11PinFd != nil),
            ("--recovery-key", options.recoveryKey != nil),
        ].filter(\.1).map(\.0)
        guard given.isEmpty else {
            throw ReportedFailure(code: "not_used_with_server",
                                  message: "\(given.joined(separator: ", ")) cannot be used with --server (COFFER_SERVER): the server opens its own vault", exitCode: 1)
        }
        let endpoint = try ServerEndpoint(url, caCertificate: remote.caCert ?? environment("COFFER_CA_CERT"))
        let presented = token ?? environment("COFFER_TOKEN")
        unsetenv("COFFER_TOKEN")
        return .remote(ServerClient(endpoint: endpoint), token: presented, purpose: purpose ?? environment("COFFER_PURPOSE"))
    }

    /// For a command whose request does not travel to a server yet: refused with `not_remote`
    /// when a server is named, so it never runs against a vault the user did not mean.
    func refuseServer() throws {
        guard remote.serverURL != nil else { return }
        throw ReportedFailure(code: "not_remote", message: "coffer \(CommandPath.current) is not available through a server yet; run it where the vault is",
                              exitCode: 1)
    }
}

/// The subcommand words of this invocation (`export view`), matched against the command tree.
enum CommandPath {
    static var current: String {
        var command: any ParsableCommand.Type = CofferCommand.self
        var words: [String] = []
        for argument in CommandLine.arguments.dropFirst() {
            guard let next = command.configuration.subcommands.first(where: { $0._commandName == argument }) else { break }
            words.append(argument)
            command = next
        }
        return words.isEmpty ? "this command" : words.joined(separator: " ")
    }
}
