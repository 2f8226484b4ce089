import Testing
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

/// Ports of Go 1.19's src/sync/map_test.go (with map_reference_test.go) to
/// the lab's Go 1.19 sync.Map. Adapted throughout: keys are strings or
/// words, values words; LoadOrStore and LoadAndDelete are composed from the
/// model's Load, Store and Delete (GoSyncMapCalls) so that they count the
/// misses Go 1.19's do; goroutines run one after another.
@Suite struct SyncMap119GoTests {
    /// A Load that counts no miss: `read.m`, then `dirty` while amended
    /// (map.go, Load without missLocked).
    static func peek(_ m: SyncMap119, _ keys: GoStringKeys, _ s: String) -> UInt64? {
        let (p, n) = keys.key(s)
        return withGoStringHeader(m.type, p, n) { key in
            withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { slot -> UInt64? in
                m.boxing.probeKey(key, into: slot.baseAddress!)
                let probe = UnsafeRawPointer(slot.baseAddress!)
                let found = m.read?.valueSlot(forKeyAt: probe) ?? (m.amended ? m.dirty?.valueSlot(forKeyAt: probe) : nil)
                guard let e = found?.load(as: UnsafeMutableRawPointer.self), let v = m.liveValue(e) else { return nil }
                return m.boxing.valueWord(v)
            }
        }
    }

    static func calls(_ m: SyncMap119, _ keys: GoStringKeys) -> GoSyncMapCalls<SyncMap119> {
        GoSyncMapCalls(m, keys: keys, peek: { peek($0, keys, $1) })
    }

    enum Op: CaseIterable { case load, store, loadOrStore, loadAndDelete, delete }

    /// Go's `randValue`: a string of 0 to 3 letters, here from the first
    /// `alphabet` letters.
    static func randValue(_ rng: inout SplitMix64, alphabet: Int) -> String {
        String((0..<Int(rng.next() % 4)).map { _ in Character(UnicodeScalar(97 + UInt8(rng.next() % UInt64(alphabet)))) })
    }

    /// A value string as a word, one to one (at most 3 bytes and a length).
    static func word(_ s: String) -> UInt64 { s.utf8.reduce(UInt64(s.utf8.count) << 32) { $0 << 8 | UInt64($1) } | 1 << 60 }

    struct Result: Equatable { var value: UInt64?; var ok: Bool }

    // Go: sync/map_test.go TestMapMatchesRWMutex and TestMapMatchesDeepCopy
    // (go1.19). quick.CheckEqual's 100 random call sequences of up to 50
    // calls, each run on the lab's map and on a reference (both of Go's
    // references are a plain map to one goroutine: a Dictionary here),
    // comparing every call's result and the final Range. Adapted: a second
    // run with a 2-letter alphabet, so keys recur and the map goes through
    // its generations; invariants checked after each sequence.
    @Test(arguments: [26, 2])
    func mapMatchesReference(alphabet: Int) throws {
        var rng = SplitMix64(seed: UInt64(alphabet))
        var generations = 0
        for trial in 0..<100 {
            let f = try MapFixture()
            let keys = GoStringKeys()
            let map = SyncMap119(type: stringToIntType(heap: f.heap), mutator: f.mutator, seed: UInt64(trial))
            let m = Self.calls(map, keys)
            var reference: [String: UInt64] = [:]
            let count = Int(rng.next() % 50)
            for step in 0..<count {
                let op = Op.allCases[Int(rng.next() % 5)]
                let k = Self.randValue(&rng, alphabet: alphabet)
                let v = Self.word(Self.randValue(&rng, alphabet: alphabet))
                let got: Result, want: Result
                switch op {
                case .load:
                    let (x, ok) = m.load(k)
                    got = Result(value: ok ? x : nil, ok: ok)
                    want = Result(value: reference[k], ok: reference[k] != nil)
                case .store:
                    m.store(k, v)
                    reference[k] = v
                    (got, want) = (Result(value: nil, ok: false), Result(value: nil, ok: false))
                case .loadOrStore:
                    let (x, loaded) = m.loadOrStore(k, v)
                    got = Result(value: x, ok: loaded)
                    want = Result(value: reference[k] ?? v, ok: reference[k] != nil)
                    if reference[k] == nil { reference[k] = v }
                case .loadAndDelete:
                    let (x, loaded) = m.loadAndDelete(k)
                    got = Result(value: loaded ? x : nil, ok: loaded)
                    want = Result(value: reference[k], ok: reference[k] != nil)
                    reference[k] = nil
                case .delete:
                    m.delete(k)
                    reference[k] = nil
                    (got, want) = (Result(value: nil, ok: false), Result(value: nil, ok: false))
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
            if map.promotions > 1 { generations += 1 }
        }
        // With recurring keys, misses promote `dirty` before the final Range.
        if alphabet == 2 { #expect(generations > 10, "the sequences went through generations") }
    }

    // Go: sync/map_test.go TestConcurrentRange (go1.19). Adapted: the
    // GOMAXPROCS goroutines (2 here) storing and loading are interleaved
    // with each Range's steps (a few of their operations per step); 16
    // Ranges as in -short. Every Range sees each key once, with a multiple
    // of it as its value.
    @Test func concurrentRange() throws {
        let f = try MapFixture()
        let map = SyncMap119(type: f.wordType, mutator: f.mutator, seed: 1)
        let mapSize: UInt64 = 1 << 10
        for n in 1...mapSize { map.updateValue(n, forKey: n) }
        struct Goroutine { var rng: SplitMix64; let g: UInt64; var i: UInt64 = 0; var n: UInt64 = 1 }
        var goroutines = (1...2 as ClosedRange<UInt64>).map { Goroutine(rng: SplitMix64(seed: $0), g: $0) }
        func run(_ steps: Int) {
            for j in goroutines.indices {
                for _ in 0..<steps {
                    let n = goroutines[j].n
                    if goroutines[j].rng.next() % mapSize == 0 {
                        map.updateValue(n &* goroutines[j].i &* goroutines[j].g, forKey: n)
                    } else {
                        _ = map.value(forKey: n)
                    }
                    goroutines[j].n += 1
                    if goroutines[j].n == mapSize { goroutines[j].n = 1; goroutines[j].i += 1 }
                }
            }
        }
        for _ in 0..<16 {
            var seen = Set<UInt64>()
            let it = map.makeIteration()
            while let (k, v) = it.nextEntry() {
                #expect(v % k == 0, "while storing multiples of \(k), Range saw \(v)")
                #expect(seen.insert(k).inserted, "Range visited \(k) twice")
                run(4)
            }
            #expect(seen.count == Int(mapSize))
        }
        #expect(goroutines.allSatisfy { $0.i > 0 } && map.invariantViolations() == [])
    }

    // Go: sync/map_test.go TestIssue40999 (go1.19). Deleted keys are freed:
    // keys with finalizers are stored and deleted, a collection after each,
    // until a finalizer has run. Adapted: Go's keys are `*int`, the lab's
    // sync.Map keys are strings whose bytes are a lab heap object carrying
    // the finalizer; Go's first `Store(nil, struct{}{})` stores the empty
    // string. The lab's collector is exact, so where Go loops until some
    // cycle finds a key the lab asserts the first does: each Delete of the
    // dirty-only key removes it from `dirty` (the classic delete clears its
    // slot) and its miss promotes `dirty` (misses 1 ≥ len(dirty) 1), so
    // nothing refers to the key. Its bytes are then freed one cycle after
    // the finalizer ran.
    @Test func issue40999DeletedKeysAreFreed() throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let type = MapType(heap: f.heap, keySize: 16, valueSize: 0, keyPointerWords: [0], stringKeys: true,
                           name: "map[string]struct{}")
        let map = SyncMap119(type: type, mutator: f.mutator, seed: 1)
        let chars = f.heap.registerType(name: "chars", size: 16)
        func isAllocated(_ p: UnsafeMutableRawPointer) -> Bool { f.heap.findObject(p)?.isAllocated == true }
        let empty = GoStringKeys()
        let (e, _) = empty.key("")
        map.updateValue(0, forString: e, count: 0)

        var finalized = 0
        var keys: [UnsafeMutableRawPointer] = []
        for i in 0..<3 {
            let p = f.mutator.allocate(chars)
            p.storeBytes(of: UInt64(i) &+ 0x6B65_7900, as: UInt64.self)
            collector.setFinalizer(p) { finalized += 1 }
            map.updateValue(0, forString: p, count: 16)
            #expect(map.removeValue(forString: p, count: 16))
            #expect(map.promotions == i + 1 && map.dirty == nil)
            collector.collect()
            collector.safePoint()
            #expect(finalized == i + 1, "the key deleted in step \(i) was found unreachable")
            keys.append(p)
        }
        collector.collect()
        #expect(keys.allSatisfy { !isAllocated($0) }, "the deleted keys are freed")
        #expect(map.count == 1 && map.invariantViolations() == [])
    }

    /// The other way Go 1.19 sheds a deleted key (map.go: a Delete of a key
    /// in `read` only nils its entry): the key stays reachable from `read`
    /// until a new key's Store rebuilds `dirty` without it (expunged) and
    /// misses promote that `dirty`; the next cycle finds the key. An
    /// extension of TestIssue40999's assertion to keys in `read`.
    @Test func aKeyDeletedFromReadIsFreedAfterTheNextPromotion() throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let type = MapType(heap: f.heap, keySize: 16, valueSize: 0, keyPointerWords: [0], stringKeys: true,
                           name: "map[string]struct{}")
        let map = SyncMap119(type: type, mutator: f.mutator, seed: 1)
        let chars = f.heap.registerType(name: "chars", size: 16)
        func newKey(_ i: Int) -> UnsafeMutableRawPointer {
            let p = f.mutator.allocate(chars)
            p.storeBytes(of: UInt64(i) &+ 0x6B65_7900, as: UInt64.self)
            return p
        }
        var keys = (0..<3).map(newKey)
        var finalized = 0
        collector.setFinalizer(keys[0]) { finalized += 1 }
        for p in keys.prefix(3) { map.updateValue(0, forString: p, count: 16) }
        // A Range promotes: the three keys are in `read`.
        map.forEachEntry { _, _ in }
        #expect(map.promotions == 1 && map.read?.count == 3 && map.dirty == nil)
        #expect(map.removeValue(forString: keys[0], count: 16))
        collector.collect()
        collector.safePoint()
        #expect(finalized == 0, "a deleted key in read is still referenced by read")

        // A new key rebuilds dirty without the deleted one (expunged).
        keys.append(newKey(3))
        map.updateValue(0, forString: keys[3], count: 16)
        #expect(map.dirty?.count == 3 && map.deletedInRead == 1)
        collector.collect()
        collector.safePoint()
        #expect(finalized == 0, "read still holds it until dirty is promoted")

        // Loads that miss in read, len(dirty) of them, promote dirty.
        let absent = GoStringKeys()
        for i in 0..<3 {
            let (p, n) = absent.key("absent\(i)")
            #expect(map.value(forString: p, count: n) == nil)
        }
        #expect(map.promotions == 2 && map.read?.count == 3 && map.deletedInRead == 0)
        collector.collect()
        collector.safePoint()
        #expect(finalized == 1)
        collector.collect()
        #expect(f.heap.findObject(keys[0])?.isAllocated != true, "the deleted key is freed")
        #expect(keys.dropFirst().allSatisfy { f.heap.findObject($0)?.isAllocated == true })
        #expect(map.invariantViolations() == [])
    }

    // Go: sync/map_test.go TestMapRangeNestedCall (go1.19). A Range inside
    // a Range sees each key with its value; LoadOrStore(42) stores, Store
    // and LoadAndDelete(42) see the value; the outer Range deletes each key;
    // a Range after it sees nothing. Adapted: string keys "0", "1", "2" and
    // "42", values words.
    @Test func rangeNestedCall() throws {
        let f = try MapFixture()
        let keys = GoStringKeys()
        let map = SyncMap119(type: stringToIntType(heap: f.heap), mutator: f.mutator, seed: 1)
        let m = Self.calls(map, keys)
        m.expectRangeNestedCall()
        #expect(map.count == 0)
        #expect(map.promotions >= 2 && map.invariantViolations() == [])
    }
}
