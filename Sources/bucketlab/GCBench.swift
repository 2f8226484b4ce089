import ArgumentParser
import BucketLab

struct GCBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gcbench",
        abstract: "Time full collections of a heap holding a UInt64 → payload map, per map model and mark-worker count, next to the real Go runtime's runtime.GC() on the same shape (classic against Go 1.19, swiss against Go 1.24+); writes gcbench.csv and ratios.csv."
    )

    @OptionGroup var sizes: SizeOptions

    @OptionGroup var repeats: RepeatOption

    @Option(help: "Rounds; lab and Go alternate which goes first.")
    var rounds = 3

    @Option(name: .customLong("gc-workers"),
            help: "Mark worker counts to time, comma-separated (default: 1 and the cores, here \(onlineCores)).")
    var gcWorkers: String?

    @Option(help: "Strategies of the lab's map, each timed on a heap of its own: presets or specs, comma-separated (see 'bucketlab list').")
    var strategy = "go,compact"

    @Option(help: "Map models: comma-separated, of classic, swiss, syncmap119 and synctrie, or 'all'.")
    var map = MapModels.defaultNames.joined(separator: ",")

    @Option(help: "Transparent huge pages: off (none for the lab and the Go processes: prctl PR_SET_THP_DISABLE, the default) or on (the lab advises its spans MADV_HUGEPAGE; Go does what its version does). anon_huge_kib says what each got.")
    var thp = THPSetting.off

    @Flag(name: .customLong("no-go"), help: "Do not run the Go reference even where a Go toolchain is installed.")
    var noGo = false

    @OptionGroup var out: OutputOption

    var workerCounts: [Int] {
        get throws {
            guard let gcWorkers else { return Array(Set([1, onlineCores])).sorted() }
            return try gcWorkers.split(separator: ",", omittingEmptySubsequences: false).map { text in
                guard let n = Int(text) else { throw ValidationError("--gc-workers: '\(text)' is not a number") }
                try validated { try Bounds.gcWorkers.check(n) }
                return n
            }
        }
    }

    func validate() throws {
        try sizes.requireSingle()
        _ = try workerCounts
        _ = try validated { try Strategy.parseList(strategy) }
        _ = try validated { try SuiteConfig.parseMapModels(map) }
        try validated { try Bounds.repeats.check(rounds) }
    }

    func run() throws {
        let dir = out.directory ?? "Results/gcbench"
        if thp == .off { try HugePages.disableForProcess() }
        try prepareOutputDirectory(dir)
        let models = try validated { try SuiteConfig.parseMapModels(map).compactMap(MapModels.named) }
        let references = noGo || sizes.payloadBytes != 48 ? [] : try GoReference.toolchains().map { try GoReference(go: $0) }
        let (rows, ratios) = try validated {
            try CollectorBenchmark.run(keys: sizes.keys, payloadBytes: sizes.payloadBytes, models: models,
                                       strategies: Strategy.parseList(strategy), workerCounts: workerCounts,
                                       repetitions: repeats.count(default: 5), rounds: rounds, hugePages: thp == .on,
                                       references: references, progress: ProgressLine.show)
        }
        ProgressLine.end()
        var table = CSVTable(header: GCBenchRow.header)
        for r in rows { table.append(r.fields) }
        var ratioTable = CSVTable(header: GCBenchRatio.header)
        for r in ratios { ratioTable.append(r.fields) }
        try writeFileAtomically(table.text, to: dir + "/gcbench.csv")
        try writeFileAtomically(ratioTable.text, to: dir + "/ratios.csv")
        print(renderTable(header: GCBenchRow.header, rows: rows.map(\.fields), rightAlign: Set(1..<GCBenchRow.header.count)),
              terminator: "")
        if ratios.isEmpty {
            print("no Go reference ran (\(noGo ? "--no-go" : sizes.payloadBytes != 48 ? "its payloads are 48 bytes" : "no Go toolchain found"))")
        } else {
            print(renderTable(header: GCBenchRatio.header, rows: ratios.map(\.fields), rightAlign: Set(2..<GCBenchRatio.header.count)), terminator: "")
        }
    }
}
