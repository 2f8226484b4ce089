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
        let x = try ResultSet(directory: a).summaries
        let y = try ResultSet(directory: b).summaries
        let table = Report.compare(x, y)
        guard !table.rows.isEmpty else { throw DataError(description: "\(a) and \(b) share no workload × strategy") }
        print(renderTable(header: table.header, rows: table.rows, rightAlign: Set(2..<10)), terminator: "")
    }
}
