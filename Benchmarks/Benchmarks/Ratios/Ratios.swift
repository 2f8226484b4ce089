// Ratios that mean the same on every machine of a kind: each iteration times
// the lab and its yardstick moments apart in one process (or the Go reference
// as a child process right next to it), and records lab time / yardstick time
// ×1000. A machine twice as fast halves both sides; a change that slows the
// lab's hot path moves the ratio. The committed baseline
// (.benchmarkBaselines/Ratios/ratios) is checked by
// `scripts/bench-check --ratios`; see Benchmarks/README.md.
//
// Each side's figure in an iteration is its best of several rounds (rounds
// rotate which side goes first): the best is what the code costs, the rest is
// the shared machine. Working sets are 2^12 keys (maps of about 150 KB, in
// L2), so that a slower hot path shows undiluted by memory stalls and by the
// shared L3 and memory bandwidth, which move from second to second: at 2^16
// keys the medians of two runs differed by up to 20%, at 2^12 by under 10%.
// `bucketlab ops` measures the 10^6-key regime.
//
// - lab:<preset> / dictionary: the five map operations of `bucketlab ops`
//   (OpsBenchmark.maps), lab map against Dictionary; ±10% on the median.
// - alloc48 / mallocx48: the lab's MCache fast path against jemalloc's thread
//   cache (OpsBenchmark.allocation), and against mallocx with MALLOCX_ZERO
//   (the lab's memory is always zeroed); ±10%.
// - lab:go / go1.19 map and collector / go1.19 runtime.GC(): only when a Go
//   1.19 toolchain is present ($BUCKETLAB_GO or /usr/lib/go-1.19/bin/go).
//   Go's side is a process of its own each iteration, with its own random map
//   hash seed and heap layout: its best-of-rounds moves by up to 40% from one
//   process to the next on this machine, so the median over iterations is
//   held to ±25%, not ±10%.
import Benchmark
import BenchmarkSupport
import BucketLab

let mapKeys = 1 << 12
let rounds = 51
let ops = ["insert", "lookup_hit", "lookup_miss", "iterate", "delete"]

/// `lab/yardstick ×1000` for one op; smaller is better for the lab.
func ratioMetric(_ what: String) -> BenchmarkMetric {
    .custom("\(what) ×1000", polarity: .prefersSmaller, useScalingFactor: false)
}

func permille(_ lab: Double, _ yardstick: Double) -> Int { Int((1000 * lab / yardstick).rounded()) }

/// A threshold on the median only: the ratios' tails carry the machine's
/// hiccups, the median the code's speed.
func ratioConfiguration(_ metrics: [BenchmarkMetric], iterations: Int, percent: Double = 10) -> Benchmark.Configuration {
    .init(metrics: metrics, units: Dictionary(uniqueKeysWithValues: metrics.map { ($0, .count) }),
          maxDuration: .seconds(120), maxIterations: iterations,
          thresholds: Dictionary(uniqueKeysWithValues: metrics.map { ($0, BenchmarkThresholds(relative: [.p50: percent])) }))
}

/// State built on first use (the warm-up iteration), not at registration:
/// `benchmark list` stays cheap.
final class Lazy<Value>: @unchecked Sendable {
    private var value: Value?
    private let make: () throws -> Value
    init(_ make: @escaping () throws -> Value) { self.make = make }
    func get() throws -> Value {
        if let value { return value }
        let made = try make()
        value = made
        return made
    }
}

/// Alternates which side of a pair runs first, iteration by iteration.
final class Turn: @unchecked Sendable {
    private var count = 0
    func labFirst() -> Bool { count += 1; return count % 2 == 1 }
}

let benchmarks: @Sendable () -> Void = {
    prepareBenchmarkProcess()
    let keys = Lazy { OpsKeys(keys: mapKeys) }
    let options = try! OpsOptions(keys: mapKeys, repetitions: rounds, hugePages: false)

    let dictionaryMetrics = ops.map { ratioMetric("\($0) lab/dictionary") }
    for preset in Strategy.presets {
        Benchmark("lab:\(preset.name) / dictionary", configuration: ratioConfiguration(dictionaryMetrics, iterations: 31)) { benchmark in
            let rows = try OpsBenchmark.maps(options, strategies: [preset], keySets: keys.get(), summary: best)
            for (op, metric) in zip(ops, dictionaryMetrics) {
                benchmark.measurement(metric, permille(rows.ns("lab:\(preset.name)", op), rows.ns("dictionary", op)))
            }
        }
    }

    let allocOptions = try! OpsOptions(keys: 4096, repetitions: 51, hugePages: false)
    let allocMetrics = [ratioMetric("alloc48/mallocx48"), ratioMetric("alloc48/mallocx48_zero")]
    Benchmark("alloc48 / mallocx48", configuration: ratioConfiguration(allocMetrics, iterations: 31)) { benchmark in
        let rows = try OpsBenchmark.allocation(allocOptions, summary: best)
        benchmark.measurement(allocMetrics[0], permille(rows.ns("lab", "alloc48"), rows.ns("jemalloc", "mallocx48")))
        benchmark.measurement(allocMetrics[1], permille(rows.ns("lab", "alloc48"), rows.ns("jemalloc", "mallocx48_zero")))
    }

    guard let go = GoReference.toolchain() else { return }
    let reference = Lazy { try GoReference(go: go) }

    let goMetrics = ops.map { ratioMetric("\($0) lab:go/go1.19") }
    let mapTurn = Turn()
    Benchmark("lab:go / go1.19 map", configuration: ratioConfiguration(goMetrics, iterations: 15, percent: 25)) { benchmark in
        let reference = try reference.get()
        var goRows: [OpsRow] = []
        let labFirst = mapTurn.labFirst()
        if !labFirst { goRows = try reference.run(mode: "ops", keys: mapKeys, rounds: rounds) }
        let rows = try OpsBenchmark.maps(options, strategies: [.go], keySets: keys.get(), summary: best)
        if labFirst { goRows = try reference.run(mode: "ops", keys: mapKeys, rounds: rounds) }
        for (op, metric) in zip(ops, goMetrics) {
            benchmark.measurement(metric, permille(rows.ns("lab:go", op), goRows.ns(reference.version + ":best", op)))
        }
    }

    let gcMetric = ratioMetric("full cycle collector/go1.19 runtime.GC()")
    let payloadHeap = Lazy { try PayloadHeap() }
    let gcTurn = Turn()
    Benchmark("collector / go1.19 runtime.GC()", configuration: ratioConfiguration([gcMetric], iterations: 11, percent: 25)) { benchmark in
        let reference = try reference.get(), heap = try payloadHeap.get()
        var goRows: [OpsRow] = []
        let labFirst = gcTurn.labFirst()
        if !labFirst { goRows = try reference.run(mode: "gc", keys: gcKeys, rounds: 5) }
        let labNs = best((0..<5).map { _ in heap.collectNanoseconds() })
        if labFirst { goRows = try reference.run(mode: "gc", keys: gcKeys, rounds: 5) }
        benchmark.measurement(gcMetric, permille(labNs, goRows.ns(reference.version + ":best", "gc_full_cycle")))
    }
}

/// Keys of the collector comparison's heap: big enough that marking, not a
/// cycle's fixed cost, dominates.
let gcKeys = 1 << 18

/// The best (smallest) of a side's samples.
func best(_ samples: [Double]) -> Double { samples.min()! }

extension [OpsRow] {
    func ns(_ impl: String, _ op: String) -> Double {
        guard let row = first(where: { $0.impl == impl && $0.op == op }) else {
            fatalError("no \(impl) \(op) row among \(map { "\($0.impl) \($0.op)" })")
        }
        return row.nsPerOp
    }
}

/// The Go reference's `-mode gc` heap: a map[uint64]*[48]byte of `gcKeys`
/// entries and its payloads, collected once so that nothing is left to free.
final class PayloadHeap: @unchecked Sendable {
    let heap: MHeap
    let collector: Collector
    let map: PayloadMap

    init() throws {
        heap = try MHeap()
        collector = Collector(heap: heap, gogc: nil)
        let mutator = heap.makeMutator()
        let type = heap.registerType(name: "payload", size: 48)
        map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, seed: 1)
        for k in OpsKeys(keys: gcKeys, wantAbsent: false).present { map[k] = mutator.allocate(type) }
        collector.collect()
    }

    /// One full collection (mark and eager sweep), as runtime.GC() does.
    func collectNanoseconds() -> Double {
        let t0 = monotonicNanos()
        collector.collect()
        return Double(monotonicNanos() - t0)
    }
}
