#if canImport(Glibc)
import Glibc
#endif
import Synchronization

// The lab heap: a Go-style size-class allocator over a jemalloc arena.
//
// Overview (after Go's src/runtime/malloc.go, itself after TCMalloc).
//
// Memory is managed in pages of 8 KiB. A *span* is a run of pages that holds
// objects of one *span class* (size class × scan/noscan, 136 of them) or one
// large object (over 32 KiB). Objects are never freed one by one: a collector
// (or a test) sets mark bits and `sweep()` turns them into the allocation
// bits, as Go's mspan.sweep does.
//
// Three tiers, fastest first:
//
//   Mutator/MCache (MCache.swift)  one per allocating thread, no lock. Holds one
//                                  current span per span class and takes the
//                                  next free slot from the span's 64-slot
//                                  allocation cache (Go's nextFreeFast).
//   MCentral (MCentral.swift)      one per span class, its own lock. Partial and
//                                  full span lists; hands an MCache a span with
//                                  free slots and takes full ones back.
//   MHeap (this file)              the heap lock. Carves spans out of the page
//                                  allocator, owns the page map, the large
//                                  objects and the statistics.
//
// Underneath, the page allocator (PageAlloc.swift, Go's pageAlloc) holds the
// heap's memory in 4 MiB chunks, each one `mallocx` from the heap's own
// jemalloc arena (`arenas.create`), 2 MiB aligned, thread cache off (with it
// on, a request for one arena can be served from another arena's cache:
// jemalloc issues 825 and 1535), zero-filled. A span takes the lowest free
// run of pages that fits, so freed pages serve spans of any size. When a span
// empties its pages go back to the page allocator; the scavenge policy
// decides when they go back to the operating system (MADV_DONTNEED): `retain`
// keeps them until a scavenger releases them (Go's background scavenger,
// LabCollector/Scavenger.swift) or `scavenge()` releases all (Go's
// scavengeAll), `eager` releases them at once. As in Go, chunks stay the
// heap's: its `heap_sys` never falls, its resident part (sys − released)
// does. Tearing the heap down destroys the arena and everything in it.
//
// The page map (PageMap.swift) resolves any address, interior or not, to its
// span in O(1); the object index is `offset * divMul >> 32`. Every slot records
// the type id it was allocated with (ObjectType.swift) for precise marking.
//
// The roots live here too (RootRegistry.swift): this is the lowest tier, so
// maps (above) register themselves with their heap when they are made, pins
// are recorded here, and a collector (above them) only reads the registry.
// Nothing in this target knows a map or a collector.
//
// Lock order: MCentral.lock before MHeap.lock. Statistics, sweeping, marking
// and the invariant checks expect the world stopped (no mutator allocating),
// as Go's STW phases do.

/// What happens to a span's pages once its last object is swept.
public enum ScavengePolicy: String, Sendable, CaseIterable {
    /// Keep the free pages resident until a scavenger releases them (Go).
    case retain
    /// Release them to the operating system at once.
    case eager
}

/// Objects freed and spans touched by one sweep.
public struct SweepStats: Sendable, Equatable {
    public var spansSwept = 0
    public var spansFreed = 0
    public var objectsFreed = 0
    public var bytesFreed = 0
    public init() {}
}

/// An object found from an address: its span, slot and start.
public struct HeapObject: Hashable, @unchecked Sendable {
    public let span: Span
    public let index: Int

    @inlinable @inline(__always)
    package init(span: Span, index: Int) {
        self.span = span
        self.index = index
    }

    public var address: UnsafeMutableRawPointer { span.objectAddress(index) }
    public var size: Int { span.elemsize }
    public var isAllocated: Bool { span.isAllocated(index) }
    public var typeID: TypeID { span.typeID(index) }
}

public final class MHeap: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var scavenge: ScavengePolicy
        /// With `retain`, at most this many bytes of free pages stay resident;
        /// the rest are released at once. nil = no bound.
        public var retainLimitBytes: Int?
        /// jemalloc `arena.<i>.dirty_decay_ms` / `muzzy_decay_ms` (0 = purge
        /// as soon as unused, -1 = never); nil keeps jemalloc's default.
        public var dirtyDecayMs: Int?
        public var muzzyDecayMs: Int?
        /// Ask the kernel for transparent huge pages (MADV_HUGEPAGE) on spans
        /// of 2 MiB and more, as Go 1.19's runtime did for its heap (sysUsed →
        /// sysHugePage). Big bucket arrays are probed at random, and 4 KiB
        /// pages would make nearly every probe a TLB miss.
        public var hugePages: Bool
        /// Go's physHugePageSize: the huge page size the advice above is
        /// given in and releasing may keep whole (PageAlloc.swift). By
        /// default what Go reads on this machine; 0 = none (no advice, no
        /// growth). 0 or a power of two; one bigger than 4 MiB counts as 0,
        /// as in Go.
        public var hugePageBytes: Int
        /// Whether releasing grows a run down to a whole free huge page, as
        /// Go's findScavengeCandidate does (so one 64 KiB scavenger unit can
        /// release a huge page). Off by default: measured, it moved the
        /// resident heap further from Go's (docs/notes/scavenge-huge-pages.md).
        public var keepsHugePagesWhole: Bool
        /// Which Go's span layout decides how many objects a span holds
        /// (SpanLayout.swift): a heap stands for the Go its map model does.
        public var spanLayout: SpanLayout

        public init(scavenge: ScavengePolicy = .retain, retainLimitBytes: Int? = nil,
                    dirtyDecayMs: Int? = nil, muzzyDecayMs: Int? = nil, hugePages: Bool = true,
                    hugePageBytes: Int = Configuration.systemHugePageBytes, keepsHugePagesWhole: Bool = false,
                    spanLayout: SpanLayout = .go119) {
            self.hugePages = hugePages
            self.hugePageBytes = hugePageBytes
            self.keepsHugePagesWhole = keepsHugePagesWhole
            self.spanLayout = spanLayout
            self.scavenge = scavenge
            self.retainLimitBytes = retainLimitBytes
            self.dirtyDecayMs = dirtyDecayMs
            self.muzzyDecayMs = muzzyDecayMs
        }

        /// Go's physHugePageSize on this machine (PageAlloc.swift).
        public static var systemHugePageBytes: Int { PageAlloc.systemHugePageBytes }
    }

    public let configuration: Configuration
    /// Objects per span of each span class under `configuration.spanLayout`,
    /// indexed by the class's raw value.
    let objectsPerSpan: [Int]
    let arena: JemallocArena
    /// Go's heapLive: bytes marked by the last collection plus bytes handed
    /// to MCaches (whole spans, at cache time) and large objects since.
    let liveEstimate = Atomic<Int>(0)
    /// When `liveEstimate` reaches this, a collection is due (the pacer sets
    /// it; Int.max = never).
    let gcTrigger = Atomic<Int>(Int.max)
    /// Set once the trigger is crossed; a collector runs the cycle at its
    /// next safe point.
    let gcPending = Atomic<Bool>(false)
    /// Set while a collector's mark overlaps the mutator (Go's gcphase
    /// _GCmark): every object allocated meanwhile is born marked, Go's
    /// "allocate black" (mallocgc → gcmarknewobject), so this cycle's sweep
    /// keeps it.
    @usableFromInline package let allocatingBlack = Atomic<Bool>(false)
    public var isAllocatingBlack: Bool { allocatingBlack.load(ordering: .relaxed) }
    let lock = LabLock()
    private(set) var centrals: [MCentral] = []
    let types = TypeTable()
    /// `memoized`'s values, under `memoLock` (taken alone).
    private var memo: [String: Any] = [:]
    private let memoLock = LabLock()
    /// The span every empty MCache slot points at: no free slots, so the
    /// fast path falls through to a refill without a nil check.
    let sentinel: UnsafeMutablePointer<SpanHeader>

    // Guarded by `lock`.
    package var pageMap = PageMap()
    /// Every page the heap holds, in chunks (PageAlloc.swift).
    var pages: PageAlloc
    /// Headers of freed spans, with their side metadata, for the next span.
    var spareHeaders: [UnsafeMutablePointer<SpanHeader>] = []
    var largeSpans = SpanList()
    var caches: [UnsafeMutablePointer<MCacheState>] = []
    var inuseSpanBytes = 0
    /// The most `inuseSpanBytes` has been since the last `resetPeakInuse`:
    /// an exact high-water mark, kept where spans are taken.
    var peakInuseSpanBytes = 0
    var spanMetadataBytes = 0
    var retiredAllocated = (objects: 0, bytes: 0)
    var largeAllocated = (objects: 0, bytes: 0)
    /// Allocation counts per site (MHeap+Profile.swift): retired mutators'
    /// small objects, and large objects.
    let retiredTypeAllocs = calloc(AllocationSite.counterSlots, MemoryLayout<Int>.stride)!
        .bindMemory(to: Int.self, capacity: AllocationSite.counterSlots)
    var largeAllocationsBySite: [AllocationSite: Int] = [:]

    /// Counts `bytes` into the live-heap estimate and flags a collection when
    /// it crosses the trigger (Go checks the same on span refill and large
    /// allocation, never on the fast path).
    @inline(__always)
    func noteAllocation(bytes: Int) {
        let live = liveEstimate.add(bytes, ordering: .relaxed).newValue
        if live >= gcTrigger.load(ordering: .relaxed) { gcPending.store(true, ordering: .relaxed) }
    }

    /// The live-heap estimate the pacer compares with its goal.
    public var heapLiveEstimate: Int { liveEstimate.load(ordering: .relaxed) }

    /// Whether allocation has crossed the pacer's trigger since the last cycle.
    public var collectionPending: Bool { gcPending.load(ordering: .relaxed) }

    /// Sets the pacer's trigger and the live estimate it is measured against,
    /// and clears the pending flag (done by a collector after each cycle).
    public func resetPacing(liveBytes: Int, triggerBytes: Int) {
        liveEstimate.store(liveBytes, ordering: .relaxed)
        gcTrigger.store(triggerBytes, ordering: .relaxed)
        gcPending.store(liveBytes >= triggerBytes, ordering: .relaxed)
    }

    /// Everything the heap's objects are reachable from (RootRegistry.swift).
    public let roots = RootRegistry()

    /// Set while a collector drives this heap (one at a time).
    package let collectorAttached = Atomic<Bool>(false)

    /// Moves the trigger (GOGC changed), keeping what was allocated since.
    public func setTrigger(_ triggerBytes: Int) {
        gcTrigger.store(triggerBytes, ordering: .relaxed)
        gcPending.store(liveEstimate.load(ordering: .relaxed) >= triggerBytes, ordering: .relaxed)
    }

    /// The highest heap in-use (bytes of spans holding objects) since the heap
    /// was made or `resetPeakInuse()` last ran — what no sample can miss.
    public var peakInuseBytes: Int { lock.withLock { peakInuseSpanBytes } }

    /// Starts a new high-water mark from the heap in use now.
    public func resetPeakInuse() {
        lock.withLock { peakInuseSpanBytes = inuseSpanBytes }
    }

    /// jemalloc's arena index, for reading its statistics elsewhere.
    public var arenaIndex: UInt32 { arena.index }

    public init(_ configuration: Configuration = Configuration()) throws {
        self.configuration = configuration
        objectsPerSpan = configuration.spanLayout.objectsPerSpanTable()
        pages = PageAlloc(hugePages: configuration.hugePages && Jemalloc.isLinked,
                          hugePageBytes: configuration.hugePageBytes,
                          keepsHugePagesWhole: configuration.keepsHugePagesWhole)
        arena = try JemallocArena(dirtyDecayMs: configuration.dirtyDecayMs, muzzyDecayMs: configuration.muzzyDecayMs)
        sentinel = .allocate(capacity: 1)
        sentinel.initialize(to: SpanHeader(
            base: UnsafeMutableRawPointer(bitPattern: pageSize)!, divMul: 0, spanClass: SpanClass(rawValue: 0),
            state: .cached, needzero: false, collectorNote: 0, elemsize: 0, nelems: 0, freeindex: 0, allocBits: .allocate(capacity: 1),
            gcmarkBits: .allocate(capacity: 1), typeIDs: .allocate(capacity: 1), inlineBitmaps: (0, 0, 0, 0, 0, 0, 0, 0), npages: 0, allocCache: 0,
            allocCount: 0, allocCountAtCache: 0, sideNelems: 0, usedBytes: 0, next: nil, prev: nil))
        centrals = (0..<SizeClasses.spanClassCount).map {
            MCentral(spanClass: SpanClass(rawValue: UInt8($0)), heap: self)
        }
    }

    deinit {
        // The arena goes with every span in it; only our own metadata is left
        // to free.
        var headers: [UnsafeMutablePointer<SpanHeader>] = spareHeaders
        for c in centrals { c.forEachSpan { headers.append($0) } }
        largeSpans.forEach { headers.append($0) }
        for h in headers { Self.freeSpanHeader(h) }
        for chunk in pages.chunks {
            let bytes = chunk.pages << pageShift
            #if BUCKETLAB_SYSTEM_PAGES
            Poison.unpoison(chunk.base, bytes)
            #endif
            if !JemallocArena.destroyFreesEverything { arena.deallocateChunk(chunk.base, bytes: bytes) }
        }
        pages.destroy()
        sentinel.pointee.allocBits.deallocate()
        sentinel.pointee.gcmarkBits.deallocate()
        sentinel.pointee.typeIDs.deallocate()
        sentinel.deallocate()
        pageMap.destroy()
        arena.destroy()
        free(retiredTypeAllocs)
    }

    /// A new allocating context with its own MCache.
    public func makeMutator() -> Mutator { Mutator(heap: self) }

    /// The value stored under `key` for this heap, made by `make` the first
    /// time: what a tier registers once per heap rather than once per object
    /// (a map model's object types: the type table holds at most
    /// `AllocationSite.maxTypes`).
    public func memoized<T>(_ key: String, _ make: () -> T) -> T {
        if let value = memoLock.withLock({ memo[key] }) as? T { return value }
        let value = make()
        return memoLock.withLock {
            if let first = memo[key] as? T { return first }
            memo[key] = value
            return value
        }
    }

    /// The 16-byte pointer-free block tiny objects share (Go's
    /// tinySpanClass), registered when first used.
    var tinyBlockType: ObjectType {
        memoized("tiny block") { registerType(name: "tiny block", size: ObjectType.maxTinySize) }
    }

    /// Registers a type; the result is what `allocate` takes.
    /// - Parameter pointerWords: 8-byte word offsets that hold heap pointers.
    /// - Parameter mallocHeader: allocate as Go 1.22+ does (`MallocHeader`)
    ///   even on a heap laid out as Go 1.19's; a heap of a later layout
    ///   (`SpanLayout.hasMallocHeaders`) allocates every type so.
    public func registerType(name: String, size: Int, pointerWords: [Int] = [], mallocHeader: Bool = false) -> ObjectType {
        types.register(name: name, size: size, pointerWords: pointerWords, bucketLayout: nil,
                       mallocHeader: mallocHeader || configuration.spanLayout.hasMallocHeaders)
    }

    /// Registers a map bucket type: the collector scans its slots by their
    /// tophash, so the leak audit can tell live slots from deleted ones.
    public func registerBucketType(name: String, size: Int, pointerWords: [Int], layout: BucketLayout,
                                   mallocHeader: Bool = false) -> ObjectType {
        types.register(name: name, size: size, pointerWords: pointerWords, bucketLayout: layout,
                       mallocHeader: mallocHeader || configuration.spanLayout.hasMallocHeaders)
    }

    /// Every registered type, by id.
    public var typeDescriptors: [TypeDescriptor] { types.all }

    public func typeDescriptor(_ id: TypeID) -> TypeDescriptor { types[id] }

    func register(_ cache: MCache) {
        lock.withLock { caches.append(cache.state) }
    }

    func unregister(_ cache: MCache) {
        cache.releaseAll(heap: self)
        lock.withLock {
            retiredAllocated.objects += cache.state.pointee.allocatedObjects
            retiredAllocated.bytes += cache.state.pointee.allocatedBytes
            retireTypeAllocs(cache.state.pointee.typeAllocs)
            caches.removeAll { $0 == cache.state }
        }
    }

    // MARK: Spans

    /// A formatted span of `npages` for `spanClass`, registered in the page map
    /// and counted in use (Go's `mheap.alloc`).
    func allocSpan(npages: Int, spanClass: SpanClass) -> UnsafeMutablePointer<SpanHeader> {
        lock.withLock { allocSpanLocked(npages: npages, spanClass: spanClass) }
    }

    private func allocSpanLocked(npages: Int, spanClass: SpanClass) -> UnsafeMutablePointer<SpanHeader> {
        let bytes = npages << pageShift
        let run = pages.allocate(npages) ?? {
            growLocked(npages: npages)
            return pages.allocate(npages)!
        }()
        let s = spareHeaders.popLast() ?? newSpanHeader()
        spanMetadataBytes += s.pointee.format(base: run.base, npages: npages, spanClass: spanClass,
                                              nelems: objectsPerSpan[Int(spanClass.rawValue)],
                                              inline: SpanHeader.inlineBitmaps(of: s))
        #if BUCKETLAB_SYSTEM_PAGES
        Poison.unpoison(run.base, bytes)
        #endif
        // Scavenged pages read as zero; others may hold old objects. One
        // memset of the whole span is far cheaper than one per slot.
        if run.needsZeroing { memset(run.base, 0, bytes) }
        s.pointee.needzero = false
        pageMap.set(base: s.pointee.base, npages: npages, to: s)
        #if BUCKETLAB_SYSTEM_PAGES
        Poison.poisonFreeSlots(s)
        #endif
        inuseSpanBytes += bytes
        if inuseSpanBytes > peakInuseSpanBytes { peakInuseSpanBytes = inuseSpanBytes }
        return s
    }

    /// A span header with no side metadata yet.
    ///
    /// Headers and their side metadata come from jemalloc's own API
    /// (mallocx/sdallocx), not through the process's malloc/free: thousands
    /// churn when heaps grow and shrink, and a malloc interposer (the one
    /// package-benchmark preloads reads 16 bytes before every freed pointer)
    /// must not see blocks it did not hand out: Swift's allocate goes through
    /// posix_memalign, which the interposer cannot tag, and a page-aligned
    /// block at the start of a mapping then faults in its free.
    private func newSpanHeader() -> UnsafeMutablePointer<SpanHeader> {
        let s = Jemalloc.mallocLines(SpanHeader.allocationBytes, alignment: 128).bindMemory(to: SpanHeader.self, capacity: 1)
        s.initialize(to: SpanHeader(
            base: sentinel.pointee.base, divMul: 0, spanClass: SpanClass(rawValue: 0), state: .cached,
            needzero: false, collectorNote: 0, elemsize: 0, nelems: 0, freeindex: 0, allocBits: sentinel.pointee.allocBits,
            gcmarkBits: sentinel.pointee.gcmarkBits, typeIDs: sentinel.pointee.typeIDs,
            inlineBitmaps: (0, 0, 0, 0, 0, 0, 0, 0), npages: 0, allocCache: 0,
            allocCount: 0, allocCountAtCache: 0, sideNelems: 0, usedBytes: 0, next: nil, prev: nil))
        spanMetadataBytes += SpanHeader.allocationBytes
        return s
    }

    /// Takes a chunk that holds `npages` from jemalloc (Go's `mheap.grow`).
    private func growLocked(npages: Int) {
        let chunkPages = PageAlloc.chunkSize(for: npages)
        let bytes = chunkPages << pageShift
        guard let base = arena.allocateChunk(bytes: bytes) else {
            fatalError("BucketLab heap: jemalloc could not provide \(bytes) bytes")
        }
        // Go 1.19 asks for transparent huge pages on its heap (sysHugePage).
        if pages.hugePages { pages.adviseHugePages(base, bytes: bytes, MADV_HUGEPAGE) }
        #if BUCKETLAB_SYSTEM_PAGES
        Poison.poison(base, bytes)
        #endif
        pages.addChunk(base: base, pages: chunkPages)
    }

    /// Takes back a span with no objects: its pages go back to the page
    /// allocator, released at once or kept as the scavenge policy says (Go's
    /// `mheap.freeSpan`); the header is kept for the next span.
    func freeSpan(_ s: UnsafeMutablePointer<SpanHeader>) {
        lock.withLock { freeSpanLocked(s) }
    }

    func freeSpanLocked(_ s: UnsafeMutablePointer<SpanHeader>) {
        let bytes = s.pointee.bytes
        pageMap.set(base: s.pointee.base, npages: s.pointee.npages, to: nil)
        #if BUCKETLAB_SYSTEM_PAGES
        Poison.poison(s.pointee.base, bytes)
        #endif
        inuseSpanBytes -= bytes
        pages.free(s.pointee.base, npages: s.pointee.npages)
        s.pointee.state = .free
        if spareHeaders.count < Self.spareHeaderLimit {
            spareHeaders.append(s)
        } else {
            spanMetadataBytes -= Self.freeSpanHeader(s)
        }
        if configuration.scavenge == .eager {
            releasedBytesLocked(maxBytes: .max)
        } else if let limit = configuration.retainLimitBytes {
            let kept = (pages.freePages - pages.scavengedPages) << pageShift
            if kept > limit { releasedBytesLocked(maxBytes: kept - limit) }
        }
    }

    /// Frees a header from `newSpanHeader` and its side metadata; returns
    /// the bytes freed.
    @discardableResult
    private static func freeSpanHeader(_ s: UnsafeMutablePointer<SpanHeader>) -> Int {
        let bytes = SpanHeader.allocationBytes + s.pointee.releaseSide()
        Jemalloc.freeLines(UnsafeMutableRawPointer(s), SpanHeader.allocationBytes, alignment: 128)
        return bytes
    }

    /// Span headers kept for reuse (with their side metadata), at most.
    static let spareHeaderLimit = 4096

    @discardableResult
    private func releasedBytesLocked(maxBytes: Int) -> Int {
        let maxPages = maxBytes == .max ? Int.max : (maxBytes + pageSize - 1) >> pageShift
        return pages.release(maxPages: maxPages) << pageShift
    }

    /// Releases up to `maxBytes` of free pages to the operating system,
    /// highest addresses first (a scavenger's unit of work). Returns the bytes
    /// released.
    @discardableResult
    public func releaseFreePages(maxBytes: Int) -> Int {
        lock.withLock { releasedBytesLocked(maxBytes: maxBytes) }
    }

    /// Releases every free page to the operating system (Go's
    /// `mheap.scavengeAll`, what `debug.FreeOSMemory` does after its
    /// collection). Returns the bytes released.
    @discardableResult
    public func scavenge() -> Int {
        let released = releaseFreePages(maxBytes: .max)
        _checkInvariants()
        return released
    }

    /// Go's heapRetained: pages in use plus free pages not yet released —
    /// what the process holds of the heap.
    public var retainedBytes: Int {
        lock.withLock { inuseSpanBytes + (pages.freePages - pages.scavengedPages) << pageShift }
    }

    // MARK: Large objects

    /// An object over 32 KiB in a span of its own.
    func allocateLarge(bytes: Int, typeID: TypeID, noscan: Bool) -> UnsafeMutableRawPointer {
        let npages = (bytes + pageSize - 1) >> pageShift
        return lock.withLock {
            let s = allocSpanLocked(npages: npages, spanClass: SpanClass(sizeClass: 0, noscan: noscan))
            s.pointee.allocBits[0] = 1
            if allocatingBlack.load(ordering: .relaxed) { s.pointee.gcmarkBits[0] = 1 }
            s.pointee.freeindex = 1
            s.pointee.allocCount = 1
            s.pointee.allocCache = 0
            s.pointee.typeIDs[0] = typeID.rawValue
            s.pointee.usedBytes = bytes
            s.pointee.state = .large
            largeSpans.push(s)
            largeAllocated.objects += 1
            largeAllocated.bytes += s.pointee.bytes
            largeAllocationsBySite[AllocationSite(typeID: typeID, slotBytes: s.pointee.bytes), default: 0] += 1
            noteAllocation(bytes: s.pointee.bytes)
            return s.pointee.base
        }
    }

    // MARK: Finding and marking objects

    /// The object whose slot contains `address` (interior addresses included),
    /// or nil when the address is not in an in-use span of this heap or falls
    /// in a span's tail. The slot may be free: see `HeapObject.isAllocated`.
    @inline(__always)
    public func findObject(_ address: UnsafeRawPointer) -> HeapObject? {
        guard let h = pageMap.lookup(address) else { return nil }
        let span = Span(h)
        guard let index = span.objectIndex(of: address) else { return nil }
        return HeapObject(span: span, index: index)
    }

    /// Sets the mark bit of the allocated object containing `address`. Returns
    /// true when it was newly marked; false when already marked or when the
    /// address holds no object.
    @discardableResult
    public func mark(_ address: UnsafeRawPointer) -> Bool {
        guard let object = findObject(address), object.isAllocated else { return false }
        return object.span.setMarked(object.index)
    }

    /// Every span holding objects (world stopped): central lists, cached
    /// spans, large objects.
    public func forEachInUseSpan(_ body: (Span) -> Void) {
        for c in centrals { c.forEachSpan { body(Span($0)) } }
        let (cached, large) = lock.withLock { () -> ([UnsafeMutablePointer<SpanHeader>], [UnsafeMutablePointer<SpanHeader>]) in
            var cached: [UnsafeMutablePointer<SpanHeader>] = []
            for c in caches {
                for i in 0..<SizeClasses.spanClassCount where c.pointee.alloc[i] != sentinel {
                    cached.append(c.pointee.alloc[i])
                }
            }
            var large: [UnsafeMutablePointer<SpanHeader>] = []
            largeSpans.forEach { large.append($0) }
            return (cached, large)
        }
        for s in cached { body(Span(s)) }
        for s in large { body(Span(s)) }
    }
}
