// The results schema: for each row type one column table (`columns`) drives
// the CSV header, the values a row writes and how a file is read back, so
// the writer, the reader, the report and `compare` can never disagree about
// what a column is or where it stands. See ResultFiles.swift.

/// One column of a result file: its name, how a row writes it, and how a row
/// reads it back.
public struct Column<Row> {
    public let name: String
    let write: (Row) -> String
    /// Stores the field into the row; false when the text is not a valid
    /// value. Columns derived from others only check their text.
    let read: (inout Row, String) -> Bool
    /// A column added after files were written without it: such a file still
    /// reads, the field keeping the blank row's value.
    public private(set) var isAddedLater = false

    public init(_ name: String, write: @escaping (Row) -> String, read: @escaping (inout Row, String) -> Bool) {
        self.name = name
        self.write = write
        self.read = read
    }

    /// This column, marked as added later (see `isAddedLater`).
    public func addedLater() -> Column {
        var c = self
        c.isAddedLater = true
        return c
    }

    public static func int(_ name: String, _ path: WritableKeyPath<Row, Int>) -> Column {
        Column(name, write: { String($0[keyPath: path]) }, read: { row, text in
            guard let v = Int(text) else { return false }
            row[keyPath: path] = v
            return true
        })
    }

    /// An integer that may be absent (an empty field).
    public static func optionalInt(_ name: String, _ path: WritableKeyPath<Row, Int?>) -> Column {
        Column(name, write: { $0[keyPath: path].map(String.init) ?? "" }, read: { row, text in
            if text.isEmpty { row[keyPath: path] = nil; return true }
            guard let v = Int(text) else { return false }
            row[keyPath: path] = v
            return true
        })
    }

    public static func uint64(_ name: String, _ path: WritableKeyPath<Row, UInt64>) -> Column {
        Column(name, write: { String($0[keyPath: path]) }, read: { row, text in
            guard let v = UInt64(text) else { return false }
            row[keyPath: path] = v
            return true
        })
    }

    public static func double(_ name: String, _ path: WritableKeyPath<Row, Double>, digits: Int) -> Column {
        Column(name, write: { formatFixed($0[keyPath: path], digits: digits) }, read: { row, text in
            guard let v = Double(text), v.isFinite else { return false }
            row[keyPath: path] = v
            return true
        })
    }

    /// A non-empty name (workload, strategy, phase).
    public static func name(_ name: String, _ path: WritableKeyPath<Row, String>) -> Column {
        Column(name, write: { $0[keyPath: path] }, read: { row, text in
            guard !text.isEmpty else { return false }
            row[keyPath: path] = text
            return true
        })
    }

    /// A value of a string enum (a cycle's reason).
    public static func choice<E: RawRepresentable>(_ name: String, _ path: WritableKeyPath<Row, E>) -> Column
        where E.RawValue == String {
        Column(name, write: { $0[keyPath: path].rawValue }, read: { row, text in
            guard let v = E(rawValue: text) else { return false }
            row[keyPath: path] = v
            return true
        })
    }

    /// A ratio computed from other columns: written, checked on reading
    /// (empty or a number), never stored.
    public static func derivedRatio(_ name: String, digits: Int, _ value: @escaping (Row) -> Double?) -> Column {
        Column(name, write: { value($0).map { formatFixed($0, digits: digits) } ?? "" },
               read: { _, text in text.isEmpty || Double(text) != nil })
    }

    /// This column for a row type that holds `Row` at `path`.
    public func nested<Outer>(in path: WritableKeyPath<Outer, Row>) -> Column<Outer> {
        let write = self.write, read = self.read
        var c = Column<Outer>(name, write: { write($0[keyPath: path]) }, read: { outer, text in
            read(&outer[keyPath: path], text)
        })
        c.isAddedLater = isAddedLater
        return c
    }
}

/// A row type of a result file.
public protocol ResultRow {
    /// The file's columns in order: header, values and reader in one table.
    static var columns: [Column<Self>] { get }
    /// The row the reader starts from before it sets each column.
    static var blank: Self { get }
}

extension ResultRow {
    public static var header: [String] { columns.map(\.name) }

    /// This row's fields, in column order.
    public var fields: [String] { Self.columns.map { $0.write(self) } }

    /// RFC 4180 text of `rows` under the header.
    public static func csv(_ rows: [Self]) -> String {
        var table = CSVTable(header: header)
        for r in rows { table.append(r.fields) }
        return table.text
    }

    /// The rows of a parsed file, refusing anything bucketlab did not write:
    /// the header must be exactly this schema's, every field a valid value.
    public static func rows(of doc: CSVDocument, file: String) throws -> [Self] {
        // A file from before some columns were added lacks exactly those.
        let columns = Self.columns.filter { !$0.isAddedLater || doc.header.contains($0.name) }
        try doc.expectHeader(columns.map(\.name), file: file)
        return try doc.rows.enumerated().map { n, fields in
            var row = blank
            for (column, text) in zip(columns, fields) where !column.read(&row, text) {
                throw CSVError(description: "\(file): row \(n + 2): '\(text)' is not a valid \(column.name)")
            }
            return row
        }
    }

    /// Reads and parses `path`.
    public static func read(_ path: String) throws -> [Self] {
        try rows(of: CSVDocument(path: path), file: path)
    }
}
