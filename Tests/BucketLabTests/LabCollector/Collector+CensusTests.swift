import Foundation
import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

/// The census charges every live object to the kind of root that keeps it,
/// accounts for the heap in use to the byte and leaves the heap as it was.
@Suite struct CensusTests {
    struct Scene {
        let heap: MHeap
        let collector: Collector
        let map: any MapModel
        let iteration: any MapIteration
        let pinnedArrayBytes: Int
        let pin: UnsafeMutableRawPointer
        let stats: CycleStats
    }

    /// A payload map with deleted slots (stale keeps their payloads), an
    /// iterator held across its grows, and a pin into a dropped word map.
    static func scene(model: any MapModel.Type, strategy: String) throws -> Scene {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil, gcWorkers: 2)
        let mutator = heap.makeMutator()
        let payload = heap.registerType(name: "payload", size: 48)
        let policy = try #require(Strategy.presets.first { $0.name == strategy }).policy
        let map = model.init(type: .uint64ToPointer(heap: heap), mutator: mutator, policy: policy, seed: 4, hint: 0)
        func put(_ k: UInt64) {
            let p = mutator.allocate(payload)
            p.storeBytes(of: k, as: UInt64.self)
            map.updateValue(UInt64(UInt(bitPattern: p)), forKey: k)
        }
        for k in 0..<3_000 as Range<UInt64> { put(k) }
        collector.collect()
        let iteration = map.makeIteration()
        _ = iteration.nextEntry()
        for k in 3_000..<30_000 as Range<UInt64> { put(k) }
        for k in 0..<30_000 as Range<UInt64> where k % 4 != 0 { map.removeValue(forKey: k) }
        let pin: UnsafeMutableRawPointer
        do {
            let dropped = model.init(type: .uint64ToUInt64(heap: heap), mutator: mutator, policy: policy, seed: 5, hint: 0)
            for k in 0..<2_000 as Range<UInt64> { dropped.updateValue(k, forKey: k) }
            collector.collect()
            pin = try #require(dropped.interiorAddress)
            heap.roots.pin(pin)
        }
        let stats = collector.collect()
        let pinnedArrayBytes = try #require(heap.findObject(pin)).size
        return Scene(heap: heap, collector: collector, map: map, iteration: iteration,
                     pinnedArrayBytes: pinnedArrayBytes, pin: pin, stats: stats)
    }

    @Test(arguments: MapModels.names, ["go", "stale"])
    func everyLiveByteIsChargedOnce(model: String, strategy: String) throws {
        let s = try Self.scene(model: try #require(MapModels.named(model)), strategy: strategy)
        let census = s.collector.census()
        let live = census.live.values.reduce(0) { $0 + $1.bytes }
        let objects = census.live.values.reduce(0) { $0 + $1.objects }
        #expect(census.unreachedBytes == 0, "right after a collection every object is reachable")
        #expect(live + census.freeSlotBytes == s.heap.stats().inuseBytes, "objects and free slots make the heap in use")
        #expect(live == s.stats.heapAfterBytes && objects == s.stats.objectsMarked, "what the collection marked")
        #expect(census.leakedBytes == s.stats.leakedBytes, "the collection's leak audit")
        let type = try #require(MapModels.named(model))
        if strategy == "stale" && type.fit(Strategy.preset("stale")!.policy).effective.slotClearing == .none {
            #expect(census.leakedBytes > 0, "stale slots keep payloads")
        }
        #expect(census.bytes(retainedBy: .map) + census.bytes(retainedBy: .iterator) + census.bytes(retainedBy: .pin)
                + census.leakedBytes == live)
        // A noscan word map's storage keeps nothing else: the pin keeps
        // exactly the object it points into. (A sync.Map's storage is a
        // map of entries, or a trie node: it keeps what they reach.)
        if MapModels.defaultNames.contains(model) {
            #expect(census.bytes(retainedBy: .pin) == s.pinnedArrayBytes)
            let pinned = census.live.filter { $0.key.retainedBy == .pin }
            #expect(pinned.count == 1 && pinned.keys.first?.isCurrentStorage == false, "a dropped map's array")
        }

        // The census changes nothing: a second one agrees, a collection after
        // it frees nothing and marks the same.
        let again = s.collector.census()
        #expect(again.live.mapValues { [$0.objects, $0.bytes] } == census.live.mapValues { [$0.objects, $0.bytes] })
        let next = s.collector.collect()
        #expect(next.objectsFreed == 0 && next.heapAfterBytes == s.stats.heapAfterBytes)
        s.iteration.close()
        s.heap.roots.unpin(s.pin)
        _ = s.map
    }

    /// Go 1.19's iterator keeps the array it started on after the map has
    /// grown past it: the census charges that array to the iterator.
    @Test func aClassicIteratorKeepsTheOldArray() throws {
        let s = try Self.scene(model: BucketMap.self, strategy: "go")
        let census = s.collector.census()
        let held = census.live.filter { $0.key.retainedBy == .iterator && !$0.key.isCurrentStorage }
        #expect(census.bytes(retainedBy: .iterator) > 0 && !held.isEmpty)
        s.iteration.close()
        s.collector.collect()
        #expect(s.collector.census().bytes(retainedBy: .iterator) == 0, "closed, it keeps nothing")
        s.heap.roots.unpin(s.pin)
    }

    /// Allocation counts per site add up to the heap's own totals, and no
    /// site has more live objects than it allocated.
    @Test(arguments: MapModels.names)
    func allocationsAddUpToTheHeapsTotals(model: String) throws {
        let s = try Self.scene(model: try #require(MapModels.named(model)), strategy: "compact")
        let census = s.collector.census()
        let st = s.heap.stats()
        #expect(census.allocations.values.reduce(0, +) == st.allocatedObjectsTotal)
        #expect(census.allocations.reduce(0) { $0 + $1.value * $1.key.slotBytes } == st.allocatedBytesTotal)
        var live: [AllocationSite: Int] = [:]
        for (key, value) in census.live { live[key.site, default: 0] += value.objects }
        for (site, n) in live { #expect(n <= census.allocations[site, default: 0], "\(site)") }
        s.iteration.close()
        s.heap.roots.unpin(s.pin)
    }

    /// The profile, decoded: Go's four sample types, in-use totals equal to
    /// the heap in use, labels on every live sample, the pinned array's frame.
    @Test(arguments: MapModels.names)
    func theProfileAccountsForTheHeapInUse(model: String) throws {
        let s = try Self.scene(model: try #require(MapModels.named(model)), strategy: "stale")
        let census = s.collector.census()
        let bytes = HeapProfile.encode(census, types: s.heap.typeDescriptors, workload: "test", comments: ["c"], timeNanos: 1)
        let profile = try DecodedProfile(bytes)
        #expect(profile.sampleTypes == ["alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"])
        #expect(profile.defaultSampleType == "inuse_space")
        #expect(profile.samples.reduce(0) { $0 + $1.values[3] } == Int64(s.heap.stats().inuseBytes))
        #expect(profile.samples.reduce(0) { $0 + $1.values[0] } == Int64(s.heap.stats().allocatedObjectsTotal))
        let live = profile.samples.filter { $0.values[2] > 0 }
        #expect(live.allSatisfy { $0.labels["retained_by"] != nil && $0.labels["leaked"] != nil })
        // The map models' storage (not a sync.Map's: see everyLiveByteIsChargedOnce).
        if MapModels.defaultNames.contains(model) {
            #expect(live.contains { $0.labels["leaked"] == "true" }, "stale slots' payloads")
            let pinned = live.filter { $0.labels["retained_by"] == "pin" }
            #expect(pinned.count == 1 && pinned[0].values[3] == Int64(s.pinnedArrayBytes))
            #expect(pinned.first?.stack.first?.contains("old: no live map's current storage") == true)
        }
        let objects = profile.samples.filter { $0.stack != [HeapProfile.freeSlotsFrame] }
        #expect(objects.count == profile.samples.count - 1, "one sample of free slots")
        #expect(objects.allSatisfy { $0.values[0] >= $0.values[2] && $0.values[1] >= $0.values[3] })
        s.iteration.close()
        s.heap.roots.unpin(s.pin)
    }
}
