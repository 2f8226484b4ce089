import ArgumentParser
import BucketLab

struct CompareGo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare-go",
        abstract: "Join a run's go-strategy phases with the real Go runtime's (scripts/reference); write against-go.csv and redraw the report."
    )

    @Argument(help: "A directory written by 'bucketlab run'.")
    var runDirectory: String

    @Argument(help: "A directory written by scripts/reference (holding <go-version>/phases.csv).")
    var reference: String

    func run() throws {
        let rows = try AgainstGo.compare(runDirectory: runDirectory, referenceDirectory: reference)
        try writeFileAtomically(AgainstGoRow.csv(rows), to: runDirectory + "/against-go.csv")
        let results = try ResultSet(directory: runDirectory)
        try Report.write(results, to: runDirectory, header: RunInfo.redrawnReportHeader(directory: runDirectory, by: "compare-go"))
        print(renderTable(header: AgainstGo.tableHeader, rows: AgainstGo.tableRows(rows), rightAlign: Set(4..<17)),
              terminator: "")
        print(renderTable(header: AgainstGo.summaryHeader, rows: AgainstGo.summaryRows(AgainstGo.summaries(rows)),
                          rightAlign: Set(2..<9)), terminator: "")
    }
}
