// Go's `mapextra`: the spare-overflow cursor, and for maps whose buckets hold
// no pointers the lists that keep their overflow buckets alive. See
// BucketMap.swift for the overview.
//
// A bucket type without pointers is noscan: the collector marks a bucket
// array or overflow bucket but never reads it, so an overflow bucket linked
// only from another bucket's overflow word would be freed. Go keeps every
// such overflow bucket in `h.extra.overflow`, a `*[]*bmap` (a slice header
// object and a backing array grown by `append`), moves it to `oldoverflow`
// when a grow starts and drops that when the grow ends (map.go: newoverflow,
// createOverflow, hashGrow, advanceEvacuationMark). The lab does the same on
// its heap, so a `map[uint64]uint64`'s cycle scans the header, the mapextra
// and the lists — none of its 40 MB of buckets — and pays the lists' bytes.

import LabHeap

/// The `mapextra` heap object (3 pointer words, Go's 24-byte class).
struct MapExtra {
    /// A `SliceHeader` object listing the current array's overflow buckets.
    var overflow: UnsafeMutableRawPointer?
    /// The same for the old array while a grow is under way.
    var oldoverflow: UnsafeMutableRawPointer?
    /// The next free spare overflow bucket of the array.
    var nextOverflow: UnsafeMutableRawPointer?

    static var pointerWords: [Int] {
        [\MapExtra.overflow, \MapExtra.oldoverflow, \MapExtra.nextOverflow].map { MemoryLayout<MapExtra>.offset(of: $0)! / 8 }
    }
}

/// A Go slice header as a heap object of its own (`new([]*bmap)`).
struct SliceHeader {
    var array: UnsafeMutableRawPointer?
    var len: Int
    var cap: Int
}

/// Go 1.19's `growslice` for 8-byte elements: double below 256, then grow by
/// (cap + 768) / 4 until it fits, rounded up to the size class
/// (runtime/slice.go).
func grownSliceCapacity(old: Int, needed: Int) -> Int {
    var newcap = old
    let doublecap = old + old
    if needed > doublecap {
        newcap = needed
    } else if old < 256 {
        newcap = doublecap
    } else {
        while newcap > 0 && newcap < needed { newcap += (newcap + 3 * 256) / 4 }
        if newcap <= 0 { newcap = needed }
    }
    let bytes = newcap * 8
    let rounded = bytes <= maxSmallSize ? SizeClasses.roundUpSize(bytes) : (bytes + pageSize - 1) / pageSize * pageSize
    return rounded / 8
}

extension BucketMap {
    @inline(__always) var extra: UnsafeMutablePointer<MapExtra>? {
        h.pointee.extra?.assumingMemoryBound(to: MapExtra.self)
    }

    /// The map's mapextra, made on first need (Go: `new(mapextra)`).
    func createExtra() -> UnsafeMutablePointer<MapExtra> {
        if let e = extra { return e }
        let e = mutator.allocate(type.extraType).bindMemory(to: MapExtra.self, capacity: 1)
        h.pointee.extra = UnsafeMutableRawPointer(e)
        return e
    }

    /// The next free spare overflow bucket of the array, if any.
    @inline(__always) var nextOverflow: UnsafeMutableRawPointer? { extra?.pointee.nextOverflow }

    func setNextOverflow(_ p: UnsafeMutableRawPointer?) {
        guard p != nil || extra != nil else { return }
        createExtra().pointee.nextOverflow = p
    }

    /// Go's `createOverflow`: the mapextra and its current overflow list.
    func createOverflowList() {
        let e = createExtra()
        if e.pointee.overflow == nil {
            let header = mutator.allocate(type.sliceHeaderType).bindMemory(to: SliceHeader.self, capacity: 1)
            e.pointee.overflow = UnsafeMutableRawPointer(header)
        }
    }

    /// `*h.extra.overflow = append(*h.extra.overflow, ovf)`.
    func recordOverflowBucket(_ ovf: UnsafeMutableRawPointer) {
        createOverflowList()
        let list = extra!.pointee.overflow!.assumingMemoryBound(to: SliceHeader.self)
        if list.pointee.len == list.pointee.cap {
            let cap = grownSliceCapacity(old: list.pointee.cap, needed: list.pointee.len + 1)
            let array = mutator.allocate(type.overflowPointerType, count: cap)
            if let old = list.pointee.array { array.copyMemory(from: old, byteCount: list.pointee.len * 8) }
            // The old backing array is garbage now, as in Go.
            list.pointee.array = array
            list.pointee.cap = cap
        }
        list.pointee.array!.storeBytes(of: ovf, toByteOffset: list.pointee.len * 8, as: UnsafeMutableRawPointer.self)
        overflowListIndex?[ovf] = list.pointee.len
        list.pointee.len += 1
    }

    /// Takes an overflow bucket off the current list (the lab's `reclaim`
    /// policy unlinks buckets Go never would): the last entry moves into its
    /// place.
    func forgetOverflowBucket(_ ovf: UnsafeMutableRawPointer) {
        guard let header = extra?.pointee.overflow else { return }
        let list = header.assumingMemoryBound(to: SliceHeader.self)
        guard let array = list.pointee.array else { return }
        if overflowListIndex == nil {
            var index: [UnsafeMutableRawPointer: Int] = [:]
            for i in 0..<list.pointee.len { index[array.load(fromByteOffset: i * 8, as: UnsafeMutableRawPointer.self)] = i }
            overflowListIndex = index
        }
        guard let i = overflowListIndex!.removeValue(forKey: ovf) else { return }
        let lastIndex = list.pointee.len - 1
        if i != lastIndex {
            let last = array.load(fromByteOffset: lastIndex * 8, as: UnsafeMutableRawPointer.self)
            array.storeBytes(of: last, toByteOffset: i * 8, as: UnsafeMutableRawPointer.self)
            overflowListIndex![last] = i
        }
        array.storeBytes(of: 0, toByteOffset: lastIndex * 8, as: UInt.self)
        list.pointee.len = lastIndex
    }

    /// Heap bytes of the mapextra, its list headers and their arrays.
    var extraBytes: Int {
        guard let e = extra else { return 0 }
        var bytes = objectBytes(UnsafeMutableRawPointer(e))
        for header in [e.pointee.overflow, e.pointee.oldoverflow].compactMap({ $0 }) {
            bytes += objectBytes(header)
            bytes += objectBytes(header.assumingMemoryBound(to: SliceHeader.self).pointee.array)
        }
        return bytes
    }
}
