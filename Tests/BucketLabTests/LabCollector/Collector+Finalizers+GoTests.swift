import Foundation
import Testing
@testable import LabHeap
@testable import LabCollector

/// Ports of Go 1.27.3's src/runtime/mfinal_test.go and mcleanup_test.go to
/// the lab's finalizers and cleanups (Collector+Finalizers.swift). Adapted
/// throughout: Go's goroutine that allocates and drops the object is the
/// test body (the object is reachable from no root); `runtime.GC()` is
/// `collect()`; the finalizer goroutine's run that Go's test waits for
/// (`<-ch`) is `safePoint()`; a cleanup's non-pointer `arg` is captured by
/// the Swift closure, a pointer `arg` is the lab's `arg` list.
@Suite struct FinalizersGoTests {
    struct Scene {
        let heap: MHeap
        let collector: Collector
        let mutator: Mutator
        /// Go's `struct { v int; p unsafe.Pointer }`: a pointer word keeps
        /// it off the tiny allocator.
        let t: ObjectType

        init() throws {
            heap = try MHeap()
            collector = Collector(heap: heap, gogc: nil)
            mutator = heap.makeMutator()
            t = heap.registerType(name: "T", size: 16, pointerWords: [1])
        }

        /// `v := &new(T).v; *v = 97531`.
        func newT() -> UnsafeMutableRawPointer {
            let v = mutator.allocate(t)
            v.storeBytes(of: 97531, as: Int.self)
            return v
        }

        func isAllocated(_ p: UnsafeRawPointer) -> Bool { heap.findObject(p)?.isAllocated == true }
    }

    // Go: runtime/mfinal_test.go TestFinalizerType (go1.27.3). Adapted: one
    // of Go's six finalizer shapes (the lab has no Go types to convert
    // between): the finalizer runs after one GC and sees 97531 in its object.
    @Test func finalizerType() throws {
        let s = try Scene()
        var seen: [Int] = []
        do {
            let v = s.newT()
            s.collector.setFinalizer(v) { seen.append(v.load(as: Int.self)) }
        }
        s.collector.collect()
        s.collector.safePoint()
        #expect(seen == [97531])
    }

    // Go: runtime/mfinal_test.go TestFinalizerInterfaceBig (go1.27.3). A
    // finalizer sees its object as it was, including the string the object
    // points to. Adapted: `bigValue{fill uint64; it bool; up string}` with
    // the string's bytes a lab heap object only the object reaches.
    @Test func finalizerInterfaceBig() throws {
        let s = try Scene()
        let bigValue = s.heap.registerType(name: "bigValue", size: 32, pointerWords: [2])
        let text = Array("It matters not how strait the gate".utf8)
        let bytes = s.heap.registerType(name: "[34]byte", size: text.count)
        var ok = false
        var upBytes: UnsafeMutableRawPointer?
        do {
            let v = s.mutator.allocate(bigValue)
            let up = s.mutator.allocate(bytes)
            up.copyMemory(from: text, byteCount: text.count)
            v.storeBytes(of: 0xDEAD_BEEF_DEAD_BEEF as UInt64, as: UInt64.self)
            v.storeBytes(of: 1, toByteOffset: 8, as: UInt8.self)
            v.storeBytes(of: up, toByteOffset: 16, as: UnsafeMutableRawPointer.self)
            v.storeBytes(of: text.count, toByteOffset: 24, as: Int.self)
            upBytes = up
            s.collector.setFinalizer(v) {
                let p = v.load(fromByteOffset: 16, as: UnsafeRawPointer.self)
                let n = v.load(fromByteOffset: 24, as: Int.self)
                ok = v.load(as: UInt64.self) == 0xDEAD_BEEF_DEAD_BEEF && v.load(fromByteOffset: 8, as: UInt8.self) == 1
                    && n == text.count && Array(UnsafeRawBufferPointer(start: p, count: n)) == text
            }
        }
        s.collector.collect()
        #expect(s.isAllocated(upBytes!), "what the object reaches survives the cycle that queued it")
        s.collector.safePoint()
        #expect(ok)
    }

    // Go: runtime/mcleanup_test.go TestCleanup (go1.27.3): one GC runs the
    // cleanup with its arg, and (lab) that cycle freed the object.
    @Test func cleanup() throws {
        let s = try Scene()
        var got: [Int] = []
        let v = s.newT()
        let arg = 97531
        s.collector.addCleanup(v, arg: []) { got.append(arg) }
        s.collector.collect()
        #expect(!s.isAllocated(v))
        s.collector.safePoint()
        #expect(got == [97531])
    }

    // Go: runtime/mcleanup_test.go TestCleanupMultiple (go1.27.3): three
    // cleanups on one object all run after one GC.
    @Test func cleanupMultiple() throws {
        let s = try Scene()
        var got: [Int] = []
        let v = s.newT()
        for _ in 0..<3 { s.collector.addCleanup(v, arg: []) { got.append(97531) } }
        #expect(s.collector.specialCount == 3)
        s.collector.collect()
        #expect(s.collector.queuedFinalizers == 3)
        s.collector.safePoint()
        #expect(got == [97531, 97531, 97531] && s.collector.specialCount == 0)
    }

    // Go: runtime/mcleanup_test.go TestCleanupAfterFinalizer (go1.27.3): an
    // object with a cleanup and a finalizer: the first GC runs the
    // finalizer only (it resurrects the object; the cleanup's special
    // stays, mgcsweep.go sweep), the second the cleanup, which frees it.
    @Test func cleanupAfterFinalizer() throws {
        let s = try Scene()
        var order: [Int] = []
        let v = s.newT()
        s.collector.addCleanup(v, arg: []) { order.append(2) }
        s.collector.setFinalizer(v) { order.append(1) }
        s.collector.collect()
        #expect(s.isAllocated(v) && s.collector.queuedFinalizers == 1 && s.collector.specialCount == 1)
        s.collector.safePoint()
        #expect(order == [1])
        s.collector.collect()
        #expect(!s.isAllocated(v))
        s.collector.safePoint()
        #expect(order == [1, 2])
    }

    // Go: runtime/mcleanup_test.go TestCleanupInteriorPointer (go1.27.3):
    // cleanups on three fields of one object (`struct { p unsafe.Pointer;
    // i, a, b, c int }`) all run after one GC.
    @Test func cleanupInteriorPointer() throws {
        let s = try Scene()
        let t = s.heap.registerType(name: "T5", size: 40, pointerWords: [0])
        var got: [Int] = []
        let ts = s.mutator.allocate(t)
        for field in 2...4 {
            ts.storeBytes(of: 97531, toByteOffset: 8 * field, as: Int.self)
            let x = ts.load(fromByteOffset: 8 * field, as: Int.self)
            s.collector.addCleanup(ts + 8 * field, arg: []) { got.append(x) }
        }
        #expect(s.collector.specialCount == 3)
        s.collector.collect()
        #expect(!s.isAllocated(ts))
        s.collector.safePoint()
        #expect(got == [97531, 97531, 97531])
    }

    // Go: runtime/mcleanup_test.go TestCleanupLost (go1.27.3): with -short,
    // 100 cleanups per P (2 here) on objects dropped at once; one GC and
    // the cleanup queue drained run every one. Adapted: the goroutines
    // allocate one after another.
    @Test func cleanupLost() throws {
        let s = try Scene()
        var got = 0
        for _ in 0..<2 {
            for _ in 0..<100 { s.collector.addCleanup(s.newT(), arg: []) { got += 1 } }
        }
        s.collector.collect()
        #expect(s.collector.runFinalizers() == 200)
        #expect(got == 200 && s.collector.queuedFinalizers == 0 && s.collector.specialCount == 0)
    }

    // Go: runtime/mcleanup_test.go TestCleanupPointerEqualsArg and
    // TestCleanupUnreachablePointer (go1.27.3): AddCleanup panics when its
    // arg is the pointer, or points into the object (it would keep the
    // object alive and the cleanup would never run). Adapted: a failed
    // precondition stops a child process with Go's panic message.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["BUCKETLAB_SYSTEM_PAGES"] == nil, "the plain run checks it; a sanitizer's own reports share the child's stderr"))
    func cleanupPointerEqualsArg() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let s = try Scene()
            let v = s.newT()
            s.collector.addCleanup(v, arg: [v]) {}
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("runtime.AddCleanup: ptr is equal to arg, cleanup will never run"), "\(stderr)")
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["BUCKETLAB_SYSTEM_PAGES"] == nil, "the plain run checks it; a sanitizer's own reports share the child's stderr"))
    func cleanupUnreachablePointer() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let s = try Scene()
            // `struct { p *byte; f int }`: arg is &v.f.
            let v = s.mutator.allocate(s.heap.registerType(name: "T", size: 16, pointerWords: [0]))
            s.collector.addCleanup(v, arg: [v + 8]) {}
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("runtime.AddCleanup: ptr is within arg, cleanup will never run"), "\(stderr)")
    }
}
