// REPORT.md's findings: for each map model and workload, two or three
// sentences generated from the run's own figures — which strategy keeps least
// at the headline phase, by how much against `go`, at what collection time
// and throughput, and what keeps `go`'s heap: the census's kinds of root
// (live map slots, iterators, pins), what only deleted slots reach (the leak
// audit) and the free slots of spans in use — and the one-table summary
// "best strategy per workload". Nothing in it is typed by hand. See Report.swift.

/// One map model × workload's finding.
struct Finding {
    var best: RunSummary
    var go: RunSummary
    /// `go`'s row at the end of the headline phase (repeat 1), when
    /// phases.csv was read: map storage, leak audit, who keeps what.
    var goHeadline: PhaseRow?

    var map: String { go.key.map }
    var workload: String { go.key.workload }
    var bestIsGo: Bool { best.key.strategy == go.key.strategy }

    static let tableHeader = ["map", "workload", "headline phase", "keeps least", "retained MiB", "go MiB", "× go",
                              "GC ms", "go GC ms", "ops/s × go"]

    var tableRow: [String] {
        [map, workload, go.headlinePhase, best.key.strategy, Report.mib(best.headlineHeapInuseBytes),
         Report.mib(go.headlineHeapInuseBytes), Self.times(best.headlineHeapInuseBytes, go.headlineHeapInuseBytes),
         Self.ms(best.gcTotalNs), Self.ms(go.gcTotalNs), Self.times(best.opsPerSecond, go.opsPerSecond)]
    }

    /// The sentences.
    var text: String {
        let phase = "\(go.headlinePhase), live \(Report.mib(go.headlineLiveBytes)) MiB"
        var s = "**\(map) · \(workload)** (headline phase \(phase)): "
        if bestIsGo {
            s += "no strategy keeps 1% less than `go`, \(Report.mib(go.headlineHeapInuseBytes)) MiB."
        } else {
            s += "`\(best.key.strategy)` keeps least, \(Report.mib(best.headlineHeapInuseBytes)) MiB — "
            s += "\(Self.times(best.headlineHeapInuseBytes, go.headlineHeapInuseBytes))× the "
            s += "\(Report.mib(go.headlineHeapInuseBytes)) MiB `go` keeps — at \(Self.ms(best.gcTotalNs)) ms of collection "
            s += "against `go`'s \(Self.ms(go.gcTotalNs)) ms and \(Self.times(best.opsPerSecond, go.opsPerSecond))× its "
            s += "operations per second."
        }
        if let row = goHeadline {
            let m = row.measurement, r = row.retention
            let inuse = m.heapInuseBytes
            if r != Retention() {
                // The census (files written since it existed).
                let free = max(0, inuse - r.mapBytes - r.iteratorBytes - r.pinBytes - m.leakedBytes)
                var parts = ["\(Report.mib(r.mapBytes)) MiB is reached through live maps' live slots "
                             + "(\(Report.mib(m.bucketBytes)) MiB of it the maps' own storage)"]
                if r.iteratorBytes > 0 { parts.append("\(Report.mib(r.iteratorBytes)) MiB only through open iterators") }
                if r.pinBytes > 0 { parts.append("\(Report.mib(r.pinBytes)) MiB only through pins (interior pointers)") }
                parts.append("\(Report.mib(m.leakedBytes)) MiB only through deleted slots (the leak audit)")
                parts.append("\(Report.mib(free)) MiB is free slots of spans still in use")
                s += " Of what `go` keeps, " + parts.dropLast().joined(separator: ", ") + ", and " + parts.last! + "."
            } else {
                let rest = max(0, inuse - m.bucketBytes - m.leakedBytes)
                s += " Of what `go` keeps, \(Report.mib(m.bucketBytes)) MiB is map storage (buckets or tables, live slots "
                s += "included), \(Report.mib(m.leakedBytes)) MiB is reachable only through deleted slots (the leak audit), "
                s += "and \(Report.mib(rest)) MiB is everything else: payloads and other objects (a dropped map's array "
                s += "that a pin or an iterator keeps counts here) and the free slots of spans still in use."
            }
        }
        return s
    }

    static func times(_ a: some BinaryInteger, _ b: some BinaryInteger) -> String { times(Double(a), Double(b)) }
    static func times(_ a: Double, _ b: Double) -> String { b > 0 ? formatFixed(a / b, digits: 2) : "—" }
    static func ms(_ ns: UInt64) -> String { formatFixed(Double(ns) / 1e6, digits: 1) }
}

extension Report {
    /// Per map model and workload with a `go` run: the strategy that keeps
    /// least at the headline phase — `go` itself unless another keeps 1%
    /// less (ties: less collection time).
    static func findings(_ results: ResultSet) -> [Finding] {
        let ok = results.summaries.filter { $0.status == "ok" }
        var out: [Finding] = []
        for go in ok where go.key.strategy == Strategy.go.name {
            let peers = ok.filter { $0.key.map == go.key.map && $0.key.workload == go.key.workload }
            let least = peers.map(\.headlineHeapInuseBytes).min()!
            let best = Double(go.headlineHeapInuseBytes) <= Double(least) * 1.01
                ? go : peers.filter { $0.headlineHeapInuseBytes == least }.min { $0.gcTotalNs < $1.gcTotalNs }!
            out.append(Finding(best: best, go: go, goHeadline: results.headlinePhases[go.key.cellName]))
        }
        return out
    }

    /// The "Findings" section, or "" when no workload ran `go`.
    static func findingsMarkdown(_ results: ResultSet) -> String {
        let all = findings(results)
        guard !all.isEmpty else { return "" }
        var md = "## Findings\n\nGenerated from this run's summary.csv and phases.csv (medians over repeats; the "
        md += "leak audit from repeat 1): retained = heap in use after the headline phase's collection, GC ms = all "
        md += "of the run's collections, ops/s = the workload's map operations per second.\n\n"
        for f in all { md += "- " + f.text + "\n" }
        md += "\n### Best strategy per workload\n\n"
        md += markdownTable(header: Finding.tableHeader, rows: all.map(\.tableRow)) + "\n"
        return md
    }
}
