import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

/// An iterator is a root of the storage it walks and of the bucket it stands
/// in (Go roots `hiter.buckets` and `hiter.bptr`): advanced one step at a
/// time with full collections between steps — and fresh allocations that
/// would reuse anything freed — it sees every key present for the whole
/// iteration exactly once, and never reads a freed bucket.
@Suite struct IteratorRootTests {
    /// Presets whose grows are incremental, so an iterator can start mid-grow.
    static let incremental = Strategy.presets.filter { $0.policy.evacuation == .incremental }.map(\.name)

    /// A payload map with a collector; payloads carry checksums.
    struct World {
        let heap: MHeap
        let collector: Collector
        let mutator: Mutator
        var payloads: ChecksummedPayloads
        let type: MapType
        /// Fills freed 144-byte slots (buckets) and payload slots with live
        /// look-alikes after each collection, so a read of freed memory
        /// returns plausible garbage instead of stale data.
        let filler: PayloadMap

        init(seed: UInt64) throws {
            heap = try MHeap()
            collector = Collector(heap: heap, gogc: nil)
            mutator = heap.makeMutator()
            payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
            type = .uint64ToPointer(heap: heap)
            filler = PayloadMap(type: type, mutator: mutator, seed: seed &+ 99)
        }

        mutating func collectAndReuse(round: Int) {
            collector.collect()
            for i in 0..<400 {
                // Eight rounds of keys in turn: replaced payloads are freed.
                let k = UInt64(round % 8) << 32 | UInt64(i) | 1 << 62
                filler[k] = payloads.make(key: k)
            }
        }
    }

    /// Checks one entry the iterator returned.
    static func check(_ k: UInt64, _ p: UnsafeMutableRawPointer?, in w: World, present: Set<UInt64>,
                      seen: inout [UInt64: Int]) {
        seen[k, default: 0] += 1
        #expect(present.contains(k), "key \(k) was never in the map")
        guard let p else { Issue.record("key \(k) without a payload"); return }
        #expect(w.heap.findObject(p)?.isAllocated == true && w.payloads.isIntact(p, key: k),
                "key \(k): payload freed or damaged")
    }

    @Test(arguments: incremental)
    func anIteratorStartedMidGrowSurvivesTheGrowFinishingUnderIt(strategy: String) throws {
        for seed in 1...4 as ClosedRange<UInt64> {
            var w = try World(seed: seed)
            let map = PayloadMap(type: w.type, mutator: w.mutator, policy: try Strategy(spec: strategy).policy, seed: seed)
            var next: UInt64 = 0
            var present = Set<UInt64>()
            func insert() {
                map[next] = w.payloads.make(key: next)
                present.insert(next)
                next += 1
            }
            while !map.raw.isGrowing || map.raw.shape.B < 5 { insert() }
            let original = present
            let it = map.makeIterator()
            var seen: [UInt64: Int] = [:]
            var round = 0
            // One step, then writes that evacuate (and finish the grow), then
            // a collection and reuse, until the iteration ends.
            while let (kp, vp) = it.next() {
                Self.check(kp.load(as: UInt64.self), vp.load(as: UnsafeMutableRawPointer?.self), in: w,
                           present: present, seen: &seen)
                insert()
                round += 1
                w.collectAndReuse(round: round)
            }
            #expect(!map.raw.isGrowing, "the writes finished the grow")
            for k in original { #expect(seen[k] == 1, "\(strategy) seed \(seed): key \(k) seen \(seen[k] ?? 0) times") }
            #expect(seen.values.allSatisfy { $0 == 1 }, "\(strategy): a key came twice")
            #expect(map.raw.invariantViolations() == [])
        }
    }

    /// `removeAll` while the iterator stands in the bucket array or in a
    /// separately allocated overflow bucket: the rest of the iteration sees
    /// nothing, even after the let-go overflow buckets would be swept and
    /// their slots reused.
    @Test(arguments: [false, true])
    func anIteratorAcrossRemoveAllSeesNothingMore(inOverflowBucket: Bool) throws {
        var w = try World(seed: 5)
        // B = 3 from the hint (no spare overflow buckets below B = 4); 20
        // keys of bucket 0 chain two overflow buckets of their own, 20 more
        // spread over the rest.
        let map = PayloadMap(type: w.type, mutator: w.mutator, seed: 5, hint: 52)
        var present = Set<UInt64>()
        var k: UInt64 = 0
        while present.count < 40 {
            let bucket = withUnsafePointer(to: k) { Int(truncatingIfNeeded: map.raw.hashKey($0)) & 7 }
            if (bucket == 0) == (present.count < 20) {
                map[k] = w.payloads.make(key: k)
                present.insert(k)
            }
            k += 1
        }
        #expect(map.raw.shape.B == 3 && map.raw.shape.separateOverflowBuckets > 0)
        let array = try #require(map.raw.h.pointee.buckets)
        let arrayEnd = array + map.raw.bucketArrayCount(B: 3) * map.raw.bucketSize
        let it = map.makeIterator()
        var seen: [UInt64: Int] = [:]
        // Step until the iterator stands where the test wants it.
        while true {
            guard let (kp, vp) = it.next() else { Issue.record("no position found"); return }
            Self.check(kp.load(as: UInt64.self), vp.load(as: UnsafeMutableRawPointer?.self), in: w, present: present,
                       seen: &seen)
            let b = try #require(it.b)
            let inArray = b >= array && b < arrayEnd
            if inArray != inOverflowBucket && it.i < bucketCount { break }
        }
        map.removeAll()
        for round in 1...3 { w.collectAndReuse(round: round) }
        var after = 0
        while let _ = it.next() { after += 1 }
        #expect(after == 0, "entries came out of a cleared map")
        #expect(seen.values.allSatisfy { $0 == 1 })
    }

    /// Deleting every key while an iteration is under way (the count reaches
    /// zero and the hash seed is renewed): deleted keys are not returned,
    /// none comes twice, and nothing freed is read.
    @Test(arguments: incremental)
    func anIteratorAcrossADeleteAllOnlySeesLiveKeys(strategy: String) throws {
        var w = try World(seed: 6)
        let map = PayloadMap(type: w.type, mutator: w.mutator, policy: try Strategy(spec: strategy).policy, seed: 6)
        var present = Set<UInt64>()
        var k: UInt64 = 0
        while !map.raw.isGrowing || map.raw.shape.B < 6 {
            map[k] = w.payloads.make(key: k)
            present.insert(k)
            k += 1
        }
        let everything = present
        let it = map.makeIterator()
        var seen: [UInt64: Int] = [:]
        var order = Array(present).sorted()
        var round = 0
        while let (kp, vp) = it.next() {
            let key = kp.load(as: UInt64.self)
            #expect(present.contains(key), "\(strategy): deleted key \(key) returned")
            Self.check(key, vp.load(as: UnsafeMutableRawPointer?.self), in: w, present: everything, seen: &seen)
            for _ in 0..<7 where !order.isEmpty {
                let gone = order.removeLast()
                map.removeValue(forKey: gone)
                present.remove(gone)
            }
            round += 1
            w.collectAndReuse(round: round)
        }
        #expect(map.count == 0 && present.isEmpty)
        #expect(seen.values.allSatisfy { $0 == 1 }, "\(strategy): a key came twice")
    }
}
