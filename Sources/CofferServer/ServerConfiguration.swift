import Foundation

/// Where `coffer serve` listens and with what: an address, and TLS files for anything that is
/// not loopback. Checked before the vault is opened, so a misconfigured server never starts.
public struct ServerConfiguration: Sendable, Equatable {
    public var listen: ListenAddress
    public var tls: TLSFiles?
    /// When repeated failed authentications from one address are refused (429).
    var throttle = AuthenticationThrottle.Settings()
    /// How long a connection may send nothing (while its headers or body are due, or between
    /// requests) before it is closed: a slow or stalled client cannot hold a connection open.
    var idleTimeout: Duration = .seconds(30)
    /// When repeated failed authentications naming one user (from any addresses) are refused (429).
    var userThrottle = AuthenticationThrottle.Settings()

    /// Failed authentications allowed per minute, per client address and per user, before 429
    /// (`coffer serve --auth-failures`; 10 by default). A test run against a server raises it.
    public var authenticationFailuresPerMinute: Int {
        get { throttle.limit }
        set {
            throttle.limit = max(1, newValue)
            userThrottle.limit = max(1, newValue)
        }
    }

    /// The PEM certificate chain and private key of the server.
    public struct TLSFiles: Sendable, Equatable {
        public var certificatePath: String
        public var privateKeyPath: String
        public init(certificatePath: String, privateKeyPath: String) {
            self.certificatePath = certificatePath
            self.privateKeyPath = privateKeyPath
        }
    }

    public static let defaultListen = ListenAddress(host: "127.0.0.1", port: 8750)

    /// Refuses plain HTTP on anything but loopback: tokens and customer data would cross a
    /// network in clear.
    public init(listen: ListenAddress = Self.defaultListen, tls: TLSFiles? = nil) throws(ServerConfigurationError) {
        if tls == nil, !listen.isLoopback { throw .plaintextOffLoopback(listen) }
        self.listen = listen
        self.tls = tls
    }
}

/// A host and port to bind, from `HOST:PORT` (`[::1]:8750` for IPv6).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; port 0 asks the system for a free one (tests).
    public init(parsing text: String) throws(ServerConfigurationError) {
        var host: Substring, port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { throw .badListenAddress(text) }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .badListenAddress(text) }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let number = Int(port), (0...65535).contains(number) else { throw .badListenAddress(text) }
        self.init(host: String(host), port: number)
    }

    /// 127.0.0.0/8, ::1 and `localhost`: reachable from this machine only.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why a server configuration is refused; one line for the person starting it.
public enum ServerConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    case badListenAddress(String)
    case plaintextOffLoopback(ListenAddress)
    case tlsFiles(String)
    case metricsToken(String)

    public var description: String {
        switch self {
        case let .badListenAddress(text):
            "--listen \(text) is not HOST:PORT (for example 127.0.0.1:8750 or [::1]:8750)"
        case let .plaintextOffLoopback(address):
            "refusing to serve \(address) without TLS: tokens and customer data would cross the network in clear; give --tls-cert and --tls-key, or listen on 127.0.0.1"
        case let .tlsFiles(reason):
            "cannot use the TLS certificate or key: \(reason)"
        case let .metricsToken(reason):
            "cannot use the metrics scrape token: \(reason)"
        }
    }
}
