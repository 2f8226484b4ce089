import ArgumentParser
import BucketLab

struct Stress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Collector stress: random operations on one map per preset with pins and iterators; every live payload checked after every cycle."
    )

    @Option(help: "Map models, each stressed in turn: \(MapModels.validNames) (default: all).")
    var map = "all"

    @Option(help: "Collections to run.")
    var cycles = 10_000

    @Option(help: "Seed of the operation sequence.")
    var seed: UInt64 = 1

    @Option(name: .customLong("sweep"), help: "Sweep mode: eager or lazy.")
    var sweep = SweepMode.eager

    @Option(help: "Key space per map (live payloads grow with it).")
    var keys = 300

    @OptionGroup var gcWorkers: GCWorkersOption

    @Flag(name: .customLong("stw-mark"), help: "Pacer cycles whole at the trigger (default: Go's mark overlapping the mutator, modelled).")
    var stwMark = false

    @Option(help: "GOGC percent, or 'off' (which needs --memlimit).")
    var gogc = "1"

    @Option(help: "GOMEMLIMIT in bytes (suffixes KiB, MiB, GiB), or 'off' (docs/memory-limit.md).")
    var memlimit = "off"

    @OptionGroup var out: OutputOption

    func validate() throws {
        try validated {
            let g = try Bounds.parseGOGC(gogc), m = try Bounds.parseBytes(memlimit, Bounds.memlimit)
            if g == nil && m == nil { throw ConfigError("--gogc off needs a --memlimit: nothing would collect") }
            _ = try SuiteConfig.parseMapModels(map)
            try Bounds.cycles.check(cycles)
            try Bounds.stressKeys.check(keys)
        }
    }

    func run() throws {
        let dir = out.directory ?? "Results/stress"
        try prepareOutputDirectory(dir)
        var reports: [StressReport] = []
        for name in try SuiteConfig.parseMapModels(map) {
            let report = try StressTest.run(cycles: cycles, seed: seed, sweepMode: sweep, model: MapModels.named(name)!,
                                            keySpace: keys, gcWorkers: gcWorkers.count, concurrentMark: !stwMark,
                                            gogc: Bounds.parseGOGC(gogc), memlimit: Bounds.parseBytes(memlimit, Bounds.memlimit)) { n in
                if n % 500 == 0 { ProgressLine.show?("\(name): cycle \(n)/\(cycles)") }
            }
            ProgressLine.end()
            print("\(name): cycles \(report.cycles) (\(report.pacerCycles) from the pacer), operations \(report.operations), "
                  + "payloads verified \(report.payloadsVerified), relocated \(report.relocated), violations \(report.violationCount)")
            for v in report.violations { print("  " + v) }
            reports.append(report)
        }
        try writeFileAtomically(StressReport.csv(reports), to: dir + "/stress-seed\(seed)-\(sweep.rawValue)\(stwMark ? "-stw" : "").csv")
        if reports.contains(where: { !$0.violations.isEmpty }) { throw ExitCode(1) }
    }
}
