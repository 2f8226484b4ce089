import ArgumentParser
import BucketLab
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `bucketlab check`: a retention gate for CI. Runs map × workload ×
/// strategy cells once (each in a process of its own, as `run` does) and
/// judges what each keeps at one phase against absolute limits and a
/// baseline folder (Output/Gate.swift defines every figure).
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fail (exit 1) when a map keeps more memory at a phase than the limits allow: a retention gate for CI.",
        discussion: """
        Each map × workload × strategy runs once (one process per cell) and is judged at the workload's headline \
        phase (starred by 'bucketlab list') or --phase, after that phase's full collection. Retained bytes are \
        the heap in use there (heap_inuse_bytes: Go's HeapInuse after runtime.GC(); REPORT.md's 'retained MiB' \
        at the headline phase); the ratio divides them by the bytes still live (live_bytes); leaked bytes are \
        those only deleted map slots keep (leaked_bytes). These heap figures repeat exactly for the same \
        options. Exit 0 when every limit holds, 1 with one line per limit broken on stderr, 64 for a \
        bad command line, 65 for a bad baseline folder or phase: both before any work, with nothing written.
        """
    )

    @Option(help: "Built-in workloads: comma-separated names (see 'bucketlab list').")
    var workload: String?

    @Option(name: .customLong("workload-file"), help: "A workload file (docs/workload-files.md) to check. May be repeated.")
    var workloadFile: [String] = []

    @Option(help: "A map trace recorded from a Go program (docs/trace-format.md) to replay and check. May be repeated.")
    var trace: [String] = []

    @Option(help: "Strategies, as for run (default: go). May be repeated.")
    var strategy: [String] = []

    @Option(help: "Map models: comma-separated, of classic, swiss, syncmap119 and synctrie, or 'all'.")
    var map = MapModels.defaultNames.joined(separator: ",")

    @Option(help: "Keys per workload: a tenth of run's default, to keep a CI gate quick; a baseline must have the same.")
    var keys = 100_000

    @Option(name: .customLong("payload-bytes"), help: "Bytes per payload.")
    var payloadBytes = 48

    @Option(help: "Churn window and cache capacity (default keys/10).")
    var window: Int?

    @Option(help: "GOGC percent, or 'off'.")
    var gogc = "100"

    @Option(help: "GOMEMLIMIT in bytes (suffixes KiB, MiB, GiB), or 'off' (docs/memory-limit.md).")
    var memlimit = "off"

    @Option(name: .customLong("container-limit"), help: "A container's memory limit in bytes: a cell past it fails the check (status oom). Default: none.")
    var containerLimit = "off"

    @OptionGroup var gcWorkers: GCWorkersOption

    @Flag(name: .customLong("stw-mark"), help: "Pacer cycles whole at the trigger (as run's --stw-mark).")
    var stwMark = false

    @Option(help: "Seed for keys and hash seeds.")
    var seed: UInt64 = 1

    @Option(help: "Fill/drain cycles of the bursty workload.")
    var bursts = 4

    @Option(help: "Size hint for every map, as Go's make(map[K]V, hint); 0 = none.")
    var hint = 0

    @Option(help: "The phase to judge (default: each workload's headline phase). idle and freeos settle the run first, which takes longer.")
    var phase: String?

    @Option(name: .customLong("max-retained-bytes"),
            help: "Largest heap in use at the phase, in bytes (suffixes KiB, MiB, GiB).")
    var maxRetainedBytes: String?

    @Option(name: .customLong("max-retained-ratio"),
            help: "Largest heap in use / live bytes at the phase; skipped (not failed) where nothing is live.")
    var maxRetainedRatio: Double?

    @Option(name: .customLong("max-leaked-bytes"),
            help: "Largest bytes kept only by deleted map slots at the phase (suffixes KiB, MiB, GiB).")
    var maxLeakedBytes: String?

    @Option(name: .customLong("max-resident-bytes"),
            help: "Largest resident set of the cell's process at the phase (suffixes KiB, MiB, GiB). Not a heap figure: it depends on the kernel's transparent huge pages and jemalloc's purging, so it differs between machines; prefer the heap limits.")
    var maxResidentBytes: String?

    @Option(help: "A folder 'bucketlab run' or 'bucketlab check --out' wrote (summary.csv, phases.csv), at the same --keys, with every cell checked here; used by --max-growth.")
    var baseline: String?

    @Option(name: .customLong("max-growth"),
            help: "Largest growth of retained bytes over --baseline at the same cell and phase, in percent ('5%' or '5').")
    var maxGrowth: String?

    @Option(help: "Write the results as JUnit XML (one test case per map × workload × strategy × limit) to this file.")
    var junit: String?

    @Option(name: .customLong("out"), help: "Also write the run's result files here (a baseline for a later check).")
    var directory: String?

    @Option(help: "Cells to run at once (default: the cores, fewer when memory is short).")
    var jobs: Int?

    /// The limits, parsed; a bad value is a ValidationError.
    func limits() throws -> GateLimits {
        func bytes(_ text: String?, _ name: String) throws -> Int? {
            guard let text else { return nil }
            guard let n = GateParse.bytes(text) else {
                throw ValidationError("--\(name) '\(text)' is not a byte count (e.g. 1048576, 512KiB, 40MiB)")
            }
            return n
        }
        var l = GateLimits()
        l.maxRetainedBytes = try bytes(maxRetainedBytes, "max-retained-bytes")
        l.maxLeakedBytes = try bytes(maxLeakedBytes, "max-leaked-bytes")
        l.maxResidentBytes = try bytes(maxResidentBytes, "max-resident-bytes")
        if let r = maxRetainedRatio {
            guard r.isFinite, r >= 0 else { throw ValidationError("--max-retained-ratio must be a non-negative number") }
            l.maxRetainedRatio = r
        }
        if let g = maxGrowth {
            guard let p = GateParse.percent(g) else { throw ValidationError("--max-growth '\(g)' is not a percentage (e.g. 5%)") }
            l.maxGrowth = p
        }
        guard (baseline == nil) == (l.maxGrowth == nil) else {
            throw ValidationError(baseline == nil ? "--max-growth needs --baseline DIR" : "--baseline needs --max-growth (e.g. 5%)")
        }
        guard !l.given.isEmpty else {
            throw ValidationError("no limit given: --max-retained-bytes, --max-retained-ratio, --max-leaked-bytes, --max-resident-bytes or --baseline with --max-growth")
        }
        return l
    }

    /// The built-ins named, then the files; a bad file is a DataError.
    func workloads() throws -> [Workload] {
        var all = try validated { try Workload.parseList(workload ?? "") }
        for path in workloadFile {
            let w: Workload
            do { w = try Workload.load(file: path) } catch let e as WorkloadFileError { throw DataError(description: e.description) }
            guard !all.contains(where: { $0.name == w.name }) else {
                throw DataError(description: "\(path): workload '\(w.name)' is already in this check; give it another name")
            }
            all.append(w)
        }
        for path in trace {
            let w: Workload
            do { w = try Workload.load(trace: path) } catch let e as WorkloadFileError { throw DataError(description: e.description) }
            guard !all.contains(where: { $0.name == w.name }) else {
                throw DataError(description: "\(path): workload '\(w.name)' is already in this check; give the trace another file name")
            }
            all.append(w)
        }
        return all
    }

    func config() throws -> SuiteConfig {
        // The idle and freeos phases exist only when the run settles.
        let settle = phase.map(Workload.settlePhases.contains) ?? false
        let workloads = try workloads()
        do {
            return try config(workloads, settle: settle)
        } catch let e as WorkloadFileError {
            throw DataError(description: e.description)
        }
    }

    private func config(_ workloads: [Workload], settle: Bool) throws -> SuiteConfig {
        try validated {
            try SuiteConfig(workloads: workloads, strategies: Strategy.parseLists(strategy.isEmpty ? ["go"] : strategy),
                            mapModels: SuiteConfig.parseMapModels(map), keys: keys, payloadBytes: payloadBytes, window: window,
                            gogc: Bounds.parseGOGC(gogc), gcWorkers: gcWorkers.count, concurrentMark: !stwMark, seed: seed,
                            repeats: 1, bursts: bursts, hint: hint, settle: settle, pprof: .none,
                            memlimit: Bounds.parseBytes(memlimit, Bounds.memlimit),
                            containerLimit: Bounds.parseBytes(containerLimit, Bounds.containerLimit))
        }
    }

    func validate() throws {
        if workload == "all" { throw ValidationError("--workload: name the workloads to check (comma-separated), not 'all'") }
        if workload == nil && workloadFile.isEmpty && trace.isEmpty {
            throw ValidationError("give --workload NAME, --workload-file FILE or --trace TRACE")
        }
        do {
            _ = try config()
        } catch is DataError {
            // A bad workload file: run() reports it, before any work, with
            // the data-error status ArgumentParser's validation would lose.
        }
        _ = try limits()
        if let jobs { try validated { try Bounds.jobs.check(jobs) } }
        if let junit {
            // Refused now, not after the run: a folder that can take the file.
            let parent = (junit as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            let folder = parent.isEmpty ? "." : parent
            guard !junit.hasSuffix("/"), FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory),
                  isDirectory.boolValue, access(folder, W_OK) == 0 else {
                throw ValidationError("--junit \(junit): cannot write a file there")
            }
        }
    }

    func run() throws {
        let config = try config()
        let limits = try limits()
        // Everything the data can refuse, before any work.
        func phaseName(_ w: Workload) -> String { phase ?? w.checkHeadline(config) }
        for w in config.workloads {
            let all = w.checkPhases(config)
            guard all.contains(phaseName(w)) else {
                throw DataError(description: "workload \(w.rawValue) has no phase '\(phaseName(w))'; its phases: \(all.joined(separator: ", "))")
            }
        }
        let cells = Suite.cells(config, runID: "check")
        var base: GateBaseline?
        if let baseline {
            let b = try GateBaseline.read(baseline)
            try b.check(covers: cells.map { ($0.key.cell, phaseName($0.workload)) }, keys: config.keys)
            base = b
        }
        if let directory { try prepareOutputDirectory(directory) }

        let fit = Bounds.availableMemoryBytes().map { max(1, $0 / max(1, config.estimatedPeakBytes)) } ?? 1
        let jobs = self.jobs ?? max(1, min(onlineCores, fit, cells.count))
        let runID = directory.map { ($0 as NSString).lastPathComponent } ?? "check"
        let result = try Suite.run(config, runID: runID, progress: nil,
                                   runCell: { @Sendable cell in try CellProcess.run(cell, config: config, progress: false) },
                                   jobs: jobs,
                                   cellDone: ProgressLine.onTerminal ? { @Sendable done, total in ProgressLine.show?("cells \(done)/\(total)") } : nil)
        ProgressLine.end()
        if let directory {
            try result.write(to: directory)
            try writeFileAtomically(RunInfo(config: config, machine: MachineInfo.facts, jobs: jobs).json, to: directory + "/run.json")
        }
        let workloads = Dictionary(config.workloads.map { ($0.rawValue, $0) }) { a, _ in a }
        let results = Gate.evaluate(summaries: result.summaries, phases: result.phases, limits: limits,
                                    phase: { workloads[$0].map(phaseName) ?? "" }, baseline: base)
        if let junit {
            let header = JUnitHeader(timestamp: Self.timestamp(), hostname: ProcessInfo.processInfo.hostName,
                                     properties: properties(config))
            try writeFileAtomically(JUnit.xml(results, header: header), to: junit)
        }
        var bad = 0
        for r in results {
            switch r.outcome {
            case .held, .skipped: print(r.line)
            case .broken, .error:
                bad += 1
                writeStandardError("bucketlab: " + r.line + "\n")
            }
        }
        print("check: \(results.count - bad) of \(results.count) limits held or skipped, \(bad) broken or failed")
        if bad > 0 { throw ExitCode(1) }
    }

    /// The settings that make the figures, for the JUnit properties.
    func properties(_ config: SuiteConfig) -> [(name: String, value: String)] {
        [("keys", String(config.keys)), ("payload-bytes", String(config.payloadBytes)), ("seed", String(config.seed)),
         ("hint", String(config.hint)), ("gogc", config.gogc.map(String.init) ?? "off"),
         ("phase", phase ?? "headline"), ("baseline", baseline ?? ""), ("commit", MachineInfo.gitCommit ?? "unknown")]
    }

    /// Now, as the JUnit XSD's timestamp wants it: ISO 8601, UTC, no zone.
    static func timestamp() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: Date())
    }
}

extension Workload {
    /// The phase the summary's headline figures come from.
    func checkHeadline(_ config: SuiteConfig) -> String { headlinePhase(config.sizes) }

    /// Every phase a run can end, the settling ones included.
    func checkPhases(_ config: SuiteConfig) -> [String] { phases(config.sizes, settle: true) }
}
