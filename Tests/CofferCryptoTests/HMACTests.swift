import Testing
@testable import CofferCrypto

// MARK: - RFC 4231

struct RFC4231Case: Sendable, CustomTestStringConvertible {
    let number: Int
    let key: [UInt8]
    let data: [UInt8]
    /// The HMAC-SHA-256 value as printed in the RFC (truncated to 128 bits in test case 5).
    let mac: [UInt8]

    var testDescription: String { "RFC 4231 test case \(number)" }

    static let all: [RFC4231Case] = [
        RFC4231Case(number: 1, key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
                    mac: hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")),
        RFC4231Case(number: 2, key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
                    mac: hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")),
        RFC4231Case(number: 3, key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
                    mac: hex("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")),
        RFC4231Case(number: 4, key: Array(1...25), data: [UInt8](repeating: 0xcd, count: 50),
                    mac: hex("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")),
        RFC4231Case(number: 5, key: [UInt8](repeating: 0x0c, count: 20), data: Array("Test With Truncation".utf8),
                    mac: hex("a3b6167473100ee06e0c796c2955552b")),
        RFC4231Case(number: 6, key: [UInt8](repeating: 0xaa, count: 131),
                    data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                    mac: hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")),
        RFC4231Case(number: 7, key: [UInt8](repeating: 0xaa, count: 131),
                    data: Array(("This is a test using a larger than block-size key and a larger than block-size data. "
                                 + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
                    mac: hex("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")),
    ]
}

@Suite("HMAC-SHA256: RFC 4231 test cases 1–7")
struct HMACRFC4231Tests {
    @Test("Computes and verifies the RFC value", arguments: RFC4231Case.all)
    func rfcCase(_ vector: RFC4231Case) throws {
        let mac = try HMACSHA256(key: vector.key)
        if vector.mac.count == HMACSHA256.byteCount {
            #expect(try mac.authenticate(vector.data) == vector.mac)
            #expect(try HMACSHA256.authenticate(vector.data, key: vector.key) == vector.mac)
        } else {
            // Test case 5 publishes only the leading 128 bits.
            #expect(vector.number == 5 && vector.mac.count == 16)
            #expect(try Array(mac.authenticate(vector.data).prefix(16)) == vector.mac)
        }
        #expect(try mac.isValidAuthenticationCode(vector.mac, for: vector.data))
        var wrong = vector.mac
        wrong[wrong.count - 1] ^= 0x01
        #expect(try !mac.isValidAuthenticationCode(wrong, for: vector.data))
    }

    @Test("Inventory: cases 1–7, case 5 is the only truncated one")
    func inventory() {
        #expect(RFC4231Case.all.map(\.number) == Array(1...7))
        #expect(RFC4231Case.all.filter { $0.mac.count == 16 }.map(\.number) == [5])
    }
}

// MARK: - Wycheproof hmac_sha256_test.json

@Suite("HMAC-SHA256: Wycheproof hmac_sha256_test.json")
struct HMACWycheproofTests {
    @Test("Every test: valid tags (full or 128-bit truncated) verify and are computed exactly; modified tags are rejected")
    func everyVector() throws {
        let file: WycheproofFile<MACTestGroup> = try loadWycheproof("hmac_sha256_test")
        #expect(file.algorithm == "HMACSHA256")
        #expect(file.numberOfTests == 174)

        var validFull = 0, validTruncated = 0, invalid = 0
        for group in file.testGroups {
            #expect(group.tagSize == 256 || group.tagSize == 128, "unexpected tagSize \(group.tagSize)")
            for test in group.tests {
                #expect(test.key.count * 8 == group.keySize, "tcId \(test.tcId)")
                #expect(test.tag.count * 8 == group.tagSize, "tcId \(test.tcId)")
                let mac = try HMACSHA256(key: test.key.bytes)
                switch test.result {
                case .valid:
                    #expect(try mac.isValidAuthenticationCode(test.tag.bytes, for: test.msg.bytes), "tcId \(test.tcId)")
                    let full = try mac.authenticate(test.msg.bytes)
                    #expect(full.count == 32)
                    #expect(Array(full.prefix(test.tag.count)) == test.tag.bytes, "tcId \(test.tcId)")
                    if group.tagSize == 256 { validFull += 1 } else { validTruncated += 1 }
                case .invalid:
                    #expect(try !mac.isValidAuthenticationCode(test.tag.bytes, for: test.msg.bytes), "tcId \(test.tcId)")
                    invalid += 1
                case .acceptable:
                    Issue.record("tcId \(test.tcId): unexpected 'acceptable' result")
                }
            }
        }
        #expect(validFull == 33)
        #expect(validTruncated == 33)
        #expect(invalid == 108)
        #expect(validFull + validTruncated + invalid == 174)
    }
}

// MARK: - API behaviour

@Suite("HMAC-SHA256: tag lengths and context reuse")
struct HMACBehaviorTests {
    static let key = [UInt8](repeating: 0x0b, count: 20)
    static let message = Array("Hi There".utf8)
    static let rfcMAC = hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")

    @Test("Tags shorter than 16 or longer than 32 bytes throw invalidTagLength", arguments: [0, 1, 8, 15, 33, 48, 64])
    func badTagLengths(length: Int) throws {
        let mac = try HMACSHA256(key: Self.key)
        let tag = Array((Self.rfcMAC + Self.rfcMAC + Self.rfcMAC).prefix(length))
        #expect(throws: CryptoError.invalidTagLength(actual: length)) {
            _ = try mac.isValidAuthenticationCode(tag, for: Self.message)
        }
    }

    @Test("Every truncation from 16 to 32 bytes verifies", arguments: 16...32)
    func acceptedTruncations(length: Int) throws {
        let mac = try HMACSHA256(key: Self.key)
        #expect(try mac.isValidAuthenticationCode(Array(Self.rfcMAC.prefix(length)), for: Self.message))
        var wrong = Array(Self.rfcMAC.prefix(length))
        wrong[length - 1] ^= 0x40
        #expect(try !mac.isValidAuthenticationCode(wrong, for: Self.message))
    }

    @Test("One reused instance gives the same tags as fresh instances")
    func reuseMatchesFreshInstances() throws {
        let key = try SecureRandom.bytes(32)
        let shared = try HMACSHA256(key: key)
        var compared = 0
        for length in 0..<300 {
            let message = try SecureRandom.bytes(length)
            let reused = try shared.authenticate(message)
            let fresh = try HMACSHA256(key: key).authenticate(message)
            #expect(reused == fresh, "message length \(length)")
            // Interleave verification (which also runs the MAC) to check it re-primes too.
            #expect(try shared.isValidAuthenticationCode(fresh, for: message))
            #expect(try shared.isValidAuthenticationCode(Array(fresh.prefix(16)), for: message))
            compared += 1
        }
        #expect(compared == 300)
        // Authenticating the same message twice in a row gives the same tag (no carried-over state).
        #expect(try shared.authenticate(Self.message) == shared.authenticate(Self.message))
    }

    @Test("A reused instance keeps producing the RFC value after a rejected tag")
    func reuseAfterRejection() throws {
        let mac = try HMACSHA256(key: Self.key)
        for _ in 0..<10 {
            #expect(throws: CryptoError.invalidTagLength(actual: 15)) {
                _ = try mac.isValidAuthenticationCode(Array(Self.rfcMAC.prefix(15)), for: Self.message)
            }
            #expect(try !mac.isValidAuthenticationCode([UInt8](repeating: 0, count: 32), for: Self.message))
            #expect(try mac.authenticate(Self.message) == Self.rfcMAC)
        }
    }

    @Test("An empty key is valid HMAC and matches the known value")
    func emptyKey() throws {
        // HMAC-SHA256(key: "", message: "") — a widely published value.
        #expect(try HMACSHA256.authenticate([UInt8](), key: [UInt8]())
                == hex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"))
    }
}
