// The classic map behind the map-model seam (MapModel.swift), and as a root
// of its heap. See BucketMap.swift for the overview.

import LabHeap

extension BucketMap: MapModel, RawKeyProbes {
    public static var modelName: String { "classic" }

    /// Go 1.19's spans: every byte holds objects.
    public static var spanLayout: SpanLayout { .go119 }

    /// Just after a grow to B, 6.5 × 2^(B−1) entries sit in 2^B new plus
    /// 2^(B−1) old buckets: 3 / 6.5 buckets per entry.
    public static var worstCaseBytesPerWordEntry: Int {
        MapType.bucketSize(keySlotSize: 8, valueSlotSize: 8) * 3 * loadFactorDen / loadFactorNum
    }

    // The seam speaks in words: these need `type.isWordKey` and 8-byte values.

    @inlinable
    public func value(forKey key: UInt64) -> UInt64? {
        valuePointer(forWord: key)?.load(as: UInt64.self)
    }

    @inlinable
    public func updateValue(_ value: UInt64, forKey key: UInt64) {
        insertionPointer(forWord: key).storeBytes(of: value, as: UInt64.self)
    }

    @inlinable @discardableResult
    public func removeValue(forKey key: UInt64) -> Bool { removeValue(forWord: key) }

    // Keys of any shape (and strings): the seam's entry points are
    // MapModel+RawKeys.swift.

    func valueSlot<K: MapKeyOps>(found key: UnsafeRawPointer, _: K.Type) -> UnsafeMutableRawPointer? {
        find(key, K.self).map { value($0.bucket, $0.slot) }
    }

    public func makeIteration() -> MapIterator { makeIterator() }

    public func forEachEntry(_ body: (UInt64, UInt64) throws -> Void) rethrows {
        try forEachEntryPointer { k, v in try body(k.load(as: UInt64.self), v.load(as: UInt64.self)) }
    }

    public var memory: MapMemory {
        var m = MapMemory()
        m.headerBytes = objectBytes(UnsafeMutableRawPointer(h)) + extraBytes
        m.bucketBytes = objectBytes(h.pointee.buckets)
        m.oldBucketBytes = objectBytes(h.pointee.oldbuckets)
        var separate = 0
        forEachChain { length, objects in
            m.overflowBucketCount += length - 1
            separate += objects.count
        }
        m.overflowBytes = separate * SizeClasses.roundUpSize(bucketSize)
        return m
    }

    /// One value slot inside bucket 0 of the array (the seed's leaked
    /// pointer: `&m[k]` kept past the map's life).
    public var interiorAddress: UnsafeMutableRawPointer? {
        h.pointee.buckets.map { valueSlot($0, 1) }
    }

    /// Go grows when an insert makes count > 8 and count > 6.5 × 2^B: the
    /// threshold at B is max(8, 6.5 × 2^B), for the smallest B where it
    /// reaches `n`.
    public func growthThreshold(atLeast n: Int) -> Int {
        var B: UInt8 = 0
        while overLoadFactor(n, B) { B += 1 }
        return max(bucketCount, loadFactorNum * ((1 << Int(B)) / loadFactorDen))
    }

    public var relocationThreshold: Double? {
        guard case let .sparse(t) = policy.relocation, !isGrowing, lab.pointee.openIterators == 0 else { return nil }
        return t
    }

    /// The bucket array and every separately allocated overflow bucket.
    public var storageObjects: [UnsafeMutableRawPointer] {
        guard let array = h.pointee.buckets else { return [] }
        var objects = [array]
        forEachChain { _, separate in objects += separate }
        return objects
    }

    /// The header; and for every open iterator the bucket array it walks
    /// (`hiter.buckets`) and the bucket it stands in (`hiter.bptr`), which
    /// may be an old bucket or an overflow bucket the map has let go.
    public func forEachRoot(_ body: (UnsafeRawPointer, RootKind) -> Void) {
        body(UnsafeRawPointer(h), .map)
        for open in openIterators.values {
            guard let it = open.iterator else { continue }
            for root in [it.buckets, it.b, it.overflowList, it.oldOverflowList] {
                if let root { body(UnsafeRawPointer(root), .iterator) }
            }
        }
    }
}

extension MapIterator: MapIteration {
    /// The entry as words (word keys, 8-byte values).
    public func nextEntry() -> (key: UInt64, value: UInt64)? {
        guard let (k, v) = next() else { return nil }
        return (k.load(as: UInt64.self), v.load(as: UInt64.self))
    }
}
