import Testing
@testable import LabHeap
@testable import LabCollector

/// Go's mark overlapping the mutator, as the lab models it
/// (Collector+ConcurrentMark.swift).
@Suite struct ConcurrentMarkTests {
    static let objectBytes = 48

    /// A heap with nothing reachable, whose collector opens its mark for
    /// `rootScanBytes` operations (one byte of scan work per operation).
    func garbageHeap(windowOps: Int) throws -> (MHeap, Collector, Mutator, ObjectType) {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: 100, gcWorkers: 1)
        collector.concurrentMark = ConcurrentMark(scannedBytesPerOp: 1, rootScanBytes: windowOps)
        let mutator = heap.makeMutator()
        let type = heap.registerType(name: "garbage", size: Self.objectBytes)
        return (heap, collector, mutator, type)
    }

    /// Allocates garbage, one object per operation, until the pacer opens a
    /// cycle; returns the objects allocated before it.
    func allocateUntilTheMarkOpens(_ collector: Collector, _ mutator: Mutator, _ type: ObjectType) -> Int {
        var before = 0
        while collector.openCycle == nil {
            _ = mutator.allocate(type)
            before += 1
            #expect(collector.safePoint() == nil)
        }
        return before
    }

    @Test func whatTheMutatorAllocatesDuringTheMarkIsKeptByThatCycleOnly() throws {
        let (heap, collector, mutator, type) = try garbageHeap(windowOps: 1000)
        let before = allocateUntilTheMarkOpens(collector, mutator, type)
        #expect(heap.isAllocatingBlack)
        // The mark found nothing; the next 1,000 operations run beside it.
        var finished: CycleStats?
        var ops = 0
        while finished == nil {
            _ = mutator.allocate(type)
            ops += 1
            finished = collector.safePoint()
        }
        let cycle = try #require(finished)
        #expect(ops == 1000 && cycle.overlapOps == 1000)
        #expect(cycle.reason == .pacer && cycle.objectsMarked == 0)
        #expect(cycle.allocatedBlackBytes == 1000 * Self.objectBytes)
        #expect(cycle.heapAfterBytes == 1000 * Self.objectBytes, "Go's heapMarked counts black objects")
        #expect(cycle.objectsFreed == before, "everything allocated before the mark is freed")
        #expect(cycle.nextGoalBytes == collector.goal(forMarked: 1000 * Self.objectBytes))
        #expect(!heap.isAllocatingBlack)
        #expect(heap.objectCensus().objects == 1000)
        // The next cycle frees them: they were garbage all along.
        let next = collector.collect()
        #expect(next.objectsFreed == 1000 && next.heapAfterBytes == 0)
        #expect(heap.objectCensus().objects == 0)
    }

    @Test func whatDiesDuringTheMarkIsFloatingGarbageUntilTheNextCycle() throws {
        let (heap, collector, mutator, type) = try garbageHeap(windowOps: 100)
        let kept = mutator.allocate(type)
        heap.roots.pin(kept)
        _ = allocateUntilTheMarkOpens(collector, mutator, type)
        // Dropped after the mark began: the cycle still keeps it, as Go's
        // deletion barrier does.
        heap.roots.unpin(kept)
        var finished: CycleStats?
        while finished == nil { finished = collector.safePoint() }
        #expect(finished?.objectsMarked == 1 && finished?.allocatedBlackBytes == 0)
        #expect(heap.findObject(kept)?.isAllocated == true)
        collector.collect()
        #expect(heap.findObject(kept)?.isAllocated != true)
    }

    /// Like Go's runtime.GC(), an explicit collection first finishes the
    /// cycle in progress, then runs a whole one of its own.
    @Test func anExplicitCollectionFinishesTheOpenCycleFirst() throws {
        let (heap, collector, mutator, type) = try garbageHeap(windowOps: 1000)
        _ = allocateUntilTheMarkOpens(collector, mutator, type)
        for _ in 0..<10 { _ = mutator.allocate(type); #expect(collector.safePoint() == nil) }
        let explicit = collector.collect()
        #expect(collector.openCycle == nil && !heap.isAllocatingBlack)
        let reasons = collector.trace.suffix(2).map(\.reason)
        #expect(reasons == [.pacer, .explicit])
        #expect(collector.trace.suffix(2).first?.overlapOps == 10)
        #expect(collector.trace.suffix(2).first?.allocatedBlackBytes == 10 * Self.objectBytes)
        #expect(explicit.heapAfterBytes == 0 && explicit.overlapOps == 0 && explicit.allocatedBlackBytes == 0)
    }

    /// A mark longer than the heap's headroom ends when the heap reaches its
    /// goal: past it Go's assists make the mutator finish the mark.
    @Test func theMarkEndsAtTheGoalAtTheLatest() throws {
        let (heap, collector, mutator, type) = try garbageHeap(windowOps: 1 << 40)
        _ = allocateUntilTheMarkOpens(collector, mutator, type)
        let goal = collector.goal(forMarked: 0)
        var finished: CycleStats?
        while finished == nil {
            _ = mutator.allocate(type)
            finished = collector.safePoint()
            if finished == nil { #expect(heap.heapLiveEstimate < goal) }
        }
        #expect(finished!.overlapOps < 1 << 40)
        #expect(finished!.overlapOps > 0 && finished!.allocatedBlackBytes > 0)
    }

    /// Dropping the model mid-mark finishes the open cycle; cycles are whole
    /// again after it.
    @Test func turningTheModelOffFinishesTheOpenCycle() throws {
        let (heap, collector, mutator, type) = try garbageHeap(windowOps: 1000)
        _ = allocateUntilTheMarkOpens(collector, mutator, type)
        collector.concurrentMark = nil
        #expect(collector.openCycle == nil && !heap.isAllocatingBlack)
        #expect(collector.trace.last?.reason == .pacer)
        var whole: CycleStats?
        while whole == nil { _ = mutator.allocate(type); whole = collector.safePoint() }
        #expect(whole?.overlapOps == 0 && whole?.allocatedBlackBytes == 0)
    }
}
