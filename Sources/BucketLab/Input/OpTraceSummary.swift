// What `bucketlab trace show` prints about a recorded map trace, and what
// replay needs before it starts (each phase's name and operation count).
// Built in one pass of `OpTraceReader`.

/// Operation counts of one phase of a trace.
public struct OpTracePhase: Sendable, Equatable {
    /// The marker's name: a marker ends the phase it names. Operations after
    /// the last marker make a phase named `end`.
    public var name: String
    public var inserts = 0, updates = 0, getHits = 0, getMisses = 0, deletes = 0, deleteMisses = 0
    public var iterations = 0, iteratedEntries = 0, clears = 0, lens = 0, makes = 0, drops = 0
    /// Live keys over every map at the phase's end.
    public var liveKeysAtEnd = 0
    /// Go's HeapInuse after runtime.GC() at the marker, when recorded.
    public var heapInuse: UInt64?

    /// Map operations, one per record (an iterator step counts its entries).
    public var operations: Int {
        inserts + updates + getHits + getMisses + deletes + deleteMisses + iterations + iteratedEntries + clears + lens
    }
}

public struct OpTraceSummary: Sendable {
    public var header: OpTraceHeader
    public var maps: [OpTraceMap] = []
    public var phases: [OpTracePhase] = []
    public var records = 0
    public var bytes = 0
    /// Distinct (map, key hash) pairs ever inserted.
    public var distinctKeys = 0
    /// The most keys live at once, over every map.
    public var peakLiveKeys = 0

    /// Reads the whole trace; throws the reader's first fault.
    public init(reading reader: inout OpTraceReader) throws {
        header = reader.header
        var current = OpTracePhase(name: "end")
        var distinct = Set<DistinctKey>()
        var live = 0
        var liveByMap: [Int] = []
        while let record = try reader.next() {
            switch record {
            case .make(let m):
                maps.append(m); liveByMap.append(0); current.makes += 1
            case .insert(let m, let h, _, _):
                current.inserts += 1; live += 1; liveByMap[m] += 1
                peakLiveKeys = max(peakLiveKeys, live)
                distinct.insert(DistinctKey(map: m, hash: h))
            case .update: current.updates += 1
            case .get(_, _, _, let hit): if hit { current.getHits += 1 } else { current.getMisses += 1 }
            case .delete(let m, _, _, let hit):
                if hit { current.deletes += 1; live -= 1; liveByMap[m] -= 1 } else { current.deleteMisses += 1 }
            case .iterStart: current.iterations += 1
            case .iterStep(_, let n): current.iteratedEntries += n
            case .iterStop: break
            case .clear(let m): current.clears += 1; live -= liveByMap[m]; liveByMap[m] = 0
            case .len: current.lens += 1
            case .drop(let m): current.drops += 1; live -= liveByMap[m]; liveByMap[m] = 0
            case .phase(let name, let inuse, _):
                current.name = name
                current.liveKeysAtEnd = live
                current.heapInuse = inuse
                phases.append(current)
                current = OpTracePhase(name: "end")
            }
        }
        current.liveKeysAtEnd = live
        if current.operations + current.makes + current.drops > 0 || phases.isEmpty { phases.append(current) }
        records = reader.records
        bytes = reader.offset
        distinctKeys = distinct.count
    }

    private struct DistinctKey: Hashable { var map: Int; var hash: UInt64 }

    /// The summary as `trace show` prints it.
    public func text(name: String) -> String {
        let clear = header.clearIsBuiltin ? "clear() builtin" : "clear as range-delete (Go < 1.21)"
        var out = "\(name): map trace v\(header.version), recorded by \(header.goVersion), \(clear)\n"
        let ops = phases.reduce(0) { $0 + $1.operations }
        let perOp = ops == 0 ? "" : ", \(formatFixed(Double(bytes) / Double(ops), digits: 2)) bytes/op"
        out += "\(bytes) bytes, \(records) records, \(ops) map operations\(perOp)\n"
        out += "distinct keys \(distinctKeys), peak live keys \(peakLiveKeys)\n"
        for m in maps {
            let key = switch m.keyKind {
            case .word: "\(m.keySize)-byte word keys"
            case .string: "string keys"
            case .bytes: "\(m.keySize)-byte keys (\(m.keyPointerWords) pointer words)"
            }
            let value = switch m.valueKind {
            case .inline: "\(m.valueSize)-byte inline values (\(m.valuePointerWords) pointer words)"
            case .pointer: "pointers to payloads"
            }
            out += "map \(m.id): \(key) → \(value), hint \(m.hint)\n"
        }
        var header = ["phase", "insert", "update", "get hit", "get miss", "delete", "del miss", "iter", "iter steps",
                      "clear", "len", "live keys"]
        let figures = phases.contains { $0.heapInuse != nil }
        if figures { header.append("Go heap MiB") }
        let rows = phases.map { p -> [String] in
            var r = [p.name] + [p.inserts, p.updates, p.getHits, p.getMisses, p.deletes, p.deleteMisses, p.iterations,
                                p.iteratedEntries, p.clears, p.lens, p.liveKeysAtEnd].map(String.init)
            if figures { r.append(p.heapInuse.map { formatFixed(Double($0) / 1048576, digits: 2) } ?? "") }
            return r
        }
        out += renderTable(header: header, rows: rows, rightAlign: Set(1..<header.count))
        return out
    }
}
