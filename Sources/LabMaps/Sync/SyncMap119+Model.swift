// Go 1.19's sync.Map behind the map-model seam (MapModel.swift), its
// invariants, and as a root of its heap. See SyncMap119.swift.

import LabHeap

extension SyncMap119: MapModel, SyncMapOperations {
    public static var modelName: String { "syncmap119" }

    /// Go 1.19's spans: every byte holds objects.
    public static var spanLayout: SpanLayout { .go119 }

    /// Just after a promotion while the next `dirty` grows: the key in the
    /// old `read` (garbage until the next collection), the new `read` and a
    /// `dirty` just grown (3 / 6.5 buckets each, 208-byte buckets), plus the
    /// entry (8), its `any` (16) and a key box (8) and a value box (8).
    public static var worstCaseBytesPerWordEntry: Int {
        3 * MapType.bucketSize(keySlotSize: 16, valueSlotSize: 8) * 3 * loadFactorDen / loadFactorNum + 40
    }

    /// Deletes from `dirty`, and both maps' growth, follow the policy; two
    /// settings have nothing to act on.
    public static func fit(_ policy: ClearingPolicy) -> PolicyFit {
        var fit = PolicyFit(policy)
        if case let .sparse(t) = policy.relocation {
            fit.unused.append(("relocate=sparse:\(t)",
                               "a sync.Map's payloads hang off value boxes, not map slots"))
            fit.effective.relocation = .off
        }
        if policy.clearAll != .zeroInPlace {
            fit.unused.append(("clear=\(policy.clearAll.rawValue)",
                               "Go 1.19's sync.Map has no Clear: clear is Range and Delete, which only nil entries"))
            fit.effective.clearAll = .zeroInPlace
        }
        return fit
    }

    public func removeAll() {
        defer { _checkInvariantsAfterMutation() }
        // m.Range(func(k, _ any) bool { m.Delete(k); return true }): after
        // Range's promotion every key is in `read`, and Delete nils it.
        forEachSlot(promoteForRange()) { _, e in
            guard liveValue(e) != nil else { return }
            e.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
            count -= 1
        }
    }

    /// `Range`: promotes `dirty` if amended, then walks `read.m`.
    public func makeIteration() -> SyncMap119Iteration { SyncMap119Iteration(map: self) }

    public func forEachEntry(_ body: (UInt64, UInt64) throws -> Void) rethrows {
        let it = makeIteration()
        defer { it.close() }
        while let (k, v) = it.nextEntry() { try body(k, v) }
    }

    /// The header and its readOnly box; both maps' slots and overflow
    /// buckets as the classic model counts them; the key boxes, entries and
    /// value `any`s in `entryBytes`.
    public var memory: MapMemory {
        var mem = MapMemory()
        mem.headerBytes = mutator.heap.objectBytes(UnsafeMutableRawPointer(header))
            + mutator.heap.objectBytes(header.pointee.read)
        for m in innerMaps {
            let inner = m.memory
            mem.headerBytes += inner.headerBytes
            mem.bucketBytes += inner.bucketBytes
            mem.oldBucketBytes += inner.oldBucketBytes
            mem.overflowBytes += inner.overflowBytes
            mem.overflowBucketCount += inner.overflowBucketCount
        }
        mem.entryBytes = perKeyBytes
        return mem
    }

    /// A value slot in `read.m`'s first bucket (else `dirty`'s).
    public var interiorAddress: UnsafeMutableRawPointer? {
        read?.interiorAddress ?? dirty?.interiorAddress
    }

    /// Inserts from empty all go to `dirty` (no Load, no promotion): it
    /// grows as a classic map does.
    public func growthThreshold(atLeast n: Int) -> Int {
        var B: UInt8 = 0
        while overLoadFactor(n, B) { B += 1 }
        return max(bucketCount, loadFactorNum * ((1 << Int(B)) / loadFactorDen))
    }

    public var isGrowing: Bool { innerMaps.contains { $0.isGrowing } }

    /// Grows of every inner map so far.
    public var rehashCount: Int { retiredRehashCount + innerMaps.reduce(0) { $0 + $1.rehashCount } }

    /// Slots of both maps.
    public var slotCapacity: Int { innerMaps.reduce(0) { $0 + $1.slotCapacity } }

    /// Deleted keys `read.m` still holds: no insert of another key reuses
    /// them until a promotion drops them.
    public var tombstoneCount: Int { deletedInRead }

    public var relocationThreshold: Double? { nil }
    public var storageObjects: [UnsafeMutableRawPointer] { [] }

    /// The header (the maps' own headers are roots of their own while the
    /// model holds them; so is the `read` map an open Range walks).
    public func forEachRoot(_ body: (UnsafeRawPointer, RootKind) -> Void) {
        body(UnsafeRawPointer(header), .map)
    }

    /// Both maps' own invariants, and sync.Map's: the header names the two
    /// maps; `amended` exactly while `dirty` exists; without `dirty` nothing
    /// is expunged; with it, `dirty` holds every entry of `read` that is not
    /// expunged (the same entry) and none that is, and no expunged entry;
    /// `count` is the keys whose entry is live.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        for (name, m) in [("read", read), ("dirty", dirty)] {
            if let m { problems += m.invariantViolations().map { "\(name): \($0)" } }
        }
        if header.pointee.dirty != dirty?.headerAddress { problems.append("header's dirty is not the dirty map") }
        let box = header.pointee.read
        if read != nil || box != nil {
            let named = box?.load(as: UnsafeMutableRawPointer?.self)
            if named != read?.headerAddress { problems.append("readOnly box does not name the read map") }
            if (box?.load(fromByteOffset: 8, as: UInt64.self) ?? 0 != 0) != amended {
                problems.append("readOnly box's amended is not the map's")
            }
        }
        if amended != (dirty != nil) { problems.append("amended \(amended) with dirty \(dirty == nil ? "nil" : "set")") }
        var live = 0
        forEachSlot(read) { k, e in
            let v = e.load(as: UnsafeMutableRawPointer?.self)
            if v != nil && v != expunged { live += 1 }
            guard let d = dirty else {
                if v == expunged { problems.append("expunged entry without a dirty map") }
                return
            }
            let inDirty = d.valueSlot(forKeyAt: k)?.load(as: UnsafeMutableRawPointer?.self)
            if v == expunged && inDirty != nil { problems.append("expunged entry in dirty") }
            if v != expunged && inDirty != e { problems.append("read entry not in dirty") }
        }
        forEachSlot(dirty) { k, e in
            let v = e.load(as: UnsafeMutableRawPointer?.self)
            if v == expunged { problems.append("expunged entry in dirty") }
            if read?.valueSlot(forKeyAt: k) == nil && v != nil { live += 1 }
        }
        if live != count { problems.append("count \(count), live entries \(live)") }
        if header.pointee.misses < 0 { problems.append("misses \(header.pointee.misses)") }
        return problems
    }
}

/// `Range` as an iteration: `dirty` promoted first if amended, then
/// `read.m` walked (a classic iteration, rooting what it walks) with
/// deleted entries skipped, each value loaded as the walk reaches it. An
/// ended walk lets go of the map it walked (a classic map's model object
/// roots its header for as long as it lives).
public final class SyncMap119Iteration: MapIteration {
    let map: SyncMap119
    private var inner: MapIterator?

    init(map: SyncMap119) {
        self.map = map
        inner = map.promoteForRange()?.makeIterator()
    }

    public var isOpen: Bool { inner?.isOpen ?? false }

    public func nextEntry() -> (key: UInt64, value: UInt64)? {
        guard let inner else { return nil }
        while let (k, v) = inner.next() {
            guard let value = map.liveValue(v.load(as: UnsafeMutableRawPointer.self)) else { continue }
            return (map.boxing.keyWord(k), map.boxing.valueWord(value))
        }
        close()
        return nil
    }

    public func close() {
        inner?.close()
        inner = nil
    }
}
