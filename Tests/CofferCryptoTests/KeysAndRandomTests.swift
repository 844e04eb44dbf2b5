import Testing
@testable import CofferCrypto

/// Every way a value commonly ends up in a log line.
private func renderings<T>(_ value: T) -> [String] {
    var dumped = ""
    dump(value, to: &dumped)
    return [
        String(describing: value),
        String(reflecting: value),
        "\(value)",
        "key=\(value) \(String(describing: [value]))",
        dumped,
    ]
}

/// The forms in which secret bytes could leak into a string.
private func leakForms(of secret: [UInt8]) -> [String] {
    let lower = hexString(secret)
    return [
        lower,
        lower.uppercased(),
        String(decoding: secret, as: UTF8.self), // raw (the test keys below are printable ASCII)
        secret.map(String.init).joined(separator: ", "), // "[99, 111, ...]" array-style printing
    ]
}

@Suite("SecureBytes and SymmetricKey: redaction and validation")
struct SecureBytesAndKeyTests {
    /// 32 printable bytes, so that a raw leak would be readable in a string.
    static let keyMaterial = Array("coffer-unit-test-key-0123456789!".utf8)

    @Test("SymmetricKey never renders its bytes")
    func symmetricKeyRedacted() throws {
        #expect(Self.keyMaterial.count == 32)
        let key = try SymmetricKey(copying: Self.keyMaterial)
        #expect(key.description == "SymmetricKey(redacted)")
        #expect(key.debugDescription == "SymmetricKey(redacted)")
        for rendering in renderings(key) {
            for leak in leakForms(of: Self.keyMaterial) {
                #expect(!rendering.contains(leak), "leaked in: \(rendering)")
            }
        }
    }

    @Test("A random SymmetricKey never renders its bytes")
    func randomKeyRedacted() throws {
        let key = try SymmetricKey.random()
        let secret = key.withUnsafeBytes { Array($0) }
        #expect(secret.count == 32)
        for rendering in renderings(key) {
            for leak in leakForms(of: secret).prefix(2) { // hex forms; random bytes are not printable
                #expect(!rendering.contains(leak), "leaked in: \(rendering)")
            }
        }
    }

    @Test("SecureBytes renders only its length")
    func secureBytesRedacted() {
        let bytes = SecureBytes(copying: Self.keyMaterial)
        #expect(bytes.description == "SecureBytes(32 bytes, redacted)")
        #expect(bytes.debugDescription == bytes.description)
        for rendering in renderings(bytes) {
            for leak in leakForms(of: Self.keyMaterial) {
                #expect(!rendering.contains(leak), "leaked in: \(rendering)")
            }
        }
    }

    @Test("CryptoError messages carry no key material")
    func errorsRedacted() {
        let error = #expect(throws: CryptoError.self) { _ = try SymmetricKey(copying: Array(Self.keyMaterial.dropLast())) }
        for rendering in renderings(error) {
            for leak in leakForms(of: Array(Self.keyMaterial.dropLast())) {
                #expect(!rendering.contains(leak))
            }
        }
    }

    @Test("Keys that are not exactly 32 bytes are rejected", arguments: [0, 1, 16, 24, 31, 33, 64])
    func wrongKeyLength(length: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: length)) {
            _ = try SymmetricKey(copying: [UInt8](repeating: 0x42, count: length))
        }
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: length)) {
            _ = try SymmetricKey(SecureBytes(copying: [UInt8](repeating: 0x42, count: length)))
        }
    }

    @Test("A 32-byte key keeps exactly the bytes it was given")
    func keyCopiesBytes() throws {
        var raw = Self.keyMaterial
        let key = try SymmetricKey(copying: raw)
        secureWipe(&raw)
        #expect(raw == [UInt8](repeating: 0, count: 32))
        #expect(key.withUnsafeBytes { Array($0) } == Self.keyMaterial)
    }

    @Test("Two random keys differ")
    func randomKeysDiffer() throws {
        let a = try SymmetricKey.random()
        let b = try SymmetricKey.random()
        #expect(!constantTimeEquals(a, b))
        #expect(a.withUnsafeBytes { Array($0) } != [UInt8](repeating: 0, count: 32))
    }

    @Test("SecureBytes equality compares contents")
    func secureBytesEquality() throws {
        #expect(SecureBytes(copying: [1, 2, 3] as [UInt8]) == SecureBytes(copying: [1, 2, 3] as [UInt8]))
        #expect(SecureBytes(copying: [1, 2, 3] as [UInt8]) != SecureBytes(copying: [1, 2, 4] as [UInt8]))
        #expect(SecureBytes(copying: [1, 2, 3] as [UInt8]) != SecureBytes(copying: [1, 2] as [UInt8]))
        #expect(try SecureBytes(randomCount: 0).count == 0)
    }

    /// Regression: the initializer used to free its buffer in a `catch` block, after which `deinit`
    /// (which Swift runs once every stored property is set) wiped and freed it again: a double free
    /// that crashed every failed `AES256GCM.open` through the array API.
    @Test("A throwing SecureBytes initializer propagates its error and releases its buffer once")
    func throwingInitializer() {
        for count in [0, 1, 16, 4096] {
            #expect(throws: CryptoError.randomFailure) {
                _ = try SecureBytes(count: count) { (buffer) throws(CryptoError) in
                    buffer.initializeMemory(as: UInt8.self, repeating: 0x5A)
                    throw .randomFailure
                }
            }
        }
    }
}

@Suite("SecureRandom: output")
struct SecureRandomTests {
    @Test("Successive outputs are distinct and of the requested length")
    func distinctOutputs() throws {
        var seen = Set<[UInt8]>()
        for _ in 0..<1000 {
            let bytes = try SecureRandom.bytes(16)
            #expect(bytes.count == 16)
            seen.insert(bytes)
        }
        #expect(seen.count == 1000)
        #expect(try SecureRandom.uint64() != SecureRandom.uint64())
        #expect(try SecureRandom.bytes(0) == [])
    }

    @Test("A large fill is not left mostly zero")
    func largeFill() throws {
        let bytes = try SecureRandom.bytes(1 << 16)
        // 65536 uniform bytes: about 256 zeros expected; far fewer than 1024 with overwhelming probability.
        #expect(bytes.filter { $0 == 0 }.count < 1024)
        #expect(Set(bytes).count == 256)
    }
}

@Suite("NonceSource: uniqueness")
struct NonceSourceTests {
    @Test("100,000 nonces never repeat and are all 12 bytes, across many batch refills",
          arguments: [340, 1, 7])
    func neverRepeats(batch: Int) throws {
        let source = NonceSource(batch: batch)
        var seen = Set<[UInt8]>()
        seen.reserveCapacity(100_000)
        let zero = [UInt8](repeating: 0, count: 12)
        for i in 0..<100_000 {
            let nonce = try source.next()
            #expect(nonce.count == 12)
            #expect(nonce != zero, "draw \(i) returned a wiped slot")
            let inserted = seen.insert(nonce).inserted
            if !inserted {
                Issue.record("nonce repeated at draw \(i) with batch \(batch)")
                break
            }
        }
        #expect(seen.count == 100_000)
    }

    @Test("Two sources do not hand out the same nonces")
    func independentSources() throws {
        let a = NonceSource(), b = NonceSource()
        var seen = Set<[UInt8]>()
        for _ in 0..<1000 {
            seen.insert(try a.next())
            seen.insert(try b.next())
        }
        #expect(seen.count == 2000)
    }

    @Test("The raw-buffer variant writes exactly 12 bytes")
    func rawBuffer() throws {
        let source = NonceSource(batch: 2)
        var out = [UInt8](repeating: 0, count: 12)
        try out.withUnsafeMutableBytes { try source.next(into: $0) }
        #expect(out != [UInt8](repeating: 0, count: 12))
    }
}

@Suite("constantTimeEquals: semantics")
struct ConstantTimeEqualsTests {
    @Test("Equal contents compare equal")
    func equal() {
        let a = Array(0..<64) as [UInt8]
        #expect(constantTimeEquals(a, a))
        #expect(constantTimeEquals(a, Array(a)))
        #expect(constantTimeEquals(a[0..<10], Array(0..<10) as [UInt8]))
    }

    @Test("A difference in any single byte, including the last, compares unequal")
    func differInOneByte() {
        let a = Array(0..<64) as [UInt8]
        for index in a.indices {
            var b = a
            b[index] ^= 0x01
            #expect(!constantTimeEquals(a, b), "byte \(index)")
        }
        var last = a
        last[63] = 0xFF
        #expect(!constantTimeEquals(a, last))
    }

    @Test("Different lengths compare unequal, even when one is a prefix of the other")
    func differentLengths() {
        let a = Array(0..<32) as [UInt8]
        #expect(!constantTimeEquals(a, Array(a.prefix(31))))
        #expect(!constantTimeEquals(Array(a.prefix(31)), a))
        #expect(!constantTimeEquals(a, a + [0]))
        #expect(!constantTimeEquals(a, [UInt8]()))
    }

    @Test("Two empty sequences compare equal")
    func empty() {
        #expect(constantTimeEquals([UInt8](), [UInt8]()))
        #expect(constantTimeEquals([UInt8](), (Array(1...4) as [UInt8])[2..<2]))
    }
}
