import Testing
@testable import CofferCrypto

// MARK: - HKDF: RFC 5869

struct RFC5869Case: Sendable, CustomTestStringConvertible {
    let number: Int
    let ikm: [UInt8]
    let salt: [UInt8]
    let info: [UInt8]
    let length: Int
    let okm: [UInt8]

    var testDescription: String { "RFC 5869 test case \(number)" }

    static let all: [RFC5869Case] = [
        RFC5869Case(number: 1, ikm: [UInt8](repeating: 0x0b, count: 22), salt: Array(0x00...0x0c), info: Array(0xf0...0xf9),
                    length: 42,
                    okm: hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")),
        RFC5869Case(number: 2, ikm: Array(0x00...0x4f), salt: Array(0x60...0xaf), info: Array(0xb0...0xff), length: 82,
                    okm: hex("""
                        b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c
                        59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71
                        cc30c58179ec3e87c14c01d5c1f3434f1d87
                        """)),
        RFC5869Case(number: 3, ikm: [UInt8](repeating: 0x0b, count: 22), salt: [], info: [], length: 42,
                    okm: hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")),
    ]
}

@Suite("HKDF-SHA256: RFC 5869 test cases 1–3")
struct HKDFRFC5869Tests {
    @Test("Derives the exact OKM", arguments: RFC5869Case.all)
    func rfcCase(_ vector: RFC5869Case) throws {
        #expect(vector.okm.count == vector.length)
        let okm = try HKDF.deriveKey(inputKeyMaterial: vector.ikm, salt: vector.salt, info: vector.info,
                                     outputByteCount: vector.length)
        #expect(okm.count == vector.length)
        #expect(okm.bytesForTesting == vector.okm)
    }

    @Test("Output lengths of 0, negative, or above 255 × 32 throw invalidOutputLength", arguments: [0, -1, 8161, 100_000])
    func outputLengthOutOfRange(length: Int) {
        #expect(throws: CryptoError.invalidOutputLength(length)) {
            _ = try HKDF.deriveKey(inputKeyMaterial: [UInt8](repeating: 1, count: 32), salt: [UInt8](), info: [UInt8](),
                                   outputByteCount: length)
        }
    }

    @Test("Outputs of 1 byte and of the 8160-byte maximum are allowed and are prefixes of each other")
    func outputLengthBounds() throws {
        let ikm = [UInt8](repeating: 0x0b, count: 22)
        let longest = try HKDF.deriveKey(inputKeyMaterial: ikm, salt: [UInt8](), info: [UInt8](), outputByteCount: 8160)
        let shortest = try HKDF.deriveKey(inputKeyMaterial: ikm, salt: [UInt8](), info: [UInt8](), outputByteCount: 1)
        #expect(longest.count == 8160)
        #expect(shortest.bytesForTesting == Array(longest.bytesForTesting.prefix(1)))
        #expect(Array(longest.bytesForTesting.prefix(42)) == RFC5869Case.all[2].okm)
    }

    @Test("Subkey derivation from a SymmetricKey is HKDF with empty salt and the UTF-8 info")
    func subkeyDerivation() throws {
        let root = try SymmetricKey(copying: Array(0..<32) as [UInt8])
        let subkey = try HKDF.deriveKey(from: root, info: "coffer/blind-index/v1")
        let expected = try HKDF.deriveKey(inputKeyMaterial: Array(0..<32) as [UInt8], salt: [UInt8](),
                                          info: Array("coffer/blind-index/v1".utf8), outputByteCount: 32)
        #expect(subkey.withUnsafeBytes { Array($0) } == expected.bytesForTesting)
        let other = try HKDF.deriveKey(from: root, info: "coffer/audit/v1")
        #expect(!constantTimeEquals(subkey, other))
    }
}

// MARK: - HKDF: Wycheproof hkdf_sha256_test.json

@Suite("HKDF-SHA256: Wycheproof hkdf_sha256_test.json")
struct HKDFWycheproofTests {
    @Test("Every test: valid ones derive the exact OKM (empty salt included); SizeTooLarge ones throw")
    func everyVector() throws {
        let file: WycheproofFile<HKDFTestGroup> = try loadWycheproof("hkdf_sha256_test")
        #expect(file.algorithm == "HKDF-SHA-256")
        #expect(file.numberOfTests == 86)

        var valid = 0, validEmptySalt = 0, maximal = 0, tooLarge = 0
        for group in file.testGroups {
            for test in group.tests {
                #expect(test.ikm.count * 8 == group.keySize, "tcId \(test.tcId)")
                switch test.result {
                case .valid:
                    let okm = try HKDF.deriveKey(inputKeyMaterial: test.ikm.bytes, salt: test.salt.bytes,
                                                 info: test.info.bytes, outputByteCount: test.size)
                    #expect(okm.bytesForTesting == test.okm.bytes, "tcId \(test.tcId)")
                    valid += 1
                    if test.salt.bytes.isEmpty { validEmptySalt += 1 }
                    if test.size == HKDF.maximumOutputByteCount { maximal += 1 }
                case .invalid:
                    #expect(test.flags == ["SizeTooLarge"], "tcId \(test.tcId)")
                    #expect(throws: CryptoError.invalidOutputLength(test.size), "tcId \(test.tcId)") {
                        _ = try HKDF.deriveKey(inputKeyMaterial: test.ikm.bytes, salt: test.salt.bytes,
                                               info: test.info.bytes, outputByteCount: test.size)
                    }
                    tooLarge += 1
                case .acceptable:
                    Issue.record("tcId \(test.tcId): unexpected 'acceptable' result")
                }
            }
        }
        #expect(valid == 83)
        #expect(validEmptySalt == 23)
        #expect(maximal == 3)
        #expect(tooLarge == 3)
        #expect(valid + tooLarge == 86)
    }
}

// MARK: - scrypt: RFC 7914 section 12

struct ScryptCase: Sendable, CustomTestStringConvertible {
    let passphrase: String
    let salt: String
    let n: UInt64
    let r: UInt64
    let p: UInt64
    let key: [UInt8]

    var testDescription: String { "scrypt(P=\"\(passphrase)\", S=\"\(salt)\", N=\(n), r=\(r), p=\(p))" }

    static let rfc7914: [ScryptCase] = [
        ScryptCase(passphrase: "", salt: "", n: 16, r: 1, p: 1, key: hex("""
            77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442
            fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906
            """)),
        ScryptCase(passphrase: "password", salt: "NaCl", n: 1024, r: 8, p: 16, key: hex("""
            fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162
            2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640
            """)),
        ScryptCase(passphrase: "pleaseletmein", salt: "SodiumChloride", n: 16384, r: 8, p: 1, key: hex("""
            7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2
            d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887
            """)),
        // The fourth vector needs 1 GiB (N = 2^20, r = 8). It is kept because it fits the 10 s budget on the
        // 2-core test machine: 3.5–4.6 s alone, about 5 s while the rest of the suite runs in parallel.
        ScryptCase(passphrase: "pleaseletmein", salt: "SodiumChloride", n: 1_048_576, r: 8, p: 1, key: hex("""
            2101cb9b6a511aaeaddbbe09cf70f881ec568d574a2ffd4dabe5ee9820adaa47
            8e56fd8f4ba5d09ffa1c6d927c40f4c337304049e8a952fbcbf45c6fa77a41a4
            """)),
    ]
}

@Suite("scrypt: RFC 7914 section 12")
struct ScryptTests {
    @Test("Derives the exact RFC 7914 output", arguments: ScryptCase.rfc7914)
    func rfcVector(_ vector: ScryptCase) throws {
        let key = try Scrypt.deriveKey(passphrase: Array(vector.passphrase.utf8), salt: Array(vector.salt.utf8),
                                       parameters: .init(n: vector.n, r: vector.r, p: vector.p), outputByteCount: 64)
        #expect(key.bytesForTesting == vector.key)
    }

    @Test("N that is not a power of two greater than 1 is rejected", arguments: [0, 1, 3, 1000, 1025, 16383] as [UInt64])
    func badN(n: UInt64) {
        expectInvalidParameters(.init(n: n, r: 8, p: 1))
    }

    @Test("r = 0 and p = 0 are rejected")
    func zeroROrP() {
        expectInvalidParameters(.init(n: 16, r: 0, p: 1))
        expectInvalidParameters(.init(n: 16, r: 1, p: 0))
    }

    @Test("An output length of 0 is rejected")
    func zeroOutput() {
        #expect(throws: CryptoError.invalidOutputLength(0)) {
            _ = try Scrypt.deriveKey(passphrase: Array("pw".utf8), salt: Array("salt".utf8),
                                     parameters: .init(n: 16, r: 1, p: 1), outputByteCount: 0)
        }
    }

    @Test("memoryByteCount follows 128·r·(N + p + 2)")
    func memoryEstimate() {
        #expect(Scrypt.Parameters(n: 16384, r: 8, p: 1).memoryByteCount == 128 * 8 * (16384 + 1 + 2))
        #expect(Scrypt.Parameters.standard.memoryByteCount == 128 * 8 * (131_072 + 3))
    }

    private func expectInvalidParameters(_ parameters: Scrypt.Parameters, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: CryptoError.self, "\(parameters)", sourceLocation: sourceLocation) {
            _ = try Scrypt.deriveKey(passphrase: Array("pw".utf8), salt: Array("salt".utf8), parameters: parameters,
                                     outputByteCount: 32)
        }
        guard case .invalidParameters? = error else {
            Issue.record("expected invalidParameters for \(parameters), got \(String(describing: error))",
                         sourceLocation: sourceLocation)
            return
        }
    }
}
