// The page map: heap page number → span, in O(1) from any address (Go's
// heapArena.spans, jemalloc's rtree). See MHeap.swift.
//
// A three-level radix tree over the 35-bit page numbers of a 48-bit address
// space: 11 bits of root, 11 bits of middle, 13 bits of leaf. The root is
// allocated with the heap; middle nodes (16 KiB) and leaves (64 KiB) appear on
// first use and stay until the heap is torn down. All of it is metadata.

@usableFromInline
package struct PageMap {
    // Computed, not stored: the mark loop inlines `lookup` from another
    // module, where a stored static would cost a lazy-initialisation check.
    @inlinable static var leafBits: Int { 13 }
    @inlinable static var midBits: Int { 11 }
    @inlinable static var rootBits: Int { 11 }
    /// `pageShift`, as a literal for the same reason.
    @inlinable static var pageBits: Int { 13 }
    @inlinable static var addressBits: Int { pageBits + leafBits + midBits + rootBits }  // 48

    @usableFromInline typealias Leaf = UnsafeMutablePointer<UnsafeMutablePointer<SpanHeader>?>
    @usableFromInline typealias Mid = UnsafeMutablePointer<Leaf?>

    @usableFromInline let root: UnsafeMutablePointer<Mid?>
    private(set) var metadataBytes: Int

    init() {
        precondition(Self.pageBits == pageShift)
        root = .allocate(capacity: 1 << Self.rootBits)
        root.initialize(repeating: nil, count: 1 << Self.rootBits)
        metadataBytes = (1 << Self.rootBits) * MemoryLayout<Mid?>.stride
    }

    /// Frees every node. The map must not be used afterwards.
    func destroy() {
        for r in 0..<(1 << Self.rootBits) {
            guard let mid = root[r] else { continue }
            for m in 0..<(1 << Self.midBits) { mid[m]?.deallocate() }
            mid.deallocate()
        }
        root.deallocate()
    }

    @inlinable @inline(__always)
    static func split(_ page: UInt) -> (root: Int, mid: Int, leaf: Int) {
        (Int(page >> UInt(leafBits + midBits)) & ((1 << rootBits) - 1),
         Int(page >> UInt(leafBits)) & ((1 << midBits) - 1),
         Int(page) & ((1 << leafBits) - 1))
    }

    /// The leaf entry that holds the span of `address`'s page (nil when no
    /// span was ever registered in its part of the address space): `lookup`
    /// reads it; the mark loop prefetches it first.
    @inlinable @inline(__always)
    package func entry(_ address: UnsafeRawPointer) -> UnsafeMutablePointer<UnsafeMutablePointer<SpanHeader>?>? {
        let a = UInt(bitPattern: address)
        if a >> UInt(Self.addressBits) != 0 { return nil }
        let (r, m, l) = Self.split(a >> UInt(Self.pageBits))
        guard let mid = root[r], let leaf = mid[m] else { return nil }
        return leaf + l
    }

    /// The span whose pages contain `address`, or nil.
    @inlinable @inline(__always)
    package func lookup(_ address: UnsafeRawPointer) -> UnsafeMutablePointer<SpanHeader>? {
        entry(address)?.pointee
    }

    /// Points every page of `span` at it (or at nil to unregister).
    mutating func set(base: UnsafeMutableRawPointer, npages: Int, to span: UnsafeMutablePointer<SpanHeader>?) {
        let first = UInt(bitPattern: base) >> UInt(pageShift)
        for page in first..<(first + UInt(npages)) {
            let (r, m, l) = Self.split(page)
            let mid: Mid
            if let existing = root[r] {
                mid = existing
            } else {
                guard span != nil else { continue }
                mid = .allocate(capacity: 1 << Self.midBits)
                mid.initialize(repeating: nil, count: 1 << Self.midBits)
                root[r] = mid
                metadataBytes += (1 << Self.midBits) * MemoryLayout<Leaf?>.stride
            }
            let leaf: Leaf
            if let existing = mid[m] {
                leaf = existing
            } else {
                guard span != nil else { continue }
                leaf = .allocate(capacity: 1 << Self.leafBits)
                leaf.initialize(repeating: nil, count: 1 << Self.leafBits)
                mid[m] = leaf
                metadataBytes += (1 << Self.leafBits) * MemoryLayout<UnsafeMutablePointer<SpanHeader>?>.stride
            }
            leaf[l] = span
        }
    }
}
