// The Swiss map: a model of the map of current Go (1.24 and later),
// src/internal/runtime/maps/ (map.go, table.go, group.go, iter in table.go),
// with every object on the lab heap. Constants and rules below are Go's, read
// in those files; file and function names are cited where they matter.
//
// Overview.
//
// A map is a header (`SwissHeader`, Go's `maps.Map`, 48 bytes) and either
// nothing (before the first insert), one group (a small map: up to 8
// entries), or a directory of 2^globalDepth table pointers. A group is an
// 8-byte control word and 8 slots (key, then value); a control byte is
// empty 0x80, deleted 0xFE (a tombstone), or full: 0 and the hash's low 7
// bits (H2). H1 = hash >> 7 picks a table's first group, and quadratic
// probing over groups (offset += 1, 2, 3, …: `probeSeq`) goes on until a
// group with an empty slot; matching a group is SWAR on its control word.
//
// Tables (`SwissTable`, Go's `table`, 32 bytes) hold at most 1024 slots
// (`maxTableCapacity`) and are filled to 7/8 (`maxAvgGroupLoad`; a table of
// one group to 7 of 8). A table with no growth left rehashes: it doubles
// (all at once into new groups: no incremental evacuation), or at 1024 slots
// splits in two by the next hash bit from the top; the directory doubles when
// the splitting table's localDepth equals the globalDepth, and several
// entries share a table of smaller local depth. The directory index is the
// hash's top globalDepth bits.
//
// Small maps: the first insert allocates one group (`growToSmall`); the 9th
// key (a new key into a full small map; an update does not grow) builds a
// table of 16 slots and a directory of one (`growToTable`). `make(map, hint)`
// for hint > 8 sizes the directory and tables up front (`NewMap`, see
// `init`).
//
// Delete (`table.Delete`) clears the key if it holds pointers and always the
// value (the map's `ClearingPolicy` decides, as for the classic map), and
// marks the slot empty when its group still has an empty slot (no probe
// sequence can run through it), else deleted. Tombstones count against
// growth; a rehash drops them, and since Go 1.25 (`pruneTombstones`,
// golang/go#70886) an insert that finds no growth left first prunes the
// tombstones no probe sequence needs, when that frees 10% of the table. The
// model prunes as current Go does. A map never shrinks, and a table never
// gets smaller. `clear(m)` (`Map.Clear`) empties every group in place and
// keeps every table and the directory; both it and a delete that empties
// the map re-seed the hash (golang/go#25237).
//
// Iteration (SwissMap+Iterator.swift) starts at a random directory entry and
// slot; across a grow or split it keeps walking its old table and looks each
// key up in the map. It roots that one old table (`Iter.tab`), not the map.
//
// The lab's own strategies, where they make sense for this layout
// (SwissMap+Policy.swift): shrink rebuilds the map at a smaller size below
// a load threshold; release drops the storage when the map empties or is
// cleared; compact adds both and payload relocation. The classic map's
// overflow and evacuation policies have no Swiss meaning (no overflow
// buckets, no incremental growth) and do nothing here; `bucketlab list`
// says so.

import LabHeap

let swissGroupSlots = 8
/// `maxTableCapacity` (table.go).
let swissMaxTableCapacity = 1024
/// `maxAvgGroupLoad` (map.go): 7 of a group's 8 slots.
let swissMaxAvgGroupLoad = 7
let ctrlEmpty: UInt8 = 0x80
let ctrlDeleted: UInt8 = 0xFE
/// A group's control word with every slot empty.
let emptyControlWord: UInt64 = 0x8080_8080_8080_8080
private let bitsetLSB: UInt64 = 0x0101_0101_0101_0101
private let bitsetMSB: UInt64 = 0x8080_8080_8080_8080

@inline(__always) func h1(_ hash: UInt64) -> UInt64 { hash >> 7 }
@inline(__always) func h2(_ hash: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: hash & 0x7f) }

/// Slots of a control word whose byte is `h2` (group.go `matchH2`, the
/// portable SWAR form: may report a false positive next to a true match,
/// which the key comparison rejects). One bit per slot, at the byte's top.
@inline(__always) func matchH2(_ w: UInt64, _ h: UInt8) -> UInt64 {
    let v = w ^ (bitsetLSB &* UInt64(h))
    return ((v &- bitsetLSB) & ~v) & bitsetMSB
}
/// Empty slots: bit 7 set and bit 1 clear (0x80; a tombstone 0xFE has both).
@inline(__always) func matchEmpty(_ w: UInt64) -> UInt64 { (w & ~(w << 6)) & bitsetMSB }
@inline(__always) func matchEmptyOrDeleted(_ w: UInt64) -> UInt64 { w & bitsetMSB }
@inline(__always) func matchFull(_ w: UInt64) -> UInt64 { ~w & bitsetMSB }
/// The slot of a match's lowest bit.
@inline(__always) func firstSlot(_ match: UInt64) -> Int { match.trailingZeroBitCount >> 3 }

/// Quadratic probing over a table's groups (table.go `probeSeq`).
struct ProbeSeq {
    let mask: UInt64
    var offset: UInt64
    var index: UInt64 = 0
    @inline(__always) init(hash: UInt64, mask: UInt64) {
        self.mask = mask
        offset = h1(hash) & mask
    }
    @inline(__always) mutating func next() {
        index &+= 1
        offset = (offset &+ index) & mask
    }
}

/// Growth a table of `capacity` slots starts with (table.go
/// `resetGrowthLeft`): one group keeps a slot empty to end probes.
@inline(__always) func maxGrowthLeft(capacity: Int) -> Int {
    capacity <= swissGroupSlots ? capacity - 1 : capacity * swissMaxAvgGroupLoad / swissGroupSlots
}

typealias TablePointer = UnsafeMutablePointer<SwissTable>

/// A Swiss map whose header, directory, tables and groups live on the lab
/// heap. Not thread-safe (nor is Go's map); it allocates through one Mutator.
public final class SwissMap {
    public let type: MapType
    let layout: SwissLayout
    public let mutator: Mutator
    /// Read on every delete: exempt from dynamic exclusivity checks (a
    /// swift_beginAccess per read cost more than Go's whole delete); the
    /// map is single-threaded and never hands out access to it.
    @exclusivity(unchecked) public var policy: ClearingPolicy
    /// The header, a heap object.
    let m: UnsafeMutablePointer<SwissHeader>
    /// The map's random source (Go draws from the runtime's `rand()`): seeds
    /// and iteration offsets.
    var rng: SplitMix64
    /// Grows, splits and shrinks so far.
    public internal(set) var rehashCount = 0
    /// Splits so far (each also counts in `rehashCount`).
    public internal(set) var splitCount = 0
    /// The slots of every table in the directory (kept as tables come and
    /// go, so the shrink check on every delete does not walk the directory).
    var tableSlots = 0
    /// Tombstones pruned in place so far (Go 1.25's `pruneTombstones`).
    public internal(set) var prunedTombstones = 0
    /// Open iterators: the table (or small group) each walks is rooted.
    var openIterators: [ObjectIdentifier: WeakSwissIterator] = [:]
    // Layout constants, copied for the probe loops.
    let groupSize: Int
    let slotSize: Int
    let elemOffset: Int
    let indirectKey: Bool
    let indirectValue: Bool
    /// Whether compiled Go code inserts through a `mapassign_fast32/64/str`
    /// or `_fast64ptr` (cmd/compile walk.mapfast: a 4- or 8-byte key or a
    /// string, and a value of at most 128 bytes) rather than the generic
    /// `mapassign`. In Go 1.27 only the fast ones prune tombstones before
    /// growing a table (internal/runtime/maps, runtime_fast64.go against
    /// runtime.go), so under long churn a map of large values or of other
    /// keys grows where a map[uint64]*T does not.
    let fastAssign: Bool

    /// - Parameters:
    ///   - seed: fixes the hash seed and every random choice (reproducible
    ///     runs); nil draws them from the system.
    ///   - hint: Go's `make(map[K]V, hint)`: for hint > 8, `NewMap`'s
    ///     directory and tables now; otherwise nothing until the first insert.
    public init(type: MapType, mutator: Mutator, policy: ClearingPolicy = .go, seed: UInt64? = nil, hint: Int = 0) {
        self.type = type
        layout = type.swiss
        self.mutator = mutator
        self.policy = policy
        groupSize = layout.groupSize
        slotSize = layout.slotSize
        elemOffset = layout.elemOffset
        indirectKey = type.indirectKey
        indirectValue = type.indirectValue
        fastAssign = !type.indirectValue && (type.keyKind == .string || type.keySize == 4 || type.keySize == 8)
        rng = SplitMix64(seed: seed ?? UInt64.random(in: .min ... .max))
        let seed = rng.next()
        m = mutator.allocate(layout.header).bindMemory(to: SwissHeader.self, capacity: 1)
        m.initialize(to: SwissHeader(used: 0, seed: seed, dirPtr: nil, dirLen: 0, globalDepth: 0, globalShift: 64,
                                     writing: 0, tombstonePossible: false, clearSeq: 0))
        if hint > swissGroupSlots { installTables(forHint: hint) }
        mutator.heap.roots.register(self)
    }

    /// Go's `NewMap` for hint > 8 (map.go): room for `hint` entries at 7/8
    /// load, `targetCapacity = hint × 8 / 7`, in ⌈targetCapacity / 1024⌉
    /// tables rounded up to a power of two, each of `targetCapacity /
    /// dirSize` slots rounded up to a power of two (at least 8). The cliff:
    /// a hint whose target just passes a multiple of 1024 doubles the
    /// directory, and every table is then about half full. A hint too
    /// large to hold leaves the map empty, as Go's does: its target
    /// capacity overflows, or its tables would pass `maxAlloc`.
    func installTables(forHint hint: Int) {
        guard hint > 0 else { return }
        let (scaled, overflow) = hint.multipliedReportingOverflow(by: swissGroupSlots)
        guard !overflow else { return }
        let targetCapacity = scaled / swissMaxAvgGroupLoad
        let dirSize = (targetCapacity + swissMaxTableCapacity - 1) / swissMaxTableCapacity
        let dirLen = dirSize <= 1 ? 1 : 1 << (Int.bitWidth - (dirSize - 1).leadingZeroBitCount)
        // Go: dirSize × maxTableCapacity × GroupSize against maxAlloc.
        let (slots, slotsOverflow) = dirLen.multipliedReportingOverflow(by: swissMaxTableCapacity)
        let (bytes, bytesOverflow) = slots.multipliedReportingOverflow(by: groupSize)
        guard !slotsOverflow && !bytesOverflow && bytes <= goMaxAllocBytes else { return }
        let depth = UInt8(dirLen.trailingZeroBitCount)
        let directory = mutator.allocate(layout.directoryEntry, count: dirLen)
        m.pointee.globalDepth = depth
        m.pointee.globalShift = 64 - depth
        m.pointee.dirPtr = directory
        m.pointee.dirLen = dirLen
        for i in 0..<dirLen {
            directorySet(i, newTable(capacity: targetCapacity / dirLen, index: i, localDepth: depth))
        }
    }

    /// Address of the header object (a collector root).
    public var headerAddress: UnsafeMutableRawPointer { UnsafeMutableRawPointer(m) }

    public var count: Int { Int(m.pointee.used) }
    /// Whether the map is small: one group, no directory.
    public var isSmall: Bool { m.pointee.dirLen == 0 && m.pointee.dirPtr != nil }
    public var directoryLength: Int { m.pointee.dirLen }
    /// Distinct tables the directory points at (several entries may share one).
    public var tableCount: Int {
        var n = 0
        forEachTable { _ in n += 1 }
        return n
    }
    public var globalDepth: Int { Int(m.pointee.globalDepth) }

    // MARK: Group and slot access

    @inline(__always) func controlWord(_ g: UnsafeMutableRawPointer) -> UInt64 { g.load(as: UInt64.self) }
    @inline(__always) func control(_ g: UnsafeMutableRawPointer, _ i: Int) -> UInt8 {
        g.load(fromByteOffset: i, as: UInt8.self)
    }
    @inline(__always) func setControl(_ g: UnsafeMutableRawPointer, _ i: Int, _ c: UInt8) {
        g.storeBytes(of: c, toByteOffset: i, as: UInt8.self)
    }
    @inline(__always) func keySlot(_ g: UnsafeMutableRawPointer, _ i: Int) -> UnsafeMutableRawPointer {
        g + (8 &+ i &* slotSize)
    }
    @inline(__always) func valueSlot(_ g: UnsafeMutableRawPointer, _ i: Int) -> UnsafeMutableRawPointer {
        g + (8 &+ i &* slotSize &+ elemOffset)
    }
    @inline(__always) func key(_ g: UnsafeMutableRawPointer, _ i: Int) -> UnsafeMutableRawPointer {
        let k = keySlot(g, i)
        return indirectKey ? k.load(as: UnsafeMutableRawPointer.self) : k
    }
    @inline(__always) func value(_ g: UnsafeMutableRawPointer, _ i: Int) -> UnsafeMutableRawPointer {
        let v = valueSlot(g, i)
        return indirectValue ? v.load(as: UnsafeMutableRawPointer.self) : v
    }
    @inline(__always) func group(_ t: TablePointer, _ i: UInt64) -> UnsafeMutableRawPointer {
        t.pointee.groups! + Int(truncatingIfNeeded: i) &* groupSize
    }

    // MARK: Directory

    @inline(__always) func directoryAt(_ i: Int) -> TablePointer {
        m.pointee.dirPtr!.load(fromByteOffset: i &* 8, as: TablePointer.self)
    }
    @inline(__always) func directorySet(_ i: Int, _ t: TablePointer) {
        m.pointee.dirPtr!.storeBytes(of: t, toByteOffset: i &* 8, as: TablePointer.self)
    }
    /// The hash's top globalDepth bits (map.go `directoryIndex`).
    @inline(__always) func directoryIndex(_ hash: UInt64) -> Int {
        m.pointee.dirLen == 1 ? 0 : Int(truncatingIfNeeded: hash >> UInt64(m.pointee.globalShift))
    }

    /// Each distinct table once, in directory order.
    func forEachTable(_ body: (TablePointer) throws -> Void) rethrows {
        guard m.pointee.dirLen > 0 else { return }
        var i = 0
        while i < m.pointee.dirLen {
            let t = directoryAt(i)
            try body(t)
            i += 1 << Int(m.pointee.globalDepth - t.pointee.localDepth)
        }
    }

    /// A table of at least `capacity` slots (a power of two, ≥ 8), its
    /// groups empty (table.go `newTable`, `reset`).
    func newTable(capacity: Int, index: Int, localDepth: UInt8) -> TablePointer {
        let c = max(capacity, swissGroupSlots)
        let slots = c <= 1 ? 1 : 1 << (Int.bitWidth - (c - 1).leadingZeroBitCount)
        precondition(slots <= swissMaxTableCapacity, "a table holds at most \(swissMaxTableCapacity) slots")
        let groupCount = slots / swissGroupSlots
        tableSlots += slots
        let t = mutator.allocate(layout.table).bindMemory(to: SwissTable.self, capacity: 1)
        let groups = mutator.allocate(layout.group, count: groupCount)
        for g in 0..<groupCount { (groups + g * groupSize).storeBytes(of: emptyControlWord, as: UInt64.self) }
        t.initialize(to: SwissTable(used: 0, capacity: UInt16(slots), growthLeft: UInt16(maxGrowthLeft(capacity: slots)),
                                    localDepth: localDepth, index: index, groups: groups,
                                    lengthMask: UInt64(groupCount - 1)))
        return t
    }

    /// Tombstones in `t` (table.go `tombstones`).
    func tombstones(_ t: TablePointer) -> Int {
        maxGrowthLeft(capacity: Int(t.pointee.capacity)) - Int(t.pointee.used) - Int(t.pointee.growthLeft)
    }

    /// The map's seed after it empties or is cleared.
    func reseed() { m.pointee.seed = rng.next() }
}

/// A weak reference to an open iterator.
struct WeakSwissIterator {
    weak var iterator: SwissIterator?
}
