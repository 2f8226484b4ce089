// Heap statistics in one call. See MHeap.swift.

/// A snapshot of one heap, in Go's and jemalloc's terms.
public struct HeapStats: Sendable, Equatable {
    /// Bytes of spans holding objects (Go's HeapInuse).
    public var inuseBytes = 0
    /// Bytes the heap holds in its chunks, obtained from jemalloc (Go's
    /// HeapSys): in use + idle.
    public var sysBytes = 0
    /// Free pages (Go's HeapIdle = HeapSys − HeapInuse).
    public var idleBytes = 0
    /// Free pages given back to the operating system, or never touched (Go's
    /// HeapReleased).
    public var releasedBytes = 0
    /// What the process holds of the heap: sys − released (Go's HeapSys −
    /// HeapReleased; its scavenger's heapRetained).
    public var residentBytes: Int { sysBytes - releasedBytes }
    /// The same read from the kernel (mincore over the heap's chunks): at
    /// most `residentBytes` — a page counted there may not be touched yet.
    public var kernelResidentBytes = 0
    /// Bytes of live objects, each rounded to its size class (large: its span).
    public var objectBytes = 0
    public var liveObjects = 0
    /// Cumulative allocation (pprof's alloc_space / alloc_objects).
    public var allocatedBytesTotal = 0
    public var allocatedObjectsTotal = 0
    /// Bytes released to the operating system so far (cumulative).
    public var releasedBytesTotal = 0
    public var inuseSpans = 0
    /// Span headers, bitmaps, type ids and the page map.
    public var metadataBytes = 0
    /// jemalloc's own view of the heap's arena.
    public var arena = ArenaStats(activeBytes: 0, dirtyBytes: 0, muzzyBytes: 0, residentBytes: 0)
    /// Resident set size of the whole process.
    public var rssBytes = 0
}

extension MHeap {
    /// Reads everything at once (world stopped for exact figures).
    public func stats() -> HeapStats {
        var st = HeapStats()
        forEachInUseSpan { span in
            st.inuseSpans += 1
            st.liveObjects += span.allocCount
            st.objectBytes += span.allocCount * span.elemsize
        }
        lock.withLock {
            st.inuseBytes = inuseSpanBytes
            st.sysBytes = pages.sysPages << pageShift
            st.idleBytes = pages.freePages << pageShift
            st.releasedBytes = pages.scavengedPages << pageShift
            st.metadataBytes = spanMetadataBytes + pageMap.metadataBytes + pages.metadataBytes
            st.releasedBytesTotal = pages.releasedPagesTotal << pageShift
            st.kernelResidentBytes = pages.kernelResidentBytes()
            var objects = retiredAllocated.objects + largeAllocated.objects
            var bytes = retiredAllocated.bytes + largeAllocated.bytes
            for c in caches {
                let t = MCache(state: c).allocatedTotals
                objects += t.objects
                bytes += t.bytes
            }
            st.allocatedObjectsTotal = objects
            st.allocatedBytesTotal = bytes
        }
        st.arena = arena.stats()
        st.rssBytes = processResidentBytes()
        return st
    }

    /// Object bytes and in-use bytes only, without asking jemalloc or the
    /// kernel (cheap enough for every collection).
    public func objectCensus() -> (objectBytes: Int, objects: Int, inuseBytes: Int) {
        var bytes = 0, objects = 0
        forEachInUseSpan { span in
            objects += span.allocCount
            bytes += span.allocCount * span.elemsize
        }
        return (bytes, objects, lock.withLock { inuseSpanBytes })
    }

    /// Bytes of the objects whose mark bit is set: after a mark, what it
    /// found plus what was allocated black since (Go's heapMarked).
    public func markedObjectBytes() -> Int {
        var bytes = 0
        forEachInUseSpan { span in bytes += span.markedCount * span.elemsize }
        return bytes
    }

    /// What a mark left set, by span (for the model of Go's collection cost,
    /// LabCollector/GoGCCost.swift): spans holding a marked object; marked
    /// objects the collector scans (not noscan); and spans of scanned
    /// objects of 16…512 bytes holding a marked one, with their marked
    /// objects — the spans Go 1.26+'s span-based marking works through.
    public func markCensus() -> MarkCensus {
        var c = MarkCensus()
        forEachInUseSpan { span in
            let marked = span.markedCount
            guard marked > 0 else { return }
            c.spans += 1
            guard !span.spanClass.noscan else { return }
            c.scanObjects += marked
            if span.spanClass.sizeClass != 0 && (16...512).contains(span.elemsize) {
                c.smallScanSpans += 1
                c.smallScanObjects += marked
            }
        }
        return c
    }

    /// Per size class (0 = large): spans, objects and in-use bytes, for the
    /// heap snapshot a run writes at each phase (world stopped).
    public func sizeClassCensus() -> [(sizeClass: Int, spans: Int, objects: Int, inuseBytes: Int)] {
        var rows = Array(repeating: (spans: 0, objects: 0, bytes: 0), count: SizeClasses.count)
        forEachInUseSpan { span in
            let c = span.spanClass.sizeClass
            rows[c].spans += 1
            rows[c].objects += span.allocCount
            rows[c].bytes += span.bytes
        }
        return rows.enumerated().filter { $0.element.spans > 0 }.map { ($0.offset, $0.element.spans, $0.element.objects, $0.element.bytes) }
    }
}

/// Spans and objects a mark left marked (`MHeap.markCensus`).
public struct MarkCensus: Sendable, Equatable {
    public var spans = 0
    public var scanObjects = 0
    public var smallScanSpans = 0
    public var smallScanObjects = 0
    public init() {}
}

extension MHeap {
    /// What a memory limit is measured against, under one lock and without
    /// asking jemalloc or the kernel (cheap enough for every safe point):
    /// bytes of spans holding objects (Go's heapInUse), free pages not yet
    /// released (Go's heapFree), and the heap's own metadata (span headers,
    /// bitmaps, type ids, page allocator). The page map is left out: its
    /// leaves follow the addresses jemalloc hands out, which differ from
    /// process to process, and a memory limit's decisions must not.
    public func footprint() -> (inuseBytes: Int, freeBytes: Int, metadataBytes: Int) {
        lock.withLock {
            (inuseSpanBytes, (pages.freePages - pages.scavengedPages) << pageShift,
             spanMetadataBytes + pages.metadataBytes)
        }
    }
}
