import ArgumentParser
import BucketLab

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per workload × strategy differences between two result directories (B − A)."
    )

    @Argument(help: "Result directory A.")
    var a: String

    @Argument(help: "Result directory B.")
    var b: String

    func run() throws {
        let (x, y): ([RunSummary], [RunSummary])
        do {
            x = try ResultSet(directory: a).summaries
            y = try ResultSet(directory: b).summaries
        } catch let e as CSVError {
            throw DataError(description: e.description)
        }
        let table = Report.compare(x, y)
        guard !table.rows.isEmpty else { throw DataError(description: "\(a) and \(b) share no workload × strategy") }
        print(renderTable(header: table.header, rows: table.rows, rightAlign: Set(2..<10)), terminator: "")
    }
}
