// What a result directory shows a person: the summary table, SVG charts and
// REPORT.md — drawn from the CSV files alone, so `plot` can redraw them.

/// The figures of a result directory that charts and reports use, read
/// through the results schema.
public struct ResultSet {
    public var summaries: [RunSummary]
    /// Heap in-use over cumulative ops, per workload → strategy (repeat 1).
    public var heapSeries: [String: [(strategy: String, points: [(x: Double, y: Double)])]]
    /// against-go.csv, when the folder has one (`run --reference`, `compare-go`).
    public var againstGo: [AgainstGoRow] = []

    /// Reads summary.csv, and samples.csv and phases.csv when present (the
    /// heap-over-time charts need them), from `dir`.
    public init(directory dir: String) throws {
        summaries = try RunSummary.read(dir + "/summary.csv")
        var points: [String: [String: [(Double, Double)]]] = [:]
        var order: [String: [String]] = [:]
        func add(_ key: RunKey, _ m: RunMeasurement) {
            guard key.repeatIndex == 1 else { return }
            if points[key.workload]?[key.strategy] == nil { order[key.workload, default: []].append(key.strategy) }
            points[key.workload, default: [:]][key.strategy, default: []].append((Double(m.ops), Double(m.heapInuseBytes) / 1_048_576))
        }
        let samples = dir + "/samples.csv", phases = dir + "/phases.csv"
        if access(samples, F_OK) == 0 { for r in try SampleRow.read(samples) { add(r.key, r.measurement) } }
        if access(phases, F_OK) == 0 { for r in try PhaseRow.read(phases) { add(r.key, r.measurement) } }
        let against = dir + "/against-go.csv"
        if access(against, F_OK) == 0 { againstGo = try AgainstGoRow.read(against) }
        heapSeries = [:]
        for (workload, strategies) in order {
            heapSeries[workload] = strategies.map { s in
                (s, points[workload]![s]!.sorted { $0.0 < $1.0 }.map { (x: $0.0, y: $0.1) })
            }
        }
    }

    /// Parses summary.csv text, refusing anything bucketlab did not write.
    public static func parseSummaries(_ text: String, name path: String) throws -> [RunSummary] {
        try RunSummary.rows(of: CSVDocument(text: text, name: path), file: path)
    }
}

public enum Report {
    static func mib(_ bytes: Int) -> String { formatFixed(Double(bytes) / 1_048_576, digits: 2) }

    public static let tableHeader = ["workload", "strategy", "peak MiB", "headline phase", "retained MiB",
                                     "resident MiB", "idle MiB", "freeos MiB", "retained/live", "final MiB",
                                     "leaked MiB", "GC ms", "ops/s", "p99 ns", "status"]

    static func ratioText(_ r: Double?) -> String { r.map { formatFixed($0, digits: 2) } ?? "—" }

    public static func tableRows(_ summaries: [RunSummary]) -> [[String]] {
        summaries.map { s in
            [s.key.workload, s.key.strategy, mib(s.peakHeapInuseBytes), s.headlinePhase, mib(s.headlineHeapInuseBytes),
             mib(s.headlineResidentBytes), mib(s.idleResidentBytes), mib(s.freeosResidentBytes),
             ratioText(s.headlineRetainedToLive), mib(s.finalHeapInuseBytes), mib(s.leakedBytesFinal),
             formatFixed(Double(s.gcTotalNs) / 1e6, digits: 1), formatFixed(s.opsPerSecond, digits: 0), String(s.p99OpNs),
             s.status]
        }
    }

    /// The summary as a terminal table.
    public static func text(_ summaries: [RunSummary]) -> String {
        renderTable(header: tableHeader, rows: tableRows(summaries), rightAlign: Set([2] + Array(4..<14)))
    }

    /// Chart files: name → SVG text.
    public static func charts(_ results: ResultSet) -> [(file: String, title: String, svg: String)] {
        var out: [(String, String, String)] = []
        let workloads = orderedUnique(results.summaries.map(\.key.workload))
        let strategies = orderedUnique(results.summaries.map(\.key.strategy))
        for w in workloads {
            guard let series = results.heapSeries[w] else { continue }
            let title = "Heap in use over the run: \(w)"
            out.append(("heap-\(w).svg", title, SVG.lineChart(title: title, xLabel: "operations", yLabel: "heap in use (MiB)",
                                                              series: series.map { ($0.strategy, $0.points) })))
        }
        func value(_ w: String, _ s: String, _ f: (RunSummary) -> Double?) -> Double? {
            results.summaries.first { $0.key.workload == w && $0.key.strategy == s }.flatMap(f)
        }
        let retainedTitle = "Heap in use at each workload's headline phase"
        out.append(("retained.svg", retainedTitle, SVG.barChart(
            title: retainedTitle, yLabel: "heap in use after the phase's collection (MiB)", groups: workloads,
            seriesNames: strategies,
            values: workloads.map { w in strategies.map { s in value(w, s) { Double($0.headlineHeapInuseBytes) / 1_048_576 } } })))
        let residentTitle = "Heap resident (held from the OS) at the headline phase"
        out.append(("resident.svg", residentTitle, SVG.barChart(
            title: residentTitle, yLabel: "heap sys − released (MiB)", groups: workloads, seriesNames: strategies,
            values: workloads.map { w in strategies.map { s in value(w, s) { Double($0.headlineResidentBytes) / 1_048_576 } } })))
        if !results.againstGo.isEmpty {
            let phases = Report.orderedUnique(results.againstGo.map { "\($0.workload) \($0.phase)" })
            let versions = Report.orderedUnique(results.againstGo.map(\.goVersion))
            func lab(_ p: String) -> Double? {
                results.againstGo.first { "\($0.workload) \($0.phase)" == p }.map { Double($0.labHeapInuseBytes) / 1_048_576 }
            }
            func go(_ p: String, _ v: String) -> Double? {
                results.againstGo.first { "\($0.workload) \($0.phase)" == p && $0.goVersion == v }
                    .map { Double($0.goNetHeapInuseBytes) / 1_048_576 }
            }
            let title = "Heap in use at each phase end: the lab's go strategy and the real Go runtime"
            out.append(("against-go.svg", title, SVG.barChart(
                title: title, yLabel: "heap in use, MiB (Go: net of its start-up heap)", groups: phases,
                seriesNames: ["lab (go)"] + versions,
                values: phases.map { p in [lab(p)] + versions.map { go(p, $0) } })))
        }
        let gcTitle = "GC time per run"
        out.append(("gc-time.svg", gcTitle, SVG.barChart(
            title: gcTitle, yLabel: "GC ms (mark + sweep + relocation)", groups: workloads, seriesNames: strategies,
            values: workloads.map { w in strategies.map { s in value(w, s) { Double($0.gcTotalNs) / 1e6 } } })))
        return out
    }

    /// REPORT.md: the table and the charts.
    public static func markdown(_ results: ResultSet, charts: [(file: String, title: String, svg: String)], header: String) -> String {
        var md = "# BucketLab report\n\n" + header + "\n\n"
        md += "| " + tableHeader.joined(separator: " | ") + " |\n"
        md += "|" + tableHeader.map { _ in "---" }.joined(separator: "|") + "|\n"
        for row in tableRows(results.summaries) { md += "| " + row.joined(separator: " | ") + " |\n" }
        md += "\npeak = the heap's exact high-water mark of in-use bytes over the run; retained = heap in use after the "
        md += "headline phase's full collection (the phase that shows what the workload is about), final = the same after "
        md += "the last phase; resident = what the process holds of the heap there (Go's HeapSys − HeapReleased), idle = "
        md += "the same once the background scavenger has reached its goal, freeos = after FreeOSMemory; live = what the "
        md += "program still needs (live keys × slot bytes + live payload bytes), — where nothing is live. Columns of "
        md += "every file: `Results/README.md`.\n\n"
        if !results.againstGo.isEmpty {
            md += "## Against Go\n\n"
            md += "The `go` strategy's phase ends against the real Go runtime running the same workload with the same keys "
            md += "(Reference/, `scripts/reference`). Go's heap in use is net of the runtime's start-up heap; the classic "
            md += "map models Go before 1.24, so the ratio to check is Go 1.19's (later Go runs Swiss tables). "
            md += "Every figure: `against-go.csv`.\n\n"
            md += "| " + AgainstGo.tableHeader.joined(separator: " | ") + " |\n"
            md += "|" + AgainstGo.tableHeader.map { _ in "---" }.joined(separator: "|") + "|\n"
            for row in AgainstGo.tableRows(results.againstGo) { md += "| " + row.joined(separator: " | ") + " |\n" }
            md += "\n"
        }
        for c in charts { md += "## \(c.title)\n\n![\(c.title)](\(c.file))\n\n" }
        return md
    }

    /// Writes the charts and REPORT.md into `dir`.
    public static func write(_ results: ResultSet, to dir: String, header: String) throws {
        let cs = charts(results)
        for c in cs { try writeFileAtomically(c.svg, to: dir + "/" + c.file) }
        try writeFileAtomically(markdown(results, charts: cs, header: header), to: dir + "/REPORT.md")
    }

    /// Per workload × strategy present in both: B − A of the summary figures.
    public static func compare(_ a: [RunSummary], _ b: [RunSummary]) -> (header: [String], rows: [[String]]) {
        let header = ["workload", "strategy", "retained MiB A", "retained MiB B", "Δ retained MiB", "retained/live A",
                      "retained/live B", "Δ GC ms", "ops/s B/A", "Δ p99 ns"]
        var rows: [[String]] = []
        for x in a {
            guard let y = b.first(where: { $0.key.workload == x.key.workload && $0.key.strategy == x.key.strategy }) else { continue }
            let ratio = x.opsPerSecond > 0 ? formatFixed(y.opsPerSecond / x.opsPerSecond, digits: 2) : "—"
            rows.append([x.key.workload, x.key.strategy, mib(x.headlineHeapInuseBytes), mib(y.headlineHeapInuseBytes),
                         mib(y.headlineHeapInuseBytes - x.headlineHeapInuseBytes),
                         ratioText(x.headlineRetainedToLive), ratioText(y.headlineRetainedToLive),
                         formatFixed((Double(y.gcTotalNs) - Double(x.gcTotalNs)) / 1e6, digits: 1), ratio,
                         String(y.p99OpNs - x.p99OpNs)])
        }
        return (header, rows)
    }

    static func orderedUnique(_ xs: [String]) -> [String] {
        var seen = Set<String>()
        return xs.filter { seen.insert($0).inserted }
    }
}

#if canImport(Glibc)
import Glibc
#endif
