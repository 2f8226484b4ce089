// The lab against the real Go runtime: the Go reference program's phases
// (Reference/, written by scripts/reference) joined with a run's phases by
// workload and phase. See ResultFiles.swift for the output overview.
//
// What is compared: the lab heap holds the map's objects and nothing else,
// while Go's HeapInuse also counts what the runtime and the program allocate
// besides (about 0.25 MiB at start-up). The reference records that start-up
// heap (`baseline_heap_inuse_bytes`, after a GC before the workload's first
// allocation), and the comparison subtracts it: `go_net_heap_inuse_bytes`.
//
// Go's figure is a distribution, not a number: its heap in use after a
// collection moves by several percent from one process to the next (a new
// hash seed each time, so tables split at other moments relative to the
// concurrent collections, and replaced groups arrays leave their spans
// differently fragmented). scripts/reference runs each workload several
// times; the join takes, per Go version and phase, the run with the median
// net heap as Go's figure and keeps the smallest and largest net heap beside
// it. The lab's repeats agree to the byte.
//
// How close can anything get to that median? Go itself, leave one out: each
// run against the median of the others (`go_run_error`, the mean over runs
// of |run / median of the others − 1|, and `go_runs_within_2pct`). That is
// the floor under any fidelity target; `AgainstGo.Summary` sets the lab's
// figures beside Go's own, per map model and Go version.

/// A row of the Go reference's phases.csv.
public struct GoPhaseRow: Sendable, ResultRow {
    public var goVersion = ""
    public var workload = ""
    public var phase = ""
    public var liveKeys = 0
    public var heapInuseBytes = 0
    public var heapAllocBytes = 0
    public var heapSysBytes = 0
    public var heapReleasedBytes = 0
    public var heapObjects = 0
    public var numGC = 0
    public var gcNs = 0
    public var baselineHeapInuseBytes = 0
    /// The CPU Go's collector spent in the phase's cycles (gctrace's "ms
    /// cpu", all five parts) and how many cycles ended in it; nil in a file
    /// written before they were recorded.
    public var gcCPUNs: Int?
    public var gcCycles: Int?
    /// The phase's cycles that runtime.GC() forced, and gc_cpu_ns's parts:
    /// both stop-the-world phases, mark assists, background and idle mark
    /// workers; the cycles' wall time; and, from Go 1.20, runtime/metrics'
    /// own /cpu/classes/gc/* figures for the phase.
    public var gcForcedCycles: Int?
    public var gcPauseCPUNs: Int?
    public var gcAssistCPUNs: Int?
    public var gcBackgroundCPUNs: Int?
    public var gcIdleCPUNs: Int?
    public var gcClockNs: Int?
    public var metricsGCCPUNs: Int?
    public var metricsGCPauseCPUNs: Int?
    public var metricsGCAssistCPUNs: Int?
    public var metricsGCBackgroundCPUNs: Int?
    public var metricsGCIdleCPUNs: Int?
    /// Go's memory classes at the phase end (runtime/metrics'
    /// /memory/classes/*; mspan and mcache are in use + free), its heap
    /// goal, the cycle its GC CPU limiter last turned on (Go 1.20+), and the
    /// run's GOMEMLIMIT ("off" or bytes) and GOGC; nil / "" in files written
    /// before they were recorded.
    public var memTotalBytes: Int?
    public var memHeapObjectsBytes: Int?
    public var memHeapUnusedBytes: Int?
    public var memHeapFreeBytes: Int?
    public var memHeapReleasedBytes: Int?
    public var memHeapStacksBytes: Int?
    public var memOSStacksBytes: Int?
    public var memMetadataMSpanBytes: Int?
    public var memMetadataMCacheBytes: Int?
    public var memMetadataOtherBytes: Int?
    public var memOtherBytes: Int?
    public var gcHeapGoalBytes: Int?
    public var gcLimiterLastEnabledCycle: Int?
    public var memlimit = ""
    public var gogc = ""
    /// The highest mappedReady sampled within the phase under a limit
    /// (every 256 inserts); nil without a limit or in older files.
    public var memPeakReadyBytes: Int?

    /// Go's mappedReady: total memory less what is released.
    public var totalReadyBytes: Int? {
        guard let t = memTotalBytes, let r = memHeapReleasedBytes else { return nil }
        return t - r
    }

    public static var blank: GoPhaseRow { GoPhaseRow() }

    public static var columns: [Column<GoPhaseRow>] {
        [.name("go_version", \.goVersion), .name("workload", \.workload), .name("phase", \.phase),
         .int("live_keys", \.liveKeys), .int("heap_inuse_bytes", \.heapInuseBytes),
         .int("heap_alloc_bytes", \.heapAllocBytes), .int("heap_sys_bytes", \.heapSysBytes),
         .int("heap_released_bytes", \.heapReleasedBytes), .int("heap_objects", \.heapObjects),
         .int("num_gc", \.numGC), .int("gc_ns", \.gcNs), .int("baseline_heap_inuse_bytes", \.baselineHeapInuseBytes),
         .optionalInt("gc_cycles", \.gcCycles).addedLater(), .optionalInt("gc_forced_cycles", \.gcForcedCycles).addedLater(),
         .optionalInt("gc_cpu_ns", \.gcCPUNs).addedLater(), .optionalInt("gc_pause_cpu_ns", \.gcPauseCPUNs).addedLater(),
         .optionalInt("gc_assist_cpu_ns", \.gcAssistCPUNs).addedLater(),
         .optionalInt("gc_background_cpu_ns", \.gcBackgroundCPUNs).addedLater(),
         .optionalInt("gc_idle_cpu_ns", \.gcIdleCPUNs).addedLater(), .optionalInt("gc_clock_ns", \.gcClockNs).addedLater(),
         .optionalInt("metrics_gc_cpu_ns", \.metricsGCCPUNs).addedLater(),
         .optionalInt("metrics_gc_pause_cpu_ns", \.metricsGCPauseCPUNs).addedLater(),
         .optionalInt("metrics_gc_assist_cpu_ns", \.metricsGCAssistCPUNs).addedLater(),
         .optionalInt("metrics_gc_background_cpu_ns", \.metricsGCBackgroundCPUNs).addedLater(),
         .optionalInt("metrics_gc_idle_cpu_ns", \.metricsGCIdleCPUNs).addedLater()] + memoryColumns
    }

    /// Reference/memclasses.go's columns.
    static var memoryColumns: [Column<GoPhaseRow>] {
        let columns: [Column<GoPhaseRow>] = [.optionalInt("mem_total_bytes", \.memTotalBytes), .optionalInt("mem_heap_objects_bytes", \.memHeapObjectsBytes),
         .optionalInt("mem_heap_unused_bytes", \.memHeapUnusedBytes), .optionalInt("mem_heap_free_bytes", \.memHeapFreeBytes),
         .optionalInt("mem_heap_released_bytes", \.memHeapReleasedBytes),
         .optionalInt("mem_heap_stacks_bytes", \.memHeapStacksBytes), .optionalInt("mem_os_stacks_bytes", \.memOSStacksBytes),
         .optionalInt("mem_metadata_mspan_bytes", \.memMetadataMSpanBytes),
         .optionalInt("mem_metadata_mcache_bytes", \.memMetadataMCacheBytes),
         .optionalInt("mem_metadata_other_bytes", \.memMetadataOtherBytes), .optionalInt("mem_other_bytes", \.memOtherBytes),
         .optionalInt("gc_heap_goal_bytes", \.gcHeapGoalBytes),
         .optionalInt("gc_limiter_last_enabled_cycle", \.gcLimiterLastEnabledCycle),
         .name("memlimit", \.memlimit), .name("gogc", \.gogc),
         .optionalInt("mem_peak_ready_bytes", \.memPeakReadyBytes)]
        return columns.map { $0.addedLater() }
    }

    /// The heap the workload added to the runtime's own.
    public var netHeapInuseBytes: Int { heapInuseBytes - baselineHeapInuseBytes }
    /// What the process holds of the heap: HeapSys − HeapReleased.
    public var residentBytes: Int { heapSysBytes - heapReleasedBytes }
}

/// One shared phase: the lab's `go` strategy on one map model against a Go
/// version whose map that model is.
public struct AgainstGoRow: Sendable, ResultRow {
    public var map = ""
    public var workload = ""
    public var phase = ""
    public var goVersion = ""
    public var labLiveKeys = 0
    public var goLiveKeys = 0
    public var labHeapInuseBytes = 0
    public var goHeapInuseBytes = 0
    public var goBaselineHeapInuseBytes = 0
    /// Held from the OS: the lab's heap_resident, Go's HeapSys − HeapReleased.
    public var labResidentBytes = 0
    public var goResidentBytes = 0
    /// The phase's closing collection (median over repeats for the lab).
    public var labGCNs = 0
    public var goGCNs = 0
    /// Go processes behind the figures, and the range of their net heap in
    /// use (0: a file from before the range was kept).
    public var goRuns = 0
    public var goNetMinHeapInuseBytes = 0
    public var goNetMaxHeapInuseBytes = 0
    /// Go against itself: the mean over its runs of |run / median of the
    /// other runs − 1|, and how many runs are within 2% of that median
    /// (0 and 0 with fewer than two runs).
    public var goRunError = 0.0
    public var goRunsWithin2Percent = 0
    /// The CPU Go's collector spent on the phase's cycles: the lab's model of
    /// it (median over repeats; LabCollector/GoGCCost.swift) and Go's
    /// measured median (gctrace), nil where the files predate them.
    public var labModelledGCCPUNs: Int?
    public var goGCCPUNs: Int?

    public static var blank: AgainstGoRow { AgainstGoRow() }

    /// Modelled over measured Go GC CPU.
    public var gcCPURatio: Double? {
        guard let m = labModelledGCCPUNs, let g = goGCCPUNs, g > 0 else { return nil }
        return Double(m) / Double(g)
    }

    /// Whether the row carries Go against itself: two runs or more, in a
    /// file written since the columns were added (a real leave-one-out has a
    /// run within 2% or a non-zero error).
    public var hasGoRunSpread: Bool { goRuns >= 2 && (goRunsWithin2Percent > 0 || goRunError > 0) }

    /// Whether the lab's heap in use lies within Go's runs' range.
    public var withinGoRange: Bool { withinGoRange(widenedBy: 0) }

    /// The same with the range widened by a share of each end (0.02: ±2%).
    public func withinGoRange(widenedBy share: Double) -> Bool {
        goRuns > 0 && Double(labHeapInuseBytes) >= Double(goNetMinHeapInuseBytes) * (1 - share)
            && Double(labHeapInuseBytes) <= Double(goNetMaxHeapInuseBytes) * (1 + share)
    }

    public var goNetHeapInuseBytes: Int { goHeapInuseBytes - goBaselineHeapInuseBytes }
    /// Lab heap in use over Go's net heap in use.
    public var ratio: Double? {
        goNetHeapInuseBytes > 0 ? Double(labHeapInuseBytes) / Double(goNetHeapInuseBytes) : nil
    }
    public var gcRatio: Double? { goGCNs > 0 ? Double(labGCNs) / Double(goGCNs) : nil }
    public var residentRatio: Double? { goResidentBytes > 0 ? Double(labResidentBytes) / Double(goResidentBytes) : nil }

    public static var columns: [Column<AgainstGoRow>] {
        let range: [Column<AgainstGoRow>] = [
            .int("go_runs", \.goRuns), .int("go_net_min_heap_inuse_bytes", \.goNetMinHeapInuseBytes),
            .int("go_net_max_heap_inuse_bytes", \.goNetMaxHeapInuseBytes),
            .double("go_run_error", \.goRunError, digits: 4), .int("go_runs_within_2pct", \.goRunsWithin2Percent)]
        let measured: [Column<AgainstGoRow>] = [.name("map", \.map), .name("workload", \.workload), .name("phase", \.phase), .name("go_version", \.goVersion),
         .int("lab_live_keys", \.labLiveKeys), .int("go_live_keys", \.goLiveKeys),
         .int("lab_heap_inuse_bytes", \.labHeapInuseBytes), .int("go_heap_inuse_bytes", \.goHeapInuseBytes),
         .int("go_baseline_heap_inuse_bytes", \.goBaselineHeapInuseBytes),
         .derivedRatio("go_net_heap_inuse_bytes", digits: 0) { Double($0.goNetHeapInuseBytes) },
         .derivedRatio("heap_ratio", digits: 4) { $0.ratio },
         .int("lab_resident_bytes", \.labResidentBytes), .int("go_resident_bytes", \.goResidentBytes),
         .derivedRatio("resident_ratio", digits: 4) { $0.residentRatio },
         .int("lab_gc_ns", \.labGCNs), .int("go_gc_ns", \.goGCNs), .derivedRatio("gc_ratio", digits: 3) { $0.gcRatio }]
        let cpu: [Column<AgainstGoRow>] = [
            .optionalInt("lab_modelled_go_gc_cpu_ns", \.labModelledGCCPUNs), .optionalInt("go_gc_cpu_ns", \.goGCCPUNs)]
        return measured + range.map { $0.addedLater() } + cpu.map { $0.addedLater() }
    }
}

public enum AgainstGo {
    /// The Go reference's phases under `dir`: `dir/<go-version>/phases.csv`
    /// for every version present.
    public static func readReference(_ dir: String) throws -> [GoPhaseRow] {
        let rows: [GoPhaseRow] = try readPerVersion(dir, file: "phases.csv")
        guard !rows.isEmpty else { throw CSVError(description: "\(dir): no <go-version>/phases.csv (run scripts/reference)") }
        return rows
    }

    /// The map model a Go version runs: Swiss tables from Go 1.24
    /// (src/internal/runtime/maps, the default since 1.24's release notes),
    /// buckets before. A reference run on a sync.Map (`-map syncmap`: the
    /// version ends in `-syncmap`) runs Go 1.19's read/dirty sync.Map before
    /// Go 1.24 (src/sync/map.go) and the hash-trie since (golang/go#70683).
    /// Nil for a version string it cannot read.
    public static func mapModel(ofGoVersion version: String) -> String? {
        guard version.hasPrefix("go") else { return nil }
        let sync = version.hasSuffix(syncMapVersionSuffix)
        let parts = version.dropFirst(2).split(separator: ".")
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1].prefix { $0.isNumber }) else {
            return nil
        }
        let current = major > 1 || minor >= 24
        if sync { return current ? SyncTrie.modelName : SyncMap119.modelName }
        return current ? SwissMap.modelName : BucketMap.modelName
    }

    /// What the Go reference appends to its go_version on a sync.Map run.
    public static let syncMapVersionSuffix = "-syncmap"

    /// Joins the lab's `strategy` phases (medians over repeats) with Go's, by
    /// map model (each with the Go versions it models), workload and phase,
    /// in the lab's order.
    public static func join(phases: [PhaseRow], gc: [GCRow], reference: [GoPhaseRow],
                            strategy: String = Strategy.go.name) -> [AgainstGoRow] {
        // The k-th explicit collection of a run is its k-th phase end.
        var closing: [RunKey: [CycleStats]] = [:]
        for g in gc where g.cycle.reason == .explicit { closing[g.key, default: []].append(g.cycle) }
        var order: [(String, String, String)] = []
        var lab: [String: (heap: [Double], resident: [Double], gc: [Double], live: Int, modelled: [Double])] = [:]
        var phaseIndex: [RunKey: Int] = [:]
        var modelledBefore: [RunKey: UInt64] = [:]
        for p in phases where p.key.strategy == strategy {
            let index = phaseIndex[p.key, default: 0]
            phaseIndex[p.key] = index + 1
            let id = p.key.map + "\u{1}" + p.key.workload + "\u{1}" + p.phase
            if lab[id] == nil { order.append((p.key.map, p.key.workload, p.phase)) }
            var entry = lab[id] ?? ([], [], [], p.measurement.liveKeys, [])
            // The model's figure is cumulative: the phase's is the step.
            let modelled = p.measurement.modelledGoGCCPUNs
            if modelled > 0 { entry.modelled.append(Double(modelled - min(modelled, modelledBefore[p.key] ?? 0))) }
            modelledBefore[p.key] = modelled
            entry.heap.append(Double(p.measurement.heapInuseBytes))
            entry.resident.append(Double(p.measurement.heapResidentBytes))
            if let cycles = closing[p.key], index < cycles.count {
                let c = cycles[index]
                entry.gc.append(Double(c.markNs + c.sweepNs + c.relocateNs))
            }
            lab[id] = entry
        }
        // Go's runs of each version and phase, in file order, each with the
        // run of the median net heap.
        var goOrder: [String] = []
        var goRuns: [String: [GoPhaseRow]] = [:]
        for g in reference {
            let id = g.goVersion + "\u{1}" + g.workload + "\u{1}" + g.phase
            if goRuns[id] == nil { goOrder.append(id) }
            goRuns[id, default: []].append(g)
        }
        // The median run; of an even number, the mean of the two middle
        // runs' heap figures (the rest is the same in every run).
        let goMedian = goRuns.mapValues { runs in
            let sorted = runs.sorted { $0.netHeapInuseBytes < $1.netHeapInuseBytes }
            let low = sorted[(runs.count - 1) / 2], high = sorted[runs.count / 2]
            var mid = low
            mid.heapInuseBytes = (low.heapInuseBytes + high.heapInuseBytes) / 2
            mid.baselineHeapInuseBytes = (low.baselineHeapInuseBytes + high.baselineHeapInuseBytes) / 2
            return mid
        }
        var rows: [AgainstGoRow] = []
        for (map, workload, phase) in order {
            let entry = lab[map + "\u{1}" + workload + "\u{1}" + phase]!
            for id in goOrder {
                let runs = goRuns[id]!, g = goMedian[id]!
                guard g.workload == workload && g.phase == phase && mapModel(ofGoVersion: g.goVersion) == map else { continue }
                var row = AgainstGoRow()
                row.map = map
                row.workload = workload
                row.phase = phase
                row.goVersion = g.goVersion
                row.labLiveKeys = entry.live
                row.goLiveKeys = g.liveKeys
                row.labHeapInuseBytes = Int(median(entry.heap))
                row.goHeapInuseBytes = g.heapInuseBytes
                row.goBaselineHeapInuseBytes = g.baselineHeapInuseBytes
                row.labResidentBytes = Int(median(entry.resident))
                row.goResidentBytes = Int(median(runs.map { Double($0.residentBytes) }))
                row.labGCNs = entry.gc.isEmpty ? 0 : Int(median(entry.gc))
                row.goGCNs = Int(median(runs.map { Double($0.gcNs) }))
                row.goRuns = runs.count
                row.goNetMinHeapInuseBytes = runs.map(\.netHeapInuseBytes).min()!
                row.goNetMaxHeapInuseBytes = runs.map(\.netHeapInuseBytes).max()!
                (row.goRunError, row.goRunsWithin2Percent) = leaveOneOut(runs.map { Double($0.netHeapInuseBytes) })
                row.labModelledGCCPUNs = entry.modelled.isEmpty ? nil : Int(median(entry.modelled))
                let cpu = runs.compactMap(\.gcCPUNs).map(Double.init)
                row.goGCCPUNs = cpu.isEmpty ? nil : Int(median(cpu))
                rows.append(row)
            }
        }
        return rows
    }

    /// Each of Go's runs against the median of the others: the mean of
    /// |run / that median − 1|, and how many are within 2% of it.
    static func leaveOneOut(_ runs: [Double]) -> (meanError: Double, within2Percent: Int) {
        guard runs.count >= 2 else { return (0, 0) }
        var total = 0.0, within = 0
        for i in runs.indices {
            var others = runs
            others.remove(at: i)
            let m = median(others)
            guard m > 0 else { continue }
            let error = abs(runs[i] / m - 1)
            total += error
            if error <= 0.02 { within += 1 }
        }
        return (total / Double(runs.count), within)
    }

    /// The lab against Go and Go against itself, over the shared phases of
    /// one map model and Go version.
    public struct Summary: Sendable, Equatable {
        public var map: String
        public var goVersion: String
        public var phases: Int
        /// Phases where the lab is within 2% of Go's median run, and within
        /// Go's runs' range widened by 2%.
        public var labWithin2Percent: Int
        public var labWithinRange: Int
        public var labMeanError: Double
        /// What one Go run scores against the median of the others: phases
        /// within 2%, averaged over runs, and the mean error; nil where the
        /// rows do not carry it (fewer than two Go runs, or an older file).
        public var goRunWithin2Percent: Double?
        public var goRunMeanError: Double?
        /// The fewest Go runs behind a phase.
        public var goRuns: Int
    }

    public static func summaries(_ rows: [AgainstGoRow]) -> [Summary] {
        let keys = Report.orderedUnique(rows.map { $0.map + "\u{1}" + $0.goVersion })
        return keys.compactMap { key in
            let group = rows.filter { $0.map + "\u{1}" + $0.goVersion == key && $0.ratio != nil }
            guard let first = group.first else { return nil }
            let n = Double(group.count)
            let spread = group.filter(\.hasGoRunSpread)
            return Summary(
                map: first.map, goVersion: first.goVersion, phases: group.count,
                labWithin2Percent: group.filter { abs($0.ratio! - 1) <= 0.02 }.count,
                labWithinRange: group.filter { $0.withinGoRange(widenedBy: 0.02) }.count,
                labMeanError: group.reduce(0) { $0 + abs($1.ratio! - 1) } / n,
                goRunWithin2Percent: spread.isEmpty ? nil
                    : spread.reduce(0) { $0 + Double($1.goRunsWithin2Percent) / Double($1.goRuns) } * n / Double(spread.count),
                goRunMeanError: spread.isEmpty ? nil : spread.reduce(0) { $0 + $1.goRunError } / Double(spread.count),
                goRuns: group.map(\.goRuns).min() ?? 0)
        }
    }

    public static let summaryHeader = ["map", "Go", "phases", "lab within 2% of Go's median", "lab within Go's range ±2%",
                                       "lab mean |lab/Go − 1|", "Go run within 2% of the others' median",
                                       "Go run mean |run/others − 1|", "Go runs"]

    public static func summaryRows(_ summaries: [Summary]) -> [[String]] {
        summaries.map { s in
            [s.map, s.goVersion, String(s.phases), String(s.labWithin2Percent), String(s.labWithinRange),
             formatFixed(s.labMeanError, digits: 4), s.goRunWithin2Percent.map { formatFixed($0, digits: 1) } ?? "—",
             s.goRunMeanError.map { formatFixed($0, digits: 4) } ?? "—", String(s.goRuns)]
        }
    }

    /// Reads a run folder and a reference folder and joins them.
    public static func compare(runDirectory: String, referenceDirectory: String) throws -> [AgainstGoRow] {
        let rows = join(phases: try PhaseRow.read(runDirectory + "/phases.csv"),
                        gc: try GCRow.read(runDirectory + "/gc.csv"),
                        reference: try readReference(referenceDirectory))
        guard !rows.isEmpty else {
            throw CSVError(description: "\(runDirectory) and \(referenceDirectory) share no workload phase of the go strategy")
        }
        return rows
    }

    public static let tableHeader = ["map", "workload", "phase", "Go", "lab MiB", "Go MiB (net, median)", "lab / Go",
                                     "Go runs: MiB min–max", "lab resident MiB", "Go resident MiB", "lab / Go", "lab GC ms",
                                     "Go GC ms", "GC lab / Go", "Go GC CPU ms (model)", "Go GC CPU ms (gctrace)", "model / Go"]

    public static func tableRows(_ rows: [AgainstGoRow]) -> [[String]] {
        rows.map { r in
            let range = r.goRuns == 0 ? "—"
                : "\(r.goRuns): \(Report.mib(r.goNetMinHeapInuseBytes))–\(Report.mib(r.goNetMaxHeapInuseBytes))"
                    + (r.withinGoRange ? " (lab within)" : "")
            return [r.map, r.workload, r.phase, r.goVersion, Report.mib(r.labHeapInuseBytes), Report.mib(r.goNetHeapInuseBytes),
             r.ratio.map { formatFixed($0, digits: 3) } ?? "—", range, Report.mib(r.labResidentBytes), Report.mib(r.goResidentBytes),
             r.residentRatio.map { formatFixed($0, digits: 3) } ?? "—", formatFixed(Double(r.labGCNs) / 1e6, digits: 2),
             formatFixed(Double(r.goGCNs) / 1e6, digits: 2), r.gcRatio.map { formatFixed($0, digits: 2) } ?? "—",
             r.labModelledGCCPUNs.map { formatFixed(Double($0) / 1e6, digits: 2) } ?? "—",
             r.goGCCPUNs.map { formatFixed(Double($0) / 1e6, digits: 2) } ?? "—",
             r.gcCPURatio.map { formatFixed($0, digits: 2) } ?? "—"]
        }
    }
}

/// The rows of `dir/<go-version>/<file>` for every version folder that has
/// one, versions in order (what scripts/reference writes).
func readPerVersion<Row: ResultRow>(_ dir: String, file: String) throws -> [Row] {
    var rows: [Row] = []
    for version in listDirectory(dir).sorted() {
        let path = dir + "/" + version + "/" + file
        guard access(path, R_OK) == 0 else { continue }
        rows += try Row.read(path)
    }
    return rows
}

/// The names in a directory (none when it cannot be read).
func listDirectory(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let entry = readdir(d) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

#if canImport(Glibc)
import Glibc
#endif
