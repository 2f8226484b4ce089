// clear(m), and the lab's own strategies on a Swiss map. See SwissMap.swift
// for the overview.

import LabHeap

extension SwissMap {
    /// Go's `clear(m)` (Map.Clear, current Go): a small map's group zeroed;
    /// every table's groups that hold an entry zeroed and all control bytes
    /// set empty, growth restored; every table and the directory kept. The
    /// seed is renewed and `clearSeq` counts the clear (iterators started
    /// before it end). Under `clearAll=release` the storage goes instead.
    public func removeAll() {
        defer { _checkInvariantsAfterMutation() }
        guard m.pointee.used != 0 || m.pointee.tombstonePossible, let dir = m.pointee.dirPtr else { return }
        if policy.clearAll == .release {
            releaseStorage()
        } else if m.pointee.dirLen == 0 {
            dir.initializeMemory(as: UInt8.self, repeating: 0, count: groupSize)
            dir.storeBytes(of: emptyControlWord, as: UInt64.self)
        } else {
            forEachTable { t in
                let mgl = maxGrowthLeft(capacity: Int(t.pointee.capacity))
                guard t.pointee.used != 0 || Int(t.pointee.growthLeft) != mgl else { return }
                for gi in 0...t.pointee.lengthMask {
                    let g = group(t, gi)
                    if matchFull(controlWord(g)) != 0 { g.initializeMemory(as: UInt8.self, repeating: 0, count: groupSize) }
                    g.storeBytes(of: emptyControlWord, as: UInt64.self)
                }
                t.pointee.used = 0
                t.pointee.growthLeft = UInt16(mgl)
            }
        }
        m.pointee.used = 0
        m.pointee.tombstonePossible = false
        m.pointee.clearSeq += 1
        reseed()
    }

    /// Drops the directory, tables and groups (the next insert starts a
    /// small map again): `emptyMap=release` and `clearAll=release`.
    func releaseStorage() {
        tableSlots = 0
        m.pointee.used = 0
        m.pointee.dirPtr = nil
        m.pointee.dirLen = 0
        m.pointee.globalDepth = 0
        m.pointee.globalShift = 64
        m.pointee.tombstonePossible = false
        m.pointee.clearSeq += 1
    }

    /// The slots the map has room for now: a small map's 8, or every table's
    /// capacity.
    public var capacity: Int {
        guard m.pointee.dirPtr != nil else { return 0 }
        if m.pointee.dirLen == 0 { return swissGroupSlots }
        return tableSlots
    }

    /// `shrink=below:f` on a Swiss map: when a delete leaves fewer entries
    /// than f × 7/8 of the capacity (and no iterator is open, which would
    /// keep walking the storage it started on), rebuild the map as
    /// `make(map, count)` would size it and move every entry over: fewer
    /// tables, a smaller directory, no tombstones. With f ≤ 1/4 the rebuilt
    /// map sits at most half-way to its next grow, so a count hovering at
    /// the threshold cannot thrash.
    func shrinkIfSparse(below f: Double) {
        guard openIterators.isEmpty, m.pointee.dirLen > 0 else { return }
        let used = Int(m.pointee.used)
        guard Double(used) < f * Double(capacity * swissMaxAvgGroupLoad / swissGroupSlots) else { return }
        // Only worth it if the rebuilt storage is smaller.
        let rebuiltCapacity = used <= swissGroupSlots ? swissGroupSlots : Self.capacity(forHint: used)
        guard rebuiltCapacity < capacity else { return }
        rebuild(hint: used)
    }

    /// Slots `make(map, hint)` gives a map (hint > 8).
    static func capacity(forHint hint: Int) -> Int {
        let target = hint * swissGroupSlots / swissMaxAvgGroupLoad
        let dirSize = (target + swissMaxTableCapacity - 1) / swissMaxTableCapacity
        let dirLen = dirSize <= 1 ? 1 : 1 << (Int.bitWidth - (dirSize - 1).leadingZeroBitCount)
        let perTable = max(target / dirLen, swissGroupSlots)
        return dirLen * (perTable <= 1 ? 1 : 1 << (Int.bitWidth - (perTable - 1).leadingZeroBitCount))
    }

    /// Moves every entry into new storage sized for `hint` entries (a small
    /// group when they fit in one).
    func rebuild(hint: Int) {
        rehashCount += 1
        // The old storage, walked after the header points at the new one.
        let oldDir = m.pointee.dirPtr, oldLen = m.pointee.dirLen
        var oldTables: [TablePointer] = []
        if oldLen > 0 { forEachTable { oldTables.append($0) } }
        let used = m.pointee.used
        tableSlots = 0
        m.pointee.dirPtr = nil
        m.pointee.dirLen = 0
        m.pointee.globalDepth = 0
        m.pointee.globalShift = 64
        m.pointee.used = 0
        if hint > swissGroupSlots {
            installTables(forHint: hint)
        } else {
            let g = mutator.allocate(layout.group)
            g.storeBytes(of: emptyControlWord, as: UInt64.self)
            m.pointee.dirPtr = g
        }
        func move(_ g: UnsafeMutableRawPointer, _ i: Int) {
            let hash = hashOfSlot(g, i)
            if m.pointee.dirLen == 0 {
                let small = m.pointee.dirPtr!
                let j = firstSlot(matchEmptyOrDeleted(controlWord(small)))
                keySlot(small, j).copyMemory(from: keySlot(g, i), byteCount: slotSize)
                setControl(small, j, h2(hash))
            } else {
                // Keys need not spread evenly over the tables: a full one
                // grows or splits as an insert would make it.
                var t = directoryAt(directoryIndex(hash))
                while t.pointee.growthLeft == 0 {
                    rehash(t)
                    t = directoryAt(directoryIndex(hash))
                }
                uncheckedPut(from: g, i, hash: hash, into: t)
            }
        }
        if oldLen == 0, let small = oldDir {
            for i in 0..<swissGroupSlots where control(small, i) & ctrlEmpty == 0 { move(small, i) }
        }
        for t in oldTables {
            forEachFullSlot(t) { g, i in move(g, i) }
            t.pointee.index = -1
        }
        m.pointee.used = used
        m.pointee.tombstonePossible = false
    }
}
