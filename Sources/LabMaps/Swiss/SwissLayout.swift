// The heap layout of a Swiss map's objects for one map type. See SwissMap.swift
// for the overview.

import LabHeap

/// Go's `maps.Map` header (internal/runtime/maps/map.go): 48 bytes, one
/// pointer word (`dirPtr`, word 2).
struct SwissHeader {
    var used: UInt64
    var seed: UInt64
    /// The directory (an array of `dirLen` table pointers), or for a small
    /// map its one group; nil before the first insert.
    var dirPtr: UnsafeMutableRawPointer?
    var dirLen: Int
    var globalDepth: UInt8
    var globalShift: UInt8
    var writing: UInt8
    var tombstonePossible: Bool
    var clearSeq: UInt64

    static let pointerWords = [2]
}

/// Go's `maps.table` (table.go): 32 bytes, one pointer word (`groups.data`,
/// word 2).
struct SwissTable {
    var used: UInt16
    /// Slots (a power of two, at most `swissMaxTableCapacity`).
    var capacity: UInt16
    /// Inserts left before the table must grow, tombstones not counted back.
    var growthLeft: UInt16
    var localDepth: UInt8
    /// The first directory entry pointing here; -1 once replaced by a grow or
    /// split (stale: only an iterator still reads it).
    var index: Int
    var groups: UnsafeMutableRawPointer?
    /// Groups − 1.
    var lengthMask: UInt64

    static let pointerWords = [2]
}

/// Slot geometry and heap types of a Swiss map for one key and value layout.
public struct SwissLayout: Sendable {
    /// One slot: the key, then the value at `elemOffset`, padded to the
    /// alignment of both (Go's compiler builds `struct { key K; elem V }`);
    /// a zero-size value takes one byte of padding before that, so its
    /// address stays inside the slot (cmd/compile types/size.go,
    /// CalcStructSize).
    public let slotSize: Int
    public let elemOffset: Int
    /// The 8-byte control word, then 8 slots.
    public let groupSize: Int
    /// One group (a table's groups are an array of them: one heap object).
    public let group: ObjectType
    public let table: ObjectType
    /// One directory entry (`*table`); a directory is an array of them.
    public let directoryEntry: ObjectType
    public let header: ObjectType

    /// The alignment Go's compiler gives a type of this size, for the
    /// shapes the lab uses (words, and byte arrays).
    static func alignment(_ size: Int) -> Int { size % 8 == 0 ? 8 : size % 4 == 0 ? 4 : size % 2 == 0 ? 2 : 1 }

    init(heap: MHeap, name: String, keySlotSize: Int, valueSlotSize: Int, keyPointerWords: [Int],
         valuePointerWords: [Int], indirectKey: Bool, indirectValue: Bool) {
        let alignment = Self.alignment
        let align = max(alignment(keySlotSize), valueSlotSize == 0 ? 1 : alignment(valueSlotSize))
        elemOffset = (keySlotSize + alignment(max(valueSlotSize, 1)) - 1) & ~(alignment(max(valueSlotSize, 1)) - 1)
        slotSize = (elemOffset + max(valueSlotSize, 1) + align - 1) & ~(align - 1)
        groupSize = 8 + swissGroupSlots * slotSize
        let keyWords = indirectKey ? [0] : keyPointerWords
        let valueWords = indirectValue ? [0] : valuePointerWords
        if keyWords.isEmpty && valueWords.isEmpty {
            // No pointers: a noscan group, as Go allocates it.
            group = heap.registerType(name: "\(name).group", size: groupSize, mallocHeader: true)
        } else {
            var words: [Int] = []
            let elemOffset = elemOffset, slotSize = slotSize
            for i in 0..<swissGroupSlots {
                let slot = 8 + i * slotSize
                precondition(slot % 8 == 0 && elemOffset % 8 == 0, "pointer slots are word-aligned")
                words += keyWords.map { slot / 8 + $0 }
                words += valueWords.map { (slot + elemOffset) / 8 + $0 }
            }
            // The collector reads a slot's control byte (full: high bit
            // clear) to tell live entries from deleted ones; the key and the
            // value of slot i are `slotSize` apart from those of slot i − 1.
            let layout = BucketLayout(
                slotCount: swissGroupSlots, controlOffset: 0, liveness: .controlHighBitClear,
                keysOffset: 8, keySlotBytes: slotSize, keyPointerWords: keyWords,
                valuesOffset: 8 + elemOffset, valueSlotBytes: slotSize, valuePointerWords: valueWords,
                overflowOffset: nil)
            group = heap.registerBucketType(name: "\(name).group", size: groupSize, pointerWords: words, layout: layout,
                                            mallocHeader: true)
        }
        // Current Go allocates with malloc headers (LabHeap's MallocHeader):
        // a directory of more than 64 tables, or a group array with pointers
        // over 512 bytes, takes 8 bytes more of its size class.
        table = heap.registerType(name: "\(name).table", size: MemoryLayout<SwissTable>.stride,
                                  pointerWords: SwissTable.pointerWords, mallocHeader: true)
        directoryEntry = heap.registerType(name: "\(name).*table", size: 8, pointerWords: [0], mallocHeader: true)
        header = heap.registerType(name: "\(name).Map", size: MemoryLayout<SwissHeader>.stride,
                                   pointerWords: SwissHeader.pointerWords, mallocHeader: true)
    }
}
