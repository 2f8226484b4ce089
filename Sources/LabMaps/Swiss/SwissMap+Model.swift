// The Swiss map behind the map-model seam (MapModel.swift), and as a root of
// its heap. See SwissMap.swift for the overview.

import LabHeap

extension SwissMap: MapModel, RawKeyProbes {
    public static var modelName: String { "swiss" }

    /// Current Go's spans (Go 1.27.3, the version measured against).
    public static var spanLayout: SpanLayout { .go126 }

    /// Just after a table doubles, 7/16 of its slots are used and the old
    /// table is garbage until the next collection: 16/7 slots new plus 8/7
    /// old per entry, each slot (16 bytes) plus its share of the control
    /// word (1 byte), size-class rounding aside.
    public static var worstCaseBytesPerWordEntry: Int { (16 + 1) * 24 / 7 + 1 }

    public func value(forKey key: UInt64) -> UInt64? {
        withUnsafePointer(to: key) { k in find(k, WordKey.self).map { value($0.group, $0.slot).load(as: UInt64.self) } }
    }

    public func updateValue(_ value: UInt64, forKey key: UInt64) {
        defer { _checkInvariantsAfterMutation() }
        withUnsafePointer(to: key) { k in assign(k, WordKey.self).storeBytes(of: value, as: UInt64.self) }
    }

    @discardableResult
    public func removeValue(forKey key: UInt64) -> Bool {
        defer { _checkInvariantsAfterMutation() }
        return withUnsafePointer(to: key) { k in delete(k, WordKey.self) }
    }

    // Keys of any shape (and strings): the seam's entry points are
    // MapModel+RawKeys.swift.

    func valueSlot<K: MapKeyOps>(found key: UnsafeRawPointer, _: K.Type) -> UnsafeMutableRawPointer? {
        find(key, K.self).map { value($0.group, $0.slot) }
    }

    public func makeIteration() -> SwissIterator { makeIterator() }

    /// Every entry, group by group (no random start: a complete loop).
    public func forEachEntry(_ body: (UInt64, UInt64) throws -> Void) rethrows {
        guard let dir = m.pointee.dirPtr else { return }
        if m.pointee.dirLen == 0 {
            for i in 0..<swissGroupSlots where control(dir, i) & ctrlEmpty == 0 {
                try body(key(dir, i).load(as: UInt64.self), value(dir, i).load(as: UInt64.self))
            }
            return
        }
        try forEachTable { t in
            for gi in 0...t.pointee.lengthMask {
                let g = group(t, gi)
                var full = matchFull(controlWord(g))
                while full != 0 {
                    let i = firstSlot(full)
                    full &= full &- 1
                    try body(key(g, i).load(as: UInt64.self), value(g, i).load(as: UInt64.self))
                }
            }
        }
    }

    /// Heap bytes: the header; the groups (a small map's one, or every
    /// table's); the directory and the table headers.
    public var memory: MapMemory {
        var mem = MapMemory()
        mem.headerBytes = objectBytes(UnsafeMutableRawPointer(m))
        guard let dir = m.pointee.dirPtr else { return mem }
        if m.pointee.dirLen == 0 {
            mem.bucketBytes = objectBytes(dir)
            return mem
        }
        mem.directoryBytes = objectBytes(dir)
        forEachTable { t in
            mem.directoryBytes += objectBytes(UnsafeMutableRawPointer(t))
            mem.bucketBytes += objectBytes(t.pointee.groups)
        }
        return mem
    }

    private func objectBytes(_ p: UnsafeMutableRawPointer?) -> Int { mutator.heap.objectBytes(p) }

    /// A value slot in the map's first groups (the seed's leaked `&m[k]`).
    public var interiorAddress: UnsafeMutableRawPointer? {
        guard let dir = m.pointee.dirPtr else { return nil }
        if m.pointee.dirLen == 0 { return valueSlot(dir, 1) }
        return valueSlot(group(directoryAt(0), 0), 1)
    }

    /// Inserts from empty grow the map when a table runs out of growth: a
    /// small map holds 8; the first table 14 of 16 slots; a table of c
    /// slots 7c/8, then it doubles (up to 1024 slots) or splits. For n
    /// keys spread evenly over 2^d tables of 1024 slots, the threshold is
    /// 2^d × 896.
    public func growthThreshold(atLeast n: Int) -> Int {
        if n <= swissGroupSlots { return swissGroupSlots }
        var capacity = 2 * swissGroupSlots
        while maxGrowthLeft(capacity: capacity) < n && capacity < swissMaxTableCapacity { capacity *= 2 }
        if maxGrowthLeft(capacity: capacity) >= n { return maxGrowthLeft(capacity: capacity) }
        var tables = 2
        while tables * maxGrowthLeft(capacity: swissMaxTableCapacity) < n { tables *= 2 }
        return tables * maxGrowthLeft(capacity: swissMaxTableCapacity)
    }

    /// Growth is all at once: a Swiss map is never between storages.
    public var isGrowing: Bool { false }

    /// A Swiss map has no overflow buckets (a full table grows or splits)
    /// and no incremental evacuation (a table rehashes all at once).
    public static func fit(_ policy: ClearingPolicy) -> PolicyFit {
        var fit = PolicyFit(policy)
        if policy.overflow != .keep {
            fit.unused.append(("overflow=\(policy.overflow.rawValue)", "a Swiss map has no overflow buckets"))
            fit.effective.overflow = .keep
        }
        if policy.evacuation != .incremental {
            fit.unused.append(("evac=\(policy.evacuation.rawValue)", "a Swiss table rehashes all at once anyway"))
            fit.effective.evacuation = .incremental
        }
        return fit
    }

    public var slotCapacity: Int { capacity }

    public var tombstoneCount: Int {
        var n = 0
        if m.pointee.dirLen > 0 { forEachTable { n += tombstones($0) } }
        return n
    }

    public var relocationThreshold: Double? {
        guard case let .sparse(t) = policy.relocation, openIterators.isEmpty else { return nil }
        return t
    }

    /// The groups: a small map's one, or every table's array.
    public var storageObjects: [UnsafeMutableRawPointer] {
        guard let dir = m.pointee.dirPtr else { return [] }
        if m.pointee.dirLen == 0 { return [dir] }
        var objects: [UnsafeMutableRawPointer] = []
        forEachTable { objects.append($0.pointee.groups!) }
        return objects
    }

    /// The header; and for every open iterator the table (or small group) it
    /// walks, which may be one the map has replaced.
    public func forEachRoot(_ body: (UnsafeRawPointer, RootKind) -> Void) {
        body(UnsafeRawPointer(m), .map)
        for open in openIterators.values {
            guard let it = open.iterator else { continue }
            for root in it.roots { body(root, .iterator) }
        }
    }
}

extension SwissIterator: MapIteration {
    /// The entry as words (word keys, 8-byte values).
    public func nextEntry() -> (key: UInt64, value: UInt64)? {
        guard let (k, v) = next() else { return nil }
        return (k.load(as: UInt64.self), v.load(as: UInt64.self))
    }
}
