import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct SyncTrieTests {
    func trie(_ f: MapFixture, type: MapType? = nil, seed: UInt64 = 1) -> SyncTrie {
        SyncTrie(type: type ?? f.wordType, mutator: f.mutator, seed: seed)
    }

    /// 10^5 random operations per seed against Dictionary.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func differentialAgainstDictionary(seed: UInt64) throws {
        let f = try MapFixture()
        let map = trie(f, seed: seed)
        #expect(differentialMismatches(randomOps(count: 100_000, keySpace: 20_000, seed: seed), model: map) == [])
        #expect(map.prunedNodes > 0)
        let wide = trie(f, seed: seed)
        #expect(differentialMismatches(randomOps(count: 50_000, keySpace: 1 << 40, seed: seed), model: wide) == [])
    }

    /// Sizes from Go 1.27.3's structs (internal/sync/hashtriemap.go): the
    /// header 48, an indirect node 152 (160-byte class), an entry 48.
    @Test func layoutMatchesGo() throws {
        let f = try MapFixture()
        let map = trie(f, type: f.pointerType)
        #expect(map.types.indirect.size == 152 && map.types.entry.size == 48)
        map.updateValue(1, forKey: 1000)
        #expect(f.heap.objectBytes(map.root!) == 160 && f.heap.objectBytes(map.header) == 48)
        // A key ≥ 256 costs its box and an entry; a pointer value nothing more.
        for k in 1001..<2000 as Range<UInt64> { map.updateValue(k, forKey: k) }
        #expect(map.memory.entryBytes == 1000 * (48 + 8))
        #expect(map.memory.bucketBytes == 160 * map.indirectNodeCount)
    }

    /// Hash collisions of whole hashes chain; a key whose hash shares a
    /// long prefix makes a chain of indirect nodes; deletes prune only the
    /// nodes that become empty.
    @Test func expandChainsAndPrunes() throws {
        let f = try MapFixture()
        let map = trie(f, seed: 9)
        // Find keys whose hashes share their top 8 bits (two levels).
        var slot = [UInt64](repeating: 0, count: 2)
        func h(_ k: UInt64) -> UInt64 {
            var x = k
            return withUnsafePointer(to: &x) { p in
                slot.withUnsafeMutableBytes { s in
                    map.boxing.probeKey(UnsafeRawPointer(p), into: s.baseAddress!)
                    return map.hash(UnsafeRawPointer(s.baseAddress!))
                }
            }
        }
        let a: UInt64 = 12345
        let b = (1...UInt64(1_000_000)).first { $0 != a && h($0) >> 56 == h(a) >> 56 }!
        map.updateValue(1, forKey: a)
        #expect(map.indirectNodeCount == 1)
        map.updateValue(2, forKey: b)
        #expect(map.indirectNodeCount >= 3, "a chain below the shared prefix")
        #expect(map.invariantViolations() == [])
        // A third key elsewhere keeps the root's other child.
        let c = (1...UInt64(1_000_000)).first { h($0) >> 60 != h(a) >> 60 }!
        map.updateValue(3, forKey: c)
        let nodes = map.indirectNodeCount
        #expect(map.removeValue(forKey: a))
        #expect(map.indirectNodeCount == nodes, "b keeps the chain: single-child nodes are not collapsed")
        #expect(map.removeValue(forKey: b))
        #expect(map.indirectNodeCount == 1 && map.prunedNodes == nodes - 1)
        #expect(map.value(forKey: c) == 3 && map.invariantViolations() == [])
    }

    /// A store to a present key replaces its entry node (Go 1.27's swap).
    @Test func storeReplacesTheEntry() throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let map = trie(f, type: f.pointerType)
        map.updateValue(1, forKey: 999)
        // The probe's interface slot points at the key itself: look it up
        // while that pointer is valid.
        let before = withUnsafePointer(to: UInt64(999)) { p in
            map.boxing.probeKey(UnsafeRawPointer(p), into: map.keySlot)
            return map.find(UnsafeRawPointer(map.keySlot))
        }!
        map.updateValue(2, forKey: 999)
        #expect(map.value(forKey: 999) == 2 && map.count == 1)
        collector.collect()
        #expect(f.heap.findObject(before)?.isAllocated != true, "the old entry is garbage")
    }

    /// An open Range sees every key present throughout exactly once, across
    /// inserts, deletes and prunes, and roots its path.
    @Test(arguments: [1, 2] as [UInt64])
    func rangeAcrossDeletesAndPrunes(seed: UInt64) throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let map = trie(f, seed: seed)
        for k in 0..<3000 as Range<UInt64> { map.updateValue(k, forKey: k) }
        let it = map.makeIteration()
        var seen: [UInt64: Int] = [:]
        var deleted = Set<UInt64>()
        var step: UInt64 = 0
        while let (k, _) = it.nextEntry() {
            seen[k, default: 0] += 1
            #expect(!deleted.contains(k))
            // Delete a whole neighbourhood now and then: nodes get pruned.
            if step % 3 == 0 { for d in 0..<5 as Range<UInt64> { let x = (k + 1 + d * 37) % 3000; if map.removeValue(forKey: x) { deleted.insert(x) } } }
            map.updateValue(0, forKey: 10_000 + step)
            if step % 300 == 0 { collector.collect() }
            step += 1
        }
        #expect(seen.values.allSatisfy { $0 == 1 })
        for k in 0..<3000 as Range<UInt64> where !deleted.contains(k) { #expect(seen[k] == 1, "key \(k)") }
        #expect(map.prunedNodes > 0 && map.invariantViolations() == [])
    }

    /// Clear replaces the root: the collector frees the whole old trie.
    @Test func clearDropsTheTrie() throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let map = trie(f, type: f.pointerType)
        for k in 0..<5000 as Range<UInt64> { map.updateValue(k, forKey: k + 1000) }
        let old = map.root!
        map.removeAll()
        collector.collect()
        #expect(map.count == 0 && map.indirectNodeCount == 1 && f.heap.findObject(old)?.isAllocated != true)
        #expect(map.memory.entryBytes == 0)
    }

    @Test func stressHasNoViolations() throws {
        let report = try StressTest.run(cycles: 300, seed: 5, model: SyncTrie.self, gcWorkers: 1)
        #expect(report.violationCount == 0, "\(report.violations)")
        #expect(report.payloadsVerified > 0)
    }
}
