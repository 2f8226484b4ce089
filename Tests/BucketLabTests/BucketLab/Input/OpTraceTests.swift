import Foundation
import Testing
@testable import BucketLab

/// Writes traces as recorder/ does (docs/trace-format.md), for tests.
struct TraceBytes {
    var bytes: [UInt8] = OpTraceHeader.magic
    var records = 0

    init(flags: UInt64 = 1, go: String = "go1.27.3") {
        uvarint(1); uvarint(flags); text(go)
    }
    mutating func uvarint(_ x: UInt64) {
        var x = x
        while x >= 0x80 { bytes.append(UInt8(x & 0x7F) | 0x80); x >>= 7 }
        bytes.append(UInt8(x))
    }
    mutating func text(_ s: String) { uvarint(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func op(_ code: UInt8, _ fields: [UInt64] = []) {
        bytes.append(code); records += 1
        for f in fields { uvarint(f) }
    }
    /// make: word keys → inline 8-byte values, or string keys → pointers.
    mutating func make(_ id: UInt64, strings: Bool = false) {
        op(0x01, [id]); bytes.append(strings ? 2 : 1); uvarint(strings ? 16 : 8); uvarint(strings ? 1 : 0)
        bytes.append(strings ? 2 : 1); uvarint(8); uvarint(strings ? 1 : 0); uvarint(0)
    }
    mutating func key(_ code: UInt8, map: UInt64, hash: UInt64, extra: [UInt64] = []) {
        op(code, [map])
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: hash >> (8 * UInt64(i)))) }
        for f in extra { uvarint(f) }
    }
    mutating func end() { let n = records; bytes.append(0x0F); uvarint(UInt64(n)) }
}

func readAll(_ bytes: [UInt8]) throws -> OpTraceSummary {
    var r = try OpTraceReader(bytes: bytes)
    return try OpTraceSummary(reading: &r)
}

func fault(_ bytes: [UInt8]) -> OpTraceError? {
    do { _ = try readAll(bytes); return nil } catch let e as OpTraceError { return e } catch { return nil }
}

/// A small valid trace: every record kind.
func sampleTrace() -> TraceBytes {
    var t = TraceBytes()
    t.make(0)
    t.key(0x02, map: 0, hash: 1)
    t.key(0x02, map: 0, hash: 2)
    t.key(0x03, map: 0, hash: 1)
    t.key(0x04, map: 0, hash: 2)
    t.key(0x05, map: 0, hash: 3)
    t.op(0x08, [0, 0]); t.op(0x09, [0, 1])
    t.key(0x06, map: 0, hash: 1)
    t.op(0x09, [0, 1]); t.op(0x0A, [0]); t.bytes.append(1)
    t.key(0x07, map: 0, hash: 1)
    t.op(0x0C, [0, 1])
    t.op(0x0D); t.text("filled")
    t.make(1, strings: true)
    t.key(0x02, map: 1, hash: 9, extra: [20, 48])
    t.op(0x0B, [0])
    t.op(0x0E, [1])
    t.end()
    return t
}

@Suite struct OpTraceTests {
    @Test func readsEveryRecordKind() throws {
        var r = try OpTraceReader(bytes: sampleTrace().bytes)
        #expect(r.header == OpTraceHeader(version: 1, clearIsBuiltin: true, hasHeapFigures: false, goVersion: "go1.27.3"))
        var all: [OpTraceRecord] = []
        while let rec = try r.next() { all.append(rec) }
        #expect(all.count == 18)
        #expect(all[1] == .insert(map: 0, hash: 1, length: 0, payload: 0))
        #expect(all[10] == .iterStop(iterator: 0, completed: true))
        #expect(all[13] == .phase(name: "filled", heapInuse: nil, heapAlloc: nil))
        #expect(all[15] == .insert(map: 1, hash: 9, length: 20, payload: 48))
        #expect(try r.next() == nil)
    }

    @Test func summarisesPhases() throws {
        let s = try readAll(sampleTrace().bytes)
        #expect(s.phases.map(\.name) == ["filled", "end"])
        let p = s.phases[0]
        let counts: [Int] = [p.inserts, p.updates, p.getHits, p.getMisses, p.deletes, p.deleteMisses, p.iterations,
                             p.iteratedEntries, p.lens, p.liveKeysAtEnd]
        #expect(counts == [2, 1, 1, 1, 1, 1, 1, 2, 1, 1])
        #expect(s.phases[1].inserts == 1 && s.phases[1].clears == 1 && s.phases[1].liveKeysAtEnd == 0)
        #expect(s.distinctKeys == 3 && s.peakLiveKeys == 2)
        #expect(s.bytes == sampleTrace().bytes.count)
    }

    @Test func readsTheGoRecordersFixture() throws {
        let path = testSourcesDirectory.appendingPathComponent("Fixtures/sessions-go119.bltrace").path
        var r = try OpTraceReader(path: path)
        let s = try OpTraceSummary(reading: &r)
        #expect(s.header.goVersion.hasPrefix("go1.19") && !s.header.clearIsBuiltin && s.header.hasHeapFigures)
        #expect(s.phases.map(\.name) == ["logged-in", "looked-up", "expired", "lru-churn", "cleared"])
        #expect(s.phases[0].inserts == 200 && s.phases[1].getHits + s.phases[1].getMisses == 200)
        #expect(s.phases[2].deletes == 180 && s.phases[2].liveKeysAtEnd == 20)
        #expect(s.phases[4].liveKeysAtEnd == 0 && s.phases.allSatisfy { $0.heapInuse != nil })
        #expect(s.maps.map(\.keyKind) == [.string, .word] && s.maps.allSatisfy { $0.valueKind == .pointer })
    }

    /// Every proper prefix of a valid trace is refused (the end record is
    /// what makes truncation at a record boundary visible), never a trap.
    @Test func refusesEveryTruncation() throws {
        let bytes = sampleTrace().bytes
        for n in 0..<bytes.count {
            let e = fault(Array(bytes[..<n]))
            #expect(e != nil, "prefix of \(n) bytes accepted")
            #expect((e?.offset ?? -1) <= n)
        }
    }

    @Test func refusesCorruptFields() {
        let cases: [(String, (inout TraceBytes) -> Void, String, Int?)] = [
            ("magic", { $0.bytes[0] = 0x41 }, "bad magic", 0),
            ("version", { $0.bytes[8] = 2 }, "version 2", 8),
            ("flags", { $0.bytes[9] = 4 }, "header flags", 9),
            ("op", { $0.bytes.insert(0x33, at: $0.bytes.count - 2) }, "unknown record type 0x33", nil),
            ("trailing", { $0.bytes.append(0) }, "bytes after the end record", nil),
            ("end count", { $0.bytes[$0.bytes.count - 1] = 3 }, "end record counts 3", nil),
        ]
        for (name, corrupt, message, offset) in cases {
            var t = sampleTrace()
            corrupt(&t)
            let e = fault(t.bytes)
            #expect(e?.message.contains(message) == true, "\(name): \(String(describing: e))")
            if let offset { #expect(e?.offset == offset, "\(name)") }
        }
    }

    /// Records that contradict the trace itself.
    @Test func refusesInconsistentRecords() {
        func check(_ build: (inout TraceBytes) -> Void, _ message: String) {
            var t = TraceBytes(); t.make(0)
            build(&t); t.end()
            let e = fault(t.bytes)
            #expect(e?.message.contains(message) == true, "\(message): \(String(describing: e))")
        }
        check({ $0.key(0x02, map: 0, hash: 1); $0.key(0x02, map: 0, hash: 1) }, "already present")
        check({ $0.key(0x03, map: 0, hash: 1) }, "update of a key absent")
        check({ $0.key(0x04, map: 0, hash: 1) }, "get hit disagrees")
        check({ $0.key(0x02, map: 0, hash: 1); $0.key(0x05, map: 0, hash: 1) }, "get miss disagrees")
        check({ $0.key(0x06, map: 0, hash: 1) }, "delete disagrees")
        check({ $0.key(0x02, map: 0, hash: 1); $0.op(0x0C, [0, 2]) }, "len 2 but map 0 has 1")
        check({ $0.key(0x02, map: 1, hash: 1) }, "map 1 used before it is made")
        check({ $0.op(0x0E, [0]); $0.op(0x0B, [0]) }, "used after it was dropped")
        check({ $0.op(0x09, [4, 1]) }, "iterator 4 is not open")
        check({ $0.op(0x08, [0, 0]); $0.op(0x08, [0, 0]) }, "started while open")
        check({ $0.op(0x08, [0, 0]); $0.op(0x09, [0, 0]) }, "step of 0 entries")
        check({ $0.make(3) }, "made out of order")
        check({ $0.op(0x0D); $0.bytes += [2, 0xC3, 0x28] }, "not UTF-8")
        check({ $0.op(0x0D); $0.bytes += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02] }, "overflows")
    }

    @Test func offsetNamesTheFaultyRecord() {
        var t = TraceBytes(); t.make(0)
        let at = t.bytes.count
        t.key(0x06, map: 0, hash: 7); t.end()
        #expect(fault(t.bytes)?.offset == at)
    }

    /// `trace show`: exit 65, one stderr line with the byte offset, nothing on stdout.
    @Test func showRefusesABadTraceWithOneLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("optrace-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = sampleTrace().bytes
        let bad = dir.appendingPathComponent("bad.bltrace").path
        FileManager.default.createFile(atPath: bad, contents: Data(bytes[..<(bytes.count - 3)]))
        let o = try bucketlab(["trace", "show", bad])
        #expect(o.status == 65)
        #expect(o.stdout.isEmpty)
        #expect(o.stderr.split(separator: "\n").count == 1 && o.stderr.contains("byte ") && o.stderr.contains("truncated"))
        let good = dir.appendingPathComponent("good.bltrace").path
        FileManager.default.createFile(atPath: good, contents: Data(bytes))
        let ok = try bucketlab(["trace", "show", good])
        #expect(ok.status == 0 && ok.stdout.contains("recorded by go1.27.3") && ok.stdout.contains("filled"))
        let missing = try bucketlab(["trace", "show", dir.appendingPathComponent("none").path])
        #expect(missing.status == 65 && missing.stdout.isEmpty && missing.stderr.contains("cannot open"))
    }
}
