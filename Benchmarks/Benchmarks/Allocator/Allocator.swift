// Allocation fast paths, side by side: the lab's MCache, jemalloc's mallocx
// (thread cache on) with sdallocx, and plain malloc/free (jemalloc as the
// process malloc), for the same sizes.
import Benchmark
import BenchmarkSupport
import BucketLab
#if canImport(Glibc)
import Glibc
#endif

let sizes = [16, 48, 144, 1024, 32768]
let perIteration = 1000

/// A heap kept across iterations: swept empty after each measured batch so
/// spans come back from its pool, as in a long-running program.
final class LabAllocator: @unchecked Sendable {
    let heap: MHeap
    let mutator: Mutator
    let type: ObjectType
    init(size: Int) {
        heap = try! MHeap()
        mutator = heap.makeMutator()
        type = heap.registerType(name: "blob\(size)", size: size)
    }
}

let heapInuse = BenchmarkMetric.custom("heap in-use bytes", polarity: .prefersSmaller, useScalingFactor: false)
let arenaResident = BenchmarkMetric.custom("arena resident bytes", polarity: .prefersSmaller, useScalingFactor: false)


let benchmarks: @Sendable () -> Void = {
    prepareBenchmarkProcess()
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 2000,
        thresholds: [.wallClock: absoluteTime, .throughput: absoluteTime]
    )

    for size in sizes {
        let lab = LabAllocator(size: size)
        Benchmark("lab alloc \(size)B", configuration: .init(metrics: [.wallClock, .throughput, heapInuse, arenaResident])) { benchmark in
            let slots = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: perIteration)
            defer { slots.deallocate() }
            // The measured loop; the sweep that frees the batch is outside it.
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                let p = lab.mutator.allocate(lab.type)
                p.storeBytes(of: i, as: Int.self)
                slots[i] = p
            }
            benchmark.stopMeasurement()
            blackHole(slots[perIteration / 2])
            let st = lab.heap.stats()
            benchmark.measurement(heapInuse, st.inuseBytes)
            benchmark.measurement(arenaResident, st.arena.residentBytes)
            lab.heap.sweep()
        }

        Benchmark("jemalloc mallocx \(size)B") { benchmark in
            let slots = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: perIteration)
            defer { slots.deallocate() }
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                let p = Jemalloc.mallocx(size)!
                p.storeBytes(of: i, as: Int.self)
                slots[i] = p
            }
            benchmark.stopMeasurement()
            blackHole(slots[perIteration / 2])
            for i in benchmark.scaledIterations { Jemalloc.sdallocx(slots[i], size) }
        }

        Benchmark("malloc \(size)B") { benchmark in
            let slots = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: perIteration)
            defer { slots.deallocate() }
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                let p = malloc(size)!
                p.storeBytes(of: i, as: Int.self)
                slots[i] = p
            }
            benchmark.stopMeasurement()
            blackHole(slots[perIteration / 2])
            for i in benchmark.scaledIterations { free(slots[i]) }
        }
    }
}
