import CofferSupport
import Foundation

/// The rows an import rejected, written back out as CSV (mode 0600, in the source's encoding and
/// delimiter) in file order: the source
/// header and each rejected row's fields as read, then the reason
/// (`ImportReport.rejectReasonColumn`). The user fixes the rows and imports the file again.
///
/// It holds customer data (the rejected values themselves), so it is created owner-only and
/// removed again when the import fails or rejects nothing.
final class RejectsFile {
    let path: String
    private let writer: CSVWriter
    private let width: Int

    /// `dialect`: the source's, so the file opens like the one the user exported.
    init(path: String, header: [String], dialect: CSVDialect) throws(CSVError) {
        self.path = path
        writer = try CSVWriter(path: path, dialect: dialect)
        width = header.count
        do { try writer.write(header + [ImportReport.rejectReasonColumn]) } catch {
            discard()
            throw error
        }
    }

    /// Writes `rejections` (one batch's, from both stages) in line order, each with the fields
    /// its line held in `source`. A row whose fields could not be read in full (a malformed
    /// record) keeps what was read, padded so the reason stays in its column.
    func write(_ rejections: [ImportReport.Rejection], source: [Int: [String]]) throws(CSVError) {
        for rejection in rejections.sorted(by: { $0.line < $1.line }) {
            var fields = source[rejection.line] ?? []
            if fields.count < width { fields += Array(repeating: "", count: width - fields.count) }
            try writer.write(fields + [rejection.reason])
        }
    }

    func close() throws(CSVError) {
        try writer.close()
    }

    /// Removes the file (an import that failed, or rejected nothing).
    func discard() {
        try? writer.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}
