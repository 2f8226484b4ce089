// Reading the CSV files a run wrote back (for `plot` and `compare`): RFC 4180
// with strict checks, so a truncated or garbled file is refused, not guessed.

/// A CSV file that cannot be used; the message names the file and the fault.
public struct CSVError: Error, CustomStringConvertible {
    public let description: String
}

/// A parsed CSV table with a header row.
public struct CSVDocument {
    public let header: [String]
    public let rows: [[String]]

    /// Parses `text`; every row must have as many fields as the header.
    /// Strict RFC 4180: a quote opens a field or not at all, a closing quote is
    /// followed by a comma or a line end, a carriage return only ends a line
    /// (before a line feed), and control characters other than tab are refused.
    public init(text: String, name: String) throws {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var afterQuote = false   // just closed a quoted field
        var atFieldStart = true
        var line = 1
        let scalars = Array(text.unicodeScalars)
        var i = 0
        func fail(_ why: String) -> CSVError { CSVError(description: "\(name): line \(line): \(why)") }
        func endField() {
            record.append(field)
            field = ""
            atFieldStart = true
            afterQuote = false
        }
        while i < scalars.count {
            let c = scalars[i]
            i += 1
            if c.value < 0x20 && c != "\t" && c != "\n" && c != "\r" { throw fail("control character") }
            if inQuotes {
                if c == "\"" {
                    if i < scalars.count && scalars[i] == "\"" {
                        field.unicodeScalars.append("\"")
                        i += 1
                    } else {
                        inQuotes = false
                        afterQuote = true
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard atFieldStart else { throw fail("quote inside an unquoted field") }
                inQuotes = true
                atFieldStart = false
            case ",":
                endField()
            case "\r":
                guard i < scalars.count && scalars[i] == "\n" else { throw fail("carriage return without a line feed") }
            case "\n":
                endField()
                records.append(record)
                record = []
                line += 1
            default:
                guard !afterQuote else { throw fail("text after a closing quote") }
                field.unicodeScalars.append(c)
                atFieldStart = false
            }
        }
        guard !inQuotes else { throw CSVError(description: "\(name): unterminated quoted field (file truncated?)") }
        if !atFieldStart || !record.isEmpty {
            endField()
            records.append(record)
        }
        guard let header = records.first, !(header.count == 1 && header[0].isEmpty) else {
            throw CSVError(description: "\(name): empty file")
        }
        for (n, r) in records.enumerated().dropFirst() where r.count != header.count {
            throw CSVError(description: "\(name): row \(n + 1) has \(r.count) fields, the header has \(header.count) (file truncated or garbled?)")
        }
        self.header = header
        rows = Array(records.dropFirst())
    }

    /// Reads and parses a file.
    public init(path: String) throws {
        guard let text = readTextFile(path) else { throw CSVError(description: "cannot read \(path)") }
        try self.init(text: text, name: path)
    }

    /// Column index of `name`, or an error naming the file.
    public func column(_ name: String, in file: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else { throw CSVError(description: "\(file): no column '\(name)'") }
        return i
    }

    /// Checks the header is exactly `expected`.
    public func expectHeader(_ expected: [String], file: String) throws {
        guard header == expected else {
            throw CSVError(description: "\(file): unexpected header (not a file bucketlab wrote, or from another version)")
        }
    }
}

/// The whole file as UTF-8 text, nil when it cannot be read or is not UTF-8.
public func readTextFile(_ path: String) -> String? {
    guard let f = fopen(path, "r") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n > 0 { bytes += buffer[0..<n] }
        if n < buffer.count { break }
    }
    if ferror(f) != 0 { return nil }
    return String(validating: bytes, as: UTF8.self)
}

#if canImport(Glibc)
import Glibc
#endif
