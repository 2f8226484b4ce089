import ArgumentParser
import BucketLab

struct GCBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gcbench",
        abstract: "Time one full collection (mark + sweep) of a heap holding a UInt64 → payload map; writes gcbench.csv."
    )

    @OptionGroup var sizes: SizeOptions

    @OptionGroup var repeats: RepeatOption

    @OptionGroup var out: OutputOption

    func run() throws {
        let dir = out.directory ?? "Results/gcbench"
        try prepareOutputDirectory(dir)
        let r = try validated {
            try CollectorBenchmark.fullCycle(keys: sizes.keys, payloadBytes: sizes.payloadBytes,
                                             repetitions: repeats.count(default: 5))
        }
        var table = CSVTable(header: CollectorBenchmarkResult.header)
        table.append(r.fields)
        try writeFileAtomically(table.text, to: dir + "/gcbench.csv")
        print(renderTable(header: CollectorBenchmarkResult.header, rows: [r.fields], rightAlign: Set(0..<9)), terminator: "")
    }
}
