// What the mark loop (and relocation's walk of the buckets) knows of each
// type, by type id. See Collector.swift for the overview.

import LabHeap

/// Per-type scanning facts, flattened by type id for the mark loop.
struct ScanTable {
    var size: [Int] = []
    var pointerWords: [[Int]] = []
    var plan: [BucketPlan?] = []

    init(_ descriptors: [TypeDescriptor]) {
        size = descriptors.map(\.size)
        pointerWords = descriptors.map(\.pointerWords)
        plan = descriptors.map { $0.bucketLayout.map(BucketPlan.init) }
    }
}

/// A bucket layout flattened for the mark loop, which reads it once per
/// bucket: one range test tells a live control byte, and every pointer word
/// of every slot is one entry of `words`. Walking the layout's arrays slot
/// by slot instead spent about a third of a cycle's mark time in loop
/// overhead (docs/notes/mark-performance.md).
struct BucketPlan {
    let slotCount: Int
    let controlOffset: Int
    /// A slot is live when `control &- liveLow <= liveMax` (unsigned): a
    /// classic tophash at or above the minimum, a Swiss control byte below
    /// 0x80 (the layout's `SlotLiveness`, as one test).
    let liveLow: UInt8
    let liveMax: UInt8
    /// Each pointer word as `byteOffset << offsetShift | valueFlag? | slot`,
    /// slot by slot, keys then values.
    let words: [Int]
    static let slotMask = 15
    static let valueFlag = 16
    static let offsetShift = 5
    let overflowOffset: Int?

    init(_ layout: BucketLayout) {
        precondition(layout.slotCount <= Self.slotMask + 1)
        slotCount = layout.slotCount
        controlOffset = layout.controlOffset
        switch layout.liveness {
        case let .tophashAtLeast(minimum):
            liveLow = minimum
            liveMax = 255 - minimum
        case .controlHighBitClear:
            liveLow = 0
            liveMax = 0x7F
        }
        var words: [Int] = []
        for i in 0..<layout.slotCount {
            for w in layout.keyPointerWords {
                words.append((layout.keysOffset + i * layout.keySlotBytes + w * 8) << Self.offsetShift | i)
            }
            for w in layout.valuePointerWords {
                words.append((layout.valuesOffset + i * layout.valueSlotBytes + w * 8) << Self.offsetShift | Self.valueFlag | i)
            }
        }
        self.words = words
        overflowOffset = layout.overflowOffset
    }

    /// Bit i set: slot i of the bucket at `b` holds an entry.
    @inline(__always)
    func liveSlots(_ b: UnsafeRawPointer) -> UInt {
        var live: UInt = 0
        for i in 0..<slotCount where b.load(fromByteOffset: controlOffset &+ i, as: UInt8.self) &- liveLow <= liveMax {
            live |= 1 << UInt(i)
        }
        return live
    }
}
