import Foundation
import Testing
@testable import BucketLab
@testable import LabMaps

@Suite struct ReportTests {
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
            for map in MapModels.names { #expect(svg.contains(">\(workload) (\(map))</text>")) }
        }
        #expect(svg.contains("churn (swiss) drained, go1.27.3, median run: 12"))
        #expect(svg.contains("churn (swiss) drained, go1.27.3, median run: 11–13"), "Go's runs as a whisker")
        #expect(svg.contains("churn (classic) drained, lab, go strategy: 11"))
        #expect(!svg.contains("(classic) drained, go1.27.3"), "each model only beside the Go versions it models")
        #expect(svg.contains(" MiB</text>"), "compact MiB ticks")
    }
}
