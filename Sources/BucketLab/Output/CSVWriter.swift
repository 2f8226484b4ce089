#if canImport(Glibc)
import Glibc
#endif

/// RFC 4180 CSV text: fields with commas, quotes or line breaks are quoted,
/// quotes doubled, lines end in CRLF.
public struct CSVTable: Sendable {
    public var header: [String]
    public var rows: [[String]] = []

    public init(header: [String]) { self.header = header }

    public mutating func append(_ row: [String]) {
        precondition(row.count == header.count, "CSV row has \(row.count) fields, header has \(header.count)")
        rows.append(row)
    }

    public static func escape(_ field: String) -> String {
        // Scalars, not Characters: "\r\n" is one Character, equal to neither
        // "\r" nor "\n" (a bug the CSV fuzzer found).
        guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else {
            return field
        }
        var out = String.UnicodeScalarView()
        out.append("\"")
        for u in field.unicodeScalars {
            out.append(u)
            if u == "\"" { out.append("\"") }
        }
        out.append("\"")
        return String(out)
    }

    public var text: String {
        ([header] + rows).map { $0.map(Self.escape).joined(separator: ",") + "\r\n" }.joined()
    }
}

/// Errors writing result files (or starting what writes them).
public struct OutputError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Writes `contents` to `path` through a temporary file in the same directory
/// and a rename, so a crash never leaves half a file under the real name.
public func writeFileAtomically(_ contents: String, to path: String) throws {
    try writeFileAtomically(bytes: Array(contents.utf8), to: path)
}

public func writeFileAtomically(bytes: [UInt8], to path: String) throws {
    let tmp = path + ".tmp-\(getpid())"
    guard let f = fopen(tmp, "w") else {
        throw OutputError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
    }
    let written = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
    let flushed = fflush(f) == 0 && fsync(fileno(f)) == 0
    fclose(f)
    guard written == bytes.count, flushed else {
        unlink(tmp)
        throw OutputError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
    }
    guard rename(tmp, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(tmp)
        throw OutputError(description: "cannot write \(path): \(reason)")
    }
}

/// Creates `dir` (and parents) if needed and proves it writable, before any
/// work starts.
public func prepareOutputDirectory(_ dir: String) throws {
    guard !dir.isEmpty else { throw OutputError(description: "output directory is empty") }
    var path = dir.hasPrefix("/") ? "" : "."
    for part in dir.split(separator: "/") {
        path += "/" + part
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) != S_IFDIR {
                throw OutputError(description: "output path \(path) exists and is not a directory")
            }
        } else if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw OutputError(description: "cannot create output directory \(dir): \(String(cString: strerror(errno)))")
        }
    }
    guard access(dir, W_OK) == 0 else {
        throw OutputError(description: "output directory \(dir) is not writable")
    }
}
