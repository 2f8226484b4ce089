import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct MHeapTests {
    /// Allocates `count` objects of every small class and checks each one.
    @Test func allocationsOfEveryClassAreDistinctAlignedZeroedAndFound() throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        for c in SizeClasses.all.dropFirst() {
            for noscan in [true, false] {
                let type = heap.registerType(name: "c\(c.index)", size: c.size, pointerWords: noscan ? [] : [0])
                #expect(type.spanClass == SpanClass(sizeClass: c.index, noscan: noscan))
                // Enough to need at least two refills.
                let count = c.objectsPerSpan * 2 + 3
                var seen = Set<UnsafeMutableRawPointer>()
                var spans = Set<Span>()
                for n in 0..<count {
                    let p = mutator.allocate(type)
                    #expect(seen.insert(p).inserted, "class \(c.index): address handed out twice")
                    #expect(Int(bitPattern: p) % 8 == 0)
                    let bytes = UnsafeMutableRawBufferPointer(start: p, count: c.size)
                    if bytes.contains(where: { $0 != 0 }) { Issue.record("class \(c.index): object \(n) not zeroed") }
                    // Scribble over the whole object so overlaps would show.
                    bytes.initializeMemory(as: UInt8.self, repeating: 0xA5)
                    guard let obj = heap.findObject(p) else {
                        Issue.record("class \(c.index): page map does not find \(p)")
                        continue
                    }
                    #expect(obj.address == p && obj.isAllocated && obj.typeID == type.id)
                    #expect(obj.span.spanClass == type.spanClass)
                    #expect(p >= obj.span.base && p + c.size <= obj.span.base + obj.span.bytes)
                    #expect((p - obj.span.base) % c.size == 0)
                    // Interior addresses find the same object.
                    #expect(heap.findObject(p + c.size - 1)?.address == p)
                    #expect(heap.findObject(p + c.size / 2)?.address == p)
                    spans.insert(obj.span)
                }
                let perSpan = c.objectsPerSpan
                #expect(spans.count == (count + perSpan - 1) / perSpan, "class \(c.index): MCache refills when its span is full")
            }
        }
        heap._checkInvariants()
        #expect(heap.invariantViolations().isEmpty)
        let st = heap.stats()
        #expect(st.liveObjects == SizeClasses.all.dropFirst().reduce(0) { $0 + 2 * ($1.objectsPerSpan * 2 + 3) })
        #expect(st.allocatedObjectsTotal == st.liveObjects)
        #expect(st.objectBytes == st.allocatedBytesTotal)
    }

    @Test func arraysAndLargeObjectsGetTheRightSpans() throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let bucket = heap.registerType(name: "bucket", size: 144, pointerWords: [17])
        let array = mutator.allocate(bucket, count: 4)  // 576 B → class 576
        let found = try #require(heap.findObject(array + 500))
        #expect(found.address == array && found.size == 576 && found.typeID == bucket.id)
        #expect(found.span.spanClass == SpanClass(sizeClass: SizeClasses.classIndex(forSize: 576), noscan: false))

        let big = mutator.allocate(bucket, count: 1000)  // 144000 B → large, 18 pages
        let obj = try #require(heap.findObject(big + 143_999))
        #expect(obj.address == big && obj.index == 0 && obj.span.spanClass.isLarge)
        #expect(obj.span.npages == 18 && obj.span.bytes == 18 * pageSize)
        #expect(heap.findObject(big + 18 * pageSize - 1)?.address == big, "tail of the last page is the object's")
        let raw = UnsafeRawBufferPointer(start: big, count: 144_000)
        #expect(!raw.contains { $0 != 0 }, "large object is zeroed")
        #expect(heap.invariantViolations().isEmpty)
    }

    /// Current Go's allocation headers: a pointer-holding object over 512 B
    /// takes 8 bytes more of its class, a noscan one does not, and past
    /// 32,760 B every object is large; without headers (Go 1.19) none of it.
    @Test func mallocHeadersMoveScanObjectsOver512BytesUpAClass() throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let pointers = heap.registerType(name: "*T", size: 8, pointerWords: [0], mallocHeader: true)
        let words = heap.registerType(name: "uint64", size: 8, mallocHeader: true)
        let old = heap.registerType(name: "*T (1.19)", size: 8, pointerWords: [0])
        func size(_ type: ObjectType, _ count: Int) throws -> Int {
            try #require(heap.findObject(mutator.allocate(type, count: count))).size
        }
        #expect(try size(pointers, 64) == 512, "512 B: the heap bitmap in the span, no header")
        #expect(try size(pointers, 65) == 576 && size(old, 65) == 576, "520 B + 8 still fits 576")
        #expect(try size(pointers, 2048) == 18_432 && size(old, 2048) == 16_384, "a 2048-table directory")
        #expect(try size(words, 2048) == 16_384, "noscan: no header")
        #expect(try size(pointers, 4095) == 32_768, "32,760 B + 8")
        let large = try #require(heap.findObject(mutator.allocate(words, count: 4096)))
        #expect(large.span.spanClass.isLarge && large.span.npages == 4, "32 KiB noscan is large with headers")
        let small = try #require(heap.findObject(mutator.allocate(heap.registerType(name: "u", size: 8), count: 4096)))
        #expect(!small.span.spanClass.isLarge, "and class 67 without")
        #expect(heap.invariantViolations().isEmpty)
    }

    @Test func addressesOutsideTheHeapAnswerNil() throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let type = heap.registerType(name: "x", size: 40000)
        _ = mutator.allocate(type)
        var local = 0
        withUnsafeMutablePointer(to: &local) { #expect(heap.findObject($0) == nil) }
        let outside = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        #expect(heap.findObject(outside) == nil)
        outside.deallocate()
        #expect(heap.findObject(UnsafeRawPointer(bitPattern: 8)!) == nil)
        #expect(heap.findObject(UnsafeRawPointer(bitPattern: UInt(1) << 60)!) == nil)
        #expect(heap.mark(UnsafeRawPointer(bitPattern: 4096)!) == false)
    }

    @Test func tailWasteIsNotAnObject() throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let type = heap.registerType(name: "c11", size: 144)  // 56 objects, 128 B tail
        let p = mutator.allocate(type)
        let span = try #require(heap.findObject(p)).span
        #expect(heap.findObject(span.base + 56 * 144) == nil)
        #expect(heap.findObject(span.base + 8191) == nil)
        #expect(heap.findObject(span.base + 55 * 144 + 143)?.index == 55)
    }

    /// Marks a random subset by hand; sweep must free exactly the rest.
    @Test(arguments: [ScavengePolicy.retain, .eager])
    func sweepFreesExactlyTheUnmarked(policy: ScavengePolicy) throws {
        let heap = try MHeap(.init(scavenge: policy))
        let mutator = heap.makeMutator()
        var rng = SplitMix64(seed: 42)
        let types = [8, 48, 144, 1024, 9000, 32768, 70000].map { heap.registerType(name: "t\($0)", size: $0) }
        var objects: [(UnsafeMutableRawPointer, ObjectType, UInt64)] = []
        for i in 0..<20_000 {
            let t = types[i % 7 == 6 ? (i % 70 == 6 ? 6 : Int(rng.next() % 6)) : Int(rng.next() % 6)]
            let p = mutator.allocate(t)
            let tag = rng.next()
            p.storeBytes(of: tag, as: UInt64.self)
            objects.append((p, t, tag))
        }
        let before = heap.stats()
        #expect(before.liveObjects == objects.count)
        var kept: [(UnsafeMutableRawPointer, ObjectType, UInt64)] = []
        var freedExpected = 0
        for o in objects {
            if rng.next() % 3 == 0 {
                #expect(heap.mark(o.0 + 7))  // interior pointer marks the whole object
                #expect(!heap.mark(o.0))     // already marked
                kept.append(o)
            } else {
                freedExpected += 1
            }
        }
        let sweep = heap.sweep()
        #expect(sweep.objectsFreed == freedExpected)
        let after = heap.stats()
        #expect(after.liveObjects == kept.count)
        #expect(after.inuseBytes < before.inuseBytes)
        #expect(after.sysBytes == before.sysBytes && after.idleBytes == after.sysBytes - after.inuseBytes)
        if policy == .retain {
            #expect(after.releasedBytes == before.releasedBytes, "retain keeps freed pages resident")
        } else {
            #expect(after.residentBytes == after.inuseBytes && after.releasedBytesTotal > 0, "eager releases them")
        }
        for o in kept {
            let obj = try #require(heap.findObject(o.0))
            #expect(obj.isAllocated && obj.address == o.0)
            #expect(o.0.load(as: UInt64.self) == o.2, "a marked object was overwritten")
            #expect(!obj.span.isMarked(obj.index), "sweep clears the mark bits")
        }
        // Freed slots are handed out again, zeroed; kept ones never.
        let keptSet = Set(kept.map { $0.0 })
        for i in 0..<20_000 {
            let t = types[i % 6]
            let p = mutator.allocate(t)
            #expect(!keptSet.contains(p), "a live object's slot was reused")
            if UnsafeRawBufferPointer(start: p, count: t.size).contains(where: { $0 != 0 }) {
                Issue.record("reused slot not zeroed (\(t.size) B)")
                break
            }
        }
        #expect(heap.invariantViolations().isEmpty)
    }

    /// Emptied spans give their pages back to the page allocator (they stay
    /// the heap's, resident); `scavenge()` releases them to the OS: the
    /// heap's resident bytes fall to its in-use bytes, and the kernel agrees.
    /// (Without huge pages: a transparent huge page backs its untouched
    /// neighbours too, which Go's accounting — and so the lab's — does not
    /// count; `kernelResidentBytes` shows it.)
    @Test func emptySpansReturnTheirPagesAndScavengeReleasesThem() throws {
        let heap = try MHeap(.init(hugePages: false))
        do {
            let mutator = heap.makeMutator()
            let type = heap.registerType(name: "blob", size: 512)
            // Written to, so the kernel backs them (fresh pages are not).
            for _ in 0..<40_000 { mutator.allocate(type).storeBytes(of: 1, as: UInt64.self) }  // ~20 MB
            let large = heap.registerType(name: "big", size: 1 << 20)
            for _ in 0..<8 { memset(mutator.allocate(large), 1, 1 << 20) }
        }
        let full = heap.stats()
        #expect(full.arena.activeBytes >= full.sysBytes, "every chunk is jemalloc's active memory")
        #expect(full.sysBytes % (4 << 20) == 0 && full.residentBytes >= full.inuseBytes)
        heap.sweep()  // nothing marked
        let swept = heap.stats()
        #expect(swept.liveObjects == 0 && swept.inuseBytes == 0 && swept.objectBytes == 0)
        #expect(swept.sysBytes == full.sysBytes && swept.idleBytes == swept.sysBytes)
        #expect(swept.residentBytes == full.residentBytes, "retain keeps the freed pages resident")
        #expect(swept.kernelResidentBytes >= 20_000_000 && swept.kernelResidentBytes <= swept.residentBytes,
                "the kernel holds the pages that held objects")
        let released = heap.scavenge()
        #expect(released == full.inuseBytes, "every page that held objects is released")
        let scavenged = heap.stats()
        #expect(scavenged.residentBytes == 0 && scavenged.releasedBytes == scavenged.sysBytes)
        #expect(scavenged.sysBytes == full.sysBytes, "the chunks stay the heap's, as Go's arenas")
        // Read back from the kernel (mincore), not from the lab's counters.
        #expect(scavenged.kernelResidentBytes == 0, "the kernel holds none of the heap's pages")
        #expect(heap.invariantViolations().isEmpty)
    }

    @Test func eagerPolicyReleasesPagesAtOnce() throws {
        let heap = try MHeap(.init(scavenge: .eager, dirtyDecayMs: 0, muzzyDecayMs: 0))
        if Jemalloc.isLinked { #expect(heap.arena.decayMs() == (0, 0)) }
        do {
            let mutator = heap.makeMutator()
            let type = heap.registerType(name: "blob", size: 256)
            for _ in 0..<50_000 { _ = mutator.allocate(type) }
        }
        let full = heap.stats()
        heap.sweep()
        let swept = heap.stats()
        #expect(swept.residentBytes == 0 && swept.releasedBytesTotal == full.inuseBytes)
    }

    @Test func retainLimitBoundsTheResidentFreePages() throws {
        let heap = try MHeap(.init(scavenge: .retain, retainLimitBytes: 1 << 20))
        do {
            let mutator = heap.makeMutator()
            let type = heap.registerType(name: "blob", size: 1024)
            for _ in 0..<10_000 { _ = mutator.allocate(type) }
        }
        heap.sweep()
        let st = heap.stats()
        let kept = st.residentBytes - st.inuseBytes
        #expect(kept <= 1 << 20 && kept > (1 << 20) - 8 * pageSize)
        #expect(st.releasedBytesTotal > 0)
    }

    /// Freed pages serve spans of any size: after one-page spans are swept,
    /// a 40-page large object and spans of other classes take the same pages
    /// (lowest address first), and the heap does not grow.
    @Test func freedPagesServeSpansOfAnySize() throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let a = heap.registerType(name: "a", size: 64)
        var first: UnsafeMutableRawPointer? = nil
        for i in 0..<(128 * 100) {
            let p = mutator.allocate(a)
            p.storeBytes(of: UInt64.max, as: UInt64.self)
            if i == 0 { first = p }
        }
        let full = heap.stats()
        heap.sweep()
        let big = heap.registerType(name: "big", size: 40 * pageSize)
        let p = mutator.allocate(big)
        #expect(p == first, "the lowest free run that fits, where the first span was")
        #expect(!UnsafeRawBufferPointer(start: p, count: 40 * pageSize).contains { $0 != 0 }, "reused pages zeroed")
        let b = heap.registerType(name: "b", size: 96)
        for _ in 0..<(85 * 50) {
            let q = mutator.allocate(b)
            #expect(q.load(as: UInt64.self) == 0)
        }
        #expect(heap.stats().sysBytes == full.sysBytes, "no new chunk")
        #expect(heap.invariantViolations().isEmpty)
    }

    @Test func largeObjectsSweepWithTheirMarks() throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let big = heap.registerType(name: "big", size: 100_000)
        let keep = mutator.allocate(big)
        let drop = mutator.allocate(big)
        #expect(heap.mark(keep + 99_999))
        let sweep = heap.sweep()
        #expect(sweep.objectsFreed == 1 && sweep.bytesFreed == 13 * pageSize)
        #expect(heap.findObject(keep)?.isAllocated == true)
        #expect(heap.findObject(drop) == nil)
        #expect(heap.stats().liveObjects == 1)
        heap.sweep()  // unmarked now
        #expect(heap.stats().liveObjects == 0)
    }

    @Test func statsAddUp() throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let t = heap.registerType(name: "t", size: 20)  // class 24
        for _ in 0..<1000 { _ = mutator.allocate(t) }
        var st = heap.stats()
        #expect(st.liveObjects == 1000 && st.objectBytes == 24_000)
        #expect(st.allocatedObjectsTotal == 1000 && st.allocatedBytesTotal == 24_000)
        #expect(st.inuseBytes == 3 * pageSize, "341 objects per span → 3 spans")
        #expect(st.metadataBytes > 0 && st.rssBytes > 0)
        heap.sweep()
        for _ in 0..<10 { _ = mutator.allocate(t) }
        st = heap.stats()
        #expect(st.liveObjects == 10 && st.allocatedObjectsTotal == 1010 && st.allocatedBytesTotal == 1010 * 24)
    }

    @Test func mutatorsThatEndKeepTheirTotals() throws {
        let heap = try MHeap()
        let t = heap.registerType(name: "t", size: 32)
        for _ in 0..<3 {
            let m = heap.makeMutator()
            for _ in 0..<300 { _ = m.allocate(t) }
        }
        let st = heap.stats()
        #expect(st.allocatedObjectsTotal == 900 && st.liveObjects == 900)
        #expect(heap.invariantViolations().isEmpty)
    }

    @Test func twoMutatorsAllocateConcurrently() throws {
        let heap = try MHeap()
        let types = [16, 48, 144, 2048, 40_000].map { heap.registerType(name: "t\($0)", size: $0) }
        let perThread = 60_000
        let addresses = Locked<[[UInt]]>([])
        runConcurrently(2) { thread in
            let mutator = heap.makeMutator()
            var mine: [UInt] = []
            var rng = SplitMix64(seed: UInt64(thread))
            for i in 0..<perThread {
                let t = types[i % 100 == 0 ? 4 : Int(rng.next() % 4)]
                let p = mutator.allocate(t)
                p.storeBytes(of: UInt64(thread), as: UInt64.self)
                mine.append(UInt(bitPattern: p))
            }
            addresses.withLock { $0.append(mine) }
        }
        let all = addresses.withLock { $0 }
        #expect(all.count == 2)
        #expect(Set(all.joined()).count == 2 * perThread, "no address was handed to both threads")
        for (thread, list) in all.enumerated() {
            let owner = UnsafeRawPointer(bitPattern: list[0])!.load(as: UInt64.self)
            for a in list where UnsafeRawPointer(bitPattern: a)!.load(as: UInt64.self) != owner {
                Issue.record("thread \(thread): object overwritten by the other thread")
                break
            }
        }
        let st = heap.stats()
        #expect(st.liveObjects == 2 * perThread && st.allocatedObjectsTotal == 2 * perThread)
        #expect(heap.invariantViolations().isEmpty)
        heap.sweep()
        #expect(heap.stats().liveObjects == 0)
    }

    /// Rounds of two threads allocating into one heap, each round's objects
    /// half kept (pinned) and half dropped, with a collection between rounds.
    /// Run under ThreadSanitizer by scripts/sanitize.
    @Test func twoMutatorsWithCollectionsBetweenRounds() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let types = [24, 48, 512, 40_000].map { heap.registerType(name: "t\($0)", size: $0) }
        var kept: [(UInt, UInt64)] = []
        for round in 0..<6 {
            let made = Locked<[(UInt, UInt64)]>([])
            runConcurrently(2) { thread in
                let mutator = heap.makeMutator()
                var mine: [(UInt, UInt64)] = []
                var rng = SplitMix64(seed: UInt64(round * 2 + thread))
                for i in 0..<20_000 {
                    let p = mutator.allocate(types[i % 97 == 0 ? 3 : Int(rng.next() % 3)])
                    let tag = rng.next()
                    p.storeBytes(of: tag, as: UInt64.self)
                    mine.append((UInt(bitPattern: p), tag))
                }
                made.withLock { $0 += mine }
            }
            let all = made.withLock { $0 }
            #expect(Set(all.map(\.0)).count == all.count)
            for (i, o) in all.enumerated() where i % 2 == 0 {
                heap.roots.pin(UnsafeRawPointer(bitPattern: o.0)!)
                kept.append(o)
            }
            let cycle = collector.collect()
            #expect(cycle.objectsFreed >= all.count / 2 - 1)
            for (a, tag) in kept where UnsafeRawPointer(bitPattern: a)!.load(as: UInt64.self) != tag {
                Issue.record("round \(round): a kept object was overwritten")
                break
            }
            #expect(heap.objectCensus().objects == kept.count)
            #expect(heap.invariantViolations().isEmpty)
        }
    }

    @Test func teardownDestroysTheArena() throws {
        // Each heap's arena is destroyed with it, so jemalloc reuses the slot
        // instead of growing its arena count by one per heap.
        let start = Jemalloc.arenaCount
        for _ in 0..<200 {
            let heap = try MHeap()
            let m = heap.makeMutator()
            _ = m.allocate(heap.registerType(name: "t", size: 64))
        }
        #expect(Jemalloc.arenaCount - start < 50)
    }

    @Test func invariantCheckerCatchesCorruption() throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let p = mutator.allocate(heap.registerType(name: "t", size: 64))
        #expect(heap.invariantViolations().isEmpty)
        let span = try #require(heap.findObject(p)).span
        span.header.pointee.allocCount += 1
        #expect(heap.invariantViolations().contains { $0.contains("allocCount") })
        span.header.pointee.allocCount -= 1
        heap.inuseSpanBytes += pageSize
        #expect(heap.invariantViolations().contains { $0.contains("in-use bytes") })
        heap.inuseSpanBytes -= pageSize
        #expect(heap.invariantViolations().isEmpty)
    }

    /// What marking reads of a span sits in one 128-byte pair of lines: the
    /// fields in the first, the bitmaps of spans of up to 256 slots in the
    /// second (Span.swift); larger spans keep them with their type ids.
    @Test func aMarkReadsOneLinePairOfTheSpanHeader() throws {
        #expect(MemoryLayout<SpanHeader>.offset(of: \SpanHeader.typeIDs)! + 8 <= 64)
        #expect(MemoryLayout<SpanHeader>.offset(of: \SpanHeader.inlineBitmaps)! == 64)
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        for size in [8, 48, 1024, 40_000] {
            let object = mutator.allocate(heap.registerType(name: "s\(size)", size: size))
            let span = try #require(heap.findObject(object)).span
            #expect(Int(bitPattern: span.header) % 128 == 0)
            let inline = SpanHeader.inlineBitmaps(of: span.header)
            #expect((span.header.pointee.allocBits == inline) == (span.nelems <= 256), "\(size)-byte objects")
            #expect(span.header.pointee.gcmarkBits == span.header.pointee.allocBits + (span.nelems + 63) / 64)
            #expect(span.isAllocated(span.objectIndex(of: object)!))
        }
        #expect(heap.invariantViolations() == [])
    }
}
