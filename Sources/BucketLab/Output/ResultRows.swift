// The rows of the result files and their column tables (Schema.swift): one
// place that says what every file holds. Results/README.md documents each
// column for readers.

import LabCollector

/// Which run a row belongs to: the suite (`run_id`, the result folder's
/// name), the map model × workload × strategy cell, the repeat (1-based; 0
/// in summaries, which take the median over repeats), and the sizes and
/// GOGC the suite ran at — a sweep's dimensions, a column in every file.
public struct RunKey: Sendable, Hashable {
    public var runID: String
    /// The map model (`classic`, `swiss`): MapModels.names.
    public var map: String
    public var workload: String
    public var strategy: String
    public var repeatIndex: Int
    /// `--keys`, `--payload-bytes` and `--gogc` ("off" or a percent); 0 and
    /// "" in files written before they were columns.
    public var keys: Int
    public var payloadBytes: Int
    public var gogc: String
    /// GOMEMLIMIT: "off" or bytes; "" in files written before it was a column.
    public var memlimit: String

    public init(runID: String, map: String, workload: String, strategy: String, repeatIndex: Int,
                keys: Int = 0, payloadBytes: Int = 0, gogc: String = "", memlimit: String = "") {
        self.runID = runID
        self.map = map
        self.workload = workload
        self.strategy = strategy
        self.repeatIndex = repeatIndex
        self.keys = keys
        self.payloadBytes = payloadBytes
        self.gogc = gogc
        self.memlimit = memlimit
    }

    /// The cell, whichever repeat.
    public var cell: RunKey {
        RunKey(runID: runID, map: map, workload: workload, strategy: strategy, repeatIndex: 0, keys: keys,
               payloadBytes: payloadBytes, gogc: gogc, memlimit: memlimit)
    }

    /// The cell as a person names it: `swiss/churn/go`.
    public var cellName: String { "\(map)/\(workload)/\(strategy)" }

    static let blank = RunKey(runID: "", map: "", workload: "", strategy: "", repeatIndex: 0)

    static var columns: [Column<RunKey>] {
        [.name("run_id", \.runID), .name("map", \.map), .name("workload", \.workload), .name("strategy", \.strategy),
         .int("repeat", \.repeatIndex)] + dimensions
    }

    /// The sweep's dimensions (later columns: absent in older files).
    static var dimensions: [Column<RunKey>] {
        [.int("keys", \.keys).addedLater(), .int("payload_bytes", \.payloadBytes).addedLater(),
         .name("gogc", \.gogc).addedLater(), .name("memlimit", \.memlimit).addedLater()]
    }
}

/// The figures taken at a phase end (after a full collection) or at a sample.
public struct RunMeasurement: Sendable {
    public var ops = 0
    public var liveKeys = 0
    /// The lower bound: live keys × (key + value slot bytes) + live payload bytes.
    public var liveBytes = 0
    public var heapInuseBytes = 0
    /// Go's HeapSys, HeapIdle, HeapReleased, and HeapSys − HeapReleased.
    public var heapSysBytes = 0
    public var heapIdleBytes = 0
    public var heapReleasedBytes = 0
    public var heapResidentBytes = 0
    public var arenaActiveBytes = 0
    public var arenaResidentBytes = 0
    public var rssBytes = 0
    public var allocBytesTotal = 0
    public var leakedBytes = 0
    public var bucketBytes = 0
    public var overflowBuckets = 0
    /// The maps' slots (MapModel.slotCapacity), deleted slots no insert may
    /// reuse (tombstones), and rehashes so far (grows, same-size grows,
    /// splits, shrinks).
    public var slotCapacity = 0
    public var tombstones = 0
    public var mapRehashes = 0
    public var gcCycles = 0
    public var gcMarkNs: UInt64 = 0
    public var gcSweepNs: UInt64 = 0
    /// The CPU Go's collector would have spent on the cycles so far: the
    /// model (LabCollector/GoGCCost.swift) for the Go version of the map
    /// model, from the cycles' counts — not the lab collector's time.
    public var modelledGoGCCPUNs: UInt64 = 0
    /// The heap's exact high-water mark of in-use bytes since the phase began
    /// (collections at safe points and the phase's closing one included).
    public var peakHeapInuseBytes = 0

    public init() {}

    static var columns: [Column<RunMeasurement>] {
        [.int("ops", \.ops), .int("live_keys", \.liveKeys), .int("live_bytes", \.liveBytes),
         .int("heap_inuse_bytes", \.heapInuseBytes), .int("heap_sys_bytes", \.heapSysBytes),
         .int("heap_idle_bytes", \.heapIdleBytes), .int("heap_released_bytes", \.heapReleasedBytes),
         .int("heap_resident_bytes", \.heapResidentBytes),
         .int("arena_active_bytes", \.arenaActiveBytes), .int("arena_resident_bytes", \.arenaResidentBytes),
         .int("rss_bytes", \.rssBytes), .int("alloc_bytes_total", \.allocBytesTotal), .int("leaked_bytes", \.leakedBytes),
         .int("bucket_bytes", \.bucketBytes), .int("overflow_buckets", \.overflowBuckets),
         .int("slot_capacity", \.slotCapacity), .int("tombstones", \.tombstones), .int("map_rehashes", \.mapRehashes),
         .int("gc_cycles", \.gcCycles),
         .uint64("gc_mark_ns", \.gcMarkNs), .uint64("gc_sweep_ns", \.gcSweepNs),
         .int("peak_heap_inuse_bytes", \.peakHeapInuseBytes),
         Column<RunMeasurement>.uint64("modelled_go_gc_cpu_ns", \.modelledGoGCCPUNs).addedLater()]
    }
}

/// A phase-end row of phases.csv.
public struct PhaseRow: Sendable, ResultRow {
    public var key: RunKey
    public var phase: String
    public var measurement: RunMeasurement
    public var phaseNs: UInt64
    public var startNs: UInt64
    /// Who keeps the heap (the collector's census); zero in files written
    /// before it was measured.
    public var retention = Retention()
    /// Collections, modelled GC CPU and memory against GOMEMLIMIT over the
    /// phase; zero in files written before they were measured.
    public var limit = PhaseLimitFigures()

    public init(key: RunKey, phase: String, measurement: RunMeasurement, phaseNs: UInt64, startNs: UInt64,
                retention: Retention = Retention(), limit: PhaseLimitFigures = PhaseLimitFigures()) {
        self.key = key
        self.phase = phase
        self.measurement = measurement
        self.phaseNs = phaseNs
        self.startNs = startNs
        self.retention = retention
        self.limit = limit
    }

    public static var blank: PhaseRow { PhaseRow(key: .blank, phase: "", measurement: RunMeasurement(), phaseNs: 0, startNs: 0) }

    public static var columns: [Column<PhaseRow>] {
        RunKey.columns.map { $0.nested(in: \.key) } + [.name("phase", \.phase)]
            + RunMeasurement.columns.map { $0.nested(in: \.measurement) } + [.uint64("phase_ns", \.phaseNs)]
            + Retention.columns.map { $0.nested(in: \.retention).addedLater() }
            + PhaseLimitFigures.columns.map { $0.nested(in: \.limit).addedLater() }
    }
}

/// A phase's collections and memory against the limit (docs/memory-limit.md).
public struct PhaseLimitFigures: Sendable, Equatable {
    /// Collections that ended in the phase, its closing one included.
    public var phaseGCCycles = 0
    /// Go's modelled GC CPU over it (GoGCCost) against that plus the
    /// mutator's modelled CPU (MemoryLimit.mutatorNsPerOp per operation).
    public var gcCPUFraction = 0.0
    /// The heap goal after the closing collection (0: none, GOGC off and no
    /// limit).
    public var heapGoalBytes = 0
    /// Go's mappedReady as modelled (heap retained, its metadata, Go's
    /// runtime) at the phase end, and its high-water mark over the phase
    /// (tracked at every safe point with --memlimit or --container-limit;
    /// otherwise the phase end's).
    public var totalMemoryBytes = 0
    public var peakTotalMemoryBytes = 0
    /// Collections in the phase with the GC CPU limiter on.
    public var limiterCycles = 0
    /// How far the high-water mark passed GOMEMLIMIT (0: not, or no limit).
    public var overshootBytes = 0

    public init() {}

    static var columns: [Column<PhaseLimitFigures>] {
        [.int("phase_gc_cycles", \.phaseGCCycles), .double("gc_cpu_fraction", \.gcCPUFraction, digits: 4),
         .int("heap_goal_bytes", \.heapGoalBytes), .int("total_memory_bytes", \.totalMemoryBytes),
         .int("peak_total_memory_bytes", \.peakTotalMemoryBytes), .int("limiter_cycles", \.limiterCycles),
         .int("limit_overshoot_bytes", \.overshootBytes)]
    }
}

/// Live bytes at a phase end by the kind of root that keeps them through live
/// slots (the census, LabCollector/Collector+Census.swift). What only deleted
/// slots keep is the measurement's `leaked_bytes`; the five add up to the
/// live objects' bytes.
public struct Retention: Sendable, Equatable {
    public var mapBytes = 0
    public var iteratorBytes = 0
    public var pinBytes = 0
    /// Kept by finalizers and cleanups: what a finalizable object reaches,
    /// a queued finalizer's object, a cleanup's arg.
    public var finalizerBytes = 0

    public init() {}

    public init(_ census: HeapCensus) {
        mapBytes = census.bytes(retainedBy: .map)
        iteratorBytes = census.bytes(retainedBy: .iterator)
        pinBytes = census.bytes(retainedBy: .pin)
        finalizerBytes = census.bytes(retainedBy: .finalizer)
    }

    static var columns: [Column<Retention>] {
        [.int("retained_by_map_bytes", \.mapBytes), .int("retained_by_iterator_bytes", \.iteratorBytes),
         .int("retained_by_pin_bytes", \.pinBytes), .int("retained_by_finalizer_bytes", \.finalizerBytes).addedLater()]
    }
}

/// A row of samples.csv: a measurement within a phase, no collection.
public struct SampleRow: Sendable, ResultRow {
    public var key: RunKey
    public var phase: String
    public var sample: Int
    public var elapsedNs: UInt64
    public var measurement: RunMeasurement

    public static var blank: SampleRow { SampleRow(key: .blank, phase: "", sample: 0, elapsedNs: 0, measurement: RunMeasurement()) }

    public static var columns: [Column<SampleRow>] {
        RunKey.columns.map { $0.nested(in: \.key) } + [.name("phase", \.phase), .int("sample", \.sample),
                                                      .uint64("elapsed_ns", \.elapsedNs)]
            + RunMeasurement.columns.map { $0.nested(in: \.measurement) }
    }
}

/// A row of heap.csv: one size class at one phase end.
public struct HeapClassRow: Sendable, ResultRow {
    public var key: RunKey
    public var phase: String
    public var sizeClass: Int
    public var spans: Int
    public var objects: Int
    public var inuseBytes: Int

    public static var blank: HeapClassRow { HeapClassRow(key: .blank, phase: "", sizeClass: 0, spans: 0, objects: 0, inuseBytes: 0) }

    public static var columns: [Column<HeapClassRow>] {
        RunKey.columns.map { $0.nested(in: \.key) } + [
            .name("phase", \.phase), .int("size_class", \.sizeClass), .int("spans", \.spans), .int("objects", \.objects),
            .int("inuse_bytes", \.inuseBytes)]
    }
}

/// One GC cycle of one run (gc.csv and the trace).
public struct GCRow: Sendable, ResultRow {
    public var key: RunKey
    public var cycle: CycleStats
    /// Go's CPU for the cycle, modelled from its counts for each Go version
    /// the lab stands for, with the run's coefficients (SuiteConfig.gcCost).
    public var go119Ns: UInt64 = 0
    public var gocurNs: UInt64 = 0

    public static var blank: GCRow { GCRow(key: .blank, cycle: CycleStats()) }

    public static var columns: [Column<GCRow>] {
        let cycle: [Column<CycleStats>] = [
            .int("cycle", \.cycle), .choice("reason", \.reason), .int("heap_before_bytes", \.heapBeforeBytes),
            .int("heap_after_bytes", \.heapAfterBytes), .int("heap_inuse_before_bytes", \.inuseBeforeBytes),
            .int("heap_inuse_after_bytes", \.inuseAfterBytes), .uint64("mark_ns", \.markNs), .uint64("sweep_ns", \.sweepNs),
            .int("objects_marked", \.objectsMarked), .int("bytes_scanned", \.bytesScanned),
            .int("spans_swept", \.spansSwept), .int("spans_freed", \.spansFreed), .int("bytes_freed", \.bytesFreed),
            .int("leaked_bytes", \.leakedBytes), .int("objects_relocated", \.objectsRelocated),
            .uint64("relocate_ns", \.relocateNs), .int("scavenge_goal_bytes", \.scavengeGoalBytes),
            .int("overlap_ops", \.overlapOps), .int("allocated_black_bytes", \.allocatedBlackBytes)]
        // What the mark left marked, by span: the GC-cost model's counts
        // (LabCollector/GoGCCost.swift).
        let counts: [Column<CycleStats>] = [
            .int("spans_marked", \CycleStats.marks.spans), .int("scan_objects_marked", \CycleStats.marks.scanObjects),
            .int("small_scan_spans_marked", \CycleStats.marks.smallScanSpans),
            .int("small_scan_objects_marked", \CycleStats.marks.smallScanObjects),
            .int("other_bytes_scanned", \CycleStats.otherBytesScanned).addedLater(),
            Column<CycleStats>("after_idle", write: { $0.afterIdle ? "1" : "0" }, read: { row, text in
                row.afterIdle = text == "1"
                return text == "0" || text == "1"
            }).addedLater()]
        // Go's CPU for the cycle, modelled from those counts for each Go
        // version the lab stands for.
        let modelled: [Column<GCRow>] = [
            Column<GCRow>.uint64("go119_gc_cpu_ns", \.go119Ns).addedLater(), Column<GCRow>.uint64("gocur_gc_cpu_ns", \.gocurNs).addedLater()]
        // Whether the memory limit's GC CPU limiter was on (docs/memory-limit.md).
        let limiter = Column<CycleStats>("limiter_on", write: { $0.limiterOn ? "1" : "0" }, read: { row, text in
            row.limiterOn = text == "1"
            return text == "0" || text == "1"
        })
        return RunKey.columns.map { $0.nested(in: \.key) } + (cycle + counts.map { $0.addedLater() }).map { $0.nested(in: \.cycle) }
            + modelled + [limiter.addedLater().nested(in: \.cycle)]
    }
}

/// One workload × strategy of summary.csv (medians over the repeats).
public struct RunSummary: Sendable, ResultRow {
    public var key: RunKey
    public var keys: Int
    /// "ok", or why the cell (some of its repeats) failed.
    public var status = "ok"
    /// The heap's exact high-water mark over the whole run.
    public var peakHeapInuseBytes = 0
    /// At the end of the workload's headline phase (Workload.headlinePhase).
    public var headlinePhase = ""
    public var headlineHeapInuseBytes = 0
    public var headlineLiveBytes = 0
    /// What the process holds of the heap (sys − released) at the headline
    /// phase, once idle (the scavenger at its goal), and after FreeOSMemory;
    /// 0 when the run did not settle.
    public var headlineResidentBytes = 0
    public var idleResidentBytes = 0
    public var freeosResidentBytes = 0
    public var finalHeapInuseBytes = 0
    public var finalLiveBytes = 0
    public var peakRSSBytes = 0
    public var gcCycles = 0
    /// The lab collector's own time (mark, sweep, relocation), this machine's.
    public var gcTotalNs: UInt64 = 0
    /// What Go's collector would spend on the run's cycles (modelled; see
    /// RunMeasurement.modelledGoGCCPUNs).
    public var modelledGoGCCPUNs: UInt64 = 0
    public var opsPerSecond = 0.0
    public var p50OpNs = 0
    public var p99OpNs = 0
    public var leakedBytesFinal = 0
    /// The phase a container limit killed the cell at (status `oom`); "".
    public var oomPhase = ""

    /// A cell a container limit killed.
    public static let oomStatus = "oom"
    public var killed: Bool { status == Self.oomStatus || status.hasPrefix(Self.oomStatus + ":") }

    public init(key: RunKey, keys: Int) {
        self.key = key
        self.keys = keys
    }

    /// Final heap in-use over final live bytes; nil when nothing is live.
    public var retainedToLive: Double? {
        finalLiveBytes == 0 ? nil : Double(finalHeapInuseBytes) / Double(finalLiveBytes)
    }

    /// The same at the headline phase.
    public var headlineRetainedToLive: Double? {
        headlineLiveBytes == 0 ? nil : Double(headlineHeapInuseBytes) / Double(headlineLiveBytes)
    }

    public var succeeded: Bool { status == "ok" }

    public static var blank: RunSummary { RunSummary(key: .blank, keys: 0) }

    public static var columns: [Column<RunSummary>] {
        [.name("map", \.key.map), .name("workload", \.key.workload), .name("strategy", \.key.strategy),
         .int("keys", \.keys)]
            + RunKey.dimensions.dropFirst().map { $0.nested(in: \.key) } + [
         .name("status", \.status), .int("peak_heap_inuse_bytes", \.peakHeapInuseBytes),
         .name("headline_phase", \.headlinePhase), .int("headline_heap_inuse_bytes", \.headlineHeapInuseBytes),
         .int("headline_live_bytes", \.headlineLiveBytes), .int("headline_resident_bytes", \.headlineResidentBytes),
         .int("idle_resident_bytes", \.idleResidentBytes), .int("freeos_resident_bytes", \.freeosResidentBytes),
         .int("final_heap_inuse_bytes", \.finalHeapInuseBytes),
         .int("final_live_bytes", \.finalLiveBytes), .derivedRatio("retained_to_live", digits: 3) { $0.retainedToLive },
         .int("peak_rss_bytes", \.peakRSSBytes), .int("gc_cycles", \.gcCycles), .uint64("gc_total_ns", \.gcTotalNs),
         .double("ops_per_sec", \.opsPerSecond, digits: 0), .int("p50_op_ns", \.p50OpNs), .int("p99_op_ns", \.p99OpNs),
         .int("leaked_bytes_final", \.leakedBytesFinal),
         Column<RunSummary>.uint64("modelled_go_gc_cpu_ns", \.modelledGoGCCPUNs).addedLater(),
         Column<RunSummary>("oom_phase", write: { $0.oomPhase }, read: { row, text in row.oomPhase = text; return true }).addedLater()]
    }
}
