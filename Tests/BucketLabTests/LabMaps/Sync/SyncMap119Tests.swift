import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct SyncMap119Tests {
    func syncMap(_ f: MapFixture, type: MapType? = nil, seed: UInt64 = 1, policy: ClearingPolicy = .go) -> SyncMap119 {
        SyncMap119(type: type ?? f.wordType, mutator: f.mutator, policy: policy, seed: seed)
    }

    /// 10^5 random operations per preset and seed against Dictionary: loads
    /// and deletes that miss promote, new keys rebuild `dirty`, clears nil
    /// every entry, iterations promote.
    @Test(arguments: Strategy.presets.map(\.name), [1, 2] as [UInt64])
    func differentialAgainstDictionary(preset: String, seed: UInt64) throws {
        let f = try MapFixture()
        let map = syncMap(f, seed: seed, policy: Strategy.preset(preset)!.policy)
        let ops = randomOps(count: 100_000, keySpace: 20_000, seed: seed)
        #expect(differentialMismatches(ops, model: map) == [])
        #expect(map.promotions > 10 && map.dirtyBuilds > 10, "the run crossed generations")
    }

    /// Wide keys (boxed) and small ones (the static table), with values
    /// that are numbers below and above 256.
    @Test(arguments: [3, 4] as [UInt64])
    func differentialWithWideAndSmallKeys(seed: UInt64) throws {
        let f = try MapFixture()
        let map = syncMap(f, seed: seed)
        #expect(differentialMismatches(randomOps(count: 50_000, keySpace: 1 << 40, seed: seed), model: map) == [])
        let small = syncMap(f, seed: seed)
        #expect(differentialMismatches(randomOps(count: 50_000, keySpace: 300, seed: seed), model: small) == [])
    }

    /// Sizes from Go 1.19 (sync/map.go, runtime/map.go): the header 40
    /// bytes (48-byte class), `map[any]*entry` buckets 8 + 8 × 16 + 8 × 8
    /// + 8 = 208, an entry 8, an `any` 16.
    @Test func layoutMatchesGo() throws {
        let f = try MapFixture()
        let map = syncMap(f, type: f.pointerType)
        #expect(MemoryLayout<SyncMapHeader>.stride == 40)
        #expect(map.types.inner.bucketSize == 208)
        #expect(map.types.entry.size == 8 && map.boxing.anyBox.size == 16)
        #expect(f.heap.objectBytes(UnsafeMutableRawPointer(map.header)) == 48)
        // A word key ≥ 256 costs a key box, an entry and a value `any`; a
        // pointer value is the data word itself.
        for k in 1000..<2000 as Range<UInt64> { map.updateValue(k, forKey: k) }
        #expect(map.memory.entryBytes == 1000 * (8 + 8 + 16))
        // Keys below 256 point into the static table.
        let small = syncMap(f, type: f.pointerType)
        for k in 0..<256 as Range<UInt64> { small.updateValue(k, forKey: k) }
        #expect(small.memory.entryBytes == 256 * (8 + 16))
    }

    /// Go 1.19's generations: deletes from `read` keep keys, a new key
    /// rebuilds `dirty` sized by `len(read.m)` without them, misses or a
    /// Range promote it, and the collector frees the old `read`.
    @Test func deletedKeysAreShedByGenerations() throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let map = syncMap(f)
        for k in 0..<1000 as Range<UInt64> { map.updateValue(k, forKey: k + 1000) }
        #expect(map.amended && map.read == nil && map.dirty?.count == 1000)
        // 1000 misses: loads of keys only in dirty.
        for k in 0..<1000 as Range<UInt64> { #expect(map.value(forKey: k + 1000) == k) }
        #expect(map.promotions == 1 && map.dirty == nil && !map.amended && map.read?.count == 1000)
        for k in 0..<900 as Range<UInt64> { #expect(map.removeValue(forKey: k + 1000)) }
        #expect(map.count == 100 && map.read?.count == 1000 && map.tombstoneCount == 900)
        #expect(map.invariantViolations() == [])

        let oldRead = map.read!.headerAddress
        let oldBuckets = map.read!.h.pointee.buckets!
        map.updateValue(7, forKey: 5000)
        // dirty: the 100 live keys and the new one, in an array sized for 1000.
        #expect(map.dirty?.count == 101 && map.dirty?.slotCapacity == map.read?.slotCapacity)
        #expect(map.tombstoneCount == 900 && map.count == 101)
        #expect(map.invariantViolations() == [])
        // Deleted keys stay deleted; an expunged one comes back through dirty.
        #expect(map.value(forKey: 1000) == nil)
        map.updateValue(1, forKey: 1000)
        #expect(map.dirty?.count == 102 && map.count == 102 && map.value(forKey: 1000) == 1)
        #expect(map.invariantViolations() == [])

        var seen = 0
        map.forEachEntry { _, _ in seen += 1 }
        #expect(seen == 102 && map.promotions == 2 && map.read?.count == 102 && map.tombstoneCount == 0)
        collector.collect()
        #expect(f.heap.findObject(oldRead)?.isAllocated != true, "the old read map is garbage")
        #expect(f.heap.findObject(oldBuckets)?.isAllocated != true)
        #expect(map.invariantViolations() == [])
    }

    /// A delete of a key only in `dirty` is a classic delete and a miss.
    @Test func deleteFromDirtyCountsAMiss() throws {
        let f = try MapFixture()
        let map = syncMap(f)
        for k in 0..<10 as Range<UInt64> { map.updateValue(k, forKey: k) }
        #expect(map.removeValue(forKey: 3) && map.misses == 1 && map.dirty?.count == 9)
        #expect(!map.removeValue(forKey: 3))
        // Misses reach len(dirty) = 9: promoted.
        for _ in 0..<7 { _ = map.value(forKey: 99) }
        #expect(map.promotions == 1 && map.read?.count == 9 && map.dirty == nil)
        #expect(map.invariantViolations() == [])
    }

    /// Range promotes `dirty` first, then walks `read`: an iteration open
    /// across deletes, new keys (a new `dirty`), promotions and collections
    /// sees every key present throughout exactly once, no key deleted
    /// before it got there, and roots the `read` map it walks.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func rangeAcrossDeletesAndPromotions(seed: UInt64) throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let map = syncMap(f, seed: seed)
        for k in 0..<3000 as Range<UInt64> { map.updateValue(k, forKey: k) }
        let it = map.makeIteration()
        #expect(map.promotions == 1)
        let walked = map.read!.headerAddress
        var seen: [UInt64: Int] = [:]
        var deleted = Set<UInt64>(), everDeleted = Set<UInt64>()
        var step: UInt64 = 0
        while let (k, v) = it.nextEntry() {
            seen[k, default: 0] += 1
            #expect(!deleted.contains(k), "key \(k) deleted before the walk reached it")
            if k < 3000 { #expect(v == k || v == k + 1_000_000) }
            for j in 0..<3 as Range<UInt64> { map.updateValue(0, forKey: 10_000 + step * 3 + j) }
            if step % 7 == 0 && map.removeValue(forKey: 2999 - step) {
                deleted.insert(2999 - step)
                everDeleted.insert(2999 - step)
            }
            if step % 5 == 0 {
                map.updateValue(step + 1_000_000, forKey: step)
                deleted.remove(step)
            }
            // Loads of absent keys miss in read and in time promote dirty.
            for j in 0..<12 as Range<UInt64> { _ = map.value(forKey: 5_000_000 + j) }
            if step % 500 == 0 {
                collector.collect()
                #expect(f.heap.findObject(walked)?.isAllocated == true, "the walked map is rooted")
            }
            step += 1
        }
        #expect(map.promotions > 2)
        #expect(seen.values.allSatisfy { $0 == 1 })
        for k in 0..<3000 as Range<UInt64> where !everDeleted.contains(k) { #expect(seen[k] == 1, "key \(k)") }
        #expect(map.invariantViolations() == [])
        collector.collect()
        #expect(f.heap.findObject(walked)?.isAllocated != true, "closed: the old read map is garbage")
    }

    /// Clear is Range and Delete: every entry nilled, every key kept in
    /// `read` until a new key's Store rebuilds `dirty` without them.
    @Test func clearNilsEntriesAndKeepsKeys() throws {
        let f = try MapFixture()
        let map = syncMap(f)
        for k in 0..<500 as Range<UInt64> { map.updateValue(k, forKey: k) }
        map.removeAll()
        #expect(map.count == 0 && map.read?.count == 500 && map.tombstoneCount == 500 && map.dirty == nil)
        // A deleted key in read takes a store in place; a new key rebuilds dirty.
        map.updateValue(1, forKey: 1)
        #expect(map.count == 1 && map.dirty == nil && map.tombstoneCount == 499)
        map.updateValue(1, forKey: 1000)
        #expect(map.count == 2 && map.dirty?.count == 2 && map.invariantViolations() == [])
    }

    /// Payloads a sync.Map holds survive collections; deleted ones are
    /// freed once no `any` names them, through the seam with string keys.
    @Test func stringKeysAndPayloadsThroughTheSeam() throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let type = MapType.stringToPointer(heap: f.heap)
        let map = syncMap(f, type: type)
        let chars = f.heap.registerType(name: "chars", size: 16)
        let payload = f.heap.registerType(name: "payload", size: 48)
        var strings: [UnsafeMutableRawPointer] = []
        for k in 0..<2000 {
            let s = f.mutator.allocate(chars)
            s.storeBytes(of: UInt64(k) &* 0x9E37_79B9_7F4A_7C15, as: UInt64.self)
            s.storeBytes(of: UInt64(k), toByteOffset: 8, as: UInt64.self)
            strings.append(s)
            let p = f.mutator.allocate(payload)
            p.storeBytes(of: UInt64(k), as: UInt64.self)
            map.updateValue(UInt64(UInt(bitPattern: p)), forString: s, count: 16)
        }
        collector.collect()
        for k in 0..<2000 {
            let v = map.value(forString: strings[k], count: 16)
            #expect(v.map { UnsafeRawPointer(bitPattern: UInt($0))!.load(as: UInt64.self) } == UInt64(k))
        }
        for k in 0..<2000 where k % 2 == 0 { #expect(map.removeValue(forString: strings[k], count: 16)) }
        var seen = 0
        map.forEachEntry { k, _ in seen += 1; #expect(strings.contains(UnsafeMutableRawPointer(bitPattern: UInt(k))!)) }
        #expect(seen == 1000 && map.invariantViolations() == [])
    }

    /// The stress test (collections in the middle of map operations, every
    /// payload checked after each) on every strategy.
    @Test func stressHasNoViolations() throws {
        let report = try StressTest.run(cycles: 300, seed: 5, model: SyncMap119.self, gcWorkers: 1)
        #expect(report.violationCount == 0, "\(report.violations)")
        #expect(report.payloadsVerified > 0)
    }
}
