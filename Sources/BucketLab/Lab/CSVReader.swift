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
    public init(text: String, name: String) throws {
        var records: [[String]] = []
        var field = ""
        var record: [String] = []
        var inQuotes = false
        var atFieldStart = true
        var line = 1
        var chars = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        func nextChar() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return chars.next()
        }
        while let c = nextChar() {
            if inQuotes {
                if c == "\"" {
                    if let n = nextChar() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = n }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard atFieldStart else { throw CSVError(description: "\(name): line \(line): quote inside an unquoted field") }
                inQuotes = true
                atFieldStart = false
            case ",":
                record.append(field)
                field = ""
                atFieldStart = true
            case "\r":
                continue
            case "\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
                atFieldStart = true
                line += 1
            default:
                if c.value < 0x20 && c != "\t" { throw CSVError(description: "\(name): line \(line): control character") }
                field.unicodeScalars.append(c)
                atFieldStart = false
            }
        }
        guard !inQuotes else { throw CSVError(description: "\(name): unterminated quoted field (file truncated?)") }
        if !atFieldStart || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        guard let header = records.first, !(header.count == 1 && header[0].isEmpty) else {
            throw CSVError(description: "\(name): empty file")
        }
        for (i, r) in records.enumerated().dropFirst() where r.count != header.count {
            throw CSVError(description: "\(name): row \(i + 1) has \(r.count) fields, the header has \(header.count) (file truncated or garbled?)")
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
