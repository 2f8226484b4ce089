import Foundation
import Testing
@testable import BucketLab
@testable import LabMaps

@Suite struct ReportTests {
    /// REPORT.md opens with one screen: per workload and map model what `go`
    /// keeps and what the strategy that keeps least keeps, with the ratio,
    /// then the headline findings; the findings and tables follow.
    @Test func reportOpensWithOneScreen() throws {
        let dir = temporaryDirectory()
        try smallSuite.write(to: dir)
        let results = try ResultSet(directory: dir)
        let report = Report.markdown(results, charts: [], header: "test")
        let glance = try #require(report.range(of: "## At a glance"))
        let findings = try #require(report.range(of: "## Findings"))
        let everyCell = try #require(report.range(of: "## Every cell"))
        #expect(glance.upperBound < findings.lowerBound && findings.upperBound < everyCell.lowerBound)
        let screen = report[..<findings.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        #expect(screen.count <= 40, "\(screen.count) lines before the findings")
        for f in Report.findings(results) {
            let row = try #require(screen.first { $0.hasPrefix("| \(f.workload) | \(f.go.headlinePhase) |") })
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let at = 2 + 4 * (MapModels.defaultNames.firstIndex(of: f.map) ?? 0)
            #expect(Array(cells[at..<at + 4]) == [Report.mib(f.go.headlineHeapInuseBytes), f.best.key.strategy,
                                                  Report.mib(f.best.headlineHeapInuseBytes), f.tableRow[6]],
                    "\(f.map) \(f.workload)")
        }
        for m in MapModels.defaultNames { #expect(screen.contains { $0.hasPrefix("- **\(m)**: ") }, "\(m)'s headline") }
    }

    /// against-go.svg: a panel per workload × map model, phases along it,
    /// the lab beside Go's median run with a whisker over Go's runs.
    @Test func againstGoDrawsAPanelPerWorkloadAndModel() throws {
        var rows: [AgainstGoRow] = []
        for (map, version) in [(BucketMap.modelName, "go1.19.8"), (SwissMap.modelName, "go1.27.3")] {
            for workload in ["fill-drain", "churn", "bursty"] {
                for (i, phase) in ["peak", "drained", "idle"].enumerated() {
                    var r = AgainstGoRow()
                    r.map = map
                    r.workload = workload
                    r.phase = phase
                    r.goVersion = version
                    r.labHeapInuseBytes = (10 + i) << 20
                    r.goHeapInuseBytes = (11 + i) << 20
                    r.goRuns = 5
                    r.goNetMinHeapInuseBytes = (10 + i) << 20
                    r.goNetMaxHeapInuseBytes = (12 + i) << 20
                    rows.append(r)
                }
            }
        }
        let svg = Report.againstGoChart(rows, title: "t")
        for workload in ["fill-drain", "churn", "bursty"] {
            for map in MapModels.defaultNames { #expect(svg.contains(">\(workload) (\(map))</text>")) }
        }
        #expect(svg.contains("churn (swiss) drained, go1.27.3, median run: 12"))
        #expect(svg.contains("churn (swiss) drained, go1.27.3, median run: 11–13"), "Go's runs as a whisker")
        #expect(svg.contains("churn (classic) drained, lab, go strategy: 11"))
        #expect(!svg.contains("(classic) drained, go1.27.3"), "each model only beside the Go versions it models")
        #expect(svg.contains(" MiB</text>"), "compact MiB ticks")
    }
}
