import ArgumentParser
import BucketLab
#if canImport(Glibc)
import Glibc
#endif

struct Ops: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time map operations of the lab, Dictionary and the real Go map in one run, interleaved; write ops.csv, ops-ratios.csv, ops-samples.csv and ops.md.",
        discussion: """
        Every repetition runs every implementation once, in a rotating order, on \
        the same keys: the lab's maps in this process, Go 1.19 (classic map) and \
        current Go (Swiss tables) in a child process each, wherever those \
        toolchains are installed. Ratios lab/Go are taken per repetition and \
        summarised (median, quartiles, extremes).
        """
    )

    enum GC: String, ExpressibleByArgument, CaseIterable {
        case off, on, both
        var modes: [String] { self == .both ? ["off", "on"] : [rawValue] }
    }

    @Option(help: "Keys (and allocations) per repetition.")
    var keys = SuiteConfig.defaultKeys

    @Option(name: .customLong("repeat"), help: "Repetitions (default 7): medians and spreads are over these.")
    var repeatCount = 7

    @Option(help: "Transparent huge pages: off (no process gets any: prctl PR_SET_THP_DISABLE, inherited by the Go processes; the default, so both sides run alike) or on (the lab's spans and jemalloc advised MADV_HUGEPAGE; Go does what its version does: 1.19 advises, 1.21.4 and later do not). anon_huge_kib says what each got.")
    var thp = THPSetting.off

    @Option(help: "Collector during the timed loops: off (the primary figure), on (GOGC 100 on both sides), or both.")
    var gc = GC.both

    @Option(help: "Size hint for every map (Go's make(map, hint), Dictionary's minimumCapacity); 0 = grown from empty.")
    var hint = 0

    @Flag(name: .customLong("no-go"), help: "Do not run the Go reference even where a Go toolchain is installed.")
    var noGo = false

    @OptionGroup var out: OutputOption

    func validate() throws {
        try validated {
            try Bounds.keys.check(keys)
            try Bounds.repeats.check(repeatCount)
            try Bounds.hint.check(hint)
        }
    }

    func run() throws {
        if thp == .off && getenv("BUCKETLAB_OPS_REEXEC") == nil { try HugePages.disableForProcess() }
        // jemalloc reads its huge-page mode once, at start-up: start again
        // with it set when it is not what both sides must share.
        let wanted = thp == .on ? "always" : "never"
        if Jemalloc.isLinked && Jemalloc.thpMode != wanted && getenv("BUCKETLAB_OPS_REEXEC") == nil {
            try reexec(mallocConf: "thp:\(wanted)")
        }
        let dir = out.directory ?? "Results/ops"
        try prepareOutputDirectory(dir)
        let options = try validated {
            try OpsOptions(keys: keys, repetitions: repeatCount, hugePages: thp == .on, gcModes: gc.modes, hint: hint)
        }
        let references = noGo ? [] : try GoReference.toolchains().map { try GoReference(go: $0) }
        let samples = try OpsBenchmark.maps(options, goReferences: references, progress: ProgressLine.show)
            + OpsBenchmark.wideValueDeletes(options) + OpsBenchmark.allocation(options)
        ProgressLine.end()
        let rows = samples.summarised()
        let ratios = OpsBenchmark.ratios(samples, goVersions: references.map(\.version))
        let conditions = """
        keys \(keys), hint \(hint), \(repeatCount) repetitions, rotating order, fresh heap each (lab: a new heap; Go: a new process); \
        thp \(thp.rawValue) (system \(HugePages.systemMode), jemalloc opt.thp \(Jemalloc.thpMode)); collector \(gc.modes.joined(separator: ", ")); \
        Go: \(references.isEmpty ? (noGo ? "--no-go" : "no toolchain found") : references.map(\.version).joined(separator: ", "))
        """
        let rowTable = renderTable(header: Self.rowHeader, rows: rows.map(Self.rowFields), rightAlign: Set(3...8))
        let ratioTable = renderTable(header: Self.ratioHeader, rows: ratios.map(Self.ratioFields), rightAlign: Set(4...6))
        let markdown = "# bucketlab ops\n\n\(conditions)\n\n" + Report.markdownTable(header: Self.rowHeader, rows: rows.map(Self.rowFields))
            + (ratios.isEmpty ? "" : "\n## lab / Go, per repetition\n\n" + Report.markdownTable(header: Self.ratioHeader, rows: ratios.map(Self.ratioFields)))
        try writeFileAtomically(OpsSample.csv(samples), to: dir + "/ops-samples.csv")
        try writeFileAtomically(OpsRow.csv(rows), to: dir + "/ops.csv")
        try writeFileAtomically(OpsRatioRow.csv(ratios), to: dir + "/ops-ratios.csv")
        try writeFileAtomically(markdown, to: dir + "/ops.md")
        print(conditions)
        print(rowTable, terminator: "")
        if !ratios.isEmpty { print("\nlab / Go, per repetition:\n" + ratioTable, terminator: "") }
        print("wrote \(dir)/ (ops.csv, ops-ratios.csv, ops-samples.csv, ops.md)")
    }

    static let rowHeader = ["impl", "op", "gc", "median ns", "p25", "p75", "min", "max", "huge KiB"]
    static func rowFields(_ r: OpsRow) -> [String] {
        [r.impl, r.op, r.gc] + [r.ns.median, r.ns.p25, r.ns.p75, r.ns.min, r.ns.max].map { formatFixed($0, digits: 1) }
            + [r.anonHugeKiB < 0 ? "?" : String(r.anonHugeKiB)]
    }

    static let ratioHeader = ["lab", "go", "op", "gc", "median", "IQR", "min–max"]
    static func ratioFields(_ r: OpsRatioRow) -> [String] {
        let f = { formatFixed($0, digits: 2) }
        return [r.lab, r.go, r.op, r.gc, f(r.ratio.median), "\(f(r.ratio.p25))–\(f(r.ratio.p75))",
                "\(f(r.ratio.min))–\(f(r.ratio.max))"]
    }

    /// Replaces this process with itself, same arguments, MALLOC_CONF set.
    private func reexec(mallocConf: String) throws {
        let existing = getenv("MALLOC_CONF").map { String(cString: $0) + "," } ?? ""
        setenv("MALLOC_CONF", existing + mallocConf, 1)
        setenv("BUCKETLAB_OPS_REEXEC", "1", 1)
        let argv = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", argv)
        throw OutputError(description: "cannot restart with MALLOC_CONF=\(mallocConf): \(String(cString: strerror(errno)))")
    }
}
