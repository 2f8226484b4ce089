// Payload relocation (`relocate=sparse:t`): what a non-moving collector such
// as Go's cannot do. See Collector.swift for the overview.

import LabHeap
import LabMaps

extension Collector {
    /// After marking: copies every movable object that sits in a span below
    /// its map's occupancy threshold into another span, updates the one slot
    /// that points at it, and unmarks the original so the sweep frees it (and
    /// its span, once all its survivors have moved). Candidates are the slots
    /// that were first to mark their target (`Marker.firstRefs`); a target
    /// reached again (`isShared`: pinned, shared, kept by a stale slot) stays.
    /// The mark handed over each candidate's object, so nothing is looked up
    /// again; a span is judged once (a popcount of its marks, by the first
    /// candidate's threshold) and the verdict kept in its header's collector
    /// note for the others; only candidates in sparse spans are checked for
    /// sharing.
    func relocate(_ movable: [MovableRef], isShared: (HeapObject) -> Bool, into stats: inout CycleStats) {
        let sparseNote: UInt8 = 1, denseNote: UInt8 = 2
        var moves: [MovableRef] = []
        var judged: [Span] = []
        var sparse: [Span] = []
        for ref in movable {
            let span = ref.object.span
            var note = span.collectorNote
            if note == 0 {
                note = Double(span.markedCount) < ref.threshold * Double(span.nelems) ? sparseNote : denseNote
                span.collectorNote = note
                judged.append(span)
                if note == sparseNote { sparse.append(span) }
            }
            if note == sparseNote && !isShared(ref.object) { moves.append(ref) }
        }
        for span in judged { span.collectorNote = 0 }
        guard !moves.isEmpty else { return }
        // Keep the sparse spans out of allocation while their objects move.
        heap.releaseAllCaches()
        heap.withSpansDetached(sparse) {
            let mutator = relocationMutator
            for ref in moves {
                let span = ref.object.span, old = ref.object.address
                let bytes = span.elemsize
                let copy = mutator.allocate(spanClass: span.spanClass, typeID: ref.object.typeID, bytes: bytes)
                copy.copyMemory(from: old, byteCount: bytes)
                let target = ref.slot.load(as: UInt.self)
                ref.slot.storeBytes(of: UInt(bitPattern: copy) + (target - UInt(bitPattern: old)), as: UInt.self)
                heap.mark(copy)
                span.clearMarked(ref.object.index)
                stats.objectsRelocated += 1
                stats.bytesRelocated += bytes
            }
            mutator.releaseCachedSpans()
        }
    }
}
