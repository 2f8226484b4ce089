import ArgumentParser
import BucketLab
#if canImport(Glibc)
import Glibc
#endif

/// Exit statuses (sysexits.h): 64 bad command line, 65 bad input data.
enum ExitStatus {
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
}

/// An input file that cannot be used (exit 65).
struct DataError: Error, CustomStringConvertible {
    let description: String
}

extension BucketLabCommand {
    /// Parses and runs; any error becomes one line on stderr and a non-zero
    /// status, never a stack trace or a usage dump.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            // A command that has said what went wrong and chose its status.
            Glibc.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help and friends.
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let status: Int32
            let text: String
            switch error {
            case let e as DataError: status = ExitStatus.dataError; text = e.description
            case let e as CSVError: status = ExitStatus.dataError; text = e.description
            case let e as OutputError: status = ExitStatus.usage; text = e.description
            case let e as JemallocError: status = 70; text = e.description
            default: status = ExitStatus.usage; text = message(for: error)
            }
            let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "failed"
            writeStandardError("bucketlab: \(line)\n")
            Glibc.exit(status)
        }
    }
}

/// Writes straight to file descriptor 2 (no shared FILE state).
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
