// One measurement of a run: what phases.csv and samples.csv hold. See
// Suite.swift for the overview of a run.

/// The figures taken at a phase end (after a full collection) or at a sample.
public struct RunMeasurement: Sendable {
    public var ops = 0
    public var liveKeys = 0
    /// The lower bound: live keys × (key + value slot bytes) + live payload bytes.
    public var liveBytes = 0
    public var heapInuseBytes = 0
    public var heapHeldBytes = 0
    public var arenaActiveBytes = 0
    public var arenaResidentBytes = 0
    public var rssBytes = 0
    public var allocBytesTotal = 0
    public var leakedBytes = 0
    public var bucketBytes = 0
    public var overflowBuckets = 0
    public var gcCycles = 0
    public var gcMarkNs: UInt64 = 0
    public var gcSweepNs: UInt64 = 0

    public static let columns = ["ops", "live_keys", "live_bytes", "heap_inuse_bytes", "heap_held_bytes",
                                 "arena_active_bytes", "arena_resident_bytes", "rss_bytes", "alloc_bytes_total",
                                 "leaked_bytes", "bucket_bytes", "overflow_buckets", "gc_cycles", "gc_mark_ns", "gc_sweep_ns"]

    public var fields: [String] {
        [ops, liveKeys, liveBytes, heapInuseBytes, heapHeldBytes, arenaActiveBytes, arenaResidentBytes, rssBytes,
         allocBytesTotal, leakedBytes, bucketBytes, overflowBuckets, gcCycles].map(String.init)
            + [String(gcMarkNs), String(gcSweepNs)]
    }
}

/// Which run a row belongs to.
public struct RunKey: Sendable, Hashable {
    public var workload: String
    public var strategy: String
    public var repeatIndex: Int
}

/// A phase-end row of phases.csv.
public struct PhaseRow: Sendable {
    public var key: RunKey
    public var phase: String
    public var measurement: RunMeasurement
    public var phaseNs: UInt64
    public var startNs: UInt64

    public static let header = ["run_id", "workload", "strategy", "repeat", "phase"] + RunMeasurement.columns + ["phase_ns"]
}

/// A row of samples.csv: a measurement within a phase, no collection.
public struct SampleRow: Sendable {
    public var key: RunKey
    public var phase: String
    public var sample: Int
    public var elapsedNs: UInt64
    public var measurement: RunMeasurement

    public static let header = ["run_id", "workload", "strategy", "repeat", "phase", "sample", "elapsed_ns"] + RunMeasurement.columns
}

/// A row of heap.csv: one size class at one phase end.
public struct HeapClassRow: Sendable {
    public var key: RunKey
    public var phase: String
    public var sizeClass: Int
    public var spans: Int
    public var objects: Int
    public var inuseBytes: Int

    public static let header = ["run_id", "workload", "strategy", "repeat", "phase", "size_class", "spans", "objects", "inuse_bytes"]
}

/// One GC cycle of one run (gc.csv and the trace).
public struct GCRow: Sendable {
    public var key: RunKey
    public var cycle: CycleStats
    public static let header = ["run_id", "workload", "strategy", "repeat", "cycle", "reason", "heap_before_bytes",
                                "heap_after_bytes", "mark_ns", "sweep_ns", "objects_marked", "bytes_scanned",
                                "spans_swept", "spans_freed", "bytes_freed", "leaked_bytes", "objects_relocated", "relocate_ns"]
}

/// The per-run figures summary.csv aggregates (medians over repeats).
public struct RunSummary: Sendable {
    public var key: RunKey
    public var keys: Int
    public var peakHeapInuseBytes = 0
    public var finalHeapInuseBytes = 0
    public var finalLiveBytes = 0
    public var peakRSSBytes = 0
    public var gcCycles = 0
    public var gcTotalNs: UInt64 = 0
    public var opsPerSecond = 0.0
    public var p50OpNs = 0
    public var p99OpNs = 0
    public var leakedBytesFinal = 0

    /// Final heap in-use over final live bytes; nil when nothing is live.
    public var retainedToLive: Double? {
        finalLiveBytes == 0 ? nil : Double(finalHeapInuseBytes) / Double(finalLiveBytes)
    }
}
