// trace.json: Chrome trace events (Perfetto, chrome://tracing), times in
// microseconds since the suite started. Each run is a process of its own
// (named map/workload/strategy #repeat) with, on one thread, its phases and
// its collections as complete events — each collection with mark, relocate
// and sweep children laid end to end (a lazy cycle's leftover sweep, which
// runs first, is counted in sweep) — and, as counter tracks, the heap in use,
// resident and released at every sample and phase end, and the heap goal (and trigger) each
// collection set: the timeline `go tool trace` draws for a Go program. See
// ResultFiles.swift.

import FoundationEssentials

/// One trace event (the Trace Event Format's fields the lab uses).
struct TraceEvent: Encodable {
    enum Arg: Encodable {
        case int(Int)
        case text(String)

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case let .int(v): try c.encode(v)
            case let .text(v): try c.encode(v)
            }
        }
    }

    var ph: String
    var pid: Int
    var tid: Int
    var name: String
    var cat: String?
    /// Microseconds since the suite started.
    var ts: Double?
    var dur: Double?
    var args: [String: Arg]
}

struct TraceFile: Encodable {
    var traceEvents: [TraceEvent]
    var displayTimeUnit = "ms"
}

extension SuiteResult {
    public var traceJSON: String {
        var runs: [RunKey: Int] = [:]
        var perRun: [Int: [TraceEvent]] = [:]
        var metadata: [TraceEvent] = []
        func pid(_ k: RunKey) -> Int {
            if let p = runs[k] { return p }
            let p = runs.count + 1
            runs[k] = p
            metadata.append(TraceEvent(ph: "M", pid: p, tid: 1, name: "process_name",
                                       args: ["name": .text("\(k.cellName) #\(k.repeatIndex)")]))
            return p
        }
        func add(_ k: RunKey, _ event: (Int) -> TraceEvent) {
            let p = pid(k)
            perRun[p, default: []].append(event(p))
        }
        // Microseconds with nanosecond resolution.
        func us(_ ns: UInt64) -> Double { Double(ns) / 1000 }
        func heapCounter(_ k: RunKey, at ns: UInt64, _ m: RunMeasurement) {
            add(k) { TraceEvent(ph: "C", pid: $0, tid: 1, name: "heap bytes", ts: us(ns &- startNs), args: [
                "in use": .int(m.heapInuseBytes), "resident": .int(m.heapResidentBytes),
                "released": .int(m.heapReleasedBytes)]) }
        }
        var phaseStart: [String: UInt64] = [:]
        for p in phases {
            phaseStart["\(p.key.cellName)#\(p.key.repeatIndex)/\(p.phase)"] = p.startNs
            add(p.key) { TraceEvent(
                ph: "X", pid: $0, tid: 1, name: p.phase, cat: "phase", ts: us(p.startNs &- startNs), dur: us(p.phaseNs),
                args: ["heap_inuse_bytes": .int(p.measurement.heapInuseBytes), "live_bytes": .int(p.measurement.liveBytes)]) }
            heapCounter(p.key, at: p.startNs &+ p.phaseNs, p.measurement)
        }
        for s in samples {
            guard let start = phaseStart["\(s.key.cellName)#\(s.key.repeatIndex)/\(s.phase)"] else { continue }
            heapCounter(s.key, at: start &+ s.elapsedNs, s.measurement)
        }
        for g in gc {
            let c = g.cycle
            let start = c.startNs &- startNs
            // A concurrent-mark cycle sweeps after the mutator's operations
            // during its mark: the gap between relocation and sweep.
            let overlapNs = c.sweepStartNs > c.startNs + c.markNs + c.relocateNs
                ? c.sweepStartNs - (c.startNs + c.markNs + c.relocateNs) : 0
            add(g.key) { TraceEvent(
                ph: "X", pid: $0, tid: 1, name: "GC \(c.reason.rawValue)", cat: "gc", ts: us(start), dur: us(c.totalNs + overlapNs),
                args: ["cycle": .int(c.cycle), "mark_ns": .int(Int(c.markNs)), "sweep_ns": .int(Int(c.sweepNs)),
                       "relocate_ns": .int(Int(c.relocateNs)), "heap_before_bytes": .int(c.heapBeforeBytes),
                       "heap_after_bytes": .int(c.heapAfterBytes), "leaked_bytes": .int(c.leakedBytes),
                       "overlap_ops": .int(c.overlapOps), "allocated_black_bytes": .int(c.allocatedBlackBytes)]) }
            var at = start
            let steps = [("mark", c.markNs), ("relocate", c.relocateNs), ("mutator during mark", overlapNs), ("sweep", c.sweepNs)]
            for (name, ns) in steps where ns > 0 {
                add(g.key) { TraceEvent(ph: "X", pid: $0, tid: 1, name: name, cat: "gc-step", ts: us(at), dur: us(ns), args: [:]) }
                at += ns
            }
            if c.nextGoalBytes != Int.max {
                add(g.key) { TraceEvent(ph: "C", pid: $0, tid: 1, name: "heap goal", ts: us(at),
                                        args: ["goal": .int(c.nextGoalBytes), "trigger": .int(c.nextTriggerBytes)]) }
            }
        }
        // Each run's events in time order (a parent before its children).
        var events = metadata
        for p in perRun.keys.sorted() {
            events += perRun[p]!.enumerated().sorted { ($0.element.ts ?? 0, $0.offset) < ($1.element.ts ?? 0, $1.offset) }
                .map(\.element)
        }
        // Encoding plain numbers and strings cannot fail.
        return try! jsonText(TraceFile(traceEvents: events))
    }
}
