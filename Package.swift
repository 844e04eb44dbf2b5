// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Coffer",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "CofferCrypto", targets: ["CofferCrypto"]),
        .library(name: "Coffer", targets: ["Coffer"]),
        .library(name: "Qualification", targets: ["Qualification"]),
        .executable(name: "coffer", targets: ["coffer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Named for the CLI's own HTTP client (already built through Hummingbird).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
    ],
    targets: [
        // Only what Swift cannot import from libcrypto directly.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .target(name: "CofferCrypto", dependencies: ["COpenSSL"]),
        // The PKCS#11 (Cryptoki) types only: the module itself is loaded with dlopen at run time.
        .systemLibrary(
            name: "CPKCS11",
            pkgConfig: "p11-kit-1",
            providers: [.apt(["libp11-kit-dev"]), .brew(["p11-kit"])]
        ),
        // Generic helpers that know nothing of the vault: CSV, HTML/SVG reports, YAML with line numbers.
        .target(name: "CofferSupport", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(
            name: "Coffer",
            dependencies: [
                "CofferCrypto",
                "CPKCS11",
                "CofferSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Review packages, OCSF events, anomalies, processing record: built on the vault's audit log.
        .target(
            name: "CofferReview",
            dependencies: [
                "Coffer",
                "CofferCrypto",
                "CofferSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Synthetic customers, orders and outcomes for `coffer demo-data`, the demo, tests and benchmarks.
        .target(name: "CofferDemoData", dependencies: ["Coffer", "CofferSupport"]),
        // Scoring models, QCL, value, ICP discovery, calibration: on role views only.
        .target(name: "Qualification", dependencies: ["Coffer", "CofferCrypto", "CofferSupport"]),
        // Server mode: the vault behind an HTTP/JSON API (Hummingbird 2), staff hold tokens only.
        .target(
            name: "CofferServer",
            dependencies: [
                "Coffer",
                "CofferCrypto",
                "CofferSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "coffer",
            dependencies: [
                "Coffer",
                "CofferServer",
                "CofferSupport",
                "CofferReview",
                "CofferDemoData",
                "Qualification",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Measures sealing throughput for scripts/bench-seal (side by side with `openssl speed`).
        .executableTarget(name: "coffer-speed", dependencies: ["Coffer", "CofferCrypto", "CofferReview"], path: "Tools/coffer-speed"),
        .executableTarget(
            name: "CryptoBenchmarks",
            dependencies: ["CofferCrypto", "Coffer", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/CryptoBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "VaultBenchmarks",
            dependencies: ["Coffer", "CofferDemoData", "Qualification", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/VaultBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .testTarget(
            name: "CofferCryptoTests",
            dependencies: ["CofferCrypto"],
            resources: [.copy("Vectors")]
        ),
        // A fresh vault for tests (TestVault), shared by the vault's and the review's tests.
        .target(name: "CofferTestSupport", dependencies: ["Coffer", .product(name: "GRDB", package: "GRDB.swift")], path: "Tests/CofferTestSupport"),
        .testTarget(name: "CofferSupportTests", dependencies: ["CofferSupport", "CofferDemoData"]),
        .testTarget(name: "CofferTests", dependencies: ["Coffer", "CofferCrypto", "CofferSupport", "CofferDemoData", "CofferTestSupport"]),
        .testTarget(name: "CofferReviewTests", dependencies: ["CofferReview", "Coffer", "CofferCrypto", "CofferSupport", "CofferDemoData", "CofferTestSupport"]),
        .testTarget(name: "CofferDemoDataTests", dependencies: ["CofferDemoData", "Coffer"]),
        .testTarget(name: "QualificationTests", dependencies: ["Qualification", "Coffer", "CofferSupport"], resources: [.copy("Resources")]),
        .testTarget(name: "CofferCLITests", dependencies: ["Coffer"]),
        .testTarget(
            name: "CofferServerTests",
            dependencies: ["CofferServer", "Coffer", "CofferTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Yams", package: "Yams"), .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
