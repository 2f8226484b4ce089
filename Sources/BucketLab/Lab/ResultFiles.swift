// Writing a suite's results: the CSV files, the Chrome trace, and the summary
// table. Every file goes through `writeFileAtomically`.

extension SuiteResult {
    public static let summaryHeader = ["workload", "strategy", "keys", "peak_heap_inuse_bytes", "final_heap_inuse_bytes",
                                       "final_live_bytes", "retained_to_live", "peak_rss_bytes", "gc_cycles", "gc_total_ns",
                                       "ops_per_sec", "p50_op_ns", "p99_op_ns", "leaked_bytes_final"]

    func keyFields(_ k: RunKey) -> [String] { [runID, k.workload, k.strategy, String(k.repeatIndex)] }

    public var phasesCSV: String {
        var t = CSVTable(header: PhaseRow.header)
        for r in phases { t.append(keyFields(r.key) + [r.phase] + r.measurement.fields + [String(r.phaseNs)]) }
        return t.text
    }

    public var samplesCSV: String {
        var t = CSVTable(header: SampleRow.header)
        for r in samples {
            t.append(keyFields(r.key) + [r.phase, String(r.sample), String(r.elapsedNs)] + r.measurement.fields)
        }
        return t.text
    }

    public var gcCSV: String {
        var t = CSVTable(header: GCRow.header)
        for r in gc {
            let c = r.cycle
            t.append(keyFields(r.key) + [String(c.cycle), c.reason.rawValue, String(c.heapBeforeBytes),
                                         String(c.heapAfterBytes), String(c.markNs), String(c.sweepNs),
                                         String(c.objectsMarked), String(c.bytesScanned), String(c.spansSwept),
                                         String(c.spansFreed), String(c.bytesFreed), String(c.leakedBytes),
                                         String(c.objectsRelocated), String(c.relocateNs)])
        }
        return t.text
    }

    public var heapCSV: String {
        var t = CSVTable(header: HeapClassRow.header)
        for r in heap {
            t.append(keyFields(r.key) + [r.phase, String(r.sizeClass), String(r.spans), String(r.objects), String(r.inuseBytes)])
        }
        return t.text
    }

    public var summaryCSV: String {
        var t = CSVTable(header: Self.summaryHeader)
        for s in Suite.medianSummaries(summaries) {
            t.append([s.key.workload, s.key.strategy, String(s.keys), String(s.peakHeapInuseBytes),
                      String(s.finalHeapInuseBytes), String(s.finalLiveBytes),
                      s.retainedToLive.map { formatFixed($0, digits: 3) } ?? "", String(s.peakRSSBytes),
                      String(s.gcCycles), String(s.gcTotalNs), formatFixed(s.opsPerSecond, digits: 0),
                      String(s.p50OpNs), String(s.p99OpNs), String(s.leakedBytesFinal)])
        }
        return t.text
    }

    /// Chrome trace events (Perfetto, chrome://tracing): one thread per run,
    /// phases and GC cycles as complete events, times in microseconds.
    public var traceJSON: String {
        var threads: [RunKey: Int] = [:]
        var events: [String] = []
        func tid(_ k: RunKey) -> Int {
            if let t = threads[k] { return t }
            let t = threads.count + 1
            threads[k] = t
            events.append("{\"ph\":\"M\",\"pid\":1,\"tid\":\(t),\"name\":\"thread_name\",\"args\":{\"name\":\(jsonString("\(k.workload) \(k.strategy) #\(k.repeatIndex)"))}}")
            return t
        }
        func us(_ ns: UInt64) -> String { formatFixed(Double(ns &- startNs) / 1000, digits: 3) }
        for p in phases {
            events.append("{\"ph\":\"X\",\"pid\":1,\"tid\":\(tid(p.key)),\"name\":\(jsonString(p.phase)),\"cat\":\"phase\",\"ts\":\(us(p.startNs)),\"dur\":\(formatFixed(Double(p.phaseNs) / 1000, digits: 3)),\"args\":{\"heap_inuse_bytes\":\(p.measurement.heapInuseBytes),\"live_bytes\":\(p.measurement.liveBytes)}}")
        }
        for g in gc {
            let c = g.cycle
            events.append("{\"ph\":\"X\",\"pid\":1,\"tid\":\(tid(g.key)),\"name\":\"GC \(c.reason.rawValue)\",\"cat\":\"gc\",\"ts\":\(us(c.startNs)),\"dur\":\(formatFixed(Double(c.markNs + c.sweepNs + c.relocateNs) / 1000, digits: 3)),\"args\":{\"cycle\":\(c.cycle),\"mark_ns\":\(c.markNs),\"sweep_ns\":\(c.sweepNs),\"heap_before_bytes\":\(c.heapBeforeBytes),\"heap_after_bytes\":\(c.heapAfterBytes),\"leaked_bytes\":\(c.leakedBytes)}}")
        }
        return "{\"traceEvents\":[\n" + events.joined(separator: ",\n") + "\n],\"displayTimeUnit\":\"ms\"}\n"
    }

    /// Writes every result file into `dir` (which must exist).
    public func write(to dir: String) throws {
        try writeFileAtomically(phasesCSV, to: dir + "/phases.csv")
        try writeFileAtomically(samplesCSV, to: dir + "/samples.csv")
        try writeFileAtomically(gcCSV, to: dir + "/gc.csv")
        try writeFileAtomically(heapCSV, to: dir + "/heap.csv")
        try writeFileAtomically(summaryCSV, to: dir + "/summary.csv")
        try writeFileAtomically(traceJSON, to: dir + "/trace.json")
    }
}

/// A JSON string literal.
public func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
