import ArgumentParser
import BucketLab

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Redraw the charts and REPORT.md of a result directory from its CSV files."
    )

    @Argument(help: "A directory written by 'bucketlab run'.")
    var directory: String

    func run() throws {
        let results = try ResultSet(directory: directory)
        guard !results.summaries.isEmpty else { throw DataError(description: "\(directory)/summary.csv has no rows") }
        try Report.write(results, to: directory, header: RunInfo.redrawnReportHeader(directory: directory, by: "plot"))
        print(Report.glanceText(results))
        print("report:       \(directory)/REPORT.md")
    }
}
