import ArgumentParser
import BucketLab

struct Ops: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time operations side by side in one process; print a table and write ops.csv."
    )

    @Option(help: "Keys (and allocations) per repetition.")
    var keys = 1_000_000

    @Option(name: .customLong("repeat"), help: "Repetitions; the median is reported.")
    var repeat_ = 5

    @Option(help: "Directory for ops.csv.")
    var out = "Results/ops"

    func validate() throws {
        guard (1...100_000_000).contains(keys) else { throw ValidationError("--keys must be between 1 and 100000000") }
        guard (1...1000).contains(repeat_) else { throw ValidationError("--repeat must be between 1 and 1000") }
    }

    func run() throws {
        try prepareOutputDirectory(out)
        let rows = try OpsBenchmark.maps(keys: keys, repetitions: repeat_)
            + OpsBenchmark.wideValueDeletes(keys: min(keys, 250_000), repetitions: repeat_)
            + OpsBenchmark.allocation(objects: keys, repetitions: repeat_)
        var table = CSVTable(header: OpsRow.header)
        for r in rows { table.append(r.fields) }
        try writeFileAtomically(table.text, to: out + "/ops.csv")
        print(renderTable(header: OpsRow.header, rows: rows.map(\.fields), rightAlign: [2, 3]), terminator: "")
    }
}
