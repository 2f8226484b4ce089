// GOMEMLIMIT: Go's soft memory limit, modelled per Go version. See
// Collector.swift for the overview, docs/memory-limit.md for the user's view.
//
// Three parts of Go's runtime act on a limit; each is ported from the
// sources of the two Go versions the lab stands for (Go 1.19.8 for the
// classic map, Go 1.27.3 for Swiss tables):
//
// - The heap goal (mgcpacer.go, `memoryLimitHeapGoal`, taken by
//   `heapGoalInternal` when smaller than the GOGC goal): the limit minus the
//   memory that counts against it but holds no heap objects,
//   `nonHeap = mappedReady − heapFree − heapAlloc`, minus the overage
//   `max(mappedReady − limit, 0)`, minus a headroom: 1 MiB in Go 1.19
//   (`memoryLimitHeapGoalHeadroom`), 3% of that goal but at least 1 MiB in
//   Go 1.27 (`memoryLimitHeapGoalHeadroomPercent`,
//   `memoryLimitMinHeapGoalHeadroom`); never below the marked heap. Go
//   recomputes it at every trigger test, so the lab does at every safe point.
//   With GOGC off the GOGC goal is infinite and only this one is left.
//   The lab's mappedReady is its heap retained (in use + free, unreleased),
//   its own metadata (span headers, bitmaps, page map: what Go's mspans and
//   GC bitmaps are), and `runtimeBytes`, a measured constant for what Go's
//   runtime holds besides (stacks, its own structures).
// - The GC CPU limiter (mgclimit.go, the same in both versions): a leaky
//   bucket of `capacityPerProc` (1 CPU-second) × GOMAXPROCS that GC time
//   fills and mutator time drains (`accumulate`); while it is full the
//   limiter is on, assists stop (mgcmark.go, `gcAssistAlloc`), and the heap
//   may pass its goal and the limit. Go counts as GC time the assists, the
//   dedicated workers as a flat `gcBackgroundUtilization` (25%) of wall time
//   × GOMAXPROCS while the mark runs, and stop-the-world time; idle-time
//   marking and idle Ps are taken out of the total (`updateLocked`). The
//   lab's times are modelled, never this machine's clock: a cycle's Go CPU
//   comes from the GC-cost model (GoGCCost.swift); the mutator's time in
//   the mark from the operations of the concurrent-mark window
//   (Collector+ConcurrentMark.swift) and the bytes they allocate black,
//   outside it `mutatorNsPerOp` per operation; the mark's wall time, its
//   assists and idle marking follow. See `limiterTimes` for the split.
// - The scavenger (mgcscavenge.go, `gcPaceScavenger`): besides the GOGC
//   goal it keeps mappedReady at (1 − `reduceExtraPercent`/100) of the limit,
//   95%. Go 1.19 computes that goal as `limit × (100 − reduceExtraPercent)`,
//   95 × the limit, so its background scavenger never works for the limit;
//   both versions also scavenge at allocation (mheap.go, `allocSpan`) what
//   takes mappedReady past the limit, unless the limiter is on.
//
// Limits: one mutator goroutine, as the workloads are; the mutator's cost per
// operation is one figure per Go version outside a mark and one fitted pair
// (per operation, per byte allocated) inside it, not per kind of operation,
// and the per-byte term was fitted on scanned values of 112 bytes and 1 KiB,
// not on large arrays allocated during a mark; sweeping between marks is not
// counted as mutator time; stop-the-world time and scavenge assists are
// counted on neither side (the GC-cost model has no stop of its own).

import LabHeap
import LabMaps

/// The constants and formulas of one Go version's memory limit.
public struct MemoryLimitRules: Sendable, Equatable {
    public var goVersion: String
    /// `memoryLimitHeapGoalHeadroomPercent` (0: Go 1.19 has none).
    public var headroomPercent: Int
    /// The fixed (Go 1.19) or minimum (Go 1.27) headroom.
    public var minHeadroomBytes: Int
    /// What `gcPaceScavenger` multiplies the limit by for its goal: 0.95, or
    /// 95 in Go 1.19 (`100.0 - reduceExtraPercent`, never divided by 100).
    public var scavengerLimitFactor: Double

    public static let go119 = MemoryLimitRules(goVersion: "go1.19.8", headroomPercent: 0,
                                               minHeadroomBytes: 1 << 20, scavengerLimitFactor: 100.0 - 5)
    public static let go127 = MemoryLimitRules(goVersion: "go1.27.3", headroomPercent: 3,
                                               minHeadroomBytes: 1 << 20, scavengerLimitFactor: 1 - 5 / 100.0)

    /// The rules of the Go version a map model stands for (as GoGCCost's).
    public static func forMapModel(_ name: String) -> MemoryLimitRules {
        MapModels.standsForGo119(name) ? go119 : go127
    }

    /// Go's `memoryLimitHeapGoal` for these inputs (bytes).
    public func heapGoal(limit: Int, mappedReady: Int, heapFree: Int, heapAlloc: Int, heapMarked: Int) -> Int {
        let nonHeap = max(0, mappedReady - heapFree - heapAlloc)
        let overage = max(0, mappedReady - limit)
        if nonHeap + overage >= limit { return heapMarked }
        var goal = limit - (nonHeap + overage)
        let headroom = max(minHeadroomBytes, goal / 100 * headroomPercent)
        if goal < headroom || goal - headroom < headroom {
            goal = headroom
        } else {
            goal -= headroom
        }
        return max(goal, heapMarked)
    }

    /// `gcPaceScavenger`'s memory-limit goal for mappedReady: nil when
    /// mappedReady is already at or under it (Go stores ^uint64(0)).
    public func scavengerGoal(limit: Int, mappedReady: Int) -> Int? {
        let goal = Double(limit) * scavengerLimitFactor
        return Double(mappedReady) <= goal ? nil : Int(goal)
    }
}

/// mgclimit.go's gcCPULimiterState: the bucket and what it decided.
public struct GCCPULimiter: Sendable, Equatable {
    /// Go's `capacityPerProc`: one second per P, in nanoseconds.
    public static let capacityPerProcNs: UInt64 = 1_000_000_000
    public let capacityNs: UInt64
    public private(set) var fillNs: UInt64 = 0
    /// GC time past a full bucket (Go's `overflow`).
    public private(set) var overflowNs: UInt64 = 0
    /// Whether the limiter is on (Go's `limiting()`).
    public private(set) var enabled = false
    /// The cycle during which it last turned on (Go's `lastEnabledCycle`,
    /// numgc + 1; 0: never), as /gc/limiter/last-enabled:gc-cycle reports it.
    public private(set) var lastEnabledCycle = 0

    public init(procs: Int) {
        precondition(procs >= 1, "GOMAXPROCS is at least 1")
        capacityNs = UInt64(procs) * Self.capacityPerProcNs
    }

    /// Go's `accumulate`, with `numGC` cycles finished so far.
    public mutating func accumulate(mutatorNs: UInt64, gcNs: UInt64, numGC: Int) {
        let headroom = capacityNs - fillNs
        let wasEnabled = headroom == 0
        let change = Int64(gcNs) - Int64(mutatorNs)
        if change > 0 && headroom <= UInt64(change) {
            overflowNs += UInt64(change) - headroom
            fillNs = capacityNs
            if !wasEnabled {
                enabled = true
                lastEnabledCycle = numGC + 1
            }
            return
        }
        if change < 0 && fillNs <= UInt64(-change) {
            fillNs = 0
        } else if change < 0 {
            fillNs -= UInt64(-change)
        } else {
            fillNs += UInt64(change)
        }
        if change != 0 && wasEnabled { enabled = false }
    }
}

/// A memory limit and the modelled process it applies to.
public struct MemoryLimit: Sendable, Equatable {
    /// GOMEMLIMIT in bytes; Int.max: none (Go's default, math.MaxInt64),
    /// with the accounting kept for a container limit.
    public var limitBytes: Int
    public var rules: MemoryLimitRules
    /// Go's collection CPU per cycle (the limiter's GC time).
    public var gcCost: GoGCCost
    /// What Go's runtime maps besides the heap and its metadata.
    public var runtimeBytes: Int
    /// Go's CPU for one of the workload's operations, GC excluded.
    public var mutatorNsPerOp: Double
    /// GOMAXPROCS of the modelled process.
    public var procs: Int
    /// The mutator's CPU during a mark: per operation and per byte
    /// allocated black (`markMutatorNsPerOpFitted`, `markMutatorNsPerByteFitted`).
    public var markMutatorNsPerOp = MemoryLimit.markMutatorNsPerOpFitted
    public var markMutatorNsPerByte = MemoryLimit.markMutatorNsPerByteFitted
    /// Assists' share of the mark CPU beyond the workers' flat share.
    public var assistShare = MemoryLimit.assistShareFitted

    public init(limitBytes: Int, rules: MemoryLimitRules, gcCost: GoGCCost, runtimeBytes: Int,
                mutatorNsPerOp: Double, procs: Int = MemoryLimit.defaultProcs) {
        precondition(limitBytes > 0 && runtimeBytes >= 0 && mutatorNsPerOp > 0 && procs >= 1, "impossible memory limit model")
        self.limitBytes = limitBytes
        self.rules = rules
        self.gcCost = gcCost
        self.runtimeBytes = runtimeBytes
        self.mutatorNsPerOp = mutatorNsPerOp
        self.procs = procs
    }

    /// The model for a map model's Go version, calibrated on this lab's
    /// machine (docs/memory-limit.md, "Calibration"); its GC time from
    /// `gcCost`'s model of that version (default: the committed ones).
    public static func forMapModel(_ name: String, limitBytes: Int, gcCost: GoGCCost.Models = .committed) -> MemoryLimit {
        let classic = MapModels.standsForGo119(name)
        return MemoryLimit(limitBytes: limitBytes, rules: .forMapModel(name), gcCost: gcCost.forMapModel(name),
                           runtimeBytes: classic ? runtimeBytesGo119 : runtimeBytesGo127,
                           mutatorNsPerOp: classic ? mutatorNsPerOpGo119 : mutatorNsPerOpGo127)
    }

    /// GOMAXPROCS of the Go reference runs the constants were measured on
    /// (this 2-core machine).
    public static let defaultProcs = 2

    /// Go's memory outside the heap and its span structures:
    /// /memory/classes/total − heap/* − metadata/mspan/*, the median of
    /// three reference runs at the first phase end of `churn` at 10^6 keys
    /// (Results/memlimit-2026-12-06/calibration,
    /// docs/notes/memory-limit-calibration.md). Go 1.19's is mostly its
    /// heap arena's metadata (metadata/other, 8.3 MB for the first 64 MiB
    /// arena); Go 1.27 keeps heap bitmaps in the spans.
    public static let runtimeBytesGo119 = 9_043_744
    public static let runtimeBytesGo127 = 4_496_136

    /// The mean of Go's insert, delete and lookup-hit medians with its
    /// collector off at 10^6 keys (`bucketlab ops`,
    /// Results/ops-2026-12-06/ops.csv).
    public static let mutatorNsPerOpGo119 = 131.6
    public static let mutatorNsPerOpGo127 = 129.6

    /// The mutator's CPU per operation while Go marks past its goal, and
    /// per byte it allocates then (allocated black): write barriers,
    /// allocation of black objects, sweeping and zeroing at allocation, the
    /// page faults after scavenging at allocation. Fitted on Go's gctrace
    /// (mark wall time less assists, per operation) of the `over` phases of
    /// the limit-engage files: the 1 KiB file on both Go versions and the
    /// 112-byte file on Go 1.19, Go 1.27's 112-byte runs held out
    /// (docs/notes/memory-limit-calibration.md).
    public static let markMutatorNsPerOpFitted = 219.6
    public static let markMutatorNsPerByteFitted = 6.134
    /// Assists' share of a cycle's mark CPU beyond the dedicated and
    /// fractional workers' (gctrace's assist / (assist + idle)), fitted on
    /// the same phases.
    public static let assistShareFitted = 0.461

    /// What the limiter counts of one stretch of operations and the cycle
    /// that ends it, with the parts of the cycle's mark as modelled.
    public struct LimiterTimes: Sendable, Equatable {
        /// The mutator's time before the mark, which drains the bucket
        /// first (Go updates the limiter at every GC transition,
        /// mgclimit.go `startGCTransition`, so a drain stops at empty).
        public var outsideMutatorNs: UInt64 = 0
        /// The limiter's mutator and GC time during the mark (what
        /// `accumulate` takes after the drain).
        public var mutatorNs: UInt64
        public var gcNs: UInt64
        /// The mark's wall time, the goroutine's assists in it, the
        /// workers' CPU at their flat share, and idle-time marking (which
        /// the limiter subtracts from the total, as idle).
        public var markWallNs: UInt64 = 0
        public var assistNs: UInt64 = 0
        public var workerNs: UInt64 = 0
        public var idleMarkNs: UInt64 = 0
    }

    /// The limiter's GC and mutator time for a stretch of `ops` operations
    /// in which a cycle of Go CPU `cycleNs` marked for `markOps` of them,
    /// allocating `markBytes` black (markOps 0: a cycle the mutator waited
    /// for, runtime.GC()). Go's accounting (mgclimit.go, `updateLocked`):
    /// while the mark runs, GC time is the assists (`limiterEventMarkAssist`,
    /// mgcmark.go `gcAssistAlloc1`) plus a flat `gcBackgroundUtilization` ×
    /// GOMAXPROCS × wall time, whatever the workers did; idle time (a P on
    /// the idle list, `limiterEventIdle` in proc.go `pidleput`, and idle
    /// marking, `limiterEventIdleMarkWork` in mgc.go `gcBgMarkWorker`) is
    /// taken out of the total; the mutator's time is what is left. Outside
    /// the mark there is no GC time, and the one goroutine's time is all the
    /// mutator time (the other Ps idle).
    ///
    /// The cycle, modelled: the goroutine runs through the mark, its
    /// operations at `markMutatorNsPerOp` + `markMutatorNsPerByte` per byte
    /// allocated black (M), plus its assists (A): wall W = M + A. The
    /// workers take their flat share, bP·W (b = 25%, at most what the cycle
    /// leaves after the assists); of the rest of the cycle's CPU C the
    /// assists do `assistShare` and idle marking the remainder:
    /// A = share · (C − bP·W), so A = share · (C − bP·M) / (1 + share · bP),
    /// but at least what the other P − 1 Ps cannot mark in W. With the
    /// limiter on, assists stop (`assisting` false): A = 0. Either way the
    /// mark lasts W = max(M + A, (M + C) / P), so that P·W ≥ M + C.
    /// The limiter's mutator time in the mark is then M + (workers' CPU −
    /// bP·W): the non-idle time less its GC time. Operations outside the
    /// mark cost `mutatorNsPerOp` each. A waited-for cycle marks on every P:
    /// wall C / P, of which the flat share is GC time and the rest idle.
    public func limiterTimes(ops: Int, cycleNs: UInt64, markOps: Int, markBytes: Int = 0, assisting: Bool)
        -> LimiterTimes {
        precondition((0...1).contains(assistShare) && markMutatorNsPerOp >= 0 && markMutatorNsPerByte >= 0,
                     "assistShare in 0...1, mark costs not negative")
        let outside = UInt64((Double(max(0, ops - markOps)) * mutatorNsPerOp).rounded())
        let p = Double(procs), cpu = Double(cycleNs), bp = Self.backgroundUtilization * p
        if markOps == 0 {
            let wall = cpu / p, workers = min(cpu, bp * wall)
            return LimiterTimes(outsideMutatorNs: outside, mutatorNs: 0, gcNs: UInt64((bp * wall).rounded()),
                                markWallNs: UInt64(wall.rounded()), workerNs: UInt64(workers.rounded()),
                                idleMarkNs: UInt64((cpu - workers).rounded()))
        }
        let m = Double(markOps) * markMutatorNsPerOp + Double(max(0, markBytes)) * markMutatorNsPerByte
        // With other Ps to mark on, they cannot mark more than (P − 1)·W:
        // what they cannot take falls to the assists, as Go's assist ratio
        // grows when the workers fall behind. (On one P the workers take
        // turns with the goroutine; the wall time below covers them.)
        let byCapacity = procs > 1 ? (cpu - (p - 1) * m) / p : 0
        let assist = assisting
            ? min(cpu, max(0, assistShare * (cpu - bp * m) / (1 + assistShare * bp), byCapacity)) : 0
        // The mark lasts at least until the Ps have done its work (P·W ≥
        // M + C): without assists (the limiter on), or on one P, past
        // M + A; the goroutine's time past M + A is not counted as mutator
        // time (its operations there are the next stretch's).
        let wall = max(m + assist, (m + cpu) / p)
        let flat = bp * wall
        let workers = min(flat, cpu - assist)
        let idleMark = cpu - assist - workers
        // Mutator time is the non-idle time less GC time; where the flat
        // share exceeds what ran, the difference stays GC time (Go's
        // `change` counts it whole).
        let mutator = max(0, m + workers - flat)
        let gc = flat + assist + max(0, flat - workers - m)
        return LimiterTimes(outsideMutatorNs: outside, mutatorNs: UInt64(mutator.rounded()), gcNs: UInt64(gc.rounded()),
                            markWallNs: UInt64(wall.rounded()), assistNs: UInt64(assist.rounded()),
                            workerNs: UInt64(workers.rounded()), idleMarkNs: UInt64(idleMark.rounded()))
    }

    /// Go's gcBackgroundUtilization.
    public static let backgroundUtilization = 0.25
}

/// What the collector keeps for a memory limit (Collector.memoryLimit).
public struct MemoryLimitState: Sendable {
    public var limiter: GCCPULimiter
    /// Modelled CPU so far: the mutator's as the limiter counts it (its
    /// operations, less the flat worker share of a mark beyond what the
    /// workers ran), Go's collector's (every cycle's GoGCCost), and the
    /// part the limiter counted as GC time.
    public var mutatorNs: UInt64 = 0
    public var gcNs: UInt64 = 0
    public var limiterGCNs: UInt64 = 0
    /// Cycles that ran with the limiter on.
    public var limitedCycles = 0
    /// mappedReady now and its high-water mark since `resetPeak`.
    public var totalBytes = 0
    public var peakTotalBytes = 0
    /// The heap goal now (GOGC's and the limit's, the smaller).
    public var heapGoalBytes = Int.max
    /// Operations since the limiter was last updated.
    var pendingOps = 0

    init(_ limit: MemoryLimit) { limiter = GCCPULimiter(procs: limit.procs) }
}

extension Collector {
    /// Go's heapGoal now: the GOGC goal after the last cycle, or the memory
    /// limit's if smaller (mgcpacer.go, heapGoalInternal).
    public func heapGoal() -> Int {
        let gogcGoal = goal(forMarked: lastMarkedBytes)
        guard let limit = memoryLimit else { return gogcGoal }
        let f = heap.footprint()
        let mapped = f.inuseBytes + f.freeBytes + f.metadataBytes + limit.runtimeBytes
        return min(gogcGoal, limit.rules.heapGoal(limit: limit.limitBytes, mappedReady: mapped, heapFree: f.freeBytes,
                                                  heapAlloc: heap.heapLiveEstimate, heapMarked: lastMarkedBytes))
    }

    /// Go's mappedReady as the lab models it: the heap retained, its
    /// metadata, and the runtime's own (0 without a memory limit model).
    public var totalMemoryBytes: Int {
        let f = heap.footprint()
        return f.inuseBytes + f.freeBytes + f.metadataBytes + (memoryLimit?.runtimeBytes ?? 0)
    }

    /// A safe point under a memory limit: one mutator operation more, the
    /// scavenging Go does at allocation past the limit (mheap.go, allocSpan:
    /// not while the limiter is on), the trigger for the goal now, and the
    /// high-water mark of total memory.
    func refreshLimit() {
        guard let limit = memoryLimit else { return }
        limitState!.pendingOps += 1
        var f = heap.footprint()
        var total = f.inuseBytes + f.freeBytes + f.metadataBytes + limit.runtimeBytes
        if total > limit.limitBytes && f.freeBytes > 0 && !limitState!.limiter.enabled {
            let released = heap.releaseFreePages(maxBytes: total - limit.limitBytes)
            scavenger.releasedBytesTotal += released
            f = heap.footprint()
            total = f.inuseBytes + f.freeBytes + f.metadataBytes + limit.runtimeBytes
        }
        limitState!.totalBytes = total
        limitState!.peakTotalBytes = max(limitState!.peakTotalBytes, total)
        guard openCycle == nil else { return }
        let goal = min(goal(forMarked: lastMarkedBytes),
                       limit.rules.heapGoal(limit: limit.limitBytes, mappedReady: total, heapFree: f.freeBytes,
                                            heapAlloc: heap.heapLiveEstimate, heapMarked: lastMarkedBytes))
        limitState!.heapGoalBytes = goal
        heap.setTrigger(trigger(marked: lastMarkedBytes, goal: goal))
    }

    /// Charges a finished cycle and the operations since the last one to
    /// the CPU limiter and the modelled CPU totals.
    func accountCycle(_ stats: inout CycleStats, markOps: Int) {
        guard let limit = memoryLimit else { return }
        let cpu = limit.gcCost.cpuNs(stats)
        let enabled = limitState!.limiter.enabled
        let t = limit.limiterTimes(ops: limitState!.pendingOps, cycleNs: cpu, markOps: markOps,
                                   markBytes: stats.allocatedBlackBytes, assisting: !enabled)
        limitState!.limiter.accumulate(mutatorNs: t.outsideMutatorNs, gcNs: 0, numGC: trace.count)
        limitState!.limiter.accumulate(mutatorNs: t.mutatorNs, gcNs: t.gcNs, numGC: trace.count)
        limitState!.pendingOps = 0
        limitState!.mutatorNs += t.outsideMutatorNs + t.mutatorNs
        limitState!.gcNs += cpu
        limitState!.limiterGCNs += t.gcNs
        stats.limiterOn = enabled || limitState!.limiter.enabled
        if stats.limiterOn { limitState!.limitedCycles += 1 }
    }

    /// Starts a new high-water mark of total memory from now.
    public func resetPeakTotal() {
        guard memoryLimit != nil else { return }
        limitState!.totalBytes = totalMemoryBytes
        limitState!.peakTotalBytes = limitState!.totalBytes
    }
}
