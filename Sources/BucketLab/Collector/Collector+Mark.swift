// Marking and the leak audit. See Collector.swift for the overview.

/// What a mark found.
struct MarkResult {
    var objects = 0
    var bytes = 0
    var bytesScanned = 0
    var leakedObjects = 0
    var leakedBytes = 0
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

    /// Marks the object containing `address`, if it is an allocated object of
    /// this heap, and queues it for scanning unless it is noscan.
    @inline(__always)
    mutating func grey(_ address: UInt) {
        guard address != 0, let raw = UnsafeRawPointer(bitPattern: address),
              let h = pageMap.lookup(raw) else { return }
        let span = Span(h)
        guard let index = span.objectIndex(of: raw), span.isAllocated(index), span.setMarked(index) else { return }
        result.objects += 1
        result.bytes += span.elemsize
        if !span.spanClass.noscan { stack.append((span, index)) }
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
                for e in 0..<count { scanBucket(base + e * size, layout) }
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
    mutating func scanBucket(_ b: UnsafeMutableRawPointer, _ layout: BucketLayout) {
        if !layout.keyPointerWords.isEmpty || !layout.valuePointerWords.isEmpty {
            for i in 0..<bucketCount {
                let live = b.load(fromByteOffset: i, as: UInt8.self) >= minTopHash || auditing
                let k = b + (layout.keysOffset + i * layout.keySlotBytes)
                for w in layout.keyPointerWords { visit(k.load(fromByteOffset: w &* 8, as: UInt.self), live: live) }
                let v = b + (layout.valuesOffset + i * layout.valueSlotBytes)
                for w in layout.valuePointerWords { visit(v.load(fromByteOffset: w &* 8, as: UInt.self), live: live) }
            }
        }
        grey(b.load(fromByteOffset: layout.overflowOffset, as: UInt.self))
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
            marker.grey(UInt(bitPattern: map.headerAddress))
            for array in map.iteratorBucketArrays { marker.grey(UInt(bitPattern: array)) }
        }
        for address in pins.keys { marker.grey(address) }
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
        return marker.result
    }
}
