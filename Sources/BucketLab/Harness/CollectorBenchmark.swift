// The cost of one collection of a large map heap, as `bucketlab gcbench`
// reports it.

public struct CollectorBenchmarkResult: Sendable {
    public var keys: Int
    public var payloadBytes: Int
    public var heapObjectBytes: Int
    /// Medians over the repetitions.
    public var markNs: UInt64
    public var sweepNs: UInt64
    public var objectsMarked: Int
    public var bytesScanned: Int

    public var cycleNs: UInt64 { markNs + sweepNs }
    public var markBytesPerSecond: Double { Double(bytesScanned) / (Double(markNs) / 1e9) }

    public static let header = ["keys", "payload_bytes", "heap_object_bytes", "objects_marked", "bytes_scanned",
                                "mark_ns", "sweep_ns", "cycle_ns", "mark_gb_per_s"]
    public var fields: [String] {
        [String(keys), String(payloadBytes), String(heapObjectBytes), String(objectsMarked), String(bytesScanned),
         String(markNs), String(sweepNs), String(cycleNs), formatFixed(markBytesPerSecond / 1e9, digits: 2)]
    }
}

public enum CollectorBenchmark {
    /// Builds a `UInt64 → payload` map of `keys` entries (GOGC off), lets one
    /// collection settle the heap, then times `repetitions` full cycles
    /// (mark + eager sweep) of that heap, single-threaded.
    public static func fullCycle(keys: Int, payloadBytes: Int, repetitions: Int, seed: UInt64 = 1) throws
        -> CollectorBenchmarkResult {
        try Bounds.keys.check(keys)
        try Bounds.payloadBytes.check(payloadBytes)
        try Bounds.repeats.check(repetitions)
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        let payload = heap.registerType(name: "payload", size: payloadBytes)
        let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: seed)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<keys {
            let k = rng.next()
            let p = mutator.allocate(payload)
            p.storeBytes(of: k, as: UInt64.self)
            map[k] = p
        }
        collector.collect()
        var mark: [Double] = [], sweep: [Double] = []
        var last = CycleStats()
        for _ in 0..<repetitions {
            last = collector.collect()
            mark.append(Double(last.markNs))
            sweep.append(Double(last.sweepNs))
        }
        precondition(map.count == keys)
        return CollectorBenchmarkResult(
            keys: keys, payloadBytes: payloadBytes, heapObjectBytes: last.heapAfterBytes,
            markNs: UInt64(median(mark)), sweepNs: UInt64(median(sweep)),
            objectsMarked: last.objectsMarked, bytesScanned: last.bytesScanned)
    }
}
