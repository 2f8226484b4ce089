import Dispatch
import Foundation
// Harness: how a measurement is made.
//
//   suite ─▶ cells ─▶ phases ─▶ rows
//
// A suite (SuiteConfig) is map models × workloads × strategies × repeats. Each cell runs
// in a process of its own when the command line runs the suite (`bucketlab
// run` starts `bucketlab cell` per cell and gathers the rows it writes), so
// RSS, peak RSS, jemalloc's state and a crash belong to that cell alone; a
// cell that dies becomes a failed row and the others go on. In a process
// (WorkloadRun.swift) a cell gets a fresh heap (its own jemalloc arena), a
// collector and the maps its workload makes — through the map-model seam only
// (LabMaps/MapModel.swift), so the harness runs any map model the same way.
// A workload (Workload.swift: a workload file's phases of steps, run by
// Workload+Run.swift) is a script of named phases; every operation
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
    /// The map models every workload runs on (MapModels.names), in order.
    public private(set) var mapModels: [String]
    public private(set) var keys: Int
    public private(set) var payloadBytes: Int
    /// Churn window and cache capacity.
    public private(set) var window: Int
    public private(set) var gogc: Int?
    /// GOMEMLIMIT in bytes (nil: none), and a container's memory limit: a
    /// cell whose modelled total memory passes it is killed (docs/memory-limit.md).
    public private(set) var memlimit: Int?
    public private(set) var containerLimit: Int?
    /// The collector's mark workers (Collector.gcWorkers).
    public private(set) var gcWorkers: Int
    /// Pacer cycles mark while the mutator runs on, as Go's do
    /// (Collector+ConcurrentMark.swift); false: whole at the trigger.
    public private(set) var concurrentMark: Bool
    public private(set) var seed: UInt64
    public private(set) var repeats: Int
    /// Samples per phase.
    public private(set) var samples: Int
    /// Fill/drain cycles of `bursty`.
    public private(set) var bursts: Int
    /// Go's `make(map[K]V, hint)` for every map a workload makes; 0 = none.
    public private(set) var hint: Int
    /// End every workload with the `idle` and `freeos` phases.
    public private(set) var settle: Bool
    /// Which phase ends write a heap profile (pprof/, repeat 1 only).
    public private(set) var pprof: ProfilePhases
    /// Whether phase ends take the census (the `retained_by_*` columns and
    /// the profiles): off only for callers that need neither, such as the
    /// Go fidelity tests, whose 10^6-key suites would pay it unoptimised.
    public private(set) var census: Bool
    /// The models of Go's GC CPU the run prices its cycles with.
    public private(set) var gcCost: GoGCCost.Models

    /// Keys of the full suite (`bucketlab run --full`, the reference run,
    /// with `fullRepeats`) and of every command's `--keys` default.
    public static let defaultKeys = 1_000_000
    public static let fullRepeats = 3
    /// The first run (`bucketlab run` without `--full`): every workload ×
    /// preset × map model at this size, once, to answer in about a minute on
    /// two cores with the full suite's best strategies; chosen by measurement
    /// (docs/notes/first-run.md).
    public static let firstRunKeys = 300_000
    public static let firstRunRepeats = 1

    public init(workloads: [Workload] = Workload.allCases, strategies: [Strategy] = Strategy.presets,
                mapModels: [String] = MapModels.defaultNames, keys: Int = SuiteConfig.defaultKeys, payloadBytes: Int = 48,
                window: Int? = nil, gogc: Int? = 100, gcWorkers: Int = onlineCores, concurrentMark: Bool = true, seed: UInt64 = 1, repeats: Int = 1, samples: Int = 10,
                bursts: Int = 4, hint: Int = 0, settle: Bool = true, pprof: ProfilePhases = .headline,
                census: Bool = true, memlimit: Int? = nil, containerLimit: Int? = nil,
                gcCost: GoGCCost.Models = .committed) throws {
        guard !workloads.isEmpty else { throw ConfigError("no workload given; valid: \(Workload.validNames)") }
        guard !strategies.isEmpty else { throw ConfigError("no strategy given; \(Strategy.validSpecHelp)") }
        guard !mapModels.isEmpty else { throw ConfigError("no map model given; valid: \(MapModels.validNames)") }
        for name in mapModels where MapModels.named(name) == nil {
            throw ConfigError("unknown map model '\(name)'; valid: \(MapModels.validNames)")
        }
        try Bounds.keys.check(keys)
        try Bounds.payloadBytes.check(payloadBytes)
        let window = window ?? max(1, keys / 10)
        try Bounds.window(keys: keys).check(window)
        if let gogc { try Bounds.gogc.check(gogc) }
        if let memlimit { try Bounds.memlimit.check(memlimit) }
        if let containerLimit { try Bounds.containerLimit.check(containerLimit) }
        try Bounds.gcWorkers.check(gcWorkers)
        try Bounds.repeats.check(repeats)
        try Bounds.samples.check(samples)
        try Bounds.bursts.check(bursts)
        try Bounds.hint.check(hint)
        self.workloads = workloads
        self.strategies = strategies
        self.mapModels = mapModels
        self.keys = keys
        self.payloadBytes = payloadBytes
        self.window = window
        self.gogc = gogc
        self.memlimit = memlimit
        self.containerLimit = containerLimit
        self.gcWorkers = gcWorkers
        self.concurrentMark = concurrentMark
        self.seed = seed
        self.repeats = repeats
        self.samples = samples
        self.bursts = bursts
        self.hint = hint
        self.settle = settle
        self.pprof = census ? pprof : .none
        self.census = census
        self.gcCost = gcCost
        for w in workloads { try w.validate(sizes) }
        try Bounds.checkFreeMemory(needs: leastPeakBytes,
                                   for: "--keys \(keys) with --payload-bytes \(payloadBytes)")
    }

    /// A comma-separated list of map model names, or `all`.
    public static func parseMapModels(_ text: String) throws -> [String] {
        if text == "all" { return MapModels.names }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { name in
            guard MapModels.named(String(name)) != nil else {
                throw ConfigError("unknown map model '\(name)'; valid: \(MapModels.validNames)")
            }
            return String(name)
        }
    }

    /// A generous estimate of the peak memory of the largest run: bucket
    /// arrays (with the old array of a grow), payloads, and the harness's own
    /// tables.
    public var estimatedPeakBytes: Int {
        let perKey = MapModels.worstCaseBytesPerWordEntry + SizeClasses.roundUpSize(payloadBytes) + 64
        return keys * perKey * 2 + (64 << 20)
    }

    /// The least a cell of this size needs: a full map at its worst and its
    /// payloads. A run is refused only when this much is not free (the
    /// generous estimate above sets how many cells run at once).
    public var leastPeakBytes: Int {
        keys * (MapModels.worstCaseBytesPerWordEntry + SizeClasses.roundUpSize(payloadBytes))
    }
}

/// One map model × workload × strategy × repeat of a suite.
/// Which phase ends of a cell write a heap profile (`--pprof`).
public enum ProfilePhases: String, Sendable, CaseIterable {
    /// The workload's headline phase (the summary's).
    case headline
    case all
    case none

    public static var validNames: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public static func parse(_ text: String) throws -> ProfilePhases {
        guard let p = ProfilePhases(rawValue: text) else {
            throw ConfigError("unknown --pprof '\(text)'; valid: \(validNames)")
        }
        return p
    }
}

/// A heap profile a cell wrote: its file name under `pprof/` and its bytes.
public struct ProfileFile: Sendable {
    public var name: String
    public var bytes: [UInt8]
}

public struct SuiteCell: Sendable {
    /// The map model's name (MapModels.names).
    public var map: String { key.map }
    public let workload: Workload
    public let strategy: Strategy
    public let key: RunKey

    public init(workload: Workload, strategy: Strategy, key: RunKey) {
        self.workload = workload
        self.strategy = strategy
        self.key = key
    }
}

/// Everything one cell produced.
public struct CellResult: Sendable {
    public var phases: [PhaseRow] = []
    public var samples: [SampleRow] = []
    public var gc: [GCRow] = []
    public var heap: [HeapClassRow] = []
    public var profiles: [ProfileFile] = []
    public var summary: RunSummary
    public var times = CellTimes()

    public init(summary: RunSummary) { self.summary = summary }

    /// A cell that did not finish: no rows, and why in its summary.
    public static func failed(_ cell: SuiteCell, config: SuiteConfig, status: String) -> CellResult {
        var s = RunSummary(key: cell.key, keys: config.keys)
        s.status = status
        s.headlinePhase = cell.workload.headlinePhase(config.sizes)
        return CellResult(summary: s)
    }

    /// The files a cell run in a process of its own leaves for the suite
    /// (Harness/Cells: `bucketlab run` gathers them), written atomically.
    public func write(to dir: String) throws {
        try writeFileAtomically(PhaseRow.csv(phases), to: dir + "/phases.csv")
        try writeFileAtomically(SampleRow.csv(samples), to: dir + "/samples.csv")
        try writeFileAtomically(GCRow.csv(gc), to: dir + "/gc.csv")
        try writeFileAtomically(HeapClassRow.csv(heap), to: dir + "/heap.csv")
        try writeFileAtomically(RunSummary.csv([summary]), to: dir + "/cell.csv")
        try ProfileFile.write(profiles, to: dir)
    }

    /// Reads what `write(to:)` left, for `cell`.
    public static func read(from dir: String, cell: SuiteCell) throws -> CellResult {
        let summaries = try RunSummary.read(dir + "/cell.csv")
        guard summaries.count == 1, var summary = summaries.first else {
            throw CSVError(description: "\(dir)/cell.csv: expected one row")
        }
        summary.key = cell.key
        var result = CellResult(summary: summary)
        result.phases = try PhaseRow.read(dir + "/phases.csv")
        result.samples = try SampleRow.read(dir + "/samples.csv")
        result.gc = try GCRow.read(dir + "/gc.csv")
        result.heap = try HeapClassRow.read(dir + "/heap.csv")
        result.profiles = try ProfileFile.read(from: dir)
        return result
    }
}

extension ProfileFile {
    static let directory = "pprof"

    /// Writes `profiles` into `dir`/pprof/ (made if needed; nothing when
    /// there are none).
    static func write(_ profiles: [ProfileFile], to dir: String) throws {
        guard !profiles.isEmpty else { return }
        try prepareOutputDirectory(dir + "/" + directory)
        for p in profiles { try writeFileAtomically(bytes: p.bytes, to: dir + "/" + directory + "/" + p.name) }
    }

    /// The profiles in `dir`/pprof/, if any.
    static func read(from dir: String) throws -> [ProfileFile] {
        let path = dir + "/" + directory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        return try names.sorted().map { name in
            guard let data = FileManager.default.contents(atPath: path + "/" + name) else {
                throw OutputError(description: "cannot read \(path)/\(name)")
            }
            return ProfileFile(name: name, bytes: Array(data))
        }
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
    public var profiles: [ProfileFile] = []
    public var summaries: [RunSummary] = []
    public var startNs: UInt64 = 0

    /// Cells that did not finish.
    /// Cells that did not finish; a cell a container limit killed did.
    public var failedCells: [RunSummary] { summaries.filter { !$0.succeeded && !$0.killed } }

    mutating func append(_ cell: CellResult) {
        phases += cell.phases
        samples += cell.samples
        gc += cell.gc
        heap += cell.heap
        profiles += cell.profiles
        summaries.append(cell.summary)
    }
}

public enum Suite {
    /// The cells of `config`, in suite order.
    public static func cells(_ config: SuiteConfig, runID: String) -> [SuiteCell] {
        config.mapModels.flatMap { map in
            config.workloads.flatMap { workload in
                config.strategies.flatMap { strategy in
                    (1...config.repeats).map { rep in
                        SuiteCell(workload: workload, strategy: strategy,
                                  key: RunKey(runID: runID, map: map, workload: workload.rawValue,
                                              strategy: strategy.name, repeatIndex: rep, keys: config.keys,
                                              payloadBytes: config.payloadBytes, gogc: config.gogcText(for: workload),
                                              memlimit: config.memlimitText(for: workload)))
                    }
                }
            }
        }
    }

    /// Runs every cell of the suite: with `runCell` (the command line runs
    /// each in a child process, so RSS, jemalloc state and crashes belong to
    /// one cell), or here, one after the other. `progress` gets a short line
    /// per phase step (for a terminal).
    ///
    /// With `runCell` and `jobs` > 1, up to `jobs` cells run at once (each in
    /// its own process); results are gathered in suite order, so the files
    /// are laid out as by one job. `cellDone` is told how many cells have
    /// finished.
    public static func run(_ config: SuiteConfig, runID: String, progress: ((String) -> Void)? = nil,
                           runCell: (@Sendable (SuiteCell) throws -> CellResult)? = nil, jobs: Int = 1,
                           cellDone: (@Sendable (_ done: Int, _ of: Int) -> Void)? = nil) throws -> SuiteResult {
        var result = SuiteResult(runID: runID, config: config)
        result.startNs = monotonicNanos()
        let all = cells(config, runID: runID)
        guard let runCell, jobs > 1 else {
            for (i, cell) in all.enumerated() {
                result.append(try runCell?(cell) ?? run(cell, config: config, progress: progress))
                cellDone?(i + 1, all.count)
            }
            return result
        }
        let outcomes = CellOutcomes(count: all.count)
        let queue = DispatchQueue(label: "bucketlab.cells", attributes: .concurrent)
        let slots = DispatchSemaphore(value: jobs)
        let group = DispatchGroup()
        for (i, cell) in all.enumerated() {
            slots.wait()
            if outcomes.failed { slots.signal(); break }
            queue.async(group: group) {
                defer { slots.signal() }
                let outcome = Result { try runCell(cell) }
                let done = outcomes.set(i, outcome)
                cellDone?(done, all.count)
            }
        }
        group.wait()
        for outcome in try outcomes.all() { result.append(outcome) }
        return result
    }

    /// Runs one cell in this process.
    public static func run(_ cell: SuiteCell, config: SuiteConfig, progress: ((String) -> Void)? = nil) throws -> CellResult {
        try run(cell, config: config, progress: progress, shaped: false)
    }

    /// `shaped`: every map call through the seam's raw entry points (a
    /// test's comparison with the fast paths).
    static func run(_ cell: SuiteCell, config: SuiteConfig, progress: ((String) -> Void)?, shaped: Bool) throws -> CellResult {
        let run = try WorkloadRun(config: config, key: cell.key, workload: cell.workload, strategy: cell.strategy,
                                  progress: progress)
        let t0 = monotonicNanos()
        try cell.workload.run(run, shaped: shaped)
        let t1 = monotonicNanos()
        if config.settle && cell.workload.spec.settle { run.settle() }
        run.times.workloadNs = t1 - t0
        run.times.settleNs = monotonicNanos() - t1
        var result = CellResult(summary: run.summary())
        result.phases = run.phases
        result.samples = run.samples
        result.heap = run.heapRows
        result.profiles = run.profiles
        result.gc = run.collector.trace.map {
            GCRow(key: cell.key, cycle: $0, go119Ns: config.gcCost.go119.cpuNs($0), gocurNs: config.gcCost.gocur.cpuNs($0))
        }
        result.times = run.times
        return result
    }

    /// Median over the repeats that finished of each map × workload × strategy, in
    /// suite order; a cell with failed repeats says so in its status.
    public static func medianSummaries(_ runs: [RunSummary]) -> [RunSummary] {
        var order: [RunKey] = []
        var groups: [RunKey: [RunSummary]] = [:]
        for r in runs {
            let k = r.key.cell
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(r)
        }
        return order.map { k in
            let all = groups[k]!
            let g = all.filter(\.succeeded)
            let failures = all.filter { !$0.succeeded }
            let allKilled = !failures.isEmpty && failures.allSatisfy(\.killed)
            guard !g.isEmpty else {
                var s = all[0]
                s.key = k
                s.status = allKilled ? RunSummary.oomStatus
                    : "failed: \(failures.count) of \(all.count) repeats (\(failures[0].status))"
                return s
            }
            func mid(_ f: (RunSummary) -> Int) -> Int { Int(median(g.map { Double(f($0)) })) }
            var s = RunSummary(key: k, keys: g[0].keys)
            if allKilled {
                s.status = "\(RunSummary.oomStatus): \(failures.count) of \(all.count) repeats"
                s.oomPhase = failures[0].oomPhase
            } else if !failures.isEmpty {
                s.status = "failed: \(failures.count) of \(all.count) repeats (\(failures[0].status))"
            }
            s.peakHeapInuseBytes = mid(\.peakHeapInuseBytes)
            s.headlinePhase = g[0].headlinePhase
            s.headlineHeapInuseBytes = mid(\.headlineHeapInuseBytes)
            s.headlineLiveBytes = mid(\.headlineLiveBytes)
            s.headlineResidentBytes = mid(\.headlineResidentBytes)
            s.idleResidentBytes = mid(\.idleResidentBytes)
            s.freeosResidentBytes = mid(\.freeosResidentBytes)
            s.finalHeapInuseBytes = mid(\.finalHeapInuseBytes)
            s.finalLiveBytes = mid(\.finalLiveBytes)
            s.peakRSSBytes = mid(\.peakRSSBytes)
            s.gcCycles = mid(\.gcCycles)
            s.gcTotalNs = UInt64(mid { Int($0.gcTotalNs) })
            s.modelledGoGCCPUNs = UInt64(mid { Int($0.modelledGoGCCPUNs) })
            s.opsPerSecond = median(g.map(\.opsPerSecond))
            s.p50OpNs = mid(\.p50OpNs)
            s.p99OpNs = mid(\.p99OpNs)
            s.leakedBytesFinal = mid(\.leakedBytesFinal)
            return s
        }
    }
}

/// The results of cells run at once, kept by position; the first error
/// stops new cells from starting.
private final class CellOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<CellResult, any Error>?]
    private var done = 0

    init(count: Int) { results = Array(repeating: nil, count: count) }

    var failed: Bool {
        lock.withLock { results.contains { if case .failure = $0 { true } else { false } } }
    }

    /// Stores cell `i`'s outcome; the number of cells finished so far.
    func set(_ i: Int, _ outcome: Result<CellResult, any Error>) -> Int {
        lock.withLock {
            results[i] = outcome
            done += 1
            return done
        }
    }

    /// Every result in order, or the first error (cells after it may not
    /// have run).
    func all() throws -> [CellResult] {
        try lock.withLock {
            for case let .failure(error)? in results { throw error }
            return results.compactMap { try? $0?.get() }
        }
    }
}
