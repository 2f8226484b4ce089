// Go's mark overlapping the mutator, modelled on the lab's stop-the-world
// mark. See Collector.swift for the overview.
//
// Go marks while the program runs: from the trigger until mark termination
// the mutator allocates black (every new object is born marked) and the
// hybrid write barrier keeps everything that was reachable when the mark
// began. A cycle therefore keeps what died during its mark and what was
// allocated during it, and Go's pacer starts the next one early by a runway
// of what the mutator is expected to allocate meanwhile. The lab marks with
// the world stopped, which keeps none of that; with a `ConcurrentMark` model
// a pacer cycle becomes:
//
// - at the safe point after the trigger: the whole mark of what is reachable
//   there (what Go's barrier keeps: the snapshot), then allocation turns
//   black (`MHeap.allocatingBlack`);
// - the mutator runs on for as long as Go's mark would take: its scan work
//   divided by the work Go's mark workers do per mutator operation
//   (`scannedBytesPerOp`), or until the heap reaches its goal (past it Go's
//   assists make the mutator finish the mark); under a memory limit with
//   the CPU limiter on there are no assists, and the mark lasts the other
//   Ps' time for the cycle's modelled CPU, the goroutine's operations
//   timed by the limiter's own cost model (MemoryLimit.swift);
// - at that safe point: sweep, with the black objects kept, and re-pace with
//   the marked bytes including them (Go's heapMarked).
//
// Counting the mark's length in operations, not time, keeps runs byte-exact
// for a seed. The mutator's allocation during the mark then follows from the
// workload: a churn operation allocates about half what a fill operation
// does, and so does its mark window in Go.
//
// Calibration: the two parameters come from Go's own traces (gctrace and
// gcpacertrace of the reference program, Reference/). The heap's growth
// during a mark per byte of scan work, over what a churn or fill operation
// allocates, comes to about 2 operations per KiB of scan work in Go 1.27
// (`scannedBytesPerOp` 480); the root scan is Go's globals and stacks, all a
// mark of noscan Swiss groups has to do. One model serves both map models:
// the classic model's phase ends do not move with it.
//
// Not modelled: Go's runway (an earlier trigger; `Collector.trigger(forMarked:)`),
// a fixed mark latency, and Go's soft goal as the end of the window; each
// puts the lab's phase ends further from Go's. Window, trigger and
// goal are calibrated together on Go's phase ends, whose own run-to-run
// spread is the floor under any of it. The traces, the fidelity against Go
// before and after, each variant's figures, and the commands:
// docs/notes/concurrent-mark-calibration.md.

import LabHeap

/// How long Go's concurrent mark lets the mutator run, in the lab's terms.
public struct ConcurrentMark: Sendable, Equatable {
    /// Bytes of scan work Go's mark workers do while the mutator runs one
    /// operation.
    public var scannedBytesPerOp: Int
    /// Scan work a Go program does besides its heap: its globals (data and
    /// bss, the runtime's own included) and goroutine stacks. Part of every
    /// mark's length.
    public var rootScanBytes: Int

    public init(scannedBytesPerOp: Int, rootScanBytes: Int) {
        precondition(scannedBytesPerOp > 0 && rootScanBytes >= 0, "impossible concurrent mark model")
        self.scannedBytesPerOp = scannedBytesPerOp
        self.rootScanBytes = rootScanBytes
    }

    /// Go 1.27's mark as its traces measured it on the lab's machine: 480 B
    /// of scan work per mutator operation, and the 158,698 B of globals and
    /// stacks the reference program scans
    /// (docs/notes/concurrent-mark-calibration.md).
    public static let calibrated = ConcurrentMark(scannedBytesPerOp: 480, rootScanBytes: 158_698)
}

/// A pacer cycle whose mark is done while the mutator runs on.
struct OpenCycle {
    var cycle: Collector.MarkedCycle
    /// Operations the mark lasts, and those run so far.
    var ops: Int
    var opsRun = 0
    /// The heap goal the mark must finish by.
    var goal: Int
    /// With the memory limit's CPU limiter on (no assists); nil otherwise.
    var unassisted: UnassistedMark?
}

/// A mark without assists: it ends when the goroutine's modelled time,
/// per operation and per byte allocated black since `liveAtOpen`, reaches
/// `boundNs`, the other Ps' time for the cycle's CPU.
struct UnassistedMark {
    var boundNs: Double
    var nsPerOp: Double
    var nsPerByte: Double
    var liveAtOpen: Int

    func isDone(ops: Int, live: Int) -> Bool {
        Double(ops) * nsPerOp + Double(max(0, live - liveAtOpen)) * nsPerByte >= boundNs
    }
}

extension Collector {
    /// Marks now and lets the mutator run on, allocating black, until the
    /// mark's modelled end; returns the cycle's stats if that is already now.
    func openConcurrentCycle(_ model: ConcurrentMark) -> CycleStats? {
        let cycle = startCycle(reason: .pacer)
        let ops = (cycle.stats.bytesScanned + model.rootScanBytes) / model.scannedBytesPerOp
        // Under a memory limit the goal can be the marked heap, passed when
        // the cycle starts; Go's assists then aim at 1.1 × the goal
        // (mgcpacer.go, revise: maxOvershoot).
        var goal = heapGoal()
        if memoryLimit != nil && heap.heapLiveEstimate >= goal { goal += goal / 10 }
        openCycle = OpenCycle(cycle: cycle, ops: ops, goal: goal)
        // Without assists the mark lasts as long as the workers take: the
        // other Ps marking flat out through the cycle's modelled CPU C while
        // the goroutine runs, so the mark ends when the goroutine's time
        // (the limiter's per-operation and per-byte cost, MemoryLimit.swift)
        // reaches C / (P − 1) — the wall time `limiterTimes` gives such a
        // mark. The operation window, calibrated on marks with assists,
        // would let a mutator of large objects allocate for far longer.
        if let limit = memoryLimit, limit.procs > 1, limitState!.limiter.enabled {
            openCycle!.unassisted = UnassistedMark(boundNs: Double(limit.gcCost.cpuNs(cycle.stats)) / Double(limit.procs - 1),
                                                   nsPerOp: limit.markMutatorNsPerOp, nsPerByte: limit.markMutatorNsPerByte,
                                                   liveAtOpen: heap.heapLiveEstimate)
        }
        heap.allocatingBlack.store(true, ordering: .relaxed)
        return ops == 0 ? finishOpenCycle() : nil
    }

    /// One mutator operation of the open cycle's mark has passed.
    func advanceOpenCycle() -> CycleStats? {
        openCycle!.opsRun += 1
        if let unassisted = openCycle!.unassisted {
            return unassisted.isDone(ops: openCycle!.opsRun, live: heap.heapLiveEstimate) ? finishOpenCycle() : nil
        }
        // At the goal assists finish the mark, unless the memory limit's
        // CPU limiter has stopped them (mgcmark.go, gcAssistAlloc).
        let assisting = !(limitState?.limiter.enabled ?? false)
        guard openCycle!.opsRun >= openCycle!.ops || (assisting && heap.heapLiveEstimate >= openCycle!.goal) else { return nil }
        return finishOpenCycle()
    }

    /// Mark termination: allocation turns white again, and the cycle sweeps
    /// with what was allocated black counted as marked.
    @discardableResult
    func finishOpenCycle() -> CycleStats {
        let open = openCycle!
        openCycle = nil
        heap.allocatingBlack.store(false, ordering: .relaxed)
        var cycle = open.cycle
        cycle.stats.overlapOps = open.opsRun
        return finishCycle(cycle, markedBytes: heap.markedObjectBytes(), markOps: open.opsRun)
    }
}
