// Marking and the leak audit. See Collector.swift for the overview.

import CLabIntrinsics
import LabHeap
import LabMaps

/// What a mark found.
struct MarkResult {
    var objects = 0
    var bytes = 0
    var bytesScanned = 0
    /// Of those, the bytes of objects other than map storage (bucket and
    /// group arrays): values and keys stored out of line, entries, nodes.
    var otherBytesScanned = 0
    var leakedObjects = 0
    var leakedBytes = 0
    /// Whether an object was reached more than once (tracked when some map
    /// relocates): one that was not has exactly one pointer to it, so
    /// relocation may move it and update that pointer
    /// (Collector+Relocate.swift).
    var isShared: (HeapObject) -> Bool = { _ in false }
}

/// An address `greySoon` holds, and its page's page-map entry.
struct PendingMark {
    var address: UnsafeRawPointer
    var entry: UnsafeMutablePointer<UnsafeMutablePointer<SpanHeader>?>
}

/// A unit of scanning: `count` elements of type `type` from `base` — a whole
/// object, or one oblet of a large one (Go splits objects over 128 KiB into
/// oblets so that several workers can scan one big bucket array).
struct ScanJob {
    var base: UnsafeMutableRawPointer
    var count: Int
    var type: Int
}

/// The mark phase's working state: a work stack of objects to scan (no
/// recursion) and the words of deleted slots set aside for the audit. Each
/// mark worker has one (MarkWorkers.swift); `markFrom(_:workers:on:)` merges
/// theirs back.
struct Marker {
    /// Go's maxObletBytes.
    static let obletBytes = 128 << 10

    let pageMap: PageMap
    let table: ScanTable
    /// Other workers mark too: set mark bits atomically.
    var concurrent = false
    var stack: [ScanJob] = []
    var deferred: [UInt] = []
    /// In the audit phase deleted slots are scanned like live ones.
    var auditing = false
    var result = MarkResult()
    /// Set when some map relocates: reaching an already-marked object again
    /// records it as shared.
    var trackingShared = false
    /// Objects reached more than once (by any two of a slot, a payload, a
    /// stale slot, a root): per span, a bitmap of slots. Rare, so kept
    /// sparse.
    var shared: [UnsafeMutablePointer<SpanHeader>: [UInt64]] = [:]
    /// `greySoon`'s ring of addresses whose headers are on their way: set
    /// only while `drain` runs (its own stack memory).
    static let prefetchDistance = 32
    var pending: UnsafeMutablePointer<PendingMark>? = nil
    var pendingHead = 0
    var pendingCount = 0

    /// Marks the object containing `address`, if it is an allocated object of
    /// this heap, and queues it for scanning unless it is noscan. Returns the
    /// object when this call marked it.
    @inline(__always)
    @discardableResult
    mutating func grey(_ address: UInt) -> HeapObject? {
        guard address != 0, let raw = UnsafeRawPointer(bitPattern: address),
              let h = pageMap.lookup(raw) else { return nil }
        return mark(raw, in: h)
    }

    /// `grey`, a few objects later. Marking a payload is three dependent
    /// loads (its page's page-map entry, the span header, the mark word) and
    /// on a heap of this lab's sizes the first two miss the cache; issued one
    /// object at a time, every mark waits for both. So `greySoon` pipelines
    /// them through a ring of `prefetchDistance` addresses: on entry it
    /// prefetches the page-map entry; `prefetchDistance / 2` addresses later
    /// it reads that entry and prefetches the header's two lines; once the
    /// ring is full, the oldest address is marked (and `markPending` marks
    /// the rest when the drain runs out of jobs). Outside `drain` (roots,
    /// the overflow words) marking is immediate. Measured gains:
    /// docs/notes/mark-performance.md.
    @_transparent
    mutating func greySoon(_ address: UInt) {
        guard let pending else { grey(address); return }
        guard address != 0, let raw = UnsafeRawPointer(bitPattern: address),
              let entry = pageMap.entry(raw) else { return }
        bl_prefetch(entry)
        let n = Self.prefetchDistance
        let oldest = pending + (pendingHead & (n - 1))
        if pendingCount == n {
            mark(oldest.pointee)
        } else {
            pendingCount += 1
        }
        oldest.pointee = PendingMark(address: raw, entry: entry)
        if pendingCount > n / 2, let h = pending[(pendingHead &- n / 2) & (n - 1)].entry.pointee {
            bl_prefetch(h)
            bl_prefetch(UnsafeRawPointer(h) + 64)
        }
        pendingHead &+= 1
    }

    /// Marks one address `greySoon` held.
    @_transparent
    mutating func mark(_ p: PendingMark) {
        if let h = p.entry.pointee { mark(p.address, in: h) }
    }

    /// Marks what `greySoon` still holds, oldest first.
    mutating func markPending() {
        guard let pending else { return }
        while pendingCount > 0 {
            let p = pending[(pendingHead &- pendingCount) & (Self.prefetchDistance - 1)]
            pendingCount -= 1
            mark(p)
        }
    }

    /// Marks the object containing `raw`, which lies in the pages of span `h`.
    @_transparent
    @discardableResult
    mutating func mark(_ raw: UnsafeRawPointer, in h: UnsafeMutablePointer<SpanHeader>) -> HeapObject? {
        let span = Span(h)
        guard let index = span.objectIndex(of: raw), span.isAllocated(index) else { return nil }
        guard concurrent ? span.setMarkedAtomically(index) : span.setMarked(index) else {
            if trackingShared { markShared(span, index) }
            return nil
        }
        result.objects += 1
        result.bytes += span.elemsize
        if !span.spanClass.noscan { queue(span, index) }
        return HeapObject(span: span, index: index)
    }

    /// Queues a newly marked object for scanning, in oblets if it is large.
    mutating func queue(_ span: Span, _ index: Int) {
        let base = span.objectAddress(index)
        let type = Int(span.typeID(index).rawValue)
        let size = table.size[type]
        let count = max(1, span.objectBytes / size)
        result.bytesScanned += count * size
        if table.plan[type] == nil { result.otherBytesScanned += count * size }
        let perOblet = max(1, Self.obletBytes / size)
        var first = 0
        while first < count {
            let n = min(perOblet, count - first)
            stack.append(ScanJob(base: base + first * size, count: n, type: type))
            first += n
        }
    }

    /// Queues the object containing `address` for scanning without marking
    /// it: what it points to is marked, the object itself only if something
    /// else reaches it (mgcmark.go, markrootSpans: "Mark everything that can
    /// be reached from the object (but *not* the object itself or we'll
    /// never collect it)").
    mutating func scanUnmarked(_ address: UInt) {
        guard let raw = UnsafeRawPointer(bitPattern: address), let h = pageMap.lookup(raw) else { return }
        let span = Span(h)
        guard let index = span.objectIndex(of: raw), span.isAllocated(index), !span.spanClass.noscan else { return }
        queue(span, index)
    }

    mutating func markShared(_ span: Span, _ index: Int) {
        let words = (span.nelems + 63) >> 6
        shared[span.header, default: [UInt64](repeating: 0, count: words)][index >> 6] |= 1 << UInt64(index & 63)
    }

    /// Scans queued objects until none is left; with a pool, until no worker
    /// has any left, giving half of its stack to the pool whenever another
    /// worker waits.
    mutating func drain(sharing pool: MarkPool? = nil) {
        withUnsafeTemporaryAllocation(of: PendingMark.self, capacity: Self.prefetchDistance) { ring in
            pending = ring.baseAddress
            pendingHead = 0
            pendingCount = 0
            defer { pending = nil }
            while true {
                repeat {
                    while let job = stack.popLast() {
                        scan(job)
                        if let pool, stack.count >= 2, pool.wantsWork {
                            let half = stack.count / 2
                            pool.give(Array(stack[..<half]))
                            stack.removeFirst(half)
                        }
                    }
                    markPending()
                } while !stack.isEmpty
                guard let pool, let batch = pool.take() else { return }
                stack = batch
            }
        }
    }

    /// One job's objects. Its own function, so that the per-target steps
    /// (`greySoon`, `mark`) inline into its loop: they are @_transparent
    /// because @inline(__always) left them out of line (the gain:
    /// docs/notes/mark-performance.md).
    @inline(never)
    mutating func scan(_ job: ScanJob) {
        let size = table.size[job.type]
        if let plan = table.plan[job.type] {
            plan.words.withUnsafeBufferPointer { words in
                for e in 0..<job.count { scanBucket(job.base + e &* size, plan, words) }
            }
        } else {
            let words = table.pointerWords[job.type]
            for e in 0..<job.count {
                let element = job.base + e * size
                for w in words { greySoon(element.load(fromByteOffset: w &* 8, as: UInt.self)) }
            }
        }
    }

    /// Greys `roots` and drains on `workers` threads, each with a marker of
    /// its own (this one's settings, empty state), then takes in what they
    /// found. The marked set does not depend on `workers`: it is the closure
    /// of the roots either way.
    /// `scanning`: objects whose pointers are followed without marking the
    /// objects themselves (finalizable objects, Collector+Finalizers.swift).
    mutating func markFrom(_ roots: [UInt], scanning: [UInt] = [], workers: Int, on threads: MarkThreads) {
        precondition(stack.isEmpty)
        guard workers > 1 else {
            for root in roots { grey(root) }
            for object in scanning { scanUnmarked(object) }
            drain()
            return
        }
        // Each worker writes its marker's counters and ring on every mark:
        // two cache lines of padding keep one worker's box off the lines of
        // the next one's (false sharing made the two-worker mark take twice
        // as long whenever the allocator placed the boxes side by side).
        final class Box: @unchecked Sendable {
            var before: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                         UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var marker: Marker
            var after: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            init(_ marker: Marker) { self.marker = marker }
        }
        var fork = self
        fork.concurrent = true
        fork.result = MarkResult()
        fork.deferred = []
        fork.shared = [:]
        let boxes = (0..<workers).map { _ in Box(fork) }
        let pool = MarkPool(workers: workers)
        threads.run(workers) { i in
            for r in stride(from: i, to: roots.count, by: workers) { boxes[i].marker.grey(roots[r]) }
            for r in stride(from: i, to: scanning.count, by: workers) { boxes[i].marker.scanUnmarked(scanning[r]) }
            boxes[i].marker.drain(sharing: pool)
        }
        for box in boxes { absorb(box.marker) }
    }

    /// Adds a worker's findings to this marker's.
    private mutating func absorb(_ worker: Marker) {
        result.objects += worker.result.objects
        result.bytes += worker.result.bytes
        result.bytesScanned += worker.result.bytesScanned
        result.otherBytesScanned += worker.result.otherBytesScanned
        deferred += worker.deferred
        for (header, bits) in worker.shared {
            if var mine = shared[header] {
                for w in mine.indices { mine[w] |= bits[w] }
                shared[header] = mine
            } else {
                shared[header] = bits
            }
        }
    }

    /// A bucket, from its type's plan: live slots' pointer words are
    /// followed, deleted or evacuated slots' are set aside (or followed,
    /// when auditing), the overflow pointer always.
    @inline(__always)
    mutating func scanBucket(_ b: UnsafeMutableRawPointer, _ plan: BucketPlan, _ words: UnsafeBufferPointer<Int>) {
        if !words.isEmpty {
            let live = auditing ? ~0 : plan.liveSlots(b)
            for code in words {
                let word = b.load(fromByteOffset: code >> BucketPlan.offsetShift, as: UInt.self)
                if live >> UInt(code & BucketPlan.slotMask) & 1 != 0 {
                    greySoon(word)
                } else if word != 0 {
                    deferred.append(word)
                }
            }
        }
        if let overflow = plan.overflowOffset { grey(b.load(fromByteOffset: overflow, as: UInt.self)) }
    }
}

extension Collector {
    /// Marks everything reachable from the roots (world stopped, heap swept)
    /// on `gcWorkers` threads, then audits what deleted slots alone keep.
    func mark() -> MarkResult {
        let workers = max(1, gcWorkers)
        var marker = Marker(pageMap: heap.pageMap, table: ScanTable(heap.typeDescriptors))
        var roots: [UInt] = []
        heap.roots.forEachRoot { address, _ in roots.append(UInt(bitPattern: address)) }
        roots += specials.roots
        marker.trackingShared = rootMaps.contains { $0.relocationThreshold != nil }
        marker.markFrom(roots, scanning: specials.finalizable, workers: workers, on: markThreads)

        // The audit: what only deleted or evacuated slots reach.
        let live = marker.result
        marker.auditing = true
        let deferred = marker.deferred
        marker.deferred = []
        marker.markFrom(deferred, workers: workers, on: markThreads)
        marker.result.leakedObjects = marker.result.objects - live.objects
        marker.result.leakedBytes = marker.result.bytes - live.bytes
        queueUnreachableSpecials(&marker.result)
        let shared = marker.shared
        marker.result.isShared = { object in
            guard let bits = shared[object.span.header] else { return false }
            return bits[object.index >> 6] & (1 << UInt64(object.index & 63)) != 0
        }
        return marker.result
    }
}
