// Go 1.27's hash-trie sync.Map behind the map-model seam (MapModel.swift),
// its invariants, and as a root of its heap. See SyncTrie.swift.

import LabHeap

extension SyncTrie: MapModel, SyncMapOperations {
    public static var modelName: String { "synctrie" }

    /// Current Go's spans (Go 1.27.3, the version measured against).
    public static var spanLayout: SpanLayout { .go126 }

    /// An entry (48), a key box (8) and a value box (8), and the trie's
    /// indirect nodes: with random hashes about one 160-byte node per 4
    /// entries at worst (just after a level fills).
    public static var worstCaseBytesPerWordEntry: Int { 48 + 8 + 8 + 160 / 4 }

    /// The trie has no slots, buckets, growth or clear policy of its own to
    /// change: every setting that differs from Go does nothing.
    public static func fit(_ policy: ClearingPolicy) -> PolicyFit {
        var fit = PolicyFit(policy)
        let reason = "a hash-trie sync.Map unlinks deleted entries and prunes empty nodes itself"
        if policy.slotClearing != .go { fit.unused.append(("clear=\(policy.slotClearing.rawValue)", reason)) }
        if policy.overflow != .keep { fit.unused.append(("overflow=\(policy.overflow.rawValue)", "a hash-trie has no overflow buckets")) }
        if case let .below(f) = policy.shrink { fit.unused.append(("shrink=below:\(f)", reason)) }
        if policy.evacuation != .incremental { fit.unused.append(("evac=\(policy.evacuation.rawValue)", "a hash-trie never grows by rehashing")) }
        if policy.emptyMap != .keep { fit.unused.append(("empty=\(policy.emptyMap.rawValue)", reason)) }
        if policy.clearAll != .zeroInPlace {
            fit.unused.append(("clearall=\(policy.clearAll.rawValue)", "Clear replaces the root: the old trie is garbage anyway"))
        }
        if case let .sparse(t) = policy.relocation {
            fit.unused.append(("relocate=sparse:\(t)", "a sync.Map's payloads hang off entries, not map slots"))
        }
        fit.effective = .go
        return fit
    }

    /// Go 1.23+'s `Map.Clear`.
    public func removeAll() {
        defer { _checkInvariantsAfterMutation() }
        clear()
    }

    public func makeIteration() -> SyncTrieIteration { SyncTrieIteration(map: self) }

    /// The header; the indirect nodes as the map's storage (`bucketBytes`);
    /// entries and the boxes they point to (`entryBytes`).
    public var memory: MapMemory {
        let heap = mutator.heap
        var mem = MapMemory()
        mem.headerBytes = heap.objectBytes(header)
        walkAll(indirect: { i, _ in mem.bucketBytes += heap.objectBytes(i) }, entry: { e in
            mem.entryBytes += heap.objectBytes(e)
            mem.entryBytes += boxing.boxBytes(boxing.keyStorage(e + Self.keyOffset), boxing.keyBox, heap: heap)
            if case .boxed = boxing.valueShape {
                mem.entryBytes += boxing.boxBytes(boxing.valueStorage(e + Self.valueOffset), boxing.valueBox!, heap: heap)
            }
        })
        return mem
    }

    /// A child pointer inside the root node.
    public var interiorAddress: UnsafeMutableRawPointer? { root.map { $0 + Self.childrenOffset + 8 } }

    /// The trie never grows by rehashing: every insert is its own.
    public func growthThreshold(atLeast n: Int) -> Int { n }
    public var isGrowing: Bool { false }
    public var rehashCount: Int { 0 }
    /// No slots (Go's reference reports none for it either).
    public var slotCapacity: Int { 0 }
    public var tombstoneCount: Int { 0 }
    public var relocationThreshold: Double? { nil }
    public var storageObjects: [UnsafeMutableRawPointer] { [] }

    /// The header; and each open walk's path and entry.
    public func forEachRoot(_ body: (UnsafeRawPointer, RootKind) -> Void) {
        body(UnsafeRawPointer(header), .map)
        for open in openIterations.values {
            guard let it = open.iteration else { continue }
            for r in it.roots { body(r, .iterator) }
        }
    }

    /// Node kinds; each indirect node's parent is the node that holds it,
    /// none is dead, and none but the root is empty (deletes prune); every
    /// entry sits where its hash leads and an overflow chain shares one full
    /// hash with distinct keys; `count` is the entries.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        func report(_ s: String) { if problems.count < 20 { problems.append(s) } }
        var entries = 0
        func visit(_ i: Node, parent: Node?, prefix: UInt64, depth: Int) {
            if Self.isEntry(i) { report("indirect node marked as an entry at depth \(depth)") }
            if Self.parent(i) != parent { report("indirect node at depth \(depth) names another parent") }
            if Self.isDead(i) { report("dead indirect node reachable at depth \(depth)") }
            if parent != nil && Self.isEmpty(i) { report("empty indirect node left at depth \(depth)") }
            let shift = 64 - Self.nChildrenLog2 * (depth + 1)
            for j in 0..<Self.nChildren {
                guard let n = Self.child(i, j) else { continue }
                let path = prefix | UInt64(j) << UInt64(shift)
                if !Self.isEntry(n) {
                    if shift == 0 { report("indirect node below the last level") } else {
                        visit(n, parent: i, prefix: path, depth: depth + 1)
                    }
                    continue
                }
                let h = hash(n + Self.keyOffset)
                let mask: UInt64 = ~0 << UInt64(shift)
                if h & mask != path { report("entry at depth \(depth) child \(j) off its hash's path") }
                var e: Node? = n
                var seen = 0
                while let c = e {
                    entries += 1
                    seen += 1
                    if !Self.isEntry(c) { report("overflow chain holds a non-entry") }
                    if hash(c + Self.keyOffset) != h { report("overflow chain with two hashes") }
                    var later = Self.overflow(c)
                    while let l = later {
                        if InterfaceKey.equal(c + Self.keyOffset, l + Self.keyOffset, size: 16) { report("key twice in a chain") }
                        later = Self.overflow(l)
                    }
                    e = Self.overflow(c)
                    if seen > 1_000 { report("overflow chain too long"); break }
                }
            }
        }
        if let r = root { visit(r, parent: nil, prefix: 0, depth: 0) }
        if entries != count { report("count \(count), entries \(entries)") }
        return problems
    }
}
