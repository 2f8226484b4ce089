// REPORT.md's "The usual advice, measured": each practice a Go developer is
// told to try on a map that keeps memory, the workload that tests it, the
// heap retained without and with it on each Go generation, and a verdict
// computed from the two figures. All from this run's `go` strategy, so both
// sides had the same keys, sizes and collector:
//
// - switch to sync.Map: each workload's headline phase on the map of a Go
//   generation against the sync.Map of the same generation (classic against
//   syncmap119, swiss against synctrie) — rows only where both ran;
// - empty the map: fill-clear's full map against the same map after
//   clear(m), after the range-delete idiom, and replaced by m = make(...) —
//   what each gives back, side by side;
// - clear it in a finalizer (or a cleanup): the map a plain drop leaves
//   after one collection (fill-clear's `rebuilt`: the old map replaced by a
//   new one) against the map dropped through a wrapper whose finalizer or
//   cleanup clears it, one collection after the drop and after the next
//   (finalizer-drop, cleanup-drop), and with the map pointing back at its
//   wrapper (finalizer-cycle, four collections on).

/// One practice on one workload and Go generation.
public struct AdviceRow: Sendable, Equatable {
    public var practice: String
    public var generation: String
    public var workload: String
    /// What the two sides are (a map model, or a phase).
    public var without: String
    public var with: String
    public var withoutBytes: Int
    public var withBytes: Int

    /// Within this share of each other, a practice "does not change" what
    /// is retained.
    public static let tolerance = 0.10
    /// Nor within this many bytes: a few spans, what an emptied map's
    /// header or a new empty map holds — below what a ratio can judge.
    public static let floorBytes = 64 << 10

    /// With over without; nil where without keeps less than `floorBytes`.
    public var ratio: Double? {
        guard withoutBytes >= Self.floorBytes else { return nil }
        return Double(withBytes) / Double(withoutBytes)
    }

    public enum Verdict: String, Sendable { case helps, noChange = "does not change it", worse = "makes it worse" }

    public var verdict: Verdict {
        if abs(withBytes - withoutBytes) < Self.floorBytes { return .noChange }
        guard let r = ratio else { return .worse }  // without is near nothing, with is not
        if r < 1 - Self.tolerance { return .helps }
        if r > 1 + Self.tolerance { return .worse }
        return .noChange
    }

    /// Workloads that mean nothing on a sync.Map: tombstone-churn fills to
    /// a share of the map's slots, which a sync.Map does not have, and
    /// leaked-interior-ref's pin into a trie node reaches the whole trie.
    static let notComparableOnSyncMap: Set<String> = ["tombstone-churn", "leaked-interior-ref",
                                                       "finalizer-drop", "cleanup-drop", "finalizer-cycle"]

    static let generations = [("classic", "syncmap119", "Go ≤ 1.23"), ("swiss", "synctrie", "Go ≥ 1.24")]

    /// The Go generation a map model stands for, as the rows name it.
    static func generationLabel(_ map: String) -> String {
        MapModels.standsForGo119(map) ? generations[0].2 : generations[1].2
    }

    /// The rows this run can give.
    public static func rows(summaries: [RunSummary], phases: [PhaseRow]) -> [AdviceRow] {
        var rows: [AdviceRow] = []
        let go = summaries.filter { $0.key.strategy == "go" && $0.status == "ok" }
        let byCell = Dictionary(go.map { ("\($0.key.map)/\($0.key.workload)", $0) }) { a, _ in a }
        let workloads = Report.orderedUnique(go.map(\.key.workload))
        for (plain, sync, generation) in generations {
            for w in workloads where !notComparableOnSyncMap.contains(w) {
                guard let a = byCell["\(plain)/\(w)"], let b = byCell["\(sync)/\(w)"], a.headlinePhase == b.headlinePhase else { continue }
                rows.append(AdviceRow(practice: "switch to sync.Map", generation: generation, workload: "\(w) (\(a.headlinePhase))",
                                      without: plain, with: sync,
                                      withoutBytes: a.headlineHeapInuseBytes, withBytes: b.headlineHeapInuseBytes))
            }
        }
        let fill = phases.filter { $0.key.workload == "fill-clear" && $0.key.strategy == "go" && $0.key.repeatIndex == 1 }
        for map in Report.orderedUnique(fill.map(\.key.map)) where generations.contains(where: { $0.0 == map }) {
            let phase = { (name: String) in fill.first { $0.key.map == map && $0.phase == name }?.measurement.heapInuseBytes }
            let generation = generationLabel(map)
            for (before, after, idiom) in [("filled", "cleared", "clear(m)"),
                                           ("refilled", "range-deleted", "for k := range m { delete(m, k) }"),
                                           ("refilled-again", "rebuilt", "m = make(…)")] {
                guard let full = phase(before), let emptied = phase(after) else { continue }
                rows.append(AdviceRow(practice: "empty the map", generation: "\(generation) (\(map))",
                                      workload: "fill-clear (\(before) → \(after))", without: "the full map", with: idiom,
                                      withoutBytes: full, withBytes: emptied))
            }
        }
        // Finalizers and cleanups, against a plain drop after one cycle.
        func phaseBytes(_ map: String, _ workload: String, _ name: String) -> Int? {
            phases.first { $0.key.map == map && $0.key.workload == workload && $0.key.strategy == "go"
                && $0.key.repeatIndex == 1 && $0.phase == name }?.measurement.heapInuseBytes
        }
        let dropMaps = Report.orderedUnique(phases.filter { $0.key.strategy == "go" }.map(\.key.map))
        for map in dropMaps {
            guard let plain = phaseBytes(map, "fill-clear", "rebuilt") else { continue }
            let generation = generationLabel(map)
            for (workload, phase, with) in [("finalizer-drop", "gc1", "finalizer that clears it, 1 cycle on"),
                                            ("finalizer-drop", "gc2", "finalizer that clears it, 2 cycles on"),
                                            ("cleanup-drop", "gc1", "cleanup (map as arg), 1 cycle on"),
                                            ("cleanup-drop", "gc2", "cleanup (map as arg), 2 cycles on"),
                                            ("finalizer-cycle", "gc4", "finalizer, map points back, 4 cycles on")] {
                // runtime.AddCleanup is Go 1.24's.
                if workload == "cleanup-drop" && MapModels.standsForGo119(map) { continue }
                guard let bytes = phaseBytes(map, workload, phase) else { continue }
                rows.append(AdviceRow(practice: "clear it in a finalizer", generation: "\(generation) (\(map))",
                                      workload: "\(workload) (\(phase))", without: "a plain drop, 1 cycle on", with: with,
                                      withoutBytes: plain, withBytes: bytes))
            }
        }
        return rows
    }

    public static let header = ["practice", "Go", "workload (phase)", "without", "with", "without MiB", "with MiB", "with / without", "verdict"]

    public var fields: [String] {
        let r = ratio.map { formatFixed($0, digits: 2) } ?? "—"
        return [practice, generation, workload, without, with, Report.mib(withoutBytes), Report.mib(withBytes), r, verdict.rawValue]
    }

    /// One line per practice and generation: how often it helps, and by how
    /// much at the extremes.
    public static func summaryLines(_ rows: [AdviceRow]) -> [String] {
        var lines: [String] = []
        let keys = Report.orderedUnique(rows.map { $0.practice + "\u{1}" + $0.generation })
        for key in keys {
            let group = rows.filter { $0.practice + "\u{1}" + $0.generation == key }
            let finite = group.compactMap(\.ratio).filter(\.isFinite)
            let helps = group.filter { $0.verdict == .helps }.count, worse = group.filter { $0.verdict == .worse }.count
            var line = "**\(group[0].practice), \(group[0].generation)**: helps in \(helps) of \(group.count) rows, "
                + "makes it worse in \(worse)"
            if let lo = finite.min(), let hi = finite.max() {
                line += "; with / without \(formatFixed(lo, digits: 2))–\(formatFixed(hi, digits: 2))"
            }
            lines.append(line + ".")
        }
        return lines
    }
}

extension Report {
    static func adviceMarkdown(_ results: ResultSet) -> String {
        guard !results.advice.isEmpty else { return "" }
        var md = "## The usual advice, measured\n\n"
        md += "What a Go developer is told to try when a map keeps memory, tried in this run on the `go` strategy: "
        md += "the heap in use after a full collection without and with the practice, on the same keys and sizes. "
        md += "Verdicts are computed: within ±\(Int(AdviceRow.tolerance * 100))% of each other (or \(AdviceRow.floorBytes >> 10) KiB) "
        md += "the practice does not change what is retained. sync.Map rows set each map model beside the sync.Map of its Go generation at the "
        md += "workload's headline phase (run with `--map all`; not tombstone-churn, which fills a share of slots a sync.Map does "
        md += "not have, nor leaked-interior-ref, whose pin reaches a whole trie, nor the finalizer drops, which test another practice); the rows that empty the map set fill-clear's full map "
        md += "beside what clear(m), the range-delete idiom and a new map keep; the finalizer rows set what a map dropped "
        md += "through a wrapper with a finalizer or cleanup that clears it keeps, some collections after the drop, beside what "
        md += "a plain drop keeps after one (fill-clear's map replaced by make, `rebuilt`).\n\n"
        for line in AdviceRow.summaryLines(results.advice) { md += "- \(line)\n" }
        md += "\n" + markdownTable(header: AdviceRow.header, rows: results.advice.map(\.fields)) + "\n"
        return md
    }
}
