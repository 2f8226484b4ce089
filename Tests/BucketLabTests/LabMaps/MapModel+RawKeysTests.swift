import Testing
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

/// The seam's raw entry points (MapModel+RawKeys.swift) on keys and values
/// of other shapes than words: `[N]byte` keys and struct values, inline and
/// past Go's 128-byte out-of-line limit, against Swift's Dictionary, on
/// both models, with invariants checked as it goes and a collection between
/// rounds (out-of-line keys and values are heap objects the map must keep).
@Suite struct RawKeyEntryPointTests {
    struct Shape: CustomStringConvertible, Sendable {
        let keyBytes: Int
        let valueBytes: Int
        let valuePointerWords: [Int]
        var description: String { "[\(keyBytes)]byte → \(valueBytes) bytes, pointers \(valuePointerWords)" }
    }

    static let shapes = [
        Shape(keyBytes: 16, valueBytes: 24, valuePointerWords: []),
        Shape(keyBytes: 12, valueBytes: 8, valuePointerWords: []),
        Shape(keyBytes: 200, valueBytes: 32, valuePointerWords: []),
        Shape(keyBytes: 8, valueBytes: 256, valuePointerWords: []),
        Shape(keyBytes: 136, valueBytes: 136, valuePointerWords: []),
    ]

    static let cases: [(String, Shape)] = MapModels.names.flatMap { m in shapes.map { (m, $0) } }

    @Test(arguments: cases)
    func rawKeysBehaveAsADictionary(model: String, shape: Shape) throws {
        let heap = try MHeap()
        let mutator = heap.makeMutator()
        let collector = Collector(heap: heap, gogc: 100, gcWorkers: 1)
        let type = MapType(heap: heap, keySize: shape.keyBytes, valueSize: shape.valueBytes,
                           valuePointerWords: shape.valuePointerWords, name: "raw")
        #expect(type.indirectKey == (shape.keyBytes > 128))
        #expect(type.indirectValue == (shape.valueBytes > 128))
        let map = MapModels.named(model)!.init(type: type, mutator: mutator, policy: .go, seed: 3, hint: 0)
        var reference: [[UInt8]: [UInt8]] = [:]
        var rng = SplitMix64(seed: 11)
        let key = UnsafeMutableRawPointer.allocate(byteCount: shape.keyBytes, alignment: 8)
        defer { key.deallocate() }
        func keyBytes(_ n: UInt64) -> [UInt8] {
            (0..<shape.keyBytes).map { i in UInt8(truncatingIfNeeded: SplitMix64.mix(n &+ UInt64(i / 8)) >> (8 * UInt64(i % 8))) }
        }
        func load(_ bytes: [UInt8]) { bytes.withUnsafeBytes { key.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) } }
        var problems: [String] = []
        for round in 0..<4 {
            for step in 0..<3_000 {
                let n = rng.next() % 1_500
                let k = keyBytes(n)
                load(k)
                switch rng.next() % 10 {
                case 0..<5:
                    let v = (0..<shape.valueBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    let slot = map.insertionSlot(forKeyAt: key)
                    v.withUnsafeBytes { slot.copyMemory(from: $0.baseAddress!, byteCount: v.count) }
                    reference[k] = v
                case 5..<8:
                    let removed = map.removeEntry(forKeyAt: key)
                    if removed != (reference.removeValue(forKey: k) != nil) {
                        problems.append("round \(round) step \(step): delete of \(n) returned \(removed)")
                    }
                default:
                    let got = map.valueSlot(forKeyAt: key).map { Array(UnsafeRawBufferPointer(start: $0, count: shape.valueBytes)) }
                    if got != reference[k] { problems.append("round \(round) step \(step): lookup of \(n) disagrees") }
                }
                if problems.count > 10 { break }
            }
            #expect(map.count == reference.count)
            #expect(map.invariantViolations().isEmpty, "\(map.invariantViolations().prefix(3))")
            collector.collect()
            // After a collection every key still reads back whole: out-of-line
            // keys and values were kept alive by the map.
            for (k, v) in reference {
                load(k)
                let got = map.valueSlot(forKeyAt: key).map { Array(UnsafeRawBufferPointer(start: $0, count: shape.valueBytes)) }
                if got != v { problems.append("round \(round): after a collection a key reads back wrong"); break }
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        // Out-of-line keys and values: one heap object each per live entry,
        // the deleted ones' freed (Go clears the slot's pointer on delete).
        func objects(ofSize n: Int) -> Int {
            let c = SizeClasses.classIndex(forSize: n)
            return heap.sizeClassCensus().filter { $0.sizeClass == c }.reduce(0) { $0 + $1.objects }
        }
        let expected = (type.indirectKey ? 1 : 0) + (type.indirectValue ? 1 : 0)
        // Go 1.19's sync.Map keeps a deleted key's box until a promotion
        // drops it: only the maps free it on delete.
        if expected > 0 && model != SyncMap119.modelName {
            let size = type.indirectKey ? shape.keyBytes : shape.valueBytes
            let bucketClass = SizeClasses.classIndex(forSize: type.bucketSize)
            if SizeClasses.classIndex(forSize: size) == bucketClass {
                // Overflow buckets share the class: at least the entries'.
                #expect(objects(ofSize: size) >= expected * reference.count)
            } else {
                #expect(objects(ofSize: size) == expected * reference.count)
            }
        }
        withExtendedLifetime(map) {}
    }
}
