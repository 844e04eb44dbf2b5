import Foundation
import Testing
@testable import CofferCrypto

// MARK: - RFC 8032, section 7.1

struct RFC8032Case: Sendable, CustomTestStringConvertible {
    let name: String
    let seed: [UInt8]
    let publicKey: [UInt8]
    let message: [UInt8]
    let signature: [UInt8]

    var testDescription: String { "RFC 8032 \(name)" }

    /// Every vector of section 7.1 (all pure Ed25519). "TEST SHA(abc)" is not Ed25519ph: its
    /// ALGORITHM line says Ed25519 and its 64-byte message is SHA-512("abc"), signed as is.
    /// The Ed25519ph vector ("TEST abc", the same key) is in section 7.3 and is not covered:
    /// this module implements pure Ed25519 only.
    static let all: [RFC8032Case] = [
        RFC8032Case(name: "TEST 1",
                    seed: hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
                    publicKey: hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
                    message: [],
                    signature: hex("""
                        e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155
                        5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b
                        """)),
        RFC8032Case(name: "TEST 2",
                    seed: hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"),
                    publicKey: hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
                    message: hex("72"),
                    signature: hex("""
                        92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da
                        085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00
                        """)),
        RFC8032Case(name: "TEST 3",
                    seed: hex("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"),
                    publicKey: hex("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"),
                    message: hex("af82"),
                    signature: hex("""
                        6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac
                        18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a
                        """)),
        RFC8032Case(name: "TEST 1024",
                    seed: hex("f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5"),
                    publicKey: hex("278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e"),
                    message: hex("""
                        08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98
                        fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8
                        79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d
                        658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc
                        1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe
                        ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e
                        06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef
                        efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7
                        aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1
                        85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2
                        d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24
                        554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270
                        88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc
                        2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07
                        07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba
                        b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a
                        ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e
                        c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7
                        51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c
                        42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8
                        ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df
                        f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08
                        d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649
                        de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4
                        88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3
                        2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e
                        6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f
                        b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5
                        0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1
                        369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d
                        b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c
                        0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0
                        """),
                    signature: hex("""
                        0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350
                        aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03
                        """)),
        RFC8032Case(name: "TEST SHA(abc)",
                    seed: hex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42"),
                    publicKey: hex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf"),
                    message: hex("""
                        ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a
                        2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f
                        """),
                    signature: hex("""
                        dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589
                        09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704
                        """)),
    ]

    static func named(_ name: String) -> RFC8032Case { all.first { $0.name == name }! }
}

/// The message with bit `bit` flipped (bit 0 is the low bit of byte 0).
private func flipping(_ bytes: [UInt8], bit: Int) -> [UInt8] {
    var out = bytes
    out[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
    return out
}

@Suite("Ed25519: RFC 8032 section 7.1")
struct Ed25519RFC8032Tests {
    @Test("Public key from the seed, the exact signature, and verification", arguments: RFC8032Case.all)
    func rfcCase(_ vector: RFC8032Case) throws {
        let key = try Ed25519.PrivateKey(seed: vector.seed)
        #expect(key.seed.bytesForTesting == vector.seed)
        #expect(key.publicKey.rawRepresentation == vector.publicKey)
        #expect(try key.signature(for: vector.message) == vector.signature)

        let publicKey = try Ed25519.PublicKey(rawRepresentation: vector.publicKey)
        #expect(publicKey == key.publicKey)
        #expect(publicKey.rawRepresentation == vector.publicKey)
        #expect(publicKey.isValidSignature(vector.signature, for: vector.message))
        // The same bytes through other ContiguousBytes types.
        #expect(publicKey.isValidSignature(vector.signature[...], for: SecureBytes(copying: vector.message)))
    }

    @Test("Inventory: the five section 7.1 vectors with the RFC's message lengths")
    func inventory() {
        #expect(RFC8032Case.all.map(\.name) == ["TEST 1", "TEST 2", "TEST 3", "TEST 1024", "TEST SHA(abc)"])
        #expect(RFC8032Case.all.map(\.message.count) == [0, 1, 2, 1023, 64])
        #expect(RFC8032Case.all.allSatisfy { $0.seed.count == 32 && $0.publicKey.count == 32 && $0.signature.count == 64 })
    }

    @Test("Every single-bit flip of the signature (all 512 bits) fails verification", arguments: RFC8032Case.all)
    func signatureBitFlips(_ vector: RFC8032Case) throws {
        let publicKey = try Ed25519.PublicKey(rawRepresentation: vector.publicKey)
        var accepted: [Int] = []
        for bit in 0..<(Ed25519.signatureByteCount * 8)
        where publicKey.isValidSignature(flipping(vector.signature, bit: bit), for: vector.message) {
            accepted.append(bit)
        }
        #expect(accepted == [], "flipped signature bits that still verified")
        #expect(publicKey.isValidSignature(vector.signature, for: vector.message))
    }

    @Test("Every single-bit flip of the message fails verification",
          arguments: RFC8032Case.all.filter { !$0.message.isEmpty })
    func messageBitFlips(_ vector: RFC8032Case) throws {
        let publicKey = try Ed25519.PublicKey(rawRepresentation: vector.publicKey)
        var accepted: [Int] = []
        for bit in 0..<(vector.message.count * 8)
        where publicKey.isValidSignature(vector.signature, for: flipping(vector.message, bit: bit)) {
            accepted.append(bit)
        }
        #expect(accepted == [], "flipped message bits that still verified")
    }

    @Test("A signature is bound to its message and to its key")
    func crossChecks() throws {
        let two = RFC8032Case.named("TEST 2"), three = RFC8032Case.named("TEST 3")
        let keyTwo = try Ed25519.PublicKey(rawRepresentation: two.publicKey)
        let keyThree = try Ed25519.PublicKey(rawRepresentation: three.publicKey)
        #expect(!keyTwo.isValidSignature(three.signature, for: three.message))
        #expect(!keyThree.isValidSignature(two.signature, for: two.message))
        #expect(!keyTwo.isValidSignature(two.signature, for: two.message + [0]))
        #expect(!keyTwo.isValidSignature(two.signature, for: [UInt8]()))
    }

    /// S + L encodes the same scalar modulo the group order L, so a verifier that skipped
    /// RFC 8032's "S < L" check would accept a second, different signature for the same message.
    @Test("A non-canonical S (S + L) is rejected: signatures are not malleable")
    func nonCanonicalS() throws {
        let vector = RFC8032Case.named("TEST 1")
        let order = hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010") // L, little-endian
        var malleated = vector.signature
        var carry = 0
        for i in 0..<32 {
            let sum = Int(malleated[32 + i]) + Int(order[i]) + carry
            malleated[32 + i] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        #expect(carry == 0)
        #expect(malleated != vector.signature)
        let publicKey = try Ed25519.PublicKey(rawRepresentation: vector.publicKey)
        #expect(!publicKey.isValidSignature(malleated, for: vector.message))
        #expect(publicKey.isValidSignature(vector.signature, for: vector.message))
    }
}

// MARK: - Lengths and malformed input

@Suite("Ed25519: lengths and malformed input")
struct Ed25519InputTests {
    @Test("A signature of any length other than 64 bytes is false, never a crash", arguments: [0, 1, 32, 63, 65, 128])
    func wrongSignatureLength(length: Int) throws {
        let vector = RFC8032Case.named("TEST 2")
        let publicKey = try Ed25519.PublicKey(rawRepresentation: vector.publicKey)
        // The real signature cut short or padded with zeros, so a lax length check would be caught.
        let signature = Array((vector.signature + [UInt8](repeating: 0, count: 64)).prefix(length))
        #expect(signature.count == length)
        #expect(!publicKey.isValidSignature(signature, for: vector.message))
        #expect(!publicKey.isValidSignature(signature[...], for: vector.message))
    }

    @Test("Public keys that are not exactly 32 bytes throw invalidKeyLength", arguments: [0, 1, 31, 33, 44, 64])
    func wrongPublicKeyLength(length: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: length)) {
            _ = try Ed25519.PublicKey(rawRepresentation: [UInt8](repeating: 0x42, count: length))
        }
    }

    @Test("Seeds that are not exactly 32 bytes throw invalidKeyLength", arguments: [0, 1, 31, 33, 64])
    func wrongSeedLength(length: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: length)) {
            _ = try Ed25519.PrivateKey(seed: [UInt8](repeating: 0x42, count: length))
        }
    }

    /// OpenSSL imports any 32 bytes (it checks the point only when verifying); a key that is not
    /// a curve point must still verify nothing, including a signature made for another key.
    @Test("32 bytes that are not a curve point verify nothing")
    func offCurveKey() throws {
        let notAPoint = hex("0200000000000000000000000000000000000000000000000000000000000000")
        let vector = RFC8032Case.named("TEST 1")
        let key = try Ed25519.PublicKey(rawRepresentation: notAPoint)
        #expect(key.rawRepresentation == notAPoint)
        #expect(!key.isValidSignature(vector.signature, for: vector.message))
        #expect(!key.isValidSignature([UInt8](repeating: 0, count: 64), for: vector.message))
    }
}

// MARK: - PEM and the openssl command line

/// DER SubjectPublicKeyInfo prefix for Ed25519 (RFC 8410 section 4): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING }.
private let spkiPrefix = hex("302a300506032b6570032100")

/// The PEM a conforming encoder must produce, built without the module.
private func expectedPEM(_ publicKey: [UInt8]) -> String {
    "-----BEGIN PUBLIC KEY-----\n" + Data(spkiPrefix + publicKey).base64EncodedString() + "\n-----END PUBLIC KEY-----\n"
}

private func pem(label: String, der: [UInt8]) -> String {
    "-----BEGIN \(label)-----\n" + Data(der).base64EncodedString(options: .lineLength64Characters)
        + "\n-----END \(label)-----\n"
}

/// Runs `openssl ARGS` (the first `openssl` on PATH, which must be OpenSSL 3) and returns its exit status.
private func runOpenSSL(_ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl"] + arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// A fresh directory under the system temporary directory; the caller removes it.
private func makeTemporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ed25519tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

@Suite("Ed25519: PEM and the openssl CLI")
struct Ed25519PEMTests {
    @Test("PEM is the exact SubjectPublicKeyInfo and round-trips", arguments: RFC8032Case.all)
    func pemRoundTrip(_ vector: RFC8032Case) throws {
        let publicKey = try Ed25519.PublicKey(rawRepresentation: vector.publicKey)
        let text = publicKey.pemRepresentation
        #expect(text == expectedPEM(vector.publicKey))
        #expect(text.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        let parsed = try Ed25519.PublicKey(pemRepresentation: text)
        #expect(parsed == publicKey)
        #expect(parsed.rawRepresentation == vector.publicKey)
        #expect(parsed.isValidSignature(vector.signature, for: vector.message))
    }

    @Test("PEM of TEST 1's key is the text OpenSSL writes")
    func pemKnownText() throws {
        let publicKey = try Ed25519.PublicKey(rawRepresentation: RFC8032Case.named("TEST 1").publicKey)
        #expect(publicKey.pemRepresentation == """
            -----BEGIN PUBLIC KEY-----
            MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
            -----END PUBLIC KEY-----

            """)
    }

    @Test("Reading PEM tolerates CRLF line ends and surrounding text")
    func pemLenientWhitespace() throws {
        let raw = RFC8032Case.named("TEST 3").publicKey
        let crlf = expectedPEM(raw).replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try Ed25519.PublicKey(pemRepresentation: crlf).rawRepresentation == raw)
        #expect(try Ed25519.PublicKey(pemRepresentation: "reviewer key:\n" + expectedPEM(raw) + "trailing note\n")
                    .rawRepresentation == raw)
    }

    @Test("Anything but an Ed25519 public-key PEM is refused")
    func pemRejects() {
        let raw = RFC8032Case.named("TEST 1").publicKey
        let seed = RFC8032Case.named("TEST 1").seed
        let refused: [(String, String)] = [
            ("empty", ""),
            ("not PEM", "hello"),
            ("truncated", String(expectedPEM(raw).prefix(40))),
            ("bad base64", "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n"),
            ("a private key", pem(label: "PRIVATE KEY", der: hex("302e020100300506032b657004220420") + seed)),
            ("wrong label", pem(label: "CERTIFICATE", der: spkiPrefix + raw)),
            ("an X25519 key", pem(label: "PUBLIC KEY", der: hex("302a300506032b656e032100") + raw)),
            ("an Ed448 key", pem(label: "PUBLIC KEY", der: hex("3043300506032b6571033a00") + [UInt8](repeating: 7, count: 57))),
            ("a short key", pem(label: "PUBLIC KEY", der: hex("3029300506032b6570032000") + raw.dropLast())),
            ("trailing DER bytes", pem(label: "PUBLIC KEY", der: spkiPrefix + raw + [0])),
            ("encrypted headers", "-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n"
                + Data(spkiPrefix + raw).base64EncodedString() + "\n-----END PUBLIC KEY-----\n"),
        ]
        for (what, text) in refused {
            #expect(throws: CryptoError.invalidParameters("not an Ed25519 SubjectPublicKeyInfo PEM"), "\(what)") {
                _ = try Ed25519.PublicKey(pemRepresentation: text)
            }
        }
    }

    @Test("The openssl CLI reads the PEM and verifies our signatures; a flipped bit fails",
          arguments: RFC8032Case.all + [nil])
    func opensslVerifies(_ vector: RFC8032Case?) throws {
        // nil: a random key over a random message, so the check does not rest on the RFC keys only.
        let key = try vector.map { try Ed25519.PrivateKey(seed: $0.seed) } ?? Ed25519.PrivateKey()
        var message = try vector?.message ?? SecureRandom.bytes(1000)
        // OpenSSL 3.0's `pkeyutl -rawin` cannot read a 0-byte file ("Could not allocate 0 bytes for
        // oneshot sign/verify buffer"), so TEST 1's key signs a non-empty message here; the empty
        // message itself is checked against the RFC above.
        if message.isEmpty { message = Array("audit checkpoint".utf8) }
        let signature = try key.signature(for: message)

        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pub = directory.appendingPathComponent("pub.pem"), msg = directory.appendingPathComponent("msg")
        let sig = directory.appendingPathComponent("sig"), bad = directory.appendingPathComponent("bad")
        try Data(key.publicKey.pemRepresentation.utf8).write(to: pub)
        try Data(message).write(to: msg)
        try Data(signature).write(to: sig)
        try Data(flipping(signature, bit: 77)).write(to: bad)

        #expect(try runOpenSSL(["pkey", "-pubin", "-in", pub.path, "-noout"]) == 0)
        let verify = ["pkeyutl", "-verify", "-pubin", "-inkey", pub.path, "-rawin", "-in", msg.path, "-sigfile"]
        #expect(try runOpenSSL(verify + [sig.path]) == 0)
        #expect(try runOpenSSL(verify + [bad.path]) != 0)
    }
}

// MARK: - Keys

@Suite("Ed25519: keys")
struct Ed25519KeyTests {
    /// Every way a value commonly ends up in a log line.
    private func renderings<T>(_ value: T) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), "\(value)", "\([value])", dumped]
    }

    @Test("A PrivateKey never renders its seed", arguments: [true, false])
    func descriptionRedacted(random: Bool) throws {
        let key = try random ? Ed25519.PrivateKey() : Ed25519.PrivateKey(seed: RFC8032Case.named("TEST 1").seed)
        let seed = key.seed.bytesForTesting
        #expect(key.description == "Ed25519.PrivateKey(redacted)")
        for rendering in renderings(key) {
            #expect(!rendering.contains(hexString(seed)), "leaked in: \(rendering)")
            #expect(!rendering.contains(hexString(seed).uppercased()), "leaked in: \(rendering)")
            #expect(!rendering.contains(seed.map(String.init).joined(separator: ", ")), "leaked in: \(rendering)")
        }
    }

    @Test("Two random keys differ, and each verifies only its own signatures")
    func randomKeysDiffer() throws {
        let a = try Ed25519.PrivateKey(), b = try Ed25519.PrivateKey()
        #expect(a.seed.count == 32 && b.seed.count == 32)
        #expect(a.seed != b.seed)
        #expect(a.publicKey != b.publicKey)
        #expect(a.seed.bytesForTesting != [UInt8](repeating: 0, count: 32))
        let message = Array("checkpoint 42".utf8)
        let signature = try a.signature(for: message)
        #expect(a.publicKey.isValidSignature(signature, for: message))
        #expect(!b.publicKey.isValidSignature(signature, for: message))
    }

    @Test("A key rebuilt from its seed is the same key; signing is deterministic")
    func seedRoundTrip() throws {
        let key = try Ed25519.PrivateKey()
        let again = try Ed25519.PrivateKey(seed: key.seed)
        #expect(again.publicKey == key.publicKey)
        let message = try SecureRandom.bytes(300)
        #expect(try again.signature(for: message) == key.signature(for: message))
        #expect(try Ed25519.PublicKey(rawRepresentation: key.publicKey.rawRepresentation) == key.publicKey)
    }

    @Test("A key can sign and verify from several tasks at once")
    func concurrentUse() async throws {
        let key = try Ed25519.PrivateKey()
        let failures = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var failures = 0
                    for i in 0..<50 {
                        let message = Array("task \(task) message \(i)".utf8)
                        guard let signature = try? key.signature(for: message),
                              key.publicKey.isValidSignature(signature, for: message),
                              !key.publicKey.isValidSignature(signature, for: message + [1])
                        else { failures += 1; continue }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
    }
}
