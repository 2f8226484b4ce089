import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

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
        // Where the model acts on the setting (a sync.Map's payloads are
        // not in slots; the hash-trie unlinks what it deletes).
        let fit = model.fit(strategy.policy).effective
        if strategy.name == "compact" && fit.relocation != .off {
            #expect(one[1].objectsRelocated > 0, "the scene exercises relocation")
        }
        if strategy.name == "stale" && fit.slotClearing == .none { #expect(one[0].leakedBytes > 0, "and the leak audit") }
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
