import Coffer
import CofferSupport
import Foundation

/// The file formats of a written QCL, told apart by the file name's extension.
public enum QCLFileFormat: Sendable {
    case csv, json

    /// The format `path` names (`.csv` or `.json`, any case); nil for anything else.
    public init?(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "csv": self = .csv
        case "json": self = .json
        default: return nil
        }
    }
}

extension Qualifier.ScoreRun {
    /// Writes the QCL to `qcl` in `format` and, when given, the HTML report and the data-quality
    /// file (JSON), each mode 0600: all of them or none. If any cannot be written, the ones
    /// already written are removed, so a QCL never stays behind without the report asked for.
    public func write(qcl: String, format: QCLFileFormat, report: String? = nil, quality: String? = nil) throws {
        do {
            switch format {
            case .csv: try self.qcl.writeCSV(to: qcl)
            case .json: try self.qcl.writeJSON(to: qcl, domain: domain)
            }
            if let report { try PrivateFile.write(Data(ScoreReport.html(self).utf8), to: report) }
            if let quality {
                try PrivateFile.write(try OutputContract.encoder().encode(self.quality), to: quality)
            }
        } catch {
            for path in [qcl, report, quality].compactMap({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
            throw error
        }
    }
}
