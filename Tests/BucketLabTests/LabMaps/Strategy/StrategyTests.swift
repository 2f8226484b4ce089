import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct StrategyTests {
    static let specs = Strategy.presetNames + [
        "clear=pointers+overflow=reclaim+shrink=below:0.125+evac=eager+empty=release",
        "stale+overflow=reclaim+clearall=release",
        "clear=full+shrink=below:0.25+evac=eager",
    ]

    @Test(arguments: specs)
    func everyStrategyAgreesWithDictionary(spec: String) throws {
        let policy = try Strategy(spec: spec).policy
        let f = try MapFixture()
        let map = f.wordMap(seed: 17, policy: policy)
        let ops = randomOps(count: 100_000, keySpace: 20_000, seed: 17)
        #expect(differentialMismatches(ops, map: map) == [])
    }

    @Test func specsParseAndRoundTrip() throws {
        let p = try Strategy(spec: "clear=pointers+overflow=reclaim+shrink=below:0.125+evac=eager+empty=release").policy
        #expect(p == ClearingPolicy(slotClearing: .pointers, overflow: .reclaim, shrink: .below(0.125),
                                    evacuation: .eager, emptyMap: .release))
        #expect(try Strategy(spec: p.spec).policy == p)
        #expect(try Strategy(spec: "go") == .go)
        #expect(try Strategy(spec: "stale").policy.slotClearing == SlotClearing.none)
        #expect(try Strategy(spec: "go+evac=eager").policy.evacuation == .eager)
        #expect(try Strategy(spec: "compact+evac=incremental").policy.relocation == .sparse(0.25))
        for preset in Strategy.presets {
            #expect(try Strategy(spec: preset.policy.spec) == preset, "a spelled-out preset is named after it")
            #expect(Strategy(preset.policy).name == preset.name)
        }
        #expect(try Strategy(spec: "clear=full").name == "clear=full+overflow=keep+shrink=never+evac=incremental+empty=keep+clearall=zero-in-place+relocate=off")
    }

    @Test func listsAreParsedOnce() throws {
        let list = try Strategy.parseList("go,stale,clear=pointers+shrink=below:0.25")
        #expect(list.map(\.name) == ["go", "stale", ClearingPolicy(slotClearing: .pointers, shrink: .below(0.25)).spec])
        #expect(try Strategy.parseList("all") == Strategy.presets)
        #expect(try Strategy.parseLists([]) == Strategy.presets)
        #expect(try Strategy.parseLists(["go,stale", "stale,shrink"]).map(\.name) == ["go", "stale", "shrink"])
        #expect(throws: StrategySpecError.self) { try Strategy.parseList("go,,stale") }
    }

    @Test(arguments: ["bogus", "", "clear=sometimes", "shrink=below:0.9", "shrink=below:x", "relocate=sparse:0",
                      "evac=eager+go", "colour=blue", "clear=full++evac=eager", "go,stale"])
    func badSpecsAreRefusedWithTheValidOnes(spec: String) {
        do {
            _ = try Strategy(spec: spec)
            Issue.record("'\(spec)' was accepted")
        } catch let error as StrategySpecError {
            #expect(error.description.contains("go, stale, go-ptrclear, reclaim, shrink, compact"))
            #expect(!error.description.contains("\n"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func staleLeaksWhereGoDoesNot() throws {
        func leaked(_ preset: String) throws -> Int {
            let heap = try MHeap()
            let collector = Collector(heap: heap, gogc: nil)
            let mutator = heap.makeMutator()
            var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
            let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator,
                                 policy: try Strategy(spec: preset).policy, seed: 1)
            for k in 0..<5000 as Range<UInt64> { map[k] = payloads.make(key: k) }
            for k in 0..<5000 as Range<UInt64> where k % 2 == 0 { map.removeValue(forKey: k) }
            return collector.collect().leakedBytes
        }
        #expect(try leaked("stale") == 2500 * 48)
        #expect(try leaked("go") == 0)
        #expect(try leaked("go-ptrclear") == 0)
    }

    /// A map held just under its growth threshold, so chains overflow.
    private func overflowingMap(_ policy: ClearingPolicy, _ f: MapFixture) -> (UInt64Map, [UInt64]) {
        let map = f.wordMap(seed: 21, policy: policy)
        var keys: [UInt64] = []
        var k: UInt64 = 0
        // B = 10 grows at 6657; stop before it.
        while map.count < 6600 { map[k] = k; keys.append(k); k += 1 }
        return (map, keys)
    }

    @Test func reclaimUnlinksOverflowBucketsThatEmpty() throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let (goMap, goKeys) = overflowingMap(.go, f)
        let (reclaimMap, keys) = overflowingMap(try Strategy(spec: "reclaim").policy, f)
        #expect(goMap.raw.shape.separateOverflowBuckets > 10)
        let before = reclaimMap.raw.shape
        #expect(before.overflowBuckets == goMap.raw.shape.overflowBuckets)
        for k in keys { reclaimMap.removeValue(forKey: k) }
        for k in goKeys { goMap.removeValue(forKey: k) }
        #expect(goMap.raw.shape.overflowBuckets == before.overflowBuckets, "Go keeps them")
        #expect(reclaimMap.raw.shape.overflowBuckets == 0, "reclaim unlinked every one")
        #expect(reclaimMap.raw.invariantViolations() == [])
        // And the collector frees the separately allocated ones.
        let liveBefore = f.heap.objectCensus().objects
        let cycle = collector.collect()
        #expect(cycle.objectsFreed >= before.separateOverflowBuckets)
        #expect(f.heap.objectCensus().objects <= liveBefore - before.separateOverflowBuckets)
        // The map still works.
        for k in keys.prefix(100) { reclaimMap[k] = k }
        #expect(reclaimMap.count == 100 && reclaimMap.raw.invariantViolations() == [])
    }

    @Test func shrinkBringsADrainedMapNearAFreshOne() throws {
        let f = try MapFixture()
        let map = f.wordMap(seed: 2, policy: try Strategy(spec: "shrink").policy)
        var rng = SplitMix64(seed: 2)
        var keys: [UInt64] = []
        for _ in 0..<1_000_000 {
            let k = rng.next()
            keys.append(k)
            map[k] = k
        }
        let full = map.raw.shape.bucketArrayBytes
        for (i, k) in keys.enumerated() where i % 100 != 0 { map.removeValue(forKey: k) }
        let survivors = keys.enumerated().filter { $0.offset % 100 == 0 }.map(\.element)
        let fresh = f.wordMap(seed: 3)
        for k in survivors { fresh[k] = k }
        let drained = map.raw.shape.bucketArrayBytes
        #expect(drained <= 2 * fresh.raw.shape.bucketArrayBytes, "\(drained) vs fresh \(fresh.raw.shape.bucketArrayBytes)")
        #expect(drained < full / 50)
        for k in survivors.prefix(1000) { #expect(map[k] == k) }
        #expect(map.raw.invariantViolations() == [])
    }

    @Test func shrinkDoesNotThrashAroundItsThreshold() throws {
        let f = try MapFixture()
        let map = f.wordMap(seed: 4, policy: try Strategy(spec: "shrink").policy)
        for k in 0..<100_000 as Range<UInt64> { map[k] = k }
        var next: UInt64 = 100_000
        var oldest: UInt64 = 0
        // Drain to just above the shrink point, then hover around it.
        while map.raw.h.pointee.B == 14 { map.removeValue(forKey: oldest); oldest += 1 }
        let rehashesBefore = map.raw.rehashCount
        var rng = SplitMix64(seed: 4)
        for _ in 0..<500_000 {
            if rng.next() % 2 == 0 {
                map[next] = next; next += 1
            } else if oldest < next {
                map.removeValue(forKey: oldest); oldest += 1
            }
        }
        #expect(map.raw.rehashCount - rehashesBefore <= 4, "\(map.raw.rehashCount - rehashesBefore) rehashes in 10^6 operations")
        #expect(map.raw.invariantViolations() == [])
    }

    @Test func eagerEvacuationLeavesNoOldArray() throws {
        let f = try MapFixture()
        let map = f.wordMap(policy: try Strategy(spec: "go+evac=eager").policy)
        var grows = 0
        var B = 0
        for k in 0..<100_000 as Range<UInt64> {
            map[k] = k
            #expect(!map.raw.isGrowing && map.raw.h.pointee.oldbuckets == nil)
            if Int(map.raw.h.pointee.B) != B { grows += 1; B = Int(map.raw.h.pointee.B) }
            if k % 10_000 == 0 { #expect(map.raw.invariantViolations() == []) }
        }
        #expect(grows >= 10)
    }

    @Test func releaseLetsTheArrayGoAtZero() throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let map = f.wordMap(policy: try Strategy(spec: "go+empty=release").policy)
        for k in 0..<10_000 as Range<UInt64> { map[k] = k }
        collector.collect()
        let array = try #require(map.raw.h.pointee.buckets)
        for k in 0..<10_000 as Range<UInt64> { map.removeValue(forKey: k) }
        #expect(map.raw.h.pointee.buckets == nil && map.raw.shape.B == 0)
        collector.collect()
        #expect(f.heap.findObject(array)?.isAllocated != true, "the array was freed")
        map[5] = 5
        #expect(map[5] == 5 && map.raw.shape.B == 0)

        let cleared = f.wordMap(policy: try Strategy(spec: "go+clearall=release").policy)
        for k in 0..<10_000 as Range<UInt64> { cleared[k] = k }
        cleared.removeAll()
        #expect(cleared.raw.h.pointee.buckets == nil && cleared.count == 0 && cleared[1] == nil)
    }

    @Test func hooksSeeDeletesAndCanImplementAPolicy() throws {
        let f = try MapFixture()
        let map = f.wordMap(seed: 8)
        var deleted = 0, grown = 0
        map.raw.hooks.slotDeleted.append { _, slot in
            deleted += 1
            // A user policy: poison the value instead of zeroing it.
            slot.valueSlot.storeBytes(of: 0xBAD, as: UInt64.self)
        }
        map.raw.hooks.growFinished.append { _ in grown += 1 }
        for k in 0..<1000 as Range<UInt64> { map[k] = k }
        for k in 0..<500 as Range<UInt64> { map.removeValue(forKey: k) }
        #expect(deleted == 500 && grown >= 5)
        // The hook wrote the poison into the emptied slots.
        var poisoned = 0
        let array = map.raw.h.pointee.buckets!
        for i in 0..<(1 << map.raw.shape.B) {
            let b = map.raw.bucket(array, i)
            for s in 0..<8 where isEmptySlot(map.raw.top(b, s)) && map.raw.valueSlot(b, s).load(as: UInt64.self) == 0xBAD {
                poisoned += 1
            }
        }
        #expect(poisoned > 0)
        #expect(map.count == 500 && map[700] == 700 && map[100] == nil)
    }

    /// Keep 1% of 10^6 payloads: without relocation every payload span stays
    /// for one or two survivors; with it the heap falls to about what is live.
    @Test func relocationCompactsSparsePayloadSpans() throws {
        func run(_ spec: String) throws -> (inuse: Int, live: Int, buckets: Int, moved: Int) {
            let heap = try MHeap()
            let collector = Collector(heap: heap, gogc: nil)
            let mutator = heap.makeMutator()
            var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
            let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator,
                                 policy: try Strategy(spec: spec).policy, seed: 1)
            for k in 0..<1_000_000 as Range<UInt64> { map[k] = payloads.make(key: k) }
            collector.collect()
            for k in 0..<1_000_000 as Range<UInt64> where k % 100 != 0 { map.removeValue(forKey: k) }
            // Pin a few survivors: they must not move.
            var pinned: [(UInt64, UnsafeMutableRawPointer)] = []
            for k in stride(from: 0, to: 1_000_000, by: 20_000) {
                let p = map[UInt64(k)]!!
                heap.roots.pin(p)
                pinned.append((UInt64(k), p))
            }
            let cycle = collector.collect()
            for k in stride(from: 0, to: 1_000_000, by: 100) {
                guard let p = map[UInt64(k)] ?? nil, payloads.isIntact(p, key: UInt64(k)) else {
                    Issue.record("\(spec): payload \(k) lost")
                    break
                }
            }
            for (k, p) in pinned { #expect(map[k] == p, "a pinned payload moved") }
            #expect(map.raw.invariantViolations() == [])
            let shape = map.raw.shape
            return (heap.objectCensus().inuseBytes, 10_000 * 48,
                    shape.bucketArrayBytes + shape.overflowBucketBytes, cycle.objectsRelocated)
        }
        let compact = try run("compact")
        #expect(compact.moved > 9000)
        #expect(compact.inuse <= 2 * (compact.live + compact.buckets), "\(compact)")
        let shrinkOnly = try run("shrink")
        #expect(shrinkOnly.moved == 0)
        #expect(shrinkOnly.inuse > 5 * (shrinkOnly.live + shrinkOnly.buckets), "no bucket policy helps: \(shrinkOnly)")
    }

    /// Relocation under random use: lookups always find intact payloads.
    @Test func relocationKeepsEveryPayloadIntactUnderChurn() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
        let compact = try Strategy(spec: "compact").policy
        let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, policy: compact, seed: 9)
        let other = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: 10)
        var rng = SplitMix64(seed: 9)
        var reference: [UInt64: UInt64] = [:]  // key → key the payload was made for
        var moved = 0
        for round in 0..<60 {
            for _ in 0..<3000 {
                let k = rng.next() % 20_000
                switch rng.next() % 10 {
                case 0..<5:
                    let p = payloads.make(key: k)
                    map[k] = p
                    reference[k] = k
                    if rng.next() % 50 == 0 { other[k] = p }  // shared: must not move
                default:
                    map.removeValue(forKey: k)
                    reference[k] = nil
                }
            }
            if round % 7 == 3 { for k in reference.keys.shuffled(using: &rng).prefix(reference.count * 9 / 10) { map.removeValue(forKey: k); reference[k] = nil } }
            let cycle = collector.collect()
            moved += cycle.objectsRelocated
            for (k, owner) in reference {
                guard let p = map[k] ?? nil, payloads.isIntact(p, key: owner) else {
                    Issue.record("round \(round): payload of \(k) lost")
                    return
                }
            }
            other.forEach { k, p in
                if !payloads.isIntact(p!, key: k) { Issue.record("round \(round): shared payload \(k) damaged") }
            }
            #expect(heap.invariantViolations().isEmpty)
        }
        #expect(moved > 1000)
    }
}
