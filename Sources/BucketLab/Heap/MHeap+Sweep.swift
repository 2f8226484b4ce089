// Sweeping: the heap's half of a collection. See MHeap.swift.

extension MHeap {
    /// Takes every span back from every MCache, as Go does when the world
    /// stops for a collection. No mutator may be allocating.
    public func releaseAllCaches() {
        let all = lock.withLock { caches }
        for state in all { MCache(state: state).releaseAll(heap: self) }
    }

    /// Sweeps the whole heap (world stopped): in every span the mark bits
    /// become the allocation bits and are cleared, so unmarked objects are
    /// freed; spans left empty go back to MHeap; unmarked large objects are
    /// freed with their span (Go's `mspan.sweep`, eagerly for all spans).
    @discardableResult
    public func sweep() -> SweepStats {
        releaseAllCaches()
        var stats = SweepStats()
        for central in centrals { central.sweepAll(into: &stats) }
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
        _checkInvariants()
        return stats
    }
}

extension MCache {
    init(state: UnsafeMutablePointer<MCacheState>) { self.state = state }
}
