// What a result directory shows a person: the summary table, SVG charts and
// REPORT.md — drawn from the CSV files alone, so `plot` can redraw them.

/// The figures of a result directory that charts and reports use, read
/// through the results schema.
public struct ResultSet {
    public var summaries: [RunSummary]
    /// Heap in-use over cumulative ops, per map model and workload
    /// (`seriesKey`) → strategy (repeat 1).
    public var heapSeries: [String: [(strategy: String, points: [(x: Double, y: Double)])]]

    /// The `heapSeries` key of a map model's workload.
    public static func seriesKey(map: String, workload: String) -> String { map + "/" + workload }
    /// against-go.csv, when the folder has one (`run --reference`, `compare-go`).
    public var againstGo: [AgainstGoRow] = []
    /// tombstone-churn's figures, when the folder ran it.
    public var tombstoneChurn: [TombstoneChurnRow] = []
    /// The phases of cells run under a memory limit (Report+MemoryLimit.swift).
    public var memoryLimit: [MemoryLimitRow] = []
    /// The usual advice, tried (Report+Advice.swift).
    public var advice: [AdviceRow] = []
    /// Each cell's phase-end row of its headline phase (repeat 1), by
    /// `RunKey.cellName`, from phases.csv.
    public var headlinePhases: [String: PhaseRow] = [:]
    /// The full suite to check the best strategies against (the first run's
    /// REPORT.md, Report+FullSuite.swift).
    public var fullSuite: FullSuiteReference?

    /// Reads summary.csv, and samples.csv and phases.csv when present (the
    /// heap-over-time charts need them), from `dir`.
    public init(directory dir: String) throws {
        summaries = try RunSummary.read(dir + "/summary.csv")
        var points: [String: [String: [(Double, Double)]]] = [:]
        var order: [String: [String]] = [:]
        func add(_ key: RunKey, _ m: RunMeasurement) {
            guard key.repeatIndex == 1 else { return }
            let series = Self.seriesKey(map: key.map, workload: key.workload)
            if points[series]?[key.strategy] == nil { order[series, default: []].append(key.strategy) }
            points[series, default: [:]][key.strategy, default: []].append((Double(m.ops), Double(m.heapInuseBytes) / 1_048_576))
        }
        let samples = dir + "/samples.csv", phases = dir + "/phases.csv"
        if access(samples, F_OK) == 0 { for r in try SampleRow.read(samples) { add(r.key, r.measurement) } }
        if access(phases, F_OK) == 0 {
            let rows = try PhaseRow.read(phases)
            for r in rows { add(r.key, r.measurement) }
            let headline = Dictionary(summaries.map { ($0.key.cellName, $0.headlinePhase) }) { a, _ in a }
            for r in rows where r.key.repeatIndex == 1 && headline[r.key.cellName] == r.phase {
                headlinePhases[r.key.cellName] = r
            }
            tombstoneChurn = TombstoneChurnRow.rows(from: rows)
            memoryLimit = MemoryLimitRow.rows(from: rows)
            advice = AdviceRow.rows(summaries: summaries, phases: rows)
        }
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

    public static let tableHeader = ["map", "workload", "strategy", "peak MiB", "headline phase", "retained MiB",
                                     "resident MiB", "idle MiB", "freeos MiB", "retained/live", "final MiB",
                                     "leaked MiB", "Go GC ms (model)", "lab GC ms", "ops/s", "p99 ns", "status"]

    /// Go's collection CPU for the run, modelled (ms), or "—" in a file
    /// written before the model.
    static func modelledGCText(_ s: RunSummary) -> String {
        s.modelledGoGCCPUNs == 0 && s.gcCycles > 0 ? "—" : formatFixed(Double(s.modelledGoGCCPUNs) / 1e6, digits: 1)
    }

    static func ratioText(_ r: Double?) -> String { r.map { formatFixed($0, digits: 2) } ?? "—" }

    public static func tableRows(_ summaries: [RunSummary]) -> [[String]] {
        summaries.map { s in
            [s.key.map, s.key.workload, s.key.strategy, mib(s.peakHeapInuseBytes), s.headlinePhase, mib(s.headlineHeapInuseBytes),
             mib(s.headlineResidentBytes), mib(s.idleResidentBytes), mib(s.freeosResidentBytes),
             ratioText(s.headlineRetainedToLive), mib(s.finalHeapInuseBytes), mib(s.leakedBytesFinal),
             modelledGCText(s), formatFixed(Double(s.gcTotalNs) / 1e6, digits: 1),
             formatFixed(s.opsPerSecond, digits: 0), String(s.p99OpNs),
             s.status]
        }
    }

    /// Chart files: name → SVG text. Each map model gets its own set
    /// (`-<map>` in the names), and one chart sets the models side by side.
    public static func charts(_ results: ResultSet) -> [(file: String, title: String, svg: String)] {
        var out: [(String, String, String)] = []
        let maps = orderedUnique(results.summaries.map(\.key.map))
        let workloads = orderedUnique(results.summaries.map(\.key.workload))
        let strategies = orderedUnique(results.summaries.map(\.key.strategy))
        func value(_ m: String, _ w: String, _ s: String, _ f: (RunSummary) -> Double?) -> Double? {
            results.summaries.first { $0.key.map == m && $0.key.workload == w && $0.key.strategy == s }.flatMap(f)
        }
        func perStrategy(_ m: String, _ f: @escaping (RunSummary) -> Double?) -> [[Double?]] {
            workloads.map { w in strategies.map { s in value(m, w, s, f) } }
        }
        if maps.count > 1, let s = strategies.first(where: { $0 == Strategy.go.name }) ?? strategies.first {
            let title = "Heap in use at each workload's headline phase, map models side by side (\(s))"
            out.append(("maps.svg", title, SVG.barChart(
                title: title, yLabel: "heap in use after the phase's collection", groups: workloads,
                seriesNames: maps,
                values: workloads.map { w in maps.map { m in value(m, w, s) { Double($0.headlineHeapInuseBytes) / 1_048_576 } } })))
        }
        for m in maps {
            for w in workloads {
                guard let series = results.heapSeries[ResultSet.seriesKey(map: m, workload: w)] else { continue }
                let title = "Heap in use over the run: \(w) (\(m))"
                out.append(("heap-\(m)-\(w).svg", title, SVG.smallMultiples(
                    title: title, xLabel: "operations", yLabel: "heap in use",
                    series: series.map { ($0.strategy, $0.points) })))
            }
            let retainedTitle = "Heap in use at each workload's headline phase (\(m))"
            out.append(("retained-\(m).svg", retainedTitle, SVG.barChart(
                title: retainedTitle, yLabel: "heap in use after the phase's collection", groups: workloads,
                seriesNames: strategies, values: perStrategy(m) { Double($0.headlineHeapInuseBytes) / 1_048_576 })))
            let residentTitle = "Heap resident (held from the OS) at the headline phase (\(m))"
            out.append(("resident-\(m).svg", residentTitle, SVG.barChart(
                title: residentTitle, yLabel: "heap sys − released", groups: workloads, seriesNames: strategies,
                values: perStrategy(m) { Double($0.headlineResidentBytes) / 1_048_576 })))
            // Go's collection CPU for the run as the model gives it for the
            // Go version of the map model (docs/gc-cost.md); a file from
            // before the model charts the lab collector's own time.
            let modelled = results.summaries.contains { $0.modelledGoGCCPUNs > 0 }
            let gcTitle = modelled ? "Go's GC CPU per run, modelled (\(m))" : "Lab GC time per run (\(m))"
            out.append(("gc-time-\(m).svg", gcTitle, SVG.barChart(
                title: gcTitle, yLabel: modelled ? "Go's GC CPU (model of its counts)" : "lab GC time (mark + sweep + relocation)",
                unit: .milliseconds, groups: workloads, seriesNames: strategies,
                values: perStrategy(m) { Double(modelled ? $0.modelledGoGCCPUNs : $0.gcTotalNs) / 1e6 })))
        }
        if !results.againstGo.isEmpty {
            let title = "Heap in use at each phase end: the lab's go strategy against the real Go runtime"
            out.append(("against-go.svg", title, againstGoChart(results.againstGo, title: title)))
        }
        return out
    }

    /// against-go.svg: small multiples, a panel per workload × map model
    /// (a row per workload, a column per model, one scale per row), the
    /// phases along each panel, the lab's bar beside each Go version's
    /// median run with a whisker over all its runs.
    static func againstGoChart(_ rows: [AgainstGoRow], title: String) -> String {
        let maps = orderedUnique(rows.map(\.map)), workloads = orderedUnique(rows.map(\.workload))
        let versions = orderedUnique(rows.map(\.goVersion))
        var panels: [SVG.BarPanel] = []
        for (r, w) in workloads.enumerated() {
            for (c, m) in maps.enumerated() {
                let cell = rows.filter { $0.map == m && $0.workload == w }
                guard !cell.isEmpty else { continue }
                let phases = orderedUnique(cell.map(\.phase)), goVersions = orderedUnique(cell.map(\.goVersion))
                func row(_ p: String, _ v: String) -> AgainstGoRow? { cell.first { $0.phase == p && $0.goVersion == v } }
                let values: [[Double?]] = phases.map { p in
                    [cell.first { $0.phase == p }.map { Double($0.labHeapInuseBytes) / 1_048_576 }]
                        + goVersions.map { v in row(p, v).map { Double($0.goNetHeapInuseBytes) / 1_048_576 } }
                }
                let ranges: [[(low: Double, high: Double)?]] = phases.map { p in
                    [nil] + goVersions.map { v in
                        row(p, v).flatMap { $0.goRuns > 1
                            ? (Double($0.goNetMinHeapInuseBytes) / 1_048_576, Double($0.goNetMaxHeapInuseBytes) / 1_048_576)
                            : nil }
                    }
                }
                panels.append(SVG.BarPanel(title: "\(w) (\(m))", row: r, column: c, groups: phases,
                                           series: [0] + goVersions.map { versions.firstIndex(of: $0)! + 1 },
                                           values: values, ranges: ranges))
            }
        }
        return SVG.barPanels(title: title, yLabel: "heap in use (Go: net of its start-up heap)", unit: .mebibytes,
                             seriesNames: ["lab, go strategy"] + versions.map { "\($0), median run" },
                             whiskerLabel: "Go's runs, min–max", panels: panels)
    }

    /// Per workload × strategy run on both models: the headline figures of
    /// the first model against the second's (REPORT.md's side-by-side table).
    static func modelComparison(_ summaries: [RunSummary]) -> (header: [String], rows: [[String]])? {
        let maps = orderedUnique(summaries.map(\.key.map))
        guard maps.count == 2 else { return nil }
        let (a, b) = (maps[0], maps[1])
        let header = ["workload", "strategy", "retained MiB \(a)", "retained MiB \(b)", "\(b) / \(a)",
                      "peak MiB \(a)", "peak MiB \(b)", "GC ms \(a)", "GC ms \(b)", "ops/s \(b) / \(a)"]
        var rows: [[String]] = []
        for x in summaries where x.key.map == a {
            guard let y = summaries.first(where: {
                $0.key.map == b && $0.key.workload == x.key.workload && $0.key.strategy == x.key.strategy
            }) else { continue }
            func ratio(_ p: Double, _ q: Double) -> String { q > 0 ? formatFixed(p / q, digits: 2) : "—" }
            rows.append([x.key.workload, x.key.strategy, mib(x.headlineHeapInuseBytes), mib(y.headlineHeapInuseBytes),
                         ratio(Double(y.headlineHeapInuseBytes), Double(x.headlineHeapInuseBytes)),
                         mib(x.peakHeapInuseBytes), mib(y.peakHeapInuseBytes),
                         formatFixed(Double(x.gcTotalNs) / 1e6, digits: 1), formatFixed(Double(y.gcTotalNs) / 1e6, digits: 1),
                         ratio(y.opsPerSecond, x.opsPerSecond)])
        }
        return (header, rows)
    }

    public static func markdownTable(header: [String], rows: [[String]]) -> String {
        // A pipe inside a cell would end it.
        func line(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
        }
        var md = line(header)
        md += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for row in rows { md += line(row) }
        return md
    }

    /// REPORT.md: one screen at a glance (the strategy that keeps least per
    /// workload and map model, the headline findings), then the tables and
    /// the charts.
    public static func markdown(_ results: ResultSet, charts: [(file: String, title: String, svg: String)], header: String) -> String {
        var md = "# BucketLab report\n\n" + header + "\n\n"
        md += glanceMarkdown(results)
        md += fullSuiteMarkdown(results)
        md += findingsMarkdown(results)
        md += "## Every cell\n\n"
        md += markdownTable(header: tableHeader, rows: tableRows(results.summaries))
        md += "\npeak = the heap's exact high-water mark of in-use bytes over the run; retained = heap in use after the "
        md += "headline phase's full collection (the phase that shows what the workload is about), final = the same after "
        md += "the last phase; resident = what the process holds of the heap there (Go's HeapSys − HeapReleased), idle = "
        md += "the same once the background scavenger has reached its goal, freeos = after FreeOSMemory; live = what the "
        md += "program still needs (live keys × slot bytes + live payload bytes), — where nothing is live. Columns of "
        md += "every file: `Results/README.md`.\n\n"
        if let side = modelComparison(results.summaries) {
            md += "## The map models side by side\n\n"
            md += "The same workload, strategy, keys and heap on each map model: Go 1.19's buckets (classic) and the Swiss "
            md += "tables of Go 1.24+ (swiss). A preset setting a model has no use for does nothing there "
            md += "(`bucketlab list` says which).\n\n"
            md += markdownTable(header: side.header, rows: side.rows) + "\n"
        }
        if !results.tombstoneChurn.isEmpty {
            md += "## tombstone-churn: a map at constant size under delete + insert\n\n"
            md += "Each load's map is made for the run's key count (`make(map, n)`), filled to that share of the slots it "
            md += "got, then churned: n loops of delete-oldest + insert-new. A Swiss table rehashes when deletes that "
            md += "leave tombstones use up its growth allowance (golang/go#70886; Go 1.25+ first prunes tombstones no "
            md += "probe needs); the classic map reuses deleted slots in place but chains overflow buckets, and cannot "
            md += "hold 87% (its limit is 6.5 of 8 slots), so its fill grows it first. Storage is the map's buckets or "
            md += "tables, directory included.\n\n"
            md += markdownTable(header: TombstoneChurnRow.header, rows: results.tombstoneChurn.map(\.fields)) + "\n"
        }
        md += memoryLimitMarkdown(results)
        md += adviceMarkdown(results)
        if !results.againstGo.isEmpty {
            md += "## Against Go\n\n"
            md += "The `go` strategy's phase ends against the real Go runtime running the same workload with the same keys "
            md += "(Reference/, `scripts/reference`). Go's heap in use is net of the runtime's start-up heap. Each map "
            md += "model is joined with the Go versions whose map it models: classic with Go before 1.24, swiss with "
            md += "1.24 and later; on a reference run on a sync.Map (`scripts/reference --map syncmap`, versions ending "
            md += "in `-syncmap`), syncmap119 with Go before 1.24 and synctrie with 1.24 and later. Go's heap in use after a collection moves by several percent from one process to "
            md += "the next (a new hash seed each run, so tables split at other moments against its concurrent "
            md += "collections): where the reference ran each workload several times, Go's figure is the run with the "
            md += "median net heap, and the range of all runs stands beside it. Every figure: `against-go.csv`.\n\n"
            md += "How close the lab comes, set beside how close Go comes to itself: each Go run against the median of "
            md += "the other runs (leave one out). Phases where one Go run is within 2% of the others' median are the "
            md += "floor under any 2% fidelity target.\n\n"
            md += markdownTable(header: AgainstGo.summaryHeader,
                                rows: AgainstGo.summaryRows(AgainstGo.summaries(results.againstGo))) + "\n"
            md += markdownTable(header: AgainstGo.tableHeader, rows: AgainstGo.tableRows(results.againstGo)) + "\n"
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

    /// Per map × workload × strategy present in both: B − A of the summary figures.
    public static func compare(_ a: [RunSummary], _ b: [RunSummary]) -> (header: [String], rows: [[String]]) {
        let header = ["map", "workload", "strategy", "retained MiB A", "retained MiB B", "Δ retained MiB", "retained/live A",
                      "retained/live B", "Δ GC ms", "ops/s B/A", "Δ p99 ns"]
        var rows: [[String]] = []
        for x in a {
            guard let y = b.first(where: {
                $0.key.map == x.key.map && $0.key.workload == x.key.workload && $0.key.strategy == x.key.strategy
            }) else { continue }
            let ratio = x.opsPerSecond > 0 ? formatFixed(y.opsPerSecond / x.opsPerSecond, digits: 2) : "—"
            rows.append([x.key.map, x.key.workload, x.key.strategy, mib(x.headlineHeapInuseBytes),
                         mib(y.headlineHeapInuseBytes), mib(y.headlineHeapInuseBytes - x.headlineHeapInuseBytes),
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
