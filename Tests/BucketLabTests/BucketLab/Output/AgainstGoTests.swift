import Foundation
import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct AgainstGoTests {
    /// Several Go runs of one phase: the one with the median net heap is
    /// Go's figure, the smallest and largest its range; other versions and
    /// phases stay apart; the rows round-trip through against-go.csv.
    @Test func againstGoTakesTheMedianOfGosRuns() throws {
        var phase = PhaseRow(key: RunKey(runID: "t", map: SwissMap.modelName, workload: "fill-drain", strategy: "go",
                                         repeatIndex: 1), phase: "drained", measurement: RunMeasurement(), phaseNs: 1, startNs: 0)
        phase.measurement.heapInuseBytes = 250
        func go(_ version: String, _ phase: String, net: Int, gc: Int) -> GoPhaseRow {
            var g = GoPhaseRow()
            g.goVersion = version
            g.workload = "fill-drain"
            g.phase = phase
            g.baselineHeapInuseBytes = 1000
            g.heapInuseBytes = 1000 + net
            g.gcNs = gc
            return g
        }
        let reference = [go("go1.27.3", "drained", net: 100, gc: 5), go("go1.27.3", "drained", net: 300, gc: 1),
                         go("go1.27.3", "drained", net: 200, gc: 3), go("go1.27.3", "peak", net: 900, gc: 9),
                         go("go1.19.8", "drained", net: 50, gc: 7)]
        let rows = AgainstGo.join(phases: [phase], gc: [], reference: reference)
        #expect(rows.count == 1, "one Go version models swiss; the lab has no peak")
        let r = try #require(rows.first)
        #expect(r.goNetHeapInuseBytes == 200 && r.goGCNs == 3 && r.goRuns == 3)
        #expect(r.goNetMinHeapInuseBytes == 100 && r.goNetMaxHeapInuseBytes == 300 && r.withinGoRange)
        #expect(r.ratio == 1.25)
        // Go against itself: 100 against median(300, 200) = 250, 300 against
        // 150, 200 against 200 — errors 0.6, 1.0 and 0; one run within 2%.
        #expect(abs(r.goRunError - 1.6 / 3) < 1e-9 && r.goRunsWithin2Percent == 1)
        let back = try AgainstGoRow.rows(of: CSVDocument(text: AgainstGoRow.csv(rows), name: "t"), file: "t")
        #expect(back.first?.goNetMaxHeapInuseBytes == 300 && back.first?.goRuns == 3)
        #expect(back.first?.goRunsWithin2Percent == 1 && abs((back.first?.goRunError ?? 0) - 0.5333) < 1e-9)
        let chart = SVG.barChart(title: "t", yLabel: "y", groups: ["a"], seriesNames: ["lab", "go"], values: [[250, 200]],
                                 ranges: [[nil, (low: 100, high: 300)]])
        #expect(chart.contains("a go: 100–300"), "Go's runs drawn as a whisker")
    }

    /// The summary counts the lab's phases within 2% of Go's median and
    /// within Go's range, and what one Go run scores against the others.
    @Test func againstGoSummarySetsTheLabBesideGoItself() {
        func row(_ phase: String, lab: Int, goNet: Int, min: Int, max: Int, runs: Int, runError: Double, within: Int) -> AgainstGoRow {
            var r = AgainstGoRow()
            r.map = SwissMap.modelName
            r.workload = "fill-drain"
            r.phase = phase
            r.goVersion = "go1.27.3"
            r.labHeapInuseBytes = lab
            r.goHeapInuseBytes = goNet + 10
            r.goBaselineHeapInuseBytes = 10
            r.goNetMinHeapInuseBytes = min
            r.goNetMaxHeapInuseBytes = max
            r.goRuns = runs
            r.goRunError = runError
            r.goRunsWithin2Percent = within
            return r
        }
        let rows = [row("a", lab: 1010, goNet: 1000, min: 990, max: 1100, runs: 4, runError: 0.01, within: 4),
                    row("b", lab: 1050, goNet: 1000, min: 950, max: 1040, runs: 4, runError: 0.05, within: 1),
                    row("c", lab: 900, goNet: 1000, min: 980, max: 1020, runs: 5, runError: 0.03, within: 2)]
        let s = AgainstGo.summaries(rows)
        #expect(s.count == 1)
        #expect(s.first?.phases == 3 && s.first?.labWithin2Percent == 1 && s.first?.labWithinRange == 2)
        #expect(abs((s.first?.labMeanError ?? 0) - 0.16 / 3) < 1e-9)
        #expect(abs((s.first?.goRunWithin2Percent ?? 0) - (1 + 0.25 + 0.4)) < 1e-9)
        #expect(abs((s.first?.goRunMeanError ?? 0) - 0.03) < 1e-9 && s.first?.goRuns == 4)
        // A file from before the leave-one-out columns reads them as zeros:
        // no figure for Go against itself, rather than a perfect one.
        let older = rows.map { r in
            var r = r
            r.goRunError = 0
            r.goRunsWithin2Percent = 0
            return r
        }
        let o = AgainstGo.summaries(older)
        #expect(o.first?.goRunMeanError == nil && o.first?.goRunWithin2Percent == nil && o.first?.labWithin2Percent == 1)
        #expect(AgainstGo.summaryRows(o).first?[6] == "—")
        let table = Report.markdownTable(header: AgainstGo.summaryHeader, rows: AgainstGo.summaryRows(s))
        #expect(table.split(separator: "\n").allSatisfy {
            $0.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count == AgainstGo.summaryHeader.count + 1
        }, "a pipe in a header cell is escaped, not a column break")
    }

    /// A reference run on a sync.Map joins the sync.Map model of its Go
    /// generation; a map run the map model.
    @Test func syncMapRunsJoinTheSyncMapModels() {
        #expect(AgainstGo.mapModel(ofGoVersion: "go1.19.8") == BucketMap.modelName)
        #expect(AgainstGo.mapModel(ofGoVersion: "go1.27.3") == SwissMap.modelName)
        #expect(AgainstGo.mapModel(ofGoVersion: "go1.19.8-syncmap") == SyncMap119.modelName)
        #expect(AgainstGo.mapModel(ofGoVersion: "go1.23.4-syncmap") == SyncMap119.modelName)
        #expect(AgainstGo.mapModel(ofGoVersion: "go1.24.0-syncmap") == SyncTrie.modelName)
        #expect(AgainstGo.mapModel(ofGoVersion: "go1.27.3-syncmap") == SyncTrie.modelName)
    }

    /// The reference's phase peak of mappedReady under a limit reads back;
    /// files written before it (no column) still read, the peak nil.
    @Test func theReferencesPeakReadyUnderALimitReadsBack() throws {
        let names = GoPhaseRow.columns.map(\.name)
        #expect(names.last == "mem_peak_ready_bytes")
        func value(_ name: String) -> String {
            switch name {
            case "go_version": "go1.19.8"
            case "workload", "phase": "w"
            case "memlimit": "16777216"
            case "gogc": "off"
            case "mem_peak_ready_bytes": "20470800"
            default: "7"
            }
        }
        for (columns, peak) in [(names, Optional(20_470_800)), (Array(names.dropLast()), nil)] {
            let dir = temporaryDirectory()
            try FileManager.default.createDirectory(atPath: dir + "/go1.19.8", withIntermediateDirectories: true)
            try (columns.joined(separator: ",") + "\n" + columns.map(value).joined(separator: ",") + "\n")
                .write(toFile: dir + "/go1.19.8/phases.csv", atomically: true, encoding: .utf8)
            let rows = try AgainstGo.readReference(dir)
            #expect(rows.count == 1 && rows[0].memPeakReadyBytes == peak && rows[0].memlimit == "16777216")
        }
    }
}
