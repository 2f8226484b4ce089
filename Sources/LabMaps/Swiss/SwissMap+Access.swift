// Lookup, insert and delete, as map.go and table.go do them. See
// SwissMap.swift for the overview.

import LabHeap

extension SwissMap {
    // MARK: Lookup (Map.getWithKey, table.getWithKey)

    /// The group and slot holding `key`, or nil.
    @inline(__always)
    func find<K: MapKeyOps>(_ key: UnsafeRawPointer, _: K.Type) -> (group: UnsafeMutableRawPointer, slot: Int)? {
        guard m.pointee.used != 0, let dir = m.pointee.dirPtr else { return nil }
        let hash = K.hash(key, size: type.keySize, seed: m.pointee.seed)
        if m.pointee.dirLen == 0 {
            var match = matchH2(controlWord(dir), h2(hash))
            while match != 0 {
                let i = firstSlot(match)
                if K.equal(key, self.key(dir, i), size: type.keySize) { return (dir, i) }
                match &= match &- 1
            }
            return nil
        }
        let t = directoryAt(directoryIndex(hash))
        var seq = ProbeSeq(hash: hash, mask: t.pointee.lengthMask)
        while true {
            let g = group(t, seq.offset)
            let w = controlWord(g)
            var match = matchH2(w, h2(hash))
            while match != 0 {
                let i = firstSlot(match)
                if K.equal(key, self.key(g, i), size: type.keySize) { return (g, i) }
                match &= match &- 1
            }
            if matchEmpty(w) != 0 { return nil }
            seq.next()
        }
    }

    // MARK: Insert (Map.PutSlot)

    /// The value of `key`, inserted (zeroed) if absent.
    func assign<K: MapKeyOps>(_ key: UnsafeRawPointer, _: K.Type) -> UnsafeMutableRawPointer {
        let hash = K.hash(key, size: type.keySize, seed: m.pointee.seed)
        if m.pointee.dirPtr == nil { growToSmall() }
        if m.pointee.dirLen == 0 {
            if let v = putSlotSmall(hash, key, K.self) { return v }
            // A new key and no empty slot: a full small map grows (an update
            // of a key it holds does not: Map.PutSlot, putSlotSmall).
            growToTable(K.self)
        }
        while true {
            let t = directoryAt(directoryIndex(hash))
            if let v = putSlot(t, hash, key, K.self) { return v }
        }
    }

    /// Map.putSlotSmall: small maps have no tombstones (deleteSmall empties
    /// the slot), so the first empty slot takes a new key; nil when the key
    /// is absent and the group full.
    private func putSlotSmall<K: MapKeyOps>(_ hash: UInt64, _ key: UnsafeRawPointer, _: K.Type) -> UnsafeMutableRawPointer? {
        let g = m.pointee.dirPtr!
        var match = matchH2(controlWord(g), h2(hash))
        while match != 0 {
            let i = firstSlot(match)
            if K.equal(key, self.key(g, i), size: type.keySize) {
                if K.needsKeyUpdate { copySlot(self.key(g, i), key, bytes: type.keySize) }
                return value(g, i)
            }
            match &= match &- 1
        }
        let free = matchEmptyOrDeleted(controlWord(g))
        guard free != 0 else { return nil }
        let i = firstSlot(free)
        store(key, hash: hash, in: g, i)
        m.pointee.used += 1
        return value(g, i)
    }

    /// The insert of Go's `mapassign_fast64` (and `table.PutSlot`), or of
    /// its generic `mapassign` when `fastAssign` is false: the value of
    /// `key` in `t`, or nil when `t` had to rehash (the caller looks the
    /// table up again).
    private func putSlot<K: MapKeyOps>(_ t: TablePointer, _ hash: UInt64, _ key: UnsafeRawPointer,
                                       _: K.Type) -> UnsafeMutableRawPointer? {
        var seq = ProbeSeq(hash: hash, mask: t.pointee.lengthMask)
        var firstDeleted: (group: UnsafeMutableRawPointer, slot: Int)?
        while true {
            let g = group(t, seq.offset)
            let w = controlWord(g)
            var match = matchH2(w, h2(hash))
            while match != 0 {
                let i = firstSlot(match)
                if K.equal(key, self.key(g, i), size: type.keySize) {
                    if K.needsKeyUpdate { copySlot(self.key(g, i), key, bytes: type.keySize) }
                    return value(g, i)
                }
                match &= match &- 1
            }
            // Where the probe ends. The fast assigns look only at the
            // group's first free slot: a tombstone there is remembered and
            // the probe goes on, even past an empty slot later in the group.
            // The generic one ends at any empty slot and remembers a
            // tombstone only in a group without one.
            var end: Int?
            if fastAssign {
                let free = matchEmptyOrDeleted(w)
                if free != 0 {
                    let i = firstSlot(free)
                    if control(g, i) != ctrlDeleted { end = i } else if firstDeleted == nil { firstDeleted = (g, i) }
                }
            } else {
                let empty = matchEmpty(w)
                if empty != 0 {
                    end = firstSlot(empty)
                } else if firstDeleted == nil {
                    let deleted = matchEmptyOrDeleted(w)
                    if deleted != 0 { firstDeleted = (g, firstSlot(deleted)) }
                }
            }
            if let empty = end {
                // The end of the probe sequence: a new key. A tombstone met on
                // the way is reused without consuming growth.
                var (ig, i) = (g, empty)
                if let d = firstDeleted {
                    (ig, i) = d
                    t.pointee.growthLeft += 1
                }
                if t.pointee.growthLeft == 0 && fastAssign { pruneTombstones(t) }
                if t.pointee.growthLeft > 0 {
                    store(key, hash: hash, in: ig, i)
                    t.pointee.growthLeft -= 1
                    t.pointee.used += 1
                    m.pointee.used += 1
                    return value(ig, i)
                }
                rehash(t)
                return nil
            }
            seq.next()
        }
    }

    /// Writes a new entry into slot `i` of `g`: the key (out of line when
    /// large), a zero value (a previous occupant's words may remain under
    /// slot clearing `none`), the control byte.
    @inline(__always)
    private func store(_ key: UnsafeRawPointer, hash: UInt64, in g: UnsafeMutableRawPointer, _ i: Int) {
        var k = keySlot(g, i)
        if indirectKey {
            let object = mutator.allocate(type.keyObject!)
            k.storeBytes(of: object, as: UnsafeMutableRawPointer.self)
            k = object
        }
        if indirectValue {
            valueSlot(g, i).storeBytes(of: mutator.allocate(type.valueObject!), as: UnsafeMutableRawPointer.self)
        } else {
            zeroSlot(valueSlot(g, i), bytes: type.valueSlotSize)
        }
        copySlot(k, key, bytes: type.keySize)
        setControl(g, i, h2(hash))
    }

    /// Copies slot `i` of `g` into `t` (table.go `uncheckedPutSlot`: the key
    /// is known absent and `t` has room; out-of-line keys and values move
    /// as pointers).
    func uncheckedPut(from g: UnsafeMutableRawPointer, _ i: Int, hash: UInt64, into t: TablePointer) {
        var seq = ProbeSeq(hash: hash, mask: t.pointee.lengthMask)
        while true {
            let dg = group(t, seq.offset)
            let free = matchEmptyOrDeleted(controlWord(dg))
            if free != 0 {
                let j = firstSlot(free)
                copySlot(keySlot(dg, j), keySlot(g, i), bytes: slotSize)
                setControl(dg, j, h2(hash))
                t.pointee.growthLeft -= 1
                t.pointee.used += 1
                return
            }
            seq.next()
        }
    }

    // MARK: Growth

    /// Map.growToSmall: one group for the first entries.
    private func growToSmall() {
        let g = mutator.allocate(layout.group)
        g.storeBytes(of: emptyControlWord, as: UInt64.self)
        m.pointee.dirPtr = g
    }

    /// Map.growToTable: the small group's entries into a table of 16 slots
    /// under a directory of one.
    func growToTable<K: MapKeyOps>(_: K.Type) {
        let small = m.pointee.dirPtr!
        let t = newTable(capacity: 2 * swissGroupSlots, index: 0, localDepth: 0)
        for i in 0..<swissGroupSlots where control(small, i) & ctrlEmpty == 0 {
            uncheckedPut(from: small, i, hash: K.hash(key(small, i), size: type.keySize, seed: m.pointee.seed), into: t)
        }
        let directory = mutator.allocate(layout.directoryEntry, count: 1)
        m.pointee.dirPtr = directory
        m.pointee.dirLen = 1
        m.pointee.globalDepth = 0
        m.pointee.globalShift = 64
        directorySet(0, t)
    }

    /// table.rehash: double, or split a full-size table.
    func rehash(_ t: TablePointer) {
        rehashCount += 1
        let capacity = 2 * Int(t.pointee.capacity)
        if capacity <= swissMaxTableCapacity { grow(t, capacity: capacity) } else { split(t) }
    }

    /// The hash of the key in slot `i` of `g`.
    func hashOfSlot(_ g: UnsafeMutableRawPointer, _ i: Int) -> UInt64 {
        switch type.keyKind {
        case .word: WordKey.hash(key(g, i), size: type.keySize, seed: m.pointee.seed)
        case .string: StringKey.hash(key(g, i), size: type.keySize, seed: m.pointee.seed)
        case .bytes: BytesKey.hash(key(g, i), size: type.keySize, seed: m.pointee.seed)
        case .interface: InterfaceKey.hash(key(g, i), size: type.keySize, seed: m.pointee.seed)
        }
    }

    /// Calls `body` with every full slot of `t`.
    func forEachFullSlot(_ t: TablePointer, _ body: (UnsafeMutableRawPointer, Int) -> Void) {
        for gi in 0...t.pointee.lengthMask {
            let g = group(t, gi)
            var full = matchFull(controlWord(g))
            while full != 0 {
                body(g, firstSlot(full))
                full &= full &- 1
            }
        }
    }

    /// table.grow: every entry into a new table of `capacity` slots, which
    /// replaces `t` in the directory; `t` goes stale (index −1).
    private func grow(_ t: TablePointer, capacity: Int) {
        let nt = newTable(capacity: capacity, index: t.pointee.index, localDepth: t.pointee.localDepth)
        forEachFullSlot(t) { g, i in uncheckedPut(from: g, i, hash: hashOfSlot(g, i), into: nt) }
        replaceTable(nt)
        t.pointee.index = -1
        tableSlots -= Int(t.pointee.capacity)
    }

    /// table.split: two full-size tables one level deeper, by the hash bit
    /// below the top localDepth ones (`localDepthMask`).
    private func split(_ t: TablePointer) {
        splitCount += 1
        let depth = t.pointee.localDepth + 1
        let left = newTable(capacity: swissMaxTableCapacity, index: -1, localDepth: depth)
        let right = newTable(capacity: swissMaxTableCapacity, index: -1, localDepth: depth)
        let mask: UInt64 = 1 << UInt64(64 - Int(depth))
        forEachFullSlot(t) { g, i in
            let hash = hashOfSlot(g, i)
            uncheckedPut(from: g, i, hash: hash, into: hash & mask == 0 ? left : right)
        }
        installTableSplit(old: t, left: left, right: right)
        t.pointee.index = -1
        tableSlots -= Int(t.pointee.capacity)
    }

    /// Map.installTableSplit: double the directory when the old table was at
    /// the global depth, then point the old table's entries at the halves.
    private func installTableSplit(old: TablePointer, left: TablePointer, right: TablePointer) {
        if old.pointee.localDepth == m.pointee.globalDepth {
            let n = m.pointee.dirLen
            let directory = mutator.allocate(layout.directoryEntry, count: 2 * n)
            for i in 0..<n {
                let t = directoryAt(i)
                directory.storeBytes(of: t, toByteOffset: 16 * i, as: TablePointer.self)
                directory.storeBytes(of: t, toByteOffset: 16 * i + 8, as: TablePointer.self)
                // A table may sit at several entries; only its first moves it.
                if t.pointee.index == i { t.pointee.index = 2 * i }
            }
            m.pointee.globalDepth += 1
            m.pointee.globalShift -= 1
            m.pointee.dirPtr = directory
            m.pointee.dirLen = 2 * n
        }
        left.pointee.index = old.pointee.index
        replaceTable(left)
        right.pointee.index = left.pointee.index + (1 << Int(m.pointee.globalDepth - left.pointee.localDepth))
        replaceTable(right)
    }

    /// Map.replaceTable: every directory entry of `t`'s range points at it.
    private func replaceTable(_ t: TablePointer) {
        let entries = 1 << Int(m.pointee.globalDepth - t.pointee.localDepth)
        for i in 0..<entries { directorySet(t.pointee.index + i, t) }
    }

    /// table.pruneTombstones (Go 1.25+, golang/go#70886): when tombstones are
    /// at least 10% of the table, turn back to empty every tombstone no
    /// full slot's probe sequence passes (and none in a group that has an
    /// empty slot anyway), if that frees at least 10% of the capacity; else
    /// leave them for the rehash.
    func pruneTombstones(_ t: TablePointer) {
        let capacity = Int(t.pointee.capacity)
        guard tombstones(t) * 10 >= capacity else { return }
        let groups = Int(t.pointee.lengthMask) + 1
        var needed = [Bool](repeating: false, count: groups)
        for gi in 0..<groups {
            let g = group(t, UInt64(gi))
            var full = matchFull(controlWord(g))
            while full != 0 {
                let hash = hashOfSlot(g, firstSlot(full))
                full &= full &- 1
                var seq = ProbeSeq(hash: hash, mask: t.pointee.lengthMask)
                while seq.offset != UInt64(gi) {
                    if matchEmptyOrDeleted(controlWord(group(t, seq.offset))) != 0 { needed[Int(seq.offset)] = true }
                    seq.next()
                }
            }
            if matchEmpty(controlWord(g)) != 0 { needed[gi] = true }
        }
        var prunable = 0
        for gi in 0..<groups where !needed[gi] {
            prunable += matchEmptyOrDeleted(controlWord(group(t, UInt64(gi)))).nonzeroBitCount
        }
        guard prunable * 10 >= capacity else { return }
        for gi in 0..<groups where !needed[gi] {
            let g = group(t, UInt64(gi))
            var deleted = matchEmptyOrDeleted(controlWord(g))
            while deleted != 0 {
                setControl(g, firstSlot(deleted), ctrlEmpty)
                deleted &= deleted &- 1
                t.pointee.growthLeft += 1
                prunedTombstones += 1
            }
        }
    }

    // MARK: Delete (Map.Delete, deleteSmall, table.Delete)

    /// Removes `key`; false when absent.
    func delete<K: MapKeyOps>(_ key: UnsafeRawPointer, _: K.Type) -> Bool {
        guard m.pointee.used != 0, let dir = m.pointee.dirPtr else { return false }
        let hash = K.hash(key, size: type.keySize, seed: m.pointee.seed)
        var found = false
        if m.pointee.dirLen == 0 {
            var match = matchH2(controlWord(dir), h2(hash))
            while match != 0 {
                let i = firstSlot(match)
                if K.equal(key, self.key(dir, i), size: type.keySize) {
                    clearDeleted(dir, i)
                    // One group: a deleted slot is reusable at once.
                    setControl(dir, i, ctrlEmpty)
                    m.pointee.used -= 1
                    found = true
                    break
                }
                match &= match &- 1
            }
        } else {
            let t = directoryAt(directoryIndex(hash))
            var seq = ProbeSeq(hash: hash, mask: t.pointee.lengthMask)
            search: while true {
                let g = group(t, seq.offset)
                let w = controlWord(g)
                var match = matchH2(w, h2(hash))
                while match != 0 {
                    let i = firstSlot(match)
                    if K.equal(key, self.key(g, i), size: type.keySize) {
                        clearDeleted(g, i)
                        t.pointee.used -= 1
                        m.pointee.used -= 1
                        // Only a full group can sit inside a probe sequence,
                        // and a group stays full until a rehash: if this one
                        // has an empty slot, no probe runs through it.
                        if matchEmpty(w) != 0 {
                            setControl(g, i, ctrlEmpty)
                            t.pointee.growthLeft += 1
                        } else {
                            setControl(g, i, ctrlDeleted)
                            m.pointee.tombstonePossible = true
                        }
                        found = true
                        break search
                    }
                    match &= match &- 1
                }
                if matchEmpty(w) != 0 { break }
                seq.next()
            }
        }
        guard found else { return false }
        if m.pointee.used == 0 {
            reseed()
            if policy.emptyMap == .release { releaseStorage() }
        } else if case let .below(f) = policy.shrink {
            shrinkIfSparse(below: f)
        }
        return true
    }

    /// What the slot-clearing policy does to a deleted entry's words.
    @inline(__always)
    private func clearDeleted(_ g: UnsafeMutableRawPointer, _ i: Int) {
        policy.slotClearing.clear(key: keySlot(g, i), value: valueSlot(g, i), of: type)
    }
}
