// Harness: how a measurement is made.
//
//   suite ─▶ cells ─▶ phases ─▶ rows
//
// A suite (SuiteConfig) is workloads × strategies × repeats. Each cell
// (WorkloadRun.swift) gets a fresh heap (its own jemalloc arena), a collector
// and the maps its workload makes — through the map-model seam only
// (LabMaps/MapModel.swift), so the harness runs any map model the same way.
// A workload (Workload.swift) is a script of named phases; every operation
// goes through `WorkloadRun.op`, which times one in eight and lets the pacer
// collect at the safe point after it; a few samples are taken within each
// phase, and each phase ends as Go's `runtime.GC(); runtime.ReadMemStats`
// would: a full collection, then a measurement. The rows a suite produces go
// to Output/, which writes them and draws the report from the files.
//
// Sizes and counts are checked once, against Bounds.swift, by the config
// initialisers the command line also calls. StressTest, OpsBenchmark and
// CollectorBenchmark are the other measurements the CLI runs on the same
// tiers.

/// What a suite runs, at which sizes. The initialiser refuses sizes out of
/// `Bounds` with the command line's one-line messages.
public struct SuiteConfig: Sendable {
    public private(set) var workloads: [Workload]
    public private(set) var strategies: [Strategy]
    /// The map model every workload runs on.
    public private(set) var mapModel: String
    public private(set) var keys: Int
    public private(set) var payloadBytes: Int
    /// Churn window and cache capacity.
    public private(set) var window: Int
    public private(set) var gogc: Int?
    public private(set) var seed: UInt64
    public private(set) var repeats: Int
    /// Samples per phase.
    public private(set) var samples: Int
    /// Fill/drain cycles of `bursty`.
    public private(set) var bursts: Int
    /// Go's `make(map[K]V, hint)` for every map a workload makes; 0 = none.
    public private(set) var hint: Int

    /// The default suite: every workload × every preset, sized to finish in
    /// about two minutes on two cores.
    public static let defaultKeys = 1_000_000

    public init(workloads: [Workload] = Workload.allCases, strategies: [Strategy] = Strategy.presets,
                mapModel: String = BucketMap.modelName, keys: Int = SuiteConfig.defaultKeys, payloadBytes: Int = 48,
                window: Int? = nil, gogc: Int? = 100, seed: UInt64 = 1, repeats: Int = 1, samples: Int = 10,
                bursts: Int = 4, hint: Int = 0) throws {
        guard !workloads.isEmpty else { throw ConfigError("no workload given; valid: \(Workload.validNames)") }
        guard !strategies.isEmpty else { throw ConfigError("no strategy given; \(Strategy.validSpecHelp)") }
        guard MapModels.named(mapModel) != nil else {
            throw ConfigError("unknown map model '\(mapModel)'; valid: \(MapModels.names.joined(separator: ", "))")
        }
        try Bounds.keys.check(keys)
        try Bounds.payloadBytes.check(payloadBytes)
        let window = window ?? max(1, keys / 10)
        try Bounds.window(keys: keys).check(window)
        if let gogc { try Bounds.gogc.check(gogc) }
        try Bounds.repeats.check(repeats)
        try Bounds.samples.check(samples)
        try Bounds.bursts.check(bursts)
        try Bounds.hint.check(hint)
        self.workloads = workloads
        self.strategies = strategies
        self.mapModel = mapModel
        self.keys = keys
        self.payloadBytes = payloadBytes
        self.window = window
        self.gogc = gogc
        self.seed = seed
        self.repeats = repeats
        self.samples = samples
        self.bursts = bursts
        self.hint = hint
        try Bounds.checkFreeMemory(needs: estimatedPeakBytes,
                                   for: "--keys \(keys) with --payload-bytes \(payloadBytes)")
    }

    /// A generous estimate of the peak memory of the largest run: bucket
    /// arrays (with the old array of a grow), payloads, and the harness's own
    /// tables.
    public var estimatedPeakBytes: Int {
        let perKey = MapModels.worstCaseBytesPerWordEntry + SizeClasses.roundUpSize(payloadBytes) + 64
        return keys * perKey * 2 + (64 << 20)
    }
}

/// Everything one suite produced.
public struct SuiteResult: Sendable {
    public var runID: String
    public var config: SuiteConfig
    public var phases: [PhaseRow] = []
    public var samples: [SampleRow] = []
    public var gc: [GCRow] = []
    public var heap: [HeapClassRow] = []
    public var summaries: [RunSummary] = []
    public var startNs: UInt64 = 0
}

public enum Suite {
    /// Runs every workload × strategy × repeat. `progress` gets a short line
    /// per phase step (for a terminal).
    public static func run(_ config: SuiteConfig, runID: String, progress: ((String) -> Void)? = nil) throws -> SuiteResult {
        var result = SuiteResult(runID: runID, config: config)
        result.startNs = monotonicNanos()
        for workload in config.workloads {
            for strategy in config.strategies {
                for rep in 1...config.repeats {
                    let key = RunKey(runID: runID, workload: workload.rawValue, strategy: strategy.name, repeatIndex: rep)
                    let run = try WorkloadRun(config: config, key: key, workload: workload, strategy: strategy,
                                              progress: progress)
                    workload.run(run)
                    result.phases += run.phases
                    result.samples += run.samples
                    result.heap += run.heapRows
                    result.gc += run.collector.trace.map { GCRow(key: key, cycle: $0) }
                    result.summaries.append(run.summary())
                }
            }
        }
        return result
    }

    /// Median over repeats of each workload × strategy, in suite order.
    public static func medianSummaries(_ runs: [RunSummary]) -> [RunSummary] {
        var order: [RunKey] = []
        var groups: [RunKey: [RunSummary]] = [:]
        for r in runs {
            let k = r.key.cell
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(r)
        }
        return order.map { k in
            let g = groups[k]!
            func mid(_ f: (RunSummary) -> Int) -> Int { Int(median(g.map { Double(f($0)) })) }
            var s = RunSummary(key: k, keys: g[0].keys)
            s.peakHeapInuseBytes = mid(\.peakHeapInuseBytes)
            s.headlinePhase = g[0].headlinePhase
            s.headlineHeapInuseBytes = mid(\.headlineHeapInuseBytes)
            s.headlineLiveBytes = mid(\.headlineLiveBytes)
            s.finalHeapInuseBytes = mid(\.finalHeapInuseBytes)
            s.finalLiveBytes = mid(\.finalLiveBytes)
            s.peakRSSBytes = mid(\.peakRSSBytes)
            s.gcCycles = mid(\.gcCycles)
            s.gcTotalNs = UInt64(mid { Int($0.gcTotalNs) })
            s.opsPerSecond = median(g.map(\.opsPerSecond))
            s.p50OpNs = mid(\.p50OpNs)
            s.p99OpNs = mid(\.p99OpNs)
            s.leakedBytesFinal = mid(\.leakedBytesFinal)
            return s
        }
    }
}
