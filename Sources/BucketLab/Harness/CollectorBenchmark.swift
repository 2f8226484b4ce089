// The cost of one collection of a large map heap, as `bucketlab gcbench`
// reports it, side by side with the real Go runtime's runtime.GC() on the
// same shape (Reference/, `-mode gc`).

/// The heap gcbench collects, and the Go reference's `-mode gc` one: a
/// classic `UInt64 → payload` map of `keys` entries (fill-drain-ptr at its
/// peak) with the same keys, collected once so that nothing is left to free.
/// Under `compact` every cycle also notes objects reached twice and weighs
/// the sparse spans (a few, under 5% of the heap: nothing moves).
public final class PayloadHeap: @unchecked Sendable {
    public let heap: MHeap
    public let collector: Collector
    public let map: PayloadMap
    public let keys: Int

    public init(keys: Int, payloadBytes: Int = 48, strategy: Strategy = .go, gcWorkers: Int = onlineCores) throws {
        try Bounds.keys.check(keys)
        try Bounds.payloadBytes.check(payloadBytes)
        try Bounds.gcWorkers.check(gcWorkers)
        self.keys = keys
        heap = try MHeap()
        collector = Collector(heap: heap, gogc: nil, gcWorkers: gcWorkers)
        let mutator = heap.makeMutator()
        let type = heap.registerType(name: "payload", size: payloadBytes)
        map = PayloadMap(type: .uint64ToPointer(heap: heap), mutator: mutator, policy: strategy.policy, seed: 1)
        for k in OpsKeys(keys: keys, wantAbsent: false).present {
            let p = mutator.allocate(type)
            p.storeBytes(of: k, as: UInt64.self)
            map[k] = p
        }
        collector.collect()
    }

    /// One full collection (mark and eager sweep), as runtime.GC() does.
    @discardableResult
    public func collect() -> CycleStats {
        let stats = collector.collect()
        precondition(map.count == keys && stats.objectsFreed == 0, "a settled heap frees nothing")
        return stats
    }
}

/// One gcbench configuration: the lab with some mark workers, or a Go
/// runtime (whose reference reports only whole cycles).
public struct GCBenchRow: Sendable {
    /// "lab", or the Go version.
    public var config: String
    /// The lab's strategy and mark workers.
    public var strategy: String?
    public var gcWorkers: Int?
    public var keys: Int
    public var payloadBytes: Int
    /// The lab's cycles.
    public var cycles: [CycleStats] = []
    /// Go: the reference's median cycle of each round.
    public var goCycleNs: [Double] = []

    public var isLab: Bool { gcWorkers != nil }
    public var label: String { gcWorkers.map { "lab \(strategy ?? ""), \($0) worker(s)" } ?? config }

    /// Median ns of a full cycle (mark + sweep + relocation).
    public var cycleP50: Double { isLab ? median(cycles.map { Double($0.totalNs) }) : median(goCycleNs) }

    public static let header = ["config", "strategy", "gc_workers", "keys", "payload_bytes", "heap_object_bytes", "objects_marked",
                                "bytes_scanned", "cycles", "mark_ns_p50", "sweep_ns_p50", "relocate_ns_p50",
                                "cycle_ns_p50", "cycle_ns_p99", "cycle_ns_max", "mark_gb_per_s", "mark_mobjects_per_s"]

    public var fields: [String] {
        func ns(_ v: Double) -> String { String(Int(v.rounded())) }
        guard isLab, let last = cycles.last else {
            return [config, "", "", String(keys), String(payloadBytes), "", "", "", String(goCycleNs.count), "", "", "",
                    ns(cycleP50), "", "", "", ""]
        }
        let total = cycles.map { Double($0.totalNs) }
        let mark = median(cycles.map { Double($0.markNs) })
        return [config, strategy ?? "", String(gcWorkers!), String(keys), String(payloadBytes), String(last.heapAfterBytes),
                String(last.objectsMarked), String(last.bytesScanned), String(cycles.count), ns(mark),
                ns(median(cycles.map { Double($0.sweepNs) })), ns(median(cycles.map { Double($0.relocateNs) })),
                ns(median(total)), ns(quantile(total, 0.99)), ns(total.max()!),
                formatFixed(Double(last.bytesScanned) / mark, digits: 2),
                formatFixed(Double(last.objectsMarked) / mark * 1e3, digits: 2)]
    }
}

/// A lab configuration's median cycle over a Go runtime's, measured in the
/// same rounds.
public struct GCBenchRatio: Sendable {
    public var lab: String
    public var go: String
    public var ratio: Double

    public static let header = ["lab", "go", "cycle_ratio"]
    public var fields: [String] { [lab, go, formatFixed(ratio, digits: 3)] }
}

public enum CollectorBenchmark {
    /// Times full cycles of a settled `PayloadHeap` per strategy with each
    /// worker count in `workerCounts`, and runtime.GC() of the same heap in every Go
    /// reference given, in `rounds` rounds whose order alternates (lab
    /// first, then Go first), `repetitions` cycles per configuration and
    /// round.
    public static func run(keys: Int, payloadBytes: Int, strategies: [Strategy] = [.go], workerCounts: [Int],
                           repetitions: Int, rounds: Int = 3,
                           references: [GoReference] = [], progress: ((String) -> Void)? = nil) throws
        -> (rows: [GCBenchRow], ratios: [GCBenchRatio]) {
        try Bounds.repeats.check(repetitions)
        try Bounds.repeats.check(rounds)
        guard !workerCounts.isEmpty else { throw ConfigError("--gc-workers: no worker count given") }
        for w in workerCounts { try Bounds.gcWorkers.check(w) }
        guard !strategies.isEmpty else { throw ConfigError("no strategy given; \(Strategy.validSpecHelp)") }
        let heaps = try strategies.map { try PayloadHeap(keys: keys, payloadBytes: payloadBytes, strategy: $0) }
        var lab = strategies.indices.flatMap { s in
            workerCounts.map { GCBenchRow(config: "lab", strategy: strategies[s].name, gcWorkers: $0, keys: keys,
                                          payloadBytes: payloadBytes) }
        }
        // The reference's payloads are 48 bytes: other sizes are not its shape.
        let goRefs = payloadBytes == 48 ? references : []
        var go = goRefs.map { GCBenchRow(config: $0.version, keys: keys, payloadBytes: 48) }
        for round in 0..<rounds {
            func runLab() {
                for i in lab.indices {
                    let heap = heaps[i / workerCounts.count]
                    heap.collector.gcWorkers = lab[i].gcWorkers!
                    for _ in 0..<repetitions { lab[i].cycles.append(heap.collect()) }
                }
            }
            func runGo() throws {
                for (i, ref) in goRefs.enumerated() {
                    go[i].goCycleNs.append(try ref.run(mode: "gc", keys: keys, rounds: repetitions).ns(ref.version, "gc_full_cycle"))
                }
            }
            progress?("round \(round + 1)/\(rounds)")
            if round % 2 == 0 {
                runLab()
                try runGo()
            } else {
                try runGo()
                runLab()
            }
        }
        let ratios = lab.flatMap { l in go.map { g in GCBenchRatio(lab: l.label, go: g.config, ratio: l.cycleP50 / g.cycleP50) } }
        return (lab + go, ratios)
    }
}
