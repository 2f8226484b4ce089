// The cost of one collection of a large map heap, as `bucketlab gcbench`
// reports it, side by side with the real Go runtime's runtime.GC() on the
// same shape (Reference/ops.go, `-mode gc`): the classic model against Go
// 1.19, the Swiss model against Go 1.24 and later, in the same rounds.

/// The heap gcbench collects, and the Go reference's `-mode gc` one: a
/// `UInt64 → payload` map of `keys` entries (fill-drain-ptr at its peak) of
/// one map model, through the map-model seam, with the same keys, collected
/// once so that nothing is left to free. Under `compact` every cycle also
/// notes objects reached twice and weighs the sparse spans (a few, under 5%
/// of the heap: nothing moves).
public final class PayloadHeap: @unchecked Sendable {
    public let heap: MHeap
    public let collector: Collector
    public let map: any MapModel
    public let keys: Int
    /// AnonHugePages the fill brought this process (KiB; −1 unknown).
    public let anonHugeKiB: Int

    public init(keys: Int, payloadBytes: Int = 48, model: any MapModel.Type = BucketMap.self, strategy: Strategy = .go,
                gcWorkers: Int = onlineCores, hugePages: Bool = true) throws {
        try Bounds.keys.check(keys)
        try Bounds.payloadBytes.check(payloadBytes)
        try Bounds.gcWorkers.check(gcWorkers)
        self.keys = keys
        let hugeBefore = HugePages.anonHugeKiB()
        heap = try MHeap(MHeap.Configuration(hugePages: hugePages, spanLayout: model.spanLayout))
        collector = Collector(heap: heap, gogc: nil, gcWorkers: gcWorkers)
        let mutator = heap.makeMutator()
        let type = heap.registerType(name: "payload", size: payloadBytes)
        map = model.init(type: .uint64ToPointer(heap: heap), mutator: mutator, policy: strategy.policy, seed: 1, hint: 0)
        Self.fill(map, keys: keys, mutator: mutator, type: type)
        collector.collect()
        let hugeAfter = HugePages.anonHugeKiB()
        anonHugeKiB = hugeBefore < 0 || hugeAfter < 0 ? -1 : hugeAfter - hugeBefore
    }

    /// Fills `map` through its concrete model: each call through the
    /// existential would retain and release the map.
    private static func fill<M: MapModel>(_ map: M, keys: Int, mutator: Mutator, type: ObjectType) {
        for k in OpsKeys(keys: keys, wantAbsent: false).present {
            let p = mutator.allocate(type)
            p.storeBytes(of: k, as: UInt64.self)
            map.updateValue(UInt64(UInt(bitPattern: p)), forKey: k)
        }
    }

    /// One full collection (mark and eager sweep), as runtime.GC() does.
    @discardableResult
    public func collect() -> CycleStats {
        let stats = collector.collect()
        precondition(map.count == keys && stats.objectsFreed == 0, "a settled heap frees nothing")
        return stats
    }
}

/// One gcbench configuration: the lab with one map model, strategy and
/// number of mark workers, or a Go runtime (whose reference reports only
/// whole cycles).
public struct GCBenchRow: Sendable {
    /// "lab", or the Go version.
    public var config: String
    /// The map model: the lab's, or the one a Go version has.
    public var map: String
    /// The lab's strategy and mark workers.
    public var strategy: String?
    public var gcWorkers: Int?
    public var keys: Int
    public var payloadBytes: Int
    public var thp: String
    public var anonHugeKiB: Int
    /// The lab's cycles, and the round each ran in.
    public var cycles: [CycleStats] = []
    /// Go: every cycle's ns, and its round.
    public var goCycleNs: [Double] = []
    /// Per sample (lab cycle or Go cycle), its round and index in the round.
    public var slots: [(round: Int, index: Int)] = []

    public var isLab: Bool { gcWorkers != nil }
    public var label: String { gcWorkers.map { "lab \(map) \(strategy ?? ""), \($0) worker(s)" } ?? "\(config) (\(map))" }

    /// Every cycle's ns, in order.
    public var cycleNs: [Double] { isLab ? cycles.map { Double($0.totalNs) } : goCycleNs }

    /// Median ns of a full cycle (mark + sweep + relocation).
    public var cycleP50: Double { median(cycleNs) }

    public static let header = ["config", "map", "strategy", "gc_workers", "keys", "payload_bytes", "thp", "anon_huge_kib",
                                "heap_object_bytes", "objects_marked", "bytes_scanned", "cycles", "mark_ns_p50",
                                "sweep_ns_p50", "relocate_ns_p50", "cycle_ns_p50", "cycle_ns_min", "cycle_ns_max",
                                "mark_gb_per_s", "mark_mobjects_per_s"]

    public var fields: [String] {
        func ns(_ v: Double) -> String { String(Int(v.rounded())) }
        let total = cycleNs
        let common = [config, map, strategy ?? "", gcWorkers.map(String.init) ?? "", String(keys), String(payloadBytes),
                      thp, String(anonHugeKiB)]
        guard isLab, let last = cycles.last else {
            return common + ["", "", "", String(total.count), "", "", "", ns(cycleP50), ns(total.min()!), ns(total.max()!),
                             "", ""]
        }
        let mark = median(cycles.map { Double($0.markNs) })
        return common + [String(last.heapAfterBytes), String(last.objectsMarked), String(last.bytesScanned),
                         String(cycles.count), ns(mark), ns(median(cycles.map { Double($0.sweepNs) })),
                         ns(median(cycles.map { Double($0.relocateNs) })), ns(cycleP50), ns(total.min()!), ns(total.max()!),
                         formatFixed(Double(last.bytesScanned) / mark, digits: 2),
                         formatFixed(Double(last.objectsMarked) / mark * 1e3, digits: 2)]
    }
}

/// A lab configuration's cycles over a Go runtime's on the same map shape,
/// measured in the same rounds: per round (median over median), and per
/// cycle (the i-th lab cycle of a round over Go's i-th of that round).
public struct GCBenchRatio: Sendable {
    public var lab: String
    public var go: String
    public var rounds: Int
    public var perRound: Spread
    public var cycles: Int
    public var perCycle: Spread

    public static let header = ["lab", "go", "rounds", "round_ratio_median", "round_ratio_min", "round_ratio_max",
                                "cycles", "cycle_ratio_median", "cycle_ratio_p25", "cycle_ratio_p75",
                                "cycle_ratio_min", "cycle_ratio_max"]
    public var fields: [String] {
        let f = { formatFixed($0, digits: 3) }
        return [lab, go, String(rounds), f(perRound.median), f(perRound.min), f(perRound.max), String(cycles),
                f(perCycle.median), f(perCycle.p25), f(perCycle.p75), f(perCycle.min), f(perCycle.max)]
    }
}

public enum CollectorBenchmark {
    /// Times full cycles of a settled `PayloadHeap` per map model, strategy
    /// and worker count in `workerCounts`, and runtime.GC() of the same heap
    /// shape in every Go reference given, in `rounds` rounds whose order
    /// alternates (lab first, then Go first), `repetitions` cycles per
    /// configuration and round. Each lab model is set against the Go
    /// references whose map it models (classic: before Go 1.24; Swiss:
    /// 1.24 and later).
    public static func run(keys: Int, payloadBytes: Int, models: [any MapModel.Type] = MapModels.defaults,
                           strategies: [Strategy] = [.go], workerCounts: [Int], repetitions: Int, rounds: Int = 3,
                           hugePages: Bool = true, references: [GoReference] = [],
                           progress: ((String) -> Void)? = nil) throws -> (rows: [GCBenchRow], ratios: [GCBenchRatio]) {
        try Bounds.repeats.check(repetitions)
        try Bounds.repeats.check(rounds)
        guard !workerCounts.isEmpty else { throw ConfigError("--gc-workers: no worker count given") }
        for w in workerCounts { try Bounds.gcWorkers.check(w) }
        guard !strategies.isEmpty else { throw ConfigError("no strategy given; \(Strategy.validSpecHelp)") }
        guard !models.isEmpty else { throw ConfigError("no map model given; valid: \(MapModels.validNames)") }
        let thp = hugePages ? "on" : "off"
        let configs = models.flatMap { m in strategies.map { (m, $0) } }
        let heaps = try configs.map {
            try PayloadHeap(keys: keys, payloadBytes: payloadBytes, model: $0.0, strategy: $0.1, hugePages: hugePages)
        }
        var lab = heaps.indices.flatMap { h in
            workerCounts.map {
                GCBenchRow(config: "lab", map: configs[h].0.modelName, strategy: configs[h].1.name, gcWorkers: $0,
                           keys: keys, payloadBytes: payloadBytes, thp: thp, anonHugeKiB: heaps[h].anonHugeKiB)
            }
        }
        // The reference's payloads are 48 bytes: other sizes are not its shape.
        let goRefs = payloadBytes == 48 ? references : []
        var go = goRefs.map {
            GCBenchRow(config: $0.version, map: $0.hasSwissMaps ? SwissMap.modelName : BucketMap.modelName, keys: keys,
                       payloadBytes: 48, thp: thp, anonHugeKiB: -1)
        }
        for round in 0..<rounds {
            func runLab() {
                for i in lab.indices {
                    let heap = heaps[i / workerCounts.count]
                    heap.collector.gcWorkers = lab[i].gcWorkers!
                    for r in 0..<repetitions {
                        lab[i].cycles.append(heap.collect())
                        lab[i].slots.append((round, r))
                    }
                }
            }
            func runGo() throws {
                for (i, ref) in goRefs.enumerated() {
                    let samples = try ref.run(mode: "gc", keys: keys, rounds: repetitions, thp: thp)
                    for s in samples {
                        go[i].goCycleNs.append(s.nsPerOp)
                        go[i].slots.append((round, s.rep))
                        go[i].anonHugeKiB = s.anonHugeKiB
                    }
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
        let ratios = lab.flatMap { l in
            go.filter { $0.map == l.map }.map { g in ratio(l, g, rounds: rounds) }
        }
        return (lab + go, ratios)
    }

    /// `lab` over `go`, round by round and cycle by cycle.
    static func ratio(_ lab: GCBenchRow, _ go: GCBenchRow, rounds: Int) -> GCBenchRatio {
        let labNs = lab.cycleNs, goNs = go.cycleNs
        var perRound: [Double] = [], perCycle: [Double] = []
        for round in 0..<rounds {
            let l = lab.slots.indices.filter { lab.slots[$0].round == round }
            let g = go.slots.indices.filter { go.slots[$0].round == round }
            guard !l.isEmpty, !g.isEmpty else { continue }
            perRound.append(median(l.map { labNs[$0] }) / median(g.map { goNs[$0] }))
            for (a, b) in zip(l, g) { perCycle.append(labNs[a] / goNs[b]) }
        }
        return GCBenchRatio(lab: lab.label, go: go.label, rounds: perRound.count, perRound: Spread(perRound),
                            cycles: perCycle.count, perCycle: Spread(perCycle))
    }
}
