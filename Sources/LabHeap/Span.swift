// A span: a run of pages holding objects of one span class, and the per-span
// metadata Go's mspan keeps. See MHeap.swift for the overview.

import Synchronization

/// Where a span currently lives. Exactly one owner at a time.
@usableFromInline
package enum SpanState: UInt8 {
    case free      // in MHeap's pool of free spans (no objects)
    case partial   // on an MCentral's partial list (has free slots)
    case full      // on an MCentral's full list
    case unswept   // on an MCentral's unswept list (lazy sweeping)
    case cached    // an MCache's current span for its class
    case large     // a large object's own span, on MHeap's large list
}

/// The mspan fields, in memory of their own (the heap's metadata). Marking an
/// object reads the slot arithmetic, the bitmaps' addresses and the class's
/// noscan bit, which fill the first cache line, then the bitmaps, which for a
/// span of up to 256 slots live in the second (`inlineBitmaps`). Headers
/// start on a 128-byte boundary (MHeap.newSpanHeader), so the two lines are
/// the pair the L2 fetches together: a mark waits for one header miss, not
/// three, and these reads are where most of a mark's time goes
/// (docs/notes/mark-performance.md).
@usableFromInline
package struct SpanHeader {
    @usableFromInline var base: UnsafeMutableRawPointer
    /// `offset * divMul >> 32 == offset / elemsize` for every offset in the
    /// span (Go's `divMul`, checked by the tests for every class).
    @usableFromInline var divMul: UInt32
    @usableFromInline var spanClass: SpanClass
    @usableFromInline var state: SpanState
    /// Slots may hold old bytes: zero them when they are handed out.
    @usableFromInline var needzero: Bool
    /// The collector's note on the span during a cycle (relocation's
    /// verdict on it); 0 between cycles.
    @usableFromInline var collectorNote: UInt8
    @usableFromInline var elemsize: Int
    @usableFromInline var nelems: Int
    /// Every slot below `freeindex` is allocated; at or above it, a slot is
    /// free when its `allocBits` bit is clear (Go's invariant).
    @usableFromInline var freeindex: Int
    @usableFromInline var allocBits: UnsafeMutablePointer<UInt64>
    @usableFromInline var gcmarkBits: UnsafeMutablePointer<UInt64>
    /// One type id per slot, written on allocation, read by precise marking.
    @usableFromInline var typeIDs: UnsafeMutablePointer<UInt16>
    // ---- 64 bytes
    /// `allocBits` then `gcmarkBits`, when each takes at most four words.
    @usableFromInline var inlineBitmaps: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    // ---- 128 bytes: what marking reads ends here.
    @usableFromInline var npages: Int
    /// Inverted `allocBits` from the word that holds `freeindex`, shifted so
    /// bit 0 is slot `freeindex`: a set bit is a free slot.
    @usableFromInline var allocCache: UInt64
    @usableFromInline var allocCount: Int
    /// `allocCount` when the span entered an MCache; the difference on release
    /// is what was allocated through the cache (cumulative statistics).
    @usableFromInline var allocCountAtCache: Int
    /// Slots the side metadata (bitmaps, type ids) was sized for; 0 = none.
    /// Kept while the span sits in the free pool, so reusing it for a class of
    /// the same slot count allocates nothing.
    @usableFromInline var sideNelems: Int
    /// For a large object: the bytes asked for (the span is rounded up to
    /// pages); the collector scans no further.
    @usableFromInline var usedBytes: Int
    @usableFromInline var next: UnsafeMutablePointer<SpanHeader>?
    @usableFromInline var prev: UnsafeMutablePointer<SpanHeader>?

    @usableFromInline var bitmapWords: Int { (nelems + 63) >> 6 }
    @usableFromInline var bytes: Int { npages << PageMap.pageBits }
}

/// A handle to a span: a pointer to its header.
public struct Span: Hashable, @unchecked Sendable {
    @usableFromInline package let header: UnsafeMutablePointer<SpanHeader>

    @inlinable @inline(__always)
    package init(_ header: UnsafeMutablePointer<SpanHeader>) { self.header = header }

    public var base: UnsafeMutableRawPointer { header.pointee.base }
    public var npages: Int { header.pointee.npages }
    public var bytes: Int { header.pointee.bytes }
    @inlinable public var spanClass: SpanClass { header.pointee.spanClass }
    @inlinable public var elemsize: Int { header.pointee.elemsize }
    @inlinable public var nelems: Int { header.pointee.nelems }
    public var allocCount: Int { header.pointee.allocCount }
    public var freeindex: Int { header.pointee.freeindex }
    var state: SpanState { header.pointee.state }
    /// Bytes of slot `index` that hold the object: the slot size, or for a
    /// large object the size it was allocated with.
    public var objectBytes: Int {
        header.pointee.spanClass.isLarge ? header.pointee.usedBytes : header.pointee.elemsize
    }

    /// Address of slot `index`.
    @inlinable @inline(__always)
    public func objectAddress(_ index: Int) -> UnsafeMutableRawPointer {
        header.pointee.base + index * header.pointee.elemsize
    }

    /// Slot index of an address inside the span, or nil for the tail waste.
    @inlinable @inline(__always)
    public func objectIndex(of address: UnsafeRawPointer) -> Int? {
        let h = header
        let offset = UInt64(UInt(bitPattern: address - UnsafeRawPointer(h.pointee.base)))
        if h.pointee.spanClass.isLarge { return offset < UInt64(h.pointee.bytes) ? 0 : nil }
        let index = Int(truncatingIfNeeded: (offset &* UInt64(h.pointee.divMul)) >> 32)
        return index < h.pointee.nelems ? index : nil
    }

    /// Whether slot `index` holds an object (Go's `!isFree`).
    @inlinable @inline(__always)
    public func isAllocated(_ index: Int) -> Bool {
        index < header.pointee.freeindex
            || header.pointee.allocBits[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    @inlinable @inline(__always)
    public func isMarked(_ index: Int) -> Bool {
        header.pointee.gcmarkBits[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    /// Sets the mark bit; true when it was clear.
    @inlinable @inline(__always)
    @discardableResult
    public func setMarked(_ index: Int) -> Bool {
        let word = header.pointee.gcmarkBits + (index >> 6)
        let bit: UInt64 = 1 << UInt64(index & 63)
        if word.pointee & bit != 0 { return false }
        word.pointee |= bit
        return true
    }

    /// Sets the mark bit when several mark workers may set bits of the same
    /// word at once (Go's atomic.Or8 in greyobject): a relaxed load first,
    /// since most targets are found marked or alone, then an atomic or.
    /// True for the one caller that set it.
    @inlinable @inline(__always)
    public func setMarkedAtomically(_ index: Int) -> Bool {
        let word = UnsafeRawPointer(header.pointee.gcmarkBits + (index >> 6)).assumingMemoryBound(to: Atomic<UInt64>.self)
        let bit: UInt64 = 1 << UInt64(index & 63)
        if word.pointee.load(ordering: .relaxed) & bit != 0 { return false }
        return word.pointee.bitwiseOr(bit, ordering: .relaxed).oldValue & bit == 0
    }

    /// Clears the mark bit (relocation moves an object out of a marked slot).
    @inlinable @inline(__always)
    public func clearMarked(_ index: Int) {
        header.pointee.gcmarkBits[index >> 6] &= ~(1 << UInt64(index & 63))
    }

    /// The collector's note on this span during a cycle; 0 between cycles.
    package var collectorNote: UInt8 {
        get { header.pointee.collectorNote }
        nonmutating set { header.pointee.collectorNote = newValue }
    }

    /// Type id recorded when slot `index` was allocated.
    @inlinable @inline(__always)
    public func typeID(_ index: Int) -> TypeID {
        TypeID(rawValue: header.pointee.typeIDs[index])
    }

    /// Number of set mark bits.
    public var markedCount: Int {
        var n = 0
        for w in 0..<header.pointee.bitmapWords { n += header.pointee.gcmarkBits[w].nonzeroBitCount }
        return n
    }
}

extension SpanHeader {
    /// Bytes of side metadata for a span of `nelems` slots: two bitmaps and the
    /// type ids, in one block.
    static func sideBytes(nelems: Int) -> Int {
        let words = (nelems + 63) >> 6
        let typeIDBytes = (nelems * MemoryLayout<UInt16>.stride + 63) & ~63
        return typeIDBytes + (words <= inlineBitmapWords ? 0 : words * 8 * 2)
    }

    /// Bitmap words per bitmap that fit in the header.
    static let inlineBitmapWords = 4

    /// The block a header takes: its stride, rounded up to the 128-byte
    /// alignment it is allocated with.
    static let allocationBytes = (MemoryLayout<SpanHeader>.stride + 127) & ~127

    /// Where `s`'s inline bitmaps are.
    static func inlineBitmaps(of s: UnsafeMutablePointer<SpanHeader>) -> UnsafeMutablePointer<UInt64> {
        (UnsafeMutableRawPointer(s) + MemoryLayout<SpanHeader>.offset(of: \.inlineBitmaps)!)
            .assumingMemoryBound(to: UInt64.self)
    }

    /// Lays out a span over `base` for `spanClass` with `nelems` slots (its
    /// heap's `SpanLayout`; 1 for a large object), reusing its side metadata
    /// when the slot count allows; `inline` is this header's `inlineBitmaps`.
    /// Returns the change in metadata bytes.
    mutating func format(base: UnsafeMutableRawPointer, npages: Int, spanClass: SpanClass, nelems: Int,
                         inline: UnsafeMutablePointer<UInt64>) -> Int {
        self.base = base
        self.npages = npages
        self.spanClass = spanClass
        self.nelems = nelems
        if spanClass.isLarge {
            elemsize = npages << pageShift
            divMul = 0
        } else {
            let size = SizeClasses.sizes[spanClass.sizeClass]
            elemsize = size
            // The reserved tail is past the last slot: `objectIndex` finds no
            // object there, as for tail waste.
            divMul = UInt32.max / UInt32(size) &+ 1
        }
        let words = (nelems + 63) >> 6
        var delta = 0
        if sideNelems != nelems {
            delta -= releaseSide()
            // From jemalloc's own API, as the headers (MHeap.newSpanHeader).
            let side = Jemalloc.mallocLines(Self.sideBytes(nelems: nelems))
            typeIDs = side.bindMemory(to: UInt16.self, capacity: nelems)
            let typeIDBytes = (nelems * MemoryLayout<UInt16>.stride + 63) & ~63
            allocBits = words <= Self.inlineBitmapWords
                ? inline : (side + typeIDBytes).bindMemory(to: UInt64.self, capacity: words * 2)
            gcmarkBits = allocBits + words
            sideNelems = nelems
            delta += Self.sideBytes(nelems: nelems)
        }
        allocBits.initialize(repeating: 0, count: words * 2)
        freeindex = 0
        allocCache = ~0
        allocCount = 0
        allocCountAtCache = 0
        next = nil
        prev = nil
        return delta
    }

    /// Frees the side metadata, if any; returns its size.
    mutating func releaseSide() -> Int {
        guard sideNelems > 0 else { return 0 }
        let bytes = Self.sideBytes(nelems: sideNelems)
        Jemalloc.freeLines(UnsafeMutableRawPointer(typeIDs), bytes)
        sideNelems = 0
        return bytes
    }

    /// Loads `allocCache` from the bitmap word holding slot `index` (a
    /// multiple of 64), inverted so that set bits are free slots.
    @inline(__always)
    mutating func refillAllocCache(at index: Int) {
        allocCache = ~allocBits[index >> 6]
    }

    /// The next free slot at or after `freeindex`, advancing it; `nelems` when
    /// the span is full. Go's `mspan.nextFreeIndex`.
    mutating func nextFreeIndex() -> Int {
        var sfreeindex = freeindex
        if sfreeindex == nelems { return nelems }
        var bit = allocCache.trailingZeroBitCount
        while bit == 64 {
            sfreeindex = (sfreeindex + 64) & ~63
            if sfreeindex >= nelems {
                freeindex = nelems
                return nelems
            }
            refillAllocCache(at: sfreeindex)
            bit = allocCache.trailingZeroBitCount
        }
        let result = sfreeindex + bit
        if result >= nelems {
            freeindex = nelems
            return nelems
        }
        allocCache >>= UInt64(bit + 1)
        sfreeindex = result + 1
        if sfreeindex & 63 == 0 && sfreeindex != nelems { refillAllocCache(at: sfreeindex) }
        freeindex = sfreeindex
        return result
    }
}

/// An intrusive doubly linked list of spans (Go's mSpanList).
struct SpanList {
    private(set) var first: UnsafeMutablePointer<SpanHeader>?
    private(set) var count = 0

    var isEmpty: Bool { first == nil }

    mutating func push(_ s: UnsafeMutablePointer<SpanHeader>) {
        s.pointee.prev = nil
        s.pointee.next = first
        first?.pointee.prev = s
        first = s
        count += 1
    }

    mutating func remove(_ s: UnsafeMutablePointer<SpanHeader>) {
        if let p = s.pointee.prev { p.pointee.next = s.pointee.next } else { first = s.pointee.next }
        s.pointee.next?.pointee.prev = s.pointee.prev
        s.pointee.next = nil
        s.pointee.prev = nil
        count -= 1
    }

    mutating func popFirst() -> UnsafeMutablePointer<SpanHeader>? {
        guard let s = first else { return nil }
        remove(s)
        return s
    }

    /// Takes every span off the list, returning them in order.
    mutating func takeAll() -> [UnsafeMutablePointer<SpanHeader>] {
        var out: [UnsafeMutablePointer<SpanHeader>] = []
        out.reserveCapacity(count)
        while let s = popFirst() { out.append(s) }
        return out
    }

    func forEach(_ body: (UnsafeMutablePointer<SpanHeader>) -> Void) {
        var s = first
        while let cur = s {
            s = cur.pointee.next
            body(cur)
        }
    }
}
