// Payload relocation (`relocate=sparse:t`): what a non-moving collector such
// as Go's cannot do. See Collector.swift for the overview.

extension BucketMap {
    /// The occupancy threshold when this map may have its payloads moved
    /// now: relocation on, not growing, no iterator open.
    var relocationThreshold: Double? {
        guard case let .sparse(t) = policy.relocation, !isGrowing, h.pointee.openIterators == 0 else { return nil }
        return t
    }

    /// The map's bucket objects: the array and every separately allocated
    /// overflow bucket.
    var bucketObjects: [UnsafeMutableRawPointer] {
        guard let array = h.pointee.buckets else { return [] }
        var objects = [array]
        let arrayEnd = array + bucketArrayCount(B: h.pointee.B) * bucketSize
        for i in 0..<(1 << Int(h.pointee.B)) {
            var b = bucket(array, i)
            while let o = overflow(b) {
                if o < array || o >= arrayEnd { objects.append(o) }
                b = o
            }
        }
        return objects
    }
}

extension Collector {
    /// After marking: copies every movable object that sits in a span below
    /// its map's occupancy threshold into another span, updates the one slot
    /// that points at it, and unmarks the original so the sweep frees it (and
    /// its span, once all its survivors have moved). Pinned or shared objects
    /// never reach here (`Marker.movable`).
    func relocate(_ movable: [UInt: (slot: UnsafeMutableRawPointer, threshold: Double)], into stats: inout CycleStats) {
        guard !movable.isEmpty else { return }
        // Group by span, keeping objects whose span is below their map's
        // threshold.
        var bySpan: [Span: [(base: UInt, slot: UnsafeMutableRawPointer)]] = [:]
        var marked: [Span: Int] = [:]
        for (base, ref) in movable {
            guard let object = heap.findObject(UnsafeRawPointer(bitPattern: base)!) else { continue }
            let span = object.span
            let count = marked[span] ?? span.markedCount
            marked[span] = count
            guard Double(count) < ref.threshold * Double(span.nelems) else { continue }
            bySpan[span, default: []].append((base, ref.slot))
        }
        let sparse = bySpan
        guard !sparse.isEmpty else { return }
        // Keep the sparse spans out of allocation while their objects move.
        heap.releaseAllCaches()
        heap.withSpansDetached(Array(sparse.keys)) {
            let mutator = relocationMutator
            for (span, objects) in sparse {
                for (base, slot) in objects {
                    let old = UnsafeMutableRawPointer(bitPattern: base)!
                    let index = span.objectIndex(of: old)!
                    let descriptor = heap.typeDescriptor(span.typeID(index))
                    let type = ObjectType(id: descriptor.id, size: descriptor.size, noscan: descriptor.noscan)
                    let bytes = span.elemsize
                    let copy = mutator.allocate(spanClass: SpanClass(sizeClass: span.spanClass.sizeClass, noscan: type.noscan),
                                                typeID: type.id, bytes: bytes)
                    copy.copyMemory(from: old, byteCount: bytes)
                    let target = slot.load(as: UInt.self)
                    slot.storeBytes(of: UInt(bitPattern: copy) + (target - base), as: UInt.self)
                    heap.mark(copy)
                    span.clearMarked(index)
                    stats.objectsRelocated += 1
                    stats.bytesRelocated += bytes
                }
            }
            mutator.releaseCachedSpans()
        }
    }
}
