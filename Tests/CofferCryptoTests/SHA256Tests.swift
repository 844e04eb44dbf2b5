import Testing
@testable import CofferCrypto

struct SHA256Case: Sendable, CustomTestStringConvertible {
    let message: String
    let bitLength: Int
    let digest: String

    var testDescription: String { "SHA-256 of a \(bitLength)-bit message" }

    static let all: [SHA256Case] = [
        // FIPS 180-2, Appendix B.1 (one-block message).
        SHA256Case(message: "abc", bitLength: 24,
                   digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        // FIPS 180-2, Appendix B.2 (multi-block, 448-bit message).
        SHA256Case(message: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", bitLength: 448,
                   digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        // The empty message.
        SHA256Case(message: "", bitLength: 0,
                   digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ]
}

@Suite("SHA-256: FIPS 180-2 examples")
struct SHA256Tests {
    @Test("Known digests", arguments: SHA256Case.all)
    func digest(_ vector: SHA256Case) throws {
        let message = Array(vector.message.utf8)
        #expect(message.count * 8 == vector.bitLength)
        #expect(try SHA256.hash(message) == hex(vector.digest))
    }

    @Test("FIPS 180-2 Appendix B.3: one million repetitions of 'a'")
    func millionA() throws {
        #expect(try SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000))
                == hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"))
    }

    @Test("Incremental hashing equals one-shot hashing, whatever the split", arguments: SHA256Case.all)
    func incremental(_ vector: SHA256Case) throws {
        let message = Array(vector.message.utf8)
        for split in [0, 1, message.count / 2, message.count] where split <= message.count {
            let hasher = try SHA256.Hasher()
            try hasher.update(Array(message[..<split]))
            try hasher.update([UInt8]())
            try hasher.update(Array(message[split...]))
            #expect(try hasher.finalize() == hex(vector.digest))
        }
    }

    @Test("FIPS 180-2 Appendix B.3 fed in uneven chunks")
    func millionAIncremental() throws {
        let hasher = try SHA256.Hasher()
        var left = 1_000_000, chunk = 1
        while left > 0 {
            let n = min(left, chunk)
            try hasher.update([UInt8](repeating: 0x61, count: n))
            left -= n
            chunk = chunk * 3 + 1
        }
        #expect(try hasher.finalize() == hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"))
    }

    @Test("Hex helpers round-trip and reject malformed input")
    func hexHelpers() {
        let bytes: [UInt8] = [0x00, 0x0f, 0xa5, 0xff]
        #expect(bytes.hexString == "000fa5ff")
        #expect([UInt8](hexString: "000FA5ff") == bytes)
        #expect([UInt8](hexString: "abc") == nil)
        #expect([UInt8](hexString: "zz") == nil)
        #expect([UInt8](hexString: "") == [])
    }
}
