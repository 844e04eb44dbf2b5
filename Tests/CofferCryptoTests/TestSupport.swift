import Foundation
import Testing
@testable import CofferCrypto

// MARK: - Hex

/// Parses hex written in a test (whitespace allowed, for vectors copied from specs in blocks).
/// Deliberately independent of `Array(hexString:)` so the module does not grade its own homework.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8).filter { $0 != 0x20 && $0 != 0x0a }
    precondition(digits.count % 2 == 0, "odd-length hex literal in a test")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: preconditionFailure("invalid hex digit in a test literal")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

/// Lowercase hex, independent of the module's `hexString`.
func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

extension SecureBytes {
    /// Copies the secret out for comparison in a test.
    var bytesForTesting: [UInt8] { withUnsafeBytes { Array($0) } }
}

// MARK: - Calling the unsafe-buffer API with arrays

/// Low-level `seal` with an explicitly sized tag buffer (the array API always uses 16 bytes).
func sealRaw(
    _ aead: AES256GCM, plaintext: [UInt8], nonce: [UInt8], aad: [UInt8], tagByteCount: Int = 16
) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
    var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
    var tag = [UInt8](repeating: 0, count: tagByteCount)
    try plaintext.withUnsafeBufferPointer { p in
        try nonce.withUnsafeBufferPointer { n in
            try aad.withUnsafeBufferPointer { a in
                try ciphertext.withUnsafeMutableBufferPointer { c in
                    try tag.withUnsafeMutableBufferPointer { t in
                        try aead.seal(UnsafeRawBufferPointer(p), nonce: UnsafeRawBufferPointer(n),
                                      authenticating: UnsafeRawBufferPointer(a),
                                      ciphertext: UnsafeMutableRawBufferPointer(c), tag: UnsafeMutableRawBufferPointer(t))
                    }
                }
            }
        }
    }
    return (ciphertext, tag)
}

/// Low-level `open` into a caller-owned buffer, so a test can inspect the buffer after a failure.
func openRaw(
    _ aead: AES256GCM, ciphertext: [UInt8], nonce: [UInt8], tag: [UInt8], aad: [UInt8], into plaintext: inout [UInt8]
) throws {
    try ciphertext.withUnsafeBufferPointer { c in
        try nonce.withUnsafeBufferPointer { n in
            try tag.withUnsafeBufferPointer { t in
                try aad.withUnsafeBufferPointer { a in
                    try plaintext.withUnsafeMutableBufferPointer { out in
                        try aead.open(UnsafeRawBufferPointer(c), nonce: UnsafeRawBufferPointer(n),
                                      tag: UnsafeRawBufferPointer(t), authenticating: UnsafeRawBufferPointer(a),
                                      plaintext: UnsafeMutableRawBufferPointer(out))
                    }
                }
            }
        }
    }
}

// MARK: - Wycheproof

/// A hex string from a Wycheproof file, decoded to bytes (a malformed one fails decoding).
struct HexBytes: Decodable, Sendable {
    let bytes: [UInt8]
    var count: Int { bytes.count }

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = [UInt8](hexString: text), hexString(bytes) == text.lowercased() else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad hex \(text)"))
        }
        self.bytes = bytes
    }
}

enum WycheproofResult: String, Decodable, Sendable {
    case valid, invalid, acceptable
}

struct WycheproofFile<Group: Decodable & Sendable>: Decodable, Sendable {
    let algorithm: String
    let numberOfTests: Int
    let testGroups: [Group]
}

struct AEADTestGroup: Decodable, Sendable {
    let ivSize: Int
    let keySize: Int
    let tagSize: Int
    let tests: [AEADTestVector]
}

struct AEADTestVector: Decodable, Sendable {
    let tcId: Int
    let comment: String
    let flags: [String]
    let key: HexBytes
    let iv: HexBytes
    let aad: HexBytes
    let msg: HexBytes
    let ct: HexBytes
    let tag: HexBytes
    let result: WycheproofResult
}

struct MACTestGroup: Decodable, Sendable {
    let keySize: Int
    let tagSize: Int
    let tests: [MACTestVector]
}

struct MACTestVector: Decodable, Sendable {
    let tcId: Int
    let comment: String
    let flags: [String]
    let key: HexBytes
    let msg: HexBytes
    let tag: HexBytes
    let result: WycheproofResult
}

struct HKDFTestGroup: Decodable, Sendable {
    let keySize: Int
    let tests: [HKDFTestVector]
}

struct HKDFTestVector: Decodable, Sendable {
    let tcId: Int
    let comment: String
    let flags: [String]
    let ikm: HexBytes
    let salt: HexBytes
    let info: HexBytes
    let size: Int
    let okm: HexBytes
    let result: WycheproofResult
}

enum VectorLoadingError: Error {
    case missingResource(String)
}

/// Decodes `Vectors/<name>.json` from the test bundle.
func loadWycheproof<Group: Decodable & Sendable>(_ name: String, as _: Group.Type = Group.self) throws -> WycheproofFile<Group> {
    guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Vectors") else {
        throw VectorLoadingError.missingResource("Vectors/\(name).json")
    }
    return try JSONDecoder().decode(WycheproofFile<Group>.self, from: Data(contentsOf: url))
}
