import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

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
