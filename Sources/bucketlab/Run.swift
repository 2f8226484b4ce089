import ArgumentParser
import BucketLab
import Foundation

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run workloads × strategies; print the summary table and write CSV, charts and a report."
    )

    @Option(help: "Workloads: comma-separated names or 'all'. See 'bucketlab list'.")
    var workload = "all"

    @Option(help: "Strategies: 'all', or comma-separated strategies, each a preset and/or key=value settings joined by '+' (go,stale,clear=pointers+shrink=below:0.25). May be repeated.")
    var strategy: [String] = []

    @OptionGroup var sizes: SizeOptions

    @Option(help: "Churn window and cache capacity (default keys/10).")
    var window: Int?

    @Option(help: "GOGC percent, or 'off'.")
    var gogc = "100"

    @Option(help: "Seed for keys and hash seeds.")
    var seed: UInt64 = 1

    @OptionGroup var repeats: RepeatOption

    @Option(help: "Samples per phase (samples.csv).")
    var samples = 10

    @Option(help: "Fill/drain cycles of the bursty workload.")
    var bursts = 4

    @Option(help: "Size hint for every map, as Go's make(map[K]V, hint); 0 = none.")
    var hint = 0

    @OptionGroup var out: OutputOption

    func validate() throws {
        _ = try suiteConfig()
    }

    func suiteConfig() throws -> SuiteConfig {
        try validated {
            try SuiteConfig(workloads: Workload.parseList(workload), strategies: Strategy.parseLists(strategy),
                            keys: sizes.keys, payloadBytes: sizes.payloadBytes, window: window,
                            gogc: Bounds.parseGOGC(gogc), seed: seed, repeats: repeats.count(default: 3),
                            samples: samples, bursts: bursts, hint: hint)
        }
    }

    func run() throws {
        let config = try suiteConfig()
        let commit = MachineInfo.gitCommit ?? "nocommit"
        let runID = MachineInfo.today + "-" + commit
        let dir = out.directory ?? "Results/" + runID
        try prepareOutputDirectory(dir)
        let progress: ((String) -> Void)? = isatty(2) != 0 ? { line in
            writeStandardError("\r\u{1B}[K" + line)
        } : nil
        let result = try Suite.run(config, runID: (dir as NSString).lastPathComponent, progress: progress)
        if progress != nil { writeStandardError("\r\u{1B}[K") }
        try result.write(to: dir)
        try writeFileAtomically(RunInfo(config: config, machine: MachineInfo.facts).json, to: dir + "/run.json")
        // The report is drawn from the files just written (see Output/).
        let results = try ResultSet(directory: dir)
        try Report.write(results, to: dir, header: MachineInfo.reportHeader(config: config))
        print(Report.text(results.summaries), terminator: "")
        print("\nwrote \(dir)/ (summary.csv, phases.csv, samples.csv, gc.csv, heap.csv, trace.json, run.json, REPORT.md, *.svg)")
    }
}
