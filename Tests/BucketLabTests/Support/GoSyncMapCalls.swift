import Testing
@testable import LabHeap
@testable import LabMaps

/// Go string keys for the sync.Map models: each distinct string's bytes
/// live at one address outside the lab heap for the table's lifetime (as a
/// Go string literal's are in the binary), so a key the map keeps stays
/// valid and a key word read back from the map names its string.
final class GoStringKeys {
    private var bytes: [String: UnsafeMutableRawPointer] = [:]
    private var byAddress: [UInt64: String] = [:]

    deinit { for p in bytes.values { p.deallocate() } }

    /// The string's bytes and length, stable across calls.
    func key(_ s: String) -> (UnsafeRawPointer, Int) {
        let utf8 = Array(s.utf8)
        if let p = bytes[s] { return (UnsafeRawPointer(p), utf8.count) }
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, utf8.count), alignment: 8)
        p.copyMemory(from: utf8, byteCount: utf8.count)
        bytes[s] = p
        byAddress[UInt64(UInt(bitPattern: p))] = s
        return (UnsafeRawPointer(p), utf8.count)
    }

    /// The string whose key word (a string header's first word, the
    /// bytes' address; 0 for the empty string's `zeroVal`) is `word`.
    func string(ofKeyWord word: UInt64) -> String? { word == 0 ? "" : byAddress[word] }
}

/// `map[string]int` as sync.Map's `any` keys and values see it: string
/// keys, 8-byte number values (boxed by `convT64`).
func stringToIntType(heap: MHeap) -> MapType {
    MapType(heap: heap, keySize: 16, valueSize: 8, keyPointerWords: [0], stringKeys: true, name: "map[string]int")
}

/// Go's sync.Map methods on a lab sync.Map model with string keys and word
/// values. The models have Load, Store (Go 1.27's Swap), Delete (which is
/// LoadAndDelete) and Clear; the others are composed from them, which on
/// one thread is what each does (nothing can come between the steps).
/// `peek` reads a key's value with no side effect: for syncmap119 a Load
/// that counts no miss, so a composed call counts the misses Go's does.
struct GoSyncMapCalls<M: SyncMapOperations> {
    let map: M
    let keys: GoStringKeys
    let peek: (M, String) -> UInt64?

    init(_ map: M, keys: GoStringKeys, peek: ((M, String) -> UInt64?)? = nil) {
        self.map = map
        self.keys = keys
        self.peek = peek ?? { m, s in let (p, n) = keys.key(s); return m.value(forString: p, count: n) }
    }

    func load(_ k: String) -> (UInt64, Bool) {
        let (p, n) = keys.key(k)
        return map.value(forString: p, count: n).map { ($0, true) } ?? (0, false)
    }

    func store(_ k: String, _ v: UInt64) {
        let (p, n) = keys.key(k)
        map.updateValue(v, forString: p, count: n)
    }

    func delete(_ k: String) {
        let (p, n) = keys.key(k)
        map.removeValue(forString: p, count: n)
    }

    /// LoadOrStore: a present key is loaded (a real Load, so any miss it
    /// counts is counted), an absent one stored.
    func loadOrStore(_ k: String, _ v: UInt64) -> (UInt64, Bool) {
        if peek(map, k) != nil { return load(k) }
        store(k, v)
        return (v, false)
    }

    /// LoadAndDelete: the value seen, then the model's Delete.
    func loadAndDelete(_ k: String) -> (UInt64, Bool) {
        let old = peek(map, k)
        let (p, n) = keys.key(k)
        let deleted = map.removeValue(forString: p, count: n)
        precondition(deleted == (old != nil))
        return (old ?? 0, deleted)
    }

    /// Swap: the old value, then a Store.
    func swap(_ k: String, _ v: UInt64) -> (UInt64, Bool) {
        let old = peek(map, k)
        store(k, v)
        return (old ?? 0, old != nil)
    }

    /// CompareAndSwap: a Store when the key holds `old`.
    func compareAndSwap(_ k: String, _ old: UInt64, _ new: UInt64) -> Bool {
        guard peek(map, k) == old else { return false }
        store(k, new)
        return true
    }

    /// CompareAndDelete: a Delete when the key holds `old`.
    func compareAndDelete(_ k: String, _ old: UInt64) -> Bool {
        guard peek(map, k) == old else { return false }
        delete(k)
        return true
    }

    func clear() { map.removeAll() }

    /// The body of sync/map_test.go TestMapRangeNestedCall (go1.19 and
    /// go1.27.3), on keys "0", "1", "2" with values 101–103 ("hello",
    /// "world", "Go"): a Range inside a Range sees each key with its value;
    /// LoadOrStore(42) stores, Store and LoadAndDelete(42) see the value;
    /// the outer Range deletes each key, so each inner Range walks the keys
    /// not yet deleted; a Range after it sees nothing.
    func expectRangeNestedCall() {
        for (i, v) in [101, 102, 103].enumerated() { store(String(i), UInt64(v)) }
        var outer = 0, inner = 0
        range { key, _ in
            outer += 1
            range { key, value in
                inner += 1
                let (v, ok) = load(key)
                #expect(ok && v == value, "nested Range loads \(v) for \(key), want \(value)")
                #expect(!loadOrStore("42", 104).1, "nested Range loaded 42, want a store")
                store("42", 105)
                let (d, loaded) = loadAndDelete("42")
                #expect(loaded && d == 105)
                return true
            }
            delete(key)
            return true
        }
        #expect(outer == 3 && inner == 3 + 2 + 1)
        var length = 0
        range { _, _ in length += 1; return true }
        #expect(length == 0)
    }

    /// Range (All) with a body that may change the map; stops when `body`
    /// returns false.
    func range(_ body: (String, UInt64) -> Bool) {
        let it = map.makeIteration()
        defer { it.close() }
        while let (k, v) = it.nextEntry() {
            guard let s = keys.string(ofKeyWord: k) else { preconditionFailure("key word \(k) names no key") }
            if !body(s, v) { return }
        }
    }
}
