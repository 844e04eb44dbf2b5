import Testing
@testable import CofferCrypto

// MARK: - McGrew–Viega GCM specification, Appendix B, test cases 13–18 (AES-256)

struct GCMSpecCase: Sendable, CustomTestStringConvertible {
    let number: Int
    let key: [UInt8]
    let plaintext: [UInt8]
    let aad: [UInt8]
    let iv: [UInt8]
    let ciphertext: [UInt8]
    let tag: [UInt8]

    var testDescription: String { "Test Case \(number) (\(iv.count * 8)-bit IV)" }

    private static let zeroKey = [UInt8](repeating: 0, count: 32)
    private static let key = hex("feffe9928665731c6d6a8f9467308308 feffe9928665731c6d6a8f9467308308")
    private static let plaintext64 = hex("""
        d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72
        1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b391aafd255
        """)
    private static let plaintext60 = Array(plaintext64.prefix(60))
    private static let aad = hex("feedfacedeadbeeffeedfacedeadbeef abaddad2")

    /// The four cases with a 96-bit IV: the vault's configuration.
    static let twelveByteIV: [GCMSpecCase] = [
        GCMSpecCase(number: 13, key: zeroKey, plaintext: [], aad: [], iv: hex("000000000000000000000000"),
                    ciphertext: [], tag: hex("530f8afbc74536b9a963b4f1c4cb738b")),
        GCMSpecCase(number: 14, key: zeroKey, plaintext: hex("00000000000000000000000000000000"), aad: [],
                    iv: hex("000000000000000000000000"),
                    ciphertext: hex("cea7403d4d606b6e074ec5d3baf39d18"), tag: hex("d0d1c8a799996bf0265b98b5d48ab919")),
        GCMSpecCase(number: 15, key: key, plaintext: plaintext64, aad: [], iv: hex("cafebabefacedbaddecaf888"),
                    ciphertext: hex("""
                        522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa
                        8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662898015ad
                        """),
                    tag: hex("b094dac5d93471bdec1a502270e3cc6c")),
        GCMSpecCase(number: 16, key: key, plaintext: plaintext60, aad: aad, iv: hex("cafebabefacedbaddecaf888"),
                    ciphertext: hex("""
                        522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa
                        8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662
                        """),
                    tag: hex("76fc6ece0f4e1768cddf8853bb2d551b")),
    ]

    /// 64-bit and 480-bit IVs: valid GCM, but not what the vault accepts.
    static let otherIV: [GCMSpecCase] = [
        GCMSpecCase(number: 17, key: key, plaintext: plaintext60, aad: aad, iv: hex("cafebabefacedbad"),
                    ciphertext: hex("""
                        c3762df1ca787d32ae47c13bf19844cb af1ae14d0b976afac52ff7d79bba9de0
                        feb582d33934a4f0954cc2363bc73f78 62ac430e64abe499f47c9b1f
                        """),
                    tag: hex("3a337dbf46a792c45e454913fe2ea8f2")),
        GCMSpecCase(number: 18, key: key, plaintext: plaintext60, aad: aad,
                    iv: hex("""
                        9313225df88406e555909c5aff5269aa 6a7a9538534f7da1e4c303d2a318a728
                        c3c0c95156809539fcf0e2429a6b5254 16aedbf5a0de6a57a637b39b
                        """),
                    ciphertext: hex("""
                        5a8def2f0c9e53f1f75d7853659e2a20 eeb2b22aafde6419a058ab4f6f746bf4
                        0fc0c3b780f244452da3ebf1c5d82cde a2418997200ef82e44ae7e3f
                        """),
                    tag: hex("a44a8266ee1c8eb0c8b5d4cf5ae9f19a")),
    ]
}

@Suite("AES-256-GCM: GCM spec test cases 13–18")
struct AESGCMSpecVectorTests {
    @Test("96-bit IV cases seal to the exact ciphertext and tag and open back", arguments: GCMSpecCase.twelveByteIV)
    func sealAndOpen(_ vector: GCMSpecCase) throws {
        let aead = try AES256GCM(key: SymmetricKey(copying: vector.key))
        let sealed = try aead.seal(vector.plaintext, nonce: vector.iv, authenticating: vector.aad)
        #expect(sealed.ciphertext == vector.ciphertext)
        #expect(sealed.tag == vector.tag)

        let opened = try aead.open(vector.ciphertext, nonce: vector.iv, tag: vector.tag, authenticating: vector.aad)
        #expect(opened.bytesForTesting == vector.plaintext)
    }

    @Test("64-bit and 480-bit IV cases are rejected on seal and open", arguments: GCMSpecCase.otherIV)
    func nonTwelveByteIVRejected(_ vector: GCMSpecCase) throws {
        let aead = try AES256GCM(key: SymmetricKey(copying: vector.key))
        #expect(throws: CryptoError.invalidNonceLength(actual: vector.iv.count)) {
            _ = try aead.seal(vector.plaintext, nonce: vector.iv, authenticating: vector.aad)
        }
        #expect(throws: CryptoError.invalidNonceLength(actual: vector.iv.count)) {
            _ = try aead.open(vector.ciphertext, nonce: vector.iv, tag: vector.tag, authenticating: vector.aad)
        }
    }

    @Test("Case lists cover 13–18 with the expected IV sizes")
    func caseInventory() {
        #expect(GCMSpecCase.twelveByteIV.map(\.number) == [13, 14, 15, 16])
        #expect(GCMSpecCase.twelveByteIV.allSatisfy { $0.iv.count == 12 && $0.key.count == 32 })
        #expect(GCMSpecCase.otherIV.map(\.number) == [17, 18])
        #expect(GCMSpecCase.otherIV.map { $0.iv.count * 8 } == [64, 480])
    }
}

// MARK: - Wycheproof aes_gcm_test.json

@Suite("AES-256-GCM: Wycheproof aes_gcm_test.json")
struct AESGCMWycheproofTests {
    /// Decoded once: Swift Testing makes a fresh suite instance for every test and argument.
    private static let loaded = Result { try loadWycheproof("aes_gcm_test", as: AEADTestGroup.self) }

    let file: WycheproofFile<AEADTestGroup>

    init() throws {
        file = try Self.loaded.get()
    }

    private var allVectors: [(group: AEADTestGroup, test: AEADTestVector)] {
        file.testGroups.flatMap { group in group.tests.map { (group, $0) } }
    }

    @Test("The file holds 316 tests and the groups describe their vectors truthfully")
    func inventory() {
        #expect(file.algorithm == "AES-GCM")
        #expect(file.numberOfTests == 316)
        #expect(allVectors.count == 316)
        for (group, test) in allVectors {
            #expect(test.key.count * 8 == group.keySize, "tcId \(test.tcId)")
            #expect(test.iv.count * 8 == group.ivSize, "tcId \(test.tcId)")
            #expect(test.tag.count * 8 == group.tagSize, "tcId \(test.tcId)")
            #expect(test.result != .acceptable, "tcId \(test.tcId): no policy for 'acceptable' results")
        }
    }

    @Test("AES-256 with 96-bit IV and 128-bit tag: valid vectors seal exactly and open; invalid ones fail and wipe")
    func vaultConfiguration() throws {
        var valid = 0
        var invalid = 0
        var wipedNonEmptyOutputs = 0
        for (group, test) in allVectors where group.keySize == 256 && group.ivSize == 96 && group.tagSize == 128 {
            let aead = try AES256GCM(key: SymmetricKey(copying: test.key.bytes))
            switch test.result {
            case .valid:
                let sealed = try aead.seal(test.msg.bytes, nonce: test.iv.bytes, authenticating: test.aad.bytes)
                #expect(sealed.ciphertext == test.ct.bytes, "tcId \(test.tcId)")
                #expect(sealed.tag == test.tag.bytes, "tcId \(test.tcId)")
                let opened = try aead.open(test.ct.bytes, nonce: test.iv.bytes, tag: test.tag.bytes, authenticating: test.aad.bytes)
                #expect(opened.bytesForTesting == test.msg.bytes, "tcId \(test.tcId)")
                valid += 1
            case .invalid:
                // Prefill the output so that a missing wipe is visible (for non-empty messages).
                var output = [UInt8](repeating: 0xA5, count: test.ct.count)
                #expect(throws: CryptoError.authenticationFailed, "tcId \(test.tcId)") {
                    try openRaw(aead, ciphertext: test.ct.bytes, nonce: test.iv.bytes, tag: test.tag.bytes,
                                aad: test.aad.bytes, into: &output)
                }
                #expect(output.allSatisfy { $0 == 0 }, "tcId \(test.tcId): output not wiped")
                if !output.isEmpty { wipedNonEmptyOutputs += 1 }
                // The array API must fail the same way (and release nothing).
                #expect(throws: CryptoError.authenticationFailed, "tcId \(test.tcId)") {
                    _ = try aead.open(test.ct.bytes, nonce: test.iv.bytes, tag: test.tag.bytes, authenticating: test.aad.bytes)
                }
                invalid += 1
            case .acceptable:
                Issue.record("tcId \(test.tcId): unexpected 'acceptable' result")
            }
        }
        #expect(valid == 39)
        #expect(invalid == 27)
        #expect(wipedNonEmptyOutputs == 27) // every invalid vector has a 16-byte ciphertext, so the wipe check bites
    }

    @Test("Keys other than 256 bits are rejected by SymmetricKey")
    func otherKeySizesRejected() {
        var rejected = 0
        for (group, test) in allVectors where group.keySize != 256 {
            #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: test.key.count), "tcId \(test.tcId)") {
                _ = try SymmetricKey(copying: test.key.bytes)
            }
            rejected += 1
        }
        #expect(rejected == 211) // 108 AES-128 + 103 AES-192
    }

    @Test("AES-256 with an IV other than 96 bits is rejected on seal and on open")
    func otherIVSizesRejected() throws {
        var rejected = 0
        for (group, test) in allVectors where group.keySize == 256 && group.ivSize != 96 {
            let aead = try AES256GCM(key: SymmetricKey(copying: test.key.bytes))
            #expect(throws: CryptoError.invalidNonceLength(actual: test.iv.count), "tcId \(test.tcId)") {
                _ = try aead.seal(test.msg.bytes, nonce: test.iv.bytes, authenticating: test.aad.bytes)
            }
            #expect(throws: CryptoError.invalidNonceLength(actual: test.iv.count), "tcId \(test.tcId)") {
                _ = try aead.open(test.ct.bytes, nonce: test.iv.bytes, tag: test.tag.bytes, authenticating: test.aad.bytes)
            }
            rejected += 1
        }
        #expect(rejected == 39) // 37 valid + 2 invalid (empty IV) vectors
    }

    @Test("Every vector falls in exactly one category")
    func categoriesPartitionTheFile() {
        let vault = allVectors.filter { $0.group.keySize == 256 && $0.group.ivSize == 96 && $0.group.tagSize == 128 }.count
        let otherKey = allVectors.filter { $0.group.keySize != 256 }.count
        let otherIV = allVectors.filter { $0.group.keySize == 256 && $0.group.ivSize != 96 }.count
        let otherTag = allVectors.filter { $0.group.keySize == 256 && $0.group.ivSize == 96 && $0.group.tagSize != 128 }.count
        #expect(vault == 66)
        #expect(otherTag == 0) // Wycheproof's AES-GCM file only has 128-bit tags; see the tag-length test below
        #expect(vault + otherKey + otherIV + otherTag == 316)
    }

    @Test("Tags other than 16 bytes are rejected on seal and open", arguments: [0, 1, 4, 8, 12, 15, 17, 32])
    func otherTagLengthsRejected(tagByteCount: Int) throws {
        let vector = try #require(allVectors.first {
            $0.group.keySize == 256 && $0.group.ivSize == 96 && $0.test.result == .valid && !$0.test.msg.bytes.isEmpty
        }).test
        let aead = try AES256GCM(key: SymmetricKey(copying: vector.key.bytes))
        #expect(throws: CryptoError.invalidTagLength(actual: tagByteCount)) {
            _ = try sealRaw(aead, plaintext: vector.msg.bytes, nonce: vector.iv.bytes, aad: vector.aad.bytes,
                            tagByteCount: tagByteCount)
        }
        // A truncated (or padded) version of the correct tag must not be accepted either.
        let tag = Array((vector.tag.bytes + [UInt8](repeating: 0, count: 16)).prefix(tagByteCount))
        #expect(throws: CryptoError.invalidTagLength(actual: tagByteCount)) {
            _ = try aead.open(vector.ct.bytes, nonce: vector.iv.bytes, tag: tag, authenticating: vector.aad.bytes)
        }
    }
}

// MARK: - Properties of the array convenience API

@Suite("AES-256-GCM: round trips and tamper detection")
struct AESGCMPropertyTests {
    @Test("Random plaintexts of every length 0...1000 round-trip, with and without AAD")
    func roundTrip() throws {
        let aead = try AES256GCM(key: .random())
        let nonces = NonceSource()
        var checked = 0
        for length in 0...1000 {
            let plaintext = try SecureRandom.bytes(length)
            for aad in [[], try SecureRandom.bytes(length % 37 + 1)] as [[UInt8]] {
                let nonce = try nonces.next()
                let sealed = try aead.seal(plaintext, nonce: nonce, authenticating: aad)
                #expect(sealed.ciphertext.count == length)
                #expect(sealed.tag.count == 16)
                if length >= 16 { #expect(sealed.ciphertext != plaintext, "length \(length)") }
                let opened = try aead.open(sealed.ciphertext, nonce: nonce, tag: sealed.tag, authenticating: aad)
                #expect(opened.bytesForTesting == plaintext, "length \(length), aad \(aad.count)")
                checked += 1
            }
        }
        #expect(checked == 2002)
    }

    @Test("Flipping any single bit of ciphertext, tag or AAD fails authentication")
    func everyBitFlipDetected() throws {
        let aead = try AES256GCM(key: .random())
        let nonce = try NonceSource().next()
        let plaintext = try SecureRandom.bytes(64)
        let aad = try SecureRandom.bytes(20)
        let sealed = try aead.seal(plaintext, nonce: nonce, authenticating: aad)

        func flipped(_ bytes: [UInt8], bit: Int) -> [UInt8] {
            var copy = bytes
            copy[bit / 8] ^= 1 << UInt8(bit % 8)
            return copy
        }
        var flips = 0
        for bit in 0..<(sealed.ciphertext.count * 8) {
            #expect(throws: CryptoError.authenticationFailed, "ciphertext bit \(bit)") {
                _ = try aead.open(flipped(sealed.ciphertext, bit: bit), nonce: nonce, tag: sealed.tag, authenticating: aad)
            }
            flips += 1
        }
        for bit in 0..<(sealed.tag.count * 8) {
            #expect(throws: CryptoError.authenticationFailed, "tag bit \(bit)") {
                _ = try aead.open(sealed.ciphertext, nonce: nonce, tag: flipped(sealed.tag, bit: bit), authenticating: aad)
            }
            flips += 1
        }
        for bit in 0..<(aad.count * 8) {
            #expect(throws: CryptoError.authenticationFailed, "aad bit \(bit)") {
                _ = try aead.open(sealed.ciphertext, nonce: nonce, tag: sealed.tag, authenticating: flipped(aad, bit: bit))
            }
            flips += 1
        }
        #expect(flips == 512 + 128 + 160)
        // The untouched message still opens.
        #expect(try aead.open(sealed.ciphertext, nonce: nonce, tag: sealed.tag, authenticating: aad).bytesForTesting == plaintext)
    }

    @Test("A different nonce or missing AAD fails authentication")
    func wrongNonceOrAAD() throws {
        let aead = try AES256GCM(key: .random())
        let nonces = NonceSource()
        let nonce = try nonces.next()
        let sealed = try aead.seal(Array("customer 42".utf8), nonce: nonce, authenticating: Array("row:42".utf8))
        #expect(throws: CryptoError.authenticationFailed) {
            _ = try aead.open(sealed.ciphertext, nonce: try nonces.next(), tag: sealed.tag, authenticating: Array("row:42".utf8))
        }
        #expect(throws: CryptoError.authenticationFailed) {
            _ = try aead.open(sealed.ciphertext, nonce: nonce, tag: sealed.tag, authenticating: [UInt8]())
        }
    }

    @Test("The wrong key fails authentication")
    func wrongKey() throws {
        let sealer = try AES256GCM(key: .random())
        let other = try AES256GCM(key: .random())
        let nonce = try NonceSource().next()
        for length in [0, 1, 15, 16, 17, 64, 1000] {
            let plaintext = try SecureRandom.bytes(length)
            let sealed = try sealer.seal(plaintext, nonce: nonce, authenticating: [UInt8]())
            #expect(throws: CryptoError.authenticationFailed, "length \(length)") {
                _ = try other.open(sealed.ciphertext, nonce: nonce, tag: sealed.tag, authenticating: [UInt8]())
            }
        }
    }

    @Test("An instance keeps working after a failed open (no sticky state)")
    func noStickyStateAfterFailure() throws {
        let aead = try AES256GCM(key: .random())
        let nonces = NonceSource()
        for round in 0..<50 {
            let nonce = try nonces.next()
            let plaintext = try SecureRandom.bytes(round * 7)
            let sealed = try aead.seal(plaintext, nonce: nonce, authenticating: [UInt8(round)])
            var badTag = sealed.tag
            badTag[round % 16] ^= 0x80
            #expect(throws: CryptoError.authenticationFailed, "round \(round)") {
                _ = try aead.open(sealed.ciphertext, nonce: nonce, tag: badTag, authenticating: [UInt8(round)])
            }
            // Opening the genuine message right after the failure must succeed...
            let opened = try aead.open(sealed.ciphertext, nonce: nonce, tag: sealed.tag, authenticating: [UInt8(round)])
            #expect(opened.bytesForTesting == plaintext, "round \(round)")
            // ...and sealing again under the same nonce must be deterministic (state fully reset).
            let resealed = try aead.seal(plaintext, nonce: nonce, authenticating: [UInt8(round)])
            #expect(resealed.ciphertext == sealed.ciphertext && resealed.tag == sealed.tag, "round \(round)")
        }
    }

    @Test("A failed open through the raw API wipes a prefilled output buffer")
    func failedOpenWipesOutput() throws {
        let aead = try AES256GCM(key: .random())
        let nonce = try NonceSource().next()
        let plaintext = try SecureRandom.bytes(100)
        var sealed = try aead.seal(plaintext, nonce: nonce, authenticating: [UInt8]())
        sealed.tag[0] ^= 1
        var output = [UInt8](repeating: 0xFF, count: 100)
        #expect(throws: CryptoError.authenticationFailed) {
            try openRaw(aead, ciphertext: sealed.ciphertext, nonce: nonce, tag: sealed.tag, aad: [], into: &output)
        }
        #expect(output == [UInt8](repeating: 0, count: 100))
    }
}
