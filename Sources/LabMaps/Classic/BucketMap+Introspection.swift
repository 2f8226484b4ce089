// What the harness and the tests can see of a map's shape, and its invariant
// checks. See BucketMap.swift.

import LabHeap

/// A classic map's shape at one moment.
public struct BucketMapShape: Sendable, Equatable {
    public var B: Int
    /// 2^B.
    public var bucketCount: Int
    /// Overflow buckets chained in the current array (spares in use included).
    public var overflowBuckets: Int
    /// Of those, the ones that are heap objects of their own.
    public var separateOverflowBuckets: Int
    /// Go's approximate counter (exact below B = 16).
    public var noverflow: Int
    public var isGrowing: Bool
    public var nevacuate: Int
    /// Heap bytes of the current / old bucket array objects (size-class
    /// rounded), and of separately allocated overflow buckets.
    public var bucketArrayBytes: Int
    public var oldBucketArrayBytes: Int
    public var overflowBucketBytes: Int
    /// Chain length (buckets, 1 = no overflow) → number of chains.
    public var chainLengths: [Int: Int]
}

extension BucketMap {
    /// Walks every chain of the current array: `body(chain length, overflow
    /// buckets that are heap objects of their own)`. The one walk behind
    /// `shape`, `memory` and `storageObjects`.
    func forEachChain(_ body: (_ length: Int, _ separate: ArraySlice<UnsafeMutableRawPointer>) -> Void) {
        guard let array = h.pointee.buckets else { return }
        let arrayEnd = array + bucketArrayCount(B: h.pointee.B) * bucketSize
        var separate: [UnsafeMutableRawPointer] = []
        for i in 0..<(1 << Int(h.pointee.B)) {
            var length = 1
            separate.removeAll(keepingCapacity: true)
            var b = bucket(array, i)
            while let o = overflow(b) {
                length += 1
                if o < array || o >= arrayEnd { separate.append(o) }
                b = o
            }
            body(length, separate[...])
        }
    }

    func objectBytes(_ address: UnsafeMutableRawPointer?) -> Int { mutator.heap.objectBytes(address) }

    public var shape: BucketMapShape {
        var overflowCount = 0, separate = 0
        var chains: [Int: Int] = [:]
        forEachChain { length, objects in
            overflowCount += length - 1
            separate += objects.count
            chains[length, default: 0] += 1
        }
        return BucketMapShape(
            B: Int(h.pointee.B),
            bucketCount: h.pointee.buckets == nil ? 0 : 1 << Int(h.pointee.B),
            overflowBuckets: overflowCount,
            separateOverflowBuckets: separate,
            noverflow: Int(h.pointee.noverflow),
            isGrowing: isGrowing,
            nevacuate: h.pointee.nevacuate,
            bucketArrayBytes: objectBytes(h.pointee.buckets),
            oldBucketArrayBytes: objectBytes(h.pointee.oldbuckets),
            overflowBucketBytes: separate * SizeClasses.roundUpSize(bucketSize),
            chainLengths: chains)
    }

    /// Every broken invariant (`_checkInvariants()`, MapModel+Invariants.swift,
    /// runs this after mutations in debug builds): no occupied slot after an emptyRest in a chain;
    /// count equals the occupied slots (current array plus old buckets not yet
    /// evacuated); every key sits in the bucket its hash names, under its
    /// tophash; old buckets are wholly evacuated or not at all, and all below
    /// `nevacuate` are; no evacuation marks in the current array; below B = 16
    /// `noverflow` counts the overflow buckets of the current array.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        guard let array = h.pointee.buckets else {
            if h.pointee.count != 0 { problems.append("count \(h.pointee.count) without buckets") }
            return problems
        }
        let B = Int(h.pointee.B)
        var occupied = 0
        var overflowCount = 0

        func walk(_ first: UnsafeMutableRawPointer, index: Int, mask: Int, old: Bool) {
            var seenRest = false
            var evacMarks = 0, slots = 0
            var b: UnsafeMutableRawPointer? = first
            while let cb = b {
                for i in 0..<bucketCount {
                    let t = top(cb, i)
                    slots += 1
                    if t > emptyOne && t < minTopHash {
                        evacMarks += 1
                        continue
                    }
                    if t == emptyRest { seenRest = true; continue }
                    if t == emptyOne { continue }
                    if seenRest { problems.append("bucket \(index)\(old ? " (old)" : ""): occupied slot after emptyRest") }
                    occupied += 1
                    let hash = hashKey(key(cb, i))
                    if Int(truncatingIfNeeded: hash) & mask != index {
                        problems.append("bucket \(index)\(old ? " (old)" : ""): key in the wrong bucket")
                    }
                    if tophash(hash) != t { problems.append("bucket \(index): tophash does not match its key") }
                }
                b = overflow(cb)
                if b != nil && !old { overflowCount += 1 }
            }
            if old {
                if evacMarks != 0 && evacMarks != slots {
                    problems.append("old bucket \(index): partly evacuated (\(evacMarks) of \(slots) slots)")
                }
            } else if evacMarks != 0 {
                problems.append("bucket \(index): evacuation marks in the current array")
            }
        }

        for i in 0..<(1 << B) { walk(bucket(array, i), index: i, mask: (1 << B) - 1, old: false) }
        if let old = h.pointee.oldbuckets {
            let n = oldBucketCount
            for i in 0..<n {
                let ob = bucket(old, i)
                if evacuated(ob) {
                    continue
                }
                if i < h.pointee.nevacuate { problems.append("old bucket \(i) below nevacuate is not evacuated") }
                walk(ob, index: i, mask: n - 1, old: true)
            }
        }
        if !type.bucketHasPointers {
            // Every chained overflow bucket must be on the current list, or
            // nothing keeps it alive.
            var listed = Set<UnsafeMutableRawPointer>()
            if let header = extra?.pointee.overflow?.assumingMemoryBound(to: SliceHeader.self),
               let entries = header.pointee.array {
                for j in 0..<header.pointee.len {
                    listed.insert(entries.load(fromByteOffset: j * 8, as: UnsafeMutableRawPointer.self))
                }
            }
            var unlisted = 0
            forEachChain { _, separate in unlisted += separate.filter { !listed.contains($0) }.count }
            if unlisted > 0 { problems.append("\(unlisted) overflow buckets of a noscan map are on no overflow list") }
        }
        if occupied != h.pointee.count {
            problems.append("count \(h.pointee.count) but \(occupied) occupied slots")
        }
        if B < 16 && Int(h.pointee.noverflow) != overflowCount {
            problems.append("noverflow \(h.pointee.noverflow) but \(overflowCount) overflow buckets")
        }
        return problems
    }
}
