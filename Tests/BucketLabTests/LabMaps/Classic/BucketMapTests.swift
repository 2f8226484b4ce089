import Testing
import PropertyBased
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct BucketMapTests {
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func differentialAgainstDictionary(seed: UInt64) throws {
        let f = try MapFixture()
        let map = f.wordMap(seed: seed)
        // Small key space: plenty of hits, updates and deletes of present keys.
        let ops = randomOps(count: 120_000, keySpace: 30_000, seed: seed)
        #expect(differentialMismatches(ops, map: map) == [])
    }

    /// The header object is Go 1.19's `hmap`, 48 bytes (a heap profile
    /// compares it by site: ReplayProfileTests).
    @Test func headerIsGos48Bytes() {
        #expect(MemoryLayout<HMap>.stride == 48)
    }

    @Test func differentialWithWideKeySpace() throws {
        let f = try MapFixture()
        let map = f.wordMap(seed: 99)
        let ops = randomOps(count: 150_000, keySpace: 1 << 40, seed: 99)
        #expect(differentialMismatches(ops, map: map) == [])
    }

    @Test func propertyDifferential() async throws {
        // Opcodes and keys packed in one integer so shrinking shortens and
        // simplifies the sequence.
        await propertyCheck(count: 200, input: Gen.int(in: 0...(5 * 48 - 1)).array(of: 0...600)) { codes in
            let f = try! MapFixture()
            let map = f.wordMap(seed: 7)
            let ops: [MapOp] = codes.map { c in
                let key = UInt64(c / 5)
                switch c % 5 {
                case 0, 1: return .insert(key, UInt64(c))
                case 2: return .delete(key)
                case 3: return c % 47 == 0 ? .clear : .lookup(key)
                default: return c % 7 == 0 ? .iterate : .lookup(key + 1000)
                }
            }
            #expect(differentialMismatches(ops, map: map, checkEvery: 1) == [])
        }
    }

    @Test func wideKeysAndOutOfLineValuesAgreeWithDictionary() throws {
        // 24-byte keys (hashed as bytes) and 200-byte values (stored out of
        // line, Go's indirect elem).
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let type = MapType(heap: heap, keySize: 24, valueSize: 200)
        #expect(!type.isWordKey && type.indirectValue && !type.indirectKey)
        #expect(type.bucketSize == 8 + 8 * 24 + 8 * 8 + 8)
        let map = BucketMap(type: type, mutator: mutator, seed: 5)
        var reference: [[UInt64]: UInt64] = [:]
        var rng = SplitMix64(seed: 5)
        for step in 0..<40_000 {
            let k: [UInt64] = [rng.next() % 3000, 7, rng.next() % 2]
            let r = rng.next() % 10
            k.withUnsafeBytes { key in
                if r < 5 {
                    let v = rng.next()
                    let p = map.insertionPointer(forKey: key.baseAddress!)
                    p.storeBytes(of: v, toByteOffset: 192, as: UInt64.self)
                    reference[k] = v
                } else if r < 8 {
                    let removed = map.removeValue(forKey: key.baseAddress!)
                    #expect(removed == (reference.removeValue(forKey: k) != nil))
                } else {
                    let got = map.valuePointer(forKey: key.baseAddress!)?.load(fromByteOffset: 192, as: UInt64.self)
                    #expect(got == reference[k], "step \(step)")
                }
            }
            #expect(map.count == reference.count)
        }
        #expect(map.invariantViolations() == [])
        var seen = 0
        map.forEachEntryPointer { k, v in
            let key = Array(UnsafeBufferPointer(start: k.assumingMemoryBound(to: UInt64.self), count: 3))
            #expect(reference[key] == v.load(fromByteOffset: 192, as: UInt64.self))
            seen += 1
        }
        #expect(seen == reference.count)
    }

    @Test func growsExactlyAtGosThresholds() throws {
        let f = try MapFixture()
        let map = f.wordMap()
        for k in 0..<8 as Range<UInt64> { map[k] = k }
        #expect(map.raw.shape.B == 0)
        map[8] = 8
        #expect(map.raw.shape.B == 1, "the 9th insert grows to B = 1")
        // 6.5 × 2^B: 13 entries fit B = 1, the 14th grows.
        for k in 9..<13 as Range<UInt64> { map[k] = k }
        #expect(map.raw.shape.B == 1)
        map[13] = 13
        #expect(map.raw.shape.B == 2)
        // Updating an existing key never grows.
        for k in 0..<14 as Range<UInt64> { map[k] = k + 1 }
        #expect(map.raw.shape.B == 2)
    }

    @Test func aMillionKeysMakeBEighteenInOneArrayObject() throws {
        let f = try MapFixture()
        let map = f.wordMap()
        var rng = SplitMix64(seed: 3)
        var inserted = 0
        var seen = Set<UInt64>()
        while inserted < 1_000_000 {
            let k = rng.next()
            if seen.insert(k).inserted {
                map[k] = k
                inserted += 1
            }
        }
        let shape = map.raw.shape
        #expect(shape.B == 18)
        #expect(!shape.isGrowing)
        let expected = SizeClasses.roundUpSize(((1 << 18) + (1 << 14)) * 144)
        #expect(expected == 40_108_032)
        #expect(shape.bucketArrayBytes == expected)
        let array = try #require(map.raw.h.pointee.buckets)
        let object = try #require(f.heap.findObject(array + expected - 1))
        #expect(object.address == array, "the whole array is one heap object")
    }

    @Test func deletingEverythingKeepsTheArrayAndRemoveAllKeepsB() throws {
        let f = try MapFixture()
        let map = f.wordMap()
        for k in 0..<100_000 as Range<UInt64> { map[k &* 0x9E37_79B9] = k }
        let before = map.raw.shape
        let array = map.raw.h.pointee.buckets
        for k in 0..<100_000 as Range<UInt64> { map.removeValue(forKey: k &* 0x9E37_79B9) }
        let drained = map.raw.shape
        #expect(map.count == 0)
        #expect(drained.B == before.B && drained.bucketArrayBytes == before.bucketArrayBytes)
        #expect(map.raw.h.pointee.buckets == array, "Go never shrinks or frees the array")
        for k in 0..<50_000 as Range<UInt64> { map[k] = k }
        let B = map.raw.shape.B
        let arrayNow = map.raw.h.pointee.buckets
        map.removeAll()
        #expect(map.count == 0 && map.raw.shape.B == B && map.raw.h.pointee.buckets == arrayNow)
        #expect(!map.raw.shape.isGrowing && map.raw.shape.overflowBuckets == 0)
        #expect(map[10] == nil)
        map[10] = 1
        #expect(map[10] == 1 && map.raw.invariantViolations() == [])
    }

    @Test func hashSeedIsRenewedWhenTheMapEmpties() throws {
        let f = try MapFixture()
        let map = f.wordMap()
        map[1] = 1
        let seed = map.raw.lab.pointee.hash0
        map[2] = 2
        map.removeValue(forKey: 1)
        #expect(map.raw.lab.pointee.hash0 == seed)
        map.removeValue(forKey: 2)
        #expect(map.raw.lab.pointee.hash0 != seed)
        map[3] = 3
        let seed2 = map.raw.lab.pointee.hash0
        map.removeAll()
        #expect(map.raw.lab.pointee.hash0 != seed2)
    }

    @Test func fixedSeedsReproduceAndDifferentSeedsDiffer() throws {
        let f = try MapFixture()
        func order(_ seed: UInt64) -> [UInt64] {
            let m = f.wordMap(seed: seed)
            for k in 0..<500 as Range<UInt64> { m[k] = k }
            var keys: [UInt64] = []
            m.forEach { k, _ in keys.append(k) }
            return keys
        }
        #expect(order(11) == order(11))
        #expect(order(11) != order(12))
    }

    @Test func lookupsAndIterationNeverEvacuate() throws {
        let f = try MapFixture()
        let map = f.wordMap()
        var k: UInt64 = 0
        while !map.raw.shape.isGrowing || map.raw.shape.B < 8 {
            map[k] = k
            k += 1
        }
        let nevacuate = map.raw.h.pointee.nevacuate
        for q in 0..<k { #expect(map[q] == q) }
        var n = 0
        map.forEach { _, _ in n += 1 }
        #expect(n == Int(k))
        #expect(map.raw.h.pointee.nevacuate == nevacuate && map.raw.shape.isGrowing)
        map[k] = k  // an insert does evacuate
        #expect(map.raw.h.pointee.nevacuate > nevacuate || !map.raw.shape.isGrowing)
    }

    @Test func growthFinishesAndDropsOldBuckets() throws {
        let f = try MapFixture()
        let map = f.wordMap()
        for k in 0..<3000 as Range<UInt64> {
            map[k] = k
            #expect(map.raw.invariantViolations() == [], "after inserting \(k)")
        }
        // Each insert evacuates at least one old bucket; a grow from B = 8 is
        // over long before 3000 inserts (it started at 1665).
        #expect(map.raw.shape.B == 9)
        #expect(!map.raw.shape.isGrowing && map.raw.shape.oldBucketArrayBytes == 0)
    }

    @Test func iteratorOpenedBeforeAGrowSeesEveryKeyOnce() throws {
        let f = try MapFixture()
        for seed in 1...20 as ClosedRange<UInt64> {
            let map = f.wordMap(seed: seed)
            let initial = (0..<1000 as Range<UInt64>).map { $0 &* 7919 }
            for k in initial { map[k] = k }
            let it = map.makeIterator()
            var seen: [UInt64: Int] = [:]
            // Read a little, then grow the map twice over while iterating.
            for _ in 0..<100 { if let (k, _) = it.next() { seen[k.load(as: UInt64.self), default: 0] += 1 } }
            let startB = map.raw.shape.B
            for k in 1_000_000..<1_004_000 as Range<UInt64> { map[k] = k }
            #expect(map.raw.shape.B >= startB + 2)
            while let (k, v) = it.next() {
                let key = k.load(as: UInt64.self)
                seen[key, default: 0] += 1
                #expect(v.load(as: UInt64.self) == key)
            }
            #expect(!it.isOpen)
            for k in initial { #expect(seen[k] == 1, "seed \(seed): key \(k) seen \(seen[k] ?? 0) times") }
            #expect(seen.values.allSatisfy { $0 == 1 })
        }
    }

    @Test func iteratorSkipsKeysDeletedAndSeesUpdatesAcrossAGrow() throws {
        let f = try MapFixture()
        let map = f.wordMap(seed: 4)
        for k in 0..<2000 as Range<UInt64> { map[k] = k }
        let it = map.makeIterator()
        var seen = Set<UInt64>()
        if let (k, _) = it.next() { seen.insert(k.load(as: UInt64.self)) }
        for k in 2000..<6000 as Range<UInt64> { map[k] = k }  // grow
        for k in 0..<1000 as Range<UInt64> { map.removeValue(forKey: k) }
        for k in 1000..<2000 as Range<UInt64> { map[k] = k + 1 }
        while let (k, v) = it.next() {
            let key = k.load(as: UInt64.self)
            #expect(seen.insert(key).inserted)
            if key >= 1000 && key < 2000 { #expect(v.load(as: UInt64.self) == key + 1) }
            #expect(key >= 1000, "deleted key \(key) returned")
        }
        for k in 1000..<2000 as Range<UInt64> { #expect(seen.contains(k)) }
    }

    /// Go's sticky flags: an iteration started since the grow before last —
    /// open or long finished — keeps the old buckets of the next grow intact;
    /// with none, pointerful old buckets are cleared as they are evacuated.
    @Test func iterationKeepsOldBucketsIntactUntilTheGrowAfterIt() throws {
        let f = try MapFixture()
        enum Iteration { case none, open, finished, beforeAnEarlierGrow }
        func oldBucketKeepsWords(_ iteration: Iteration) throws -> Bool {
            let map = PayloadMap(type: f.pointerType, mutator: f.mutator, seed: 8)
            let payload = f.heap.registerType(name: "p", size: 16)
            var k: UInt64 = 0
            func growOnce() {
                while !map.raw.shape.isGrowing { map[k] = f.mutator.allocate(payload); k += 1 }
            }
            for _ in 0..<200 { map[k] = f.mutator.allocate(payload); k += 1 }
            var it: MapIterator? = nil
            switch iteration {
            case .none: break
            case .open: it = map.makeIterator()
            case .finished: map.forEach { _, _ in }
            case .beforeAnEarlierGrow:
                map.forEach { _, _ in }
                growOnce()
                map.raw.finishGrowth()
            }
            growOnce()
            let old = try #require(map.raw.h.pointee.oldbuckets)
            map[k] = f.mutator.allocate(payload)  // evacuates old bucket(s)
            // Old bucket 0 is evacuated by now (nevacuate passed it).
            #expect(map.raw.evacuated(old))
            let tophash0 = old.load(as: UInt8.self)
            #expect(tophash0 >= evacuatedX && tophash0 <= evacuatedEmpty, "evacuation state kept")
            withExtendedLifetime(it) {}
            return old.load(fromByteOffset: map.raw.overflowOffset, as: UInt64.self) != 0
                || (0..<8).contains { old.load(fromByteOffset: map.raw.valuesOffset + 8 * $0, as: UInt64.self) != 0 }
        }
        #expect(try oldBucketKeepsWords(.open), "with an iterator open, old slots keep their words")
        #expect(try oldBucketKeepsWords(.finished), "the flag is sticky: a finished range loop counts too")
        #expect(try !oldBucketKeepsWords(.beforeAnEarlierGrow), "a grow in between clears the flag")
        #expect(try !oldBucketKeepsWords(.none), "with none, pointerful old buckets are cleared")
    }

    @Test func wordBucketsAreNotClearedOnEvacuation() throws {
        // Go: pointer-free buckets are left as they are (only tophash changes).
        let f = try MapFixture()
        let map = f.wordMap(seed: 2)
        var k: UInt64 = 1
        while !map.raw.shape.isGrowing { map[k] = k; k += 1 }
        let old = try #require(map.raw.h.pointee.oldbuckets)
        map[k] = k
        #expect(map.raw.evacuated(old))
        #expect((0..<8).contains { old.load(fromByteOffset: map.raw.keysOffset + 8 * $0, as: UInt64.self) != 0 })
    }

    @Test func deleteClearsByPolicy() throws {
        let f = try MapFixture()
        func slotWords(_ policy: SlotClearing, pointer: Bool) -> (key: UInt64, value: UInt64) {
            let map = BucketMap(type: pointer ? f.pointerType : f.wordType, mutator: f.mutator,
                                policy: ClearingPolicy(slotClearing: policy), seed: 1)
            var key: UInt64 = 42
            withUnsafePointer(to: &key) { map.insertionPointer(forKey: $0).storeBytes(of: 0xDEAD, as: UInt64.self) }
            let b = map.h.pointee.buckets!
            let slot = (0..<8).first { map.top(b, $0) >= minTopHash }!
            withUnsafePointer(to: &key) { _ = map.removeValue(forKey: $0) }
            #expect(map.top(b, slot) == emptyRest, "a lone deleted slot ends its chain")
            return (map.keySlot(b, slot).load(as: UInt64.self), map.valueSlot(b, slot).load(as: UInt64.self))
        }
        #expect(slotWords(.go, pointer: false) == (42, 0), "Go keeps pointer-free keys, clears the value")
        #expect(slotWords(.none, pointer: false) == (42, 0xDEAD))
        #expect(slotWords(.full, pointer: false) == (0, 0))
        #expect(slotWords(.pointers, pointer: false) == (42, 0xDEAD), "nothing to clear without pointers")
        #expect(slotWords(.pointers, pointer: true) == (42, 0))
        #expect(slotWords(.none, pointer: true) == (42, 0xDEAD))
    }

    @Test func emptyRestRunsAreMaintained() throws {
        let f = try MapFixture()
        let map = f.wordMap(seed: 6)
        // Fill one bucket-0 chain (B = 0) with 8 keys, then delete from the end.
        for k in 0..<8 as Range<UInt64> { map[k] = k }
        let b = map.raw.h.pointee.buckets!
        let keysBySlot = (0..<8).map { map.raw.keySlot(b, $0).load(as: UInt64.self) }
        map.removeValue(forKey: keysBySlot[3])
        #expect(map.raw.top(b, 3) == emptyOne)
        map.removeValue(forKey: keysBySlot[7])
        #expect(map.raw.top(b, 7) == emptyRest)
        for s in [6, 5, 4] { map.removeValue(forKey: keysBySlot[s]) }
        #expect((3...7).allSatisfy { map.raw.top(b, $0) == emptyRest }, "the run through slot 3 became emptyRest")
        #expect(map.raw.top(b, 2) >= minTopHash)
        #expect(map.raw.invariantViolations() == [])
    }

    @Test func preallocatedOverflowBucketsComeFromTheArray() throws {
        let f = try MapFixture()
        let map = f.wordMap()
        #expect(map.raw.bucketArrayCount(B: 3) == 8)
        #expect(map.raw.bucketArrayCount(B: 4) == 18, "17 × 144 = 2448 rounds up to 2688, which holds 18")
        #expect(map.raw.bucketArrayCount(B: 5) == 37, "34 × 144 = 4896 rounds up to 5376, which holds 37")
        var k: UInt64 = 0
        while map.raw.shape.B < 4 || map.raw.shape.isGrowing { map[k] = k; k += 1 }
        #expect(map.raw.nextOverflow != nil)
        // Fill until chains need overflow buckets; the first come from the array.
        while map.raw.shape.overflowBuckets == 0 { map[k] = k; k += 1 }
        let shape = map.raw.shape
        #expect(shape.overflowBuckets >= 1 && shape.separateOverflowBuckets == 0)
    }

    @Test func churnCausesSameSizeGrowthAndOverflowBuckets() throws {
        // A sliding window: delete the oldest, insert a new key. Count stays
        // put, but chains collect overflow buckets until a same-size grow
        // packs them.
        let f = try MapFixture()
        let map = f.wordMap(seed: 9)
        let window: UInt64 = 6000
        for k in 0..<window { map[k] = k }
        let B = map.raw.shape.B
        var sameSizeGrows = 0
        var wasGrowing = false
        for k in window..<(window * 60) {
            map.removeValue(forKey: k - window)
            map[k] = k
            let growing = map.raw.isGrowing
            if growing && !wasGrowing && map.raw.h.pointee.sameSizeGrow { sameSizeGrows += 1 }
            wasGrowing = growing
        }
        #expect(map.raw.shape.B == B, "a steady count never doubles the array")
        #expect(sameSizeGrows >= 1)
        #expect(map.raw.invariantViolations() == [])
    }

    @Test func removeAllDuringGrowthDropsOldBuckets() throws {
        let f = try MapFixture()
        let map = f.wordMap()
        var k: UInt64 = 0
        while !map.raw.shape.isGrowing || map.raw.shape.B < 6 { map[k] = k; k += 1 }
        map.removeAll()
        #expect(!map.raw.shape.isGrowing && map.count == 0)
        #expect(map.raw.invariantViolations() == [])
        for q in 0..<k { #expect(map[q] == nil) }
    }

    /// String keys compare by content: a lookup with other bytes of the
    /// same text finds the key; against Dictionary<String, UInt64>.
    @Test func stringKeysAgreeWithDictionary() throws {
        let f = try MapFixture()
        let type = MapType.stringToPointer(heap: f.heap)
        let bytesType = f.heap.registerType(name: "string", size: 1)
        let map = BucketMap(type: type, mutator: f.mutator, seed: 3)
        var reference: [String: UInt64] = [:]
        var rng = SplitMix64(seed: 3)
        func text(_ k: UInt64) -> String { String(k % 3000, radix: 16) + (k % 7 == 0 ? "-long-key-\(k % 3000)" : "") }
        for step in 0..<40_000 {
            let k = rng.next() % 3000
            let t = text(k)
            var utf8 = Array(t.utf8)
            if rng.next() % 3 == 0 {
                let removed = utf8.withUnsafeBytes { map.removeValue(forString: $0.baseAddress!, count: $0.count) }
                #expect(removed == (reference.removeValue(forKey: t) != nil), "step \(step)")
            } else {
                // The key's bytes live on the lab heap, as Go's string would.
                let p = f.mutator.allocate(bytesType, count: utf8.count)
                p.copyMemory(from: &utf8, byteCount: utf8.count)
                map.updateValue(UInt64(step), forString: p, count: utf8.count)
                reference[t] = UInt64(step)
            }
            if step % 97 == 0 {
                let probe = Array(text(rng.next() % 3000).utf8)
                let got = probe.withUnsafeBytes { map.value(forString: $0.baseAddress!, count: $0.count) }
                #expect(got == reference[String(decoding: probe, as: UTF8.self)])
            }
        }
        #expect(map.count == reference.count && map.invariantViolations() == [])
    }

    @Test func headerAndBucketsLiveOnTheLabHeap() throws {
        let f = try MapFixture()
        let map = f.wordMap()
        map[1] = 1
        let header = try #require(f.heap.findObject(map.raw.headerAddress))
        #expect(header.typeID == f.wordType.headerType.id)
        let bucket = try #require(f.heap.findObject(map.raw.h.pointee.buckets!))
        #expect(bucket.typeID == f.wordType.bucket.id && bucket.size == 144)
        let descriptor = f.heap.typeDescriptor(f.wordType.bucket.id)
        #expect(descriptor.pointerWords == [] && bucket.span.spanClass.noscan,
                "pointer-free buckets are noscan, as Go's (the overflow word is a uintptr to the collector)")
        let ptrDescriptor = f.heap.typeDescriptor(f.pointerType.bucket.id)
        #expect(ptrDescriptor.pointerWords == [9, 10, 11, 12, 13, 14, 15, 16, 17])
        #expect(f.heap.typeDescriptor(f.wordType.headerType.id).pointerWords == [0, 1, 2])
    }
}
