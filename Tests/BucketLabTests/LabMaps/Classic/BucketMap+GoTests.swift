import Testing
@testable import LabHeap
@testable import LabMaps

/// Ports of Go 1.19's tests of its classic map (src/runtime/map_test.go,
/// with the export_test.go helpers they use) that look at buckets. The
/// tests that hold for any map run on both models in
/// MapModel+GoTests.swift. Go's `int` keys are `UInt64` words.
@Suite struct BucketMapGoTests {
    /// Go's mapBucketTests: elements → buckets (escaping and not alike).
    static let bucketCases: [(n: Int, buckets: Int)] = [
        (-(1 << 30), 1), (-1, 1), (0, 1), (1, 1), (8, 1), (9, 2), (13, 2), (14, 4), (26, 4),
    ]

    // Go: runtime/map_test.go TestMapBuckets, export_test.go MapBucketsCount,
    // MapBucketsPointerIsNil (go1.19). Adapted: the lab's maps are all on
    // the heap (Go's escaping maps); "mapliteral" and "nohint" are hint 0,
    // "makemap" and "makemap64" hint n.
    @Test(arguments: [false, true])
    func mapBuckets(hinted: Bool) throws {
        let f = try MapFixture()
        for (n, want) in Self.bucketCases {
            let m = BucketMap(type: f.wordType, mutator: f.mutator, seed: 1, hint: hinted ? n : 0)
            let count = 1 << m.shape.B
            #expect(!(count > 1 && m.h.pointee.buckets == nil), "buckets pointer is nil for n=\(count) buckets")
            for i in 0..<UInt64(max(n, 0)) { m.updateValue(i, forKey: i) }
            #expect(1 << m.shape.B == want, "n=\(n) want \(want) buckets, got \(1 << m.shape.B)")
        }
    }

    /// Go's export_test.go MapTombstoneCheck: in every chain, the slots
    /// that are not emptyRest come first, then only emptyRest, and the last
    /// slot before them is not emptyOne. Returns the problems found.
    static func tombstoneProblems(_ m: BucketMap) -> [String] {
        guard let array = m.h.pointee.buckets else { return [] }
        var problems: [String] = []
        for x in 0..<(1 << Int(m.h.pointee.B)) {
            var tops: [UInt8] = []
            var b: UnsafeMutableRawPointer? = m.bucket(array, x)
            while let cb = b {
                for i in 0..<bucketCount { tops.append(m.top(cb, i)) }
                b = m.overflow(cb)
            }
            let n = tops.filter { $0 != emptyRest }.count
            for (k, t) in tops.enumerated() {
                if k < n && t == emptyRest { problems.append("bucket \(x): early emptyRest") }
                if k >= n && t != emptyRest { problems.append("bucket \(x): late non-emptyRest") }
                if k == n - 1 && t == emptyOne { problems.append("bucket \(x): last non-emptyRest entry is emptyOne") }
            }
        }
        return problems
    }

    // Go: runtime/map_test.go TestMapTombstones, export_test.go
    // MapTombstoneCheck (go1.19): emptyOne and emptyRest stay where they
    // belong through fill, half delete, refill and delete-all.
    @Test func mapTombstones() throws {
        let f = try MapFixture()
        let m = BucketMap(type: f.wordType, mutator: f.mutator, seed: 1)
        let n: UInt64 = 10_000
        for i in 0..<n { m.updateValue(i, forKey: i) }
        #expect(Self.tombstoneProblems(m) == [], "filled")
        for i in stride(from: 0, to: n, by: 2) { m.removeValue(forKey: i) }
        #expect(Self.tombstoneProblems(m) == [], "half deleted")
        for i in n..<(3 * n / 2) { m.updateValue(i, forKey: i) }
        #expect(Self.tombstoneProblems(m) == [], "holes refilled")
        for i in 0..<(3 * n / 2) { m.removeValue(forKey: i) }
        #expect(Self.tombstoneProblems(m) == [], "all deleted")
    }

    // Go: runtime/map_test.go TestMapNanGrowIterator (go1.19): an iteration
    // started in the middle of a grow that finishes half-way through it
    // returns every entry once. Adapted: distinct keys instead of NaNs (the
    // lab's keys always equal themselves); deleting an absent key does the
    // grow work, as deleting NaN does in Go.
    @Test func nanGrowIterator() throws {
        let f = try MapFixture()
        let m = BucketMap(type: f.wordType, mutator: f.mutator, seed: 1)
        let nBuckets = 16
        let nKeys = nBuckets * loadFactorNum / loadFactorDen  // Go: int(nBuckets * runtime.HashLoad)
        for i in 0..<nKeys { m.updateValue(UInt64(i), forKey: UInt64(i) | 1 << 40) }
        #expect(m.shape.B == 4 && !m.isGrowing)
        // Trigger a grow.
        let absent: UInt64 = 1
        m.updateValue(1, forKey: absent)
        m.removeValue(forKey: absent)
        #expect(m.isGrowing)
        var found = Set<UInt64>()
        let it = m.makeIterator()
        while let (_, v) = it.nextEntry() {
            #expect(found.insert(v).inserted, "repeat of value \(v)")
            if found.count == nKeys / 2 {
                // Half-way through the iteration, finish the grow.
                for _ in 0..<nBuckets { m.removeValue(forKey: absent) }
                #expect(!m.isGrowing, "the grow did not finish")
            }
        }
        #expect(found.count == nKeys, "missing value")
    }
}
