import Testing
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

/// Ports of Go's own map tests from src/runtime/map_test.go that hold for
/// any map, run on both plain models through the seam (`MapModel`): the
/// classic model against the test as Go 1.19 has it, the Swiss model
/// against Go 1.27's (the same test unless a comment says otherwise).
/// Go's `int` keys are `UInt64` words; Go's string keys are byte objects on
/// the lab heap; sizes are Go's unless a comment says otherwise.
@Suite struct MapModelGoTests {
    static let models = MapModels.defaults.map { $0.modelName }

    static func make(_ model: String, _ type: MapType, _ mutator: Mutator, seed: UInt64 = 1, hint: Int = 0,
                     policy: ClearingPolicy = .go) -> any MapModel {
        MapModels.named(model)!.init(type: type, mutator: mutator, policy: policy, seed: seed, hint: hint)
    }

    /// Every entry of a range loop as key and value storage (valid until
    /// the map changes): Go's `for k, v := range m` on keys the seam's word
    /// iteration cannot return whole.
    static func rawEntries(_ map: any MapModel) -> [(key: UnsafeMutableRawPointer, value: UnsafeMutableRawPointer)] {
        var entries: [(key: UnsafeMutableRawPointer, value: UnsafeMutableRawPointer)] = []
        if let classic = map as? BucketMap {
            let it = classic.makeIterator()
            while let e = it.next() { entries.append(e) }
        } else if let swiss = map as? SwissMap {
            let it = swiss.makeIterator()
            while let e = it.next() { entries.append(e) }
        } else {
            Issue.record("no raw iteration for \(type(of: map))")
        }
        return entries
    }

    /// The keys of one range loop, in the order it returns them.
    static func order(_ map: any MapModel) -> [UInt64] {
        let it = map.makeIteration()
        var keys: [UInt64] = []
        while let (k, _) = it.nextEntry() { keys.append(k) }
        return keys
    }

    // Go: runtime/map_test.go TestIterGrowAndDelete (go1.19, go1.27).
    @Test(arguments: models)
    func iterGrowAndDelete(model: String) throws {
        let f = try MapFixture()
        let m = Self.make(model, f.wordType, f.mutator, hint: 4)
        for i in 0..<100 as Range<UInt64> { m.updateValue(i, forKey: i) }
        var grown = false
        let it = m.makeIteration()
        while let (k, _) = it.nextEntry() {
            if !grown {
                // Grow the map, then delete every odd key.
                for i in 100..<1000 as Range<UInt64> { m.updateValue(i, forKey: i) }
                for i in stride(from: 1, to: 1000, by: 2) { m.removeValue(forKey: UInt64(i)) }
                grown = true
            } else {
                #expect(k & 1 == 0, "odd key \(k) returned")
            }
        }
        #expect(m.invariantViolations() == [])
    }

    // Go: runtime/map_test.go TestIterGrowWithGC (go1.19, go1.27): the
    // storage an iteration walks survives a collection after a grow. Adapted:
    // the lab's collector runs where Go calls runtime.GC().
    @Test(arguments: models)
    func iterGrowWithGC(model: String) throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let m = Self.make(model, f.wordType, f.mutator, hint: 4)
        for i in 0..<8 as Range<UInt64> { m.updateValue(i, forKey: i) }
        for i in 8..<16 as Range<UInt64> {
            // m[i] += i
            withUnsafeBytes(of: i) { k in
                let v = m.insertionSlot(forKeyAt: k.baseAddress!)
                v.storeBytes(of: v.load(as: UInt64.self) + i, as: UInt64.self)
            }
        }
        var grown = false
        var bitmask = 0
        let it = m.makeIteration()
        while let (k, _) = it.nextEntry() {
            if k < 16 { bitmask |= 1 << k }
            if !grown {
                for i in 100..<1000 as Range<UInt64> { m.updateValue(i, forKey: i) }
                collector.collect()
                // What the iteration still walks is allocated.
                if let it = it as? MapIterator, let old = it.buckets {
                    #expect(f.heap.findObject(old)?.isAllocated == true, "the iterator's bucket array was freed")
                } else if let it = it as? SwissIterator, let table = it.tab {
                    #expect(f.heap.findObject(table)?.isAllocated == true, "the iterator's table was freed")
                    #expect(f.heap.findObject(table.pointee.groups!)?.isAllocated == true, "its groups were freed")
                }
                grown = true
            }
        }
        #expect(bitmask == 1 << 16 - 1, "missing key: bitmask \(String(bitmask, radix: 2))")
    }

    // Go: runtime/map_test.go TestBigItems (go1.19, go1.27). Adapted: the
    // [256]string key and value are 4096-byte values (out of line) whose
    // "string" 37 is a number, the others equal.
    @Test(arguments: models)
    func bigItems(model: String) throws {
        let f = try MapFixture()
        let type = MapType(heap: f.heap, keySize: 4096, valueSize: 4096, name: "map[[256]string][256]string")
        let m = Self.make(model, type, f.mutator, hint: 4)
        let key = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        defer { key.deallocate() }
        for w in 0..<512 { key.storeBytes(of: 0xF00, toByteOffset: 8 * w, as: UInt64.self) }
        for i in 0..<100 as Range<UInt64> {
            key.storeBytes(of: i, toByteOffset: 8 * 2 * 37, as: UInt64.self)
            m.insertionSlot(forKeyAt: key).copyMemory(from: key, byteCount: 4096)
        }
        var keys: [UInt64] = [], values: [UInt64] = []
        for (k, v) in Self.rawEntries(m) {
            keys.append(k.load(fromByteOffset: 8 * 2 * 37, as: UInt64.self))
            values.append(v.load(fromByteOffset: 8 * 2 * 37, as: UInt64.self))
        }
        #expect(keys.sorted() == Array(0..<100))
        #expect(values.sorted() == Array(0..<100))
    }

    // Go: runtime/map_test.go TestMapHugeZero (go1.19, go1.27). Adapted: the
    // lab returns no value storage for a missing key (Go returns its zero
    // value from a zero buffer, which the lab has no use for).
    @Test(arguments: models)
    func mapHugeZero(model: String) throws {
        let f = try MapFixture()
        let type = MapType(heap: f.heap, keySize: 8, valueSize: 4000, name: "map[int][4000]byte")
        let m = Self.make(model, type, f.mutator)
        let found = withUnsafeBytes(of: UInt64(0)) { m.valueSlot(forKeyAt: $0.baseAddress!) }
        #expect(found == nil, "map value should be missing")
    }

    // Go: runtime/map_test.go TestEmptyKeyAndValue (go1.19, go1.27). Adapted:
    // only the empty value (map[int]struct{}); the lab's keys are at least
    // one byte, so map[struct{}]int and map[struct{}]struct{} are left out.
    @Test(arguments: models)
    func emptyValue(model: String) throws {
        let f = try MapFixture()
        let type = MapType(heap: f.heap, keySize: 8, valueSize: 0, name: "map[int]struct{}")
        let m = Self.make(model, type, f.mutator, hint: 4)
        withUnsafeBytes(of: UInt64(0)) { _ = m.insertionSlot(forKeyAt: $0.baseAddress!) }
        #expect(m.count == 1, "empty value insert problem")
        #expect(withUnsafeBytes(of: UInt64(0)) { m.valueSlot(forKeyAt: $0.baseAddress!) } != nil)
    }

    /// Go's TestSingleBucketMapStringKeys_DupLen and _NoDupLen key sets.
    static let singleBucketCases: [(String, [(String, String)])] = [
        ("DupLen", [("x", "x1val"), ("xx", "x2val"), ("foo", "fooval"), ("bar", "barval"), ("xxxx", "x4val"),
                    (String(repeating: "x", count: 128), "longval1"), (String(repeating: "y", count: 128), "longval2")]),
        ("NoDupLen", [("x", "x1val"), ("xx", "x2val"), ("foo", "fooval"), ("xxxx", "x4val"), ("xxxxx", "x5val"),
                      ("xxxxxx", "x6val"), (String(repeating: "x", count: 128), "longval")]),
    ]

    // Go: runtime/map_test.go TestSingleBucketMapStringKeys_DupLen and
    // _NoDupLen, testMapLookups (go1.19, go1.27). Adapted: the value is a
    // pointer to the value string's bytes (map[string]*T), compared by
    // address; that the map is one bucket (one group) is checked too.
    @Test(arguments: models, singleBucketCases.indices)
    func singleBucketMapStringKeys(model: String, caseIndex: Int) throws {
        let f = try MapFixture()
        let type = MapType.stringToPointer(heap: f.heap)
        let bytesType = f.heap.registerType(name: "string", size: 1)
        let m = Self.make(model, type, f.mutator)
        var length: [UInt64: Int] = [:]
        func onHeap(_ s: String) -> UnsafeMutableRawPointer {
            let utf8 = Array(s.utf8)
            let p = f.mutator.allocate(bytesType, count: utf8.count)
            utf8.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: utf8.count) }
            length[UInt64(UInt(bitPattern: p))] = utf8.count
            return p
        }
        for (k, v) in Self.singleBucketCases[caseIndex].1 {
            let key = onHeap(k)
            m.updateValue(UInt64(UInt(bitPattern: onHeap(v))), forString: key, count: k.utf8.count)
        }
        #expect(m.slotCapacity == 8, "one bucket (classic) or one group (swiss)")
        var seen = 0
        let it = m.makeIteration()
        while let (k, v) = it.nextEntry() {
            let bytes = try #require(UnsafeRawPointer(bitPattern: UInt(k)))
            #expect(m.value(forString: bytes, count: length[k]!) == v)
            seen += 1
        }
        #expect(seen == Self.singleBucketCases[caseIndex].1.count)
    }

    // Go: runtime/map_test.go TestMapIterOrder (go1.19, go1.27). Adapted: 40
    // maps per size instead of 1000 (each its own seed), each given Go's 100
    // tries to show a second order.
    @Test(arguments: models)
    func mapIterOrder(model: String) throws {
        let f = try MapFixture()
        for n in [3, 7, 9, 15] {
            for seed in 1...40 as ClosedRange<UInt64> {
                let m = Self.make(model, f.wordType, f.mutator, seed: seed)
                for i in 0..<UInt64(n) { m.updateValue(1, forKey: i) }
                let first = Self.order(m)
                let varies = (0..<100).contains { _ in Self.order(m) != first }
                #expect(varies, "map with n=\(n) elements had consistent iteration order: \(first)")
                if !varies { break }
            }
        }
    }

    // Go: runtime/map_test.go TestMapSparseIterOrder (go1.19, go1.27).
    @Test(arguments: models)
    func mapSparseIterOrder(model: String) throws {
        let f = try MapFixture()
        for round in 0..<10 {
            let m = Self.make(model, f.wordType, f.mutator, seed: UInt64(round + 1))
            for i in 0..<1000 as Range<UInt64> { m.updateValue(1, forKey: i) }
            for i in 20..<1000 as Range<UInt64> { m.removeValue(forKey: i) }
            let first = Self.order(m)
            let varies = (0..<800).contains { _ in Self.order(m) != first }
            #expect(varies, "constant iteration order on round \(round): \(first)")
        }
    }

    // Go: runtime/map_test.go TestMapIterDuplicate (go1.27; not in go1.19,
    // run on the classic model too). Adapted: 50 rounds instead of 1000.
    @Test(arguments: models)
    func mapIterDuplicate(model: String) throws {
        let f = try MapFixture()
        for round in 0..<50 as Range<UInt64> {
            let m = Self.make(model, f.wordType, f.mutator, seed: round + 1)
            for i in 0..<1000 as Range<UInt64> { m.updateValue(1, forKey: i) }
            for i in 20..<1000 as Range<UInt64> { m.removeValue(forKey: i) }
            #expect(Self.order(m).sorted() == Array(0..<20), "round \(round)")
        }
    }

    // Go: runtime/map_test.go TestMapIterDeleteReplace (go1.27; not in
    // go1.19, run on the classic model too). Adapted: sizes every 700 below
    // 10000 (Go: every 1, or every 100 with -short).
    @Test(arguments: models)
    func mapIterDeleteReplace(model: String) throws {
        let f = try MapFixture()
        for n in stride(from: 0, to: 10_000, by: 700) {
            let m = Self.make(model, f.wordType, f.mutator, seed: UInt64(n + 1))
            for j in 0..<UInt64(n) { m.updateValue(0, forKey: j) }
            // Delete and replace every entry while ranging over the map.
            let it = m.makeIteration()
            while let (k, _) = it.nextEntry() {
                m.removeValue(forKey: k)
                m.updateValue(1, forKey: k)
            }
            var wrong = 0
            m.forEachEntry { _, v in if v != 1 { wrong += 1 } }
            #expect(wrong == 0 && m.count == n, "n=\(n): \(wrong) entries still false")
        }
    }

    // Go: runtime/map_test.go TestMapLargeKeyNoPointer (go1.19, go1.27): 512-
    // byte keys, out of line, through a collection.
    @Test(arguments: models)
    func mapLargeKeyNoPointer(model: String) throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let type = MapType(heap: f.heap, keySize: 8 * 64, valueSize: 8, name: "map[[64]int]int")
        #expect(type.indirectKey)
        let m = Self.make(model, type, f.mutator)
        let key = UnsafeMutableRawPointer.allocate(byteCount: 8 * 64, alignment: 8)
        defer { key.deallocate() }
        func load(_ i: Int) { for j in 0..<64 { key.storeBytes(of: i + j, toByteOffset: 8 * j, as: Int.self) } }
        for i in 0..<1000 {
            load(i)
            m.insertionSlot(forKeyAt: key).storeBytes(of: i, as: Int.self)
        }
        collector.collect()
        for i in 0..<1000 {
            load(i)
            let got = m.valueSlot(forKeyAt: key)?.load(as: Int.self)
            #expect(got == i, "corrupted map: want \(i), got \(String(describing: got))")
            if got != i { break }
        }
    }

    // Go: runtime/map_test.go TestMapLargeValNoPointer (go1.19, go1.27): 512-
    // byte values, out of line, through a collection.
    @Test(arguments: models)
    func mapLargeValNoPointer(model: String) throws {
        let f = try MapFixture()
        let collector = Collector(heap: f.heap, gogc: nil)
        let type = MapType(heap: f.heap, keySize: 8, valueSize: 8 * 64, name: "map[int][64]int")
        #expect(type.indirectValue)
        let m = Self.make(model, type, f.mutator)
        for i in 0..<1000 {
            let v = withUnsafeBytes(of: i) { m.insertionSlot(forKeyAt: $0.baseAddress!) }
            for j in 0..<64 { v.storeBytes(of: i + j, toByteOffset: 8 * j, as: Int.self) }
        }
        collector.collect()
        for i in 0..<1000 {
            let v = try #require(withUnsafeBytes(of: i) { m.valueSlot(forKeyAt: $0.baseAddress!) })
            let intact = (0..<64).allSatisfy { j in v.load(fromByteOffset: 8 * j, as: Int.self) == i + j }
            #expect(intact, "corrupted map at key \(i)")
            if !intact { break }
        }
    }

    // Go: runtime/map_test.go TestIgnoreBogusMapHint (go1.19, go1.27): a
    // negative or huge hint makes an ordinary empty map. Beyond Go's test
    // (which checks only that make does not panic): the map holds no
    // storage, as Go's makemap / NewMap leave it, and takes a key. 1 << 45
    // overflows nothing but its storage would pass maxAlloc.
    @Test(arguments: models, [-1, 1 << 45, 1 << 62])
    func ignoreBogusMapHint(model: String, hint: Int) throws {
        let f = try MapFixture()
        let m = Self.make(model, f.wordType, f.mutator, hint: hint)
        #expect(m.memory.storageBytes == 0 && m.memory.bucketBytes == 0)
        m.updateValue(7, forKey: 1)
        #expect(m.value(forKey: 1) == 7 && m.count == 1)
    }

    /// One of Go's TestIncrementAfterDelete* shapes: key and value bytes,
    /// string keys or not.
    struct IncrementCase: Sendable, CustomStringConvertible {
        let name: String
        let stringKey: Bool
        let valueSize: Int
        var description: String { name }
    }

    static let incrementCases = [
        IncrementCase(name: "ValueInt", stringKey: false, valueSize: 8),
        IncrementCase(name: "ValueInt32", stringKey: false, valueSize: 4),
        IncrementCase(name: "ValueInt64", stringKey: false, valueSize: 8),
        IncrementCase(name: "KeyStringValueInt", stringKey: true, valueSize: 8),
        IncrementCase(name: "KeyValueString", stringKey: true, valueSize: 16),
    ]

    // Go: runtime/map_test.go TestIncrementAfterDeleteValueInt, …ValueInt32,
    // …ValueInt64, …KeyStringValueInt, …KeyValueString (go1.19, go1.27): a
    // key inserted after a delete starts from a zero value (`m[k2]++` gives
    // 1). Adapted: keys 12/13 are words, ""/"x" Go string headers; for the
    // string value, a zero value is the empty string (nil, 0). Run under
    // every preset too: the lab's slot-clearing policies may leave the
    // deleted value behind, and an insert must still start from zero.
    @Test(arguments: models, incrementCases)
    func incrementAfterDelete(model: String, shape: IncrementCase) throws {
        let f = try MapFixture()
        let bytesType = f.heap.registerType(name: "string", size: 1)
        let x = f.mutator.allocate(bytesType, count: 1)
        x.storeBytes(of: UInt8(ascii: "x"), as: UInt8.self)
        let type = shape.stringKey
            ? MapType(heap: f.heap, keySize: 16, valueSize: shape.valueSize, keyPointerWords: [0],
                      valuePointerWords: shape.valueSize == 16 ? [0] : [], stringKeys: true, name: "map[string]v")
            : MapType(heap: f.heap, keySize: 8, valueSize: shape.valueSize, name: "map[int]v")
        // key1: 12 or ""; key2: 13 or "x" (a Go string header: bytes, length).
        func withKey<R>(_ second: Bool, _ body: (UnsafeRawPointer) -> R) -> R {
            if shape.stringKey {
                let header: (UnsafeMutableRawPointer?, Int) = second ? (x, 1) : (nil, 0)
                return withUnsafeBytes(of: header) { body($0.baseAddress!) }
            }
            return withUnsafeBytes(of: UInt64(second ? 13 : 12)) { body($0.baseAddress!) }
        }
        for preset in Strategy.presets {
            let m = Self.make(model, type, f.mutator, policy: preset.policy)
            withKey(false) { k in
                let v = m.insertionSlot(forKeyAt: k)
                for b in 0..<shape.valueSize { v.storeBytes(of: 99, toByteOffset: b, as: UInt8.self) }
            }
            #expect(withKey(false) { m.removeEntry(forKeyAt: $0) })
            let fresh = withKey(true) { m.insertionSlot(forKeyAt: $0) }
            let zero = (0..<shape.valueSize).allSatisfy { fresh.load(fromByteOffset: $0, as: UInt8.self) == 0 }
            #expect(zero, "\(preset.name): the new key's value does not start from zero")
        }
    }

    // Go: runtime/map_test.go TestIncrementAfterBulkClearKeyStringValueInt
    // (go1.19, go1.27): the same after deleting every key while ranging.
    @Test(arguments: models)
    func incrementAfterBulkClear(model: String) throws {
        let f = try MapFixture()
        let bytesType = f.heap.registerType(name: "string", size: 1)
        let x = f.mutator.allocate(bytesType, count: 1)
        x.storeBytes(of: UInt8(ascii: "x"), as: UInt8.self)
        let type = MapType(heap: f.heap, keySize: 16, valueSize: 8, keyPointerWords: [0], stringKeys: true,
                           name: "map[string]int")
        let m = Self.make(model, type, f.mutator)
        let empty: (UnsafeMutableRawPointer?, Int) = (nil, 0)
        withUnsafeBytes(of: empty) { m.insertionSlot(forKeyAt: $0.baseAddress!).storeBytes(of: 99, as: Int.self) }
        for (k, _) in Self.rawEntries(m) {
            let header = (k.load(as: UnsafeMutableRawPointer?.self), k.load(fromByteOffset: 8, as: Int.self))
            #expect(withUnsafeBytes(of: header) { m.removeEntry(forKeyAt: $0.baseAddress!) })
        }
        let second: (UnsafeMutableRawPointer?, Int) = (x, 1)
        let v = withUnsafeBytes(of: second) { m.insertionSlot(forKeyAt: $0.baseAddress!) }
        v.storeBytes(of: v.load(as: Int.self) + 1, as: Int.self)
        #expect(withUnsafeBytes(of: second) { m.valueSlot(forKeyAt: $0.baseAddress!)?.load(as: Int.self) } == 1)
    }
}
