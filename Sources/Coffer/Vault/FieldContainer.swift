/// The `customers.fields` blob: each present field's sealed value, keyed by its position in
/// the vault's schema (stored in the vault, so positions never shift under existing data).
///
/// ```
/// version (1) | repeated: field position (1) | sealed length (LEB128) | sealed
/// ```
/// Each sealed value is bound to its customer and field *name* through the AAD, so entries
/// cannot be swapped between fields or customers.
struct FieldContainer {
    static let version: UInt8 = 1
    /// Slices of the decoded blob (no copies) or of newly sealed values.
    private(set) var slots: [ArraySlice<UInt8>?]

    init(fieldCount: Int) {
        slots = Array(repeating: nil, count: fieldCount)
    }

    init(decoding bytes: [UInt8], fieldCount: Int) throws(VaultError) {
        slots = Array(repeating: nil, count: fieldCount)
        guard let first = bytes.first, first == Self.version else { throw .corruptVault("unknown field container version") }
        var i = 1
        while i < bytes.count {
            let position = Int(bytes[i])
            i += 1
            var length = 0, shift = 0
            while true {
                guard i < bytes.count, shift <= 28 else { throw .corruptVault("truncated field container") }
                let byte = bytes[i]
                i += 1
                length |= Int(byte & 0x7f) << shift
                if byte & 0x80 == 0 { break }
                shift += 7
            }
            guard position < fieldCount, slots[position] == nil else { throw .corruptVault("field container names an unknown or repeated field") }
            guard i + length <= bytes.count else { throw .corruptVault("truncated field container") }
            slots[position] = bytes[i..<i + length]
            i += length
        }
    }

    subscript(position: Int) -> ArraySlice<UInt8>? {
        get { slots[position] }
        set { slots[position] = newValue }
    }

    var presentCount: Int { slots.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    func encoded() -> [UInt8] {
        var out: [UInt8] = [Self.version]
        out.reserveCapacity(1 + slots.reduce(0) { $0 + ($1.map { $0.count + 4 } ?? 0) })
        for (position, sealed) in slots.enumerated() {
            guard let sealed else { continue }
            out.append(UInt8(position))
            var n = sealed.count
            repeat {
                let low = UInt8(n & 0x7f)
                n >>= 7
                out.append(n > 0 ? low | 0x80 : low)
            } while n > 0
            out.append(contentsOf: sealed)
        }
        return out
    }
}
