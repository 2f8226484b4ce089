// Marking and the leak audit. See Collector.swift for the overview.

import LabHeap
import LabMaps

/// What a mark found.
struct MarkResult {
    var objects = 0
    var bytes = 0
    var bytesScanned = 0
    var leakedObjects = 0
    var leakedBytes = 0
    /// Slot words whose target only they reach (relocation candidates).
    var movable: [(slot: UnsafeMutableRawPointer, threshold: Double)] = []
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

/// The mark phase's working state: a work stack of objects to scan (no
/// recursion) and the words of deleted slots set aside for the audit.
struct Marker {
    let pageMap: PageMap
    let table: ScanTable
    var stack: [(span: Span, index: Int)] = []
    var deferred: [UInt] = []
    /// In the audit phase deleted slots are scanned like live ones.
    var auditing = false
    var result = MarkResult()
    /// Bucket objects of maps that relocate payloads: their live value words
    /// are set aside in `slotRefs` instead of followed.
    var relocatingBuckets: [UInt: Double] = [:]
    var slotRefs: [(slot: UnsafeMutableRawPointer, threshold: Double)] = []
    /// Once set, reaching an already-marked object again records it as shared.
    var trackingShared = false
    /// Slot words of relocating maps whose target they were first to mark;
    /// the target may move unless it is in `shared` too.
    var firstRefs: [(slot: UnsafeMutableRawPointer, threshold: Double)] = []
    /// Objects reached again after a first slot reference (from another
    /// slot, a payload, a stale slot): per span, a bitmap of slots. Rare, so
    /// kept sparse.
    var shared: [UnsafeMutablePointer<SpanHeader>: [UInt64]] = [:]

    func isShared(_ object: HeapObject) -> Bool {
        guard let bits = shared[object.span.header] else { return false }
        return bits[object.index >> 6] & (1 << UInt64(object.index & 63)) != 0
    }

    /// Marks the object containing `address`, if it is an allocated object of
    /// this heap, and queues it for scanning unless it is noscan.
    @inline(__always)
    mutating func grey(_ address: UInt) {
        guard address != 0, let raw = UnsafeRawPointer(bitPattern: address),
              let h = pageMap.lookup(raw) else { return }
        let span = Span(h)
        guard let index = span.objectIndex(of: raw), span.isAllocated(index) else { return }
        guard span.setMarked(index) else {
            if trackingShared { markShared(span, index) }
            return
        }
        result.objects += 1
        result.bytes += span.elemsize
        if !span.spanClass.noscan { stack.append((span, index)) }
    }

    mutating func markShared(_ span: Span, _ index: Int) {
        let words = (span.nelems + 63) >> 6
        shared[span.header, default: [UInt64](repeating: 0, count: words)][index >> 6] |= 1 << UInt64(index & 63)
    }

    /// Scans queued objects until none is left.
    mutating func drain() {
        while let (span, index) = stack.popLast() {
            let base = span.objectAddress(index)
            let type = Int(span.typeID(index).rawValue)
            let size = table.size[type]
            let count = max(1, span.objectBytes / size)
            result.bytesScanned += count * size
            if let layout = table.bucket[type] {
                let threshold = relocatingBuckets.isEmpty ? nil : relocatingBuckets[UInt(bitPattern: base)]
                for e in 0..<count { scanBucket(base + e * size, layout, relocation: threshold) }
            } else {
                let words = table.pointerWords[type]
                for e in 0..<count {
                    let element = base + e * size
                    for w in words { grey(element.load(fromByteOffset: w &* 8, as: UInt.self)) }
                }
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
                        if v.load(fromByteOffset: w &* 8, as: UInt.self) != 0 { slotRefs.append((v + w &* 8, threshold)) }
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
        if live { grey(word) } else if word != 0 { deferred.append(word) }
    }
}

extension Collector {
    /// Marks everything reachable from the roots (world stopped, heap swept),
    /// then audits what deleted slots alone keep.
    func mark() -> MarkResult {
        var marker = Marker(pageMap: heap.pageMap, table: ScanTable(heap.typeDescriptors))
        for map in rootMaps {
            guard let t = map.relocationThreshold else { continue }
            for object in map.storageObjects { marker.relocatingBuckets[UInt(bitPattern: object)] = t }
        }
        heap.roots.forEachRoot { address, _ in marker.grey(UInt(bitPattern: address)) }
        marker.drain()

        // Live slots of relocating maps: what they alone reach may move.
        marker.trackingShared = true
        let slotRefs = marker.slotRefs
        marker.slotRefs = []
        for (slot, threshold) in slotRefs {
            let target = slot.load(as: UInt.self)
            guard let object = heap.findObject(UnsafeRawPointer(bitPattern: target)!), object.isAllocated else { continue }
            if object.span.isMarked(object.index) {
                marker.markShared(object.span, object.index)  // reached otherwise, or twice
            } else {
                marker.grey(target)
                if !object.span.spanClass.isLarge { marker.firstRefs.append((slot, threshold)) }
            }
        }
        marker.drain()

        // The audit: what only deleted or evacuated slots reach.
        let live = marker.result
        marker.auditing = true
        let deferred = marker.deferred
        marker.deferred = []
        for word in deferred { marker.grey(word) }
        marker.drain()
        marker.result.leakedObjects = marker.result.objects - live.objects
        marker.result.leakedBytes = marker.result.bytes - live.bytes
        marker.result.movable = marker.firstRefs.compactMap { ref in
            let target = UnsafeRawPointer(bitPattern: ref.slot.load(as: UInt.self))!
            guard let object = heap.findObject(target), !marker.isShared(object) else { return nil }
            return (ref.slot, ref.threshold)
        }
        return marker.result
    }
}
