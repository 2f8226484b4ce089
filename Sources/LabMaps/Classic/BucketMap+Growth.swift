// Growth: bucket arrays, overflow buckets and incremental evacuation (Go's
// hashGrow, growWork, evacuate). See BucketMap.swift for the overview.

import LabHeap

extension BucketMap {
    /// Buckets in an array for `B`: 2^B, plus 2^(B−4) preallocated overflow
    /// buckets from B = 4, plus whatever fits in the rounding up to the size
    /// class (Go's `makeBucketArray`).
    func bucketArrayCount(B: UInt8) -> Int {
        let base = 1 << Int(B)
        guard B >= 4 else { return base }
        let n = base + (1 << (Int(B) - 4))
        let bytes = n * bucketSize
        let rounded = SizeClasses.roundUpSize(bytes)
        return rounded != bytes ? rounded / bucketSize : n
    }

    /// A new, zeroed bucket array and its first spare overflow bucket.
    func makeBucketArray(B: UInt8) -> (array: UnsafeMutableRawPointer, nextOverflow: UnsafeMutableRawPointer?) {
        let array = mutator.allocate(type.bucket, count: bucketArrayCount(B: B))
        return (array, formatBucketArray(array, B: B, zero: false))
    }

    /// Prepares the spare overflow buckets of an array: the last one's
    /// overflow pointer is set to the array itself, a sentinel meaning "last
    /// spare" (Go does the same). Returns the first spare, or nil.
    func formatBucketArray(_ array: UnsafeMutableRawPointer, B: UInt8, zero: Bool) -> UnsafeMutableRawPointer? {
        let n = bucketArrayCount(B: B)
        if zero { array.initializeMemory(as: UInt8.self, repeating: 0, count: n * bucketSize) }
        let base = 1 << Int(B)
        guard n != base else { return nil }
        setOverflow(bucket(array, n - 1), array)
        return bucket(array, base)
    }

    /// Chains a new overflow bucket behind `b`: a spare from the array if one
    /// is left, else a heap object of its own (Go's `newoverflow`).
    func newOverflow(after b: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let ovf: UnsafeMutableRawPointer
        if let spare = nextOverflow {
            ovf = spare
            if overflow(spare) == nil {
                setNextOverflow(spare + bucketSize)
            } else {
                // The last spare: clear its sentinel.
                setOverflow(spare, nil)
                setNextOverflow(nil)
            }
        } else {
            ovf = mutator.allocate(type.bucket)
        }
        incrementOverflowCount()
        if !type.bucketHasPointers { recordOverflowBucket(ovf) }
        setOverflow(b, ovf)
        return ovf
    }

    /// Go's `incrnoverflow`: exact below B = 16, then counted with
    /// probability 1/2^(B−15) so that the threshold 2^15 still means "about
    /// as many overflow buckets as buckets".
    func incrementOverflowCount() {
        let B = Int(h.pointee.B)
        if B < 16 {
            h.pointee.noverflow &+= 1
            return
        }
        let mask = (UInt64(1) << UInt64(B - 15)) - 1
        if random() & mask == 0 { h.pointee.noverflow &+= 1 }
    }

    /// Starts a grow: doubling when over the load factor, else same size (too
    /// many overflow buckets). Entries move later, incrementally.
    func hashGrow() {
        let bigger: UInt8 = overLoadFactor(h.pointee.count + 1, h.pointee.B) ? 1 : 0
        h.pointee.sameSizeGrow = bigger == 0
        let (array, nextOverflow) = makeBucketArray(B: h.pointee.B + bigger)
        // An iteration of the buckets that are now old keeps them intact for
        // this whole grow (Go's sticky flags).
        var flags = h.pointee.flags & ~(iteratorFlag | oldIteratorFlag)
        if h.pointee.flags & iteratorFlag != 0 { flags |= oldIteratorFlag }
        h.pointee.flags = flags
        h.pointee.oldbuckets = h.pointee.buckets
        h.pointee.buckets = array
        h.pointee.B += bigger
        h.pointee.nevacuate = 0
        h.pointee.noverflow = 0
        if let e = extra, e.pointee.overflow != nil {
            precondition(e.pointee.oldoverflow == nil, "bad map state: oldoverflow is not nil")
            e.pointee.oldoverflow = e.pointee.overflow
            e.pointee.overflow = nil
            overflowListIndex = nil
        }
        if nextOverflow != nil { createExtra().pointee.nextOverflow = nextOverflow }
        rehashCount += 1
        if policy.evacuation == .eager { finishGrowth() }
    }

    /// Evacuates every remaining old bucket now.
    func finishGrowth() {
        while isGrowing {
            switch type.keyKind {
            case .word: evacuate(h.pointee.nevacuate, WordKey.self)
            case .string: evacuate(h.pointee.nevacuate, StringKey.self)
            case .bytes: evacuate(h.pointee.nevacuate, BytesKey.self)
            case .interface: evacuate(h.pointee.nevacuate, InterfaceKey.self)
            }
        }
    }

    /// `shrink=below(f)`: halves B while count < f × 6.5 × 2^B and rehashes
    /// into the smaller array — never while growing or iterated.
    func shrinkIfSparse(below f: Double) {
        guard !isGrowing, lab.pointee.openIterators == 0, h.pointee.B > 0 else { return }
        let threshold = { (B: Int) in f * Double(loadFactorNum) / Double(loadFactorDen) * Double(1 << B) }
        var target = Int(h.pointee.B)
        while target > 0 && Double(h.pointee.count) < threshold(target) { target -= 1 }
        guard target < Int(h.pointee.B) else { return }
        switch type.keyKind {
        case .word: rehash(into: UInt8(target), WordKey.self)
        case .string: rehash(into: UInt8(target), StringKey.self)
        case .bytes: rehash(into: UInt8(target), BytesKey.self)
        case .interface: rehash(into: UInt8(target), InterfaceKey.self)
        }
    }

    /// Moves every entry into a new array of 2^B buckets at once.
    func rehash<K: MapKeyOps>(into B: UInt8, _: K.Type) {
        let oldArray = h.pointee.buckets!
        let oldCount = 1 << Int(h.pointee.B)
        let (array, nextOverflow) = makeBucketArray(B: B)
        h.pointee.buckets = array
        h.pointee.B = B
        // The old array's overflow list goes with it; the new one's fills as
        // the rehash chains overflow buckets.
        extra?.pointee.overflow = nil
        overflowListIndex = nil
        setNextOverflow(nextOverflow)
        h.pointee.noverflow = 0
        let mask = (1 << Int(B)) - 1
        for i in 0..<oldCount {
            var current: UnsafeMutableRawPointer? = bucket(oldArray, i)
            while let b = current {
                for s in 0..<bucketCount where top(b, s) >= minTopHash {
                    let hash = K.hash(key(b, s), size: type.keySize, seed: lab.pointee.hash0)
                    var dst = bucket(array, Int(truncatingIfNeeded: hash) & mask)
                    var slot = -1
                    while slot < 0 {
                        slot = (0..<bucketCount).first { isEmptySlot(top(dst, $0)) } ?? -1
                        if slot < 0 { dst = overflow(dst) ?? newOverflow(after: dst) }
                    }
                    setTop(dst, slot, top(b, s))
                    copySlot(keySlot(dst, slot), keySlot(b, s), bytes: keySlotBytes)
                    copySlot(valueSlot(dst, slot), valueSlot(b, s), bytes: valueSlotBytes)
                }
                current = overflow(b)
            }
        }
        rehashCount += 1
    }

    /// Evacuates the old bucket behind `bucketIndex` and one more (Go's
    /// `growWork`).
    @inline(__always)
    func growWork<K: MapKeyOps>(_ bucketIndex: Int, _ keyOps: K.Type) {
        evacuate(bucketIndex & (oldBucketCount - 1), keyOps)
        if isGrowing { evacuate(h.pointee.nevacuate, keyOps) }
    }

    /// Moves every entry of old bucket `oldIndex` (and its chain) to the new
    /// array: to bucket X (same index) or Y (index + old size) by the new hash
    /// bit. Old slots are marked evacuatedX/Y/Empty. Unless an iteration was
    /// started on the old buckets (Go's sticky `oldIterator` flag: any
    /// iterator started before this grow, even one long finished), the old
    /// bucket's keys, values and overflow pointer are then cleared when they
    /// may hold pointers, so the collector can free what they referenced (Go's
    /// `evacuate`).
    func evacuate<K: MapKeyOps>(_ oldIndex: Int, _: K.Type) {
        guard let oldArray = h.pointee.oldbuckets, let newArray = h.pointee.buckets else { return }
        let newbit = oldBucketCount
        let oldBucket = bucket(oldArray, oldIndex)
        if !evacuated(oldBucket) {
            let sameSize = h.pointee.sameSizeGrow
            // Destinations X and Y: bucket and next free slot.
            var xb = bucket(newArray, oldIndex), xi = 0
            var yb = sameSize ? xb : bucket(newArray, oldIndex + newbit), yi = 0
            var current: UnsafeMutableRawPointer? = oldBucket
            while let b = current {
                for i in 0..<bucketCount {
                    let t = top(b, i)
                    if isEmptySlot(t) {
                        setTop(b, i, evacuatedEmpty)
                        continue
                    }
                    precondition(t >= minTopHash, "bad map state: an old bucket holds an evacuation mark")
                    var useY = false
                    if !sameSize {
                        let hash = K.hash(key(b, i), size: type.keySize, seed: lab.pointee.hash0)
                        useY = hash & UInt64(newbit) != 0
                    }
                    setTop(b, i, useY ? evacuatedY : evacuatedX)
                    let db: UnsafeMutableRawPointer, di: Int
                    if useY {
                        if yi == bucketCount { yb = newOverflow(after: yb); yi = 0 }
                        db = yb; di = yi; yi += 1
                    } else {
                        if xi == bucketCount { xb = newOverflow(after: xb); xi = 0 }
                        db = xb; di = xi; xi += 1
                    }
                    setTop(db, di, t)
                    copySlot(keySlot(db, di), keySlot(b, i), bytes: keySlotBytes)
                    copySlot(valueSlot(db, di), valueSlot(b, i), bytes: valueSlotBytes)
                }
                current = overflow(b)
            }
            if h.pointee.flags & oldIteratorFlag == 0 && type.bucketHasPointers {
                // Keep the tophashes: they hold the evacuation state.
                (oldBucket + bucketCount).initializeMemory(as: UInt8.self, repeating: 0, count: bucketSize - bucketCount)
            }
        }
        if oldIndex == h.pointee.nevacuate { advanceEvacuationMark(newbit: newbit) }
    }

    /// Moves `nevacuate` past evacuated buckets (at most 1024 at a time) and
    /// drops the old array after the last (Go's `advanceEvacuationMark`).
    func advanceEvacuationMark(newbit: Int) {
        h.pointee.nevacuate += 1
        let stop = min(h.pointee.nevacuate + 1024, newbit)
        while h.pointee.nevacuate != stop && evacuated(bucket(h.pointee.oldbuckets!, h.pointee.nevacuate)) {
            h.pointee.nevacuate += 1
        }
        if h.pointee.nevacuate == newbit {
            h.pointee.oldbuckets = nil
            extra?.pointee.oldoverflow = nil
            h.pointee.sameSizeGrow = false
            for hook in activeHooks.growFinished { hook(self) }
        }
    }
}
