// A Swiss map's structural invariants (table.go's checkInvariants, and the
// directory's), which `_checkInvariants()` (MapModel+Invariants.swift) runs
// after mutations in debug builds. See SwissMap.swift for the overview.

import LabHeap

extension SwissMap {
    /// Every broken invariant, described; empty when the map is sound.
    ///
    /// - Header: `used` is the number of full control bytes (and, with
    ///   tables, the sum of their `used`); `tableSlots` is the sum of their
    ///   capacities; a tombstone anywhere means `tombstonePossible`.
    /// - Small map (one group, `dirLen` 0): no tombstones, depth 0, no table
    ///   slots counted.
    /// - Directory: 2^globalDepth entries, `globalShift` = 64 − globalDepth;
    ///   each table of local depth d fills the 2^(globalDepth − d)
    ///   consecutive entries starting at its `index`, aligned to that run,
    ///   and appears nowhere else.
    /// - Table: capacity a power of two within 8…1024, `lengthMask` its
    ///   groups − 1, `used` its full control bytes, `growthLeft` =
    ///   maxGrowthLeft(capacity) − used − tombstones, an empty slot
    ///   somewhere (probes end).
    /// - Every full slot: its control byte is its key's H2, the key's hash
    ///   names the table's directory range, and a lookup finds it there.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        guard let dir = m.pointee.dirPtr else {
            if m.pointee.used != 0 { problems.append("no storage but used = \(m.pointee.used)") }
            if m.pointee.dirLen != 0 { problems.append("no storage but a directory of \(m.pointee.dirLen)") }
            if tableSlots != 0 { problems.append("no storage but \(tableSlots) table slots counted") }
            return problems
        }
        if m.pointee.dirLen == 0 {
            problems += smallMapViolations(dir)
            return problems
        }
        let n = m.pointee.dirLen
        if n != 1 << Int(m.pointee.globalDepth) { problems.append("directory of \(n) entries at global depth \(m.pointee.globalDepth)") }
        if Int(m.pointee.globalShift) != 64 - Int(m.pointee.globalDepth) { problems.append("global shift \(m.pointee.globalShift)") }
        var total = 0, slots = 0, tombstones = 0
        var seen = Set<TablePointer>()
        var i = 0
        while i < n {
            let t = directoryAt(i)
            let depth = t.pointee.localDepth
            guard depth <= m.pointee.globalDepth else {
                problems.append("table at \(i): local depth \(depth) > global \(m.pointee.globalDepth)")
                break
            }
            let entries = 1 << Int(m.pointee.globalDepth - depth)
            if !seen.insert(t).inserted { problems.append("table at \(i) also fills an earlier run of entries") }
            if t.pointee.index != i { problems.append("table at \(i) has index \(t.pointee.index)") }
            if i % entries != 0 { problems.append("table at \(i) not aligned to its \(entries) entries") }
            for j in i..<min(i + entries, n) where directoryAt(j) != t {
                problems.append("entry \(j) should point at the table of entry \(i)")
            }
            let (tableProblems, deleted) = tableViolations(t, directoryRange: i..<(i + entries))
            problems += tableProblems
            total += Int(t.pointee.used)
            slots += Int(t.pointee.capacity)
            tombstones += deleted
            i += entries
        }
        if total != Int(m.pointee.used) { problems.append("tables hold \(total) entries, used = \(m.pointee.used)") }
        if slots != tableSlots { problems.append("tables have \(slots) slots, the map counts \(tableSlots)") }
        if tombstones > 0 && !m.pointee.tombstonePossible {
            problems.append("\(tombstones) tombstones but tombstonePossible is false")
        }
        return problems
    }

    /// A small map's group: full slots under their H2 and found by lookup,
    /// no tombstones (a small map's delete empties the slot).
    private func smallMapViolations(_ g: UnsafeMutableRawPointer) -> [String] {
        var problems: [String] = []
        if m.pointee.globalDepth != 0 || m.pointee.globalShift != 64 {
            problems.append("small map at global depth \(m.pointee.globalDepth), shift \(m.pointee.globalShift)")
        }
        if tableSlots != 0 { problems.append("small map but \(tableSlots) table slots counted") }
        var full = 0
        for i in 0..<swissGroupSlots {
            let c = control(g, i)
            if c == ctrlDeleted { problems.append("small map slot \(i) is a tombstone") }
            guard c & ctrlEmpty == 0 else {
                if c != ctrlEmpty && c != ctrlDeleted { problems.append("small map slot \(i): control byte \(c)") }
                continue
            }
            full += 1
            let hash = hashOfSlot(g, i)
            if h2(hash) != c { problems.append("small map slot \(i): control \(c), h2 \(h2(hash))") }
            if findAny(key(g, i)).map({ $0.group != g || $0.slot != i }) ?? true {
                problems.append("small map slot \(i): key not found by lookup")
            }
        }
        if full != Int(m.pointee.used) { problems.append("small map: \(full) full slots, used = \(m.pointee.used)") }
        return problems
    }

    /// One table's problems, and its tombstones.
    private func tableViolations(_ t: TablePointer, directoryRange: Range<Int>) -> ([String], tombstones: Int) {
        var problems: [String] = []
        let capacity = Int(t.pointee.capacity)
        if capacity < swissGroupSlots || capacity > swissMaxTableCapacity || capacity & (capacity - 1) != 0 {
            problems.append("table capacity \(capacity)")
        }
        if Int(t.pointee.lengthMask) + 1 != capacity / swissGroupSlots { problems.append("table length mask \(t.pointee.lengthMask)") }
        var used = 0, deleted = 0, empty = 0
        for gi in 0...t.pointee.lengthMask {
            let g = group(t, gi)
            for s in 0..<swissGroupSlots {
                switch control(g, s) {
                case ctrlDeleted: deleted += 1
                case ctrlEmpty: empty += 1
                case let c where c & ctrlEmpty == 0:
                    used += 1
                    let hash = hashOfSlot(g, s)
                    if h2(hash) != c { problems.append("slot \(gi)/\(s): control \(c), h2 \(h2(hash))") }
                    if !directoryRange.contains(directoryIndex(hash)) {
                        problems.append("slot \(gi)/\(s): key belongs to directory entry \(directoryIndex(hash))")
                    } else if findAny(key(g, s)).map({ $0.group != g || $0.slot != s }) ?? true {
                        problems.append("slot \(gi)/\(s): key not found by lookup")
                    }
                default:
                    problems.append("slot \(gi)/\(s): control byte \(control(g, s))")
                }
            }
        }
        if used != Int(t.pointee.used) { problems.append("table: \(used) full slots, used = \(t.pointee.used)") }
        if maxGrowthLeft(capacity: capacity) - used - deleted != Int(t.pointee.growthLeft) {
            problems.append("table: growthLeft \(t.pointee.growthLeft), expected \(maxGrowthLeft(capacity: capacity) - used - deleted)")
        }
        if empty == 0 { problems.append("table has no empty slot (probes would not end)") }
        return (problems, deleted)
    }
}
