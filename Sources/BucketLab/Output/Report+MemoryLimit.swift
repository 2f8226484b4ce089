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

extension Report {
    /// The section, or "" when no cell ran under a limit.
    static func memoryLimitMarkdown(_ results: ResultSet) -> String {
        guard !results.memoryLimit.isEmpty else { return "" }
        var md = "## Under a memory limit\n\n"
        md += "Cells run under GOMEMLIMIT (`--memlimit`, or the workload's own: limit-squeeze holds 100 bytes per key). "
        md += "Per phase: the heap in use after its closing collection and the high-water mark of total memory "
        md += "(Go's mappedReady as modelled: heap retained, its metadata, Go's runtime) against the limit; Go's GC CPU "
        md += "for the phase's collections (the GC-cost model) as a share of it plus the mutator's modelled CPU; "
        md += "that GC CPU against the `go` strategy's in the same phase (what a strategy saves); "
        md += "collections per 10^6 operations; collections with the GC CPU limiter on; how far total memory passed "
        md += "the limit; and `killed` where it passed a container limit of limit / 0.9, a common setting. The "
        md += "model and its calibration: docs/memory-limit.md.\n\n"
        md += markdownTable(header: MemoryLimitRow.header, rows: results.memoryLimit.map(\.fields)) + "\n"
        let killed = results.summaries.filter(\.killed)
        if !killed.isEmpty {
            md += "Killed by `--container-limit`: "
            md += killed.map { "\($0.key.cellName) at \($0.oomPhase.isEmpty ? "?" : $0.oomPhase)" }.joined(separator: ", ") + ".\n\n"
        }
        return md
    }
}
