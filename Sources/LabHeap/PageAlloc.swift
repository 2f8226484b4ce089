// The page allocator: the heap's pages, in chunks taken from jemalloc. See
// MHeap.swift for the overview.
//
// After Go's pageAlloc (mpagealloc.go): memory arrives in chunks and is never
// given back to jemalloc while the heap lives (Go never unmaps its arenas);
// within the chunks a bitmap per chunk says which 8 KiB pages are free, and a
// second which free pages are *scavenged* — released to the operating system
// with madvise(MADV_DONTNEED), or never touched. A span takes the lowest-
// addressed run of free pages that fits, so freed pages serve spans of any
// size and free runs coalesce by construction; only when no run fits does the
// heap grow by a chunk.
//
// Chunks are 4 MiB (Go's pallocChunkBytes: the granularity at which Go's heap
// grows and its page allocator keeps summaries), or a whole multiple of it for
// a span that does not fit one (a big bucket array), 2 MiB aligned so that
// transparent huge pages can back them. jemalloc serves such requests as
// exact extents of their own, so its `active` figure stays the heap's
// `heap_sys` (measured: the lab's earlier 8 KiB-span-per-mallocx scheme made
// jemalloc hold ~60% more than the spans, and a freed span served only a span
// of the same size).
//
// Releasing is MADV_DONTNEED on free page runs, highest addresses first (Go's
// scavenger order), as many pages as asked. Go's findScavengeCandidate also
// grows a run down to a whole huge page where the free run covers it, so as
// not to break one; the lab does so only when asked (`keepsHugePagesWhole`):
// measured against Go, it moved the lab's resident heap further from Go's
// (docs/notes/scavenge-huge-pages.md).
// The pages stay the heap's (in `heap_sys`, as in Go's
// HeapSys) but leave the resident set, and read as zero when reused — so a
// span made only of scavenged pages needs no zeroing. With huge pages on, a
// release first turns them off (MADV_NOHUGEPAGE) for the huge pages that hold
// the run's unaligned ends, and reusing scavenged pages turns them back on for
// the whole huge pages inside the span, as Go 1.19's sysUnusedOS and
// sysUsedOS do (runtime/mem_linux.go): otherwise khugepaged would fill a
// released page's huge page back in, and one page would cost a huge page of
// RSS. jemalloc does not see this: its `resident` figure is an upper bound
// that keeps counting them.
//
// The huge page size is Go's physHugePageSize: what the kernel says in
// /sys/kernel/mm/transparent_hugepage/hpage_pmd_size (2 MiB on x86-64), or
// none (0) where it does not say — then, as in Go, there is neither huge-page
// advice nor growth of a released run.

#if canImport(Glibc)
import Glibc
#endif

/// One chunk: its pages and their free / scavenged bitmaps.
struct PageChunk {
    let base: UnsafeMutableRawPointer
    let pages: Int
    /// Bit set: the page is free.
    let free: UnsafeMutablePointer<UInt64>
    /// Bit set: the (free) page holds no data and is not resident.
    let scavenged: UnsafeMutablePointer<UInt64>
    var freePages: Int
    var scavengedPages: Int

    var words: Int { pages >> 6 }
    var end: UnsafeMutableRawPointer { base + pages << pageShift }

    func contains(_ p: UnsafeRawPointer) -> Bool { p >= UnsafeRawPointer(base) && p < UnsafeRawPointer(end) }

    @inline(__always) static func bit(_ map: UnsafeMutablePointer<UInt64>, _ i: Int) -> Bool {
        map[i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    @inline(__always) static func set(_ map: UnsafeMutablePointer<UInt64>, _ i: Int, _ on: Bool) {
        if on { map[i >> 6] |= 1 << UInt64(i & 63) } else { map[i >> 6] &= ~(1 << UInt64(i & 63)) }
    }

    /// The lowest page of the run of free, unscavenged pages whose highest
    /// page is `top`.
    func unscavengedRunStart(top: Int) -> Int {
        var w = top >> 6
        let b = top & 63
        // Set bits counted down from `top`: leading ones once `top` is bit 63.
        let ones = (~((free[w] & ~scavenged[w]) << UInt64(63 - b))).leadingZeroBitCount
        if ones <= b { return top - ones + 1 }
        var start = w << 6
        w -= 1
        while w >= 0 {
            let n = (~(free[w] & ~scavenged[w])).leadingZeroBitCount
            start -= n
            if n < 64 { break }
            w -= 1
        }
        return start
    }

    /// The first run of `n` free pages, lowest first, or nil.
    func firstFit(_ n: Int) -> Int? {
        guard freePages >= n else { return nil }
        var run = 0, start = 0
        for w in 0..<words {
            let bits = free[w]
            if bits == 0 { run = 0; continue }
            if bits == ~0 {
                if run == 0 { start = w << 6 }
                run += 64
                if run >= n { return start }
                continue
            }
            for b in 0..<64 {
                if bits & (1 << UInt64(b)) != 0 {
                    if run == 0 { start = w << 6 | b }
                    run += 1
                    if run >= n { return start }
                } else {
                    run = 0
                }
            }
        }
        return nil
    }
}

/// Go's pageAlloc over the heap's chunks. Not thread-safe: the heap lock
/// guards it.
struct PageAlloc {
    /// Chunk size in pages: 4 MiB.
    static let chunkPages = (4 << 20) >> pageShift
    /// How a chunk's memory is aligned (JemallocArena.allocateChunk).
    static let chunkAlignment = 2 << 20

    /// Go's physHugePageSize as Go reads it on this machine (os_linux.go
    /// getHugePageSize): hpage_pmd_size, 0 where it is missing or not a
    /// power of two.
    static let systemHugePageBytes: Int = {
        let fd = open("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 20)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0, let v = Int(String(decoding: buffer[0..<n].prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)),
              v > 0, v & (v - 1) == 0 else { return 0 }
        return v
    }()

    /// Go's maxPhysHugePageSize (mheap.go): a chunk. A bigger huge page is
    /// taken as none (mallocinit). Chunks are aligned to 2 MiB only, so a
    /// 4 MiB huge page can straddle two; a grown run stays inside its own
    /// free run all the same.
    static let maxHugePageBytes = chunkPages << pageShift

    static let osPageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Whether the heap asks for transparent huge pages (see the note above).
    let hugePages: Bool
    /// Go's physHugePageSize (0: none).
    let hugePageBytes: Int
    /// Pages in a huge page when releasing keeps huge pages whole (asked
    /// for, and Go's condition in findScavengeCandidate: bigger than a heap
    /// page and an OS page); 0 when it does not.
    let pagesPerHugePage: Int

    /// `hugePageBytes`: 0 or a power of two; one bigger than a chunk counts
    /// as 0, as in Go's mallocinit.
    init(hugePages: Bool, hugePageBytes: Int = PageAlloc.systemHugePageBytes, keepsHugePagesWhole: Bool = false) {
        precondition(hugePageBytes >= 0 && hugePageBytes & (hugePageBytes &- 1) == 0,
                     "a huge page size is 0 or a power of two")
        let huge = hugePageBytes > Self.maxHugePageBytes ? 0 : hugePageBytes
        self.hugePageBytes = huge
        self.hugePages = hugePages && huge != 0
        pagesPerHugePage = keepsHugePagesWhole && huge > pageSize && huge > Self.osPageBytes ? huge >> pageShift : 0
    }

    /// In address order.
    private(set) var chunks: [PageChunk] = []
    /// Chunks below this index have no free page (Go's searchAddr).
    private var searchFrom = 0
    private(set) var sysPages = 0
    private(set) var freePages = 0
    private(set) var scavengedPages = 0
    /// Pages released to the OS so far (not counting fresh ones).
    private(set) var releasedPagesTotal = 0
    private(set) var metadataBytes = 0

    /// Pages a new chunk for a run of `npages` has: a whole number of chunks.
    static func chunkSize(for npages: Int) -> Int {
        (max(npages, chunkPages) + chunkPages - 1) / chunkPages * chunkPages
    }

    /// Takes a new chunk at `base` (zeroed and not yet touched: all free and
    /// scavenged), in address order.
    mutating func addChunk(base: UnsafeMutableRawPointer, pages: Int) {
        precondition(pages % 64 == 0 && pages > 0, "a chunk is whole bitmap words of pages")
        let words = pages >> 6
        let maps = UnsafeMutablePointer<UInt64>.allocate(capacity: words * 2)
        maps.initialize(repeating: ~0, count: words * 2)
        let chunk = PageChunk(base: base, pages: pages, free: maps, scavenged: maps + words, freePages: pages,
                              scavengedPages: pages)
        let index = chunks.firstIndex { $0.base > base } ?? chunks.count
        chunks.insert(chunk, at: index)
        if index < searchFrom { searchFrom = index }
        sysPages += pages
        freePages += pages
        scavengedPages += pages
        metadataBytes += words * 16 + MemoryLayout<PageChunk>.stride
    }

    /// The lowest run of `npages` free pages, now allocated, and whether any
    /// of it may hold old data (then the caller zeroes it; scavenged pages
    /// read as zero); nil when none fits.
    mutating func allocate(_ npages: Int) -> (base: UnsafeMutableRawPointer, needsZeroing: Bool)? {
        var i = searchFrom
        while i < chunks.count {
            if let first = chunks[i].firstFit(npages) {
                let (dirty, reused) = take(chunk: i, first: first, count: npages)
                advanceSearch()
                let base = chunks[i].base + first << pageShift
                if reused && hugePages { adviseHugePages(base, bytes: npages << pageShift, MADV_HUGEPAGE) }
                return (base, dirty)
            }
            i += 1
        }
        return nil
    }

    /// Marks pages allocated; whether any was not scavenged (dirty), and
    /// whether any scavenged one had been released (not fresh).
    private mutating func take(chunk i: Int, first: Int, count: Int) -> (dirty: Bool, reused: Bool) {
        var dirty = false, scavenged = false
        for p in first..<(first + count) {
            PageChunk.set(chunks[i].free, p, false)
            if PageChunk.bit(chunks[i].scavenged, p) {
                PageChunk.set(chunks[i].scavenged, p, false)
                chunks[i].scavengedPages -= 1
                scavengedPages -= 1
                scavenged = true
            } else {
                dirty = true
            }
        }
        chunks[i].freePages -= count
        freePages -= count
        return (dirty, scavenged)
    }

    /// `advice` on the whole huge pages inside [base, base + bytes).
    func adviseHugePages(_ base: UnsafeMutableRawPointer, bytes: Int, _ advice: Int32) {
        guard hugePageBytes > 0 else { return }
        let huge = UInt(hugePageBytes)
        let start = (UInt(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (UInt(bitPattern: base) + UInt(bytes)) & ~(huge - 1)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), advice)
    }

    private mutating func advanceSearch() {
        while searchFrom < chunks.count && chunks[searchFrom].freePages == 0 { searchFrom += 1 }
    }

    /// Index of the chunk holding `p`.
    private func chunkIndex(_ p: UnsafeRawPointer) -> Int {
        var lo = 0, hi = chunks.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if UnsafeRawPointer(chunks[mid].base) <= p { lo = mid } else { hi = mid - 1 }
        }
        precondition(!chunks.isEmpty && chunks[lo].contains(p), "pages outside the heap's chunks")
        return lo
    }

    /// Whether every page of the run at `base` is allocated.
    func isAllocated(_ base: UnsafeMutableRawPointer, npages: Int) -> Bool {
        let i = chunkIndex(base)
        let first = (base - chunks[i].base) >> pageShift
        guard first + npages <= chunks[i].pages else { return false }
        return (first..<(first + npages)).allSatisfy { !PageChunk.bit(chunks[i].free, $0) }
    }

    /// Gives back `npages` allocated pages at `base` (they keep their data:
    /// not scavenged).
    mutating func free(_ base: UnsafeMutableRawPointer, npages: Int) {
        let i = chunkIndex(base)
        let first = (base - chunks[i].base) >> pageShift
        for p in first..<(first + npages) {
            precondition(!PageChunk.bit(chunks[i].free, p), "freeing a free page")
            PageChunk.set(chunks[i].free, p, true)
        }
        chunks[i].freePages += npages
        freePages += npages
        if i < searchFrom { searchFrom = i }
    }

    /// Releases `maxPages` free, unscavenged pages to the OS, or all there
    /// are if fewer, highest addresses first (Go's scavenger order, pageAlloc
    /// scavenge / scavengeOne); returns how many — with
    /// `keepsHugePagesWhole`, up to a huge page more than asked where a run
    /// grows to keep one whole.
    mutating func release(maxPages: Int) -> Int {
        var released = 0
        var i = chunks.count - 1
        while i >= 0 && released < maxPages {
            if chunks[i].freePages > chunks[i].scavengedPages {
                released += releaseInChunk(i, maxPages: maxPages - released)
            }
            i -= 1
        }
        return released
    }

    private mutating func releaseInChunk(_ i: Int, maxPages: Int) -> Int {
        let c = chunks[i]
        var released = 0
        var w = c.words - 1
        while w >= 0 && released < maxPages {
            // Whole words of pages that are in use or already released are
            // skipped at once.
            let bits = c.free[w] & ~c.scavenged[w]
            if bits == 0 {
                w -= 1
                continue
            }
            let (start, end) = candidate(in: c, top: w << 6 | (63 - bits.leadingZeroBitCount),
                                         maxPages: maxPages - released)
            let count = end - start
            let run = c.base + start << pageShift
            if hugePages { noHugePagesAtTheEnds(run, bytes: count << pageShift) }
            _ = madvise(run, count << pageShift, MADV_DONTNEED)
            for q in start..<end { PageChunk.set(c.scavenged, q, true) }
            chunks[i].scavengedPages += count
            scavengedPages += count
            releasedPagesTotal += count
            released += count
            w = start >> 6
        }
        return released
    }

    /// Go's pallocData.findScavengeCandidate (mgcscavenge.go, go1.19 and
    /// go1.27), with Go's minimum of one page (linux/amd64): the pages
    /// [start, end) to release of the free, unscavenged run whose highest
    /// page is `top` — its top `maxPages` pages, and with
    /// `keepsHugePagesWhole` grown down to the huge page boundary below them
    /// when they reach the boundary above their start and the run covers the
    /// huge page below it, so as not to break a huge page that could stay
    /// whole.
    func candidate(in c: PageChunk, top: Int, maxPages: Int) -> (start: Int, end: Int) {
        let end = top + 1
        let runStart = c.unscavengedRunStart(top: top)
        var start = end - min(end - runStart, maxPages)
        if pagesPerHugePage > 0 {
            // Huge page boundaries are in addresses; the chunk's first page
            // need not sit on one.
            let first = Int(UInt(bitPattern: c.base) >> UInt(pageShift))
            let per = pagesPerHugePage
            let above = (first + start + per - 1) / per * per - first
            if above <= end {
                let below = (first + start) / per * per - first
                if below >= runStart { start = below }
            }
        }
        return (start, end)
    }

    /// Go 1.19's sysUnusedOS: no huge pages for the huge pages holding the
    /// run's unaligned ends, so khugepaged cannot bring the released pages
    /// back as part of a huge page.
    func noHugePagesAtTheEnds(_ v: UnsafeMutableRawPointer, bytes n: Int) {
        guard hugePageBytes > 0 else { return }
        let huge = UInt(hugePageBytes)
        let a = UInt(bitPattern: v)
        let head: UInt = a & (huge - 1) != 0 ? a & ~(huge - 1) : 0
        let tail: UInt = (a + UInt(n)) & (huge - 1) != 0 ? (a + UInt(n) - 1) & ~(huge - 1) : 0
        if head != 0 && head + huge == tail {
            _ = madvise(UnsafeMutableRawPointer(bitPattern: head), Int(2 * huge), MADV_NOHUGEPAGE)
        } else {
            if head != 0 { _ = madvise(UnsafeMutableRawPointer(bitPattern: head), Int(huge), MADV_NOHUGEPAGE) }
            if tail != 0 && tail != head { _ = madvise(UnsafeMutableRawPointer(bitPattern: tail), Int(huge), MADV_NOHUGEPAGE) }
        }
    }

    /// How many bytes of the chunks the kernel holds resident (mincore): the
    /// check of `sysPages − scavengedPages` against the operating system.
    func kernelResidentBytes() -> Int {
        let osPage = Int(sysconf(Int32(_SC_PAGESIZE)))
        var resident = 0
        for c in chunks {
            let bytes = c.pages << pageShift
            let vec = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes / osPage)
            defer { vec.deallocate() }
            guard mincore(c.base, bytes, vec) == 0 else { continue }
            for i in 0..<(bytes / osPage) where vec[i] & 1 != 0 { resident += osPage }
        }
        return resident
    }

    /// Every broken invariant: counts match the bitmaps, scavenged pages are
    /// free, chunks are in order and do not overlap.
    func invariantViolations() -> [String] {
        var problems: [String] = []
        var sys = 0, free = 0, scav = 0
        for (n, c) in chunks.enumerated() {
            if n > 0 && chunks[n - 1].end > c.base { problems.append("page chunks out of order or overlapping") }
            var f = 0, s = 0
            for w in 0..<c.words {
                f += c.free[w].nonzeroBitCount
                s += c.scavenged[w].nonzeroBitCount
                if c.scavenged[w] & ~c.free[w] != 0 { problems.append("chunk \(n): a scavenged page is in use") }
            }
            if f != c.freePages || s != c.scavengedPages { problems.append("chunk \(n): page counts disagree with its bitmaps") }
            if n < searchFrom && c.freePages > 0 { problems.append("chunk \(n) has free pages below the search start") }
            sys += c.pages
            free += f
            scav += s
        }
        if sys != sysPages || free != freePages || scav != scavengedPages {
            problems.append("page totals \(sysPages)/\(freePages)/\(scavengedPages) but chunks add up to \(sys)/\(free)/\(scav)")
        }
        return problems
    }

    /// Frees the bitmaps (the chunks' memory is the heap's to give back).
    func destroy() {
        for c in chunks { c.free.deallocate() }
    }
}
