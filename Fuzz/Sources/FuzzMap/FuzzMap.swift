// Decodes the input into map operations and runs them against a lab map of
// either model (with a collector and payloads), through the map-model seam,
// and Swift's Dictionary; any disagreement, broken invariant or damaged
// payload traps, which libFuzzer reports as a crash.
import BucketLab

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMap(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let presets = Strategy.presets
    let heap = try! MHeap()
    let collector = Collector(heap: heap, gogc: Int(bytes[0] >> 4) + 1)
    let mutator = heap.makeMutator()
    var payloads = ChecksummedPayloads(heap: heap, mutator: mutator, bytes: 32)
    let model = MapModels.all[(Int(bytes[0]) / presets.count) % MapModels.all.count]
    let map: any MapModel = model.init(type: .uint64ToPointer(heap: heap), mutator: mutator,
                                       policy: presets[Int(bytes[0]) % presets.count].policy, seed: UInt64(bytes[0]),
                                       hint: 0)
    func payload(_ word: UInt64) -> UnsafeRawPointer { UnsafeRawPointer(bitPattern: UInt(word))! }
    var reference: [UInt64: UInt64] = [:]
    var iterator: (any MapIteration)? = nil
    var i = 1
    while i + 1 < size {
        let op = bytes[i] % 8
        // Keys from a small space so deletes and updates hit; a few wide ones.
        let key = bytes[i] & 0x80 != 0 ? UInt64(bytes[i + 1]) << 40 | UInt64(bytes[i]) : UInt64(bytes[i + 1])
        i += 2
        switch op {
        case 0, 1, 2:
            map.updateValue(UInt64(UInt(bitPattern: payloads.make(key: key))), forKey: key)
            reference[key] = key
        case 3, 4:
            let removed = map.removeValue(forKey: key)
            precondition(removed == (reference.removeValue(forKey: key) != nil), "delete of \(key) disagrees")
        case 5:
            let found = map.value(forKey: key)
            precondition((found != nil) == (reference[key] != nil), "lookup of \(key) disagrees")
            if let found { precondition(payloads.isIntact(payload(found), key: key), "payload \(key) damaged") }
        case 6:
            if key % 7 == 0 {
                map.removeAll()
                reference.removeAll()
            } else if iterator == nil {
                iterator = map.makeIteration()
                _ = iterator!.nextEntry()
            } else {
                iterator!.close()
                iterator = nil
            }
        default:
            collector.collect()
            var seen = 0
            map.forEachEntry { k, p in
                precondition(reference[k] != nil && payloads.isIntact(payload(p), key: k), "entry \(k) after a collection")
                seen += 1
            }
            precondition(seen == reference.count, "iteration saw \(seen) of \(reference.count)")
        }
        precondition(map.count == reference.count, "count disagrees")
        collector.safePoint()
    }
    iterator?.close()
    precondition(map.invariantViolations().isEmpty, "map invariants: \(map.invariantViolations())")
    precondition(heap.invariantViolations().isEmpty, "heap invariants: \(heap.invariantViolations())")
    return 0
}
