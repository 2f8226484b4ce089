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
    @Test(arguments: [(SweepMode.eager, true, "classic"), (.lazy, true, "classic"), (.eager, false, "classic"),
                      (.eager, true, "swiss"), (.lazy, true, "swiss"),
                      (.eager, true, "syncmap119"), (.eager, true, "synctrie")])
    func neverFreesAReachableObject(mode: SweepMode, concurrent: Bool, map: String) throws {
        let report = try StressTest.run(cycles: 1500, seed: mode == .eager ? 1 : 2, sweepMode: mode,
                                        model: MapModels.named(map)!, concurrentMark: concurrent)
        #expect(report.violations == [])
        #expect(report.cycles >= 1500 && report.pacerCycles > 100)
        #expect(report.payloadsVerified > 100_000)
        // The sync.Map models keep values behind entries that compact does
        // not move (`bucketlab list`); the two Go maps relocate.
        if MapModels.isSyncMap(map) {
            #expect(report.relocated == 0, "compact moves nothing behind a sync.Map's entries")
        } else {
            #expect(report.relocated > 0, "compact moved payloads under stress")
        }
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
