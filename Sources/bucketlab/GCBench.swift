import ArgumentParser
import BucketLab

struct GCBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gcbench",
        abstract: "Time one full collection (mark + sweep) of a heap holding a UInt64 → payload map; writes gcbench.csv."
    )

    @Option(help: "Keys in the map (one payload each).")
    var keys = 1_000_000

    @Option(name: .customLong("payload-bytes"), help: "Bytes per payload.")
    var payloadBytes = 48

    @Option(name: .customLong("repeat"), help: "Cycles timed; the median is reported.")
    var repeat_ = 5

    @Option(help: "Directory for gcbench.csv.")
    var out = "Results/gcbench"

    func validate() throws {
        guard (1...50_000_000).contains(keys) else { throw ValidationError("--keys must be between 1 and 50000000") }
        guard (1...(1 << 20)).contains(payloadBytes) else { throw ValidationError("--payload-bytes must be between 1 and 1048576") }
        guard (1...1000).contains(repeat_) else { throw ValidationError("--repeat must be between 1 and 1000") }
    }

    func run() throws {
        try prepareOutputDirectory(out)
        let r = try CollectorBenchmark.fullCycle(keys: keys, payloadBytes: payloadBytes, repetitions: repeat_)
        var table = CSVTable(header: CollectorBenchmarkResult.header)
        table.append(r.fields)
        try writeFileAtomically(table.text, to: out + "/gcbench.csv")
        print(renderTable(header: CollectorBenchmarkResult.header, rows: [r.fields], rightAlign: Set(0..<9)), terminator: "")
    }
}
