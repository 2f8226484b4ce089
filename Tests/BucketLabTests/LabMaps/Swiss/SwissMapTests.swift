import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct SwissMapTests {
    func swissMap(_ f: MapFixture, seed: UInt64 = 1, policy: ClearingPolicy = .go, hint: Int = 0) -> SwissMap {
        SwissMap(type: f.wordType, mutator: f.mutator, policy: policy, seed: seed, hint: hint)
    }

    @Test(arguments: Strategy.presets.map(\.name), [1, 2] as [UInt64])
    func differentialAgainstDictionary(preset: String, seed: UInt64) throws {
        let f = try MapFixture()
        let map = swissMap(f, seed: seed, policy: Strategy.preset(preset)!.policy)
        let ops = randomOps(count: 120_000, keySpace: 30_000, seed: seed)
        #expect(differentialMismatches(ops, model: map) == [])
    }

    @Test func differentialWithWideKeySpaceAndHints() throws {
        let f = try MapFixture()
        for hint in [0, 9, 897, 5000] {
            let map = swissMap(f, seed: 7, hint: hint)
            #expect(differentialMismatches(randomOps(count: 60_000, keySpace: 1 << 40, seed: 7), model: map) == [], "hint \(hint)")
        }
    }

    /// The layout's sizes, from Go's: a map[uint64]uint64 slot is 16 bytes,
    /// a group 8 + 8 × 16 = 136 (the 144-byte class), the header 48, a table
    /// 32, and the group is noscan; a pointer value makes it scanned.
    @Test func layoutMatchesGo() throws {
        let f = try MapFixture()
        #expect(MemoryLayout<SwissHeader>.stride == 48)
        #expect(MemoryLayout<SwissTable>.stride == 32)
        #expect(f.wordType.swiss.slotSize == 16 && f.wordType.swiss.elemOffset == 8)
        #expect(f.wordType.swiss.groupSize == 136)
        #expect(f.wordType.swiss.group.noscan)
        #expect(!f.pointerType.swiss.group.noscan)
        let strings = MapType.stringToPointer(heap: f.heap)
        #expect(strings.swiss.slotSize == 24 && strings.swiss.groupSize == 200)
    }

    /// Empty → one group at the first insert → a 16-slot table under a
    /// directory of one at the 9th → doubling at 7/8 of each capacity →
    /// at 1024 slots a split into two tables and a directory of two.
    @Test func smallMapToTableToSplitTransitions() throws {
        let f = try MapFixture()
        let map = swissMap(f)
        #expect(map.memory.storageBytes + map.memory.bucketBytes == 0)
        #expect(map.memory.headerBytes == 48)
        var expectedCapacity = 0
        for n in 1...2000 {
            map.updateValue(UInt64(n), forKey: SplitMix64.mix(UInt64(n)))
            if n == 1 { expectedCapacity = 8 }
            if n == 9 { expectedCapacity = 16 }
            if n > 9 && n - 1 == maxGrowthLeft(capacity: expectedCapacity) && expectedCapacity < 1024 { expectedCapacity *= 2 }
            if n <= 896 {
                #expect(map.capacity == expectedCapacity, "after \(n) inserts")
                #expect(map.isSmall == (n <= 8))
                #expect(map.directoryLength == (n <= 8 ? 0 : 1))
            }
            if n == 8 { #expect(map.memory.bucketBytes == 144) }
            if n == 9 {
                #expect(map.memory.bucketBytes == 288)  // 2 groups, 272 B in the 288 class
                #expect(map.memory.directoryBytes == 8 + 32)
            }
        }
        #expect(map.splitCount >= 1 && map.directoryLength >= 2 && map.globalDepth >= 1)
        #expect(map.invariantViolations() == [])
        // 897 entries do not fit one table of 1024 slots (896 at 7/8).
        let exact = swissMap(f, seed: 3)
        for n in 1...896 { exact.updateValue(0, forKey: UInt64(n)) }
        #expect(exact.directoryLength == 1 && exact.capacity == 1024)
        exact.updateValue(0, forKey: 897)
        #expect(exact.directoryLength == 2 && exact.capacity == 2048 && exact.splitCount == 1)
    }

    /// Go's NewMap: ⌈hint × 8/7 / 1024⌉ tables rounded to a power of two,
    /// each of target/tables slots: the cliff where one more hinted entry
    /// doubles the tables.
    @Test func sizeHintsAndTheirCliff() throws {
        let f = try MapFixture()
        func shape(_ hint: Int) -> (tables: Int, slots: Int) {
            let m = swissMap(f, hint: hint)
            return (m.directoryLength, m.capacity)
        }
        #expect(shape(8) == (0, 0))
        #expect(shape(9) == (1, 16))
        #expect(shape(896) == (1, 1024))
        #expect(shape(897) == (2, 1024))
        #expect(shape(1792) == (2, 2048))
        #expect(shape(1793) == (4, 2048))
        #expect(SwissMap.capacity(forHint: 1793) == 2048)
    }

    /// A delete in a group with an empty slot leaves it empty; in a full group
    /// a tombstone, which counts against growth until a rehash or a prune.
    @Test func tombstonesOnlyInFullGroupsAndPrunedUnderChurn() throws {
        let f = try MapFixture()
        let map = swissMap(f, seed: 5, hint: 800)  // one table of 1024 slots
        var rng = SplitMix64(seed: 5)
        var keys: [UInt64] = (0..<800).map { _ in rng.next() }
        for k in keys { map.updateValue(k, forKey: k) }
        // Churn at constant size: delete one, insert a new one.
        for step in 0..<50_000 {
            let i = Int(rng.next() % UInt64(keys.count))
            #expect(map.removeValue(forKey: keys[i]))
            keys[i] = rng.next()
            map.updateValue(keys[i], forKey: keys[i])
            if step % 5000 == 0 { #expect(map.invariantViolations() == []) }
        }
        #expect(map.count == 800)
        #expect(map.prunedTombstones > 0, "churn at 78% load prunes tombstones (Go 1.25+)")
        #expect(map.invariantViolations() == [])
    }

    /// Go 1.27 prunes tombstones only in the fast assigns
    /// (`mapassign_fast64` and the like); a map whose values are over 128
    /// bytes goes through the generic `mapassign`, which grows the table
    /// instead (internal/runtime/maps runtime.go). The same churn at 68%
    /// load, where tombstones reach 10% of the table before its growth
    /// runs out: a map[uint64]uint64 prunes, and grows later than a map of
    /// 1 KiB values, which never prunes.
    @Test func onlyTheFastAssignPrunesTombstones() throws {
        let f = try MapFixture()
        let big = MapType(heap: f.heap, keySize: 8, valueSize: 1024, valuePointerWords: [127], name: "big")
        var grown: [Int] = []  // the churn step of each map's first growth
        for (n, type) in [f.wordType, big].enumerated() {
            let map = SwissMap(type: type, mutator: f.mutator, seed: 5, hint: 700)  // one table of 1024 slots
            var rng = SplitMix64(seed: 5)
            var keys: [UInt64] = (0..<700).map { _ in rng.next() }
            for var k in keys { _ = map.insertionSlot(forKeyAt: &k) }
            let slots = map.capacity
            var firstGrowth = Int.max
            for step in 0..<20_000 {
                let i = Int(rng.next() % UInt64(keys.count))
                #expect(map.removeEntry(forKeyAt: &keys[i]))
                keys[i] = rng.next()
                _ = map.insertionSlot(forKeyAt: &keys[i])
                if map.capacity != slots && firstGrowth == .max { firstGrowth = step }
            }
            #expect(map.count == 700)
            #expect(map.invariantViolations() == [])
            // Every live key is found, and keys deleted along the way are not.
            for i in keys.indices { #expect(map.valueSlot(forKeyAt: &keys[i]) != nil) }
            var first = SplitMix64(seed: 5)
            var gone = first.next()  // the first key inserted: deleted by now, or kept
            if !keys.contains(gone) { #expect(map.valueSlot(forKeyAt: &gone) == nil) }
            if n == 1 { #expect(map.prunedTombstones == 0) } else { #expect(map.prunedTombstones > 0) }
            grown.append(firstGrowth)
        }
        #expect(grown[1] < grown[0], "the generic assign grows first, the fast one prunes first: \(grown)")
    }

    @Test func clearKeepsTablesAndDirectoryAndReseeds() throws {
        let f = try MapFixture()
        let map = swissMap(f)
        for k in 0..<5000 as Range<UInt64> { map.updateValue(k, forKey: k) }
        let before = map.memory
        let seed = map.m.pointee.seed
        map.removeAll()
        #expect(map.count == 0 && map.memory == before)
        #expect(map.m.pointee.seed != seed)
        #expect(map.value(forKey: 7) == nil)
        #expect(map.invariantViolations() == [])
        let released = swissMap(f, policy: Strategy.preset("compact")!.policy)
        for k in 0..<5000 as Range<UInt64> { released.updateValue(k, forKey: k) }
        released.removeAll()
        #expect(released.memory.storageBytes == 0 && released.memory.bucketBytes == 0)
    }

    @Test func shrinkRebuildsASparseMapSmaller() throws {
        let f = try MapFixture()
        let map = swissMap(f, policy: Strategy.preset("shrink")!.policy)
        for k in 0..<100_000 as Range<UInt64> { map.updateValue(k, forKey: k) }
        let full = map.capacity
        for k in 0..<99_000 as Range<UInt64> { map.removeValue(forKey: k) }
        #expect(map.capacity < full / 8)
        #expect(map.count == 1000 && map.value(forKey: 99_500) == 99_500)
        #expect(map.invariantViolations() == [])
        let go = swissMap(f)
        for k in 0..<100_000 as Range<UInt64> { go.updateValue(k, forKey: k) }
        for k in 0..<99_000 as Range<UInt64> { go.removeValue(forKey: k) }
        #expect(go.capacity == full, "Go's map never shrinks")
    }

    /// An iterator opened before grows and splits, with collections in
    /// between, sees every key that stays in the map exactly once, never a
    /// key deleted before it got there, and current values.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func iteratorAcrossSplitsAndCollectionsSeesEveryKeyOnce(seed: UInt64) throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let map = swissMap(f, seed: seed)
        for k in 0..<3000 as Range<UInt64> { map.updateValue(k, forKey: k) }
        let it = map.makeIterator()
        var seen: [UInt64: Int] = [:]
        var step: UInt64 = 0
        while let (k, v) = it.nextEntry() {
            seen[k, default: 0] += 1
            if k < 3000 { #expect(v == k || v == k + 1_000_000, "stale value \(v) for \(k)") }
            // Writes while iterating: new keys (grows, splits), updates and
            // deletes of keys not seen yet.
            for j in 0..<4 as Range<UInt64> { map.updateValue(0, forKey: 10_000 + step * 4 + j) }
            if step % 7 == 0 && step < 3000 { map.removeValue(forKey: 2999 - step) }
            if step % 5 == 0 && step < 3000 { map.updateValue(step + 1_000_000, forKey: step) }
            if step % 500 == 0 { collector.collect() }
            step += 1
        }
        #expect(map.splitCount >= 2)
        for k in 0..<3000 as Range<UInt64> {
            let deleted = k + min(step, 3000) > 2999 && (2999 - k) % 7 == 0
            if map.value(forKey: k) != nil && !deleted { #expect(seen[k] == 1, "key \(k) seen \(seen[k] ?? 0) times") }
        }
        #expect(seen.values.allSatisfy { $0 == 1 })
        #expect(map.invariantViolations() == [])
    }

    /// The collector reads Swiss groups: deleted payloads are freed under
    /// `go`, kept by their stale pointers under `stale`, and an open
    /// iterator roots the old table it walks.
    @Test func collectorSeesLiveSlotsAndIteratorRoots() throws {
        func objectsAfterDeletes(_ preset: String) throws -> (before: Int, after: Int) {
            let heap = try MHeap()
            let mutator = heap.makeMutator()
            let collector = Collector(heap: heap, gogc: nil)
            let payload = heap.registerType(name: "payload", size: 48)
            let map = SwissMap(type: .uint64ToPointer(heap: heap), mutator: mutator,
                               policy: Strategy.preset(preset)!.policy, seed: 1)
            for k in 0..<10_000 as Range<UInt64> {
                map.updateValue(UInt64(UInt(bitPattern: mutator.allocate(payload))), forKey: k)
            }
            collector.collect()
            let before = heap.objectCensus().objects
            for k in 0..<10_000 as Range<UInt64> where k % 2 == 0 { map.removeValue(forKey: k) }
            collector.collect()
            return (before, heap.objectCensus().objects)
        }
        let go = try objectsAfterDeletes("go"), stale = try objectsAfterDeletes("stale")
        #expect(go.before - go.after == 5000)
        #expect(stale.after == stale.before)

        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let map = swissMap(f)
        for k in 0..<600 as Range<UInt64> { map.updateValue(k, forKey: k) }
        let it = map.makeIterator()
        var seen = Set([it.nextEntry()!.key])
        let oldTable = it.tab!
        for k in 600..<2000 as Range<UInt64> { map.updateValue(k, forKey: k) }  // replaces the table
        #expect(oldTable.pointee.index == -1)
        collector.collect()
        #expect(f.heap.findObject(UnsafeMutableRawPointer(oldTable)) != nil)
        #expect(f.heap.findObject(oldTable.pointee.groups!) != nil)
        var n = 1
        while let (k, _) = it.nextEntry() {
            seen.insert(k)
            n += 1
        }
        // The old table picks the keys: the 600 there at the start, and
        // those inserted before the split replaced it (896 at 7/8 of 1024).
        #expect(n == seen.count && seen.isSuperset(of: 0..<600) && n == 896)
    }
}
