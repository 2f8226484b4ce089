// Iteration, as Go's mapiterinit / mapiternext. See BucketMap.swift.

import LabHeap

/// An open iteration over a map (Go's `hiter`): a random start bucket and
/// slot offset, every key present for the whole iteration seen exactly once,
/// also across grows. Until it ends or is closed it roots the bucket array it
/// started on and the bucket it stands in. Starting one sets Go's sticky
/// `iterator` / `oldIterator` flags, so the next grow leaves the old buckets
/// intact while it evacuates them.
public final class MapIterator {
    public let map: BucketMap
    /// The bucket array this iteration walks (Go's `it.buckets`).
    public let buckets: UnsafeMutableRawPointer?
    let B: UInt8
    let startBucket: Int
    let offset: Int
    // The position, read and written on every step: exempt from dynamic
    // exclusivity checks (one swift_beginAccess per step cost 76
    // instructions); an iterator is used by one thread and lends no access.
    @exclusivity(unchecked) var nextBucket: Int
    @exclusivity(unchecked) var b: UnsafeMutableRawPointer?
    @exclusivity(unchecked) var i = 0
    @exclusivity(unchecked) var wrapped = false
    @exclusivity(unchecked) var checkBucket = -1
    /// For a pointer-free map, the overflow lists as they were when the
    /// iteration started (Go's `it.overflow`, `it.oldoverflow`): they keep
    /// the overflow buckets this iteration may still walk alive.
    @exclusivity(unchecked) var overflowList: UnsafeMutableRawPointer?
    @exclusivity(unchecked) var oldOverflowList: UnsafeMutableRawPointer?
    @exclusivity(unchecked) public private(set) var isOpen: Bool

    init(map: BucketMap) {
        self.map = map
        let h = map.h
        B = h.pointee.B
        if h.pointee.count == 0 || h.pointee.buckets == nil {
            buckets = nil
            startBucket = 0
            offset = 0
            nextBucket = 0
            isOpen = false
            return
        }
        buckets = h.pointee.buckets
        if !map.type.bucketHasPointers {
            map.createOverflowList()
            overflowList = map.extra!.pointee.overflow
            oldOverflowList = map.extra!.pointee.oldoverflow
        }
        let r = map.random()
        startBucket = Int(truncatingIfNeeded: r) & ((1 << Int(B)) - 1)
        offset = Int(truncatingIfNeeded: r >> UInt64(B)) & (bucketCount - 1)
        nextBucket = startBucket
        isOpen = true
        h.pointee.flags |= iteratorFlag | oldIteratorFlag
        map.lab.pointee.openIterators += 1
        map.openIterators[ObjectIdentifier(self)] = OpenIterator(iterator: self)
    }

    deinit { close() }

    /// Ends the iteration: the collector no longer treats this iterator's
    /// array and bucket as roots. (Go's flags stay until the next grow.)
    public func close() {
        guard isOpen else { return }
        isOpen = false
        b = nil
        overflowList = nil
        oldOverflowList = nil
        map.lab.pointee.openIterators -= 1
        map.openIterators[ObjectIdentifier(self)] = nil
    }

    /// The next entry's key and value, or nil at the end (which closes the
    /// iterator).
    public func next() -> (key: UnsafeMutableRawPointer, value: UnsafeMutableRawPointer)? {
        guard isOpen, let buckets else { return nil }
        let m = map
        let h = m.h
        while true {
            if b == nil {
                if nextBucket == startBucket && wrapped {
                    close()
                    return nil
                }
                if m.isGrowing && B == h.pointee.B {
                    // Started during this grow: read the old bucket while it is
                    // not evacuated, keeping only the keys bound for this bucket.
                    let oldIndex = nextBucket & (m.oldBucketCount - 1)
                    let old = m.bucket(h.pointee.oldbuckets!, oldIndex)
                    if !m.evacuated(old) {
                        b = old
                        checkBucket = nextBucket
                    } else {
                        b = m.bucket(buckets, nextBucket)
                        checkBucket = -1
                    }
                } else {
                    b = m.bucket(buckets, nextBucket)
                    checkBucket = -1
                }
                nextBucket += 1
                if nextBucket == 1 << Int(B) {
                    nextBucket = 0
                    wrapped = true
                }
                i = 0
            }
            let cb = b!
            while i < bucketCount {
                let slot = (i + offset) & (bucketCount - 1)
                i += 1
                let t = m.top(cb, slot)
                if isEmptySlot(t) || t == evacuatedEmpty { continue }
                let k = m.key(cb, slot)
                if checkBucket >= 0 && !h.pointee.sameSizeGrow {
                    let hash = m.hashKey(k)
                    if Int(truncatingIfNeeded: hash) & ((1 << Int(B)) - 1) != checkBucket { continue }
                }
                if t != evacuatedX && t != evacuatedY {
                    return (k, m.value(cb, slot))
                }
                // The map grew since this iteration started: the entry's
                // current home has the truth (it may be updated or deleted).
                guard let found = m.findAny(k) else { continue }
                return (m.key(found.bucket, found.slot), m.value(found.bucket, found.slot))
            }
            b = m.overflow(cb)
            i = 0
        }
    }
}

extension MapIterator {
    /// Calls `body` with every remaining entry: exactly what a loop of
    /// `next()` gives, in the same order. While the map holds the array this
    /// iteration walks and no grow is under way — the common case, a range
    /// loop that does not write to its map — it walks a whole bucket chain
    /// per step with its state in locals, instead of a call, a dozen
    /// property reads and a write-back per entry (Go's `mapiternext` pays
    /// those; this is where the lab iterates faster). Every slot there holds
    /// a real tophash or an empty mark: evacuation marks only exist in an old
    /// array during a grow. After each `body` call it checks that this still
    /// holds; a body that grew the map hands over to `next()` at the next
    /// slot.
    func forEachRemaining(_ body: (UnsafeMutableRawPointer, UnsafeMutableRawPointer) throws -> Void) rethrows {
        let m = map
        let h = m.h
        while isOpen, let buckets {
            guard b == nil, h.pointee.buckets == buckets, h.pointee.oldbuckets == nil else {
                guard let (k, v) = next() else { return }
                try body(k, v)
                continue
            }
            if nextBucket == startBucket && wrapped {
                close()
                return
            }
            var chain: UnsafeMutableRawPointer? = m.bucket(buckets, nextBucket)
            nextBucket += 1
            if nextBucket == 1 << Int(B) {
                nextBucket = 0
                wrapped = true
            }
            let offset = self.offset
            walk: while let cb = chain {
                for j in 0..<bucketCount {
                    let slot = (j &+ offset) & (bucketCount - 1)
                    guard m.top(cb, slot) >= minTopHash else { continue }
                    try body(m.key(cb, slot), m.value(cb, slot))
                    if h.pointee.buckets != buckets || h.pointee.oldbuckets != nil {
                        // The body started (or finished) a grow: the rest of
                        // this chain, and everything after, goes by next().
                        b = cb
                        i = j + 1
                        checkBucket = -1
                        break walk
                    }
                }
                chain = m.overflow(cb)
            }
        }
    }
}

extension BucketMap {
    /// Opens an iteration. Close it (or let it go) when done.
    public func makeIterator() -> MapIterator { MapIterator(map: self) }

    /// Calls `body` with every entry's key and value pointers.
    public func forEachEntryPointer(_ body: (UnsafeMutableRawPointer, UnsafeMutableRawPointer) throws -> Void) rethrows {
        let it = makeIterator()
        defer { it.close() }
        try it.forEachRemaining(body)
    }

    func hashKey(_ key: UnsafeRawPointer) -> UInt64 {
        switch type.keyKind {
        case .word: return WordKey.hash(key, size: 8, seed: lab.pointee.hash0)
        case .string: return StringKey.hash(key, size: 16, seed: lab.pointee.hash0)
        case .bytes: return BytesKey.hash(key, size: type.keySize, seed: lab.pointee.hash0)
        case .interface: return InterfaceKey.hash(key, size: 16, seed: lab.pointee.hash0)
        }
    }

    func findAny(_ key: UnsafeRawPointer) -> (bucket: UnsafeMutableRawPointer, slot: Int)? {
        switch type.keyKind {
        case .word: return find(key, WordKey.self)
        case .string: return find(key, StringKey.self)
        case .bytes: return find(key, BytesKey.self)
        case .interface: return find(key, InterfaceKey.self)
        }
    }
}
