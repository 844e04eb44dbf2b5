import Benchmark
import Coffer
import CofferCrypto

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(3))

    // One field in the stored format: nonce from the batch, AAD, seal, layout.
    Benchmark("SealedBox.seal 64-byte field", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let cipher = try AES256GCM(key: .random())
        let nonces = NonceSource()
        let plaintext = [UInt8](repeating: 0x61, count: 64)
        let context = SealContext(kind: .field, recordID: 42, name: "notes")
        benchmark.startMeasurement()
        try plaintext.withUnsafeBytes { p in
            for _ in benchmark.scaledIterations {
                blackHole(try SealedBox.seal(p, keyVersion: 1, context: context, cipher: cipher, nonces: nonces))
            }
        }
    }

    Benchmark("SealedBox.open 64-byte field", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let cipher = try AES256GCM(key: .random())
        let context = SealContext(kind: .field, recordID: 42, name: "notes")
        let sealed = try [UInt8](repeating: 0x61, count: 64).withUnsafeBytes { p in
            try SealedBox.seal(p, keyVersion: 1, context: context, cipher: cipher, nonces: NonceSource())
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try SealedBox.open(sealed, context: context, cipher: cipher))
        }
    }

    // The raw EVP call sequence, without the vault's layout.
    Benchmark("AES256GCM.seal 64 bytes (raw EVP)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let cipher = try AES256GCM(key: .random())
        let plaintext = [UInt8](repeating: 0x61, count: 64)
        let nonce = [UInt8](repeating: 7, count: 12)
        var ciphertext = [UInt8](repeating: 0, count: 64)
        var tag = [UInt8](repeating: 0, count: 16)
        benchmark.startMeasurement()
        try plaintext.withUnsafeBytes { p in
            try nonce.withUnsafeBytes { n in
                try ciphertext.withUnsafeMutableBytes { c in
                    try tag.withUnsafeMutableBytes { t in
                        for _ in benchmark.scaledIterations {
                            try cipher.seal(p, nonce: n, authenticating: UnsafeRawBufferPointer(start: nil, count: 0), ciphertext: c, tag: t)
                        }
                    }
                }
            }
        }
        blackHole(tag)
    }

    Benchmark("NonceSource.next (batched RAND_bytes)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let nonces = NonceSource()
        var nonce = [UInt8](repeating: 0, count: 12)
        benchmark.startMeasurement()
        try nonce.withUnsafeMutableBytes { n in
            for _ in benchmark.scaledIterations { try nonces.next(into: n) }
        }
        blackHole(nonce)
    }

    Benchmark("HMAC-SHA256 blind index of an email", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let mac = try HMACSHA256(key: SymmetricKey.random())
        let email = Array("ada.lovelace@example.com".utf8)
        for _ in benchmark.scaledIterations {
            blackHole(try mac.authenticate(email))
        }
    }
}
