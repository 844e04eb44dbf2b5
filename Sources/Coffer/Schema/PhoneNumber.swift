/// Phone numbers in E.164 form (`+<country code><national significant number>`).
///
/// A number written internationally (`+44 121 496 0613`, `0044 121 496 0613`, `+44 (0)121 …`)
/// carries its country; one written nationally (`0121 496 0613`, `(213) 555-0142`) is read in a
/// region: the row's own (a schema field named by `region_from`), else the field's `region`, else
/// the schema's `phone_region`. National forms are understood for the regions of `PhoneNumbering.regions`
/// (trunk prefix removed, length checked); any other country must be written internationally,
/// and its country calling code must be an assigned one.
public enum PhoneNumbering {
    /// How one region writes its numbers nationally.
    public struct Region: Sendable, Equatable {
        /// ISO 3166-1 alpha-2.
        public let code: String
        public let callingCode: String
        /// Dialled before a national number inside the country (removed in E.164); empty if none.
        public let trunkPrefix: String
        /// Lengths of the national significant number (without trunk prefix).
        public let lengths: ClosedRange<Int>
    }

    /// The regions whose national forms Coffer understands: those of the demo data, and the
    /// countries sharing their calling codes. Lengths follow the ITU-T E.164 national plans.
    public static let regions: [String: Region] = {
        let table: [(String, String, String, ClosedRange<Int>)] = [
            ("US", "1", "1", 10...10), ("CA", "1", "1", 10...10),
            ("GB", "44", "0", 7...10), ("DE", "49", "0", 6...13), ("FR", "33", "0", 9...9),
            ("ES", "34", "", 9...9), ("IT", "39", "", 6...11), ("NL", "31", "0", 9...9),
            ("PL", "48", "", 9...9), ("UA", "380", "0", 9...9), ("CN", "86", "0", 9...11),
            ("JP", "81", "0", 9...10), ("IN", "91", "0", 10...10), ("BR", "55", "0", 10...11),
            ("MX", "52", "", 10...10), ("AU", "61", "0", 9...9), ("SE", "46", "0", 7...9),
            ("IE", "353", "0", 7...9), ("PT", "351", "", 9...9), ("KR", "82", "0", 8...10),
        ]
        return Dictionary(uniqueKeysWithValues: table.map { ($0.0, Region(code: $0.0, callingCode: $0.1, trunkPrefix: $0.2, lengths: $0.3)) })
    }()

    /// The plan of the regions above by calling code (US and CA share NANP's).
    private static let plans: [String: Region] = Dictionary(regions.values.map { ($0.callingCode, $0) }, uniquingKeysWith: { a, b in a.code < b.code ? b : a })

    /// Assigned country calling codes (ITU-T E.164 list). They form a prefix code: no code is
    /// the beginning of another.
    static let callingCodes: Set<String> = {
        var codes: Set<String> = ["1", "7"]
        codes.formUnion(["20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
                         "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66",
                         "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"])
        let three: [ClosedRange<Int>] = [211...213, 216...216, 218...258, 260...269, 290...291, 297...299, 350...359,
                                         370...383, 385...387, 389...389, 420...421, 423...423, 500...509, 590...599,
                                         670...670, 672...683, 685...692, 800...800, 808...808, 850...850, 852...853,
                                         855...856, 870...870, 878...878, 880...883, 886...886, 888...888, 960...968,
                                         970...977, 979...979, 992...996, 998...998]
        for range in three { for code in range { codes.insert(String(code)) } }
        return codes
    }()

    /// Why a number was refused; never repeats the number.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        /// Letters or symbols other than spaces, dashes, dots, slashes, parentheses and a leading +.
        case notANumber
        /// A national form, and no region to read it in.
        case noRegion
        /// A national form for a region whose numbering Coffer does not know.
        case regionNotCovered(String)
        case unknownCountryCode
        case wrongLength(region: String, lengths: ClosedRange<Int>)
        case invalidForRegion(String)
        case tooLong

        public var description: String {
            switch self {
            case .notANumber:
                "not a phone number (digits, with an optional leading + or 00, spaces, dashes, dots, slashes and parentheses)"
            case .noRegion:
                "a national number and no region to read it in; write it in international form (+<country code> …) or set phone_region in the schema"
            case let .regionNotCovered(region):
                "a national number for region \(region), whose numbering Coffer does not know; write it in international form (+<country code> …)"
            case .unknownCountryCode:
                "unknown country calling code after + (or 00)"
            case let .wrongLength(region, lengths):
                "wrong length for \(region): a national number there has \(lengths.count == 1 ? "\(lengths.lowerBound)" : "\(lengths.lowerBound) to \(lengths.upperBound)") digits after the trunk prefix"
            case let .invalidForRegion(region):
                "not a valid number for \(region)"
            case .tooLong:
                "longer than the 15 digits of an international number"
            }
        }
    }

    /// `text` in E.164 form, reading a national form in `region` (ISO 3166-1 alpha-2, any case).
    public static func e164(_ text: String, region: String?) throws(Problem) -> String {
        var bytes = Array(text.utf8)
        var international = false
        if bytes.first == 0x2b { // +
            international = true
            bytes.removeFirst()
        }
        var digits: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x30...0x39: digits.append(b)
            case 0x20, 0x2d, 0x2e, 0x2f, 0x29: break
            case 0x28:
                // "+44 (0)121 …": the trunk prefix in parentheses is not dialled from abroad.
                if international, i + 2 < bytes.count, bytes[i + 1] == 0x30, bytes[i + 2] == 0x29 { i += 2 }
            default: throw .notANumber
            }
            i += 1
        }
        guard !digits.isEmpty else { throw .notANumber }
        var national = String(decoding: digits, as: UTF8.self)
        let home = region.map { $0.uppercased() }
        if !international {
            if national.hasPrefix("00") {
                international = true
                national.removeFirst(2)
            } else if home == "US" || home == "CA", national.hasPrefix("011") {
                international = true
                national.removeFirst(3)
            }
        }
        if international {
            guard national.count <= 15 else { throw .tooLong }
            guard let code = (1...3).lazy.map({ String(national.prefix($0)) }).first(where: { callingCodes.contains($0) }) else {
                throw .unknownCountryCode
            }
            var rest = String(national.dropFirst(code.count))
            if let plan = plans[code] {
                // "+44 0121 …" is a common mistake for "+44 121 …" where 0 is only a trunk prefix.
                if plan.trunkPrefix == "0", rest.hasPrefix("0") { rest.removeFirst() }
                try check(rest, plan: plan, name: "+\(code)")
            } else {
                guard rest.count >= 4 else { throw .wrongLength(region: "+\(code)", lengths: 4...(15 - code.count)) }
            }
            return "+" + code + rest
        }
        guard let home else { throw .noRegion }
        guard let plan = regions[home] else { throw .regionNotCovered(home) }
        // A trunk prefix of 0 never starts a national significant number; NANP's 1 is told apart by length.
        if plan.trunkPrefix == "0", national.hasPrefix("0") {
            national.removeFirst()
        } else if !plan.trunkPrefix.isEmpty, national.hasPrefix(plan.trunkPrefix), !plan.lengths.contains(national.count) {
            national.removeFirst(plan.trunkPrefix.count)
        }
        try check(national, plan: plan, name: plan.code)
        return "+" + plan.callingCode + national
    }

    private static func check(_ national: String, plan: Region, name: String) throws(Problem) {
        guard plan.lengths.contains(national.count) else { throw .wrongLength(region: name, lengths: plan.lengths) }
        if plan.callingCode == "1" {
            // NANP: area code and exchange start with 2-9.
            let d = Array(national.utf8)
            guard d[0] >= 0x32, d[3] >= 0x32 else { throw .invalidForRegion(name) }
        } else if plan.trunkPrefix == "0", national.hasPrefix("0") {
            throw .invalidForRegion(name)
        }
    }
}
