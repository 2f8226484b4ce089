import ArgumentParser
import BucketLab
#if canImport(Glibc)
import Glibc
#endif

struct Ops: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time operations side by side in one process; print a table and write ops.csv."
    )

    enum THP: String, ExpressibleByArgument, CaseIterable {
        case on, off
    }

    @Option(help: "Keys (and allocations) per repetition.")
    var keys = SuiteConfig.defaultKeys

    @OptionGroup var repeats: RepeatOption

    @Option(help: "Transparent huge pages for both sides: on (the lab's spans and jemalloc's mappings, so Dictionary's storage too, advised MADV_HUGEPAGE) or off (neither).")
    var thp = THP.on

    @Option(help: "A folder written by scripts/reference: add the real Go map's rows (<go-version>/ops.csv) to the table.")
    var reference: String?

    @OptionGroup var out: OutputOption

    func validate() throws {
        try validated { try Bounds.keys.check(keys) }
        if let reference { _ = try goRows(reference) }
    }

    /// Every <go-version>/ops.csv under the reference folder.
    func goRows(_ dir: String) throws -> [OpsRow] {
        do {
            let rows = try OpsBenchmark.referenceRows(dir)
            guard !rows.isEmpty else { throw DataError(description: "\(dir): no <go-version>/ops.csv (run scripts/reference)") }
            return rows
        } catch let e as CSVError {
            throw DataError(description: e.description)
        }
    }

    func run() throws {
        // jemalloc reads its huge-page mode once, at start-up: start again
        // with it set when it is not what both sides must share.
        let wanted = thp == .on ? "always" : "never"
        if Jemalloc.isLinked && Jemalloc.thpMode != wanted && getenv("BUCKETLAB_OPS_REEXEC") == nil {
            try reexec(mallocConf: "thp:\(wanted)")
        }
        let dir = out.directory ?? "Results/ops"
        try prepareOutputDirectory(dir)
        let options = try validated {
            try OpsOptions(keys: keys, repetitions: repeats.count(default: 5), hugePages: thp == .on)
        }
        var rows = try OpsBenchmark.maps(options) + OpsBenchmark.wideValueDeletes(options)
            + OpsBenchmark.allocation(options)
        if let reference {
            // Go's rows next to the lab's, op by op (measured by
            // scripts/reference on the same keys; ratios across processes).
            rows = OpsBenchmark.interleave(rows, try goRows(reference))
        }
        try writeFileAtomically(OpsRow.csv(rows), to: dir + "/ops.csv")
        print("thp \(thp.rawValue) (jemalloc opt.thp \(Jemalloc.thpMode))")
        print(renderTable(header: OpsRow.header, rows: rows.map(\.fields), rightAlign: [2, 4]), terminator: "")
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
