// Iteration, as Go's maps.Iter (table.go: Init, Next, nextDirIdx,
// grownKeyElem). See SwissMap.swift for the overview.

import LabHeap

/// An open iteration over a Swiss map: random directory and slot offsets,
/// every key present for the whole iteration seen exactly once, also across
/// grows and splits. It walks the table it resolved (`tab`) even after that
/// table is replaced, and then looks each key up in the map for its current
/// value (skipping keys deleted since). Until it ends or is closed it roots
/// that one table, or a small map's group.
public final class SwissIterator {
    public let map: SwissMap
    let entryOffset: UInt64
    // The position, read and written on every step: exempt from dynamic
    // exclusivity checks (one swift_beginAccess per step cost 76
    // instructions); an iterator is used by one thread and lends no access.
    @exclusivity(unchecked) var dirOffset: UInt64
    let clearSeq: UInt64
    @exclusivity(unchecked) var globalDepth: UInt8
    /// −1: the map was small at the start (walk `groupSmall`).
    @exclusivity(unchecked) var dirIdx: Int
    @exclusivity(unchecked) var tab: TablePointer?
    let groupSmall: UnsafeMutableRawPointer?
    @exclusivity(unchecked) var entryIdx: UInt64 = 0
    @exclusivity(unchecked) public private(set) var isOpen: Bool

    init(map: SwissMap) {
        self.map = map
        let m = map.m
        clearSeq = m.pointee.clearSeq
        globalDepth = m.pointee.globalDepth
        guard m.pointee.used != 0, let dir = m.pointee.dirPtr else {
            entryOffset = 0
            dirOffset = 0
            dirIdx = 0
            groupSmall = nil
            isOpen = false
            return
        }
        entryOffset = map.rng.next()
        dirOffset = map.rng.next()
        if m.pointee.dirLen == 0 {
            dirIdx = -1
            groupSmall = dir
        } else {
            dirIdx = 0
            groupSmall = nil
        }
        isOpen = true
        map.openIterators[ObjectIdentifier(self)] = WeakSwissIterator(iterator: self)
    }

    deinit { close() }

    /// Ends the iteration: its table is no longer a root.
    public func close() {
        guard isOpen else { return }
        isOpen = false
        tab = nil
        map.openIterators[ObjectIdentifier(self)] = nil
    }

    /// The heap objects this iteration keeps alive (Go's `it.tab`,
    /// `it.group`): the table it walks, or the small map's group.
    var roots: [UnsafeRawPointer] {
        guard isOpen else { return [] }
        if let groupSmall { return [UnsafeRawPointer(groupSmall)] }
        return tab.map { [UnsafeRawPointer($0)] } ?? []
    }

    /// The next entry's key and value, or nil at the end (which closes it).
    public func next() -> (key: UnsafeMutableRawPointer, value: UnsafeMutableRawPointer)? {
        guard isOpen else { return nil }
        let m = map.m
        if let small = groupSmall {
            while entryIdx < UInt64(swissGroupSlots) {
                let k = Int((entryIdx &+ entryOffset) % UInt64(swissGroupSlots))
                entryIdx += 1
                guard map.control(small, k) & ctrlEmpty == 0 else { continue }
                let key = map.key(small, k)
                // Grown into tables since: the old group picks the keys, the
                // map has their values (a key deleted since is skipped).
                if m.pointee.dirLen > 0 || m.pointee.dirPtr != small {
                    guard let (g, i) = map.findAny(key) else { continue }
                    return (map.key(g, i), map.value(g, i))
                }
                return (key, map.value(small, k))
            }
            close()
            return nil
        }
        if clearSeq != m.pointee.clearSeq || m.pointee.dirLen == 0 {
            // Cleared (or released) since the start: nothing left to return.
            close()
            return nil
        }
        if globalDepth != m.pointee.globalDepth {
            // The directory doubled: scale the position with it.
            let orders = UInt64(m.pointee.globalDepth - globalDepth)
            dirIdx <<= Int(orders)
            dirOffset <<= orders
            globalDepth = m.pointee.globalDepth
        }
        while dirIdx < m.pointee.dirLen {
            if tab == nil {
                var idx = Int(truncatingIfNeeded: (UInt64(dirIdx) &+ dirOffset) & UInt64(m.pointee.dirLen - 1))
                let t = map.directoryAt(idx)
                if t.pointee.index != idx {
                    // The random start fell inside a run of entries of one
                    // table: start at its first entry.
                    dirOffset &-= UInt64(bitPattern: Int64(idx - t.pointee.index))
                    idx = t.pointee.index
                }
                tab = t
            }
            let t = tab!
            let entryMask = UInt64(t.pointee.capacity) - 1
            while entryIdx <= entryMask {
                let e = (entryIdx &+ entryOffset) & entryMask
                entryIdx += 1
                let g = map.group(t, e >> 3)
                let slot = Int(e & 7)
                guard map.control(g, slot) & ctrlEmpty == 0 else { continue }
                let key = map.key(g, slot)
                if t.pointee.index == -1 {
                    // Grown or split since: this table picks the keys, the
                    // map has their values.
                    guard let (ng, ni) = map.findAny(key) else { continue }
                    return (map.key(ng, ni), map.value(ng, ni))
                }
                return (key, map.value(g, slot))
            }
            // nextDirIdx: skip every entry this table covers.
            dirIdx += 1 << Int(m.pointee.globalDepth - t.pointee.localDepth)
            tab = nil
            entryIdx = 0
        }
        close()
        return nil
    }
}

extension SwissMap {
    public func makeIterator() -> SwissIterator { SwissIterator(map: self) }

    /// The slot of `key` (a key as stored: the iterator's lookups).
    func findAny(_ key: UnsafeRawPointer) -> (group: UnsafeMutableRawPointer, slot: Int)? {
        switch type.keyKind {
        case .word: find(key, WordKey.self)
        case .string: find(key, StringKey.self)
        case .bytes: find(key, BytesKey.self)
        case .interface: find(key, InterfaceKey.self)
        }
    }
}
