// trace.json: Chrome trace events (Perfetto, chrome://tracing), one thread
// per run, phases and GC cycles as complete events, times in microseconds.
// See ResultFiles.swift.

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
    var pid = 1
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
        var threads: [RunKey: Int] = [:]
        var events: [TraceEvent] = []
        func tid(_ k: RunKey) -> Int {
            if let t = threads[k] { return t }
            let t = threads.count + 1
            threads[k] = t
            events.append(TraceEvent(ph: "M", tid: t, name: "thread_name",
                                     args: ["name": .text("\(k.cellName) #\(k.repeatIndex)")]))
            return t
        }
        // Microseconds with nanosecond resolution.
        func us(_ ns: UInt64) -> Double { Double(ns) / 1000 }
        for p in phases {
            events.append(TraceEvent(
                ph: "X", tid: tid(p.key), name: p.phase, cat: "phase", ts: us(p.startNs &- startNs), dur: us(p.phaseNs),
                args: ["heap_inuse_bytes": .int(p.measurement.heapInuseBytes), "live_bytes": .int(p.measurement.liveBytes)]))
        }
        for g in gc {
            let c = g.cycle
            events.append(TraceEvent(
                ph: "X", tid: tid(g.key), name: "GC \(c.reason.rawValue)", cat: "gc", ts: us(c.startNs &- startNs),
                dur: us(c.markNs + c.sweepNs + c.relocateNs),
                args: ["cycle": .int(c.cycle), "mark_ns": .int(Int(c.markNs)), "sweep_ns": .int(Int(c.sweepNs)),
                       "heap_before_bytes": .int(c.heapBeforeBytes), "heap_after_bytes": .int(c.heapAfterBytes),
                       "leaked_bytes": .int(c.leakedBytes)]))
        }
        // Encoding plain numbers and strings cannot fail.
        return try! jsonText(TraceFile(traceEvents: events))
    }
}
