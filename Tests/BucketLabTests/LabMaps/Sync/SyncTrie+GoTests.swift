import Testing
@testable import LabHeap
@testable import LabMaps

/// Ports of Go 1.27.3's src/internal/sync/hashtriemap_test.go to the lab's
/// hash-trie sync.Map. Adapted throughout: the map is `HashTrieMap[any,
/// any]` behind sync.Map with `string` keys and `int` values; Swap,
/// LoadOrStore, CompareAndSwap, CompareAndDelete and LoadAndDelete are
/// composed from the model's Load, Store and Delete (GoSyncMapCalls); the
/// Concurrent* sub-tests run their goroutines one after another.
@Suite struct SyncTrieGoTests {
    /// Go's three map makers: the key type's hash, NewBadHashTrieMap
    /// (every hash 0) and NewTruncHashTrieMap (the hash's low 4 bits). The
    /// truncated hash is applied as Go's test intends; Go 1.27.3's own run
    /// uses the normal one, as initSlow resets it (docs/notes/go-tests-sync.md),
    /// so its shape checks are the lab's, not Go's.
    enum Hash: String, CaseIterable, CustomTestStringConvertible {
        case good, bad, trunc
        var testDescription: String { rawValue }
    }

    /// Go's `testData`: the binary forms of 0..<128.
    static let testData = (0..<128).map { String($0, radix: 2) }

    final class Scene {
        let f: MapFixture
        let keys = GoStringKeys()
        let map: SyncTrie
        let m: GoSyncMapCalls<SyncTrie>

        init(_ hash: Hash) throws {
            f = try MapFixture()
            map = SyncTrie(type: stringToIntType(heap: f.heap), mutator: f.mutator, seed: 1)
            switch hash {
            case .good: break
            case .bad: map.keyHashOverride = { _, _ in 0 }
            case .trunc: map.keyHashOverride = { k, seed in InterfaceKey.hash(k, size: 16, seed: seed) & 0xF }
            }
            m = GoSyncMapCalls(map, keys: keys)
        }

        /// The deepest indirect node's depth (the root is 0).
        var depth: Int {
            var d = 0
            map.walkAll(indirect: { _, depth in d = max(d, depth) }, entry: { _ in })
            return d
        }
    }

    // Go's expect* helpers: each checks one call's results.
    func expectPresent(_ k: String, _ want: UInt64, _ got: (UInt64, Bool), sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.1 && got.0 == want, "key \(k): want \(want) present, got \(got)", sourceLocation: sourceLocation)
    }
    func expectMissing(_ k: String, _ got: (UInt64, Bool), sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!got.1 && got.0 == 0, "key \(k): want missing, got \(got)", sourceLocation: sourceLocation)
    }
    func expectLoaded(_ k: String, _ want: UInt64, _ got: (UInt64, Bool), sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.1 && got.0 == want, "key \(k): want \(want) loaded, got \(got)", sourceLocation: sourceLocation)
    }
    func expectStored(_ k: String, _ want: UInt64, _ got: (UInt64, Bool), sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!got.1 && got.0 == want, "key \(k): want \(want) stored, got \(got)", sourceLocation: sourceLocation)
    }

    /// Go's fill loop shared by most sub-tests: Load misses, LoadOrStore
    /// stores, Load finds, LoadOrStore loads.
    func fill(_ s: Scene, sourceLocation: SourceLocation = #_sourceLocation) {
        for (i, k) in Self.testData.enumerated() {
            let i = UInt64(i)
            expectMissing(k, s.m.load(k), sourceLocation: sourceLocation)
            expectStored(k, i, s.m.loadOrStore(k, i), sourceLocation: sourceLocation)
            expectPresent(k, i, s.m.load(k), sourceLocation: sourceLocation)
            expectLoaded(k, i, s.m.loadOrStore(k, 0), sourceLocation: sourceLocation)
        }
    }

    /// Go's `testAll`: LoadOrStore of every key, then All visits each key
    /// once with its value, calling `yield` (which may change the map).
    func testAll(_ s: Scene, yield: (String, UInt64) -> Bool) {
        let want = Dictionary(uniqueKeysWithValues: Self.testData.enumerated().map { ($1, UInt64($0)) })
        for (k, v) in want { expectStored(k, v, s.m.loadOrStore(k, v)) }
        var visited: [String: Int] = [:]
        s.m.range { k, got in
            #expect(want[k] == got, "key \(k): want \(String(describing: want[k])), got \(got)")
            visited[k, default: 0] += 1
            return yield(k, got)
        }
        #expect(visited.values.allSatisfy { $0 == 1 }, "a key visited more than once")
        #expect(visited.count == want.count)
    }

    /// What Go's two bad hashes make of the trie (not asserted by Go; the
    /// point of those tests): every key in one overflow chain under the
    /// root, or one path of indirect nodes down to the last hash bits.
    func expectShape(_ s: Scene, _ hash: Hash) {
        #expect(s.map.invariantViolations() == [])
        switch hash {
        case .good: break
        case .bad:
            #expect(s.map.indirectNodeCount == 1 && s.depth == 0)
        case .trunc:
            // Hashes below 16 agree on their top 60 bits: the root and one
            // node per level below it, the last picking by the low 4 bits.
            #expect(s.map.indirectNodeCount == 16 && s.depth == 15)
        }
    }

    // Go: internal/sync/hashtriemap_test.go TestHashTrieMap{,BadHash,TruncHash}
    // sub-test LoadEmpty (go1.27.3).
    @Test(arguments: Hash.allCases)
    func loadEmpty(hash: Hash) throws {
        let s = try Scene(hash)
        for k in Self.testData { expectMissing(k, s.m.load(k)) }
        #expect(s.map.count == 0 && s.map.indirectNodeCount == 1)
    }

    // Go: hashtriemap_test.go testHashTrieMap LoadOrStore (go1.27.3).
    @Test(arguments: Hash.allCases)
    func loadOrStore(hash: Hash) throws {
        let s = try Scene(hash)
        fill(s)
        for (i, k) in Self.testData.enumerated() {
            expectPresent(k, UInt64(i), s.m.load(k))
            expectLoaded(k, UInt64(i), s.m.loadOrStore(k, 0))
        }
        #expect(s.map.count == 128)
        expectShape(s, hash)
    }

    // Go: hashtriemap_test.go testHashTrieMap All (go1.27.3).
    @Test(arguments: Hash.allCases)
    func all(hash: Hash) throws {
        let s = try Scene(hash)
        testAll(s) { _, _ in true }
        expectShape(s, hash)
    }

    // Go: hashtriemap_test.go testHashTrieMap Clear/Simple and
    // Clear/Concurrent (go1.27.3); the concurrent one's goroutines (failing
    // CompareAndDelete, CompareAndSwap) run before the Clear.
    @Test(arguments: Hash.allCases)
    func clear(hash: Hash) throws {
        let s = try Scene(hash)
        fill(s)
        s.m.clear()
        for k in Self.testData { expectMissing(k, s.m.load(k)) }

        let c = try Scene(hash)
        for (i, k) in Self.testData.enumerated() {
            expectMissing(k, c.m.load(k))
            expectStored(k, UInt64(i), c.m.loadOrStore(k, UInt64(i)))
        }
        for id in 0..<2 as Range<UInt64> {
            for k in Self.testData {
                #expect(!c.m.compareAndDelete(k, UInt64(Int.max)))
                _ = c.m.compareAndSwap(k, id, id + 1)
            }
        }
        c.m.clear()
        for k in Self.testData { expectMissing(k, c.m.load(k)) }
        #expect(c.map.count == 0 && c.map.invariantViolations() == [])
    }

    /// The indices Go's "Multiple" sub-tests pick.
    static let multiple = [1, 105, 6, 85]

    // Go: hashtriemap_test.go testHashTrieMap CompareAndDelete/All, /One,
    // /Multiple, /Iterate, /ConcurrentUnsharedKeys, /ConcurrentSharedKeys
    // (go1.27.3).
    @Test(arguments: Hash.allCases)
    func compareAndDelete(hash: Hash) throws {
        let max = UInt64(Int.max)
        // All: three rounds of fill and delete everything.
        let s = try Scene(hash)
        for _ in 0..<3 {
            fill(s)
            expectShape(s, hash)
            for (i, k) in Self.testData.enumerated() {
                let i = UInt64(i)
                expectPresent(k, i, s.m.load(k))
                #expect(!s.m.compareAndDelete(k, max))
                #expect(s.m.compareAndDelete(k, i), "key \(k)")
                #expect(!s.m.compareAndDelete(k, i))
                expectMissing(k, s.m.load(k))
            }
            for k in Self.testData { expectMissing(k, s.m.load(k)) }
            // Deletes prune every node but the root.
            #expect(s.map.count == 0 && s.map.indirectNodeCount == 1)
        }
        // One and Multiple.
        for picked in [[15], Self.multiple] {
            let o = try Scene(hash)
            fill(o)
            for i in picked {
                let k = Self.testData[i]
                #expect(!o.m.compareAndDelete(k, max))
                #expect(o.m.compareAndDelete(k, UInt64(i)))
                #expect(!o.m.compareAndDelete(k, UInt64(i)))
            }
            for (i, k) in Self.testData.enumerated() {
                if picked.contains(i) { expectMissing(k, o.m.load(k)) } else { expectPresent(k, UInt64(i), o.m.load(k)) }
            }
            expectShape(o, hash)
        }
        // Iterate: each key deleted as All reaches it.
        let it = try Scene(hash)
        testAll(it) { k, v in
            #expect(it.m.compareAndDelete(k, v), "key \(k)")
            return true
        }
        for k in Self.testData { expectMissing(k, it.m.load(k)) }
        #expect(it.map.count == 0 && it.map.indirectNodeCount == 1 && it.map.invariantViolations() == [])
        // ConcurrentUnsharedKeys: each "goroutine" its own keys.
        let u = try Scene(hash)
        for id in 0..<2 as Range<UInt64> {
            let keys = Self.testData.map { "\($0)-\(id)" }
            for k in keys {
                expectMissing(k, u.m.load(k))
                expectStored(k, id, u.m.loadOrStore(k, id))
                expectPresent(k, id, u.m.load(k))
                expectLoaded(k, id, u.m.loadOrStore(k, 0))
            }
            for k in keys {
                expectPresent(k, id, u.m.load(k))
                #expect(u.m.compareAndDelete(k, id))
                expectMissing(k, u.m.load(k))
            }
            for k in keys { expectMissing(k, u.m.load(k)) }
        }
        // ConcurrentSharedKeys: the first "goroutine" deletes every key.
        let sh = try Scene(hash)
        for (i, k) in Self.testData.enumerated() { expectStored(k, UInt64(i), sh.m.loadOrStore(k, UInt64(i))) }
        for _ in 0..<2 {
            for (i, k) in Self.testData.enumerated() {
                #expect(!sh.m.compareAndDelete(k, max))
                _ = sh.m.compareAndDelete(k, UInt64(i))
                expectMissing(k, sh.m.load(k))
            }
        }
        #expect(sh.map.count == 0 && sh.map.indirectNodeCount == 1 && sh.map.invariantViolations() == [])
    }

    // Go: hashtriemap_test.go testHashTrieMap CompareAndSwap/All, /One,
    // /Multiple, /ConcurrentUnsharedKeys, /ConcurrentUnsharedKeysWithDelete,
    // /ConcurrentSharedKeys (go1.27.3).
    @Test(arguments: Hash.allCases)
    func compareAndSwap(hash: Hash) throws {
        let max = UInt64(Int.max)
        let s = try Scene(hash)
        fill(s)
        for j in 0..<3 as Range<UInt64> {
            for (i, k) in Self.testData.enumerated() {
                let i = UInt64(i)
                expectPresent(k, i + j, s.m.load(k))
                #expect(!s.m.compareAndSwap(k, max, i + j + 1))
                #expect(s.m.compareAndSwap(k, i + j, i + j + 1), "key \(k)")
                #expect(!s.m.compareAndSwap(k, i + j, i + j + 1))
                expectPresent(k, i + j + 1, s.m.load(k))
            }
        }
        for (i, k) in Self.testData.enumerated() { expectPresent(k, UInt64(i) + 3, s.m.load(k)) }
        expectShape(s, hash)

        for picked in [[15], Self.multiple] {
            let o = try Scene(hash)
            fill(o)
            for i in picked {
                let k = Self.testData[i], i = UInt64(i)
                #expect(!o.m.compareAndSwap(k, max, i + 1))
                #expect(o.m.compareAndSwap(k, i, i + 1))
                #expect(!o.m.compareAndSwap(k, i, i + 1))
            }
            for (i, k) in Self.testData.enumerated() {
                expectPresent(k, UInt64(i) + (picked.contains(i) ? 1 : 0), o.m.load(k))
            }
            expectShape(o, hash)
        }

        for withDelete in [false, true] {
            let u = try Scene(hash)
            for id in 0..<2 as Range<UInt64> {
                let keys = Self.testData.map { "\($0)-\(id)" }
                for k in keys {
                    expectMissing(k, u.m.load(k))
                    expectStored(k, id, u.m.loadOrStore(k, id))
                    expectPresent(k, id, u.m.load(k))
                    expectLoaded(k, id, u.m.loadOrStore(k, 0))
                }
                for k in keys {
                    expectPresent(k, id, u.m.load(k))
                    #expect(u.m.compareAndSwap(k, id, id + 1))
                    expectPresent(k, id + 1, u.m.load(k))
                    if withDelete {
                        #expect(u.m.compareAndDelete(k, id + 1))
                        #expect(!u.m.compareAndSwap(k, id + 1, id + 2))
                        #expect(!u.m.compareAndDelete(k, id + 1))
                        expectMissing(k, u.m.load(k))
                    }
                }
                for k in keys {
                    if withDelete { expectMissing(k, u.m.load(k)) } else { expectPresent(k, id + 1, u.m.load(k)) }
                }
            }
            #expect(u.map.count == (withDelete ? 0 : 256) && u.map.invariantViolations() == [])
        }

        let sh = try Scene(hash)
        for (i, k) in Self.testData.enumerated() { expectStored(k, UInt64(i), sh.m.loadOrStore(k, UInt64(i))) }
        for _ in 0..<2 {
            for (i, k) in Self.testData.enumerated() {
                let i = UInt64(i)
                #expect(!sh.m.compareAndSwap(k, max, i + 1))
                _ = sh.m.compareAndSwap(k, i, i + 1)
                expectPresent(k, i + 1, sh.m.load(k))
            }
        }
        for (i, k) in Self.testData.enumerated() { expectPresent(k, UInt64(i) + 1, sh.m.load(k)) }
    }

    // Go: hashtriemap_test.go testHashTrieMap Swap/All, /One, /Multiple,
    // /ConcurrentUnsharedKeys, /ConcurrentUnsharedKeysWithDelete,
    // /ConcurrentSharedKeys (go1.27.3).
    @Test(arguments: Hash.allCases)
    func swap(hash: Hash) throws {
        func fillBySwap(_ s: Scene, _ keys: [String], _ value: (Int) -> UInt64) {
            for (i, k) in keys.enumerated() {
                expectMissing(k, s.m.load(k))
                #expect(!s.m.swap(k, value(i)).1, "key \(k) was present")
                expectPresent(k, value(i), s.m.load(k))
                expectLoaded(k, value(i), s.m.swap(k, value(i)))
            }
        }
        let s = try Scene(hash)
        fillBySwap(s, Self.testData) { UInt64($0) }
        for j in 0..<3 as Range<UInt64> {
            for (i, k) in Self.testData.enumerated() {
                let i = UInt64(i)
                expectPresent(k, i + j, s.m.load(k))
                expectLoaded(k, i + j, s.m.swap(k, i + j + 1))
                expectPresent(k, i + j + 1, s.m.load(k))
            }
        }
        for (i, k) in Self.testData.enumerated() { expectLoaded(k, UInt64(i) + 3, s.m.swap(k, UInt64(i) + 3)) }
        expectShape(s, hash)

        for picked in [[15], Self.multiple] {
            let o = try Scene(hash)
            fillBySwap(o, Self.testData) { UInt64($0) }
            for i in picked { expectLoaded(Self.testData[i], UInt64(i), o.m.swap(Self.testData[i], UInt64(i) + 1)) }
            for (i, k) in Self.testData.enumerated() {
                expectPresent(k, UInt64(i) + (picked.contains(i) ? 1 : 0), o.m.load(k))
            }
            expectShape(o, hash)
        }

        for withDelete in [false, true] {
            let u = try Scene(hash)
            for id in 0..<2 as Range<UInt64> {
                let keys = Self.testData.map { "\($0)-\(id)" }
                fillBySwap(u, keys) { _ in id }
                for k in keys {
                    expectPresent(k, id, u.m.load(k))
                    expectLoaded(k, id, u.m.swap(k, id + 1))
                    expectPresent(k, id + 1, u.m.load(k))
                    if withDelete {
                        #expect(u.m.compareAndDelete(k, id + 1))
                        #expect(!u.m.swap(k, id + 2).1)
                        expectPresent(k, id + 2, u.m.load(k))
                    }
                }
                for k in keys { expectPresent(k, id + (withDelete ? 2 : 1), u.m.load(k)) }
            }
            #expect(u.map.count == 256 && u.map.invariantViolations() == [])
        }

        let sh = try Scene(hash)
        for (i, k) in Self.testData.enumerated() { expectStored(k, UInt64(i), sh.m.loadOrStore(k, UInt64(i))) }
        for _ in 0..<2 {
            for (i, k) in Self.testData.enumerated() {
                _ = sh.m.swap(k, UInt64(i) + 1)
                expectPresent(k, UInt64(i) + 1, sh.m.load(k))
            }
        }
        for (i, k) in Self.testData.enumerated() { expectPresent(k, UInt64(i) + 1, sh.m.load(k)) }
    }

    // Go: hashtriemap_test.go testHashTrieMap LoadAndDelete/All, /One,
    // /Multiple, /Iterate, /ConcurrentUnsharedKeys, /ConcurrentSharedKeys
    // (go1.27.3).
    @Test(arguments: Hash.allCases)
    func loadAndDelete(hash: Hash) throws {
        let s = try Scene(hash)
        for _ in 0..<3 {
            fill(s)
            for (i, k) in Self.testData.enumerated() {
                expectPresent(k, UInt64(i), s.m.load(k))
                expectLoaded(k, UInt64(i), s.m.loadAndDelete(k))
                expectMissing(k, s.m.load(k))
                expectMissing(k, s.m.loadAndDelete(k))
            }
            for k in Self.testData { expectMissing(k, s.m.load(k)) }
            #expect(s.map.count == 0 && s.map.indirectNodeCount == 1)
        }

        for picked in [[15], Self.multiple] {
            let o = try Scene(hash)
            fill(o)
            for i in picked {
                let k = Self.testData[i]
                expectPresent(k, UInt64(i), o.m.load(k))
                expectLoaded(k, UInt64(i), o.m.loadAndDelete(k))
                expectMissing(k, o.m.load(k))
                expectMissing(k, o.m.loadAndDelete(k))
            }
            for (i, k) in Self.testData.enumerated() {
                if picked.contains(i) { expectMissing(k, o.m.load(k)) } else { expectPresent(k, UInt64(i), o.m.load(k)) }
            }
            expectShape(o, hash)
        }

        let it = try Scene(hash)
        testAll(it) { k, v in
            expectLoaded(k, v, it.m.loadAndDelete(k))
            return true
        }
        for k in Self.testData { expectMissing(k, it.m.load(k)) }
        #expect(it.map.count == 0 && it.map.indirectNodeCount == 1 && it.map.invariantViolations() == [])

        let u = try Scene(hash)
        for id in 0..<2 as Range<UInt64> {
            let keys = Self.testData.map { "\($0)-\(id)" }
            for k in keys {
                expectMissing(k, u.m.load(k))
                expectStored(k, id, u.m.loadOrStore(k, id))
                expectPresent(k, id, u.m.load(k))
                expectLoaded(k, id, u.m.loadOrStore(k, 0))
            }
            for k in keys {
                expectPresent(k, id, u.m.load(k))
                expectLoaded(k, id, u.m.loadAndDelete(k))
                expectMissing(k, u.m.load(k))
            }
            for k in keys { expectMissing(k, u.m.load(k)) }
        }

        let sh = try Scene(hash)
        for (i, k) in Self.testData.enumerated() { expectStored(k, UInt64(i), sh.m.loadOrStore(k, UInt64(i))) }
        for _ in 0..<2 {
            for k in Self.testData {
                _ = sh.m.loadAndDelete(k)
                expectMissing(k, sh.m.load(k))
            }
        }
        #expect(sh.map.count == 0 && sh.map.indirectNodeCount == 1 && sh.map.invariantViolations() == [])
    }

    // MARK: src/sync/map_test.go: Go 1.27's sync.Map is this hash-trie

    enum MapOp: CaseIterable { case load, store, loadOrStore, loadAndDelete, delete, swap, compareAndSwap, compareAndDelete, clear }

    // Go: sync/map_test.go TestMapMatchesRWMutex and TestMapMatchesDeepCopy
    // (go1.27.3): 100 random sequences of up to 50 calls of the nine
    // operations, every result and the final Range compared with a
    // reference (a Dictionary: both of Go's references are a plain map to
    // one goroutine). As Go's generator, only Store and LoadOrStore carry
    // a value: Swap stores nil (the word 0 here), and CompareAndSwap and
    // CompareAndDelete compare with nil, which no stored value equals.
    // Adapted: values are words; a second run with a 2-letter alphabet, so
    // keys recur; invariants checked after each sequence.
    @Test(arguments: [26, 2])
    func mapMatchesReference(alphabet: Int) throws {
        var rng = SplitMix64(seed: UInt64(alphabet) + 100)
        let never = UInt64.max  // CompareAndSwap's nil `old`: never stored
        for trial in 0..<100 {
            let f = try MapFixture()
            let keys = GoStringKeys()
            let map = SyncTrie(type: stringToIntType(heap: f.heap), mutator: f.mutator, seed: UInt64(trial))
            let m = GoSyncMapCalls(map, keys: keys)
            var reference: [String: UInt64] = [:]
            for step in 0..<Int(rng.next() % 50) {
                let op = MapOp.allCases[Int(rng.next() % UInt64(MapOp.allCases.count))]
                let k = SyncMap119GoTests.randValue(&rng, alphabet: alphabet)
                let v = SyncMap119GoTests.word(SyncMap119GoTests.randValue(&rng, alphabet: alphabet))
                let got: (UInt64, Bool), want: (UInt64, Bool)
                switch op {
                case .load:
                    got = m.load(k)
                    want = (reference[k] ?? 0, reference[k] != nil)
                case .store:
                    m.store(k, v)
                    reference[k] = v
                    (got, want) = ((0, false), (0, false))
                case .loadOrStore:
                    got = m.loadOrStore(k, v)
                    want = (reference[k] ?? v, reference[k] != nil)
                    if reference[k] == nil { reference[k] = v }
                case .loadAndDelete:
                    got = m.loadAndDelete(k)
                    want = (reference[k] ?? 0, reference[k] != nil)
                    reference[k] = nil
                case .delete:
                    m.delete(k)
                    reference[k] = nil
                    (got, want) = ((0, false), (0, false))
                case .swap:
                    got = m.swap(k, 0)
                    want = (reference[k] ?? 0, reference[k] != nil)
                    reference[k] = 0
                case .compareAndSwap:
                    got = m.compareAndSwap(k, never, v) ? (never, true) : (0, false)
                    want = (0, false)
                case .compareAndDelete:
                    got = m.compareAndDelete(k, never) ? (0, true) : (0, false)
                    want = (0, false)
                case .clear:
                    m.clear()
                    reference = [:]
                    (got, want) = ((0, false), (0, false))
                }
                #expect(got == want, "trial \(trial) step \(step): \(op) \(k)")
            }
            var final: [String: UInt64] = [:]
            m.range { k, v in
                #expect(final.updateValue(v, forKey: k) == nil, "Range visited \(k) twice")
                return true
            }
            #expect(final == reference, "trial \(trial): final Range")
            #expect(map.count == reference.count && map.invariantViolations() == [])
        }
    }

    // Go: sync/map_test.go TestMapRangeNestedCall (go1.27.3). Adapted:
    // string keys "0", "1", "2" and "42", values words.
    @Test func rangeNestedCall() throws {
        let s = try Scene(.good)
        let m = s.m
        m.expectRangeNestedCall()
        #expect(s.map.count == 0 && s.map.invariantViolations() == [])
    }
}
