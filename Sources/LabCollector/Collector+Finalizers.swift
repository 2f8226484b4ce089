// Finalizers and cleanups: Go's runtime.SetFinalizer (mfinal.go) and
// runtime.AddCleanup (mcleanup.go, Go 1.24+). See Collector.swift for the
// overview.
//
// Go keeps both as specials on the object's span. The lab keeps them here,
// by object address, and follows Go's three rules:
// - Every cycle, a finalizable object's pointers are roots, the object itself
//   is not (mgcmark.go, markrootSpans: `scanobject(p)` of the object, "but
//   *not* the object itself or we'll never collect it"). So everything it
//   reaches survives, and the object is marked only if something else
//   reaches it — including itself, through what it reaches: an object in a
//   cycle with what it points to stays marked, its finalizer never runs, and
//   the cycle is never freed.
// - A cleanup's function is the root (markrootSpans: "The special itself is
//   a root"), and its closure holds `arg`: `arg` survives, the object does
//   not (mheap.go, freeSpecial: "Cleanups, unlike finalizers, do not
//   resurrect the objects they're attached to").
// - A cycle that finds a finalizable object unmarked marks it (mgcsweep.go,
//   sweep: "Stop freeing of object if it has a finalizer"), drops the special
//   and queues the finalizer with the object; one that finds a cleanup's
//   object unmarked drops the special and queues the function. The queue is
//   a root (mgcmark.go, markroot: the finalizer queue's blocks; the cleanup
//   queue's closures): a queued finalizer's object, and a queued cleanup's
//   arg, survive every cycle until the function has run.
// Go runs queued functions on a goroutine of their own; the lab runs them at
// the mutator's next safe point (`safePoint()`), where Go's program would
// wait for them (`<-done`). An object whose finalizer has run has no special
// left: a later cycle frees it if nothing reaches it. So a map held by a
// finalizable wrapper outlives its drop by one cycle at least, and a map
// given to a cleanup as `arg` just as long.

import LabHeap

/// The finalizers and cleanups in force, and those queued to run.
struct Specials {
    /// Finalizable objects (their base addresses) and their finalizers.
    var finalizers: [UInt: () -> Void] = [:]
    /// Objects with cleanups: each cleanup's `arg` addresses and function.
    var cleanups: [UInt: [(arg: [UInt], run: () -> Void)]] = [:]
    /// Found unreachable, not yet run: what each keeps alive meanwhile (a
    /// finalizer's object, a cleanup's arg) and the function.
    var queue: [(keeps: [UInt], run: () -> Void)] = []

    /// Addresses to mark from, as roots: cleanups' args and what queued
    /// functions keep.
    var roots: [UInt] {
        var out: [UInt] = []
        for list in cleanups.values { for c in list { out += c.arg } }
        for q in queue { out += q.keeps }
        return out
    }

    /// Finalizable objects, to scan without marking them.
    var finalizable: [UInt] { finalizers.keys.sorted() }
}

extension Collector {
    /// Go's `runtime.SetFinalizer(object, f)`: `body` runs at a safe point
    /// after the first cycle that finds `object` unreachable; the object and
    /// everything it reaches are kept until then, and the object for one
    /// cycle more. `object` must be the start of an allocated object with
    /// no finalizer yet (Go panics otherwise).
    public func setFinalizer(_ object: UnsafeRawPointer, _ body: @escaping () -> Void) {
        let address = objectBase(object, "SetFinalizer")
        precondition(specials.finalizers[address] == nil, "runtime.SetFinalizer: finalizer already set")
        specials.finalizers[address] = body
    }

    /// Go's `runtime.AddCleanup(object, f, arg)`: `body` runs at a safe point
    /// after the first cycle that finds the object containing `object`
    /// unreachable, and that cycle frees it; the objects containing `arg`
    /// are kept until `body` has run (if they reach the object, it is never
    /// freed). `object` may point inside its object (mcleanup.go: AddCleanup
    /// finds the containing object; Go records the offset, the lab keys the
    /// cleanup by the object's base, which frees alike), and no
    /// `arg` may point into it, unless it is a block of the tiny allocator's
    /// span class (AddCleanup: "ptr is within arg").
    public func addCleanup(_ object: UnsafeRawPointer, arg: [UnsafeRawPointer], _ body: @escaping () -> Void) {
        precondition(!arg.contains { $0 == object }, "runtime.AddCleanup: ptr is equal to arg, cleanup will never run")
        guard let (span, index) = self.object(at: UInt(bitPattern: object)) else {
            preconditionFailure("runtime.AddCleanup: ptr not in allocated block")
        }
        let address = UInt(bitPattern: span.objectAddress(index))
        // Go's tinySpanClass: the noscan spans of the 16-byte class.
        if !(span.spanClass.noscan && span.elemsize == ObjectType.maxTinySize) {
            precondition(!arg.contains { UInt(bitPattern: $0) >= address && UInt(bitPattern: $0) < address + UInt(span.elemsize) },
                         "runtime.AddCleanup: ptr is within arg, cleanup will never run")
        }
        specials.cleanups[address, default: []].append((arg.map { UInt(bitPattern: $0) }, body))
    }

    /// Finalizers and cleanups set and not yet queued.
    public var specialCount: Int { specials.finalizers.count + specials.cleanups.values.reduce(0) { $0 + $1.count } }

    /// Finalizers and cleanups a cycle has queued and that have not run.
    public var queuedFinalizers: Int { specials.queue.count }

    /// Runs the queued finalizers and cleanups, in the order they were
    /// queued (Go's finalizer goroutine; `safePoint()` calls it). Returns
    /// how many ran. A function may set new finalizers; those wait for a
    /// cycle.
    @discardableResult
    public func runFinalizers() -> Int {
        let queue = specials.queue
        specials.queue = []
        for q in queue { q.run() }
        return queue.count
    }

    /// After a mark (world stopped, before the sweep): finalizable objects
    /// left unmarked are marked and their finalizers queued; cleanups of
    /// unmarked objects are queued and their objects left to the sweep
    /// (mgcsweep.go, mspan.sweep's specials loop; mheap.go, freeSpecial).
    func queueUnreachableSpecials(_ result: inout MarkResult) {
        for address in specials.finalizers.keys.sorted() {
            guard let (span, index) = object(at: address), !span.isMarked(index) else { continue }
            span.setMarked(index)
            result.objects += 1
            result.bytes += span.elemsize
            specials.queue.append(([address], specials.finalizers.removeValue(forKey: address)!))
        }
        for address in specials.cleanups.keys.sorted() {
            guard let (span, index) = object(at: address), !span.isMarked(index) else { continue }
            for c in specials.cleanups.removeValue(forKey: address)! { specials.queue.append((c.arg, c.run)) }
        }
    }

    private func object(at address: UInt) -> (Span, Int)? {
        guard let raw = UnsafeRawPointer(bitPattern: address), let h = heap.pageMap.lookup(raw) else { return nil }
        let span = Span(h)
        guard let index = span.objectIndex(of: raw), span.isAllocated(index) else { return nil }
        return (span, index)
    }

    private func objectBase(_ object: UnsafeRawPointer, _ function: String) -> UInt {
        let address = UInt(bitPattern: object)
        guard let (span, index) = self.object(at: address) else {
            preconditionFailure("runtime.\(function): pointer not in allocated block")
        }
        precondition(UInt(bitPattern: span.objectAddress(index)) == address,
                     "runtime.\(function): pointer not at beginning of allocated block")
        return address
    }
}
