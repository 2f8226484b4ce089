import ArgumentParser
import BucketLab

struct Ops: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time operations side by side in one process; print a table and write ops.csv."
    )

    @Option(help: "Keys (and allocations) per repetition.")
    var keys = SuiteConfig.defaultKeys

    @OptionGroup var repeats: RepeatOption

    @OptionGroup var out: OutputOption

    func validate() throws {
        try validated { try Bounds.keys.check(keys) }
    }

    func run() throws {
        let dir = out.directory ?? "Results/ops"
        try prepareOutputDirectory(dir)
        let n = repeats.count(default: 5)
        let rows = try OpsBenchmark.maps(keys: keys, repetitions: n)
            + OpsBenchmark.wideValueDeletes(keys: min(keys, 250_000), repetitions: n)
            + OpsBenchmark.allocation(objects: keys, repetitions: n)
        var table = CSVTable(header: OpsRow.header)
        for r in rows { table.append(r.fields) }
        try writeFileAtomically(table.text, to: dir + "/ops.csv")
        print(renderTable(header: OpsRow.header, rows: rows.map(\.fields), rightAlign: [2, 3]), terminator: "")
    }
}
