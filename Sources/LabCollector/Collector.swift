// The collector: a precise mark and sweep over one lab heap, its mark done
// with the world stopped, with GOGC pacing, per-cycle statistics and a leak
// audit.
//
// Overview (after Go's mgc.go, mgcmark.go, mgcsweep.go and mgcpacer.go, made
// stop-the-world so that its cost can be measured exactly).
//
// Roots are explicit, since Swift stacks are not scanned, and they live in the
// heap's root registry (LabHeap/RootRegistry.swift), which the collector only
// reads: every live map of the heap (its header object; a map registers
// itself when it is made, collector or not), the storage held by open
// iterators, and pins (`heap.roots.pin(address)`: an outside pointer into the
// heap, such as the seed article's leaked interior pointer). A pointer the
// program holds in a Swift variable across a safe point must be pinned, or it
// may be freed.
//
// Mark (Collector+Mark.swift) is precise and iterative: each object's type id
// names a descriptor with its pointer words; an address anywhere inside an
// object marks the whole object (page map → span → slot); noscan objects are
// marked but never scanned. Bucket objects are scanned slot by slot: the words
// of slots whose tophash says deleted or evacuated are set aside, and marked
// only after everything else — what that second phase adds is reachable only
// through deleted slots, the audit's `leakedBytes`. It is still kept alive, as
// Go would keep it: the audit measures the leak, it does not fix it.
//
// Marking runs on `gcWorkers` threads (MarkWorkers.swift, default one per
// core), as Go's dedicated and idle mark workers do during runtime.GC(); the
// helper threads live as long as the collector, parked between cycles. The
// roots are dealt round-robin, each worker scans from its own stack, gives
// half of it to a shared pool when another worker waits, and sets mark bits
// with an atomic or; objects over 128 KiB are scanned in oblets, so that one
// big bucket array is shared out too. What is marked is the closure of the
// roots whatever the number of workers — the same objects, bytes, leak audit
// and relocation (ParallelMarkTests) — and the world stays stopped, so the
// objects being scanned do not change under the workers. Relocation, after
// the mark, is sequential (Collector+Relocate.swift).
//
// Finalizers and cleanups (Collector+Finalizers.swift) follow Go's specials:
// a finalizable object's pointers are roots but the object is not; a cycle
// that finds it unreachable keeps it and queues its finalizer, which runs at
// the mutator's next safe point, and only a later cycle can free it; a
// cleanup's `arg` is a root until the cleanup has run.
//
// The census (Collector+Census.swift) is not part of a cycle: after one, it
// marks again on one thread, one kind of root at a time, to say which kind
// keeps each live object (the heap profiles and `retained_by_*` columns).
//
// Sweep is the heap's (MHeap+Sweep.swift): eager by default (the whole heap
// right after mark), or lazy (spans swept as MCaches refill, the rest before
// the next mark). `collect()` is Go's runtime.GC(): it always finishes
// sweeping.
//
// Pacing: after a cycle that marked M bytes the goal is M × (1 + GOGC/100),
// at least 4 MiB × GOGC/100 (Go's heapMinimum), and the next cycle starts at
// Go's trigger for it, 61/64 of the way from M to the goal (`trigger(forMarked:)`
// says why). Allocation counts bytes as spans are cached and large objects
// made; crossing the trigger flags a cycle, which runs at the mutator's next
// `safePoint()` — an operation boundary where every heap pointer it needs is
// rooted. With a `concurrentMark` model (Collector+ConcurrentMark.swift, what
// `bucketlab run` uses) that safe point only marks: the mutator runs on,
// allocating black, for as long as Go's concurrent mark would take, and a
// later safe point sweeps — so a cycle keeps what is allocated and what dies
// during its mark, as Go's do. Without one, the cycle is whole at its safe
// point. After each cycle the scavenger (Scavenger.swift) gets its goal too:
// safe points between cycles release free pages down to it, within Go's CPU
// share. GOGC off (nil) disables automatic cycles; `collect()` still works.
//
// Mark speed: on heaps of this lab's sizes a mark's time goes to the
// per-target steps — the reads of a target's page-map entry and span header,
// which miss the cache for payloads spread over thousands of spans — more
// than to scanning. Hence the span header's layout (what a mark reads in one
// 128-byte line pair, Span.swift), `Marker.greySoon`'s prefetch ring, each
// worker's Marker padded against false sharing, bucket layouts flattened
// into `BucketPlan`s (ScanTable.swift), and the per-target steps
// @_transparent so that they inline into `scan`. Sweeping is a small part of
// a cycle (one pass over the span headers) and stays sequential, eager or
// lazy. What each step gained, what did not help, and how it was measured:
// docs/notes/mark-performance.md.

import LabHeap
import LabMaps

public enum SweepMode: String, Sendable, CaseIterable {
    case eager
    case lazy
}

public final class Collector {
    public let heap: MHeap
    /// GOGC: percent of growth over the marked heap before the next cycle;
    /// nil = off.
    public var gogc: Int? {
        didSet { heap.setTrigger(trigger(marked: lastMarkedBytes, goal: heapGoal())) }
    }
    /// GOMEMLIMIT and the modelled process it applies to (MemoryLimit.swift);
    /// nil: no limit, and none of its accounting.
    public var memoryLimit: MemoryLimit? {
        didSet {
            limitState = memoryLimit.map(MemoryLimitState.init)
            if memoryLimit != nil { refreshLimit() }
            heap.setTrigger(trigger(marked: lastMarkedBytes, goal: heapGoal()))
        }
    }
    /// The limiter, the modelled CPU and the memory against the limit.
    public internal(set) var limitState: MemoryLimitState?
    /// The heap goal the last cycle set (Go's lastHeapGoal, for the scavenger).
    var lastHeapGoalBytes = 0
    public var sweepMode: SweepMode
    /// Threads that mark (MarkWorkers.swift); 1 marks on the caller's thread
    /// alone. What is marked does not depend on it.
    public var gcWorkers: Int {
        didSet { precondition(gcWorkers >= 1, "at least one mark worker") }
    }
    /// Every cycle so far, in order (the trace).
    public private(set) var trace: [CycleStats] = []
    private(set) var lastMarkedBytes = 0
    /// Go's mark overlapping the mutator, modelled
    /// (Collector+ConcurrentMark.swift); nil: each cycle is whole at one
    /// safe point, with nothing allocated during its mark.
    public var concurrentMark: ConcurrentMark? {
        didSet {
            if concurrentMark == nil && openCycle != nil { finishOpenCycle() }
        }
    }
    /// The cycle whose mark is open, while the mutator runs on.
    var openCycle: OpenCycle?
    /// Whether a cycle has marked and the mutator runs on before its sweep.
    public var isMarking: Bool { openCycle != nil }
    /// The background scavenger (Scavenger.swift).
    var scavenger = ScavengerState()
    /// Whether the program has idled (`scavengeToGoal`) since the last
    /// cycle started: the next cycle records it (`CycleStats.afterIdle`).
    var idledSinceLastCycle = false
    /// Allocates the copies relocation makes.
    lazy var relocationMutator = heap.makeMutator()
    /// The mark's helper threads (MarkWorkers.swift).
    let markThreads = MarkThreads()
    /// Finalizers and cleanups, set and queued (Collector+Finalizers.swift).
    var specials = Specials()

    /// Go's heapMinimum: 4 MiB at GOGC = 100, scaled by GOGC/100.
    public static let heapMinimumBytes = 4 << 20

    public init(heap: MHeap, gogc: Int? = 100, sweepMode: SweepMode = .eager, gcWorkers: Int = onlineCores) {
        precondition(gogc.map { $0 >= 0 } ?? true, "GOGC must be non-negative")
        precondition(gcWorkers >= 1, "at least one mark worker")
        self.gcWorkers = gcWorkers
        precondition(heap.collectorAttached.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged,
                     "a heap has one collector")
        self.heap = heap
        self.gogc = gogc
        self.sweepMode = sweepMode
        lastHeapGoalBytes = goal(forMarked: 0)
        heap.resetPacing(liveBytes: heap.heapLiveEstimate, triggerBytes: trigger(forMarked: 0))
    }

    deinit {
        heap.collectorAttached.store(false, ordering: .relaxed)
        heap.allocatingBlack.store(false, ordering: .relaxed)
        heap.resetPacing(liveBytes: 0, triggerBytes: .max)
    }

    /// The pacer's heap goal after a cycle that marked `marked` bytes.
    public func goal(forMarked marked: Int) -> Int {
        guard let gogc else { return .max }
        let floor = Self.heapMinimumBytes * gogc / 100
        return max(marked + marked * gogc / 100, floor)
    }

    /// Where the next cycle starts after one that marked `marked` bytes: Go's
    /// trigger (mgcpacer.go, `trigger()`, the same in Go 1.19 and 1.27) for
    /// a cycle that allocates nothing while it marks. Go starts its
    /// concurrent mark early by a "runway" of what the mutator will allocate
    /// meanwhile (cons/mark × 3 × the scannable heap), bounded to 45/64–61/64
    /// of the way from the marked heap to the goal, the upper bound raised to
    /// goal − 4 MiB for large heaps. The lab's trigger is that upper bound,
    /// Go's rule for an empty runway: the concurrent-mark model stands for
    /// the mark's overlap with the mutator, and a runway on top of it moved
    /// the lab's phase ends further from Go's; a cycle at the goal instead
    /// falls out of step with Go's (one cycle fewer in a 3×10^5-key fill).
    /// Measurements: docs/notes/pacer-trigger.md.
    public func trigger(forMarked marked: Int) -> Int { trigger(marked: marked, goal: goal(forMarked: marked)) }

    /// The same for a heap goal `goal` (the memory limit's, when smaller):
    /// Go's trigger() takes whichever goal heapGoalInternal returns.
    public func trigger(marked: Int, goal: Int) -> Int {
        guard goal != .max, marked < goal else { return goal }
        let runway = goal - marked
        var trigger = runway / 64 * 61 + marked
        if goal > Self.goHeapMinimumBytes && goal - Self.goHeapMinimumBytes > trigger {
            trigger = goal - Self.goHeapMinimumBytes
        }
        return trigger
    }

    /// Go's defaultHeapMinimum, unscaled by GOGC, as `trigger()` uses it.
    static let goHeapMinimumBytes = 4 << 20

    // MARK: Roots

    /// The live maps of the heap's root registry.
    public var rootMaps: [any MapModel] { heap.roots.liveHolders.compactMap { $0 as? any MapModel } }

    // MARK: Cycles

    /// Runs the queued finalizers and cleanups, then the pending automatic
    /// cycle, if the pacer asked for one. Call it where every heap pointer
    /// the program holds is reachable from a root.
    /// With a `concurrentMark` model the cycle is marked here and finished
    /// at a later safe point (Collector+ConcurrentMark.swift); the stats are
    /// returned when it finishes.
    @discardableResult
    public func safePoint() -> CycleStats? {
        if !specials.queue.isEmpty { runFinalizers() }
        if memoryLimit != nil { refreshLimit() }
        if openCycle != nil { return advanceOpenCycle() }
        guard gogc != nil || memoryLimit != nil, heap.collectionPending else {
            scavengeAtSafePoint()
            return nil
        }
        if let model = concurrentMark { return openConcurrentCycle(model) }
        return collect(reason: .pacer)
    }

    /// A full cycle: mark from the roots, audit, sweep, re-pace. Like Go's
    /// runtime.GC(), it first finishes a cycle whose mark is still open.
    @discardableResult
    public func collect(reason: CycleReason = .explicit) -> CycleStats {
        if openCycle != nil { finishOpenCycle() }
        let cycle = startCycle(reason: reason)
        return finishCycle(cycle, markedBytes: cycle.stats.heapAfterBytes, markOps: 0)
    }

    /// A cycle between its mark and its sweep.
    struct MarkedCycle {
        var stats: CycleStats
        var leftover: SweepStats
    }

    /// Sweeps what the last lazy cycle left, marks, audits and relocates.
    func startCycle(reason: CycleReason) -> MarkedCycle {
        var stats = CycleStats()
        stats.cycle = trace.count + 1
        stats.reason = reason
        stats.afterIdle = idledSinceLastCycle
        idledSinceLastCycle = false

        // Sweep what the last lazy cycle left, so the bitmaps are current.
        var t0 = monotonicNanos()
        stats.startNs = t0
        heap.releaseAllCaches()
        let leftover = heap.finishSweep()
        stats.sweepNs = monotonicNanos() - t0

        let before = heap.objectCensus()
        stats.heapBeforeBytes = before.objectBytes
        stats.inuseBeforeBytes = before.inuseBytes

        t0 = monotonicNanos()
        let marked = mark()
        stats.markNs = monotonicNanos() - t0
        stats.objectsMarked = marked.objects
        stats.marks = heap.markCensus()
        stats.bytesScanned = marked.bytesScanned
        stats.otherBytesScanned = marked.otherBytesScanned
        stats.leakedBytes = marked.leakedBytes
        stats.leakedObjects = marked.leakedObjects
        stats.heapAfterBytes = marked.bytes

        if rootMaps.contains(where: { $0.relocationThreshold != nil }) {
            t0 = monotonicNanos()
            relocate(isShared: marked.isShared, into: &stats)
            stats.relocateNs = monotonicNanos() - t0
        }
        return MarkedCycle(stats: stats, leftover: leftover)
    }

    /// Sweeps and re-paces after a mark that, with what was allocated black
    /// since, marked `markedBytes` (Go's heapMarked).
    /// `markOps`: the mutator operations the mark overlapped (0: the
    /// mutator waited), for the memory limit's CPU limiter.
    func finishCycle(_ cycle: MarkedCycle, markedBytes: Int, markOps: Int) -> CycleStats {
        var stats = cycle.stats
        stats.allocatedBlackBytes = markedBytes - stats.heapAfterBytes
        stats.heapAfterBytes = markedBytes

        let t0 = monotonicNanos()
        stats.sweepStartNs = t0
        var swept = sweepMode == .eager || stats.reason == .explicit ? heap.sweep() : heap.sweepLazily()
        stats.sweepNs += monotonicNanos() - t0
        swept.spansSwept += cycle.leftover.spansSwept
        swept.spansFreed += cycle.leftover.spansFreed
        swept.objectsFreed += cycle.leftover.objectsFreed
        swept.bytesFreed += cycle.leftover.bytesFreed
        stats.spansSwept = swept.spansSwept
        stats.spansFreed = swept.spansFreed
        stats.objectsFreed = swept.objectsFreed
        stats.bytesFreed = swept.bytesFreed
        stats.inuseAfterBytes = heap.objectCensus().inuseBytes

        let lastGoal = memoryLimit == nil ? goal(forMarked: lastMarkedBytes) : lastHeapGoalBytes
        lastMarkedBytes = markedBytes
        if memoryLimit != nil { accountCycle(&stats, markOps: markOps) }
        heap.resetPacing(liveBytes: markedBytes, triggerBytes: .max)
        stats.nextGoalBytes = heapGoal()
        stats.nextTriggerBytes = trigger(marked: markedBytes, goal: stats.nextGoalBytes)
        heap.resetPacing(liveBytes: markedBytes, triggerBytes: stats.nextTriggerBytes)
        lastHeapGoalBytes = stats.nextGoalBytes
        paceScavenger(inuseAtMark: stats.inuseBeforeBytes, lastGoal: lastGoal, newGoal: stats.nextGoalBytes)
        stats.scavengeGoalBytes = scavengeGoalBytes ?? 0
        trace.append(stats)
        return stats
    }

    /// Total mark and sweep time so far.
    public var totalMarkNs: UInt64 { trace.reduce(0) { $0 + $1.markNs } }
    public var totalSweepNs: UInt64 { trace.reduce(0) { $0 + $1.sweepNs } }
    public var totalRelocateNs: UInt64 { trace.reduce(0) { $0 + $1.relocateNs } }
}
