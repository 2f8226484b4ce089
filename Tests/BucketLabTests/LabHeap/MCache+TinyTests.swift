import Testing
@testable import LabHeap
@testable import LabCollector

/// Go's tiny allocator (Mutator.allocateTiny): placement and alignment as
/// mallocgc's tiny path, a block kept while any object in it is reachable,
/// the current block dropped by each sweep.
@Suite struct TinyAllocatorTests {
    @Test func packsAndAlignsAsMallocgc() throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let a = mutator.allocateTiny(1)
        let b = mutator.allocateTiny(4)   // aligned to 4
        let c = mutator.allocateTiny(8)   // aligned to 8
        #expect(b == a + 4 && c == a + 8)
        let block = try #require(heap.findObject(a))
        #expect(block.size == ObjectType.maxTinySize && heap.findObject(c) == block)
        // Full: a new block, which becomes the current one (more room left).
        let d = mutator.allocateTiny(2)
        #expect(heap.findObject(d) != block && mutator.allocateTiny(2) == d + 2)
    }

    @Test func aNewBlockWithLessRoomDoesNotReplaceTheCurrent() throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let a = mutator.allocateTiny(8)
        let big = mutator.allocateTiny(12)  // does not fit: a block of its own
        #expect(heap.findObject(big) != heap.findObject(a))
        #expect(mutator.allocateTiny(8) == a + 8, "the first block still takes the next box")
    }

    @Test func aBlockLivesWhileAnyObjectInItIsReachable() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        let a = mutator.allocateTiny(8)
        a.storeBytes(of: 0xA, as: UInt64.self)
        let b = mutator.allocateTiny(8)
        b.storeBytes(of: 0xB, as: UInt64.self)
        heap.roots.pin(b)  // only the second box is reachable
        collector.collect()
        #expect(heap.findObject(a)?.isAllocated == true && a.load(as: UInt64.self) == 0xA)
        // The sweep dropped the current block: the next box starts another.
        let c = mutator.allocateTiny(8)
        #expect(heap.findObject(c) != heap.findObject(a))
        heap.roots.unpin(b)
        collector.collect()
        #expect(heap.findObject(a)?.isAllocated != true)
    }

    @Test func anObjectPlacedDuringABlackWindowKeepsItsBlock() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        collector.collect()
        let a = mutator.allocateTiny(8)  // before the mark: white, unreachable
        let block = try #require(heap.findObject(a))
        #expect(!block.span.isMarked(block.index))
        heap.allocatingBlack.store(true, ordering: .relaxed)
        _ = mutator.allocateTiny(8)
        heap.allocatingBlack.store(false, ordering: .relaxed)
        #expect(block.span.isMarked(block.index), "the write barrier would shade it")
    }
}
