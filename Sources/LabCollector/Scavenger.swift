// The background scavenger: what keeps a long-running process's resident
// heap near what it uses. See Collector.swift for the overview.
//
// After Go 1.19's mgcscavenge.go. After every collection the goal is set
// (gcPaceScavenger): retain about 10% more than the heap in use at the end of
// marking, scaled by how the heap goal moved — 1.1 × lastHeapInUse ×
// (heapGoal / lastHeapGoal), rounded up to a page — and when the heap retains
// more than that (heapRetained: in use plus free pages not yet released), the
// scavenger releases free pages, highest addresses first, in 64 KiB units
// (scavengeQuantum), until it is back at the goal. Go runs it as a background
// goroutine held to 1% of the CPU time of GOMAXPROCS processors; the lab,
// stop-the-world, does its units at the mutator's safe points while the time
// it has spent stays under that share of the wall time since the collection.
// With GOGC off there is no goal, as in Go, unless a memory limit gives one;
// under a limit the goal is also the limit's (MemoryLimit.swift).
//
// A simplification: Go reaches that share through a PI controller that
// starts cautiously and releases at a rate that depends on how fragmented its
// free pages are; the lab holds the share from the first moment. A port of
// the controller came no closer to Go: with either, the resident heap right
// after a collection agrees with Go's within about 10%, and after `idle` and
// `freeos` within a few percent. What each released against Go 1.19:
// docs/notes/scavenger-pacing.md.
//
// `scavengeToGoal()` is what an idle process reaches once the scavenger has
// run its course; `freeOSMemory()` is `debug.FreeOSMemory`: a full collection,
// then every free page released (mheap.scavengeAll).

#if canImport(Glibc)
import Glibc
#endif
import LabHeap

/// The scavenger's state, one per collector.
struct ScavengerState {
    /// Retain at most this (Int.max: no goal).
    var goalBytes = Int.max
    /// Whether there is work: the heap retained more than the goal when it
    /// was last looked at.
    var active = false
    /// Wall time since the last collection's end, and the share of it spent
    /// releasing.
    var windowStartNs: UInt64 = 0
    var workNs: UInt64 = 0
    /// Safe points until the clock is read again.
    var countdown = 0
    var releasedBytesTotal = 0
    var workNsTotal: UInt64 = 0

    /// Go's scavengeQuantum.
    static let quantumBytes = 64 << 10
    /// Go's scavengePercent, of every processor's time.
    static let cpuShare = 0.01
    static let processors = onlineCores
    /// Safe points between clock reads while active.
    static let checkEvery = 32
}

extension Collector {
    /// Go's gcPaceScavenger, after a cycle that began with `inuseAtMark`
    /// bytes in use and moved the heap goal from `lastGoal` to `newGoal`.
    func paceScavenger(inuseAtMark: Int, lastGoal: Int, newGoal: Int) {
        // Under a memory limit Go also keeps mappedReady at its limit goal
        // (MemoryLimit.swift): the retained bytes that leaves room for.
        var limitGoal = Int.max
        if let limit = memoryLimit {
            let total = totalMemoryBytes
            if let g = limit.rules.scavengerGoal(limit: limit.limitBytes, mappedReady: total) {
                limitGoal = max(0, g - (total - heap.retainedBytes))
            }
        }
        var goal = Int.max
        if gogc != nil || memoryLimit != nil, lastGoal > 0, lastGoal != .max, newGoal != .max {
            goal = Int(Double(inuseAtMark) * (Double(newGoal) / Double(lastGoal)))
            goal += goal / 10
            goal = (goal + pageSize - 1) / pageSize * pageSize
        }
        goal = min(goal, limitGoal)
        guard goal != .max else {
            scavenger.goalBytes = .max
            scavenger.active = false
            return
        }
        scavenger.goalBytes = goal
        let retained = heap.retainedBytes
        scavenger.active = retained > goal && retained - goal >= pageSize
        scavenger.windowStartNs = monotonicNanos()
        scavenger.workNs = 0
        scavenger.countdown = 0
    }

    /// A safe point's share of scavenging: a unit when the time budget allows.
    @inline(__always)
    func scavengeAtSafePoint() {
        guard scavenger.active else { return }
        scavenger.countdown -= 1
        guard scavenger.countdown <= 0 else { return }
        scavenger.countdown = ScavengerState.checkEvery
        let now = monotonicNanos()
        let budget = Double(now &- scavenger.windowStartNs) * ScavengerState.cpuShare * Double(ScavengerState.processors)
        guard Double(scavenger.workNs) < budget else { return }
        scavengeUnit()
    }

    /// Releases one quantum if the heap retains more than the goal.
    @discardableResult
    func scavengeUnit() -> Int {
        let retained = heap.retainedBytes
        guard retained > scavenger.goalBytes else {
            scavenger.active = false
            return 0
        }
        let t0 = monotonicNanos()
        let released = heap.releaseFreePages(maxBytes: min(ScavengerState.quantumBytes, retained - scavenger.goalBytes))
        let spent = monotonicNanos() - t0
        scavenger.workNs += spent
        scavenger.workNsTotal += spent
        scavenger.releasedBytesTotal += released
        if released == 0 { scavenger.active = false }
        return released
    }

    /// Runs the scavenger to its goal at once: what the heap retains after a
    /// process has idled long enough (Go's reference waits a second or more
    /// for it, so the next cycle is one after the program slept). Returns
    /// the bytes released.
    @discardableResult
    public func scavengeToGoal() -> Int {
        idledSinceLastCycle = true
        var total = 0
        scavenger.active = true
        while scavenger.active {
            total += scavengeUnit()
        }
        return total
    }

    /// `debug.FreeOSMemory`: a full collection, then every free page
    /// released. Returns the bytes released.
    @discardableResult
    public func freeOSMemory() -> Int {
        collect()
        let released = heap.scavenge()
        scavenger.releasedBytesTotal += released
        scavenger.active = false
        return released
    }

    /// The scavenger's current goal (nil: none — GOGC off, or no cycle yet).
    public var scavengeGoalBytes: Int? { scavenger.goalBytes == .max ? nil : scavenger.goalBytes }
    /// Bytes the scavenger (and `freeOSMemory`) released, and its time.
    public var scavengedBytesTotal: Int { scavenger.releasedBytesTotal }
    public var scavengeNsTotal: UInt64 { scavenger.workNsTotal }
}
