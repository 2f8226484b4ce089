#if canImport(Glibc)
import Glibc
#endif
import Synchronization

// MCache and Mutator: the per-mutator allocation fast path. See MHeap.swift for
// the overview.

/// Per-mutator state in memory of its own, so the fast path reaches it with
/// plain loads (no class field access, no exclusivity checks).
struct MCacheState {
    /// One current span per span class; the heap's empty sentinel when none.
    var alloc: UnsafeMutablePointer<UnsafeMutablePointer<SpanHeader>>
    /// Objects and bytes allocated through spans this cache has released.
    var allocatedObjects = 0
    var allocatedBytes = 0
    /// Small objects allocated so far, per type and size class (the heap
    /// profile's alloc_objects; MHeap+Profile.swift).
    var typeAllocs: UnsafeMutablePointer<Int>
    /// Go's mcache.tiny and tinyoffset: the current tiny block (nil: none)
    /// and the bytes of it handed out (Mutator.allocateTiny).
    var tiny: UnsafeMutableRawPointer? = nil
    var tinyOffset = 0
}

/// Go's `mcache`: one current span per span class, allocation from its bitmap
/// with no lock, refills from MCentral. Owned by exactly one Mutator.
struct MCache {
    let state: UnsafeMutablePointer<MCacheState>

    init(sentinel: UnsafeMutablePointer<SpanHeader>) {
        let n = SizeClasses.spanClassCount
        let alloc = UnsafeMutablePointer<UnsafeMutablePointer<SpanHeader>>.allocate(capacity: n)
        alloc.initialize(repeating: sentinel, count: n)
        state = .allocate(capacity: 1)
        let counters = calloc(AllocationSite.counterSlots, MemoryLayout<Int>.stride)!
        state.initialize(to: MCacheState(alloc: alloc, typeAllocs: counters.bindMemory(to: Int.self, capacity: AllocationSite.counterSlots)))
    }

    func deallocate() {
        free(state.pointee.typeAllocs)
        state.pointee.alloc.deallocate()
        state.deallocate()
    }

    /// Hands the current span of `spanClass` back to its MCentral and caches a
    /// span with free slots instead (Go's `mcache.refill`).
    func refill(_ spanClass: SpanClass, heap: MHeap) {
        let i = Int(spanClass.rawValue)
        release(slot: i, heap: heap)
        state.pointee.alloc[i] = heap.centrals[i].cacheSpan()
    }

    /// Returns every cached span to its MCentral (Go's `mcache.releaseAll`),
    /// as the world stops for a collection.
    func releaseAll(heap: MHeap) {
        for i in 0..<SizeClasses.spanClassCount { release(slot: i, heap: heap) }
    }

    /// Drops the current tiny block (Go's releaseAll sets c.tiny = 0): the
    /// sweep that follows may free it.
    func dropTinyBlock() {
        state.pointee.tiny = nil
        state.pointee.tinyOffset = 0
    }

    private func release(slot i: Int, heap: MHeap) {
        let s = state.pointee.alloc[i]
        guard s != heap.sentinel else { return }
        let allocated = s.pointee.allocCount - s.pointee.allocCountAtCache
        state.pointee.allocatedObjects += allocated
        state.pointee.allocatedBytes += allocated * s.pointee.elemsize
        state.pointee.alloc[i] = heap.sentinel
        heap.centrals[i].uncacheSpan(s)
    }

    /// Allocated so far, including the spans still cached.
    var allocatedTotals: (objects: Int, bytes: Int) {
        var objects = state.pointee.allocatedObjects
        var bytes = state.pointee.allocatedBytes
        for i in 0..<SizeClasses.spanClassCount {
            let s = state.pointee.alloc[i]
            let n = s.pointee.allocCount - s.pointee.allocCountAtCache
            objects += n
            bytes += n * s.pointee.elemsize
        }
        return (objects, bytes)
    }
}

/// An allocating context (Go's P): owns one MCache. Use one Mutator per
/// thread; several mutators may allocate from one heap concurrently.
public final class Mutator {
    public let heap: MHeap
    let cache: MCache
    /// `cache.state.pointee.alloc`, kept here so the fast path loads it once.
    @usableFromInline let alloc: UnsafeMutablePointer<UnsafeMutablePointer<SpanHeader>>
    /// `cache.state.pointee.typeAllocs`, for the same reason.
    @usableFromInline let typeAllocs: UnsafeMutablePointer<Int>

    init(heap: MHeap) {
        self.heap = heap
        cache = MCache(sentinel: heap.sentinel)
        alloc = cache.state.pointee.alloc
        typeAllocs = cache.state.pointee.typeAllocs
        heap.register(cache)
    }

    deinit {
        heap.unregister(cache)
        cache.deallocate()
    }

    /// A zeroed object of `type`, recorded with its type id. There is no free:
    /// the object is reclaimed by a sweep once it is no longer marked.
    @inlinable @inline(__always)
    public func allocate(_ type: ObjectType) -> UnsafeMutableRawPointer {
        allocate(spanClass: type.spanClass, typeID: type.id, bytes: type.size)
    }

    /// A zeroed array of `count` elements of `type` (one object).
    @inlinable @inline(__always)
    public func allocate(_ type: ObjectType, count: Int) -> UnsafeMutableRawPointer {
        let (_, overflow) = type.size.multipliedReportingOverflow(by: count)
        precondition(count > 0 && !overflow, "impossible allocation: \(count) × \(type.size) bytes")
        if count == 1 { return allocate(type) }
        let (sizeClass, bytes) = MallocHeader.sizeClass(forBytes: type.size &* count, noscan: type.noscan,
                                                        headers: type.mallocHeader)
        return allocate(spanClass: SpanClass(sizeClass: sizeClass, noscan: type.noscan), typeID: type.id, bytes: bytes)
    }

    @inlinable @inline(__always)
    package func allocate(spanClass: SpanClass, typeID: TypeID, bytes: Int) -> UnsafeMutableRawPointer {
        // Go's nextFreeFast: the next free slot from the 64-slot cache, unless
        // that would step onto a new bitmap word.
        let s = alloc[Int(spanClass.rawValue)]
        typeAllocs[AllocationSite.counterIndex(typeID, spanClass)] &+= 1
        let cached = s.pointee.allocCache
        let bit = cached.trailingZeroBitCount
        if bit < 64 {
            let result = s.pointee.freeindex &+ bit
            let next = result &+ 1
            let nelems = s.pointee.nelems
            if result < nelems && (next & 63 != 0 || next == nelems) {
                s.pointee.allocCache = cached >> UInt64(bit &+ 1)
                s.pointee.freeindex = next
                s.pointee.allocCount &+= 1
                s.pointee.typeIDs[result] = typeID.rawValue
                if heap.allocatingBlack.load(ordering: .relaxed) { Span(s).setMarked(result) }
                let p = s.pointee.base + result &* s.pointee.elemsize
                #if BUCKETLAB_SYSTEM_PAGES
                Poison.unpoison(p, s.pointee.elemsize)
                #endif
                if s.pointee.needzero { p.initializeMemory(as: UInt8.self, repeating: 0, count: s.pointee.elemsize) }
                return p
            }
        }
        return allocateSlow(spanClass: spanClass, typeID: typeID, bytes: bytes)
    }

    @usableFromInline @inline(never)
    func allocateSlow(spanClass: SpanClass, typeID: TypeID, bytes: Int) -> UnsafeMutableRawPointer {
        if spanClass.isLarge {
            return heap.allocateLarge(bytes: bytes, typeID: typeID, noscan: spanClass.noscan)
        }
        let i = Int(spanClass.rawValue)
        var s = alloc[i]
        // An exhausted span (the sentinel every empty slot points at is one)
        // is only read: the sentinel is shared by every mutator, and even a
        // mutating call that writes nothing is an access TSan reports as a
        // race with the heap reading the sentinel under its lock.
        var index = s.pointee.freeindex == s.pointee.nelems ? s.pointee.nelems : s.pointee.nextFreeIndex()
        if index == s.pointee.nelems {
            cache.refill(spanClass, heap: heap)
            s = alloc[i]
            index = s.pointee.nextFreeIndex()
            precondition(index < s.pointee.nelems, "MCentral handed out a full span")
        }
        s.pointee.allocCount += 1
        s.pointee.typeIDs[index] = typeID.rawValue
        if heap.allocatingBlack.load(ordering: .relaxed) { Span(s).setMarked(index) }
        let p = s.pointee.base + index * s.pointee.elemsize
        #if BUCKETLAB_SYSTEM_PAGES
        Poison.unpoison(p, s.pointee.elemsize)
        #endif
        if s.pointee.needzero { memset(p, 0, s.pointee.elemsize) }
        return p
    }

    /// Go's tiny allocator (malloc.go, mallocgc's path for pointer-free
    /// objects under maxTinySize, 16 bytes): such objects share 16-byte
    /// blocks, each at its size's alignment, and a block lives while any of
    /// them does. A new block replaces the current one only if it has more
    /// room left. Each collection's sweep drops the current block
    /// (mcache.releaseAll, from prepareForSweep); while a mark's black
    /// window is open, an object placed in a block allocated before it marks
    /// the block, as Go's write barrier shades the block once the object's
    /// address is stored in the heap (`stored`; false for an object only a
    /// stack frame holds, such as fmt's boxed arguments).
    public func allocateTiny(_ size: Int, stored: Bool = true) -> UnsafeMutableRawPointer {
        precondition(size > 0 && size < ObjectType.maxTinySize, "\(size) bytes is not a tiny allocation")
        let st = cache.state
        var off = st.pointee.tinyOffset
        if size & 7 == 0 { off = (off + 7) & ~7 } else if size & 3 == 0 { off = (off + 3) & ~3 } else if size & 1 == 0 { off = (off + 1) & ~1 }
        if let tiny = st.pointee.tiny, off + size <= ObjectType.maxTinySize {
            st.pointee.tinyOffset = off + size
            if stored && heap.allocatingBlack.load(ordering: .relaxed), let block = heap.findObject(tiny) {
                _ = block.span.setMarked(block.index)
            }
            return tiny + off
        }
        let block = allocate(heap.tinyBlockType)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: ObjectType.maxTinySize)
        if st.pointee.tiny == nil || size < st.pointee.tinyOffset {
            st.pointee.tiny = block
            st.pointee.tinyOffset = size
        }
        return block
    }

    /// Hands every cached span back to MCentral (the heap does this itself
    /// before a sweep).
    public func releaseCachedSpans() {
        cache.releaseAll(heap: heap)
    }
}
