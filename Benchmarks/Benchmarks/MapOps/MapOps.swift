// Map operations on 10^6 random UInt64 keys: the lab map under every preset,
// and Swift's Dictionary. Key sets and filled maps are built outside the
// measured region; results are per key (scaling factor mega).
import Benchmark
import BenchmarkSupport
import BucketLab

let keyCount = 1_000_000

/// A lab map filled with every present key, in a heap of its own. Maps built
/// by insert/delete iterations are collected before the next iteration, so
/// their spans are reused as jemalloc reuses the Dictionary's freed memory.
final class FilledMap: @unchecked Sendable {
    let heap: MHeap
    let collector: Collector
    let map: UInt64Map
    init(policy: ClearingPolicy, keys: OpsKeys) {
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


let benchmarks: @Sendable () -> Void = {
    prepareBenchmarkProcess()
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock],
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 5,
        thresholds: [.wallClock: absoluteTime]
    )
    let keys = OpsKeys(keys: keyCount)

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
            for i in benchmark.scaledIterations { sum &+= filled.map[keys.probeOrder[i]] ?? 0 }
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
            for i in benchmark.scaledIterations { map.removeValue(forKey: keys.probeOrder[i]) }
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
        for i in benchmark.scaledIterations { sum &+= dictionary[keys.probeOrder[i]] ?? 0 }
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
        for i in benchmark.scaledIterations { d.removeValue(forKey: keys.probeOrder[i]) }
        benchmark.stopMeasurement()
        blackHole(d.count)
    }
}
