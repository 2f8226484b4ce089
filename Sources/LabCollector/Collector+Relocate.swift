// Payload relocation (`relocate=sparse:t`): what a non-moving collector such
// as Go's cannot do. See Collector.swift for the overview.

import LabHeap
import LabMaps

extension Collector {
    /// After marking: copies every movable object that sits in a span below
    /// its map's occupancy threshold into another span, updates the one slot
    /// that points at it, and unmarks the original so the sweep frees it (and
    /// its span, once all its survivors have moved). Pinned or shared objects
    /// never reach here (see `Marker.firstRefs`).
    func relocate(_ movable: [(slot: UnsafeMutableRawPointer, threshold: Double)], into stats: inout CycleStats) {
        // Keep the candidates whose span is sparse (a popcount of its marks).
        var moves: [(object: HeapObject, slot: UnsafeMutableRawPointer)] = []
        var sparse = Set<Span>()
        for (slot, threshold) in movable {
            guard let object = heap.findObject(UnsafeRawPointer(bitPattern: slot.load(as: UInt.self))!) else { continue }
            let span = object.span
            guard sparse.contains(span) || Double(span.markedCount) < threshold * Double(span.nelems) else { continue }
            sparse.insert(span)
            moves.append((object, slot))
        }
        guard !moves.isEmpty else { return }
        // Keep the sparse spans out of allocation while their objects move.
        heap.releaseAllCaches()
        heap.withSpansDetached(Array(sparse)) {
            let mutator = relocationMutator
            for (object, slot) in moves {
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
}
