import CPKCS11
import CofferCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What went wrong with a PKCS#11 token. None of these ever carries a PIN or key material.
public enum Pkcs11Failure: Equatable, Sendable {
    /// The path is not a loadable PKCS#11 module (no file, not a library, no C_GetFunctionList).
    case moduleInvalid(path: String)
    /// The vault's root key is protected by a token and no module was named.
    case moduleMissing
    /// No token with this label is present in any slot of the module.
    case tokenMissing(label: String)
    /// The token holds no AES key with this label.
    case keyMissing(label: String)
    /// The vault's root key is protected by a token and no PIN was given.
    case pinMissing
    /// The token refused the PIN.
    case pinIncorrect
    /// The token locked its user PIN (too many wrong attempts).
    case pinLocked
    /// The vault's root key is not protected by a token, but token options were given.
    case notUsed
    /// Any other failure of the module: the function and its return value.
    case failed(function: String, returnValue: UInt)
}

/// Where a vault's root key is wrapped: the module the administrator names, a token label and
/// the label of a non-extractable AES-256 key inside that token.
public struct Pkcs11Location: Sendable, Equatable {
    public var module: String
    public var tokenLabel: String
    public var keyLabel: String
    public init(module: String, tokenLabel: String, keyLabel: String) {
        self.module = module
        self.tokenLabel = tokenLabel
        self.keyLabel = keyLabel
    }
}

/// A logged-in session with the token that wraps a vault's root key, through the PKCS#11 C API
/// of a module loaded with dlopen. Used only while a vault is created or opened, then closed:
/// logged out, the session closed, the module finalized and unloaded.
///
/// The token's key encrypts the 32-byte root key with CKM_AES_GCM (a 96-bit random IV, a 128-bit
/// tag, the vault's id as additional data); the key is generated inside the token with
/// CKA_SENSITIVE and not CKA_EXTRACTABLE, so it never leaves it.
final class Pkcs11Token {
    private let library: UnsafeMutableRawPointer
    private let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    private let session: CK_SESSION_HANDLE
    private let finalize: Bool
    let location: Pkcs11Location

    private init(library: UnsafeMutableRawPointer, functions: UnsafeMutablePointer<CK_FUNCTION_LIST>, session: CK_SESSION_HANDLE,
                 finalize: Bool, location: Pkcs11Location) {
        self.library = library
        self.functions = functions
        self.session = session
        self.finalize = finalize
        self.location = location
    }

    deinit {
        _ = functions.pointee.C_Logout?(session)
        _ = functions.pointee.C_CloseSession?(session)
        if finalize { _ = functions.pointee.C_Finalize?(nil) }
        dlclose(library)
    }

    /// Loads the module, finds the token by label and logs in as its user with `pin`.
    static func open(_ location: Pkcs11Location, pin: SecureBytes) throws(VaultError) -> Pkcs11Token {
        guard let library = dlopen(location.module, RTLD_NOW | RTLD_LOCAL) else {
            throw .pkcs11(.moduleInvalid(path: location.module))
        }
        var keepLibrary = false
        defer { if !keepLibrary { dlclose(library) } }
        typealias GetFunctionList = @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<CK_FUNCTION_LIST>?>?) -> CK_RV
        guard let symbol = dlsym(library, "C_GetFunctionList") else { throw .pkcs11(.moduleInvalid(path: location.module)) }
        let getFunctionList = unsafeBitCast(symbol, to: GetFunctionList.self)
        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
        guard getFunctionList(&list) == CKR_OK, let functions = list else { throw .pkcs11(.moduleInvalid(path: location.module)) }
        var arguments = CK_C_INITIALIZE_ARGS()
        arguments.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
        let initialized = withUnsafeMutablePointer(to: &arguments) { functions.pointee.C_Initialize?(UnsafeMutableRawPointer($0)) }
        guard let initialized, initialized == CKR_OK || initialized == CKR_CRYPTOKI_ALREADY_INITIALIZED else {
            throw .pkcs11(.failed(function: "C_Initialize", returnValue: initialized ?? CKR_FUNCTION_NOT_SUPPORTED))
        }
        let finalize = initialized == CKR_OK
        var finalizeOnError = finalize
        defer { if finalizeOnError { _ = functions.pointee.C_Finalize?(nil) } }

        let slot = try findSlot(functions, label: location.tokenLabel)
        var session: CK_SESSION_HANDLE = 0
        let opened = functions.pointee.C_OpenSession!(slot, CK_FLAGS(CKF_SERIAL_SESSION | CKF_RW_SESSION), nil, nil, &session)
        guard opened == CKR_OK else { throw .pkcs11(.failed(function: "C_OpenSession", returnValue: opened)) }
        let loggedIn = pin.withUnsafeBytes { bytes in
            functions.pointee.C_Login!(session, CK_USER_TYPE(CKU_USER),
                                       UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)),
                                       CK_ULONG(bytes.count))
        }
        guard loggedIn == CKR_OK || loggedIn == CKR_USER_ALREADY_LOGGED_IN else {
            _ = functions.pointee.C_CloseSession?(session)
            switch loggedIn {
            case CKR_PIN_INCORRECT, CKR_PIN_LEN_RANGE, CKR_PIN_INVALID: throw .pkcs11(.pinIncorrect)
            case CKR_PIN_LOCKED: throw .pkcs11(.pinLocked)
            default: throw .pkcs11(.failed(function: "C_Login", returnValue: loggedIn))
            }
        }
        keepLibrary = true
        finalizeOnError = false
        return Pkcs11Token(library: library, functions: functions, session: session, finalize: finalize, location: location)
    }

    /// The slot whose token's label is `label` (labels are 32 bytes, padded with spaces).
    private static func findSlot(_ functions: UnsafeMutablePointer<CK_FUNCTION_LIST>, label: String) throws(VaultError) -> CK_SLOT_ID {
        var count: CK_ULONG = 0
        var rv = functions.pointee.C_GetSlotList!(CK_BBOOL(CK_TRUE), nil, &count)
        guard rv == CKR_OK else { throw .pkcs11(.failed(function: "C_GetSlotList", returnValue: rv)) }
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        rv = functions.pointee.C_GetSlotList!(CK_BBOOL(CK_TRUE), &slots, &count)
        guard rv == CKR_OK else { throw .pkcs11(.failed(function: "C_GetSlotList", returnValue: rv)) }
        for slot in slots.prefix(Int(count)) {
            var info = CK_TOKEN_INFO()
            guard functions.pointee.C_GetTokenInfo!(slot, &info) == CKR_OK else { continue }
            let padded = withUnsafeBytes(of: info.label) { Array($0) }
            var end = padded.count
            while end > 0, padded[end - 1] == UInt8(ascii: " ") || padded[end - 1] == 0 { end -= 1 }
            if padded[0..<end].elementsEqual(label.utf8) { return slot }
        }
        throw .pkcs11(.tokenMissing(label: label))
    }

    /// The AES secret key labelled `location.keyLabel`, if the token holds one.
    func findKey() throws(VaultError) -> CK_OBJECT_HANDLE? {
        let template = Template()
        template.add(CK_ATTRIBUTE_TYPE(CKA_CLASS), ulong: CK_ULONG(CKO_SECRET_KEY))
        template.add(CK_ATTRIBUTE_TYPE(CKA_KEY_TYPE), ulong: CK_ULONG(CKK_AES))
        template.add(CK_ATTRIBUTE_TYPE(CKA_LABEL), bytes: Array(location.keyLabel.utf8))
        var rv = template.attributes.withUnsafeMutableBufferPointer { functions.pointee.C_FindObjectsInit!(session, $0.baseAddress, CK_ULONG($0.count)) }
        guard rv == CKR_OK else { throw .pkcs11(.failed(function: "C_FindObjectsInit", returnValue: rv)) }
        var objects = [CK_OBJECT_HANDLE](repeating: 0, count: 2)
        var found: CK_ULONG = 0
        rv = functions.pointee.C_FindObjects!(session, &objects, 2, &found)
        _ = functions.pointee.C_FindObjectsFinal!(session)
        guard rv == CKR_OK else { throw .pkcs11(.failed(function: "C_FindObjects", returnValue: rv)) }
        // Two keys under one label: which one wraps the vault would be a guess. Fail closed.
        guard found <= 1 else { throw .pkcs11(.failed(function: "C_FindObjects (more than one key labelled \(location.keyLabel))", returnValue: CKR_GENERAL_ERROR)) }
        return found == 1 ? objects[0] : nil
    }

    /// Generates a new AES-256 key in the token: persistent, private, sensitive, never extractable,
    /// usable only to encrypt and decrypt.
    func generateKey() throws(VaultError) -> CK_OBJECT_HANDLE {
        let template = Template()
        template.add(CK_ATTRIBUTE_TYPE(CKA_CLASS), ulong: CK_ULONG(CKO_SECRET_KEY))
        template.add(CK_ATTRIBUTE_TYPE(CKA_KEY_TYPE), ulong: CK_ULONG(CKK_AES))
        template.add(CK_ATTRIBUTE_TYPE(CKA_VALUE_LEN), ulong: 32)
        template.add(CK_ATTRIBUTE_TYPE(CKA_LABEL), bytes: Array(location.keyLabel.utf8))
        for (attribute, value) in [(CKA_TOKEN, true), (CKA_PRIVATE, true), (CKA_SENSITIVE, true), (CKA_EXTRACTABLE, false),
                                   (CKA_ENCRYPT, true), (CKA_DECRYPT, true), (CKA_WRAP, false), (CKA_UNWRAP, false),
                                   (CKA_SIGN, false), (CKA_VERIFY, false), (CKA_DERIVE, false)] {
            template.add(CK_ATTRIBUTE_TYPE(attribute), bool: value)
        }
        var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_AES_KEY_GEN), pParameter: nil, ulParameterLen: 0)
        var key: CK_OBJECT_HANDLE = 0
        let rv = template.attributes.withUnsafeMutableBufferPointer { attributes in
            functions.pointee.C_GenerateKey!(session, &mechanism, attributes.baseAddress, CK_ULONG(attributes.count), &key)
        }
        guard rv == CKR_OK else { throw .pkcs11(.failed(function: "C_GenerateKey", returnValue: rv)) }
        return key
    }

    /// Destroys a key this process generated (when creating the vault failed after it).
    func destroy(_ key: CK_OBJECT_HANDLE) {
        _ = functions.pointee.C_DestroyObject?(session, key)
    }

    static let nonceByteCount = 12
    static let tagByteCount = 16

    /// The token's AES-GCM mechanism for `nonce` and `aad` (a 128-bit tag), valid inside `body`:
    /// the one place its parameters are built, for sealing and opening alike.
    private static func withGCM(nonce: inout [UInt8], aad: inout [UInt8], _ body: (inout CK_MECHANISM) -> CK_RV) -> CK_RV {
        nonce.withUnsafeMutableBufferPointer { iv in
            aad.withUnsafeMutableBufferPointer { aad in
                var parameters = CK_GCM_PARAMS(pIv: iv.baseAddress, ulIvLen: CK_ULONG(iv.count), ulIvBits: CK_ULONG(iv.count * 8),
                                               pAAD: aad.baseAddress, ulAADLen: CK_ULONG(aad.count), ulTagBits: CK_ULONG(tagByteCount * 8))
                return withUnsafeMutablePointer(to: &parameters) { parameters in
                    var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_AES_GCM), pParameter: UnsafeMutableRawPointer(parameters),
                                                 ulParameterLen: CK_ULONG(MemoryLayout<CK_GCM_PARAMS>.size))
                    return body(&mechanism)
                }
            }
        }
    }

    /// `nonce | ciphertext | tag` of `plaintext` under `key` with AES-GCM inside the token.
    func seal(_ plaintext: SecureBytes, key: CK_OBJECT_HANDLE, aad: [UInt8]) throws(VaultError) -> [UInt8] {
        var nonce: [UInt8]
        do { nonce = try SecureRandom.bytes(Self.nonceByteCount) } catch { throw .crypto(error) }
        var aad = aad
        var output = [UInt8](repeating: 0, count: plaintext.count + Self.tagByteCount)
        var outputCount = CK_ULONG(output.count)
        let rv = Self.withGCM(nonce: &nonce, aad: &aad) { mechanism in
            let started = functions.pointee.C_EncryptInit!(session, &mechanism, key)
            guard started == CKR_OK else { return started }
            return plaintext.withUnsafeBytes { input in
                output.withUnsafeMutableBufferPointer { out in
                    functions.pointee.C_Encrypt!(session, UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self)),
                                                 CK_ULONG(input.count), out.baseAddress, &outputCount)
                }
            }
        }
        guard rv == CKR_OK, Int(outputCount) == plaintext.count + Self.tagByteCount else {
            throw .pkcs11(.failed(function: "C_Encrypt", returnValue: rv))
        }
        return nonce + output
    }

    /// Opens what `seal` made; a wrong key, altered bytes or other additional data fail as
    /// `wrongRootKey`. The plaintext lands in wiping memory only.
    func open(_ sealed: [UInt8], key: CK_OBJECT_HANDLE, aad: [UInt8]) throws(VaultError) -> SecureBytes {
        guard sealed.count > Self.nonceByteCount + Self.tagByteCount else { throw .corruptVault("the token-wrapped root key is too short") }
        var nonce = Array(sealed[0..<Self.nonceByteCount])
        var ciphertext = Array(sealed[Self.nonceByteCount...])
        var aad = aad
        var outputCount = CK_ULONG(ciphertext.count)
        var rv: CK_RV = CKR_OK
        let buffer = SecureBytes(count: ciphertext.count) { (out: UnsafeMutableRawBufferPointer) -> Void in
            rv = Self.withGCM(nonce: &nonce, aad: &aad) { mechanism in
                let started = functions.pointee.C_DecryptInit!(session, &mechanism, key)
                guard started == CKR_OK else { return started }
                return ciphertext.withUnsafeMutableBufferPointer { input in
                    functions.pointee.C_Decrypt!(session, input.baseAddress, CK_ULONG(input.count),
                                                 out.baseAddress!.assumingMemoryBound(to: UInt8.self), &outputCount)
                }
            }
        }
        switch rv {
        case CKR_OK:
            guard Int(outputCount) <= buffer.count else { throw .wrongRootKey }
            return buffer.withUnsafeBytes { SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<Int(outputCount)])) }
        case CKR_ENCRYPTED_DATA_INVALID, CKR_ENCRYPTED_DATA_LEN_RANGE, CKR_GENERAL_ERROR, CKR_FUNCTION_FAILED:
            // SoftHSM2 reports a failed tag check as CKR_ENCRYPTED_DATA_INVALID (others as a general failure).
            throw .wrongRootKey
        default:
            throw .pkcs11(.failed(function: "C_Decrypt", returnValue: rv))
        }
    }
}

/// A CK_ATTRIBUTE template whose values stay allocated as long as it lives.
private final class Template {
    private var buffers: [UnsafeMutableRawPointer] = []
    var attributes: [CK_ATTRIBUTE] = []

    func add(_ type: CK_ATTRIBUTE_TYPE, ulong value: CK_ULONG) {
        add(type, bytes: withUnsafeBytes(of: value) { Array($0) })
    }

    func add(_ type: CK_ATTRIBUTE_TYPE, bool value: Bool) {
        add(type, bytes: [value ? UInt8(CK_TRUE) : UInt8(CK_FALSE)])
    }

    func add(_ type: CK_ATTRIBUTE_TYPE, bytes: [UInt8]) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        bytes.withUnsafeBytes { if $0.count > 0 { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        buffers.append(buffer)
        attributes.append(CK_ATTRIBUTE(type: type, pValue: buffer, ulValueLen: CK_ULONG(bytes.count)))
    }

    deinit { buffers.forEach { $0.deallocate() } }
}
