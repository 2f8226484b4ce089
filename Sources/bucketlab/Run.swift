import ArgumentParser
import BucketLab
import Foundation

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run workloads × strategies; print the summary table and write CSV, charts and a report."
    )

    @Option(help: "Workloads: comma-separated names or 'all'. See 'bucketlab list'.")
    var workload = "all"

    @Option(help: "Strategies: preset names separated by commas, a spec (clear=...,shrink=...), or 'all'. Repeat the option for several specs.")
    var strategy: [String] = []

    @Option(help: "Keys per workload.")
    var keys = SuiteConfig.defaultKeys

    @Option(name: .customLong("payload-bytes"), help: "Bytes per payload.")
    var payloadBytes = 48

    @Option(help: "Churn window and cache capacity (default keys/10).")
    var window: Int?

    @Option(help: "GOGC percent, or 'off'.")
    var gogc = "100"

    @Option(help: "Seed for keys and hash seeds.")
    var seed: UInt64 = 1

    @Option(name: .customLong("repeat"), help: "Repeats per workload × strategy; summaries take the median.")
    var repeat_ = 3

    @Option(help: "Samples per phase (samples.csv).")
    var samples = 10

    @Option(help: "Fill/drain cycles of the bursty workload.")
    var bursts = 4

    @Option(help: "Output directory (default Results/<date>-<commit>).")
    var out: String?

    func validate() throws {
        _ = try suiteConfig()
    }

    func suiteConfig() throws -> SuiteConfig {
        let workloads = try Self.parseWorkloads(workload)
        let strategies = try Self.parseStrategies(strategy)
        guard (1...50_000_000).contains(keys) else { throw ValidationError("--keys must be between 1 and 50000000") }
        guard (8...(1 << 20)).contains(payloadBytes) else { throw ValidationError("--payload-bytes must be between 8 and 1048576") }
        if let window { guard (1...keys).contains(window) else { throw ValidationError("--window must be between 1 and --keys") } }
        let gogcValue: Int?
        if gogc == "off" { gogcValue = nil } else {
            guard let g = Int(gogc), (1...100_000).contains(g) else { throw ValidationError("--gogc must be 'off' or between 1 and 100000") }
            gogcValue = g
        }
        guard (1...100).contains(repeat_) else { throw ValidationError("--repeat must be between 1 and 100") }
        guard (1...1000).contains(samples) else { throw ValidationError("--samples must be between 1 and 1000") }
        guard (1...100).contains(bursts) else { throw ValidationError("--bursts must be between 1 and 100") }
        let config = SuiteConfig(workloads: workloads, strategies: strategies, keys: keys, payloadBytes: payloadBytes,
                                 window: window, gogc: gogcValue, seed: seed, repeats: repeat_, samples: samples, bursts: bursts)
        if let available = MachineInfo.availableMemoryBytes, config.estimatedPeakBytes > available {
            throw ValidationError("--keys \(keys) with --payload-bytes \(payloadBytes) needs about \(config.estimatedPeakBytes >> 20) MiB; only \(available >> 20) MiB is free")
        }
        return config
    }

    static func parseWorkloads(_ text: String) throws -> [Workload] {
        if text == "all" { return Workload.allCases }
        let valid = Workload.allCases.map(\.rawValue).joined(separator: ", ")
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { name in
            guard let w = Workload(rawValue: String(name)) else {
                throw ValidationError("unknown workload '\(name)'; valid: \(valid), all")
            }
            return w
        }
    }

    /// Each option value is 'all', or presets and specs: an item without '='
    /// starts a strategy, items with '=' refine the one before.
    static func parseStrategies(_ values: [String]) throws -> [(name: String, policy: ClearingPolicy)] {
        if values.isEmpty || values == ["all"] { return ClearingPolicy.presets.map { ($0.name, $0.policy) } }
        var specs: [String] = []
        for value in values {
            var current: [String] = []
            for item in value.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                if !item.contains("="), !current.isEmpty {
                    specs.append(current.joined(separator: ","))
                    current = []
                }
                current.append(item)
            }
            specs.append(current.joined(separator: ","))
        }
        return try specs.map { spec in
            do {
                let policy = try ClearingPolicy(spec: spec)
                return (ClearingPolicy.presets.contains { $0.name == spec } ? spec : policy.name, policy)
            } catch let e as StrategySpecError {
                throw ValidationError(e.description)
            }
        }
    }

    func run() throws {
        let config = try suiteConfig()
        let commit = MachineInfo.gitCommit ?? "nocommit"
        let runID = MachineInfo.today + "-" + commit
        let dir = out ?? "Results/" + runID
        try prepareOutputDirectory(dir)
        let progress: ((String) -> Void)? = isatty(2) != 0 ? { line in
            writeStandardError("\r\u{1B}[K" + line)
        } : nil
        let result = try Suite.run(config, runID: (dir as NSString).lastPathComponent, progress: progress)
        if progress != nil { writeStandardError("\r\u{1B}[K") }
        try result.write(to: dir)
        try writeFileAtomically(MachineInfo.runJSON(config: config), to: dir + "/run.json")
        let results = try ResultSet(directory: dir)
        try Report.write(results, to: dir, header: MachineInfo.reportHeader(config: config))
        print(Report.text(results.summaries), terminator: "")
        print("\nwrote \(dir)/ (summary.csv, phases.csv, samples.csv, gc.csv, heap.csv, trace.json, run.json, REPORT.md, *.svg)")
    }
}
