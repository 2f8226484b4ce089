// The sync.Map of Go 1.19 (src/sync/map.go; the same design up to Go 1.23),
// built over the classic map model (Classic/BucketMap.swift) with every
// object on the lab heap. Single-threaded: the lock and the atomics order
// nothing here, and the memory figures do not depend on them.
//
// Overview.
//
// A `sync.Map` (`SyncMapHeader`: Mutex 8 + atomic.Value 16 + dirty 8 +
// misses 8 = 40 bytes, size class 48) holds two classic maps of type
// `map[any]*entry` — 16-byte interface keys and 8-byte pointer values, so
// 208-byte buckets — and a miss count:
// - `read`, a `readOnly{m, amended}` stored in the atomic.Value: every
//   `read.Store` boxes a new 16-byte readOnly (convT); the old one and, if
//   nothing else holds it, the map it named become garbage;
// - `dirty`, nil or a map holding every key of `read.m` that is not deleted
//   plus the keys stored since (`amended`).
// An `entry` (8 bytes) is shared by both maps; its `p` is nil (deleted),
// `expunged` (deleted, and absent from `dirty`), or the address of a 16-byte
// heap `any` holding the value. Keys and values become `any` as Go converts
// them (Sync/InterfaceKey.swift): integers through `convT64` (below 256 the
// static table, else an 8-byte box that Go's tiny allocator packs with the
// next small pointer-free box in a 16-byte block), strings through
// `convTstring` (16 bytes), other shapes through `convT`; pointer-shaped
// values are the data word itself.
//
// Operations (map.go):
// - Store: the key's `any` escapes into the map, so the caller boxes it;
//   Store's own `value` parameter escapes (`&value`), so every Store
//   allocates a 16-byte `any`. A key in `read` not expunged takes it in place
//   (tryStore); an expunged one is un-expunged and added to `dirty`; a key in
//   `dirty` takes it; a new key first builds `dirty` if nil (`dirtyLocked`:
//   `make(map[any]*entry, len(read.m))` — the hint counts deleted entries —
//   and copies the entries it does not expunge, in range order), marks
//   `read` amended, and stores `newEntry(value)`: another 16-byte `any`
//   (newEntry's parameter escapes) and the entry.
// - Load and Delete of a key absent from `read` while amended look in
//   `dirty` and count a miss; Delete then deletes it from `dirty` (a plain
//   classic-map delete). A key found in `read` is deleted by nilling `p`:
//   key, slot and entry stay. After `misses ≥ len(dirty)` (`missLocked`)
//   `dirty` becomes `read` and `dirty` nil: the old `read` map is garbage.
//   Their keys do not escape, so they box nothing.
// - Range promotes `dirty` when amended, then ranges over `read.m`,
//   skipping deleted entries. Go 1.19 has no `Clear` (Go 1.23 added one):
//   `removeAll()` is the idiom `m.Range(func(k, _ any) bool { m.Delete(k);
//   return true })`, which only nils every entry.
//
// So the map sheds deleted keys by generations: a deleted key's slot, key
// box and entry stay until a new key's Store rebuilds `dirty` without it and
// enough misses (or a Range) promote that `dirty`; and the new map was sized
// by `len(read.m)`, deleted keys included.
//
// The `ClearingPolicy` applies to the two classic maps (what a delete from
// `dirty` clears, their shrinking, their growth); relocation and `clear`'s
// policy have nothing to act on (Self.fit).

import LabHeap

/// Go's `sync.Map` header as the lab lays it out.
struct SyncMapHeader {
    var mu: UInt64
    /// atomic.Value's `any`: the type word, and the boxed readOnly.
    var readType: UInt64
    var read: UnsafeMutableRawPointer?
    /// The dirty map's `hmap`, or nil.
    var dirty: UnsafeMutableRawPointer?
    var misses: Int

    static let pointerWords = [2, 3]
}

/// Go's `expunged` (map.go: `unsafe.Pointer(new(any))`): one address no
/// value box can have. Outside the lab heap: one 16-byte object for the
/// whole process does not matter to the figures.
nonisolated(unsafe) let expunged: UnsafeMutableRawPointer = .allocate(byteCount: 16, alignment: 16)

/// The heap types of one sync.Map instantiation, registered once per heap
/// and map type.
final class SyncMap119Types: @unchecked Sendable {
    /// `map[any]*entry`.
    let inner: MapType
    let header: ObjectType
    /// `readOnly{m map[any]*entry; amended bool}` boxed by `read.Store`.
    let readOnly: ObjectType
    /// `entry{p unsafe.Pointer}`.
    let entry: ObjectType
    let boxing: InterfaceBoxing

    init(heap: MHeap, type: MapType) {
        inner = MapType(heap: heap, keySize: 16, valueSize: 8, keyPointerWords: [1], valuePointerWords: [0],
                        interfaceKeys: true, name: "map[interface {}]*sync.entry")
        header = heap.registerType(name: "sync.Map", size: MemoryLayout<SyncMapHeader>.stride,
                                   pointerWords: SyncMapHeader.pointerWords)
        readOnly = heap.registerType(name: "sync.readOnly", size: 16, pointerWords: [0])
        entry = heap.registerType(name: "sync.entry", size: 8, pointerWords: [0])
        boxing = InterfaceBoxing.of(type, heap: heap)
    }

    static func of(_ type: MapType, heap: MHeap) -> SyncMap119Types {
        heap.memoized("SyncMap119Types:\(type.bucket.id.rawValue)") { SyncMap119Types(heap: heap, type: type) }
    }
}

/// Go 1.19's sync.Map on the lab heap, keys and values of the map type it is
/// made for converted to `any`.
public final class SyncMap119 {
    public let type: MapType
    public let mutator: Mutator
    /// The policy the two classic maps run with (`fit(_:)`'s effective one).
    public let policy: ClearingPolicy
    let types: SyncMap119Types
    let boxing: InterfaceBoxing
    let header: UnsafeMutablePointer<SyncMapHeader>
    /// `read.m` and `read.amended`.
    private(set) var read: BucketMap?
    private(set) var amended = false
    /// `dirty`.
    private(set) var dirty: BucketMap?
    /// Live keys (Go's sync.Map has no Len; the seam needs one).
    public internal(set) var count = 0
    /// `dirty` promoted to `read` so far (by misses or by Range).
    public private(set) var promotions = 0
    /// `dirty` maps built so far (dirtyLocked).
    public private(set) var dirtyBuilds = 0
    /// Seeds of the inner maps (each `make` draws a hash seed).
    private var rng: SplitMix64?
    /// Grows of the inner maps that are gone.
    var retiredRehashCount = 0
    /// An `any` key slot for stores and probes (plain memory, as Go's
    /// arguments are on the stack).
    private let keySlot: UnsafeMutableRawPointer

    public init(type: MapType, mutator: Mutator, policy: ClearingPolicy = .go, seed: UInt64? = nil, hint: Int = 0) {
        self.type = type
        self.mutator = mutator
        self.policy = Self.fit(policy).effective
        types = SyncMap119Types.of(type, heap: mutator.heap)
        boxing = types.boxing
        rng = seed.map { SplitMix64(seed: $0) }
        keySlot = .allocate(byteCount: 16, alignment: 8)
        header = mutator.allocate(types.header).bindMemory(to: SyncMapHeader.self, capacity: 1)
        header.initialize(to: SyncMapHeader(mu: 0, readType: 0, read: nil, dirty: nil, misses: 0))
        // sync.Map has no make hint: `hint` has nothing to size.
        mutator.heap.roots.register(self)
    }

    deinit { keySlot.deallocate() }

    var misses: Int { header.pointee.misses }

    // MARK: The two maps

    /// `m.read.Store(readOnly{m: m, amended: amended})`: boxes a readOnly.
    private func storeRead(_ m: BucketMap?, amended: Bool) {
        if let old = read, old !== m, old !== dirty { retiredRehashCount += old.rehashCount }
        let box = mutator.allocate(types.readOnly)
        box.storeBytes(of: m?.headerAddress, as: UnsafeMutableRawPointer?.self)
        box.storeBytes(of: amended ? 1 : 0, toByteOffset: 8, as: UInt64.self)
        header.pointee.readType = InterfaceTypeWord.value
        header.pointee.read = box
        read = m
        self.amended = amended
    }

    private func setDirty(_ m: BucketMap?) {
        dirty = m
        header.pointee.dirty = m?.headerAddress
    }

    /// `make(map[any]*entry, hint)`.
    private func makeInner(hint: Int) -> BucketMap {
        BucketMap(type: types.inner, mutator: mutator, policy: policy, seed: rng?.next(), hint: hint)
    }

    @inline(__always)
    private func entry(in m: BucketMap?, _ slot: UnsafeRawPointer) -> UnsafeMutableRawPointer? {
        m?.valueSlot(forKeyAt: slot)?.load(as: UnsafeMutableRawPointer?.self)
    }

    @inline(__always)
    private func p(_ e: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        e.load(as: UnsafeMutableRawPointer?.self)
    }

    @inline(__always)
    private func setP(_ e: UnsafeMutableRawPointer, _ p: UnsafeMutableRawPointer?) {
        e.storeBytes(of: p, as: UnsafeMutableRawPointer?.self)
    }

    /// `missLocked`.
    private func missLocked() {
        header.pointee.misses += 1
        guard let d = dirty, header.pointee.misses >= d.count else { return }
        promote()
    }

    /// `dirty` becomes `read`, `dirty` nil, misses 0.
    private func promote() {
        storeRead(dirty, amended: false)
        setDirty(nil)
        header.pointee.misses = 0
        promotions += 1
    }

    /// `dirtyLocked`: a new `dirty` sized by `len(read.m)`, holding every
    /// entry of `read` it does not expunge.
    private func dirtyLocked() {
        guard dirty == nil else { return }
        let d = makeInner(hint: read?.count ?? 0)
        setDirty(d)
        dirtyBuilds += 1
        guard let r = read else { return }
        let it = r.makeIterator()
        defer { it.close() }
        while let (k, v) = it.next() {
            let e = v.load(as: UnsafeMutableRawPointer.self)
            if !tryExpunge(e) { d.insertionSlot(forKeyAt: k).storeBytes(of: e, as: UnsafeMutableRawPointer.self) }
        }
    }

    /// `tryExpungeLocked`: a deleted entry becomes expunged.
    private func tryExpunge(_ e: UnsafeMutableRawPointer) -> Bool {
        guard let cur = p(e) else {
            setP(e, expunged)
            return true
        }
        return cur == expunged
    }

    // MARK: Operations

    /// `Store(key, value)` for the key at `key` (as the user's map slot
    /// holds it); `word` is the value when known now (else the caller writes
    /// the value's storage, returned).
    @discardableResult
    func store(_ key: UnsafeRawPointer, word: UInt64?) -> UnsafeMutableRawPointer {
        // Go evaluates the conversions first: the key's (it escapes into the
        // map), the value's, then Store's escaping `value` parameter.
        boxing.boxKey(key, into: keySlot, mutator: mutator)
        let data = boxing.valueData(word, mutator: mutator)
        let value = mutator.allocate(boxing.anyBox)
        value.storeBytes(of: InterfaceTypeWord.value, as: UInt64.self)
        value.storeBytes(of: data, toByteOffset: 8, as: UInt64.self)

        if let e = entry(in: read, keySlot) {
            let old = p(e)
            if old == expunged {
                // unexpungeLocked: the key goes back into dirty.
                setP(e, nil)
                dirty!.insertionSlot(forKeyAt: keySlot).storeBytes(of: e, as: UnsafeMutableRawPointer.self)
            }
            if old == nil || old == expunged { count += 1 }
            setP(e, value)
            return boxing.valueStorage(value)
        }
        if let e = entry(in: dirty, keySlot) {
            if p(e) == nil { count += 1 }
            setP(e, value)
            return boxing.valueStorage(value)
        }
        if !amended {
            dirtyLocked()
            storeRead(read, amended: true)
        }
        // newEntry(value): its parameter escapes to an `any` of its own.
        let i = mutator.allocate(boxing.anyBox)
        i.copyMemory(from: value, byteCount: 16)
        let e = mutator.allocate(types.entry)
        setP(e, i)
        dirty!.insertionSlot(forKeyAt: keySlot).storeBytes(of: e, as: UnsafeMutableRawPointer.self)
        count += 1
        return boxing.valueStorage(i)
    }

    /// `Load(key)`: the value's storage, or nil.
    func load(_ key: UnsafeRawPointer) -> UnsafeMutableRawPointer? {
        boxing.probeKey(key, into: keySlot)
        var e = entry(in: read, keySlot)
        if e == nil && amended {
            e = entry(in: dirty, keySlot)
            missLocked()
        }
        guard let e, let v = p(e), v != expunged else { return nil }
        return boxing.valueStorage(v)
    }

    /// `Delete(key)` (`LoadAndDelete`): false when absent.
    func delete(_ key: UnsafeRawPointer) -> Bool {
        boxing.probeKey(key, into: keySlot)
        var e = entry(in: read, keySlot)
        if e == nil && amended {
            e = entry(in: dirty, keySlot)
            dirty!.removeEntry(forKeyAt: keySlot)
            missLocked()
        }
        guard let e, let v = p(e), v != expunged else { return false }
        setP(e, nil)
        count -= 1
        return true
    }

    /// Range's first step: promote `dirty` when amended. The map to range
    /// over is then `read`.
    func promoteForRange() -> BucketMap? {
        if amended { promote() }
        return read
    }

    /// The value `any` of entry `e` if it is not deleted.
    @inline(__always)
    func liveValue(_ e: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        guard let v = p(e), v != expunged else { return nil }
        return v
    }

    /// Calls `body` with every `(key slot, entry)` of `m`.
    func forEachSlot(_ m: BucketMap?, _ body: (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Void) {
        m?.forEachEntryPointer { k, v in body(k, v.load(as: UnsafeMutableRawPointer.self)) }
    }

    // MARK: Introspection

    /// Both maps, read first.
    var innerMaps: [BucketMap] { [read, dirty].compactMap { $0 } }

    /// Deleted entries `read.m` still holds (nil or expunged): keys kept by
    /// the map that no Load can see.
    public var deletedInRead: Int {
        var n = 0
        forEachSlot(read) { _, e in if liveValue(e) == nil { n += 1 } }
        return n
    }

    /// Heap bytes of the objects each key holds beside the slots: key boxes,
    /// entries and value `any`s (and value boxes), each counted once.
    var perKeyBytes: Int {
        let heap = mutator.heap
        var bytes = 0
        func add(_ p: UnsafeRawPointer?) {
            guard let p, !InterfaceBoxing.isStatic(p) else { return }
            bytes += heap.objectBytes(UnsafeMutableRawPointer(mutating: p))
        }
        func addKey(_ k: UnsafeMutableRawPointer, _ e: UnsafeMutableRawPointer) {
            bytes += boxing.boxBytes(boxing.keyStorage(k), boxing.keyBox, heap: heap)
            add(e)
            guard let v = liveValue(e) else { return }
            add(v)
            if case .boxed = boxing.valueShape { bytes += boxing.boxBytes(boxing.valueStorage(v), boxing.valueBox!, heap: heap) }
        }
        forEachSlot(read) { k, e in addKey(k, e) }
        if let r = read {
            forEachSlot(dirty) { k, e in if r.valueSlot(forKeyAt: k) == nil { addKey(k, e) } }
        } else {
            forEachSlot(dirty) { k, e in addKey(k, e) }
        }
        return bytes
    }
}
