// The sync.Map of current Go (1.24 and later): a hash-trie,
// `internal/sync.HashTrieMap[any, any]` (golang/go#70683), as Go 1.27.3
// builds it (src/internal/sync/hashtriemap.go; src/sync/map.go wraps it),
// with every object on the lab heap. Single-threaded: the per-node mutexes,
// the `dead` flags' role in retrying and the atomics order nothing here, and
// the memory figures do not depend on them.
//
// Objects (amd64, from the struct definitions; size-class rounded):
// - `sync.Map{_ noCopy; m HashTrieMap}`: inited 4 + initMu 8 (4-aligned) +
//   root 8 (at 16) + keyHash 8 + valEqual 8 + seed 8 = 48 bytes;
// - `indirect`: node{isEntry bool} 1 + dead atomic.Bool 4 (at 4) + mu 8 +
//   parent 8 (at 16) + children [16]atomic.Pointer 128 = 152 bytes, the
//   160-byte class;
// - `entry`: node 1 (padded to 8) + overflow 8 + key any 16 + value any 16
//   = 48 bytes.
// Keys and values are `any` inline in the entry: a key boxed as
// `convT64` / `convTstring` / `convT` make it (Sync/InterfaceKey.swift; it
// escapes into the entry), a number value boxed too, a pointer value the
// data word itself. There is no separate `*any` as Go 1.19's entry has.
//
// The trie: the root is an `indirect` made by the first operation (`init`)
// and replaced by `Clear`. A key's 64-bit hash picks a child per level from
// the top, 4 bits at a time (`nChildrenLog2`). A child is nil, an entry
// (the head of an overflow chain of entries whose full hashes are equal), or
// an indirect node.
// - Store (`Swap`): a key present gets a new entry node (`entry.swap`, the
//   head's or a chain member's replacement; the old one is garbage — this is
//   Go 1.27's behaviour, the value is not written in place); a new key goes
//   into a nil child, or `expand`s an occupied one: a chain of new indirect
//   nodes, one per level where the two hashes agree, ending in a node
//   holding both entries (or an overflow link when the full hashes agree).
// - Delete (`LoadAndDelete`): unlinks the entry; if its child becomes nil,
//   each indirect node that is now empty is unlinked from its parent (and
//   marked dead), up to but not including the root. A node with one child
//   is never collapsed: sparse survivors keep their whole path.
// - Load and Delete box nothing (their key does not escape).
// - Range walks children in order, depth first, reading each child as it
//   gets there: an open walk holds the nodes on its path (and what they
//   reach) and the entry it stands on.
//
// The lab's strategies have nothing to act on here (no slots, no buckets,
// no growth): `fit` says so.

import LabHeap

/// The heap types of the hash-trie, registered once per heap and map type.
final class SyncTrieTypes: @unchecked Sendable {
    let header: ObjectType
    let indirect: ObjectType
    let entry: ObjectType
    let boxing: InterfaceBoxing

    init(heap: MHeap, type: MapType) {
        header = heap.registerType(name: "sync.Map(HashTrieMap)", size: 48, pointerWords: [SyncTrie.rootWord])
        indirect = heap.registerType(name: "isync.indirect", size: SyncTrie.indirectSize,
                                     pointerWords: [2] + (0..<16).map { 3 + $0 })
        entry = heap.registerType(name: "isync.entry", size: SyncTrie.entrySize, pointerWords: [1, 3, 5])
        boxing = InterfaceBoxing.of(type, heap: heap)
    }

    static func of(_ type: MapType, heap: MHeap) -> SyncTrieTypes {
        heap.memoized("SyncTrieTypes:\(type.bucket.id.rawValue)") { SyncTrieTypes(heap: heap, type: type) }
    }
}

/// Go 1.27's sync.Map on the lab heap.
public final class SyncTrie {
    // Layouts (see the top of the file), in bytes.
    static let indirectSize = 152
    static let entrySize = 48
    static let rootWord = 2
    static let parentOffset = 16
    static let childrenOffset = 24
    static let overflowOffset = 8
    static let keyOffset = 16
    static let valueOffset = 32
    static let nChildrenLog2 = 4
    static let nChildren = 16

    public let type: MapType
    public let mutator: Mutator
    let types: SyncTrieTypes
    let boxing: InterfaceBoxing
    let header: UnsafeMutableRawPointer
    /// `ht.seed`.
    let seed: UInt64
    /// Entries (Go's HashTrieMap keeps no count; the seam needs one).
    public internal(set) var count = 0
    /// Indirect nodes pruned by deletes so far.
    public internal(set) var prunedNodes = 0
    /// An `any` key slot for probes (plain memory, as Go's arguments are on
    /// the stack).
    let keySlot: UnsafeMutableRawPointer
    /// Open walks: their paths are roots.
    var openIterations: [ObjectIdentifier: WeakSyncTrieIteration] = [:]
    /// Tests only: a hash function in place of the key type's, given the
    /// key slot and `seed` (Go's internal/sync export_test.go,
    /// NewBadHashTrieMap and NewTruncHashTrieMap, overwrite `ht.keyHash`).
    /// Set before the first operation; nil in every map the lab runs.
    var keyHashOverride: ((UnsafeRawPointer, UInt64) -> UInt64)?

    public init(type: MapType, mutator: Mutator, policy: ClearingPolicy = .go, seed: UInt64? = nil, hint: Int = 0) {
        self.type = type
        self.mutator = mutator
        types = SyncTrieTypes.of(type, heap: mutator.heap)
        boxing = types.boxing
        var rng = SplitMix64(seed: seed ?? UInt64.random(in: .min ... .max))
        self.seed = rng.next()
        keySlot = .allocate(byteCount: 16, alignment: 8)
        header = mutator.allocate(types.header)
        // sync.Map takes no hint.
        mutator.heap.roots.register(self)
    }

    deinit { keySlot.deallocate() }

    // MARK: Nodes

    typealias Node = UnsafeMutableRawPointer

    var root: Node? {
        get { header.load(fromByteOffset: 8 * Self.rootWord, as: Node?.self) }
        set { header.storeBytes(of: newValue, toByteOffset: 8 * Self.rootWord, as: Node?.self) }
    }

    @inline(__always) static func isEntry(_ n: Node) -> Bool { n.load(as: UInt8.self) != 0 }
    @inline(__always) static func child(_ i: Node, _ j: Int) -> Node? {
        i.load(fromByteOffset: childrenOffset + 8 * j, as: Node?.self)
    }
    @inline(__always) static func setChild(_ i: Node, _ j: Int, _ n: Node?) {
        i.storeBytes(of: n, toByteOffset: childrenOffset + 8 * j, as: Node?.self)
    }
    @inline(__always) static func parent(_ i: Node) -> Node? { i.load(fromByteOffset: parentOffset, as: Node?.self) }
    @inline(__always) static func isDead(_ i: Node) -> Bool { i.load(fromByteOffset: 4, as: UInt32.self) != 0 }
    @inline(__always) static func overflow(_ e: Node) -> Node? { e.load(fromByteOffset: overflowOffset, as: Node?.self) }
    @inline(__always) static func setOverflow(_ e: Node, _ o: Node?) {
        e.storeBytes(of: o, toByteOffset: overflowOffset, as: Node?.self)
    }
    @inline(__always) static func index(_ hash: UInt64, _ shift: Int) -> Int {
        Int(truncatingIfNeeded: (hash >> UInt64(shift)) & UInt64(nChildren - 1))
    }

    /// `newIndirectNode(parent)`.
    func newIndirect(parent: Node?) -> Node {
        let i = mutator.allocate(types.indirect)
        i.storeBytes(of: parent, toByteOffset: Self.parentOffset, as: Node?.self)
        return i
    }

    /// `newEntryNode(key, value)`: the key `any` copied from `key` (16
    /// bytes), the value's data word `data`.
    func newEntry(key: UnsafeRawPointer, data: UInt64) -> Node {
        let e = mutator.allocate(types.entry)
        e.storeBytes(of: 1, as: UInt8.self)
        (e + Self.keyOffset).copyMemory(from: key, byteCount: 16)
        e.storeBytes(of: InterfaceTypeWord.value, toByteOffset: Self.valueOffset, as: UInt64.self)
        e.storeBytes(of: data, toByteOffset: Self.valueOffset + 8, as: UInt64.self)
        return e
    }

    @inline(__always) func hash(_ key: UnsafeRawPointer) -> UInt64 {
        if let h = keyHashOverride { return h(key, seed) }
        return InterfaceKey.hash(key, size: 16, seed: seed)
    }
    @inline(__always) func keyEqual(_ e: Node, _ key: UnsafeRawPointer) -> Bool {
        InterfaceKey.equal(e + Self.keyOffset, key, size: 16)
    }

    /// `init`: the root, made by the first operation.
    @inline(__always) func rootNode() -> Node {
        if let r = root { return r }
        let r = newIndirect(parent: nil)
        root = r
        return r
    }

    /// Walks from the root to the child `hash` names: the indirect node it
    /// is in, that node's shift, and the child (nil or an entry).
    @inline(__always)
    func walk(_ hash: UInt64) -> (i: Node, shift: Int, n: Node?) {
        var i = rootNode()
        var shift = 64
        while shift != 0 {
            shift -= Self.nChildrenLog2
            let n = Self.child(i, Self.index(hash, shift))
            guard let n, !Self.isEntry(n) else { return (i, shift, n) }
            i = n
        }
        preconditionFailure("HashTrieMap: ran out of hash bits")
    }

    // MARK: Operations

    /// `Store(key, value)` (`Swap`) for the key at `key`; `word` is the value
    /// when known now (else the caller writes the returned storage).
    @discardableResult
    func store(_ key: UnsafeRawPointer, word: UInt64?) -> UnsafeMutableRawPointer {
        boxing.boxKey(key, into: keySlot, mutator: mutator)
        let data = boxing.valueData(word, mutator: mutator)
        let h = hash(keySlot)
        let (i, shift, n) = walk(h)
        let slot = Self.childrenOffset + 8 * Self.index(h, shift)
        if let head = n {
            // entry.swap: a new entry node replaces the key's.
            if keyEqual(head, keySlot) {
                let e = newEntry(key: keySlot, data: data)
                Self.setOverflow(e, Self.overflow(head))
                i.storeBytes(of: e, toByteOffset: slot, as: Node?.self)
                return boxing.valueStorage(e + Self.valueOffset)
            }
            var prev = head
            while let e = Self.overflow(prev) {
                if keyEqual(e, keySlot) {
                    let replacement = newEntry(key: keySlot, data: data)
                    Self.setOverflow(replacement, Self.overflow(e))
                    Self.setOverflow(prev, replacement)
                    return boxing.valueStorage(replacement + Self.valueOffset)
                }
                prev = e
            }
        }
        let e = newEntry(key: keySlot, data: data)
        count += 1
        if let head = n {
            i.storeBytes(of: expand(head, e, newHash: h, shift: shift, parent: i), toByteOffset: slot, as: Node?.self)
        } else {
            i.storeBytes(of: e, toByteOffset: slot, as: Node?.self)
        }
        return boxing.valueStorage(e + Self.valueOffset)
    }

    /// `expand`: the node that replaces `old` in its parent's child to hold
    /// both `old` and `new`.
    func expand(_ old: Node, _ new: Node, newHash: UInt64, shift: Int, parent: Node) -> Node {
        let oldHash = hash(old + Self.keyOffset)
        if oldHash == newHash {
            Self.setOverflow(new, old)
            return new
        }
        var shift = shift
        let top = newIndirect(parent: parent)
        var i = top
        while true {
            precondition(shift != 0, "HashTrieMap: ran out of hash bits while inserting")
            shift -= Self.nChildrenLog2
            let oi = Self.index(oldHash, shift), ni = Self.index(newHash, shift)
            if oi != ni {
                Self.setChild(i, oi, old)
                Self.setChild(i, ni, new)
                return top
            }
            let next = newIndirect(parent: i)
            Self.setChild(i, oi, next)
            i = next
        }
    }

    /// The entry holding the key at `slot` (an `any`), or nil.
    func find(_ slot: UnsafeRawPointer) -> Node? {
        var e = walk(hash(slot)).n
        while let c = e {
            if keyEqual(c, slot) { return c }
            e = Self.overflow(c)
        }
        return nil
    }

    /// `Load(key)`: the value's storage, or nil.
    func load(_ key: UnsafeRawPointer) -> UnsafeMutableRawPointer? {
        boxing.probeKey(key, into: keySlot)
        return find(keySlot).map { boxing.valueStorage($0 + Self.valueOffset) }
    }

    /// `Delete(key)` (`LoadAndDelete`): unlinks the entry and prunes the
    /// indirect nodes that become empty, up to the root.
    func delete(_ key: UnsafeRawPointer) -> Bool {
        boxing.probeKey(key, into: keySlot)
        let h = hash(keySlot)
        var (i, shift, n) = walk(h)
        guard let head = n else { return false }
        let slot = Self.childrenOffset + 8 * Self.index(h, shift)
        if keyEqual(head, keySlot) {
            i.storeBytes(of: Self.overflow(head), toByteOffset: slot, as: Node?.self)
        } else {
            var prev = head
            var found = false
            while let e = Self.overflow(prev) {
                if keyEqual(e, keySlot) {
                    Self.setOverflow(prev, Self.overflow(e))
                    found = true
                    break
                }
                prev = e
            }
            guard found else { return false }
        }
        count -= 1
        guard i.load(fromByteOffset: slot, as: Node?.self) == nil else { return true }
        while let parent = Self.parent(i), Self.isEmpty(i) {
            shift += Self.nChildrenLog2
            i.storeBytes(of: 1, toByteOffset: 4, as: UInt32.self)  // dead
            Self.setChild(parent, Self.index(h, shift), nil)
            prunedNodes += 1
            i = parent
        }
        return true
    }

    static func isEmpty(_ i: Node) -> Bool { (0..<nChildren).allSatisfy { child(i, $0) == nil } }

    /// `Clear`: a new root; the old trie is garbage.
    func clear() {
        root = newIndirect(parent: nil)
        count = 0
    }

    // MARK: Introspection

    /// Calls `body` with every indirect node (depth first, the root first)
    /// and its depth, and `entry` with every entry.
    func walkAll(indirect: (Node, Int) -> Void, entry: (Node) -> Void) {
        func visit(_ i: Node, _ depth: Int) {
            indirect(i, depth)
            for j in 0..<Self.nChildren {
                guard let n = Self.child(i, j) else { continue }
                if Self.isEntry(n) {
                    var e: Node? = n
                    while let c = e { entry(c); e = Self.overflow(c) }
                } else {
                    visit(n, depth + 1)
                }
            }
        }
        if let r = root { visit(r, 0) }
    }

    public var indirectNodeCount: Int {
        var n = 0
        walkAll(indirect: { _, _ in n += 1 }, entry: { _ in })
        return n
    }
}

/// An open iteration's weak handle, for the map's roots.
struct WeakSyncTrieIteration {
    weak var iteration: SyncTrieIteration?
}

/// `Range` as an iteration: a depth-first walk that reads each child as it
/// reaches it. Until it ends or is closed, the nodes on its path and the
/// entry it stands on are roots (Go's recursion holds them on its stack).
public final class SyncTrieIteration: MapIteration {
    let map: SyncTrie
    /// The path: each indirect node and the next child to read.
    var path: [(node: SyncTrie.Node, next: Int)] = []
    /// The entry the walk stands on (its overflow chain goes next).
    var current: SyncTrie.Node?
    public private(set) var isOpen: Bool

    init(map: SyncTrie) {
        self.map = map
        let root = map.rootNode()
        path = [(root, 0)]
        isOpen = true
        map.openIterations[ObjectIdentifier(self)] = WeakSyncTrieIteration(iteration: self)
    }

    deinit { if isOpen { map.openIterations[ObjectIdentifier(self)] = nil } }

    public func nextEntry() -> (key: UInt64, value: UInt64)? {
        guard isOpen else { return nil }
        if let c = current, let o = SyncTrie.overflow(c) {
            current = o
            return entry(o)
        }
        current = nil
        while let top = path.last {
            if top.next == SyncTrie.nChildren {
                path.removeLast()
                continue
            }
            path[path.count - 1].next += 1
            guard let n = SyncTrie.child(top.node, top.next) else { continue }
            if SyncTrie.isEntry(n) {
                current = n
                return entry(n)
            }
            path.append((n, 0))
        }
        close()
        return nil
    }

    private func entry(_ e: SyncTrie.Node) -> (key: UInt64, value: UInt64) {
        (map.boxing.keyWord(e + SyncTrie.keyOffset), map.boxing.valueWord(e + SyncTrie.valueOffset))
    }

    public func close() {
        guard isOpen else { return }
        isOpen = false
        path = []
        current = nil
        map.openIterations[ObjectIdentifier(self)] = nil
    }

    /// What the walk holds.
    var roots: [UnsafeRawPointer] { path.map { UnsafeRawPointer($0.node) } + (current.map { [UnsafeRawPointer($0)] } ?? []) }
}
