// The reader of recorded map traces: what a real Go program did to its maps,
// written by recorder/ (Go) in the format of docs/trace-format.md. Not the
// collector's trace.json (Output/TraceFile.swift).
//
// One pass, front to back, from a file read in fixed chunks or from bytes in
// memory (the fuzz target): memory grows with the keys live at once (each
// map's set of live hashes, to check the trace against itself), never with
// the trace's length. Every field is checked; the first fault throws an
// `OpTraceError` with the byte offset of the record it is in.

#if canImport(Glibc)
import Glibc
#endif

/// A trace that cannot be used, and where.
public struct OpTraceError: Error, CustomStringConvertible, Equatable {
    public let offset: Int
    public let message: String
    public var description: String { "byte \(offset): \(message)" }
}

/// The trace's header.
public struct OpTraceHeader: Sendable, Equatable {
    public static let magic: [UInt8] = Array("BLTRACE".utf8) + [0]
    public static let version: UInt64 = 1
    public var version: UInt64
    /// `clear` was Go 1.21's builtin; false: the range-delete idiom.
    public var clearIsBuiltin: Bool
    /// Phase markers carry HeapInuse and HeapAlloc.
    public var hasHeapFigures: Bool
    public var goVersion: String
}

/// A recorded map's key and value layout (the make record).
public struct OpTraceMap: Sendable, Equatable {
    public enum KeyKind: UInt8, Sendable { case word = 1, string = 2, bytes = 3 }
    public enum ValueKind: UInt8, Sendable { case inline = 1, pointer = 2 }
    public var id: Int
    public var keyKind: KeyKind
    public var keySize: Int
    public var keyPointerWords: Int
    public var valueKind: ValueKind
    public var valueSize: Int
    public var valuePointerWords: Int
    public var hint: Int
}

/// One record. `length` is a string key's length (0 for other keys);
/// `payload` a pointer value's payload bytes (0 for inline values).
public enum OpTraceRecord: Sendable, Equatable {
    case make(OpTraceMap)
    case insert(map: Int, hash: UInt64, length: Int, payload: Int)
    case update(map: Int, hash: UInt64, length: Int, payload: Int)
    case get(map: Int, hash: UInt64, length: Int, hit: Bool)
    case delete(map: Int, hash: UInt64, length: Int, hit: Bool)
    case iterStart(map: Int, iterator: UInt64)
    case iterStep(iterator: UInt64, count: Int)
    case iterStop(iterator: UInt64, completed: Bool)
    case clear(map: Int)
    case len(map: Int, count: Int)
    case phase(name: String, heapInuse: UInt64?, heapAlloc: UInt64?)
    case drop(map: Int)
}

/// Reads and validates a trace, record by record.
public struct OpTraceReader {
    // Limits a valid trace stays far inside; past them the input is corrupt.
    static let maxFieldSize = 1 << 30
    static let maxHint = 1 << 40
    static let maxText = 255

    public private(set) var header: OpTraceHeader
    /// Every map made so far, by id.
    public private(set) var maps: [OpTraceMap] = []
    /// Records read so far (the end record's count).
    public private(set) var records = 0
    /// Bytes consumed so far.
    public var offset: Int { input.offset }

    private var input: ByteInput
    private var live: [Set<UInt64>] = []
    private var dropped: [Bool] = []
    private var openIterators: [UInt64: Int] = [:]
    private var finished = false
    private var recordStart = 0

    /// Reads the trace at `path` in 64 KiB chunks.
    public init(path: String) throws {
        try self.init(input: ByteInput(path: path))
    }

    /// Reads a trace held in memory.
    public init(bytes: [UInt8]) throws {
        try self.init(input: ByteInput(bytes: bytes))
    }

    private init(input: ByteInput) throws {
        self.input = input
        header = OpTraceHeader(version: 0, clearIsBuiltin: false, hasHeapFigures: false, goVersion: "")
        do {
            try readHeader()
        } catch let e as ByteInput.Truncated {
            throw fault(e.offset, "truncated trace (ends inside the header)")
        }
    }

    private mutating func readHeader() throws {
        for b in OpTraceHeader.magic {
            guard try input.byte() == b else { throw fault(0, "not a map trace (bad magic)") }
        }
        let version = try input.uvarint()
        guard version == OpTraceHeader.version else { throw fault(8, "trace format version \(version); this reader knows 1") }
        let flagsAt = input.offset
        let flags = try input.uvarint()
        guard flags & ~3 == 0 else { throw fault(flagsAt, "unknown header flags \(flags)") }
        header = OpTraceHeader(version: version, clearIsBuiltin: flags & 1 != 0, hasHeapFigures: flags & 2 != 0,
                               goVersion: try input.text())
    }

    private func fault(_ at: Int, _ message: String) -> OpTraceError { OpTraceError(offset: at, message: message) }
    private func fault(_ message: String) -> OpTraceError { OpTraceError(offset: recordStart, message: message) }

    /// The next record, or nil after the end record (and the end of input).
    public mutating func next() throws -> OpTraceRecord? {
        if finished { return nil }
        recordStart = input.offset
        do {
            return try readRecord()
        } catch let e as ByteInput.Truncated {
            throw fault(e.offset, "truncated trace (ends inside a record, or before the end record)")
        }
    }

    private mutating func readRecord() throws -> OpTraceRecord? {
        guard let op = try input.byteOrEnd() else {
            throw fault("truncated trace (no end record)")
        }
        let record: OpTraceRecord
        switch op {
        case 0x01: record = .make(try readMake())
        case 0x02, 0x03:
            let (m, h, n) = try readKey()
            let payload = maps[m].valueKind == .pointer ? try size("payload") : 0
            if op == 0x02 {
                guard live[m].insert(h).inserted else { throw fault("insert of a key already present in map \(m)") }
                record = .insert(map: m, hash: h, length: n, payload: payload)
            } else {
                guard live[m].contains(h) else { throw fault("update of a key absent from map \(m)") }
                record = .update(map: m, hash: h, length: n, payload: payload)
            }
        case 0x04, 0x05:
            let (m, h, n) = try readKey()
            let hit = op == 0x04
            guard live[m].contains(h) == hit else { throw fault("get \(hit ? "hit" : "miss") disagrees with map \(m)'s keys") }
            record = .get(map: m, hash: h, length: n, hit: hit)
        case 0x06, 0x07:
            let (m, h, n) = try readKey()
            let hit = op == 0x06
            guard (hit ? live[m].remove(h) != nil : !live[m].contains(h)) else {
                throw fault("delete \(hit ? "" : "miss ")disagrees with map \(m)'s keys")
            }
            record = .delete(map: m, hash: h, length: n, hit: hit)
        case 0x08:
            let m = try mapID()
            let it = try input.uvarint()
            guard openIterators[it] == nil else { throw fault("iterator \(it) started while open") }
            openIterators[it] = m
            record = .iterStart(map: m, iterator: it)
        case 0x09:
            let it = try iterator()
            let count = try size("step count")
            guard count >= 1 else { throw fault("iterator step of 0 entries") }
            record = .iterStep(iterator: it, count: count)
        case 0x0A:
            let it = try iterator(stopping: true)
            let completed = try input.byte()
            guard completed <= 1 else { throw fault("iterator stop flag \(completed)") }
            openIterators[it] = nil
            record = .iterStop(iterator: it, completed: completed == 1)
        case 0x0B:
            let m = try mapID()
            live[m].removeAll()
            record = .clear(map: m)
        case 0x0C:
            let m = try mapID()
            let n = try size("length")
            guard n == live[m].count else { throw fault("len \(n) but map \(m) has \(live[m].count) keys") }
            record = .len(map: m, count: n)
        case 0x0D:
            let name = try input.text()
            var inuse: UInt64?, alloc: UInt64?
            if header.hasHeapFigures { inuse = try input.uvarint(); alloc = try input.uvarint() }
            record = .phase(name: name, heapInuse: inuse, heapAlloc: alloc)
        case 0x0E:
            let m = try mapID()
            dropped[m] = true
            live[m] = []
            record = .drop(map: m)
        case 0x0F:
            let count = try input.uvarint()
            guard count == UInt64(records) else { throw fault("end record counts \(count) records; the trace has \(records)") }
            guard try input.byteOrEnd() == nil else { throw fault(input.offset - 1, "bytes after the end record") }
            finished = true
            return nil
        default:
            throw fault("unknown record type 0x\(String(op, radix: 16))")
        }
        records += 1
        return record
    }

    /// A uvarint that fits `maxFieldSize`.
    private mutating func size(_ what: String) throws -> Int {
        let at = input.offset
        let v = try input.uvarint()
        guard v <= UInt64(Self.maxFieldSize) else { throw fault(at, "\(what) \(v) is out of range") }
        return Int(v)
    }

    /// A map id that is made and not dropped.
    private mutating func mapID() throws -> Int {
        let at = input.offset
        let v = try input.uvarint()
        guard v < UInt64(maps.count) else { throw fault(at, "map \(v) used before it is made") }
        guard !dropped[Int(v)] else { throw fault(at, "map \(v) used after it was dropped") }
        return Int(v)
    }

    /// An open iterator; only its stop may follow its map's drop (a range
    /// body may drop the map it walks).
    private mutating func iterator(stopping: Bool = false) throws -> UInt64 {
        let at = input.offset
        let it = try input.uvarint()
        guard let m = openIterators[it] else { throw fault(at, "iterator \(it) is not open") }
        guard stopping || !dropped[m] else { throw fault(at, "iterator \(it) of dropped map \(m)") }
        return it
    }

    /// Map, hash and (string keys) length of a keyed record.
    private mutating func readKey() throws -> (Int, UInt64, Int) {
        let m = try mapID()
        let h = try input.uint64LE()
        let n = maps[m].keyKind == .string ? try size("string length") : 0
        return (m, h, n)
    }

    private mutating func readMake() throws -> OpTraceMap {
        let at = input.offset
        let id = try input.uvarint()
        guard id == UInt64(maps.count) else { throw fault(at, "map \(id) made out of order (next is \(maps.count))") }
        let kk = try input.byte()
        guard let keyKind = OpTraceMap.KeyKind(rawValue: kk) else { throw fault("unknown key kind \(kk)") }
        let keySize = try size("key size"), keyWords = try size("key pointer words")
        let vk = try input.byte()
        guard let valueKind = OpTraceMap.ValueKind(rawValue: vk) else { throw fault("unknown value kind \(vk)") }
        let valueSize = try size("value size"), valueWords = try size("value pointer words")
        let hint = try input.uvarint()
        guard hint <= UInt64(Self.maxHint) else { throw fault("hint \(hint) is out of range") }
        switch keyKind {
        case .word: guard (1...8).contains(keySize) else { throw fault("word key of \(keySize) bytes") }
        case .string: guard keySize == 16 && keyWords == 1 else { throw fault("string key of \(keySize) bytes, \(keyWords) pointer words") }
        case .bytes: guard keySize >= 1 else { throw fault("key of 0 bytes") }
        }
        guard keyWords <= (keySize + 7) / 8 else { throw fault("\(keyWords) pointer words in a \(keySize)-byte key") }
        if valueKind == .pointer {
            guard valueSize == 8 && valueWords == 1 else { throw fault("pointer value of \(valueSize) bytes, \(valueWords) pointer words") }
        }
        guard valueWords <= (valueSize + 7) / 8 else { throw fault("\(valueWords) pointer words in a \(valueSize)-byte value") }
        let m = OpTraceMap(id: Int(id), keyKind: keyKind, keySize: keySize, keyPointerWords: keyWords,
                           valueKind: valueKind, valueSize: valueSize, valuePointerWords: valueWords, hint: Int(hint))
        maps.append(m)
        live.append([])
        dropped.append(false)
        return m
    }
}

/// Bytes from a file (fixed-size chunks) or memory, with their offset.
final class ByteInput {
    struct Truncated: Error { let offset: Int }

    private var buffer: [UInt8]
    private var position = 0
    private var base = 0
    private var fd: Int32 = -1
    private var path = ""
    private static let chunk = 64 << 10

    deinit { if fd >= 0 { close(fd) } }

    var offset: Int { base + position }

    init(bytes: [UInt8]) { buffer = bytes }

    init(path: String) throws {
        fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw OpTraceError(offset: 0, message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        buffer = []
    }

    /// Refills the buffer; false at the end of input (closing the file).
    private func refill() throws -> Bool {
        guard fd >= 0 else { return false }
        base += buffer.count
        position = 0
        buffer = [UInt8](repeating: 0, count: Self.chunk)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, Self.chunk) }
        guard n >= 0 else {
            let message = "cannot read \(path): \(String(cString: strerror(errno)))"
            close(fd); fd = -1
            throw OpTraceError(offset: base, message: message)
        }
        buffer.removeSubrange(n...)
        if n == 0 { close(fd); fd = -1; return false }
        return true
    }

    func byteOrEnd() throws -> UInt8? {
        if position == buffer.count, try !refill() { return nil }
        defer { position += 1 }
        return buffer[position]
    }

    func byte() throws -> UInt8 {
        guard let b = try byteOrEnd() else { throw Truncated(offset: offset) }
        return b
    }

    /// Go's binary.Uvarint: at most 10 bytes, no overflow past 64 bits.
    func uvarint() throws -> UInt64 {
        let start = offset
        var x: UInt64 = 0
        var shift: UInt64 = 0
        for i in 0..<10 {
            let b = try byte()
            if i == 9 && b > 1 { throw OpTraceError(offset: start, message: "varint overflows 64 bits") }
            x |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return x }
            shift += 7
        }
        throw OpTraceError(offset: start, message: "varint longer than 10 bytes")
    }

    func uint64LE() throws -> UInt64 {
        var x: UInt64 = 0
        for i in 0..<8 { x |= UInt64(try byte()) << (8 * UInt64(i)) }
        return x
    }

    /// A uvarint length (at most 255) and that many bytes of UTF-8.
    func text() throws -> String {
        let start = offset
        let n = try uvarint()
        guard n <= UInt64(OpTraceReader.maxText) else { throw OpTraceError(offset: start, message: "text of \(n) bytes (at most 255)") }
        var bytes: [UInt8] = []
        for _ in 0..<n { bytes.append(try byte()) }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw OpTraceError(offset: start, message: "text is not UTF-8")
        }
        return s
    }
}
