/// The `customers.fields` blob: each field's sealed value under its name.
///
/// ```
/// version (1) | repeated: name length (1) | name | sealed length (4, big-endian) | sealed
/// ```
/// Names are schema field names (not PII). Each sealed value is bound to its customer and field
/// through the AAD, so entries cannot be swapped between fields or customers.
struct FieldContainer {
    static let version: UInt8 = 1
    var entries: [(name: String, sealed: [UInt8])] = []

    init() {}

    init(decoding bytes: [UInt8]) throws(VaultError) {
        guard let first = bytes.first, first == Self.version else { throw .corruptVault("unknown field container version") }
        var i = 1
        while i < bytes.count {
            let nameCount = Int(bytes[i])
            i += 1
            guard i + nameCount + 4 <= bytes.count else { throw .corruptVault("truncated field container") }
            let name = String(decoding: bytes[i..<i + nameCount], as: UTF8.self)
            i += nameCount
            let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            i += 4
            guard i + length <= bytes.count else { throw .corruptVault("truncated field container") }
            entries.append((name, Array(bytes[i..<i + length])))
            i += length
        }
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = [Self.version]
        out.reserveCapacity(1 + entries.reduce(0) { $0 + 5 + $1.name.utf8.count + $1.sealed.count })
        for entry in entries {
            let name = Array(entry.name.utf8)
            out.append(UInt8(name.count))
            out.append(contentsOf: name)
            let n = entry.sealed.count
            out.append(contentsOf: [UInt8(truncatingIfNeeded: n >> 24), UInt8(truncatingIfNeeded: n >> 16),
                                    UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)])
            out.append(contentsOf: entry.sealed)
        }
        return out
    }

    func sealed(_ name: String) -> [UInt8]? {
        entries.first { $0.name == name }?.sealed
    }

    mutating func set(_ name: String, _ sealed: [UInt8]?) {
        if let index = entries.firstIndex(where: { $0.name == name }) {
            if let sealed { entries[index].sealed = sealed } else { entries.remove(at: index) }
        } else if let sealed {
            entries.append((name, sealed))
        }
    }
}
