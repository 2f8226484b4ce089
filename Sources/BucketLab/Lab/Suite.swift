// The harness: a suite is workloads × strategies × repeats; each run gets a
// fresh heap (its own jemalloc arena), collector and maps, runs its phases
// (each ends with a full collection and a measurement), and the suite writes
// every result file at the end (ResultFiles.swift), each atomically.

/// What a suite runs, at which sizes.
public struct SuiteConfig: Sendable {
    public var workloads: [Workload]
    public var strategies: [(name: String, policy: ClearingPolicy)]
    public var keys: Int
    public var payloadBytes: Int
    /// Churn window and cache capacity.
    public var window: Int
    public var gogc: Int?
    public var seed: UInt64
    public var repeats: Int
    /// Samples per phase.
    public var samples: Int
    /// Fill/drain cycles of `bursty`.
    public var bursts: Int

    /// The default suite: every workload × every preset, sized to finish in
    /// about two minutes on two cores.
    public static let defaultKeys = 1_000_000

    public init(workloads: [Workload] = Workload.allCases,
                strategies: [(name: String, policy: ClearingPolicy)] = ClearingPolicy.presets.map { ($0.name, $0.policy) },
                keys: Int = SuiteConfig.defaultKeys, payloadBytes: Int = 48, window: Int? = nil, gogc: Int? = 100,
                seed: UInt64 = 1, repeats: Int = 1, samples: Int = 10, bursts: Int = 4) {
        self.workloads = workloads
        self.strategies = strategies
        self.keys = keys
        self.payloadBytes = payloadBytes
        self.window = window ?? max(1, keys / 10)
        self.gogc = gogc
        self.seed = seed
        self.repeats = repeats
        self.samples = samples
        self.bursts = bursts
    }

    /// A generous estimate of the peak memory of the largest run: bucket
    /// arrays (with the old array of a grow), payloads, and the harness's own
    /// tables.
    public var estimatedPeakBytes: Int {
        let perKey = 3 * 144 / 6 + SizeClasses.roundUpSize(payloadBytes) + 64
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
                    let key = RunKey(workload: workload.rawValue, strategy: strategy.name, repeatIndex: rep)
                    let run = try WorkloadRun(config: config, key: key, policy: strategy.policy, progress: progress)
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
            var k = r.key
            k.repeatIndex = 0
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(r)
        }
        return order.map { k in
            let g = groups[k]!
            func mid(_ f: (RunSummary) -> Int) -> Int { Int(median(g.map { Double(f($0)) })) }
            var s = RunSummary(key: k, keys: g[0].keys)
            s.peakHeapInuseBytes = mid(\.peakHeapInuseBytes)
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
