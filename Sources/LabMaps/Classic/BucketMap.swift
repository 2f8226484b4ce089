// The bucket map: a model of Go's classic (pre-1.24) map, Go 1.19's
// src/runtime/map.go, with every bucket on the lab heap.
//
// Overview.
//
// A map is a header (`HMap`, Go's `hmap`, itself a heap object) and an array
// of 2^B buckets. A bucket holds tophash[8] (the top byte of each slot's hash,
// or a special state), 8 keys, 8 values and an overflow pointer. A key's low B
// hash bits pick its bucket; the chain of overflow buckets behind it holds the
// rest. For B ≥ 4 the bucket array is allocated with 2^(B−4) spare overflow
// buckets behind the 2^B, rounded up to the size class: one heap object.
// Later overflow buckets are heap objects of their own.
//
// Tophash specials: emptyRest 0 (this and every later slot of the chain are
// empty), emptyOne 1, evacuatedX 2, evacuatedY 3, evacuatedEmpty 4; real
// tophashes start at minTopHash 5.
//
// Growth (BucketMap+Growth.swift). Inserting a new key when
// count+1 > 8 and count+1 > 6.5 × 2^B doubles B; having noverflow ≥
// 2^min(B,15) overflow buckets starts a same-size grow (a rehash that packs
// the chains). Growing allocates the new array and keeps the old one as
// `oldbuckets`; each insert or delete then evacuates the old bucket it touches
// plus the one at `nevacuate`, and `oldbuckets` is dropped after the last.
// Lookups and iteration never evacuate: they read old buckets that are not
// evacuated yet.
//
// Delete (Go 1.19 `mapdelete`) clears the key if it holds pointers, always
// clears the value, marks the slot emptyOne and turns a trailing run of
// emptyOnes into emptyRest. Nothing is ever freed, and a map never shrinks
// (golang/go#20135): the array and every overflow bucket stay until the map
// itself is unreachable. What a delete clears is the map's `ClearingPolicy`.
// `removeAll()` is Go 1.21's `clear(m)`: every slot emptyRest, the same array
// zeroed in place, B kept, old buckets and overflow buckets dropped.
//
// Iterators (BucketMap+Iterator.swift) snapshot the bucket array; one open
// across a grow keeps the old array alive, and while any is open evacuation
// does not clear old buckets (Go's oldIterator flag).
//
// The hash is seeded per map and the seed renewed whenever the count drops to
// 0 (golang/go#25237). A fixed seed makes runs reproducible.
//
// The map is a root of its heap from the moment it is made (`RootHolder`):
// its header, and the bucket array of every open iterator. It implements the
// map-model seam (MapModel.swift, BucketMap+Model.swift), which is all the
// harness uses of it.

#if canImport(Glibc)
import Glibc
#endif
import LabHeap

// Tophash states (Go's map.go).
let emptyRest: UInt8 = 0
let emptyOne: UInt8 = 1
let evacuatedX: UInt8 = 2
let evacuatedY: UInt8 = 3
let evacuatedEmpty: UInt8 = 4
let minTopHash: UInt8 = 5

/// hmap.flags (Go's map.go): an iterator has been started on the current /
/// the old buckets since the last grow. Sticky: only `hashGrow` changes them.
let iteratorFlag: UInt8 = 1
let oldIteratorFlag: UInt8 = 2
/// The current grow is a same-size grow.
let sameSizeGrowFlag: UInt8 = 8

let bucketCount = 8
/// 6.5 as Go writes it: loadFactorNum / loadFactorDen.
let loadFactorNum = 13
let loadFactorDen = 2

@inline(__always) func isEmptySlot(_ top: UInt8) -> Bool { top <= emptyOne }

// A bucket's 8 tophash bytes read as one little-endian word (byte i = slot
// i): the probe loops find the slots holding a tophash with a few word
// operations instead of 8 byte compares (Go 1.19 compares byte by byte).
let bytesLSB: UInt64 = 0x0101_0101_0101_0101
private let bytesLow7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

/// Copies a key or value slot: one or two word moves for the common 8- and
/// 16-byte slots (a `memmove` call costs more than the copy), else memmove.
@inline(__always) func copySlot(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, bytes: Int) {
    if bytes == 8 {
        dst.storeBytes(of: src.load(as: UInt64.self), as: UInt64.self)
    } else if bytes == 16 {
        dst.storeBytes(of: src.load(as: UInt64.self), as: UInt64.self)
        dst.storeBytes(of: src.load(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
    } else {
        dst.copyMemory(from: src, byteCount: bytes)
    }
}

/// Zeroes a slot, the same way.
@inline(__always) func zeroSlot(_ p: UnsafeMutableRawPointer, bytes: Int) {
    if bytes == 8 {
        p.storeBytes(of: 0, as: UInt64.self)
    } else {
        p.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }
}

/// The bytes of `word` that are 0, as the top bit of each: exact (no
/// borrow between bytes), since a false positive could hand an empty
/// slot's stale key to the key comparison.
@inline(__always) func zeroBytes(_ word: UInt64) -> UInt64 {
    ~(((word & bytesLow7) &+ bytesLow7) | word | bytesLow7)
}

/// The slots of bucket `b` whose tophash is `t`, one bit each (byte top).
@inline(__always) func slotsWithTop(_ b: UnsafeMutableRawPointer, _ t: UInt8) -> UInt64 {
    zeroBytes(b.load(as: UInt64.self) ^ (bytesLSB &* UInt64(t)))
}

@inline(__always) func tophash(_ hash: UInt64) -> UInt8 {
    let top = UInt8(truncatingIfNeeded: hash >> 56)
    return top < minTopHash ? top &+ minTopHash : top
}

/// Go's `overLoadFactor`: more than 8 entries and more than 6.5 per bucket.
@inline(__always) func overLoadFactor(_ count: Int, _ B: UInt8) -> Bool {
    count > bucketCount && count > loadFactorNum * ((1 << Int(B)) / loadFactorDen)
}

/// Go's `tooManyOverflowBuckets`.
@inline(__always) func tooManyOverflowBuckets(_ noverflow: UInt16, _ B: UInt8) -> Bool {
    noverflow >= UInt16(1) << UInt16(min(B, 15))
}

/// The map header, Go's `hmap`, in a heap object of its own: 48 bytes, as
/// Go 1.19's (a heap profile compares them by site). The lab's own state
/// and its 64-bit hash seed are beside it, in `HMapLab`.
struct HMap {
    var buckets: UnsafeMutableRawPointer?
    var oldbuckets: UnsafeMutableRawPointer?
    /// Go's `*mapextra` (BucketMap+Extra.swift): the next spare overflow
    /// bucket, and the overflow lists of pointer-free maps.
    var extra: UnsafeMutableRawPointer?
    var count: Int
    var nevacuate: Int
    var B: UInt8
    /// Go's `iterator`, `oldIterator` and `sameSizeGrow` bits.
    var flags: UInt8
    /// Approximate number of overflow buckets (exact below B = 16).
    var noverflow: UInt16

    var sameSizeGrow: Bool {
        get { flags & sameSizeGrowFlag != 0 }
        set { flags = newValue ? flags | sameSizeGrowFlag : flags & ~sameSizeGrowFlag }
    }

    static var pointerWords: [Int] {
        [\HMap.buckets, \HMap.oldbuckets, \HMap.extra].map { MemoryLayout<HMap>.offset(of: $0)! / 8 }
    }
}

/// What the lab keeps per classic map beside its header, in plain memory
/// (not the heap: Go's `hmap` holds a 32-bit seed in its 48 bytes and takes
/// its random numbers from the runtime's `fastrand`).
struct HMapLab {
    /// The hash seed (Go's `hash0`).
    var hash0: UInt64
    /// The map's own random source (Go's fastrand): seeds, iterator starts,
    /// overflow sampling.
    var rng: SplitMix64
    /// Iterators open now (exact): the lab's own policies (shrink, reclaim,
    /// relocation) never act while one is open.
    var openIterators: Int32
}

/// How a key is hashed and compared; the probe loops are specialised on it.
protocol MapKeyOps {
    static func hash(_ key: UnsafeRawPointer, size: Int, seed: UInt64) -> UInt64
    static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, size: Int) -> Bool
    /// Go's `needkeyupdate`: equal keys may differ in their bytes, so an
    /// assignment to an existing key stores the new key too.
    static var needsKeyUpdate: Bool { get }
}

extension MapKeyOps {
    static var needsKeyUpdate: Bool { false }
}

/// One 8-byte word: Go's `mapaccess1_fast64` family.
enum WordKey: MapKeyOps {
    @inline(__always) static func hash(_ key: UnsafeRawPointer, size: Int, seed: UInt64) -> UInt64 {
        hashWord(key.load(as: UInt64.self), seed: seed)
    }
    @inline(__always) static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, size: Int) -> Bool {
        a.load(as: UInt64.self) == b.load(as: UInt64.self)
    }
}

/// Go's `string`: the slot holds a pointer to the bytes and a length; keys
/// hash and compare by content (Go's `mapaccess1_faststr` family).
enum StringKey: MapKeyOps {
    @inline(__always) static func parts(_ key: UnsafeRawPointer) -> (UnsafeRawPointer?, Int) {
        (key.load(as: UnsafeRawPointer?.self), key.load(fromByteOffset: 8, as: Int.self))
    }
    static func hash(_ key: UnsafeRawPointer, size: Int, seed: UInt64) -> UInt64 {
        let (bytes, count) = parts(key)
        guard let bytes, count > 0 else { return hashWord(0, seed: seed) }
        return hashBytes(bytes, count: count, seed: seed)
    }
    static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, size: Int) -> Bool {
        let (pa, na) = parts(a), (pb, nb) = parts(b)
        guard na == nb else { return false }
        guard na > 0, let pa, let pb else { return true }
        return pa == pb || memcmp(pa, pb, na) == 0
    }
    /// A new string equal to the old one carries its own bytes (Go).
    static var needsKeyUpdate: Bool { true }
}

/// Any other key: its bytes.
enum BytesKey: MapKeyOps {
    static func hash(_ key: UnsafeRawPointer, size: Int, seed: UInt64) -> UInt64 {
        hashBytes(key, count: size, seed: seed)
    }
    static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, size: Int) -> Bool {
        memcmp(a, b, size) == 0
    }
}

/// A Go-style bucket map whose header, buckets and out-of-line keys and
/// values live on the lab heap. Not thread-safe (nor is Go's map); it
/// allocates through one Mutator.
public final class BucketMap {
    public let type: MapType
    public let mutator: Mutator
    public var policy: ClearingPolicy { didSet { rebuildHooks() } }
    /// The user's handlers; the policy's own run first (see MapHooks).
    public var hooks = MapHooks() { didSet { rebuildHooks() } }
    /// Policy handlers followed by the user's, as the probe loops call them.
    private(set) var activeHooks = MapHooks()
    /// What the delete path needs of the policy and hooks, in plain memory:
    /// reading class properties there would cost a dynamic exclusivity check
    /// per access on the hottest path.
    let fast: UnsafeMutablePointer<FastPolicy>
    /// Grows, same-size grows and shrinks so far: each rehashes the map.
    public internal(set) var rehashCount = 0
    /// The header, a heap object.
    let h: UnsafeMutablePointer<HMap>
    /// The lab's own state beside it, in plain memory.
    let lab: UnsafeMutablePointer<HMapLab>
    // Layout constants, copied from `type` for the probe loops.
    let bucketSize: Int
    let keysOffset: Int
    let valuesOffset: Int
    let overflowOffset: Int
    let keySlotBytes: Int
    let valueSlotBytes: Int
    let indirectKey: Bool
    let indirectValue: Bool
    /// Open iterators: the storage they walk is rooted while they are open.
    var openIterators: [ObjectIdentifier: OpenIterator] = [:]
    /// Where each bucket sits in the current overflow list of a pointer-free
    /// map, built the first time the `reclaim` policy takes one out (so an
    /// unlink costs O(1), not a scan), dropped whenever the list is replaced.
    /// Bookkeeping of the lab's own, outside the heap.
    var overflowListIndex: [UnsafeMutableRawPointer: Int]?

    /// - Parameters:
    ///   - seed: fixes the hash seed and every random choice of the map
    ///     (reproducible runs); nil draws them from the system.
    ///   - hint: Go's `make(map[K]V, hint)`: the smallest B that holds `hint`
    ///     entries within the load factor, its bucket array allocated now
    ///     (Go's `makemap`); 0 = none (the first insert allocates one bucket).
    public init(type: MapType, mutator: Mutator, policy: ClearingPolicy = .go, seed: UInt64? = nil, hint: Int = 0) {
        self.type = type
        self.mutator = mutator
        self.policy = policy
        bucketSize = type.bucketSize
        keysOffset = type.keysOffset
        valuesOffset = type.valuesOffset
        overflowOffset = type.overflowOffset
        keySlotBytes = type.keySlotSize
        valueSlotBytes = type.valueSlotSize
        indirectKey = type.indirectKey
        indirectValue = type.indirectValue
        fast = .allocate(capacity: 1)
        fast.initialize(to: FastPolicy())
        var rng = SplitMix64(seed: seed ?? UInt64.random(in: .min ... .max))
        let hash0 = rng.next()
        lab = .allocate(capacity: 1)
        lab.initialize(to: HMapLab(hash0: hash0, rng: rng, openIterators: 0))
        h = mutator.allocate(type.headerType).bindMemory(to: HMap.self, capacity: 1)
        h.initialize(to: HMap(buckets: nil, oldbuckets: nil, extra: nil, count: 0, nevacuate: 0,
                              B: 0, flags: 0, noverflow: 0))
        // Go's makemap: a hint whose buckets' bytes overflow or pass
        // maxAlloc (a negative one does, as a uintptr) counts as 0.
        let (hintBytes, overflow) = hint.multipliedReportingOverflow(by: type.bucketSize)
        if hint > bucketCount && !overflow && hintBytes <= goMaxAllocBytes {
            var B: UInt8 = 0
            while overLoadFactor(hint, B) { B += 1 }
            let (array, nextOverflow) = makeBucketArray(B: B)
            h.pointee.B = B
            h.pointee.buckets = array
            setNextOverflow(nextOverflow)
        }
        mutator.heap.roots.register(self)
        rebuildHooks()
    }

    private func rebuildHooks() {
        var active = MapHooks()
        if policy.overflow == .reclaim { active.bucketEmptied.append(MapHooks.reclaimEmptyOverflowBuckets) }
        active.slotDeleted += hooks.slotDeleted
        active.bucketEmptied += hooks.bucketEmptied
        active.growFinished += hooks.growFinished
        activeHooks = active
        var shrinkBelow = 0.0
        if case let .below(f) = policy.shrink { shrinkBelow = f }
        fast.pointee = FastPolicy(slotClearing: policy.slotClearing, slotDeletedHooks: !active.slotDeleted.isEmpty,
                                  bucketEmptiedHooks: !active.bucketEmptied.isEmpty,
                                  releaseWhenEmpty: policy.emptyMap == .release, shrinkBelow: shrinkBelow)
    }

    deinit { fast.deallocate(); lab.deallocate() }

    /// Address of the header object (a collector root).
    public var headerAddress: UnsafeMutableRawPointer { UnsafeMutableRawPointer(h) }

    public var count: Int { h.pointee.count }
    public var isEmpty: Bool { h.pointee.count == 0 }

    // MARK: Bucket access

    @inline(__always) func bucket(_ array: UnsafeMutableRawPointer, _ i: Int) -> UnsafeMutableRawPointer {
        array + i &* bucketSize
    }
    @inline(__always) func top(_ b: UnsafeMutableRawPointer, _ i: Int) -> UInt8 {
        b.load(fromByteOffset: i, as: UInt8.self)
    }
    @inline(__always) func setTop(_ b: UnsafeMutableRawPointer, _ i: Int, _ t: UInt8) {
        b.storeBytes(of: t, toByteOffset: i, as: UInt8.self)
    }
    /// The key slot (holding the key, or a pointer to it when indirect).
    @inline(__always) func keySlot(_ b: UnsafeMutableRawPointer, _ i: Int) -> UnsafeMutableRawPointer {
        b + (keysOffset &+ i &* keySlotBytes)
    }
    @inline(__always) func valueSlot(_ b: UnsafeMutableRawPointer, _ i: Int) -> UnsafeMutableRawPointer {
        b + (valuesOffset &+ i &* valueSlotBytes)
    }
    /// The key itself.
    @inline(__always) func key(_ b: UnsafeMutableRawPointer, _ i: Int) -> UnsafeMutableRawPointer {
        let k = keySlot(b, i)
        return indirectKey ? k.load(as: UnsafeMutableRawPointer.self) : k
    }
    /// The value itself.
    @inline(__always) func value(_ b: UnsafeMutableRawPointer, _ i: Int) -> UnsafeMutableRawPointer {
        let v = valueSlot(b, i)
        return indirectValue ? v.load(as: UnsafeMutableRawPointer.self) : v
    }
    @inline(__always) func overflow(_ b: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        b.load(fromByteOffset: overflowOffset, as: UnsafeMutableRawPointer?.self)
    }
    @inline(__always) func setOverflow(_ b: UnsafeMutableRawPointer, _ o: UnsafeMutableRawPointer?) {
        b.storeBytes(of: o, toByteOffset: overflowOffset, as: UnsafeMutableRawPointer?.self)
    }
    /// Go's `evacuated(b)`: the first tophash says whether a bucket is done.
    @inline(__always) func evacuated(_ b: UnsafeMutableRawPointer) -> Bool {
        let t = top(b, 0)
        return t > emptyOne && t < minTopHash
    }

    @inline(__always) public var isGrowing: Bool { h.pointee.oldbuckets != nil }

    /// Every setting was written for this model.
    public static func fit(_ policy: ClearingPolicy) -> PolicyFit { PolicyFit(policy) }

    public var slotCapacity: Int { h.pointee.buckets == nil ? 0 : bucketCount << Int(h.pointee.B) }

    /// Deleted slots (emptyOne) are reused by the next insert into their
    /// bucket: the classic map has no tombstones.
    public var tombstoneCount: Int { 0 }

    /// Number of buckets in the old array (Go's `noldbuckets`).
    @inline(__always) var oldBucketCount: Int {
        h.pointee.sameSizeGrow ? 1 << Int(h.pointee.B) : 1 << (Int(h.pointee.B) - 1)
    }

    /// The map's fastrand.
    @inline(__always) func random() -> UInt64 { lab.pointee.rng.next() }

    // MARK: Lookup (Go's mapaccess1 / mapaccessK)

    /// The slot holding `key`, or nil. Never evacuates.
    @inline(__always)
    func find<K: MapKeyOps>(_ key: UnsafeRawPointer, _: K.Type) -> (bucket: UnsafeMutableRawPointer, slot: Int)? {
        guard h.pointee.count != 0, let buckets = h.pointee.buckets else { return nil }
        let hash = K.hash(key, size: type.keySize, seed: lab.pointee.hash0)
        var mask = (1 << Int(h.pointee.B)) &- 1
        var b = bucket(buckets, Int(truncatingIfNeeded: hash) & mask)
        if let old = h.pointee.oldbuckets {
            if !h.pointee.sameSizeGrow { mask >>= 1 }
            let oldb = bucket(old, Int(truncatingIfNeeded: hash) & mask)
            if !evacuated(oldb) { b = oldb }
        }
        return locate(key, K.self, hash: hash, from: b)
    }

    /// The slot holding `key` in the chain starting at bucket `first`, or nil.
    ///
    /// Per bucket: the slots whose tophash is the key's, in order, then one
    /// word test for an emptyRest, which ends the chain (no slot after one
    /// holds an entry, so this is Go's byte loop's answer), which spares a
    /// miss a mispredicted exit per bucket. A SWAR match of the tophash word,
    /// or comparing the keys first as Go's mapaccess1_fast64 does, are slower
    /// on hits and deletes: the byte loop's predicted branches let the next
    /// lookup's loads start early, a computed slot index does not
    /// (docs/notes/classic-map-lookup.md).
    @inline(__always)
    func locate<K: MapKeyOps>(_ key: UnsafeRawPointer, _: K.Type, hash: UInt64,
                              from first: UnsafeMutableRawPointer) -> (bucket: UnsafeMutableRawPointer, slot: Int)? {
        let want = tophash(hash)
        var current: UnsafeMutableRawPointer? = first
        while let cb = current {
            for i in 0..<bucketCount where top(cb, i) == want {
                if K.equal(key, self.key(cb, i), size: type.keySize) { return (cb, i) }
            }
            if slotsWithTop(cb, emptyRest) != 0 { return nil }
            current = overflow(cb)
        }
        return nil
    }

    // MARK: Insert (Go's mapassign)

    /// The value slot for `key`, inserting the key (value zeroed) if absent.
    @inline(__always)
    func assign<K: MapKeyOps>(_ key: UnsafeRawPointer, _: K.Type) -> UnsafeMutableRawPointer {
        let hash = K.hash(key, size: type.keySize, seed: lab.pointee.hash0)
        if h.pointee.buckets == nil {
            h.pointee.buckets = mutator.allocate(type.bucket)
        }
        while true {
            let bucketIndex = Int(truncatingIfNeeded: hash) & ((1 << Int(h.pointee.B)) &- 1)
            if isGrowing { growWork(bucketIndex, K.self) }
            var b = bucket(h.pointee.buckets!, bucketIndex)
            let want = tophash(hash)
            var insertBucket: UnsafeMutableRawPointer? = nil
            var insertSlot = 0
            // Per bucket of the chain: the slots with the tophash (the key
            // may be there), then the first empty slot (emptyOne or
            // emptyRest) of the first bucket that has one, where a new key
            // goes; an emptyRest ends the chain.
            while true {
                let tops = b.load(as: UInt64.self)
                var hits = zeroBytes(tops ^ (bytesLSB &* UInt64(want)))
                while hits != 0 {
                    let i = hits.trailingZeroBitCount >> 3
                    hits &= hits &- 1
                    if !K.equal(key, self.key(b, i), size: type.keySize) { continue }
                    // Existing key: Go stores the new key only where equal keys
                    // may differ (strings: the old key's bytes become garbage).
                    if K.needsKeyUpdate { copySlot(keySlot(b, i), key, bytes: type.keySize) }
                    return value(b, i)
                }
                let rest = zeroBytes(tops)
                let empty = rest | zeroBytes(tops ^ (bytesLSB &* UInt64(emptyOne)))
                if insertBucket == nil && empty != 0 {
                    insertBucket = b
                    insertSlot = empty.trailingZeroBitCount >> 3
                }
                guard rest == 0, let next = overflow(b) else { break }
                b = next
            }
            // A new key. Past the load factor, or with too many overflow
            // buckets, start growing (unless already) and start over.
            if !isGrowing && (overLoadFactor(h.pointee.count + 1, h.pointee.B)
                              || tooManyOverflowBuckets(h.pointee.noverflow, h.pointee.B)) {
                hashGrow()
                continue
            }
            if insertBucket == nil {
                insertBucket = newOverflow(after: b)
                insertSlot = 0
            }
            let ib = insertBucket!
            var k = keySlot(ib, insertSlot)
            if indirectKey {
                let object = mutator.allocate(type.keyObject!)
                k.storeBytes(of: object, as: UnsafeMutableRawPointer.self)
                k = object
            }
            if indirectValue {
                let object = mutator.allocate(type.valueObject!)
                valueSlot(ib, insertSlot).storeBytes(of: object, as: UnsafeMutableRawPointer.self)
            } else {
                // A previous occupant's value may still be there (slot
                // clearing `none`): an insert always starts from zero.
                zeroSlot(valueSlot(ib, insertSlot), bytes: valueSlotBytes)
            }
            copySlot(k, key, bytes: type.keySize)
            setTop(ib, insertSlot, want)
            h.pointee.count += 1
            return value(ib, insertSlot)
        }
    }

    // MARK: Delete (Go's mapdelete)

    /// Removes `key`; false when absent.
    @inline(__always)
    func delete<K: MapKeyOps>(_ key: UnsafeRawPointer, _: K.Type) -> Bool {
        guard h.pointee.count != 0, h.pointee.buckets != nil else { return false }
        let hash = K.hash(key, size: type.keySize, seed: lab.pointee.hash0)
        let bucketIndex = Int(truncatingIfNeeded: hash) & ((1 << Int(h.pointee.B)) &- 1)
        if isGrowing { growWork(bucketIndex, K.self) }
        let first = bucket(h.pointee.buckets!, bucketIndex)
        // The key's slot, as `locate` finds it, but with the tophash word
        // matched at once (as the insert does): fewer instructions per delete,
        // which always finds its key.
        let want = bytesLSB &* UInt64(tophash(hash))
        var slot: (bucket: UnsafeMutableRawPointer, index: Int)?
        var next: UnsafeMutableRawPointer? = first
        search: while let cb = next {
            let tops = cb.load(as: UInt64.self)
            var hits = zeroBytes(tops ^ want)
            while hits != 0 {
                let i = hits.trailingZeroBitCount >> 3
                hits &= hits &- 1
                if K.equal(key, self.key(cb, i), size: type.keySize) {
                    slot = (cb, i)
                    break search
                }
            }
            if zeroBytes(tops) != 0 { break }  // an emptyRest ends the chain
            next = overflow(cb)
        }
        guard let (b, i) = slot else { return false }
        clearSlot(b, i)
        let flags = fast.pointee
        if flags.slotDeletedHooks {
            let event = DeletedSlot(bucket: b, index: i, keySlot: keySlot(b, i), valueSlot: valueSlot(b, i))
            for hook in activeHooks.slotDeleted { hook(self, event) }
        }
        setTop(b, i, emptyOne)
        markTrailingEmpty(first: first, bucket: b, slot: i)
        if b != first && flags.bucketEmptiedHooks && (0..<bucketCount).allSatisfy({ isEmptySlot(top(b, $0)) }) {
            let event = EmptiedBucket(chainHead: first, bucket: b)
            for hook in activeHooks.bucketEmptied { hook(self, event) }
        }
        h.pointee.count -= 1
        if h.pointee.count == 0 {
            lab.pointee.hash0 = random()
            if flags.releaseWhenEmpty { releaseBuckets() }
        }
        if flags.shrinkBelow > 0, h.pointee.buckets != nil { shrinkIfSparse(below: flags.shrinkBelow) }
        return true
    }

    /// What a delete does to the slot's words, by policy.
    @inline(__always)
    func clearSlot(_ b: UnsafeMutableRawPointer, _ i: Int) {
        fast.pointee.slotClearing.clear(key: keySlot(b, i), value: valueSlot(b, i), of: type)
    }

    /// After slot `i` of `b` became emptyOne: if nothing follows it in the
    /// chain, it and the emptyOnes before it become emptyRest.
    @inline(__always)
    func markTrailingEmpty(first: UnsafeMutableRawPointer, bucket start: UnsafeMutableRawPointer, slot: Int) {
        var b = start
        var i = slot
        if i == bucketCount - 1 {
            if let o = overflow(b), top(o, 0) != emptyRest { return }
        } else if top(b, i + 1) != emptyRest {
            return
        }
        while true {
            setTop(b, i, emptyRest)
            if i == 0 {
                if b == first { return }
                // Step back to the previous bucket of the chain.
                let c = b
                b = first
                while overflow(b) != c { b = overflow(b)! }
                i = bucketCount - 1
            } else {
                i -= 1
            }
            if top(b, i) != emptyOne { return }
        }
    }

    // MARK: Clear (Go 1.21 clear(m))

    /// Removes every entry, keeping B and the bucket array (zeroed in place);
    /// old buckets and separately allocated overflow buckets are let go.
    public func removeAll() {
        defer { _checkInvariantsAfterMutation() }
        guard h.pointee.count != 0, let buckets = h.pointee.buckets else { return }
        // Mark everything emptyRest first, so open iterators stop (golang/go#59411).
        markAllEmpty(buckets, count: 1 << Int(h.pointee.B))
        if let old = h.pointee.oldbuckets { markAllEmpty(old, count: oldBucketCount) }
        h.pointee.count = 0
        lab.pointee.hash0 = random()
        if policy.clearAll == .release {
            releaseBuckets()
            return
        }
        h.pointee.sameSizeGrow = false
        h.pointee.oldbuckets = nil
        h.pointee.nevacuate = 0
        h.pointee.noverflow = 0
        extra?.pointee = MapExtra()  // Go: *h.extra = mapextra{}
        overflowListIndex = nil
        setNextOverflow(formatBucketArray(buckets, B: h.pointee.B, zero: true))
    }

    /// Lets go of every bucket (the next insert starts again from one
    /// bucket); the collector frees them unless an iterator holds them.
    func releaseBuckets() {
        h.pointee.buckets = nil
        h.pointee.oldbuckets = nil
        extra?.pointee = MapExtra()
        overflowListIndex = nil
        h.pointee.B = 0
        h.pointee.noverflow = 0
        h.pointee.nevacuate = 0
        h.pointee.sameSizeGrow = false
    }

    /// Unlinks an overflow bucket from its chain, so the next collection
    /// frees it (a spare inside the bucket array is only unlinked). Refused
    /// (false) while an iterator is open, since it may stand on the bucket.
    @discardableResult
    public func unlinkOverflowBucket(_ bucket: UnsafeMutableRawPointer, chainHead: UnsafeMutableRawPointer) -> Bool {
        guard lab.pointee.openIterators == 0, bucket != chainHead else { return false }
        var prev = chainHead
        while let next = overflow(prev), next != bucket { prev = next }
        guard overflow(prev) == bucket else { return false }
        setOverflow(prev, overflow(bucket))
        setOverflow(bucket, nil)
        if !type.bucketHasPointers { forgetOverflowBucket(bucket) }
        if h.pointee.B < 16 && h.pointee.noverflow > 0 { h.pointee.noverflow -= 1 }
        return true
    }

    private func markAllEmpty(_ array: UnsafeMutableRawPointer, count: Int) {
        for i in 0..<count {
            var b: UnsafeMutableRawPointer? = bucket(array, i)
            while let cb = b {
                cb.initializeMemory(as: UInt8.self, repeating: emptyRest, count: bucketCount)
                b = overflow(cb)
            }
        }
    }
}

/// An open iterator, as its map's root list holds it.
struct OpenIterator {
    weak var iterator: MapIterator?
}

/// The policy as the delete path reads it (see `BucketMap.fast`).
struct FastPolicy {
    var slotClearing = SlotClearing.go
    var slotDeletedHooks = false
    var bucketEmptiedHooks = false
    var releaseWhenEmpty = false
    /// 0 = never shrink.
    var shrinkBelow = 0.0
}
