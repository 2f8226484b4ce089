import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct CollectorTests {
    /// Thousands of cycles under random inserts, updates, deletes, clears,
    /// grows, pins and iterators on one map per preset: after every cycle
    /// every payload still in a map or pinned is intact and allocated, and the
    /// heap's books add up (the short form of `bucketlab stress`).
    /// Pacer cycles overlap the mutator (Collector+ConcurrentMark.swift)
    /// unless `concurrent` is false.
    @Test(arguments: [(SweepMode.eager, true), (.lazy, true), (.eager, false)])
    func neverFreesAReachableObject(mode: SweepMode, concurrent: Bool) throws {
        let report = try StressTest.run(cycles: 1500, seed: mode == .eager ? 1 : 2, sweepMode: mode, concurrentMark: concurrent)
        #expect(report.violations == [])
        #expect(report.cycles >= 1500 && report.pacerCycles > 100)
        #expect(report.payloadsVerified > 100_000)
        #expect(report.relocated > 0, "compact moved payloads under stress")
    }

    /// Without iterators (so old buckets are cleared as they are evacuated),
    /// with Go's clearing, every payload dropped from a map is freed by the
    /// next cycle, and the heap holds exactly what the cycle marked.
    @Test func everyUnreachableObjectIsFreedByTheNextCycle() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
        let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: 3)
        var rng = SplitMix64(seed: 3)
        var live: [UInt64: UnsafeMutableRawPointer] = [:]
        for round in 0..<300 {
            var dropped: [UnsafeMutableRawPointer] = []
            for _ in 0..<300 {
                let key = rng.next() % 2000
                if rng.next() % 3 == 0 {
                    if let old = live.removeValue(forKey: key) { dropped.append(old) }
                    map.removeValue(forKey: key)
                } else {
                    if let old = live[key] { dropped.append(old) }
                    let p = payloads.make(key: key)
                    map[key] = p
                    live[key] = p
                }
            }
            if round % 37 == 0 {
                dropped += live.values
                live = [:]
                map.removeAll()
            }
            let stats = collector.collect()
            for p in dropped where heap.findObject(p)?.isAllocated == true {
                Issue.record("round \(round): a dropped payload survived")
                break
            }
            for (k, p) in live where !payloads.isIntact(p, key: k) { Issue.record("round \(round): live payload lost") }
            let census = heap.objectCensus()
            #expect(census.objects == stats.objectsMarked)
            #expect(stats.leakedBytes == 0)
        }
    }

    @Test func aPinIntoOneBucketKeepsTheWholeArrayAfterTheMapIsDropped() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        var array: UnsafeMutableRawPointer!
        var arrayBytes = 0
        var pinAddress: UnsafeMutableRawPointer!
        do {
            let map = UInt64Map(type: .uint64ToUInt64(heap: heap), mutator: mutator, seed: 1)
            for k in 0..<10_000 as Range<UInt64> { map[k] = k }
            collector.collect()  // let the grow's old arrays go
            array = map.raw.h.pointee.buckets!
            arrayBytes = map.raw.shape.bucketArrayBytes
            // The seed's leaked interior pointer: one value inside bucket 3.
            pinAddress = array + 3 * 144 + map.raw.valuesOffset + 16
            heap.roots.pin(pinAddress)
        }
        #expect(collector.rootMaps.isEmpty, "the map is gone")
        let pinned = collector.collect()
        let object = try #require(heap.findObject(array))
        #expect(object.isAllocated && object.size == arrayBytes, "the whole array stays")
        #expect(pinned.heapAfterBytes == arrayBytes, "and nothing else")
        #expect(heap.objectCensus().objects == 1)
        heap.roots.unpin(pinAddress)
        let freed = collector.collect()
        #expect(freed.bytesFreed >= arrayBytes)
        #expect(heap.findObject(array)?.isAllocated != true)
        #expect(heap.objectCensus().objectBytes == 0)
    }

    @Test func anIteratorHeldAcrossAGrowKeepsTheOldArray() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        let map = UInt64Map(type: .uint64ToUInt64(heap: heap), mutator: mutator, seed: 2)
        for k in 0..<5000 as Range<UInt64> { map[k] = k }
        collector.collect()
        let startArray = map.raw.h.pointee.buckets!
        let it = map.makeIterator()
        _ = it.next()
        for k in 5000..<40_000 as Range<UInt64> { map[k] = k }  // grows, and finishes growing
        #expect(!map.raw.shape.isGrowing && map.raw.h.pointee.buckets != startArray)
        collector.collect()
        #expect(heap.findObject(startArray)?.isAllocated == true, "the iterator's array is a root")
        it.close()
        let after = collector.collect()
        #expect(heap.findObject(startArray)?.isAllocated != true, "closed: freed by the next cycle")
        #expect(after.objectsFreed >= 1)
        #expect(map.count == 40_000 && map[123] == 123)
    }

    @Test func droppingEveryMapBringsTheHeapBackToItsBaseline() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: 100)
        let mutator = heap.makeMutator()
        var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
        let type = MapType.uint64ToPointer(heap: heap)
        let baseline = heap.stats()
        do {
            let maps = (0..<4).map { PayloadMap(type: type, mutator: mutator, seed: UInt64($0)) }
            for (i, m) in maps.enumerated() {
                for k in 0..<50_000 as Range<UInt64> {
                    m[k] = payloads.make(key: k)
                    collector.safePoint()
                }
                if i == 0 { for k in 0..<25_000 as Range<UInt64> { m.removeValue(forKey: k) } }
            }
        }
        let full = heap.stats()
        #expect(full.inuseBytes > 8 << 20)
        collector.collect()
        heap.scavenge()
        let end = heap.stats()
        #expect(end.inuseBytes == baseline.inuseBytes && end.liveObjects == 0)
        #expect(end.residentBytes == end.inuseBytes, "every free page released")
        #expect(end.sysBytes == full.sysBytes && end.releasedBytes == end.idleBytes)
    }

    /// Go's trigger with an empty runway (mgcpacer.go, trigger()): 61/64 of
    /// the way from the marked heap to the goal, or goal − 4 MiB when that
    /// is later.
    @Test func theNextCycleStartsAtGosTrigger() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: 100)
        let mib = 1 << 20
        #expect(collector.trigger(forMarked: 0) == (4 * mib) / 64 * 61)  // 3.81 MiB, as Go's first cycle
        #expect(collector.trigger(forMarked: 10 * mib) == 10 * mib + 10 * mib / 64 * 61)
        // 0.05 of a 90 MiB runway is more than 4 MiB: goal − 4 MiB.
        #expect(collector.trigger(forMarked: 90 * mib) == 176 * mib)
        #expect(collector.trigger(forMarked: 60 * mib) == 60 * mib + 60 * mib / 64 * 61)
        collector.gogc = 50
        #expect(collector.trigger(forMarked: 8 * mib) == 8 * mib + 4 * mib / 64 * 61)
        collector.gogc = nil
        #expect(collector.trigger(forMarked: 8 * mib) == .max)
    }

    @Test func gogc100PacesAMillionPayloadFillInAFewCycles() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: 100)
        let mutator = heap.makeMutator()
        var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
        let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: 1)
        for k in 0..<1_000_000 as Range<UInt64> {
            map[k] = payloads.make(key: k)
            collector.safePoint()
        }
        let cycles = collector.trace.count
        #expect(cycles >= 3 && cycles <= 40, "\(cycles) automatic cycles")
        #expect(collector.trace.allSatisfy { $0.reason == .pacer })
        // Each goal is the marked heap doubled (or the 4 MiB floor), and the
        // next cycle starts at Go's trigger for it.
        for c in collector.trace {
            #expect(c.nextGoalBytes == max(2 * c.heapAfterBytes, 4 << 20))
            #expect(c.nextTriggerBytes == collector.trigger(forMarked: c.heapAfterBytes))
        }
        // GOGC off: no automatic cycle at all.
        collector.gogc = nil
        for k in 0..<200_000 as Range<UInt64> { map[k] = payloads.make(key: k); collector.safePoint() }
        #expect(collector.trace.count == cycles)
    }

    @Test func staleSlotsLeakWhereGoClearsThem() throws {
        func leaked(_ clearing: SlotClearing) throws -> (CycleStats, Int) {
            let heap = try MHeap()
            let collector = Collector(heap: heap, gogc: nil)
            let mutator = heap.makeMutator()
            var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
            let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator,
                                 policy: ClearingPolicy(slotClearing: clearing), seed: 5)
            for k in 0..<10_000 as Range<UInt64> { map[k] = payloads.make(key: k) }
            collector.collect()
            for k in 0..<10_000 as Range<UInt64> where k % 10 != 0 { map.removeValue(forKey: k) }
            return (collector.collect(), payloads.type.size)
        }
        let (go, _) = try leaked(.go)
        #expect(go.leakedBytes == 0 && go.leakedObjects == 0)
        let (stale, size) = try leaked(.none)
        #expect(stale.leakedObjects == 9000, "every deleted payload stays reachable through its stale slot")
        #expect(stale.leakedBytes == 9000 * size)
        #expect(stale.heapAfterBytes - go.heapAfterBytes == 9000 * size)
        let (pointers, _) = try leaked(.pointers)
        #expect(pointers.leakedBytes == 0)
    }

    @Test func payloadsCanLinkToPayloads() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        let node = heap.registerType(name: "node", size: 32, pointerWords: [1])
        // A 1000-long chain, rooted by one pin at its head.
        var head: UnsafeMutableRawPointer? = nil
        for i in 0..<1000 {
            let n = mutator.allocate(node)
            n.storeBytes(of: UInt64(i), as: UInt64.self)
            n.storeBytes(of: head, toByteOffset: 8, as: UnsafeMutableRawPointer?.self)
            head = n
        }
        let blob = heap.registerType(name: "garbage", size: 32)
        for _ in 0..<500 { _ = mutator.allocate(blob) }
        heap.roots.pin(head!)
        let stats = collector.collect()
        #expect(stats.objectsMarked == 1000 && stats.objectsFreed == 500)
        var n = head, count = 0
        while let cur = n { count += 1; n = cur.load(fromByteOffset: 8, as: UnsafeMutableRawPointer?.self) }
        #expect(count == 1000)
    }

    @Test func lazySweepDefersSmallSpansUntilRefillOrTheNextMark() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: 100, sweepMode: .lazy)
        let mutator = heap.makeMutator()
        let blob = heap.registerType(name: "blob", size: 64)
        for _ in 0..<200_000 { _ = mutator.allocate(blob) }
        // Force a pacer cycle: nothing is rooted, everything is garbage.
        heap.resetPacing(liveBytes: 1 << 40, triggerBytes: 0)
        let cycle = try #require(collector.safePoint())
        #expect(cycle.reason == .pacer && cycle.objectsMarked == 0)
        #expect(heap.hasUnsweptSpans, "small spans wait to be swept")
        #expect(heap.objectCensus().objects == 200_000, "nothing freed yet")
        _ = mutator.allocate(blob)  // a refill sweeps spans on demand
        #expect(heap.objectCensus().objects < 200_000)
        let explicit = collector.collect()
        #expect(!heap.hasUnsweptSpans)
        #expect(explicit.objectsFreed > 0 && heap.objectCensus().objects == 0)
        #expect(heap.invariantViolations().isEmpty)
    }
}

/// Go's noscan buckets: a map whose keys and values hold no pointers costs
/// the collector its header and overflow lists, not its buckets; its
/// overflow buckets live through `mapextra`'s lists instead.
@Suite struct PointerFreeMapTests {
    @Test func aMillionKeyWordMapIsMarkedWithoutScanningItsBuckets() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        let map = UInt64Map(type: .uint64ToUInt64(heap: heap), mutator: mutator, seed: 1)
        var rng = SplitMix64(seed: 1)
        var keys: [UInt64] = []
        for _ in 0..<1_000_000 {
            let k = rng.next()
            keys.append(k)
            map[k] = k ^ 0xABCD
        }
        collector.collect()  // the grows' old arrays and old list arrays go
        let memory = map.raw.memory
        let before = heap.objectCensus()
        let cycle = collector.collect()
        #expect(memory.overflowBucketCount > 1000, "a million keys chain overflow buckets")
        #expect(Double(cycle.bytesScanned) < 0.01 * Double(memory.bucketBytes),
                "scanned \(cycle.bytesScanned) of \(memory.bucketBytes) bucket bytes")
        #expect(cycle.bytesFreed == 0 && heap.objectCensus().objectBytes == before.objectBytes, "everything kept")
        #expect(map.raw.invariantViolations() == [])
        for k in keys where map[k] != k ^ 0xABCD { Issue.record("key \(k) lost"); break }
    }

    @Test(arguments: ["go", "reclaim", "shrink", "compact"])
    func overflowBucketsSurviveCollectionsUnderChurn(strategy: String) throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        let map = UInt64Map(type: .uint64ToUInt64(heap: heap), mutator: mutator,
                            policy: try Strategy(spec: strategy).policy, seed: 9)
        var reference: [UInt64: UInt64] = [:]
        var rng = SplitMix64(seed: 9)
        for round in 0..<60 {
            for _ in 0..<2000 {
                let k = rng.next() % 5000
                if rng.next() % 3 == 0 {
                    #expect(map.removeValue(forKey: k) == (reference.removeValue(forKey: k) != nil))
                } else {
                    map[k] = k &+ UInt64(round)
                    reference[k] = k &+ UInt64(round)
                }
            }
            if round % 17 == 16 {
                map.removeAll()
                reference.removeAll()
            }
            collector.collect()
            // Freed buckets would be reused by this garbage.
            let garbage = UInt64Map(type: .uint64ToUInt64(heap: heap), mutator: mutator, seed: UInt64(round))
            for k in 0..<3000 as Range<UInt64> { garbage[k] = ~k }
            #expect(map.raw.invariantViolations() == [], "round \(round)")
            #expect(map.count == reference.count)
            for (k, v) in reference where map[k] != v { Issue.record("round \(round): key \(k) lost"); break }
        }
    }
}

/// The background scavenger (Go 1.19's): after each collection it has a goal
/// of about 110% of the heap in use at marking, and safe points release free
/// pages down to it; it never releases a page in use.
@Suite struct ScavengerTests {
    @Test func releasesDownToItsGoalAndNeverAPageInUse() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: 100)
        let mutator = heap.makeMutator()
        var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
        let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: 4)
        for k in 0..<300_000 as Range<UInt64> {
            map[k] = payloads.make(key: k)
            collector.safePoint()
        }
        // Drop the payloads of most keys (whole spans of them, as they were
        // allocated in key order); the collection frees their spans, whose
        // pages stay resident.
        for k in 0..<270_000 as Range<UInt64> { map.removeValue(forKey: k) }
        let cycle = collector.collect()
        let goal = try #require(collector.scavengeGoalBytes)
        #expect(cycle.scavengeGoalBytes == goal)
        // Go's gcPaceScavenger: in use at marking × (new goal / last goal),
        // plus 10%, rounded up to a page.
        let lastGoal = collector.trace[collector.trace.count - 2].nextGoalBytes
        var expected = Int(Double(cycle.inuseBeforeBytes) * (Double(cycle.nextGoalBytes) / Double(lastGoal)))
        expected += expected / 10
        #expect(goal == (expected + pageSize - 1) / pageSize * pageSize)
        let before = heap.stats()
        let floor = max(goal, before.inuseBytes)
        #expect(before.residentBytes > floor + (1 << 20), "there is something to release")
        // Safe points do the work, a unit at a time, within the CPU share.
        let start = monotonicNanos()
        while heap.retainedBytes > floor && monotonicNanos() - start < 10_000_000_000 {
            collector.safePoint()
        }
        let after = heap.stats()
        #expect(after.residentBytes <= floor + (64 << 10), "released down to the goal (or to what is in use)")
        #expect(after.residentBytes >= after.inuseBytes && after.inuseBytes == before.inuseBytes)
        #expect(collector.scavengedBytesTotal >= before.residentBytes - after.residentBytes)
        for k in 270_000..<300_000 {
            guard let p = map[UInt64(k)] ?? nil, payloads.isIntact(p, key: UInt64(k)) else {
                Issue.record("payload \(k) damaged by a release")
                break
            }
        }
        // FreeOSMemory: a collection, then every free page.
        collector.freeOSMemory()
        let freed = heap.stats()
        #expect(freed.residentBytes == freed.inuseBytes)
        #expect(heap.invariantViolations().isEmpty)
    }

    @Test func gogcOffSetsNoGoal() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        collector.collect()
        collector.collect()
        #expect(collector.scavengeGoalBytes == nil)
        #expect(collector.scavengeToGoal() == 0)
    }
}

/// The parallel collector (MarkWorkers.swift): what it marks does not depend
/// on how many threads mark, and mutators on several threads can share a heap
/// with it (run under ThreadSanitizer by scripts/sanitize).
@Suite struct ParallelMarkTests {
    /// What one cycle found on a scene with every kind of root: live and
    /// deleted slots, an iterator across a grow, an interior pin, a dropped
    /// map; then, the iterator closed and more keys deleted, relocation.
    struct Found: Equatable {
        var objectsMarked = 0, bytesMarked = 0, bytesScanned = 0
        var leakedObjects = 0, leakedBytes = 0, objectsFreed = 0, bytesFreed = 0
        var objectsRelocated = 0, bytesRelocated = 0
        var intactEntries = 0
    }

    static let keys: UInt64 = 24_000

    static func scene(model: any MapModel.Type, strategy: Strategy, gcWorkers: Int) throws -> [Found] {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil, gcWorkers: gcWorkers)
        let mutator = heap.makeMutator()
        let payload = heap.registerType(name: "payload", size: 48)
        let type = MapType.uint64ToPointer(heap: heap)
        let map = model.init(type: type, mutator: mutator, policy: strategy.policy, seed: 7, hint: 0)
        func put(_ k: UInt64) {
            let p = mutator.allocate(payload)
            p.storeBytes(of: k, as: UInt64.self)
            map.updateValue(UInt64(UInt(bitPattern: p)), forKey: k)
        }
        // Big enough for bucket arrays of several oblets (128 KiB).
        for k in 0..<Self.keys / 2 { put(k) }
        let iteration = map.makeIteration()
        for _ in 0..<10 { _ = iteration.nextEntry() }
        for k in Self.keys / 2..<Self.keys { put(k) }
        for k in 0..<Self.keys where k % 3 != 0 { map.removeValue(forKey: k) }
        let interior = map.interiorAddress
        if let interior { heap.roots.pin(interior) }
        do {
            let dropped = model.init(type: type, mutator: mutator, policy: strategy.policy, seed: 8, hint: 0)
            for k in 0..<5_000 as Range<UInt64> { dropped.updateValue(k, forKey: k) }
        }
        var found: [Found] = []
        func collect() {
            let stats = collector.collect()
            var f = Found(
                objectsMarked: stats.objectsMarked, bytesMarked: stats.heapAfterBytes, bytesScanned: stats.bytesScanned,
                leakedObjects: stats.leakedObjects, leakedBytes: stats.leakedBytes, objectsFreed: stats.objectsFreed,
                bytesFreed: stats.bytesFreed, objectsRelocated: stats.objectsRelocated, bytesRelocated: stats.bytesRelocated)
            map.forEachEntry { k, v in
                let p = UnsafeRawPointer(bitPattern: UInt(v))!
                if heap.findObject(p)?.isAllocated == true && p.load(as: UInt64.self) == k { f.intactEntries += 1 }
            }
            found.append(f)
        }
        collect()
        // Then, the iterator closed and the pin gone (the bucket array it held
        // still points at payloads from its evacuated slots), sparse enough
        // for compact to move payloads.
        iteration.close()
        if let interior { heap.roots.unpin(interior) }
        for k in 0..<Self.keys where k % 12 == 3 { map.removeValue(forKey: k) }
        collect()
        return found
    }

    /// Same objects and bytes marked, the same leak audit, the same
    /// relocation, for 1, 2 and 4 workers, on every preset of both models.
    @Test(arguments: MapModels.names, Strategy.presets.map(\.name))
    func theMarkedSetDoesNotDependOnTheWorkerCount(model: String, strategy: String) throws {
        let model = try #require(MapModels.named(model))
        let strategy = try #require(Strategy.presets.first { $0.name == strategy })
        let one = try Self.scene(model: model, strategy: strategy, gcWorkers: 1)
        #expect(one.map(\.intactEntries) == [Int(Self.keys / 3), Int(Self.keys / 4)])
        #expect(one[0].objectsFreed > 0)
        if strategy.name == "compact" { #expect(one[1].objectsRelocated > 0, "the scene exercises relocation") }
        if strategy.name == "stale" { #expect(one[0].leakedBytes > 0, "and the leak audit") }
        for workers in [2, 4] {
            #expect(try Self.scene(model: model, strategy: strategy, gcWorkers: workers) == one, "\(workers) workers")
        }
    }

    /// Two mutators on two threads fill and churn maps of their own between
    /// cycles; each cycle marks with several workers. Every payload a map
    /// holds stays allocated and intact. With `blackRounds`, every round
    /// after the first runs while a cycle's mark is open, so both threads
    /// allocate black (Collector+ConcurrentMark.swift); the next collection
    /// finishes that cycle first.
    @Test(arguments: [(2, false), (3, false), (2, true)])
    func twoMutatorsBetweenParallelCycles(gcWorkers: Int, blackRounds: Bool) throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil, gcWorkers: gcWorkers)
        let payload = heap.registerType(name: "payload", size: 48)
        let type = MapType.uint64ToPointer(heap: heap)
        final class Side: @unchecked Sendable {
            let mutator: Mutator
            let map: PayloadMap
            var rng: SplitMix64
            init(heap: MHeap, type: MapType, seed: UInt64) {
                mutator = heap.makeMutator()
                map = PayloadMap(type: type, mutator: mutator, seed: seed)
                rng = SplitMix64(seed: seed)
            }
        }
        let sides = [Side(heap: heap, type: type, seed: 1), Side(heap: heap, type: type, seed: 2)]
        for round in 0..<25 {
            runConcurrently(2) { i in
                let side = sides[i]
                for _ in 0..<2_000 {
                    let k = side.rng.next() % 5_000
                    if side.rng.next() % 4 == 0 {
                        _ = side.map.removeValue(forKey: k)
                    } else {
                        let p = side.mutator.allocate(payload)
                        p.storeBytes(of: k, as: UInt64.self)
                        side.map[k] = p
                    }
                }
                side.mutator.releaseCachedSpans()
            }
            let stats = collector.collect()
            #expect(stats.objectsMarked == heap.objectCensus().objects, "round \(round)")
            if blackRounds && round > 0 {
                let finished = collector.trace[collector.trace.count - 2]
                #expect(finished.reason == .pacer && finished.allocatedBlackBytes > 0, "round \(round)")
            }
            for side in sides {
                side.map.forEach { k, p in
                    guard let p else {
                        Issue.record("round \(round): no payload for \(k)")
                        return
                    }
                    if heap.findObject(p)?.isAllocated != true || p.load(as: UInt64.self) != k {
                        Issue.record("round \(round): payload of \(k) lost")
                    }
                }
            }
            if blackRounds { #expect(collector.openConcurrentCycle(.calibrated) == nil) }
        }
        collector.collect()
        #expect(heap.invariantViolations() == [])
    }
}

@Suite struct RelocationTests {
    /// Payloads are allocated in key order, so each key range empties whole
    /// spans. `compact` leaves spans below its threshold alone while they
    /// hold under 5% of the heap's spans (Collector.wastePercent), and moves
    /// their survivors once they hold more.
    @Test func relocationWaitsUntilSparseSpansHoldFivePercentOfTheHeap() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
        let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator,
                             policy: try Strategy(spec: "compact").policy, seed: 3)
        let keys: UInt64 = 200_000
        for k in 0..<keys { map[k] = payloads.make(key: k) }
        #expect(collector.collect().objectsRelocated == 0, "full spans: nothing to move")

        func sparsify(_ range: Range<UInt64>) -> (moved: Int, share: Double) {
            for k in range where k % 10 != 0 { map.removeValue(forKey: k) }
            var spans = 0, sparse = 0
            let cycle = collector.collect()
            heap.forEachInUseSpan { span in
                spans += span.bytes
                if !span.spanClass.isLarge && span.allocCount * 4 < span.nelems { sparse += span.bytes }
            }
            for k in range where k % 10 == 0 {
                guard let p = map[k] ?? nil, payloads.isIntact(p, key: k) else {
                    Issue.record("payload \(k) lost")
                    break
                }
            }
            return (cycle.objectsRelocated, Double(sparse) / Double(spans))
        }
        // About 20 spans of payloads, 1% of the heap: kept as they are.
        let few = sparsify(0..<3_400)
        #expect(few.moved == 0)
        #expect(few.share > 0 && few.share < 0.05, "\(few)")
        // About 350 more: their 6,340 survivors and the earlier ones move
        // (and the untouched keys of a span the range ends in, when it
        // ends up sparse: at most 170 of 48 bytes), and no sparse span is
        // left.
        let many = sparsify(3_400..<63_400)
        #expect(many.moved >= 6_000 && many.moved <= 6_340 + 170, "\(many)")
        #expect(many.share < 0.01, "\(many)")
        #expect(heap.invariantViolations().isEmpty)
    }
}
