// Map operations on 10^6 random UInt64 keys: the lab map under every preset,
// and Swift's Dictionary. Key sets and filled maps are built outside the
// measured region; results are per key (scaling factor mega).
import Benchmark
import BucketLab

let keyCount = 1_000_000

/// Keys present, keys absent, and the present keys in another order.
struct Keys: Sendable {
    let present: [UInt64]
    let absent: [UInt64]
    let shuffled: [UInt64]

    init(seed: UInt64 = 1) {
        var rng = SplitMix64(seed: seed)
        func next() -> UInt64 { rng.next() }
        var seen = Set<UInt64>()
        var p: [UInt64] = [], a: [UInt64] = []
        while p.count < keyCount { let k = next(); if seen.insert(k).inserted { p.append(k) } }
        while a.count < keyCount { let k = next(); if !seen.contains(k) { a.append(k) } }
        var s = p
        for i in stride(from: s.count - 1, to: 0, by: -1) { s.swapAt(i, Int(next() % UInt64(i + 1))) }
        present = p
        absent = a
        shuffled = s
    }
}

/// A lab map filled with every present key, in a heap of its own. Maps built
/// by insert/delete iterations are collected before the next iteration, so
/// their spans are reused as jemalloc reuses the Dictionary's freed memory.
final class FilledMap: @unchecked Sendable {
    let heap: MHeap
    let collector: Collector
    let map: UInt64Map
    init(policy: ClearingPolicy, keys: Keys) {
        // No huge pages for the lab's spans: Dictionary's storage gets none
        // either (jemalloc's default under the system's madvise mode).
        heap = try! MHeap(MHeap.Configuration(hugePages: false))
        collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        map = UInt64Map(type: .uint64ToUInt64(heap: heap), mutator: mutator, policy: policy, seed: 1)
        for k in keys.present { map[k] = k }
    }
    func newEmpty(policy: ClearingPolicy) -> UInt64Map {
        UInt64Map(type: .uint64ToUInt64(heap: heap), mutator: map.raw.mutator, policy: policy, seed: 1)
    }
}

nonisolated(unsafe) let noisyMachine = BenchmarkThresholds(relative: [.p50: 20, .p75: 35])

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock],
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 5,
        // Shared, noisy machines: flag a regression only when the median moves
        // by over 20% (or p75 by 35%); byte-count metrics keep the default 5%.
        thresholds: [.wallClock: noisyMachine, .throughput: noisyMachine]
    )
    let keys = Keys()

    for preset in Strategy.presets {
        let filled = FilledMap(policy: preset.policy, keys: keys)
        let name = "lab:\(preset.name)"
        Benchmark("\(name) insert") { benchmark in
            filled.collector.collect()  // the previous iteration's map
            let map = filled.newEmpty(policy: preset.policy)
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations { map[keys.present[i]] = UInt64(i) }
            benchmark.stopMeasurement()
            blackHole(map.count)
        }
        Benchmark("\(name) lookup hit") { benchmark in
            var sum: UInt64 = 0
            for i in benchmark.scaledIterations { sum &+= filled.map[keys.shuffled[i]] ?? 0 }
            blackHole(sum)
        }
        Benchmark("\(name) lookup miss") { benchmark in
            var sum: UInt64 = 0
            for i in benchmark.scaledIterations { sum &+= filled.map[keys.absent[i]] ?? 1 }
            blackHole(sum)
        }
        Benchmark("\(name) iterate") { benchmark in
            var sum: UInt64 = 0
            filled.map.forEach { k, v in sum &+= k ^ v }
            blackHole(sum)
        }
        Benchmark("\(name) delete") { benchmark in
            filled.collector.collect()
            let map = filled.newEmpty(policy: preset.policy)
            for k in keys.present { map[k] = k }
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations { map.removeValue(forKey: keys.shuffled[i]) }
            benchmark.stopMeasurement()
            blackHole(map.count)
        }
    }

    let dictionary: [UInt64: UInt64] = Dictionary(uniqueKeysWithValues: keys.present.map { ($0, $0) })
    Benchmark("dictionary insert") { benchmark in
        // Timed like the lab's insert: the loop only, not the teardown.
        var d: [UInt64: UInt64] = [:]
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations { d[keys.present[i]] = UInt64(i) }
        benchmark.stopMeasurement()
        blackHole(d.count)
    }
    Benchmark("dictionary lookup hit") { benchmark in
        var sum: UInt64 = 0
        for i in benchmark.scaledIterations { sum &+= dictionary[keys.shuffled[i]] ?? 0 }
        blackHole(sum)
    }
    Benchmark("dictionary lookup miss") { benchmark in
        var sum: UInt64 = 0
        for i in benchmark.scaledIterations { sum &+= dictionary[keys.absent[i]] ?? 1 }
        blackHole(sum)
    }
    Benchmark("dictionary iterate") { benchmark in
        var sum: UInt64 = 0
        for (k, v) in dictionary { sum &+= k ^ v }
        blackHole(sum)
    }
    Benchmark("dictionary delete") { benchmark in
        var d = dictionary
        d[0] = 0  // force the copy outside the measured loop
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations { d.removeValue(forKey: keys.shuffled[i]) }
        benchmark.stopMeasurement()
        blackHole(d.count)
    }
}
