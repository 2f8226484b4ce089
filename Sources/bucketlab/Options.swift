import ArgumentParser
import Foundation
import BucketLab

// Options several subcommands share, declared once. Their bounds and
// messages are the library's (Bounds.swift), so the command line and a
// library caller refuse the same sizes with the same words.

/// `--keys` and `--payload-bytes`: one value each, or for `run` a
/// comma-separated list of values to sweep.
struct SizeOptions: ParsableArguments {
    @Option(name: .customLong("keys"),
            help: "Keys per workload or map (\(Bounds.keys.range.lowerBound)…\(Bounds.keys.range.upperBound), digits or 1e6; default \(SuiteConfig.defaultKeys), run: \(SuiteConfig.firstRunKeys) unless --full). run: a comma-separated list sweeps (1e5,1e6).")
    var keysText: String?

    @Option(name: .customLong("payload-bytes"),
            help: "Bytes per payload (\(Bounds.payloadBytes.range.lowerBound)…\(Bounds.payloadBytes.range.upperBound)). run: a comma-separated list sweeps.")
    var payloadText = "48"

    /// Every `--keys` value given (empty when none was).
    var keysList: [Int] { (try? Self.counts(keysText ?? "", "--keys", Bounds.keys)) ?? [] }
    var payloadList: [Int] { (try? Self.counts(payloadText, "--payload-bytes", Bounds.payloadBytes)) ?? [48] }

    var given: Int? { keysList.first }
    var keys: Int { given ?? SuiteConfig.defaultKeys }
    var payloadBytes: Int { payloadList.first ?? 48 }
    /// Whether a list was given (a sweep: `run` only).
    var isSweep: Bool { keysList.count > 1 || payloadList.count > 1 }

    func validate() throws {
        if let keysText { _ = try Self.counts(keysText, "--keys", Bounds.keys) }
        _ = try Self.counts(payloadText, "--payload-bytes", Bounds.payloadBytes)
    }

    /// Refuses a list where one value is meant.
    func requireSingle() throws {
        if isSweep { throw ValidationError("--keys and --payload-bytes take one value here; lists are for 'bucketlab run'") }
    }

    /// A comma-separated list of counts (digits, or a mantissa and an
    /// exponent: 1e6, 2.5e6), each within `bound`, none twice.
    static func counts(_ text: String, _ option: String, _ bound: Bound) throws -> [Int] {
        var out: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let n = count(String(part)) else {
                throw ValidationError("\(option): '\(part)' is not a whole number (digits, or like 1e6)")
            }
            try validated { try bound.check(n) }
            guard !out.contains(n) else { throw ValidationError("\(option): \(n) is listed twice") }
            out.append(n)
        }
        return out
    }

    static func count(_ text: String) -> Int? {
        if let n = Int(text) { return n }
        let parts = text.lowercased().split(separator: "e", omittingEmptySubsequences: false)
        guard parts.count == 2, let m = Double(parts[0]), let e = Int(parts[1]), (0...12).contains(e),
              parts[0].allSatisfy({ $0.isNumber || $0 == "." }) else { return nil }
        let v = m * pow(10, Double(e))
        guard v == v.rounded(), v >= 0, v < 1e15 else { return nil }
        return Int(v)
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

    @Option(help: "GOGC percent, or 'off'. run: a comma-separated list sweeps.")
    var gogc = "100"

    @Option(help: "GOMEMLIMIT: Go's soft memory limit in bytes (suffixes KiB, MiB, GiB), or 'off' (docs/memory-limit.md). A workload file's own 'memlimit' wins.")
    var memlimit = "off"

    @Option(name: .customLong("container-limit"),
            help: "A container's memory limit in bytes (suffixes KiB, MiB, GiB): a cell whose total memory passes it is reported killed at that phase (status oom). Default: none.")
    var containerLimit = "off"

    @Option(name: .customLong("gc-coefficients"),
            help: "A gc-cost-coefficients.csv that 'bucketlab gccost fit' wrote: model Go's GC CPU (Go GC ms, gc.csv's go119/gocur columns, the memory limit's GC time) with its coefficients instead of the committed ones, which were fitted on one machine's Go (docs/gc-cost.md). A Go version the file lacks keeps the committed ones.")
    var gcCoefficients: String?

    /// The models of Go's GC CPU: the committed ones, or `--gc-coefficients`'.
    func gcCostModels() throws -> GoGCCost.Models {
        guard let path = gcCoefficients else { return .committed }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        guard FileManager.default.fileExists(atPath: absolute) else {
            throw DataError(description: "--gc-coefficients: \(path): no such file")
        }
        do {
            return try GCCostFit.models(fromFile: absolute)
        } catch let e as CSVError {
            throw DataError(description: "--gc-coefficients: \(e.description)")
        }
    }

    /// Every `--gogc` value (nil = off).
    var gogcList: [Int?] { gogc.split(separator: ",").compactMap { try? Bounds.parseGOGC(String($0)) } }
    var isSweep: Bool { sizes.isSweep || gogc.contains(",") }

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

    @Option(help: "Map models: comma-separated, of classic (Go 1.19's buckets), swiss (Go 1.24+ Swiss tables), syncmap119 (Go 1.19's sync.Map) and synctrie (Go 1.24+'s hash-trie sync.Map), or 'all'.")
    var map = MapModels.defaultNames.joined(separator: ",")

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

    /// One point of a sweep: the sizes and GOGC a suite runs at.
    struct Point: Equatable {
        var keys: Int
        var payloadBytes: Int
        var gogc: Int?
    }

    /// Every combination of the listed `--keys`, `--payload-bytes` and
    /// `--gogc` values, keys varying slowest (one point without lists).
    func points(defaultKeys: Int) -> [Point] {
        let keys = sizes.keysList.isEmpty ? [defaultKeys] : sizes.keysList
        let gogcs = gogcList.isEmpty ? [100] : gogcList
        return keys.flatMap { k in sizes.payloadList.flatMap { p in gogcs.map { g in Point(keys: k, payloadBytes: p, gogc: g) } } }
    }

    /// `defaultKeys`: the keys when --keys is not given (`run`'s first run);
    /// `point`: a sweep's point (default: the first values given).
    func config(repeats: Int, defaultKeys: Int = SuiteConfig.defaultKeys, point: Point? = nil) throws -> SuiteConfig {
        let workloads = try workloads()
        let gcCost = try gcCostModels()
        let p = point ?? points(defaultKeys: defaultKeys)[0]
        do {
            return try config(workloads, repeats: repeats, point: p, gcCost: gcCost)
        } catch let e as WorkloadFileError {
            throw DataError(description: e.description)
        }
    }

    private func config(_ workloads: [Workload], repeats: Int, point p: Point, gcCost: GoGCCost.Models) throws -> SuiteConfig {
        try validated {
            for g in gogc.split(separator: ",", omittingEmptySubsequences: false) { _ = try Bounds.parseGOGC(String(g)) }
            return try SuiteConfig(workloads: workloads, strategies: Strategy.parseLists(strategy),
                            mapModels: SuiteConfig.parseMapModels(map), keys: p.keys, payloadBytes: p.payloadBytes, window: window,
                            gogc: p.gogc, gcWorkers: gcWorkers.count, concurrentMark: !stwMark, seed: seed, repeats: repeats, samples: samples,
                            bursts: bursts, hint: hint, settle: !noSettle, pprof: ProfilePhases.parse(pprof),
                            memlimit: Bounds.parseBytes(memlimit, Bounds.memlimit),
                            containerLimit: Bounds.parseBytes(containerLimit, Bounds.containerLimit), gcCost: gcCost)
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
        if let m = config.memlimit { arguments += ["--memlimit", String(m)] }
        if let c = config.containerLimit { arguments += ["--container-limit", String(c)] }
        if let f = config.gcCost.file { arguments += ["--gc-coefficients", f] }
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
