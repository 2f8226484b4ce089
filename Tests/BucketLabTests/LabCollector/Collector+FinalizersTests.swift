import Testing
@testable import LabHeap
@testable import LabCollector

/// Finalizers and cleanups follow Go's rules (Collector+Finalizers.swift): a
/// finalizable object and what it reaches outlive the cycle that finds it
/// unreachable, and a later one frees them once the finalizer has run; a
/// cleanup's object goes at once, its arg once the cleanup has run; a cycle
/// through a finalizable object is never freed, and the census says so.
@Suite struct FinalizersTests {
    struct Scene {
        let heap: MHeap
        let collector: Collector
        let mutator: Mutator
        /// One pointer word, then a word of data.
        let node: ObjectType
        let payload: ObjectType

        init(workers: Int) throws {
            heap = try MHeap()
            collector = Collector(heap: heap, gogc: nil, gcWorkers: workers)
            mutator = heap.makeMutator()
            node = heap.registerType(name: "node", size: 16, pointerWords: [0])
            payload = heap.registerType(name: "payload", size: 48)
        }

        /// A node pointing at `target` (nil: at nothing).
        func makeNode(to target: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer {
            let n = mutator.allocate(node)
            n.storeBytes(of: UInt(bitPattern: target), as: UInt.self)
            return n
        }

        func isAllocated(_ p: UnsafeMutableRawPointer) -> Bool { heap.findObject(p)?.isAllocated == true }
        func size(_ p: UnsafeMutableRawPointer) -> Int { heap.findObject(p)!.size }
    }

    @Test(arguments: [1, 2])
    func aFinalizableObjectOutlivesOneCycleAndTheNextAfterItsFinalizerRan(workers: Int) throws {
        let s = try Scene(workers: workers)
        let p = s.mutator.allocate(s.payload)
        let w = s.makeNode(to: p)
        var ran = 0
        s.collector.setFinalizer(w) { ran += 1 }
        // Reachable: nothing is queued.
        s.heap.roots.pin(w)
        s.collector.collect()
        #expect(s.collector.queuedFinalizers == 0 && s.collector.specialCount == 1)
        s.heap.roots.unpin(w)

        // The first cycle to find it unreachable keeps it and what it reaches.
        s.collector.collect()
        #expect(s.isAllocated(w) && s.isAllocated(p))
        #expect(s.collector.queuedFinalizers == 1 && s.collector.specialCount == 0 && ran == 0)
        let census = s.collector.census()
        #expect(census.bytes(retainedBy: .finalizer) == s.size(w) + s.size(p))
        // Queued, not run: another cycle keeps them still.
        s.collector.collect()
        #expect(s.isAllocated(w) && s.isAllocated(p))

        // The finalizer runs at a safe point; the next cycle frees both.
        s.collector.safePoint()
        #expect(ran == 1 && s.collector.queuedFinalizers == 0)
        s.collector.collect()
        #expect(!s.isAllocated(w) && !s.isAllocated(p))
        #expect(ran == 1)
    }

    @Test(arguments: [1, 2])
    func aCleanupFreesItsObjectAtOnceAndKeepsItsArgUntilItRan(workers: Int) throws {
        let s = try Scene(workers: workers)
        let p = s.mutator.allocate(s.payload)
        let arg = s.makeNode(to: p)
        let w = s.makeNode(to: arg)
        var ran = false
        s.collector.addCleanup(w, arg: [arg]) { ran = true }
        s.collector.collect()
        #expect(!s.isAllocated(w), "AddCleanup does not resurrect its object")
        #expect(s.isAllocated(arg) && s.isAllocated(p))
        #expect(s.collector.queuedFinalizers == 1 && !ran)
        #expect(s.collector.census().bytes(retainedBy: .finalizer) == s.size(arg) + s.size(p))
        s.collector.collect()
        #expect(s.isAllocated(arg), "kept while the cleanup is queued")
        #expect(s.collector.runFinalizers() == 1 && ran)
        s.collector.collect()
        #expect(!s.isAllocated(arg) && !s.isAllocated(p))
    }

    @Test(arguments: [1, 2])
    func aCycleThroughAFinalizableObjectIsNeverFreedAndIsChargedToIt(workers: Int) throws {
        let s = try Scene(workers: workers)
        let w = s.makeNode(to: nil)
        let back = s.makeNode(to: w)
        w.storeBytes(of: UInt(bitPattern: back), as: UInt.self)
        var ran = false
        s.collector.setFinalizer(w) { ran = true }
        for _ in 0..<4 {
            s.collector.collect()
            s.collector.safePoint()
        }
        #expect(s.isAllocated(w) && s.isAllocated(back))
        #expect(!ran && s.collector.specialCount == 1 && s.collector.queuedFinalizers == 0)
        let census = s.collector.census()
        #expect(census.bytes(retainedBy: .finalizer) == s.size(w) + s.size(back))
        #expect(census.unreachedBytes == 0)
    }

    /// A cleanup whose arg reaches its object: the object is never freed
    /// (runtime.AddCleanup's documentation).
    @Test func aCleanupWhoseArgReachesItsObjectNeverRuns() throws {
        let s = try Scene(workers: 1)
        let w = s.makeNode(to: nil)
        let arg = s.makeNode(to: w)
        var ran = false
        s.collector.addCleanup(w, arg: [arg]) { ran = true }
        for _ in 0..<3 {
            s.collector.collect()
            s.collector.safePoint()
        }
        #expect(s.isAllocated(w) && s.isAllocated(arg) && !ran)
    }
}
