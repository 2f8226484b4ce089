import Foundation
import LabHeap
import LabMaps

// A recorded map trace (docs/trace-format.md) as a workload: `run --trace T`
// replays what a real Go program did to its maps on the lab's, through the
// map-model seam only, with a phase per marker. Loading reads the trace once
// (OpTraceSummary: it is checked whole, and each phase's operation count is
// known before the phase begins); the replay reads it again. What the replay
// approximates is listed in docs/trace-format.md ("Replay").

/// A trace behind a workload: its file and the phases it was cut into.
public struct TraceSource: Sendable, Hashable {
    /// The trace's absolute path, which a cell in a process of its own reads.
    public let path: String
    /// Phase names as the run shows them (markers made unique), in order, and
    /// each one's operation count (the sampling cadence).
    public let phases: [String]
    public let operations: [Int]
    /// The recorded markers' heap figures (HeapInuse), when recorded.
    public let goHeapInuse: [UInt64?]
}

extension Workload {
    /// A workload that replays the trace at `path`: named after the file,
    /// its phases the markers, its headline `headline` or the last marker.
    /// A bad trace throws a `WorkloadFileError` naming the file and the byte
    /// offset (exit 65 at the command line).
    public static func load(trace path: String, headline: String? = nil) throws -> Workload {
        let summary: OpTraceSummary
        do {
            var reader = try OpTraceReader(path: path)
            summary = try OpTraceSummary(reading: &reader)
        } catch let e as OpTraceError {
            throw WorkloadFileError("\(path): \(e)")
        }
        var names: [String] = []
        for p in summary.phases {
            // A name the run can use: no `{…}` (a workload's count syntax),
            // not a settle phase's, not one already taken.
            var base = String(p.name.map { "{}".contains($0) ? "_" : $0 })
            if base.isEmpty { base = "phase" }
            if settlePhases.contains(base) { base = "trace-" + base }
            var name = base
            var n = 2
            while names.contains(name) { name = "\(base)-\(n)"; n += 1 }
            names.append(name)
        }
        let headlineName = headline ?? names.last!
        let fileName = (URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
        var name = String(fileName.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" })
        if name.isEmpty { name = "trace" }
        let spec: [String: Any] = [
            "format": workloadFormat,
            "name": name,
            "summary": "Replays \(path) (\(summary.header.goVersion), \(summary.maps.count) map(s), \(summary.phases.reduce(0) { $0 + $1.operations }) operations).",
            "map": ["key": "uint64", "value": "uint64"],
            "headline": headlineName,
            // The steps are never run (the trace is); they give each phase
            // its name for everything that reads a workload's phases.
            "phases": names.map { ["name": $0, "steps": [["op": "idle"]]] },
        ]
        let data = try JSONSerialization.data(withJSONObject: spec)
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let source = TraceSource(path: absolute, phases: names, operations: summary.phases.map(\.operations),
                                 goHeapInuse: summary.phases.map(\.heapInuse))
        let w = Workload(spec: try WorkloadSpec.decode(data, file: path), file: nil, trace: source)
        if let headline, !names.contains(headline) {
            throw WorkloadFileError("\(path): headline '\(headline)' is not one of the trace's phases (\(names.joined(separator: ", ")))")
        }
        return w
    }
}

/// Replays a trace on a WorkloadRun: one lab map per `make`, each record's
/// operation in `r.op { }`, the live figures kept, a phase per marker.
final class TraceReplay {
    private let r: WorkloadRun
    private let source: TraceSource
    private var maps: [ReplayMap?] = []
    private var iterators: [UInt64: any MapIteration] = [:]
    private var mapTypes: [Shape: MapType] = [:]
    /// Short string keys (1…7 bytes) cannot hold the 8 hash bytes: each
    /// distinct one gets the next number of its length as its bytes.
    private var shortKeys: [ShortKey: UInt64] = [:]
    private var shortKeyCount = [UInt64](repeating: 0, count: 8)
    /// A zeroed buffer outside the lab heap for lookups and deletes.
    private var probe: UnsafeMutableRawPointer
    private var probeBytes = 64
    /// The empty string's bytes: outside the heap, as Go's are.
    private let empty = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
    private var phase = -1
    var sum: UInt64 = 0

    private struct Shape: Hashable { var stringKey: Bool; var keySize: Int; var valueSize: Int; var valuePointerWords: Int }
    private struct ShortKey: Hashable { var hash: UInt64; var length: Int }

    /// A lab map standing in for a recorded one, and what it keeps live.
    private final class ReplayMap {
        let model: any MapModel
        let stringKeys: Bool
        let payloads: Bool
        /// A layout the seam's word and string fast paths do not serve: keys
        /// and values go through its raw entry points, `key` and `value`
        /// holding them (outside the lab heap) for each call.
        let raw: (type: MapType, key: UnsafeMutableRawPointer, value: UnsafeMutableRawPointer)?
        var keys = 0
        var stringBytes = 0
        var payloadBytes = 0
        /// The first payload size seen; `otherPayloads` holds the keys whose
        /// payload differs (a nil pointer is 0), so most maps need no table.
        var payloadSize: Int?
        var otherPayloads: [UInt64: Int] = [:]
        init(_ model: any MapModel, type: MapType, fast: Bool, payloads: Bool) {
            self.model = model
            stringKeys = type.keyKind == .string
            self.payloads = payloads
            if fast {
                raw = nil
            } else {
                let key = UnsafeMutableRawPointer.allocate(byteCount: max(16, type.keySize), alignment: 8)
                key.initializeMemory(as: UInt8.self, repeating: 0, count: max(16, type.keySize))
                let value = UnsafeMutableRawPointer.allocate(byteCount: max(8, type.valueSize), alignment: 8)
                raw = (type, key, value)
            }
        }
        deinit { raw?.key.deallocate(); raw?.value.deallocate() }
    }

    init(_ r: WorkloadRun, _ source: TraceSource) {
        self.r = r
        self.source = source
        probe = .allocate(byteCount: probeBytes, alignment: 8)
        probe.initializeMemory(as: UInt8.self, repeating: 0, count: probeBytes)
    }

    deinit { probe.deallocate(); empty.deallocate() }

    /// Records decoded per batch: decoding is outside the phase's time.
    private static let batch = 4096

    func run() throws {
        var reader: OpTraceReader
        do { reader = try OpTraceReader(path: source.path) } catch let e as OpTraceError {
            throw WorkloadFileError("\(source.path): \(e)")
        }
        beginNextPhase()
        var records: [OpTraceRecord] = []
        records.reserveCapacity(Self.batch)
        while true {
            records.removeAll(keepingCapacity: true)
            try r.untimed {
                do {
                    while records.count < Self.batch, let rec = try reader.next() { records.append(rec) }
                } catch let e as OpTraceError {
                    throw WorkloadFileError("\(source.path): \(e)")
                }
            }
            if records.isEmpty { break }
            for rec in records { apply(rec) }
        }
        if phase < source.phases.count { r.endPhase(); phase = source.phases.count }
        blackHole(sum)
    }

    private func beginNextPhase() {
        phase += 1
        if phase < source.phases.count { r.beginPhase(source.phases[phase], expectedOps: source.operations[phase]) }
    }

    /// An operation: timed and a safe point inside a phase; records after
    /// the last phase (an iterator's stop) run outside any.
    @inline(__always)
    private func op(_ body: () -> Void) {
        if phase < source.phases.count { r.op(body) } else { body() }
    }

    private func apply(_ record: OpTraceRecord) {
        switch record {
        case .make(let m): make(m)
        case .insert(let m, let h, let n, let p): set(maps[m]!, h, n, p, fresh: true)
        case .update(let m, let h, let n, let p): set(maps[m]!, h, n, p, fresh: false)
        case .get(let m, let h, let n, _): get(maps[m]!, h, n)
        case .delete(let m, let h, let n, let hit): delete(maps[m]!, h, n, hit: hit)
        case .iterStart(let m, let it):
            let map = maps[m]!.model
            op { iterators[it] = map.makeIteration() }
        case .iterStep(let it, let count):
            let iterator = iterators[it]!
            op {
                for _ in 0..<count {
                    guard let e = iterator.nextEntry() else { break }
                    sum &+= e.key
                }
            }
        case .iterStop(let it, _):
            let iterator = iterators.removeValue(forKey: it)!
            op { iterator.close() }
        case .clear(let m):
            let map = maps[m]!
            op { map.model.removeAll() }
            forget(map)
        case .len(let m, _):
            let map = maps[m]!.model
            var n = 0
            op { n = map.count }
            sum &+= UInt64(n)
        case .phase:
            r.endPhase()
            beginNextPhase()
        case .drop(let m):
            // The program lets go of the map: the next collection frees it.
            let map = maps[m]!
            maps[m] = nil
            r.maps.removeAll { $0 === map.model }
            forget(map)
        }
    }

    // MARK: Maps

    private func make(_ m: OpTraceMap) {
        let (type, fast) = mapType(m)
        let model = r.makeMap(type: type, hint: m.hint)
        maps.append(ReplayMap(model, type: type, fast: fast, payloads: m.valueKind == .pointer))
    }

    /// The lab's map type for a recorded layout: the recorded key and value
    /// sizes, as Go lays them out (out of line past 128 bytes). A key's
    /// pointer words are not kept (its bytes are made from its hash), nor
    /// what an inline value's pointer words pointed to (they are nil): see
    /// docs/trace-format.md, "Replay". `fast`: a layout the seam's word and
    /// string entry points serve.
    private func mapType(_ m: OpTraceMap) -> (MapType, fast: Bool) {
        let stringKey = m.keyKind == .string
        let keySize = stringKey ? 16 : max(1, m.keySize)
        let valueSize = m.valueKind == .pointer ? 8 : m.valueSize
        let words = m.valueKind == .pointer ? 1 : min(m.valuePointerWords, valueSize / 8)
        switch (stringKey, keySize, valueSize, words) {
        case (false, 8, 8, 0): return (r.wordMapType, true)
        case (false, 8, 8, 1): return (r.payloadMapType, true)
        case (true, _, 8, 1): return (r.stringMapType, true)
        default: break
        }
        let shape = Shape(stringKey: stringKey, keySize: keySize, valueSize: valueSize, valuePointerWords: words)
        if let t = mapTypes[shape] { return (t, false) }
        let name = "map[\(stringKey ? "string" : "[\(keySize)]byte")][\(valueSize)]byte/\(words)p"
        let t = MapType(heap: r.heap, keySize: keySize, valueSize: valueSize, keyPointerWords: stringKey ? [0] : [],
                        valuePointerWords: Array(0..<words), stringKeys: stringKey, name: name)
        mapTypes[shape] = t
        return (t, false)
    }


    private func forget(_ map: ReplayMap) {
        r.liveKeys -= map.keys
        r.liveStringBytes -= map.stringBytes
        r.liveOtherBytes -= map.payloadBytes
        map.keys = 0
        map.stringBytes = 0
        map.payloadBytes = 0
        map.otherPayloads.removeAll()
    }

    // MARK: Keyed operations

    private func set(_ map: ReplayMap, _ h: UInt64, _ length: Int, _ payload: Int, fresh: Bool) {
        let model = map.model
        var type: ObjectType?
        if map.payloads {
            // A new payload on every set, as `m[k] = &T{...}`; 0 bytes is a
            // nil pointer.
            if map.payloadSize == nil { map.payloadSize = payload }
            let old = fresh ? 0 : payloadSize(map, h)
            if payload != map.payloadSize { map.otherPayloads[h] = payload } else if !fresh { map.otherPayloads[h] = nil }
            map.payloadBytes += payload - old
            r.liveOtherBytes += payload - old
            if payload > 0 { type = r.payloadType(bytes: payload) }
        }
        if let raw = map.raw {
            // Go's m[k] = v: the key (a new string), the value (its
            // payload), then mapassign and the copy.
            let content = map.stringKeys ? (length == 0 ? 0 : keyContent(h, length)) : keyContent(h, raw.type.keySize)
            let empty = UnsafeRawPointer(self.empty)
            op {
                if map.stringKeys {
                    let key = length == 0 ? empty : newKeyString(content, length)
                    raw.key.storeBytes(of: UInt(bitPattern: key), as: UInt.self)
                    raw.key.storeBytes(of: UInt(length), toByteOffset: 8, as: UInt.self)
                } else {
                    write(content, raw.type.keySize, into: raw.key)
                }
                raw.value.initializeMemory(as: UInt8.self, repeating: 0, count: max(8, raw.type.valueSize))
                if let type { raw.value.storeBytes(of: allocatePayload(type, h), as: UInt64.self) }
                model.insertionSlot(forKeyAt: raw.key).copyMemory(from: raw.value, byteCount: raw.type.valueSize)
            }
        } else if map.stringKeys {
            // The key is a new string object on every set (the program's
            // own), which Go's assign keeps in the slot.
            let content = length == 0 ? 0 : keyContent(h, length)
            let empty = UnsafeRawPointer(self.empty)
            op {
                let value = type.map { allocatePayload($0, h) } ?? 0
                let key = length == 0 ? empty : newKeyString(content, length)
                model.updateValue(value, forString: key, count: length)
            }
        } else {
            op { model.updateValue(type.map { allocatePayload($0, h) } ?? 0, forKey: h) }
        }
        if fresh {
            map.keys += 1
            r.liveKeys += 1
            if map.stringKeys && length > 0 {
                let b = r.keyStringObjectBytes(length)
                map.stringBytes += b
                r.liveStringBytes += b
            }
        }
    }

    /// A payload object whose first word (when it has one) is the key's hash.
    @inline(__always)
    private func allocatePayload(_ type: ObjectType, _ h: UInt64) -> UInt64 {
        let p = r.mutator.allocate(type)
        if type.size >= 8 { p.storeBytes(of: h, as: UInt64.self) }
        return UInt64(UInt(bitPattern: p))
    }

    @inline(__always)
    private func newKeyString(_ content: UInt64, _ length: Int) -> UnsafeRawPointer {
        let p = r.mutator.allocate(r.stringBytesType, count: length)
        write(content, length, into: p)
        return UnsafeRawPointer(p)
    }

    private func get(_ map: ReplayMap, _ h: UInt64, _ length: Int) {
        let model = map.model
        var hit = false
        if let raw = map.raw {
            let key = rawProbe(raw, h, length)
            op { hit = model.valueSlot(forKeyAt: key) != nil }
        } else if map.stringKeys {
            let p = probeKey(h, length)
            op { hit = model.value(forString: p, count: length) != nil }
        } else {
            op { hit = model.value(forKey: h) != nil }
        }
        if hit { sum &+= 1 }
    }

    private func delete(_ map: ReplayMap, _ h: UInt64, _ length: Int, hit: Bool) {
        let model = map.model
        if let raw = map.raw {
            let key = rawProbe(raw, h, length)
            op { model.removeEntry(forKeyAt: key) }
        } else if map.stringKeys {
            let p = probeKey(h, length)
            op { model.removeValue(forString: p, count: length) }
        } else {
            op { model.removeValue(forKey: h) }
        }
        guard hit else { return }
        map.keys -= 1
        r.liveKeys -= 1
        if map.stringKeys && length > 0 {
            let b = r.keyStringObjectBytes(length)
            map.stringBytes -= b
            r.liveStringBytes -= b
        }
        if map.payloads {
            let old = payloadSize(map, h)
            map.otherPayloads[h] = nil
            map.payloadBytes -= old
            r.liveOtherBytes -= old
        }
    }

    private func payloadSize(_ map: ReplayMap, _ h: UInt64) -> Int {
        if map.otherPayloads.isEmpty { return map.payloadSize ?? 0 }
        return map.otherPayloads[h] ?? map.payloadSize ?? 0
    }

    // MARK: Key bytes

    /// The key's first word: its hash, or a short key's number.
    private func keyContent(_ h: UInt64, _ length: Int) -> UInt64 {
        guard length < 8 else { return h }
        let k = ShortKey(hash: h, length: length)
        if let c = shortKeys[k] { return c }
        let c = shortKeyCount[length]
        shortKeyCount[length] += 1
        shortKeys[k] = c
        return c
    }

    /// Writes a key's bytes into zeroed memory: its first word, the rest
    /// left zero.
    @inline(__always)
    private func write(_ content: UInt64, _ length: Int, into p: UnsafeMutableRawPointer) {
        if length >= 8 {
            p.storeBytes(of: content, as: UInt64.self)
        } else {
            for i in 0..<length { p.storeBytes(of: UInt8(truncatingIfNeeded: content >> UInt64(8 * i)), toByteOffset: i, as: UInt8.self) }
        }
    }

    /// A raw map's key for a lookup or delete: the key's bytes, or a string
    /// header for the probe's bytes.
    private func rawProbe(_ raw: (type: MapType, key: UnsafeMutableRawPointer, value: UnsafeMutableRawPointer),
                          _ h: UInt64, _ length: Int) -> UnsafeRawPointer {
        if raw.type.keyKind == .string {
            let p = length == 0 ? UnsafeRawPointer(empty) : probeKey(h, length)
            raw.key.storeBytes(of: UInt(bitPattern: p), as: UInt.self)
            raw.key.storeBytes(of: UInt(length), toByteOffset: 8, as: UInt.self)
        } else {
            write(keyContent(h, raw.type.keySize), raw.type.keySize, into: raw.key)
        }
        return UnsafeRawPointer(raw.key)
    }

    /// The probe holding the key's bytes (zero past the first word).
    private func probeKey(_ h: UInt64, _ length: Int) -> UnsafeRawPointer {
        if length > probeBytes {
            probe.deallocate()
            probeBytes = max(length, 2 * probeBytes)
            probe = .allocate(byteCount: probeBytes, alignment: 8)
            probe.initializeMemory(as: UInt8.self, repeating: 0, count: probeBytes)
        }
        probe.storeBytes(of: 0, as: UInt64.self)
        if length > 0 { write(keyContent(h, length), length, into: probe) }
        return UnsafeRawPointer(probe)
    }
}
