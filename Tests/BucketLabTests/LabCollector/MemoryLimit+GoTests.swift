import Testing
@testable import LabHeap
@testable import LabCollector

/// Ports of Go's tests of the GC CPU limiter (runtime/mgclimit_test.go) and
/// of the memory-limit heap goal its pacer tests rely on
/// (runtime/mgcpacer_test.go), onto MemoryLimit.swift.
@Suite struct MemoryLimitGoTests {
    /// Go's limiter entry points (mgclimit.go `update`, `updateLocked`,
    /// `startGCTransition`, `finishGCTransition`, `addAssistTime`) written
    /// out over the lab's bucket, GCCPULimiter, as Go's test drives them
    /// with a mock clock: a window's total time is wall time × GOMAXPROCS,
    /// its GC time the assists plus `gcBackgroundUtilization` of the total
    /// while the GC is on, the rest mutator time; a stop-the-world
    /// transition is GC time on every P.
    struct Driver {
        var limiter: GCCPULimiter
        let procs: Int64
        var lastUpdate: Int64 = 0
        var gcEnabled = false
        var assistPool: Int64 = 0
        var numGC = 0

        init(procs: Int) {
            limiter = GCCPULimiter(procs: procs)
            self.procs = Int64(procs)
        }

        mutating func addAssistTime(_ t: Int64) { assistPool += t }

        mutating func update(_ now: Int64) {
            guard now >= lastUpdate else { return }
            let total = (now - lastUpdate) * procs
            lastUpdate = now
            var gc = assistPool
            assistPool = 0
            if gcEnabled { gc += Int64(Double(total) * MemoryLimit.backgroundUtilization) }
            precondition(gc <= total, "more GC time than the window has")
            limiter.accumulate(mutatorNs: UInt64(total - gc), gcNs: UInt64(gc), numGC: numGC)
        }

        mutating func startGCTransition(enable: Bool, _ now: Int64) {
            update(now)
            gcEnabled = enable
        }

        mutating func finishGCTransition(_ now: Int64) {
            if now >= lastUpdate { limiter.accumulate(mutatorNs: 0, gcNs: UInt64((now - lastUpdate) * procs), numGC: numGC) }
            lastUpdate = now
        }
    }

    // Go: runtime/mgclimit_test.go TestGCCPULimiter (go1.19; the same in
    // Go 1.27.3)
    // Adapted: the lab's bucket (GCCPULimiter.accumulate) under the driver
    // above; needUpdate (the 10 ms update period) and resetCapacity (a
    // GOMAXPROCS change) are not modelled, so those steps are left out and
    // the reset at the end of each iteration is a drain.
    @Test func bucketFillsDrainsAndOverflowsAsGos() {
        let procs: Int64 = 14
        let ms: Int64 = 1_000_000, second: Int64 = 1_000_000_000, hour = 3600 * second
        let capacityPerProc = Int64(GCCPULimiter.capacityPerProcNs)
        let background = MemoryLimit.backgroundUtilization
        var ticks: Int64 = 0
        func advance(_ d: Int64) -> Int64 {
            ticks += d
            return ticks
        }
        func assistTime(_ d: Int64, _ frac: Double) -> Int64 { Int64(frac * Double(d) * Double(procs)) }

        var l = Driver(procs: Int(procs))
        var baseOverflow: UInt64 = 0
        for iteration in 1...2 {
            #expect(l.limiter.capacityNs == UInt64(procs * capacityPerProc), "#\(iteration) capacity")
            #expect(l.limiter.fillNs == 0, "#\(iteration) starts empty")

            // Mutator time alone never fills it.
            l.update(advance(10 * ms))
            l.update(advance(1 * second))
            l.update(advance(1 * hour))
            #expect(l.limiter.fillNs == 0)

            // Transition into a GC: the stop-the-world time counts on every P.
            l.startGCTransition(enable: true, advance(109 * ms))
            l.finishGCTransition(advance(2 * ms + 1_000))
            let fill = (2 * ms + 1_000) * procs
            #expect(l.limiter.fillNs == UInt64(fill))

            // During the GC without assists the bucket drains at
            // (1 − 2 × 25%) of the total: exactly to `procs` ns.
            let factor = 1 / (1 - 2 * background)
            l.update(advance(Int64(factor * Double(fill - procs) / Double(procs))))
            #expect(l.limiter.fillNs == UInt64(procs), "#\(iteration) drained to procs ns")

            l.update(advance(2 * procs * capacityPerProc))
            #expect(l.limiter.fillNs == 0)

            // 50% GC work: the bucket does not move.
            l.addAssistTime(assistTime(10 * ms, 0.5 - background))
            l.update(advance(10 * ms))
            #expect(l.limiter.fillNs == 0)

            // 100% GC work fills it by the window's total.
            l.addAssistTime(assistTime(ms, 1.0 - background))
            l.update(advance(ms))
            #expect(l.limiter.fillNs == UInt64(procs * ms))
            #expect(!l.limiter.enabled, "not full: not limiting")

            // Exactly full: limiting, no overflow.
            l.addAssistTime(assistTime(capacityPerProc - ms, 1.0 - background))
            l.update(advance(capacityPerProc - ms))
            #expect(l.limiter.fillNs == l.limiter.capacityNs && l.limiter.enabled)
            #expect(l.limiter.overflowNs == baseOverflow, "#\(iteration) filled exactly: no overflow")

            // A change of exactly zero keeps it on, with no overflow.
            l.addAssistTime(assistTime(second, 0.5 - background))
            l.update(advance(second))
            #expect(l.limiter.fillNs == l.limiter.capacityNs && l.limiter.enabled)
            #expect(l.limiter.overflowNs == baseOverflow)

            // Drain by half: off.
            l.addAssistTime(assistTime(capacityPerProc, 0))
            l.update(advance(capacityPerProc))
            #expect(l.limiter.fillNs == l.limiter.capacityNs / 2 && !l.limiter.enabled)

            // Overfill: on again, and the excess is overflow.
            l.addAssistTime(assistTime(capacityPerProc, 1.0 - background))
            l.update(advance(capacityPerProc))
            #expect(l.limiter.fillNs == l.limiter.capacityNs && l.limiter.enabled)
            #expect(l.limiter.overflowNs == UInt64(capacityPerProc * procs / 2) + baseOverflow)

            // The cycle ends with assists left over: they overflow too.
            l.addAssistTime(assistTime(ms, 1.0 - background))
            l.startGCTransition(enable: false, advance(ms))
            #expect(l.limiter.fillNs == l.limiter.capacityNs && l.limiter.enabled)
            #expect(l.limiter.overflowNs == UInt64((capacityPerProc / 2 + ms) * procs) + baseOverflow)

            // The stop-the-world adds to it.
            l.finishGCTransition(advance(5 * ms))
            #expect(l.limiter.fillNs == l.limiter.capacityNs && l.limiter.enabled)
            let overflow = UInt64((capacityPerProc / 2 + 6 * ms) * procs)
            #expect(l.limiter.overflowNs == overflow + baseOverflow)

            // Back to empty (Go: resetCapacity after capacity × procs of
            // mutator time, which drains it first).
            l.update(advance(capacityPerProc * procs))
            #expect(l.limiter.fillNs == 0 && !l.limiter.enabled)
            baseOverflow += overflow
        }
    }

    /// Go's lastEnabledCycle (mgclimit.go `accumulate`): set to numgc + 1
    /// when the limiter turns on, not while it stays on.
    @Test func lastEnabledCycleIsSetWhenTheLimiterTurnsOn() {
        var l = GCCPULimiter(procs: 1)
        l.accumulate(mutatorNs: 0, gcNs: 2 * GCCPULimiter.capacityPerProcNs, numGC: 6)
        #expect(l.enabled && l.lastEnabledCycle == 7)
        l.accumulate(mutatorNs: 0, gcNs: 1, numGC: 9)
        #expect(l.enabled && l.lastEnabledCycle == 7, "still on: unchanged")
        l.accumulate(mutatorNs: 1, gcNs: 0, numGC: 9)
        #expect(!l.enabled)
        l.accumulate(mutatorNs: 0, gcNs: 5, numGC: 11)
        #expect(l.enabled && l.lastEnabledCycle == 12, "on again")
    }

    /// Go 1.27's memory-limit headroom as its pacer test computes it
    /// (mgcpacer_test.go `applyMemoryLimitHeapGoalHeadroom`).
    static func go127Headroomed(_ goal: Int) -> Int {
        let headroom = max(goal / 100 * 3, 1 << 20)
        return goal < headroom || goal - headroom < headroom ? headroom : goal - headroom
    }

    // Go: runtime/mgcpacer_test.go TestGcPacer, the memory-limit scenarios
    // (SteadyMemoryLimit, SteadyMemoryLimitNoGCPercent, ExceedMemoryLimit,
    // MaintainMemoryLimit and their NoGCPercent twins; go1.19 and Go 1.27.3)
    // Adapted: only the goal arithmetic they check. Go's simulation has no
    // memory besides the heap (mappedReady, heapFree and heapAlloc stay 0),
    // so the limit's goal is 512 MiB less the headroom ("heap goal is the
    // heap limit"), and once the live heap passes that, the live heap ("heap
    // goal is not equal to live heap"); that the pacer takes the smaller
    // of it and GOGC's is MemoryLimitTests.collectorTakesTheSmallerGoal.
    // The controller, utilisation and goal-ratio checks are
    // simulations of a pacer the lab does not model.
    @Test(arguments: [MemoryLimitRules.go119, .go127])
    func memoryLimitGoalOfGosPacerScenarios(rules: MemoryLimitRules) {
        let mib = 1 << 20, limit = 512 * mib
        let limitGoal = rules == .go119 ? limit - mib : Self.go127Headroomed(limit)
        if rules == .go127 { #expect(limitGoal == limit - limit / 100 * 3) }
        func goal(marked: Int) -> Int {
            rules.heapGoal(limit: limit, mappedReady: 0, heapFree: 0, heapAlloc: 0, heapMarked: marked)
        }
        for marked in [0, 1 << 18, 64 * mib, 200 * mib, limitGoal] {
            #expect(goal(marked: marked) == limitGoal, "\(rules.goVersion): the heap limit, marked \(marked)")
        }
        for marked in [limitGoal + 1, limit, 700 * mib] {
            #expect(goal(marked: marked) == marked, "\(rules.goVersion): exceeded, the live heap")
        }
    }

    // Go: runtime/gc_test.go TestMemoryLimit and TestMemoryLimitNoGCPercent
    // (testprog gcMemoryLimit; go1.19, the same in Go 1.27.3)
    // Adapted: a 64 MiB limit instead of 256 MiB, Go's bound (limit +
    // 16 MiB) scaled with it to limit + 4 MiB; each live target (a tenth of
    // the limit, up to seven tenths, in 8,000-byte objects) is built once
    // instead of rebuilt for 200 ms; total memory is the lab's mappedReady
    // (Go's total − released), its high-water mark over every safe point
    // rather than samples; one goroutine, each cycle whole at a safe point;
    // GOGC 100 under Go 1.19's limit rules, GOGC off under Go 1.27's.
    @Test(arguments: [("classic", 100), ("swiss", nil)] as [(String, Int?)])
    func memoryLimitIsMaintainedAsTheLiveHeapGrows(model: String, gogc: Int?) throws {
        let limit = 64 << 20, bound = limit + (16 << 20) / 4
        let unit = 8000
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: gogc, gcWorkers: 1)
        collector.memoryLimit = .forMapModel(model, limitBytes: limit)
        let mutator = heap.makeMutator()
        let unitType = heap.registerType(name: "unit", size: unit)
        let slot = heap.registerType(name: "sinkSlot", size: 8, pointerWords: [0])
        var sink: UnsafeMutableRawPointer?
        for target in stride(from: limit / 10, to: limit / 10 * 8, by: limit / 10) {
            let n = target / unit
            if let old = sink { heap.roots.unpin(old) }
            let s = mutator.allocate(slot, count: n)
            heap.roots.pin(s)
            sink = s
            for i in 0..<n {
                s.storeBytes(of: mutator.allocate(unitType), toByteOffset: i * 8, as: UnsafeMutableRawPointer.self)
                collector.safePoint()
            }
        }
        let state = try #require(collector.limitState)
        #expect(state.peakTotalBytes <= bound, "\(model), GOGC \(gogc.map(String.init) ?? "off"): peak \(state.peakTotalBytes)")
        #expect(state.peakTotalBytes > limit / 10 * 7, "the live heap was there")
        #expect(collector.trace.count > 2)
    }
}
