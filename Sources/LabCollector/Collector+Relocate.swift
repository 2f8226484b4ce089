// Payload relocation (`relocate=sparse:t`): what a non-moving collector such
// as Go's cannot do. See Collector.swift for the overview.
//
// After the mark, which under a relocating map also records which objects it
// reached more than once (`Marker.markShared`): an object reached once has
// exactly one pointer to it, so it may move if that pointer is a live value
// slot of a relocating map — the slot is then updated. The mark records no
// candidates: recording one per live slot, with a per-object lookup of which
// buckets relocate, made `compact`'s mark about twice `go`'s
// (docs/notes/mark-performance.md). Instead, relocation first weighs the
// sparse spans: unless they hold at least `wastePercent` of the heap's spans
// (G1's rule), the cycle moves nothing; in most cycles the only sparse spans
// are the few still being filled. Otherwise it walks the relocating maps'
// buckets once more (a second read of every bucket: about as long as marking
// them), in the maps' own order, so what moves does not depend on the number
// of mark workers.

import LabHeap
import LabMaps

extension Collector {
    /// Copies every movable object that sits in a span below its map's
    /// occupancy threshold into another span, updates the one slot that
    /// points at it, and unmarks the original so the sweep frees it (and its
    /// span, once all its survivors have moved). A span is judged once, by
    /// the threshold of the first map whose slot points into it; the verdict
    /// is kept in its header's collector note for the rest of the walk.
    func relocate(isShared: (HeapObject) -> Bool, into stats: inout CycleStats) {
        let movers = rootMaps.compactMap { map in map.relocationThreshold.map { (map, $0) } }
        guard let highest = movers.map(\.1).max() else { return }
        let (candidates, spanBytes) = spansBelow(highest)
        guard candidates.reduce(0, { $0 + $1.bytes }) * 100 >= spanBytes * Self.wastePercent else { return }
        let filter = CandidatePages(candidates)
        defer { filter.deallocate() }

        let sparseNote: UInt8 = 1, denseNote: UInt8 = 2
        let table = ScanTable(heap.typeDescriptors)
        let pageMap = heap.pageMap
        var moves: [(slot: UnsafeMutableRawPointer, object: HeapObject)] = []
        var judged: [Span] = []
        var sparse: [Span] = []
        for (map, threshold) in movers {
            for storage in map.storageObjects {
                guard let h = pageMap.lookup(storage) else { continue }
                let span = Span(h)
                guard let index = span.objectIndex(of: storage) else { continue }
                let type = Int(span.typeID(index).rawValue)
                guard let plan = table.plan[type] else { continue }
                let size = table.size[type]
                let base = span.objectAddress(index)
                for e in 0..<max(1, span.objectBytes / size) {
                    let b = base + e * size
                    let occupied = plan.liveSlots(b)
                    for code in plan.words where code & BucketPlan.valueFlag != 0
                        && occupied >> UInt(code & BucketPlan.slotMask) & 1 != 0 {
                        let slot = b + code >> BucketPlan.offsetShift
                        let word = slot.load(as: UInt.self)
                        if !filter.mayHold(word) { continue }
                        guard let target = UnsafeRawPointer(bitPattern: word), let th = pageMap.lookup(target) else { continue }
                        let targetSpan = Span(th)
                        guard !targetSpan.spanClass.isLarge, let i = targetSpan.objectIndex(of: target),
                              targetSpan.isMarked(i) else { continue }
                        var note = targetSpan.collectorNote
                        if note == 0 {
                            note = Double(targetSpan.markedCount) < threshold * Double(targetSpan.nelems) ? sparseNote : denseNote
                            targetSpan.collectorNote = note
                            judged.append(targetSpan)
                            if note == sparseNote { sparse.append(targetSpan) }
                        }
                        let object = HeapObject(span: targetSpan, index: i)
                        if note == sparseNote && !isShared(object) { moves.append((slot, object)) }
                    }
                }
            }
        }
        for span in judged { span.collectorNote = 0 }
        guard !moves.isEmpty else { return }
        // Keep the sparse spans out of allocation while their objects move.
        heap.releaseAllCaches()
        heap.withSpansDetached(sparse) {
            let mutator = relocationMutator
            for (slot, object) in moves {
                let span = object.span, old = object.address
                let bytes = span.elemsize
                let copy = mutator.allocate(spanClass: span.spanClass, typeID: object.typeID, bytes: bytes)
                copy.copyMemory(from: old, byteCount: bytes)
                let target = slot.load(as: UInt.self)
                slot.storeBytes(of: UInt(bitPattern: copy) + (target - UInt(bitPattern: old)), as: UInt.self)
                heap.mark(copy)
                span.clearMarked(object.index)
                stats.objectsRelocated += 1
                stats.bytesRelocated += bytes
            }
            mutator.releaseCachedSpans()
        }
    }

    /// Relocation runs when the spans below the threshold hold at least
    /// this share of the heap's spans, in percent: G1's rule for evacuating
    /// old regions (G1HeapWastePercent, default 5 — "the garbage-collector
    /// will not initiate a mixed garbage collection cycle when the
    /// reclaimable percentage is less than the heap waste percentage",
    /// Oracle's G1 tuning guide). Below it, a walk of every bucket would be
    /// paid to give back a few spans: while a map fills, the only spans
    /// below it are the few still being filled.
    static let wastePercent = 5

    /// The spans of small objects that hold marked objects below `threshold`
    /// of their slots (only objects in them can move), and the bytes of all
    /// spans in use. One pass over the span headers.
    private func spansBelow(_ threshold: Double) -> (spans: [Span], spanBytes: Int) {
        var found: [Span] = []
        var bytes = 0
        heap.forEachInUseSpan { span in
            bytes += span.bytes
            guard !span.spanClass.isLarge else { return }
            let marked = span.markedCount
            if marked > 0 && Double(marked) < threshold * Double(span.nelems) { found.append(span) }
        }
        return (found, bytes)
    }
}

/// The pages of the candidate spans as a bitmap over the address range they
/// cover: a slot's target is tested with a subtraction and one bit, and the
/// span header (a cache miss per payload) is read only for targets in a
/// candidate span. While a map fills, the candidates are a few spans still
/// being filled, and a million targets miss them. A range over 8 GiB (the
/// heap's chunks far apart) gets no bitmap, and every target is looked up.
struct CandidatePages {
    let low: UInt
    let pages: UInt
    let bits: UnsafeMutablePointer<UInt64>?

    init(_ spans: [Span]) {
        let low = spans.map { UInt(bitPattern: $0.base) }.min() ?? 0
        let high = spans.map { UInt(bitPattern: $0.base) + UInt($0.bytes) }.max() ?? 0
        let pages = (high - low) >> UInt(pageShift)
        self.low = low
        guard pages <= 1 << 20 else {
            self.pages = 0
            bits = nil
            return
        }
        self.pages = pages
        let words = Int(pages + 63) >> 6
        let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, words))
        bits.initialize(repeating: 0, count: max(1, words))
        for span in spans {
            let first = (UInt(bitPattern: span.base) - low) >> UInt(pageShift)
            for page in first..<(first + UInt(span.npages)) { bits[Int(page >> 6)] |= 1 << UInt64(page & 63) }
        }
        self.bits = bits
    }

    /// False when `address` is in none of the candidate spans.
    @inline(__always)
    func mayHold(_ address: UInt) -> Bool {
        guard let bits else { return true }
        let page = (address &- low) >> UInt(pageShift)
        return page < pages && bits[Int(page >> 6)] & (1 << UInt64(page & 63)) != 0
    }

    func deallocate() { bits?.deallocate() }
}
