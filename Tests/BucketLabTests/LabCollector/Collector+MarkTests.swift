import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

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
