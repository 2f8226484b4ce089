// One full collection (mark + eager sweep) of three heaps, built outside the
// measured region: a 10^6-key UInt64 → UInt64 map, a 10^6-key UInt64 → 48-byte
// payload map, and the sparse-survivors heap (1% of the payloads kept).
import Benchmark
import BenchmarkSupport
import BucketLab

let bytesScanned = BenchmarkMetric.custom("bytes scanned", polarity: .prefersSmaller, useScalingFactor: false)
let heapInuse = BenchmarkMetric.custom("heap in-use bytes", polarity: .prefersSmaller, useScalingFactor: false)
let arenaResident = BenchmarkMetric.custom("arena resident bytes", polarity: .prefersSmaller, useScalingFactor: false)

/// A heap with one map, settled by one collection.
final class MapHeap: @unchecked Sendable {
    let heap: MHeap
    let collector: Collector
    let words: UInt64Map?
    let payloads: PayloadMap?

    init(payloadBytes: Int?, keep: Int = 1) {
        heap = try! MHeap()
        collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        func key(_ i: Int) -> UInt64 { SplitMix64.mix(UInt64(i) ^ 1) }
        if let payloadBytes {
            let type = heap.registerType(name: "payload", size: payloadBytes)
            let map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: 1)
            for i in 0..<1_000_000 { map[key(i)] = mutator.allocate(type) }
            if keep > 1 { for i in 0..<1_000_000 where i % keep != 0 { map.removeValue(forKey: key(i)) } }
            payloads = map
            words = nil
        } else {
            let map = UInt64Map(type: .uint64ToUInt64(heap: heap), mutator: mutator, seed: 1)
            for i in 0..<1_000_000 { map[key(i)] = UInt64(i) }
            words = map
            payloads = nil
        }
        collector.collect()
    }
}


let benchmarks: @Sendable () -> Void = {
    prepareBenchmarkProcess()
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, bytesScanned, heapInuse, arenaResident],
        maxDuration: .seconds(3),
        maxIterations: 20,
        thresholds: [.wallClock: absoluteTime]
    )
    let heaps: [(String, MapHeap)] = [
        ("uint64 map", MapHeap(payloadBytes: nil)),
        ("payload map", MapHeap(payloadBytes: 48)),
        ("sparse survivors", MapHeap(payloadBytes: 48, keep: 100)),
    ]
    for (name, h) in heaps {
        Benchmark("full cycle, \(name) 1M keys") { benchmark in
            benchmark.startMeasurement()
            let cycle = h.collector.collect()
            benchmark.stopMeasurement()
            // Read outside the timed region: stats walk spans, ask jemalloc
            // and read /proc.
            benchmark.measurement(bytesScanned, cycle.bytesScanned)
            let st = h.heap.stats()
            benchmark.measurement(heapInuse, st.inuseBytes)
            benchmark.measurement(arenaResident, st.arena.residentBytes)
        }
    }
}
