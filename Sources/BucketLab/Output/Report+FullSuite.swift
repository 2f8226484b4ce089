// The first run's check against the full suite: `bucketlab run` without
// `--full` runs fewer keys once (Suite.swift, docs/notes/first-run.md); its
// REPORT.md says whether each workload and map model's best strategy is the
// one the committed full suite names, and where not, the figures of both.

/// A full suite's summary.csv to check a run's best strategies against.
public struct FullSuiteReference: Sendable {
    /// As the report names it.
    public var path: String
    public var summaries: [RunSummary]

    public init(path: String, summaries: [RunSummary]) {
        self.path = path
        self.summaries = summaries
    }
}

extension Report {
    /// Rows (map, workload) whose best strategy differs from `full`'s: this
    /// run's finding and the full suite's.
    static func differences(_ results: ResultSet, from full: FullSuiteReference) -> [(mine: Finding, full: Finding)] {
        let theirs = findings(full.summaries)
        return findings(results).compactMap { f in
            guard let g = theirs.first(where: { $0.map == f.map && $0.workload == f.workload }),
                  g.best.key.strategy != f.best.key.strategy else { return nil }
            return (f, g)
        }
    }

    /// The section, or "" without a reference (or when the run is the full
    /// suite's size).
    static func fullSuiteMarkdown(_ results: ResultSet) -> String {
        guard let full = results.fullSuite else { return "" }
        let fullKeys = full.summaries.first?.keys ?? 0
        let keys = results.summaries.first?.keys ?? 0
        let theirs = findings(full.summaries)
        let mine = findings(results)
        let compared = mine.filter { f in theirs.contains { $0.map == f.map && $0.workload == f.workload } }
        var md = "## Against the full suite\n\n"
        md += "This run has \(keys) keys per workload; the full suite (`bucketlab run --full`: "
        md += "\(fullKeys) keys, \(SuiteConfig.fullRepeats) repeats) is committed as `\(full.path)`. "
        let diff = differences(results, from: full)
        if diff.isEmpty {
            md += "The best strategy above is the full suite's in all \(compared.count) rows (map model × workload) "
            md += "both ran.\n\n"
            return md
        }
        md += "The best strategy above is the full suite's in \(compared.count - diff.count) of \(compared.count) rows; "
        md += "these differ, because at \(keys) keys the strategies rank otherwise than at \(fullKeys) "
        md += "(retained MiB at the headline phase, in this run and in the full suite):\n\n"
        var rows: [[String]] = []
        for (f, g) in diff {
            func bytes(_ s: [RunSummary], _ strategy: String) -> String {
                s.first { $0.key.map == f.map && $0.key.workload == f.workload && $0.key.strategy == strategy }
                    .map { mib($0.headlineHeapInuseBytes) } ?? "—"
            }
            let a = f.best.key.strategy, b = g.best.key.strategy
            rows.append([f.map, f.workload, a, b,
                         "\(a) \(bytes(results.summaries, a)), \(b) \(bytes(results.summaries, b))",
                         "\(a) \(bytes(full.summaries, a)), \(b) \(bytes(full.summaries, b))"])
        }
        md += markdownTable(header: ["map", "workload", "keeps least here", "in the full suite",
                                     "MiB here", "MiB in the full suite"], rows: rows)
        md += "\nRun `bucketlab run --full` for the reference figures.\n\n"
        return md
    }
}

extension Report {
    /// One line for the terminal: how many best strategies match the full suite's.
    public static func fullSuiteLine(_ results: ResultSet) -> String? {
        guard let full = results.fullSuite else { return nil }
        let theirs = findings(full.summaries)
        let compared = findings(results).filter { f in theirs.contains { $0.map == f.map && $0.workload == f.workload } }
        let differ = differences(results, from: full).count
        return "best strategy as in the full suite, \(full.path): \(compared.count - differ) of \(compared.count) rows"
            + (differ > 0 ? " (REPORT.md: which, why)" : "")
    }
}
