import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

/// GOMEMLIMIT (MemoryLimit.swift): the heap goal under a limit per Go
/// version, the GC CPU limiter, and the scavenger's limit goal.
@Suite struct MemoryLimitTests {
    static let mib = 1 << 20

    /// One case of Go's memoryLimitHeapGoal inputs, in MiB.
    struct GoalCase {
        var limit: Int, mapped: Int, free: Int, alloc: Int, marked: Int
    }

    /// Go 1.19's memoryLimitHeapGoal written out: limit − (nonHeap +
    /// overage) − 1 MiB, at least 1 MiB when that would leave under 2 MiB,
    /// at least the marked heap.
    static func go119Goal(_ c: GoalCase) -> Int {
        let (limit, mapped, free, alloc, marked) = (c.limit * mib, c.mapped * mib, c.free * mib, c.alloc * mib, c.marked * mib)
        let nonHeap = mapped - free - alloc, overage = max(0, mapped - limit)
        if nonHeap + overage >= limit { return marked }
        let g = limit - nonHeap - overage
        return max(g < 2 * mib ? mib : g - mib, marked)
    }

    /// Go 1.27's: the headroom is 3% of that goal (at least 1 MiB).
    static func go127Goal(_ c: GoalCase) -> Int {
        let (limit, mapped, free, alloc, marked) = (c.limit * mib, c.mapped * mib, c.free * mib, c.alloc * mib, c.marked * mib)
        let nonHeap = mapped - free - alloc, overage = max(0, mapped - limit)
        if nonHeap + overage >= limit { return marked }
        let g = limit - nonHeap - overage
        let headroom = max(mib, g / 100 * 3)
        return max(g < 2 * headroom ? headroom : g - headroom, marked)
    }

    static let goalCases = [
        GoalCase(limit: 100, mapped: 60, free: 10, alloc: 40, marked: 30),   // under the limit
        GoalCase(limit: 100, mapped: 110, free: 5, alloc: 80, marked: 60),   // over it: the overage counts
        GoalCase(limit: 64, mapped: 70, free: 0, alloc: 2, marked: 2),       // non-heap alone past it
        GoalCase(limit: 3, mapped: 2, free: 0, alloc: 1, marked: 0),         // a small limit: the headroom
        GoalCase(limit: 100, mapped: 90, free: 0, alloc: 70, marked: 85),    // never under the marked heap
        GoalCase(limit: 1024, mapped: 300, free: 50, alloc: 200, marked: 150),
    ]

    @Test(arguments: goalCases)
    func heapGoalFollowsEachVersionsFormula(_ c: GoalCase) {
        for (rules, expected) in [(MemoryLimitRules.go119, Self.go119Goal(c)), (.go127, Self.go127Goal(c))] {
            let goal = rules.heapGoal(limit: c.limit * Self.mib, mappedReady: c.mapped * Self.mib, heapFree: c.free * Self.mib,
                                      heapAlloc: c.alloc * Self.mib, heapMarked: c.marked * Self.mib)
            #expect(goal == expected, "\(rules.goVersion) \(c)")
        }
        // The versions differ by their headroom only where the 3% passes 1 MiB.
        let c119 = Self.go119Goal(c), c127 = Self.go127Goal(c)
        #expect(c127 <= c119)
    }

    /// The collector's goal: the smaller of GOGC's and the limit's, the
    /// limit's computed from the heap's own footprint; GOGC off leaves the
    /// limit's alone.
    @Test(arguments: [100, nil] as [Int?])
    func collectorTakesTheSmallerGoal(gogc: Int?) throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: gogc, gcWorkers: 1)
        let mutator = heap.makeMutator()
        var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
        let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: 3)
        for k in 0..<100_000 as Range<UInt64> { map[k] = payloads.make(key: k) }
        collector.collect()
        let marked = collector.trace.last!.heapAfterBytes
        let gogcGoal = collector.goal(forMarked: marked)
        #expect(collector.heapGoal() == gogcGoal, "no limit: the GOGC goal")
        for limitMiB in [8, 24, 64, 4096] {
            collector.memoryLimit = .forMapModel("swiss", limitBytes: limitMiB * Self.mib)
            let f = heap.footprint()
            let limit = collector.memoryLimit!
            let limitGoal = limit.rules.heapGoal(limit: limit.limitBytes,
                                                 mappedReady: f.inuseBytes + f.freeBytes + f.metadataBytes + limit.runtimeBytes,
                                                 heapFree: f.freeBytes, heapAlloc: heap.heapLiveEstimate, heapMarked: marked)
            #expect(collector.heapGoal() == min(gogcGoal, limitGoal), "limit \(limitMiB) MiB")
            #expect(collector.heapGoal() >= marked)
        }
        collector.memoryLimit = .forMapModel("swiss", limitBytes: 4096 * Self.mib)
        if gogc == nil { #expect(collector.heapGoal() > 3900 * Self.mib, "GOGC off: only the limit (less its headroom)") }
        _ = map
    }

    /// GOGC off with a limit: cycles start only as total memory nears the
    /// limit, and keep it there while the live heap fits.
    @Test func gogcOffCollectsAtTheLimit() throws {
        func run(limit: Int?) throws -> (cycles: Int, peak: Int) {
            let heap = try MHeap()
            let collector = Collector(heap: heap, gogc: nil, gcWorkers: 1)
            collector.memoryLimit = limit.map { .forMapModel("swiss", limitBytes: $0) }
            let mutator = heap.makeMutator()
            var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
            let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: 5)
            // A window of 20,000 live keys (a few MiB) churned through 800,000
            // (about 40 MiB of payloads).
            for k in 0..<800_000 as Range<UInt64> {
                map[k] = payloads.make(key: k)
                if k >= 20_000 { map.removeValue(forKey: k - 20_000) }
                collector.safePoint()
            }
            return (collector.trace.count, collector.limitState?.peakTotalBytes ?? 0)
        }
        let none = try run(limit: nil)
        #expect(none.cycles == 0, "GOGC off and no limit: no collection")
        let limit = 16 * Self.mib
        let limited = try run(limit: limit)
        #expect(limited.cycles > 3, "the limit paces collections")
        #expect(limited.peak <= limit + limit / 20, "total memory stays near the limit (peak \(limited.peak))")
        #expect(limited.peak > limit / 2, "and uses the room under it")
    }

    /// mgclimit.go's bucket: GOMAXPROCS seconds that GC time fills and
    /// mutator time drains; on when full, off at the next change.
    @Test func limiterEngagesAtItsCapacity() {
        var l = GCCPULimiter(procs: 2)
        #expect(l.capacityNs == 2_000_000_000)
        l.accumulate(mutatorNs: 100_000_000, gcNs: 1_600_000_000, numGC: 3)
        #expect(!l.enabled && l.fillNs == 1_500_000_000)
        l.accumulate(mutatorNs: 0, gcNs: 600_000_000, numGC: 4)
        #expect(l.enabled && l.fillNs == l.capacityNs)
        #expect(l.overflowNs == 100_000_000 && l.lastEnabledCycle == 5)
        l.accumulate(mutatorNs: 0, gcNs: 50, numGC: 5)
        #expect(l.enabled && l.lastEnabledCycle == 5, "stays on while GC time keeps coming")
        l.accumulate(mutatorNs: 300_000_000, gcNs: 0, numGC: 5)
        #expect(!l.enabled && l.fillNs == 1_700_000_000, "mutator time drains it and turns it off")
        l.accumulate(mutatorNs: 5_000_000_000, gcNs: 0, numGC: 5)
        #expect(l.fillNs == 0)
    }

    /// A death spiral: GOGC off and a limit under the live heap, so cycles
    /// run back to back. With cycles dear enough to fill the bucket (half a
    /// CPU-second each, one P) the limiter turns on, assists stop and the
    /// mark runs its whole window, so total memory passes the limit at
    /// least as far; a bucket too large to fill never turns on.
    @Test func limiterStopsAssistsInADeathSpiral() throws {
        func run(procs: Int) throws -> (state: MemoryLimitState, cycles: Int, limit: Int) {
            let heap = try MHeap()
            let collector = Collector(heap: heap, gogc: nil, gcWorkers: 1)
            collector.concurrentMark = .calibrated
            let limit = 1 << 20
            var model = MemoryLimit.forMapModel("swiss", limitBytes: limit)
            model.procs = procs
            model.runtimeBytes = 0
            model.mutatorNsPerOp = 1000
            model.gcCost = GoGCCost(goVersion: "test", coefficients: [5e8] + Array(repeating: 0, count: GoGCCost.featureNames.count - 1))
            collector.memoryLimit = model
            let mutator = heap.makeMutator()
            var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
            let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: 6)
            for k in 0..<16_000 as Range<UInt64> {
                map[k] = payloads.make(key: k)
                collector.safePoint()
            }
            return (collector.limitState!, collector.trace.count, limit)
        }
        let small = try run(procs: 1)
        #expect(small.state.limiter.lastEnabledCycle > 0, "the limiter turned on")
        #expect(small.state.limitedCycles > 0)
        #expect(small.state.limiterGCNs < small.state.gcNs, "assists stopped: less GC time counted than spent")
        let huge = try run(procs: 10_000)
        #expect(huge.state.limiter.lastEnabledCycle == 0 && huge.state.limitedCycles == 0)
        #expect(small.state.peakTotalBytes > small.limit && small.state.peakTotalBytes >= huge.state.peakTotalBytes)
    }

    /// With the limiter on there are no assists, and the mark lasts as long
    /// as the other P takes to do the cycle's CPU: it ends at the operation
    /// whose modelled goroutine time reaches C / (P − 1), not at the end of
    /// the operation window; with the limiter off it keeps the window.
    @Test(arguments: [true, false])
    func unassistedMarkLastsTheWorkersTime(limiterOn: Bool) throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil, gcWorkers: 1)
        collector.concurrentMark = .calibrated
        var model = MemoryLimit.forMapModel("swiss", limitBytes: 1 << 20)
        model.procs = 2
        model.runtimeBytes = 0
        model.markMutatorNsPerOp = 1000
        model.markMutatorNsPerByte = 0
        model.gcCost = GoGCCost(goVersion: "test", coefficients: [3e6] + Array(repeating: 0, count: GoGCCost.featureNames.count - 1))
        collector.memoryLimit = model
        if limiterOn {
            collector.limitState!.limiter.accumulate(mutatorNs: 0, gcNs: 2 * GCCPULimiter.capacityPerProcNs, numGC: 0)
            #expect(collector.limitState!.limiter.enabled)
        }
        let mutator = heap.makeMutator()
        var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
        let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: 7)
        var k: UInt64 = 0
        while collector.trace.isEmpty && k < 100_000 {
            map[k] = payloads.make(key: k)
            collector.safePoint()
            k += 1
        }
        let first = try #require(collector.trace.first)
        #expect(first.reason == .pacer)
        let window = (first.bytesScanned + ConcurrentMark.calibrated.rootScanBytes) / ConcurrentMark.calibrated.scannedBytesPerOp
        if limiterOn {
            #expect(first.overlapOps == 3_000, "3 ms of the other P's marking at 1 µs per operation")
        } else {
            #expect(first.overlapOps <= window && first.overlapOps != 3_000)
        }
    }

    /// A model with round coefficients: 100 ns per operation outside and
    /// inside the mark, 10 ns per byte allocated black, GOMAXPROCS 2.
    static func roundModel(assistShare: Double) -> MemoryLimit {
        var m = MemoryLimit.forMapModel("swiss", limitBytes: 64 * mib)
        m.mutatorNsPerOp = 100
        m.markMutatorNsPerOp = 100
        m.markMutatorNsPerByte = 10
        m.assistShare = assistShare
        m.procs = 2
        return m
    }

    /// The limiter's split of a cycle (mgclimit.go, updateLocked): the mark
    /// lasts the goroutine's operations plus its assists; GC time is the
    /// assists and 25% × GOMAXPROCS of that wall time; idle marking is
    /// neither side; operations before the mark are mutator time, counted
    /// apart (they drain the bucket first).
    @Test func limiterTimesSplitTheCycle() {
        let m = Self.roundModel(assistShare: 0.5)
        // 1,000 ops marking, 10,000 B black: M = 100 µs + 100 µs = 200 µs.
        // By share A = 0.5 × (1 ms − 0.5 × 200 µs) / 1.25 = 360 µs, but the
        // other P could then mark only 560 of the 640 µs left: A = (1 ms −
        // 200 µs) / 2 = 400 µs; W = 600 µs; workers 300 µs; idle marking 300.
        let t = m.limiterTimes(ops: 5_000, cycleNs: 1_000_000, markOps: 1_000, markBytes: 10_000, assisting: true)
        #expect(t.markWallNs == 600_000 && t.assistNs == 400_000)
        #expect(t.workerNs == 300_000 && t.idleMarkNs == 300_000)
        #expect(t.gcNs == 300_000 + 400_000, "GC time: the flat worker share and the assists, not idle marking")
        #expect(t.outsideMutatorNs == 400_000 && t.mutatorNs == 200_000, "4,000 ops before the mark, then the mark's own")
        // More mutator time in the mark: the share decides, not capacity.
        // M = 1 ms: A = 0.5 × (1 ms − 0.5 ms) / 1.25 = 200 µs; W = 1.2 ms.
        let slow = m.limiterTimes(ops: 10_000, cycleNs: 1_000_000, markOps: 10_000, assisting: true)
        #expect(slow.assistNs == 200_000 && slow.markWallNs == 1_200_000 && slow.outsideMutatorNs == 0)
        // The limiter on: no assists; the mark lasts until the workers
        // are done (P·W = M + C): W = 600 µs.
        let off = m.limiterTimes(ops: 5_000, cycleNs: 1_000_000, markOps: 1_000, markBytes: 10_000, assisting: false)
        #expect(off.assistNs == 0 && off.markWallNs == 600_000 && off.gcNs == 300_000 && off.mutatorNs == 200_000)
        // runtime.GC(): the mutator waits, every P marks, a quarter counts.
        let waited = m.limiterTimes(ops: 0, cycleNs: 1_000_000, markOps: 0, assisting: true)
        #expect(waited.gcNs == 250_000 && waited.mutatorNs == 0 && waited.markWallNs == 500_000)
    }

    /// Whatever the split, the Ps have the time for it: P × wall ≥ the
    /// mutator's time in the mark + the cycle's CPU.
    @Test(arguments: [0.0, 0.461, 1.0], [true, false])
    func theMarkFitsOnItsProcessors(share: Double, assisting: Bool) {
        let m = Self.roundModel(assistShare: share)
        for markOps in [0, 10, 1_000, 100_000] {
            for cycleNs in [1_000, 1_000_000, 50_000_000] as [UInt64] {
                let t = m.limiterTimes(ops: markOps + 500, cycleNs: cycleNs, markOps: markOps, assisting: assisting)
                let mark = Double(markOps) * m.markMutatorNsPerOp
                #expect(Double(t.markWallNs) * Double(m.procs) + 2 >= mark + Double(cycleNs),
                        "\(markOps) ops, \(cycleNs) ns")
                #expect(t.assistNs + t.workerNs + t.idleMarkNs <= cycleNs + 2)
            }
        }
    }

    /// Back-to-back cycles whose assists exceed the line (GC time over
    /// mutator time) fill the bucket and turn the limiter on; the same
    /// cycles' CPU spent as idle-time marking never does, however dear.
    @Test func assistsFillTheBucketIdleMarkingDoesNot() {
        func cycles(_ m: MemoryLimit, cycleNs: UInt64) -> GCCPULimiter {
            var l = GCCPULimiter(procs: m.procs)
            var assisting = true
            for n in 0..<1_000 {
                // Every operation inside a mark: collections back to back.
                let t = m.limiterTimes(ops: 10_000, cycleNs: cycleNs, markOps: 10_000, markBytes: 0, assisting: assisting)
                l.accumulate(mutatorNs: t.mutatorNs, gcNs: t.gcNs, numGC: n)
                assisting = !l.enabled
            }
            return l
        }
        // 10 ms of mutator time per cycle against 15 ms of GC CPU, which
        // the spare P can mark beside it.
        var assisted = Self.roundModel(assistShare: 1)
        assisted.markMutatorNsPerOp = 1_000
        let t = assisted.limiterTimes(ops: 10_000, cycleNs: 15_000_000, markOps: 10_000, assisting: true)
        #expect(t.gcNs > t.mutatorNs && t.idleMarkNs == 0)
        let on = cycles(assisted, cycleNs: 15_000_000)
        #expect(on.lastEnabledCycle > 0 && on.overflowNs > 0)
        var idle = assisted
        idle.assistShare = 0
        let u = idle.limiterTimes(ops: 10_000, cycleNs: 15_000_000, markOps: 10_000, assisting: true)
        #expect(u.idleMarkNs > 6_000_000 && u.gcNs < u.mutatorNs)
        let off = cycles(idle, cycleNs: 15_000_000)
        #expect(off.lastEnabledCycle == 0 && off.fillNs == 0)
        // A mutator slow enough that the mark fits beside it needs no
        // assists: the flat share alone stays under the line.
        var slow = assisted
        slow.markMutatorNsPerOp = 20_000
        #expect(slow.limiterTimes(ops: 10_000, cycleNs: 50_000_000, markOps: 10_000, assisting: true).assistNs == 0)
        #expect(cycles(slow, cycleNs: 50_000_000).lastEnabledCycle == 0)
    }

    /// gcPaceScavenger's limit goal: 95% of the limit in Go 1.27; Go 1.19's
    /// multiplies by 95, so it never has one.
    @Test func scavengerLimitGoal() throws {
        let limit = 100 * Self.mib
        #expect(MemoryLimitRules.go127.scavengerGoal(limit: limit, mappedReady: 99 * Self.mib) == Int(Double(limit) * 0.95))
        #expect(MemoryLimitRules.go127.scavengerGoal(limit: limit, mappedReady: 95 * Self.mib) == nil)
        #expect(MemoryLimitRules.go119.scavengerGoal(limit: limit, mappedReady: 10 * limit) == nil)

        // On a heap with GOGC off (so no GOGC goal) and a limit right at
        // total memory: a cycle frees garbage to free pages; Go 1.27's
        // scavenger then takes total memory to 95% of the limit, Go 1.19's
        // has no goal.
        for rules in [MemoryLimitRules.go127, .go119] {
            let heap = try MHeap()
            let collector = Collector(heap: heap, gogc: nil, gcWorkers: 1)
            let mutator = heap.makeMutator()
            var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
            let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: 7)
            for k in 0..<200_000 as Range<UInt64> { map[k] = payloads.make(key: k) }
            for k in 0..<60_000 as Range<UInt64> { map.removeValue(forKey: k) }
            var model = MemoryLimit.forMapModel("swiss", limitBytes: 1)
            model.rules = rules
            model.limitBytes = collector.totalMemoryBytes + model.runtimeBytes
            collector.memoryLimit = model
            #expect(collector.totalMemoryBytes == model.limitBytes, "nothing released at the limit itself")
            collector.collect()
            let total = collector.totalMemoryBytes
            #expect(total == model.limitBytes && heap.footprint().freeBytes > total / 10, "the garbage's pages are free")
            collector.scavengeToGoal()
            let after = collector.totalMemoryBytes
            if rules == .go127 {
                let goal = try #require(collector.scavengeGoalBytes)
                #expect(goal == Int(Double(model.limitBytes) * 0.95) - (after - heap.retainedBytes), "95% of the limit, less what is not the heap")
                #expect(after <= Int(Double(model.limitBytes) * 0.95) && after > Int(Double(model.limitBytes) * 0.95) - (64 << 10),
                        "down to 95% of the limit")
            } else {
                #expect(collector.scavengeGoalBytes == nil && after == total, "Go 1.19: no goal from the limit")
            }
            _ = map
        }
    }
}
