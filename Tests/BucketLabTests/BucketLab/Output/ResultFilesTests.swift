import Foundation
import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct ResultFilesTests {
    @Test func resultFilesAreCompleteAndReadBack() throws {
        let dir = temporaryDirectory()
        try smallSuite.write(to: dir)
        for (file, header) in [("phases.csv", PhaseRow.header), ("samples.csv", SampleRow.header), ("gc.csv", GCRow.header),
                               ("heap.csv", HeapClassRow.header), ("summary.csv", RunSummary.header)] {
            let doc = try CSVDocument(path: dir + "/" + file)
            #expect(doc.header == header, "\(file)")
            #expect(!doc.rows.isEmpty, "\(file)")
        }
        let phases = try CSVDocument(path: dir + "/phases.csv")
        #expect(phases.rows.count == smallSuite.phases.count)
        let gc = try CSVDocument(path: dir + "/gc.csv")
        #expect(gc.rows.count == smallSuite.gc.count && gc.rows.count > Workload.allCases.count * 4 * 2)
        let trace = try #require(readTextFile(dir + "/trace.json"))
        let json = try JSONSerialization.jsonObject(with: Data(trace.utf8)) as? [String: Any]
        let events = try #require(json?["traceEvents"] as? [[String: Any]])
        #expect(events.filter { $0["cat"] as? String == "gc" }.count == smallSuite.gc.count)
        #expect(events.filter { $0["cat"] as? String == "phase" }.count == smallSuite.phases.count)
        // Perfetto's view: metadata, slices and counters, each run's in time
        // order; every collection with its steps inside it; the heap and goal
        // counter tracks.
        #expect(Set(events.compactMap { $0["ph"] as? String }) == ["M", "X", "C"])
        var last: [Int: Double] = [:]
        for e in matching(events, where: { $0["ph"] as? String != "M" }) {
            let pid = try #require(e["pid"] as? Int), ts = try #require(e["ts"] as? Double)
            #expect(ts >= last[pid, default: 0], "run \(pid): time goes back at \(e["name"] ?? "")")
            last[pid] = ts
        }
        #expect(Set(last.keys).count == smallSuiteCells)
        var open: (end: Double, pid: Int)?
        var steps = 0
        for e in matching(events, where: { $0["ph"] as? String == "X" }) {
            let ts = e["ts"] as! Double, dur = try #require(e["dur"] as? Double), pid = e["pid"] as! Int
            if e["cat"] as? String == "gc" { open = (ts + dur, pid) }
            if e["cat"] as? String == "gc-step" {
                let parent = try #require(open)
                #expect(parent.pid == pid && ts + dur <= parent.end + 0.001)
                steps += 1
            }
        }
        #expect(steps >= smallSuite.gc.count)
        let counters = events.filter { $0["ph"] as? String == "C" }
        #expect(Set(counters.compactMap { $0["name"] as? String }) == ["heap bytes", "heap goal"])
        let heapArgs = try #require(counters.first { $0["name"] as? String == "heap bytes" }?["args"] as? [String: Int])
        #expect(Set(heapArgs.keys) == ["in use", "resident", "released"])
        #expect(counters.count > smallSuite.samples.count)

        let results = try ResultSet(directory: dir)
        #expect(results.summaries.count == smallSuiteCells)
        for map in MapModels.defaultNames {
            let fillDrainGo = try #require(results.summaries.first {
                $0.key.map == map && $0.key.workload == "fill-drain" && $0.key.strategy == "go"
            })
            #expect(fillDrainGo.finalLiveBytes == 600 * 16)
            #expect(results.heapSeries[ResultSet.seriesKey(map: map, workload: "churn")]?.count == 4)
        }
        try Report.write(results, to: dir, header: "test")
        let report = try #require(readTextFile(dir + "/REPORT.md"))
        #expect(report.contains("| classic | fill-drain | go |") && report.contains("| swiss | fill-drain | go |"))
        #expect(report.contains("## The map models side by side") && report.contains("| fill-drain | go |"))
        #expect(report.contains("## tombstone-churn") && report.contains("| swiss | go | 87 |"))
        #expect(report.contains("![") && report.contains("retained-classic.svg") && report.contains("retained-swiss.svg"))
        for svg in ["maps.svg", "retained-swiss.svg", "gc-time-classic.svg", "heap-classic-churn.svg", "heap-swiss-churn.svg"] {
            let text = try #require(readTextFile(dir + "/" + svg))
            #expect(text.hasPrefix("<svg") && text.contains("</svg>") && text.contains("polyline") == svg.hasPrefix("heap"))
        }
        let delta = Report.compare(results.summaries, results.summaries)
        #expect(delta.rows.count == smallSuiteCells && delta.rows.allSatisfy { $0[5] == "0.00" && $0[9] == "1.00" })
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "no temporary file is left behind")
    }
}
