// Public entry points: raw (key bytes in, value pointer out) and typed for
// one-word keys and values. Each mutating one ends with a sampled invariant
// check in debug builds (MapModel+Invariants.swift). See BucketMap.swift.

import LabHeap

extension BucketMap {
    /// The value stored for the key at `key` (`type.keySize` bytes), or nil.
    public func valuePointer(forKey key: UnsafeRawPointer) -> UnsafeMutableRawPointer? { valueSlot(forKeyAt: key) }

    /// The value for `key`, inserting the key with a zeroed value if absent
    /// (Go's mapassign: the caller writes the value).
    public func insertionPointer(forKey key: UnsafeRawPointer) -> UnsafeMutableRawPointer {
        insertionSlot(forKeyAt: key)
    }

    /// Deletes `key`; false when it was absent.
    @discardableResult
    public func removeValue(forKey key: UnsafeRawPointer) -> Bool { removeEntry(forKeyAt: key) }
}

extension BucketMap {
    // The 8-byte-key fast path as non-generic entry points, so callers in
    // other modules reach code specialised for `WordKey` with one call (the
    // seam's word accessors, BucketMap+Model.swift, are inlined into the
    // caller).

    /// The value slot for an 8-byte key, or nil. Needs `type.isWordKey`.
    public func valuePointer(forWord key: UInt64) -> UnsafeMutableRawPointer? {
        withUnsafePointer(to: key) { k in find(k, WordKey.self).map { value($0.bucket, $0.slot) } }
    }

    /// The value slot for an 8-byte key, or nil, found the way Go 1.19's
    /// `mapaccess1_fast64` finds it: no hash for a one-bucket map; per
    /// bucket of the chain, the 8 keys compared directly (a slot counts
    /// when its tophash is not empty), then the overflow word, to the end of
    /// the chain. `valuePointer(forWord:)` is the lab's own path (tophash
    /// first, an emptyRest ends the chain); `bucketlab ops` times both
    /// (`lab:go` and `lab:go/fast64`) so the difference is measured, not
    /// assumed. Needs `type.isWordKey`.
    public func valuePointerGoFast64(forWord key: UInt64) -> UnsafeMutableRawPointer? {
        guard h.pointee.count != 0, let buckets = h.pointee.buckets else { return nil }
        var b: UnsafeMutableRawPointer
        if h.pointee.B == 0 {
            b = buckets
        } else {
            let hash = hashWord(key, seed: lab.pointee.hash0)
            var mask = (1 << Int(h.pointee.B)) &- 1
            b = bucket(buckets, Int(truncatingIfNeeded: hash) & mask)
            if let old = h.pointee.oldbuckets {
                if !h.pointee.sameSizeGrow { mask >>= 1 }
                let oldb = bucket(old, Int(truncatingIfNeeded: hash) & mask)
                if !evacuated(oldb) { b = oldb }
            }
        }
        var current: UnsafeMutableRawPointer? = b
        while let cb = current {
            for i in 0..<bucketCount where self.key(cb, i).load(as: UInt64.self) == key && !isEmptySlot(top(cb, i)) {
                return value(cb, i)
            }
            current = overflow(cb)
        }
        return nil
    }

    /// The value slot for an 8-byte key, inserting it if absent.
    public func insertionPointer(forWord key: UInt64) -> UnsafeMutableRawPointer {
        defer { _checkInvariantsAfterMutation() }
        return withUnsafePointer(to: key) { assign($0, WordKey.self) }
    }

    /// Deletes an 8-byte key; false when absent.
    @discardableResult
    public func removeValue(forWord key: UInt64) -> Bool {
        defer { _checkInvariantsAfterMutation() }
        return withUnsafePointer(to: key) { delete($0, WordKey.self) }
    }
}

/// Classic maps with `UInt64` keys and one-word values, for the tests and
/// benchmarks of the classic model (`WordMap` takes any model).
public typealias UInt64Map = WordMap<BucketMap, UInt64>
public typealias PayloadMap = WordMap<BucketMap, UnsafeMutableRawPointer?>
