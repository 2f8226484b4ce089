// What the heap profile needs of the heap: cumulative allocations per site,
// and a way to mark without sweeping. See MHeap.swift for the overview; the
// profile itself is drawn above (BucketLab/Output/HeapProfile.swift).
//
// Go's heap profile counts allocations by call stack, sampled every 512 KiB
// (runtime.MemProfileRate). The lab counts every allocation, exactly, by
// what identifies the place that made it here: the object's type and its
// slot size (a size class, or a large object's span) — a bucket array of
// 2^B buckets has a size of its own for each B, a payload has one size. The
// fast path pays one increment in a per-mutator table indexed by type and
// size class; large objects are counted under the heap's lock, where they
// are made.

#if canImport(Glibc)
import Glibc
#endif

/// Where an object came from, as the heap can tell: its type and its slot
/// bytes (size class, or a large object's span).
public struct AllocationSite: Hashable, Sendable, Comparable {
    public let typeID: TypeID
    /// Bytes of the object's slot: its size class, or its span if large.
    public let slotBytes: Int

    public init(typeID: TypeID, slotBytes: Int) {
        self.typeID = typeID
        self.slotBytes = slotBytes
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.typeID.rawValue, a.slotBytes) < (b.typeID.rawValue, b.slotBytes)
    }

    /// Types a heap may register: the per-mutator counters have a row each.
    static let maxTypes = 1024
    /// Size classes per row (class 0, large objects, is counted elsewhere).
    @usableFromInline static var classesPerType: Int { 68 }
    static var counterSlots: Int { maxTypes * classesPerType }

    @inlinable @inline(__always)
    static func counterIndex(_ typeID: TypeID, _ spanClass: SpanClass) -> Int {
        Int(typeID.rawValue) &* classesPerType &+ Int(spanClass.rawValue >> 1)
    }
}

extension MHeap {
    /// Objects allocated so far per site, since the heap was made (Go's
    /// alloc_objects; alloc_space is that times `slotBytes`). Relocation's
    /// copies count: they are allocations on this heap. World stopped for
    /// exact figures.
    public func allocationsBySite() -> [AllocationSite: Int] {
        precondition(SizeClasses.count == AllocationSite.classesPerType)
        let typeCount = types.count
        return lock.withLock {
            var sites = largeAllocationsBySite
            func add(_ counters: UnsafeMutablePointer<Int>) {
                for t in 0..<typeCount {
                    for c in 1..<AllocationSite.classesPerType {
                        let n = counters[t * AllocationSite.classesPerType + c]
                        if n != 0 {
                            sites[AllocationSite(typeID: TypeID(rawValue: UInt16(t)), slotBytes: SizeClasses.sizes[c]), default: 0] += n
                        }
                    }
                }
            }
            add(retiredTypeAllocs)
            for c in caches { add(c.pointee.typeAllocs) }
            return sites
        }
    }

    /// Adds a retiring mutator's counts to the heap's (lock held).
    func retireTypeAllocs(_ counters: UnsafeMutablePointer<Int>) {
        for i in 0..<AllocationSite.counterSlots {
            retiredTypeAllocs[i] += counters[i]
        }
    }

    /// Clears every mark bit of every in-use span, freeing nothing: for a
    /// mark that only measures (the collector's census), between cycles
    /// with the heap swept. World stopped.
    package func clearMarkBits() {
        forEachInUseSpan { span in
            let h = span.header
            h.pointee.gcmarkBits.update(repeating: 0, count: h.pointee.bitmapWords)
        }
    }
}

extension Span {
    /// 64-bit words of each of the span's bitmaps.
    package var bitmapWordCount: Int { header.pointee.bitmapWords }

    /// Word `w` of the mark bitmap.
    package func markedWord(_ w: Int) -> UInt64 { header.pointee.gcmarkBits[w] }

    /// Word `w` of the allocated slots: the allocation bitmap, with every
    /// slot below `freeindex` set (those are allocated whatever their bit
    /// says), and nothing past the last slot.
    package func allocatedWord(_ w: Int) -> UInt64 {
        let h = header.pointee
        var bits = h.allocBits[w]
        let first = w << 6
        if h.freeindex > first { bits |= h.freeindex - first >= 64 ? ~0 : (1 << UInt64(h.freeindex - first)) - 1 }
        if h.nelems - first < 64 { bits &= (1 << UInt64(h.nelems - first)) - 1 }
        return bits
    }
}
