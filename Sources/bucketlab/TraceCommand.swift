import ArgumentParser
import BucketLab

/// `bucketlab trace show T`: a recorded map trace (recorder/, docs/trace-format.md) summarised.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Read traces of real Go programs' map operations (recorded by recorder/).",
        subcommands: [Show.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a map trace and summarise it: header, maps, each phase's operations, keys, bytes."
        )

        @Argument(help: "A trace written by the Go recorder.")
        var trace: String

        func run() throws {
            // The whole trace is read and checked before anything is printed.
            let summary: OpTraceSummary
            do {
                var reader = try OpTraceReader(path: trace)
                summary = try OpTraceSummary(reading: &reader)
            } catch let e as OpTraceError {
                throw DataError(description: "\(trace): \(e)")
            }
            print(summary.text(name: trace), terminator: "")
        }
    }
}
