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
    /// Later strategies that keep within 1% of the least too (not `go`).
    var tiedWith: [String] = []

    var map: String { go.key.map }
    var workload: String { go.key.workload }
    var bestIsGo: Bool { best.key.strategy == go.key.strategy }

    static let tableHeader = ["map", "workload", "headline phase", "keeps least", "retained MiB", "go MiB", "× go",
                              "Go GC ms (model)", "go's Go GC ms (model)", "ops/s × go"]

    var tableRow: [String] {
        [map, workload, go.headlinePhase, best.key.strategy, Report.mib(best.headlineHeapInuseBytes),
         Report.mib(go.headlineHeapInuseBytes), Self.times(best.headlineHeapInuseBytes, go.headlineHeapInuseBytes),
         Report.modelledGCText(best), Report.modelledGCText(go), Self.times(best.opsPerSecond, go.opsPerSecond)]
    }

    /// The sentences.
    var text: String {
        let phase = "\(go.headlinePhase), live \(Report.mib(go.headlineLiveBytes)) MiB"
        var s = "**\(map) · \(workload)** (headline phase \(phase)): "
        if bestIsGo {
            s += "no strategy keeps 1% less than `go`, \(Report.mib(go.headlineHeapInuseBytes)) MiB."
        } else {
            s += "`\(best.key.strategy)` keeps least"
            if !tiedWith.isEmpty {
                s += " (within 1%, as do " + tiedWith.map { "`\($0)`" }.joined(separator: ", ") + ": the first is named)"
            }
            s += ", \(Report.mib(best.headlineHeapInuseBytes)) MiB — "
            s += "\(Self.times(best.headlineHeapInuseBytes, go.headlineHeapInuseBytes))× the "
            s += "\(Report.mib(go.headlineHeapInuseBytes)) MiB `go` keeps — at \(Report.modelledGCText(best)) ms of Go's "
            s += "collection CPU (modelled) against `go`'s \(Report.modelledGCText(go)) ms, and "
            s += "\(Self.times(best.opsPerSecond, go.opsPerSecond))× its "
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
    /// least at the headline phase — the first, in the run's order (`go`
    /// first, then the presets by how much they change), that keeps within
    /// 1% of the least. A page or two more or less is not a ranking: sizes
    /// round to spans and the run's keys move them, so the 1% rule lets a
    /// smaller run name the full suite's strategy (docs/notes/first-run.md).
    static func findings(_ results: ResultSet) -> [Finding] {
        findings(results.summaries, headlinePhases: results.headlinePhases)
    }

    static func findings(_ summaries: [RunSummary], headlinePhases: [String: PhaseRow] = [:]) -> [Finding] {
        let ok = summaries.filter { $0.status == "ok" }
        var out: [Finding] = []
        for go in ok where go.key.strategy == Strategy.go.name {
            let peers = ok.filter { $0.key.map == go.key.map && $0.key.workload == go.key.workload }
            let least = peers.map(\.headlineHeapInuseBytes).min()!
            func near(_ s: RunSummary) -> Bool { Double(s.headlineHeapInuseBytes) <= Double(least) * 1.01 }
            var finding = Finding(best: go, go: go, goHeadline: headlinePhases[go.key.cellName])
            if !near(go) {
                let within = peers.filter(near)
                finding.best = within[0]
                finding.tiedWith = within.dropFirst().map(\.key.strategy)
            }
            out.append(finding)
        }
        return out
    }

    /// The committed fit has no hash-trie heap: against Go 1.27.3's sync.Map
    /// it gives a median 0.35 of Go's GC CPU (docs/gc-cost.md).
    static let hashTrieCostNote = "synctrie's Go GC ms is a lower bound: the fit has no hash-trie heap, and Go "
        + "pays about three times the modelled figure for one (docs/gc-cost.md, \"sync.Map heaps\")."

    /// The "Findings" section, or "" when no workload ran `go`.
    static func findingsMarkdown(_ results: ResultSet) -> String {
        let all = findings(results)
        guard !all.isEmpty else { return "" }
        var md = "## Findings\n\nGenerated from this run's summary.csv and phases.csv (medians over repeats; the "
        md += "leak audit from repeat 1): retained = heap in use after the headline phase's collection, Go GC ms = "
        md += "the CPU Go's collector would spend on all of the run's collections, modelled from their counts for the "
        md += "Go version of the map model, with coefficients fitted on Go runs on \(GoGCCost.Models.committedMachine) unless the "
        md += "line under the title names a file (docs/gc-cost.md, \"Coefficients for your machine\"; the lab collector's own time is summary.csv's gc_total_ns), "
        md += "ops/s = the workload's map operations per second.\n\n"
        if results.summaries.contains(where: { $0.key.map == SyncTrie.modelName }) { md += Self.hashTrieCostNote + "\n\n" }
        for f in all { md += "- " + f.text + "\n" }
        md += "\n### Best strategy per workload\n\n"
        md += markdownTable(header: Finding.tableHeader, rows: all.map(\.tableRow)) + "\n"
        return md
    }
}

/// The first screen of REPORT.md and of `bucketlab run`: per workload and
/// map model, what `go` keeps at the headline phase, the strategy that keeps
/// least and what it keeps, and the ratio. Everything else is in the tables
/// that follow and in summary.csv.
struct Glance {
    var maps: [String]
    var strategies: [String]
    /// Per workload, in run order: its headline phase and each map model's
    /// finding (nil where `go` did not run or failed there).
    var rows: [(workload: String, phase: String, cells: [Finding?])]

    init(_ results: ResultSet) {
        let findings = Report.findings(results)
        let maps = Report.orderedUnique(results.summaries.map(\.key.map))
        self.maps = maps
        strategies = Report.orderedUnique(results.summaries.map(\.key.strategy))
        rows = Report.orderedUnique(results.summaries.map(\.key.workload)).map { w in
            let cells = maps.map { m in findings.first { $0.map == m && $0.workload == w } }
            let phase = cells.compactMap { $0?.go.headlinePhase }.first
                ?? results.summaries.first { $0.key.workload == w }?.headlinePhase ?? "—"
            return (w, phase, cells)
        }
    }

    static let perMap = ["go MiB", "least", "MiB", "× go"]

    func fields(_ f: Finding?, name: (String) -> String = { $0 }) -> [String] {
        guard let f else { return ["—", "—", "—", "—"] }
        return [Report.mib(f.go.headlineHeapInuseBytes), name(f.best.key.strategy), Report.mib(f.best.headlineHeapInuseBytes),
                Finding.times(f.best.headlineHeapInuseBytes, f.go.headlineHeapInuseBytes)]
    }

    /// What the terminal calls each strategy: its name, or `s<n>` for a
    /// spec too long for a column (`clear=pointers+overflow=reclaim+…`),
    /// spelled out under the table.
    var shortNames: [String: String] {
        Dictionary(uniqueKeysWithValues: strategies.enumerated().map { i, s in (s, s.count <= 12 ? s : "s\(i + 1)") })
    }

    static let legend = "retained = heap in use after the workload's headline phase and its full collection; least = "
        + "the first strategy (go, then the presets in order) keeping within 1% of the least there; × go = its MiB over `go`'s."

    var markdown: String {
        let header = ["workload", "headline phase"] + maps.flatMap { m in
            ["\(m): go MiB", "\(m): keeps least", "its MiB", "× go"]
        }
        return Report.markdownTable(header: header, rows: rows.map { r in [r.workload, r.phase] + r.cells.flatMap { fields($0) } })
    }

    /// The terminal's table: a line naming the models over their columns,
    /// at most `width` columns (the phase column goes first when it does not fit).
    func text(width: Int = 120) -> String {
        for withPhase in [true, false] {
            let lead = withPhase ? ["workload", "phase"] : ["workload"]
            let header = lead + maps.flatMap { _ in Self.perMap }
            let short = shortNames
            let body = rows.map { r in
                (withPhase ? [r.workload, r.phase] : [r.workload]) + r.cells.flatMap { fields($0) { short[$0] ?? $0 } }
            }
            let numeric = Set(maps.indices.flatMap { i in [0, 2, 3].map { lead.count + 4 * i + $0 } })
            let table = renderTable(header: header, rows: body, rightAlign: numeric, groupGap: 4,
                                    groups: [(title: "", columns: lead.count)] + maps.map { (title: $0, columns: 4) })
            let widest = table.split(separator: "\n").map(\.count).max() ?? 0
            if widest <= width || !withPhase { return table }
        }
        return ""
    }
}

extension Report {
    /// A few sentences from the findings for the first screen: per map model,
    /// which strategies keep less than `go` and by how much, and where none
    /// does; and, with against-go.csv, how close the lab's `go` comes to Go.
    static func headlines(_ results: ResultSet) -> [String] {
        let all = findings(results)
        var out: [String] = []
        for m in orderedUnique(all.map(\.map)) {
            let mine = all.filter { $0.map == m }
            let better = mine.filter { !$0.bestIsGo }, same = mine.filter(\.bestIsGo)
            var s = "**\(m)**: "
            if better.isEmpty {
                s += "no strategy keeps 1% less than `go` in any of its \(mine.count) workloads."
            } else {
                let winners = orderedUnique(better.map(\.best.key.strategy)).map { w in
                    (w, better.filter { $0.best.key.strategy == w }.count)
                }.sorted { $0.1 > $1.1 }
                let ratios = better.map { Double($0.best.headlineHeapInuseBytes) / Double(max(1, $0.go.headlineHeapInuseBytes)) }
                let most = better[ratios.indices.min { ratios[$0] < ratios[$1] }!]
                let least = better[ratios.indices.max { ratios[$0] < ratios[$1] }!]
                func times(_ f: Finding) -> String { Finding.times(f.best.headlineHeapInuseBytes, f.go.headlineHeapInuseBytes) }
                s += "a strategy keeps less than `go` in \(better.count) of \(mine.count) workloads ("
                s += winners.map { "`\($0.0)` in \($0.1)" }.joined(separator: ", ") + "), "
                s += better.count == 1 ? "at " : "from \(times(least))× (\(least.workload)) down to "
                s += "\(times(most))× (\(most.workload): \(mib(most.best.headlineHeapInuseBytes)) MiB against "
                s += "\(mib(most.go.headlineHeapInuseBytes)))."
                if !same.isEmpty {
                    s += " None does in " + same.map(\.workload).joined(separator: ", ")
                    let kept = same.compactMap { f -> String? in
                        guard let r = f.goHeadline?.retention, r.iteratorBytes + r.pinBytes > 0 else { return nil }
                        let what = r.pinBytes >= r.iteratorBytes ? "pins" : "open iterators"
                        return "\(f.workload) keeps \(mib(max(r.pinBytes, r.iteratorBytes))) MiB only through \(what)"
                    }
                    s += kept.isEmpty ? "." : " (" + kept.joined(separator: "; ") + ")."
                }
            }
            out.append(s)
        }
        for g in AgainstGo.summaries(results.againstGo) {
            var s = "**Against \(g.goVersion)** (\(g.map)): the lab's `go` is within 2% of Go's median run in "
            s += "\(g.labWithin2Percent) of \(g.phases) phases and within Go's runs' range ±2% in \(g.labWithinRange)"
            if let own = g.goRunWithin2Percent {
                s += "; Go's own runs, each against the median of the others, are within 2% in "
                s += "\(formatFixed(own, digits: 1)) phases on average"
            }
            out.append(s + ".")
        }
        return out
    }

    /// REPORT.md's opening: the glance table and the headlines.
    static func glanceMarkdown(_ results: ResultSet) -> String {
        let glance = Glance(results)
        guard !glance.rows.isEmpty else { return "" }
        var md = "## At a glance\n\n" + Glance.legend + "\n\n" + glance.markdown + "\n"
        for h in headlines(results) { md += "- " + h + "\n" }
        return md + "\nBelow: the findings per workload, every cell's figures (summary.csv), the tables and the charts.\n\n"
    }

    /// `bucketlab run`'s and `bucketlab plot`'s screen: the glance table.
    public static func glanceText(_ results: ResultSet) -> String {
        let glance = Glance(results)
        let short = glance.shortNames
        var out = "Retained MiB at each workload's headline phase, under go and under the strategy that keeps least\n"
        out += "(of " + glance.strategies.map { short[$0]! }.joined(separator: ", ") + "; the first within 1% of the least, go first).\n\n"
        out += glance.text()
        for s in glance.strategies where short[s] != s { out += "\(short[s]!) = \(s)\n" }
        return out
    }
}
