// REPORT.md's memory-limit table: per cell that ran under GOMEMLIMIT (the
// limit-squeeze built-in always does), each phase's modelled GC CPU,
// collections per 10^6 operations, memory against the limit, and where a
// container would kill the run. Read from phases.csv (repeat 1) and
// summary.csv. See Report.swift and docs/memory-limit.md.

/// One phase of one cell under a memory limit.
public struct MemoryLimitRow: Sendable, Equatable {
    public var map: String
    public var workload: String
    public var strategy: String
    public var phase: String
    public var memlimit: Int
    public var ops: Int
    public var limit: PhaseLimitFigures
    public var heapInuseBytes: Int
    /// Go's modelled GC CPU for the phase's collections (ns), and the `go`
    /// strategy's for the same map model, workload and phase (nil: no `go`).
    public var gcCPUNs: UInt64
    public var goGCCPUNs: UInt64?

    /// This strategy's modelled GC CPU over `go`'s, less one (−0.25: a
    /// quarter less); nil without a `go` row or when `go` spent none.
    public var gcCPUAgainstGo: Double? {
        guard let g = goGCCPUNs, g > 0 else { return nil }
        return Double(gcCPUNs) / Double(g) - 1
    }

    /// Collections per 10^6 operations of the phase.
    public var cyclesPerMillionOps: Double { ops == 0 ? 0 : Double(limit.phaseGCCycles) * 1e6 / Double(ops) }

    /// A common container setting: GOMEMLIMIT at 90% of the container's limit.
    public static let containerShare = 0.9

    /// Whether the phase's high-water mark of total memory passed a
    /// container limit of memlimit / 0.9.
    public var passesContainer: Bool { Double(limit.peakTotalMemoryBytes) > Double(memlimit) / Self.containerShare }

    /// The rows of `phases` whose cells ran with a limit, in file order.
    public static func rows(from phases: [PhaseRow]) -> [MemoryLimitRow] {
        var last: [RunKey: RunMeasurement] = [:]
        var rows: [MemoryLimitRow] = []
        for p in phases where p.key.repeatIndex == 1 {
            defer { last[p.key] = p.measurement }
            guard let limit = Int(p.key.memlimit), !Workload.settlePhases.contains(p.phase) else { continue }
            let before = last[p.key]
            rows.append(MemoryLimitRow(map: p.key.map, workload: p.key.workload, strategy: p.key.strategy, phase: p.phase,
                                       memlimit: limit, ops: p.measurement.ops - (before?.ops ?? 0), limit: p.limit,
                                       heapInuseBytes: p.measurement.heapInuseBytes,
                                       gcCPUNs: p.measurement.modelledGoGCCPUNs - (before?.modelledGoGCCPUNs ?? 0)))
        }
        let go = Dictionary(rows.filter { $0.strategy == "go" }.map { ("\($0.map)/\($0.workload)/\($0.memlimit)/\($0.phase)", $0.gcCPUNs) },
                            uniquingKeysWith: { a, _ in a })
        for i in rows.indices { rows[i].goGCCPUNs = go["\(rows[i].map)/\(rows[i].workload)/\(rows[i].memlimit)/\(rows[i].phase)"] }
        return rows
    }

    public static let header = ["map", "workload", "strategy", "phase", "limit MiB", "heap in use / limit",
                                "peak total / limit", "modelled GC CPU", "GC CPU against go", "collections / 10^6 ops", "limiter cycles",
                                "overshoot MiB", "past limit / 0.9"]

    public var fields: [String] {
        let l = Double(memlimit)
        return [map, workload, strategy, phase, Report.mib(memlimit), formatFixed(Double(heapInuseBytes) / l, digits: 2),
                formatFixed(Double(limit.peakTotalMemoryBytes) / l, digits: 2), formatFixed(limit.gcCPUFraction * 100, digits: 1) + "%",
                gcCPUAgainstGo.map { (($0 >= 0 ? "+" : "") + formatFixed($0 * 100, digits: 1) + "%") } ?? "—",
                formatFixed(cyclesPerMillionOps, digits: 0), String(limit.limiterCycles), Report.mib(limit.overshootBytes),
                passesContainer ? "killed" : ""]
    }
}

/// One strategy's modelled GC CPU over all the limited phases of a cell,
/// against `go`'s over the same phases: what it saves under that limit.
public struct MemoryLimitSaving: Sendable, Equatable {
    public var map: String
    public var workload: String
    public var memlimit: Int
    public var strategy: String
    /// The phases summed (a cell a container killed has fewer than go's).
    public var phases: Int
    public var ops: Int
    public var collections: Int
    public var gcCPUNs: UInt64
    /// `go`'s over the same phases (nil: no `go` cell).
    public var goGCCPUNs: UInt64?

    /// What the strategy saves against go, in modelled GC CPU ns (negative:
    /// it spends more).
    public var savedNs: Int64? { goGCCPUNs.map { Int64($0) - Int64(gcCPUNs) } }

    /// The saving as a share of go's (0.25: a quarter less).
    public var savedShare: Double? {
        guard let g = goGCCPUNs, g > 0, let saved = savedNs else { return nil }
        return Double(saved) / Double(g)
    }

    /// Per map × workload × limit × strategy, in the rows' order.
    public static func totals(_ rows: [MemoryLimitRow]) -> [MemoryLimitSaving] {
        var order: [String] = []
        var byCell: [String: [MemoryLimitRow]] = [:]
        for r in rows {
            let k = "\(r.map)/\(r.workload)/\(r.memlimit)/\(r.strategy)"
            if byCell[k] == nil { order.append(k) }
            byCell[k, default: []].append(r)
        }
        return order.map { k in
            let rs = byCell[k]!, r0 = rs[0]
            let goRows = byCell["\(r0.map)/\(r0.workload)/\(r0.memlimit)/go"]
            let phases = Set(rs.map(\.phase))
            let goNs = goRows.map { $0.filter { phases.contains($0.phase) }.reduce(UInt64(0)) { $0 + $1.gcCPUNs } }
            return MemoryLimitSaving(map: r0.map, workload: r0.workload, memlimit: r0.memlimit, strategy: r0.strategy,
                                     phases: rs.count, ops: rs.reduce(0) { $0 + $1.ops },
                                     collections: rs.reduce(0) { $0 + $1.limit.phaseGCCycles },
                                     gcCPUNs: rs.reduce(0) { $0 + $1.gcCPUNs }, goGCCPUNs: goNs)
        }
    }

    /// Per map × workload × limit with a `go` cell and another strategy: the
    /// strategy that spends least modelled GC CPU (the first of equals, go
    /// first) and go, over the phases both ran.
    public static func best(_ totals: [MemoryLimitSaving]) -> [(go: MemoryLimitSaving, best: MemoryLimitSaving)] {
        var out: [(go: MemoryLimitSaving, best: MemoryLimitSaving)] = []
        var seen = Set<String>()
        for t in totals where t.strategy == "go" {
            let k = "\(t.map)/\(t.workload)/\(t.memlimit)"
            guard seen.insert(k).inserted else { continue }
            let others = totals.filter { $0.map == t.map && $0.workload == t.workload && $0.memlimit == t.memlimit
                && $0.strategy != "go" && $0.phases == t.phases }
            guard !others.isEmpty else { continue }
            let best = ([t] + others).min { a, b in a.gcCPUNs < b.gcCPUNs }!
            out.append((t, best))
        }
        return out
    }

    public static let header = ["map", "workload", "limit MiB", "strategy", "phases", "collections", "modelled GC CPU ms",
                                "saved against go ms", "saved"]

    public var fields: [String] {
        [map, workload, Report.mib(memlimit), strategy, String(phases), String(collections),
         formatFixed(Double(gcCPUNs) / 1e6, digits: 1), savedNs.map { formatFixed(Double($0) / 1e6, digits: 1) } ?? "—",
         savedShare.map { formatFixed($0 * 100, digits: 1) + "%" } ?? "—"]
    }
}

extension Report {
    /// The section, or "" when no cell ran under a limit.
    static func memoryLimitMarkdown(_ results: ResultSet) -> String {
        guard !results.memoryLimit.isEmpty else { return "" }
        var md = "## Under a memory limit\n\n"
        md += "Cells run under GOMEMLIMIT (`--memlimit`, or the workload's own: limit-squeeze holds 128 bytes per key, at least 16 MiB). "
        md += "Per phase: the heap in use after its closing collection and the high-water mark of total memory "
        md += "(Go's mappedReady as modelled: heap retained, its metadata, Go's runtime) against the limit; Go's GC CPU "
        md += "for the phase's collections (the GC-cost model) as a share of it plus the mutator's modelled CPU; "
        md += "that GC CPU against the `go` strategy's in the same phase (what a strategy saves); "
        md += "collections per 10^6 operations; collections with the GC CPU limiter on; how far total memory passed "
        md += "the limit; and `killed` where it passed a container limit of limit / 0.9, a common setting. The "
        md += "model and its calibration: docs/memory-limit.md.\n\n"
        md += markdownTable(header: MemoryLimitRow.header, rows: results.memoryLimit.map(\.fields)) + "\n"
        let totals = MemoryLimitSaving.totals(results.memoryLimit)
        if totals.contains(where: { $0.strategy != "go" }) {
            md += "What each strategy saves under each limit: its modelled GC CPU over the cell's phases under the limit "
            md += "against `go`'s over the same phases (a cell a container killed counts the phases it ran).\n\n"
            md += markdownTable(header: MemoryLimitSaving.header, rows: totals.map(\.fields)) + "\n"
        }
        let killed = results.summaries.filter(\.killed)
        if !killed.isEmpty {
            md += "Killed by `--container-limit`: "
            md += killed.map { "\($0.key.cellName) at \($0.oomPhase.isEmpty ? "?" : $0.oomPhase)" }.joined(separator: ", ") + ".\n\n"
        }
        let best = MemoryLimitSaving.best(totals)
        if !best.isEmpty {
            md += "In short, `go` against the strategy that spends least GC CPU under each limit: "
            md += best.map { p in
                let share = p.best.savedShare.map { formatFixed($0 * 100, digits: 1) + "%" } ?? "—"
                return "\(p.go.map) \(p.go.workload) at \(Report.mib(p.go.memlimit)) MiB: go \(formatFixed(Double(p.go.gcCPUNs) / 1e6, digits: 1)) ms, "
                    + (p.best.strategy == "go" ? "no strategy spends less"
                        : "\(p.best.strategy) \(formatFixed(Double(p.best.gcCPUNs) / 1e6, digits: 1)) ms (\(share) less)")
            }.joined(separator: "; ") + ".\n\n"
        }
        return md
    }
}
