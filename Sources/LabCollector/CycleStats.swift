// What one collection cost and found. See Collector.swift.

import LabHeap
import LabMaps

/// Why a cycle ran.
public enum CycleReason: String, Sendable {
    /// The pacer: the live heap reached its GOGC goal.
    case pacer
    /// `collect()` was called (Go's `runtime.GC()`).
    case explicit
}

/// One collection, as Go's gctrace would report it and more.
public struct CycleStats: Sendable, Equatable {
    /// 1-based cycle number within its collector.
    public var cycle = 0
    public var reason = CycleReason.explicit
    /// Whether the program idled (a second or more, in Go's reference)
    /// between the previous cycle's start and this one's.
    public var afterIdle = false
    /// CLOCK_MONOTONIC nanoseconds when the cycle started (for traces).
    public var startNs: UInt64 = 0
    /// When the sweep began: right after the mark, or, with a concurrent-mark
    /// model, once the mutator's operations during the mark had run.
    public var sweepStartNs: UInt64 = 0
    /// Object bytes in the heap when the cycle started / marked live.
    public var heapBeforeBytes = 0
    public var heapAfterBytes = 0
    /// Heap in-use bytes (pages of spans with objects) before and after.
    public var inuseBeforeBytes = 0
    public var inuseAfterBytes = 0
    public var markNs: UInt64 = 0
    /// Sweeping done by this cycle (all of it when eager; large objects and
    /// the previous cycle's leftovers when lazy).
    public var sweepNs: UInt64 = 0
    public var objectsMarked = 0
    /// What the mark left marked, by span (MHeap.markCensus): the counts
    /// Go's collection cost is modelled on (GoGCCost.swift).
    public var marks = MarkCensus()
    /// Bytes of the scanned (pointer-holding) objects, Go's scan work.
    public var bytesScanned = 0
    /// Of those, the bytes of scanned objects that are not map storage
    /// (bucket or group arrays): out-of-line values and keys, sync.Map
    /// entries, trie nodes.
    public var otherBytesScanned = 0
    public var spansSwept = 0
    public var spansFreed = 0
    public var objectsFreed = 0
    public var bytesFreed = 0
    /// Bytes (and objects) reachable only through deleted map slots.
    public var leakedBytes = 0
    public var leakedObjects = 0
    /// Payloads moved out of sparse spans (relocation), and the time it took.
    public var objectsRelocated = 0
    public var bytesRelocated = 0
    public var relocateNs: UInt64 = 0
    /// With a concurrent-mark model (Collector+ConcurrentMark.swift): the
    /// mutator operations run between the mark and its termination, and the
    /// bytes they allocated black (kept by this cycle; part of
    /// `heapAfterBytes`, as of Go's heapMarked).
    public var overlapOps = 0
    public var allocatedBlackBytes = 0
    /// The pacer's goal for the next cycle (Int.max when GOGC is off), and
    /// the heap size at which that cycle starts (Collector.trigger).
    public var nextGoalBytes = 0
    public var nextTriggerBytes = 0
    /// The scavenger's retained-bytes goal set by this cycle (0: none).
    public var scavengeGoalBytes = 0
    /// Whether the memory limit's GC CPU limiter was on during the cycle
    /// (MemoryLimit.swift).
    public var limiterOn = false

    public init() {}

    /// The whole pause: mark, sweep and relocation.
    public var totalNs: UInt64 { markNs + sweepNs + relocateNs }

    /// Scanned bytes per second of marking.
    public var markBytesPerSecond: Double {
        markNs == 0 ? 0 : Double(bytesScanned) / (Double(markNs) / 1e9)
    }
}
