import Foundation
import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct FindingsTests {
    /// REPORT.md's findings come from the figures: per map model and
    /// workload the strategy named keeps least at the headline phase, its
    /// ratios are the summaries', and the leak audit is the headline phase's.
    @Test func findingsNameWhatKeepsLeast() throws {
        let dir = temporaryDirectory()
        try smallSuite.write(to: dir)
        let results = try ResultSet(directory: dir)
        let findings = Report.findings(results)
        #expect(findings.count == MapModels.defaultNames.count * Workload.allCases.count)
        for f in findings {
            let peers = results.summaries.filter { $0.key.map == f.map && $0.key.workload == f.workload }
            let least = try #require(peers.map(\.headlineHeapInuseBytes).min())
            // The first strategy in the run's order within 1% of the least.
            let first = try #require(peers.first { Double($0.headlineHeapInuseBytes) <= Double(least) * 1.01 })
            #expect(f.best.key.strategy == first.key.strategy)
            #expect(f.bestIsGo == (Double(f.go.headlineHeapInuseBytes) <= Double(least) * 1.01))
            let headline = phase(smallSuite, f.workload, "go", f.go.headlinePhase, map: f.map)
            #expect(f.goHeadline?.measurement.leakedBytes == headline.leakedBytes
                    && f.goHeadline?.measurement.bucketBytes == headline.bucketBytes)
            #expect(f.text.contains("reached through live maps' live slots"), "the census's split")
            #expect(f.text.contains("**\(f.map) · \(f.workload)**"))
            #expect(f.text.contains(f.bestIsGo ? "no strategy keeps 1% less than `go`" : "`\(f.best.key.strategy)` keeps least"))
        }
        for map in MapModels.defaultNames {
            // The pin keeps the dropped map's storage, and the finding says so.
            let pinned = try #require(findings.first { $0.map == map && $0.workload == "leaked-interior-ref" })
            let pin = try #require(pinned.goHeadline?.retention.pinBytes)
            #expect(pin > 0 && pinned.text.contains("\(Report.mib(pin)) MiB only through pins"))
            let drain = try #require(findings.first { $0.map == map && $0.workload == "fill-drain" })
            #expect(!drain.bestIsGo, "shrink and compact give a drained map's storage back")
            #expect(drain.tableRow[6] == formatFixed(Double(drain.best.headlineHeapInuseBytes)
                                                      / Double(drain.go.headlineHeapInuseBytes), digits: 2))
        }
        try Report.write(results, to: dir, header: "test")
        let report = try #require(readTextFile(dir + "/REPORT.md"))
        #expect(report.contains("## Findings") && report.contains("### Best strategy per workload"))
        #expect(report.contains("| classic | fill-drain | drained |"))
        #expect(!report.contains(Report.hashTrieCostNote), "no synctrie in this run")
    }

    /// The first run's REPORT.md checks its best strategies against a full
    /// suite's summary: all the same, or the rows that differ with both
    /// runs' figures.
    @Test func theFirstRunNamesTheRowsWhereTheFullSuiteDiffers() throws {
        let dir = temporaryDirectory()
        try smallSuite.write(to: dir)
        var results = try ResultSet(directory: dir)
        results.fullSuite = FullSuiteReference(path: "Results/full/summary.csv", summaries: results.summaries)
        let rows = Report.findings(results).count
        #expect(Report.fullSuiteMarkdown(results).contains("is the full suite's in all \(rows) rows"))
        #expect(Report.fullSuiteLine(results) == "best strategy as in the full suite, Results/full/summary.csv: \(rows) of \(rows) rows")
        // A full suite where nothing keeps less than go in classic fill-drain.
        var full = results.summaries
        let go = try #require(full.first { $0.key.cellName == "classic/fill-drain/go" }).headlineHeapInuseBytes
        for i in full.indices where full[i].key.map == "classic" && full[i].key.workload == "fill-drain" {
            full[i].headlineHeapInuseBytes = max(full[i].headlineHeapInuseBytes, go)
        }
        results.fullSuite = FullSuiteReference(path: "Results/full/summary.csv", summaries: full)
        let md = Report.fullSuiteMarkdown(results)
        #expect(md.contains("in \(rows - 1) of \(rows) rows") && md.contains("| classic | fill-drain | "))
        #expect(Report.fullSuiteLine(results)?.hasSuffix("(REPORT.md: which, why)") == true)
        try Report.write(results, to: dir, header: "test")
        #expect(try #require(readTextFile(dir + "/REPORT.md")).contains("## Against the full suite"))
    }

    /// The terminal's screen: at most 40 lines of at most 120 columns, a row
    /// per workload with `go`'s figure and the least one on each map model;
    /// a strategy spec too long for a column is named `s<n>` and spelled out.
    @Test func theTerminalGetsOneScreen() throws {
        let dir = temporaryDirectory()
        try smallSuite.write(to: dir)
        var results = try ResultSet(directory: dir)
        let long = "clear=pointers+overflow=reclaim+shrink=never+evac=incremental+empty=keep+clearall=zero-in-place+relocate=off"
        for i in results.summaries.indices where results.summaries[i].key.strategy == "compact" {
            results.summaries[i].key.strategy = long
        }
        let text = Report.glanceText(results)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count <= 40 && lines.allSatisfy { $0.count <= 120 }, "\(lines.count) lines, \(lines.map(\.count).max() ?? 0) columns")
        #expect(lines.contains { $0.hasPrefix("s4 = \(long)") })
        for f in Report.findings(results) {
            let row = try #require(lines.first { $0.hasPrefix(f.workload + " ") }, "\(f.workload)")
            #expect(row.contains(Report.mib(f.go.headlineHeapInuseBytes)) && row.contains(Report.mib(f.best.headlineHeapInuseBytes)))
            #expect(row.contains(f.best.key.strategy == long ? " s4 " : " \(f.best.key.strategy) "))
        }
    }
}
