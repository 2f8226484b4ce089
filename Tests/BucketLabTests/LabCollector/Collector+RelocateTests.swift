import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

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
