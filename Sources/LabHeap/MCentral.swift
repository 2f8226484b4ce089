// MCentral: the spans of one span class that no MCache holds. See MHeap.swift
// for the overview.

/// One per span class (Go's `mcentral`): a partial list (spans with free slots),
/// a full list, and — between a lazy collection and the next — an unswept list,
/// behind a lock of its own so mutators refilling different classes do not
/// contend.
final class MCentral: @unchecked Sendable {
    let spanClass: SpanClass
    let lock = LabLock()
    var partial = SpanList()
    var full = SpanList()
    var unswept = SpanList()
    unowned(unsafe) let heap: MHeap

    init(spanClass: SpanClass, heap: MHeap) {
        self.spanClass = spanClass
        self.heap = heap
    }

    /// A span with at least one free slot, now owned by the calling MCache
    /// (Go's `mcentral.cacheSpan`): a swept partial span, else an unswept span
    /// swept now (lazy sweeping), else a new span from MHeap.
    func cacheSpan() -> UnsafeMutablePointer<SpanHeader> {
        let reused: UnsafeMutablePointer<SpanHeader>? = lock.withLock {
            if let s = partial.popFirst() { return s }
            while let s = unswept.popFirst() {
                _ = sweepSpan(s)
                if s.pointee.allocCount == 0 {
                    heap.freeSpan(s)
                } else if s.pointee.allocCount == s.pointee.nelems {
                    s.pointee.state = .full
                    full.push(s)
                } else {
                    return s
                }
            }
            return nil
        }
        let s = reused ?? heap.allocSpan(npages: SizeClasses.pages[spanClass.sizeClass], spanClass: spanClass)
        s.pointee.state = .cached
        s.pointee.allocCountAtCache = s.pointee.allocCount
        heap.noteAllocation(bytes: (s.pointee.nelems - s.pointee.allocCount) * s.pointee.elemsize)
        return s
    }

    /// Takes back a span an MCache no longer allocates from (Go's
    /// `mcentral.uncacheSpan`).
    func uncacheSpan(_ s: UnsafeMutablePointer<SpanHeader>) {
        lock.withLock { insertLocked(s) }
    }

    private func insertLocked(_ s: UnsafeMutablePointer<SpanHeader>) {
        if s.pointee.allocCount == s.pointee.nelems {
            s.pointee.state = .full
            full.push(s)
        } else {
            s.pointee.state = .partial
            partial.push(s)
        }
    }

    /// Sweeps every span of the class (world stopped, caches flushed): empty
    /// spans go back to MHeap, the rest onto the list their new count says.
    func sweepAll(into stats: inout SweepStats) {
        lock.withLock { sweepLocked(partial.takeAll() + full.takeAll() + unswept.takeAll(), into: &stats) }
    }

    /// Sweeps only the spans a lazy collection left unswept.
    func finishSweep(into stats: inout SweepStats) {
        lock.withLock { sweepLocked(unswept.takeAll(), into: &stats) }
    }

    private func sweepLocked(_ spans: [UnsafeMutablePointer<SpanHeader>], into stats: inout SweepStats) {
        for s in spans {
            let freed = sweepSpan(s)
            stats.spansSwept += 1
            stats.objectsFreed += freed
            stats.bytesFreed += freed * s.pointee.elemsize
            if s.pointee.allocCount == 0 {
                stats.spansFreed += 1
                heap.freeSpan(s)
            } else {
                insertLocked(s)
            }
        }
    }

    /// Takes a span off whichever list holds it; the caller owns it until it
    /// hands it back with `uncacheSpan`.
    func detach(_ s: UnsafeMutablePointer<SpanHeader>) {
        lock.withLock {
            switch s.pointee.state {
            case .partial: partial.remove(s)
            case .full: full.remove(s)
            case .unswept: unswept.remove(s)
            default: preconditionFailure("detaching a span in state \(s.pointee.state)")
            }
            s.pointee.state = .cached
        }
    }

    /// After a lazy collection's mark: every span waits to be swept when it
    /// is next needed.
    func deferSweep() {
        lock.withLock {
            for s in partial.takeAll() + full.takeAll() {
                s.pointee.state = .unswept
                unswept.push(s)
            }
        }
    }

    var hasUnswept: Bool { lock.withLock { !unswept.isEmpty } }

    func forEachSpan(_ body: (UnsafeMutablePointer<SpanHeader>) -> Void) {
        lock.withLock {
            partial.forEach(body)
            full.forEach(body)
            unswept.forEach(body)
        }
    }
}

/// Go's `mspan.sweep` for a small-object span: the mark bits become the alloc
/// bits, the mark bits are cleared for the next cycle, and allocation restarts
/// from slot 0. Returns the number of objects freed.
func sweepSpan(_ s: UnsafeMutablePointer<SpanHeader>) -> Int {
    let words = s.pointee.bitmapWords
    var marked = 0
    for w in 0..<words { marked += s.pointee.gcmarkBits[w].nonzeroBitCount }
    let freed = s.pointee.allocCount - marked
    s.pointee.allocBits.update(from: s.pointee.gcmarkBits, count: words)
    s.pointee.gcmarkBits.update(repeating: 0, count: words)
    s.pointee.allocCount = marked
    s.pointee.freeindex = 0
    s.pointee.refillAllocCache(at: 0)
    if freed > 0 { s.pointee.needzero = true }
    #if BUCKETLAB_SYSTEM_PAGES
    if freed > 0 { Poison.poisonFreeSlots(s) }
    #endif
    return freed
}
