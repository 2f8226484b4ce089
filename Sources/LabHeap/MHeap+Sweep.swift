// Sweeping: the heap's half of a collection. See MHeap.swift.

extension MHeap {
    /// Takes every span back from every MCache, as Go does when the world
    /// stops for a collection. No mutator may be allocating.
    public func releaseAllCaches() {
        let all = lock.withLock { caches }
        for state in all { MCache(state: state).releaseAll(heap: self) }
    }

    /// Before a sweep: spans back from every MCache, and each one's tiny
    /// block dropped (a census or relocation releases the spans only, so
    /// the lab's audits do not change what the program allocates next).
    func releaseAllCachesForSweep() {
        let all = lock.withLock { caches }
        for state in all {
            MCache(state: state).releaseAll(heap: self)
            MCache(state: state).dropTinyBlock()
        }
    }

    /// Sweeps the whole heap (world stopped): in every span the mark bits
    /// become the allocation bits and are cleared, so unmarked objects are
    /// freed; spans left empty go back to MHeap; unmarked large objects are
    /// freed with their span (Go's `mspan.sweep`, eagerly for all spans).
    @discardableResult
    public func sweep() -> SweepStats {
        releaseAllCachesForSweep()
        var stats = SweepStats()
        for central in centrals { central.sweepAll(into: &stats) }
        sweepLargeObjects(into: &stats)
        _checkInvariants()
        return stats
    }

    /// The lazy variant (world stopped, after a mark): large objects are swept
    /// now, small-object spans when an MCache next asks their MCentral for a
    /// span; `finishSweep()` sweeps what is left (before the next mark).
    @discardableResult
    public func sweepLazily() -> SweepStats {
        releaseAllCachesForSweep()
        var stats = SweepStats()
        for central in centrals { central.deferSweep() }
        sweepLargeObjects(into: &stats)
        return stats
    }

    /// Sweeps every span still waiting from a lazy sweep.
    @discardableResult
    public func finishSweep() -> SweepStats {
        var stats = SweepStats()
        for central in centrals { central.finishSweep(into: &stats) }
        _checkInvariants()
        return stats
    }

    /// Takes `spans` off their MCentral lists while `body` runs (so no
    /// allocation lands in them), then puts them back (world stopped, caches
    /// released).
    package func withSpansDetached(_ spans: [Span], _ body: () -> Void) {
        for s in spans { centrals[Int(s.spanClass.rawValue)].detach(s.header) }
        body()
        for s in spans { centrals[Int(s.spanClass.rawValue)].uncacheSpan(s.header) }
    }

    /// Whether spans are waiting to be swept.
    public var hasUnsweptSpans: Bool { centrals.contains { $0.hasUnswept } }

    private func sweepLargeObjects(into stats: inout SweepStats) {
        lock.withLock {
            var survivors = SpanList()
            while let s = largeSpans.popFirst() {
                stats.spansSwept += 1
                if s.pointee.gcmarkBits[0] & 1 != 0 {
                    s.pointee.gcmarkBits[0] = 0
                    survivors.push(s)
                } else {
                    stats.spansFreed += 1
                    stats.objectsFreed += 1
                    stats.bytesFreed += s.pointee.bytes
                    s.pointee.allocCount = 0
                    freeSpanLocked(s)
                }
            }
            largeSpans = survivors
        }
    }
}

extension MCache {
    init(state: UnsafeMutablePointer<MCacheState>) { self.state = state }
}
