import ArgumentParser
import BucketLab

// Options several subcommands share, declared once. Their bounds and
// messages are the library's (Bounds.swift), so the command line and a
// library caller refuse the same sizes with the same words.

/// `--keys` and `--payload-bytes`.
struct SizeOptions: ParsableArguments {
    @Option(name: .customLong("keys"),
            help: "Keys per workload or map (\(Bounds.keys.range.lowerBound)…\(Bounds.keys.range.upperBound); default \(SuiteConfig.defaultKeys), run: \(SuiteConfig.firstRunKeys) unless --full).")
    var given: Int?

    var keys: Int { given ?? SuiteConfig.defaultKeys }

    @Option(name: .customLong("payload-bytes"),
            help: "Bytes per payload (\(Bounds.payloadBytes.range.lowerBound)…\(Bounds.payloadBytes.range.upperBound)).")
    var payloadBytes = 48

    func validate() throws {
        try Bounds.keys.check(keys)
        try Bounds.payloadBytes.check(payloadBytes)
    }
}

/// What a suite runs and at which sizes: shared by `run` and the `cell` it
/// starts in a child process for each workload × strategy × repeat.
struct SuiteOptions: ParsableArguments {
    @Option(help: "Workloads: comma-separated built-in names or 'all' (the default unless --workload-file is given). See 'bucketlab list'.")
    var workload: String?

    @Option(name: .customLong("workload-file"),
            help: "A workload file (JSON; docs/workload-files.md) to run as a workload. May be repeated; mixes with --workload.")
    var workloadFile: [String] = []

    @Option(help: "A map trace recorded from a Go program (recorder/, docs/trace-format.md) to replay as a workload: its phases are the trace's markers, its headline the last. May be repeated; mixes with --workload and --workload-file.")
    var trace: [String] = []

    @Option(name: .customLong("trace-headline"),
            help: "The headline phase of every --trace (a marker's name; default: each trace's last marker).")
    var traceHeadline: String?

    @Option(help: "Strategies: 'all', or comma-separated strategies, each a preset and/or key=value settings joined by '+' (go,stale,clear=pointers+shrink=below:0.25). May be repeated.")
    var strategy: [String] = []

    @OptionGroup var sizes: SizeOptions

    @Option(help: "Churn window and cache capacity (default keys/10).")
    var window: Int?

    @Option(help: "GOGC percent, or 'off'.")
    var gogc = "100"

    @OptionGroup var gcWorkers: GCWorkersOption

    @Flag(name: .customLong("stw-mark"),
          help: "Pacer cycles whole at the trigger, keeping nothing allocated during the mark (default: Go's mark overlapping the mutator, modelled).")
    var stwMark = false

    @Option(help: "Seed for keys and hash seeds.")
    var seed: UInt64 = 1

    @Option(help: "Samples per phase (samples.csv).")
    var samples = 10

    @Option(help: "Fill/drain cycles of the bursty workload.")
    var bursts = 4

    @Option(help: "Size hint for every map, as Go's make(map[K]V, hint); 0 = none.")
    var hint = 0

    @Option(help: "Map models: comma-separated, of classic (Go 1.19's buckets) and swiss (Go 1.24+ Swiss tables), or 'all'.")
    var map = "all"

    @Flag(name: .customLong("no-settle"), help: "Skip the idle and freeos phases that end every workload.")
    var noSettle = false

    @Option(help: "Heap profiles (pprof/, for go tool pprof) of each cell's phase ends: \(ProfilePhases.validNames).")
    var pprof = "headline"

    /// The built-ins named, the files and the traces given, in that order; a
    /// file or trace that cannot be used is a data error (exit 65).
    func workloads() throws -> [Workload] {
        let named = try validated { try Workload.parseList(workload ?? (workloadFile.isEmpty && trace.isEmpty ? "all" : "")) }
        let files = try workloadFile.map { path in
            do { return try Workload.load(file: path) } catch let e as WorkloadFileError { throw DataError(description: e.description) }
        }
        let traces = try trace.map { path in
            do { return try Workload.load(trace: path, headline: traceHeadline) } catch let e as WorkloadFileError { throw DataError(description: e.description) }
        }
        var all = named
        for w in files + traces {
            guard !all.contains(where: { $0.name == w.name }) else {
                throw DataError(description: "\(w.file ?? w.trace?.path ?? w.name): workload '\(w.name)' is already in this run; give it another name")
            }
            all.append(w)
        }
        return all
    }

    /// `defaultKeys`: the keys when --keys is not given (`run`'s first run).
    func config(repeats: Int, defaultKeys: Int = SuiteConfig.defaultKeys) throws -> SuiteConfig {
        let workloads = try workloads()
        do {
            return try config(workloads, repeats: repeats, keys: sizes.given ?? defaultKeys)
        } catch let e as WorkloadFileError {
            throw DataError(description: e.description)
        }
    }

    private func config(_ workloads: [Workload], repeats: Int, keys: Int) throws -> SuiteConfig {
        try validated {
            try SuiteConfig(workloads: workloads, strategies: Strategy.parseLists(strategy),
                            mapModels: SuiteConfig.parseMapModels(map), keys: keys, payloadBytes: sizes.payloadBytes, window: window,
                            gogc: Bounds.parseGOGC(gogc), gcWorkers: gcWorkers.count, concurrentMark: !stwMark, seed: seed, repeats: repeats, samples: samples,
                            bursts: bursts, hint: hint, settle: !noSettle, pprof: ProfilePhases.parse(pprof))
        }
    }

    /// The options that reproduce `config` for one cell (its map model,
    /// workload and strategy).
    static func arguments(for cell: SuiteCell, of config: SuiteConfig) -> [String] {
        var arguments = ["--map", cell.map, "--strategy", cell.strategy.name,
            "--keys", String(config.keys), "--payload-bytes", String(config.payloadBytes),
            "--window", String(config.window), "--gogc", config.gogc.map(String.init) ?? "off",
            "--gc-workers", String(config.gcWorkers),
            "--seed", String(config.seed), "--samples", String(config.samples), "--bursts", String(config.bursts),
            "--hint", String(config.hint), "--pprof", config.pprof.rawValue]
        if let trace = cell.workload.trace {
            arguments += ["--trace", trace.path, "--trace-headline", cell.workload.spec.headline]
        } else if let file = cell.workload.file {
            arguments += ["--workload-file", file]
        } else {
            arguments += ["--workload", cell.workload.name]
        }
        if !config.settle { arguments.append("--no-settle") }
        if !config.concurrentMark { arguments.append("--stw-mark") }
        return arguments
    }
}

/// `--gc-workers N`: the collector's mark threads.
struct GCWorkersOption: ParsableArguments {
    @Option(name: .customLong("gc-workers"),
            help: "Mark worker threads (\(Bounds.gcWorkers.range.lowerBound)…\(Bounds.gcWorkers.range.upperBound); default: the cores, here \(onlineCores)).")
    var value: Int?

    var count: Int { value ?? onlineCores }

    func validate() throws {
        if let value { try validated { try Bounds.gcWorkers.check(value) } }
    }
}

/// `--repeat`, whose default depends on the command.
struct RepeatOption: ParsableArguments {
    @Option(name: .customLong("repeat"),
            help: "Repetitions; medians are reported (default: 3 for run, 5 for ops and gcbench).")
    var value: Int?

    func count(default d: Int) -> Int { value ?? d }

    func validate() throws {
        if let value { try Bounds.repeats.check(value) }
    }
}

/// `--out DIR`.
struct OutputOption: ParsableArguments {
    @Option(name: .customLong("out"), help: "Output directory.")
    var directory: String?
}

/// Library errors become validation errors: one line, exit 64.
func validated<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as ConfigError {
        throw ValidationError(e.description)
    } catch let e as StrategySpecError {
        throw ValidationError(e.description)
    }
}

extension SweepMode: ExpressibleByArgument {}

/// `--thp` of `ops` and `gcbench`: huge pages for every process of the
/// measurement, or for none.
enum THPSetting: String, ExpressibleByArgument, CaseIterable {
    case on, off
}
