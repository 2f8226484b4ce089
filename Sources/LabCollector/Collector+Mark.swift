// Marking and the leak audit. See Collector.swift for the overview.

import CLabIntrinsics
import LabHeap
import LabMaps

/// What a mark found.
struct MarkResult {
    var objects = 0
    var bytes = 0
    var bytesScanned = 0
    var leakedObjects = 0
    var leakedBytes = 0
    /// Slot words that were first to mark their target (relocation
    /// candidates), and whether a target was reached again: then only its
    /// first slot would be updated, so it must not move.
    var firstRefs: [MovableRef] = []
    var isShared: (HeapObject) -> Bool = { _ in false }
}

/// A live slot of a relocating map and the object it was first to mark.
struct MovableRef {
    var slot: UnsafeMutableRawPointer
    var object: HeapObject
    /// The map's occupancy threshold (`relocate=sparse:t`).
    var threshold: Double
}

/// An address `greySoon` has looked up and not yet marked.
struct PendingMark {
    var address: UnsafeRawPointer
    var header: UnsafeMutablePointer<SpanHeader>
}

/// Per-type scanning facts, flattened by type id for the mark loop.
struct ScanTable {
    var size: [Int] = []
    var pointerWords: [[Int]] = []
    var bucket: [BucketLayout?] = []

    init(_ descriptors: [TypeDescriptor]) {
        size = descriptors.map(\.size)
        pointerWords = descriptors.map(\.pointerWords)
        bucket = descriptors.map(\.bucketLayout)
    }
}

/// A unit of scanning: `count` elements of type `type` from `base` — a whole
/// object, or one oblet of a large one (Go splits objects over 128 KiB into
/// oblets so that several workers can scan one big bucket array).
struct ScanJob {
    var base: UnsafeMutableRawPointer
    var count: Int
    var type: Int
    /// The occupancy threshold of a relocating map's buckets; negative: none.
    var relocation: Double
}

/// The mark phase's working state: a work stack of objects to scan (no
/// recursion) and the words of deleted slots set aside for the audit. Each
/// mark worker has one (MarkWorkers.swift); `markFrom(_:workers:on:spare:)` merges
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
    /// Bucket objects of maps that relocate payloads: a live value word that
    /// is first to mark its target is recorded in `firstRefs`.
    var relocatingBuckets: [UInt: Double] = [:]
    /// Set when some map relocates: reaching an already-marked object again
    /// records it as shared.
    var trackingShared = false
    /// Slot words of relocating maps whose target they were first to mark;
    /// the target may move unless it is in `shared` too (reached again, in
    /// any order, by any worker: so the set does not depend on the order).
    var firstRefs: [MovableRef] = []
    /// Objects reached again after a first slot reference (from another
    /// slot, a payload, a stale slot): per span, a bitmap of slots. Rare, so
    /// kept sparse.
    var shared: [UnsafeMutablePointer<SpanHeader>: [UInt64]] = [:]
    /// `greySoon`'s ring of addresses whose headers are on their way: set
    /// only while `drain` runs (its own stack memory).
    static let prefetchDistance = 16
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

    /// `grey`, a few objects later: the span header is prefetched now and
    /// the object marked once `prefetchDistance` more have been queued (or
    /// when the drain runs out of jobs). Marking a payload is three
    /// dependent loads (page map, span header, mark word); the header is the
    /// one that misses, and this lets the misses of a bucket's pointers
    /// overlap instead of queueing one behind the other. Outside `drain`
    /// (roots, relocation candidates) marking is immediate.
    @inline(__always)
    mutating func greySoon(_ address: UInt) {
        guard let pending else { grey(address); return }
        guard address != 0, let raw = UnsafeRawPointer(bitPattern: address),
              let h = pageMap.lookup(raw) else { return }
        bl_prefetch(h)
        bl_prefetch_write(UnsafeRawPointer(h) + 64)
        let slot = pending + (pendingHead & (Self.prefetchDistance - 1))
        pendingHead &+= 1
        if pendingCount == Self.prefetchDistance {
            mark(slot.pointee.address, in: slot.pointee.header)
        } else {
            pendingCount += 1
        }
        slot.pointee = PendingMark(address: raw, header: h)
    }

    /// Marks what `greySoon` still holds, oldest first.
    mutating func markPending() {
        guard let pending else { return }
        while pendingCount > 0 {
            let slot = pending + ((pendingHead &- pendingCount) & (Self.prefetchDistance - 1))
            pendingCount -= 1
            mark(slot.pointee.address, in: slot.pointee.header)
        }
    }

    /// Marks the object containing `raw`, which lies in the pages of span `h`.
    @inline(__always)
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
        let relocation = relocatingBuckets.isEmpty ? -1 : relocatingBuckets[UInt(bitPattern: base)] ?? -1
        let perOblet = max(1, Self.obletBytes / size)
        var first = 0
        while first < count {
            let n = min(perOblet, count - first)
            stack.append(ScanJob(base: base + first * size, count: n, type: type, relocation: relocation))
            first += n
        }
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

    @inline(__always)
    mutating func scan(_ job: ScanJob) {
        let size = table.size[job.type]
        if let layout = table.bucket[job.type] {
            let relocation = job.relocation < 0 ? nil : job.relocation
            for e in 0..<job.count { scanBucket(job.base + e * size, layout, relocation: relocation) }
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
    /// `spare` lends the workers arrays for their `firstRefs` and gets them
    /// back emptied, capacity kept: relocating maps record a candidate per
    /// live slot, and fresh arrays of that size cost more in page faults than
    /// the recording itself.
    mutating func markFrom(_ roots: [UInt], workers: Int, on threads: MarkThreads, spare: inout [[MovableRef]]) {
        precondition(stack.isEmpty)
        guard workers > 1 else {
            for root in roots { grey(root) }
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
        fork.firstRefs = []
        fork.shared = [:]
        let boxes = (0..<workers).map { _ in Box(fork) }
        for box in boxes { box.marker.firstRefs = spare.popLast() ?? [] }
        let pool = MarkPool(workers: workers)
        threads.run(workers) { i in
            for r in stride(from: i, to: roots.count, by: workers) { boxes[i].marker.grey(roots[r]) }
            boxes[i].marker.drain(sharing: pool)
        }
        for box in boxes {
            var refs = box.marker.firstRefs
            box.marker.firstRefs = []
            absorb(box.marker)
            firstRefs += refs
            refs.removeAll(keepingCapacity: true)
            spare.append(refs)
        }
    }

    /// Adds a worker's findings to this marker's.
    private mutating func absorb(_ worker: Marker) {
        result.objects += worker.result.objects
        result.bytes += worker.result.bytes
        result.bytesScanned += worker.result.bytesScanned
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

    /// A bucket: live slots' pointer words are followed, deleted or
    /// evacuated slots' are set aside (or followed, when auditing), the
    /// overflow pointer always.
    @inline(__always)
    mutating func scanBucket(_ b: UnsafeMutableRawPointer, _ layout: BucketLayout, relocation: Double?) {
        if !layout.keyPointerWords.isEmpty || !layout.valuePointerWords.isEmpty {
            for i in 0..<layout.slotCount {
                let occupied = layout.isLive(b, slot: i)
                let live = occupied || auditing
                let k = b + (layout.keysOffset + i * layout.keySlotBytes)
                for w in layout.keyPointerWords { visit(k.load(fromByteOffset: w &* 8, as: UInt.self), live: live) }
                let v = b + (layout.valuesOffset + i * layout.valueSlotBytes)
                for w in layout.valuePointerWords {
                    if let threshold = relocation, occupied {
                        let slot = v + w &* 8
                        if let object = grey(slot.load(as: UInt.self)), !object.span.spanClass.isLarge {
                            firstRefs.append(MovableRef(slot: slot, object: object, threshold: threshold))
                        }
                    } else {
                        visit(v.load(fromByteOffset: w &* 8, as: UInt.self), live: live)
                    }
                }
            }
        }
        if let overflow = layout.overflowOffset { grey(b.load(fromByteOffset: overflow, as: UInt.self)) }
    }

    @inline(__always)
    mutating func visit(_ word: UInt, live: Bool) {
        if live { greySoon(word) } else if word != 0 { deferred.append(word) }
    }
}

extension Collector {
    /// Marks everything reachable from the roots (world stopped, heap swept)
    /// on `gcWorkers` threads, then audits what deleted slots alone keep.
    func mark() -> MarkResult {
        let workers = max(1, gcWorkers)
        var marker = Marker(pageMap: heap.pageMap, table: ScanTable(heap.typeDescriptors))
        for map in rootMaps {
            guard let t = map.relocationThreshold else { continue }
            for object in map.storageObjects { marker.relocatingBuckets[UInt(bitPattern: object)] = t }
        }
        var roots: [UInt] = []
        heap.roots.forEachRoot { address, _ in roots.append(UInt(bitPattern: address)) }
        marker.trackingShared = !marker.relocatingBuckets.isEmpty
        if marker.trackingShared { marker.firstRefs = firstRefBuffers.popLast() ?? [] }
        marker.markFrom(roots, workers: workers, on: markThreads, spare: &firstRefBuffers)

        // The audit: what only deleted or evacuated slots reach.
        let live = marker.result
        marker.auditing = true
        let deferred = marker.deferred
        marker.deferred = []
        marker.markFrom(deferred, workers: workers, on: markThreads, spare: &firstRefBuffers)
        marker.result.leakedObjects = marker.result.objects - live.objects
        marker.result.leakedBytes = marker.result.bytes - live.bytes
        marker.result.firstRefs = marker.firstRefs
        let shared = marker.shared
        marker.result.isShared = { object in
            guard let bits = shared[object.span.header] else { return false }
            return bits[object.index >> 6] & (1 << UInt64(object.index & 63)) != 0
        }
        return marker.result
    }
}
