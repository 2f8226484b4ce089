import ArgumentParser
import BucketLab

struct SizeClassesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sizeclasses",
        abstract: "Print Go's size-class table as the lab computes it."
    )

    @Flag(help: "Print CSV (with a header row) instead of a text table.")
    var csv = false

    @Option(help: "Write the CSV to this file instead of standard output.")
    var output: String?

    func run() throws {
        if let output {
            try writeFileAtomically(SizeClassTable.csv, to: output)
        } else if csv {
            print(SizeClassTable.csv, terminator: "")
        } else {
            print(renderTable(header: SizeClassTable.header, rows: SizeClassTable.rows, rightAlign: Set(0..<6)),
                  terminator: "")
        }
    }
}
