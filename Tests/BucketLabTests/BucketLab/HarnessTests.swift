import Foundation
import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

/// A small suite shared by the harness tests (run once), on both map models.
let smallSuite: SuiteResult = {
    let strategies = try! Strategy.parseList("go,stale,shrink,compact")
    let config = try! SuiteConfig(strategies: strategies, keys: 6000, payloadBytes: 48, seed: 3, samples: 4)
    return try! Suite.run(config, runID: "test-run")
}()

func phase(_ r: SuiteResult, _ workload: String, _ strategy: String, _ name: String,
           map: String = BucketMap.modelName) -> RunMeasurement {
    r.phases.first {
        $0.key.map == map && $0.key.workload == workload && $0.key.strategy == strategy && $0.phase == name
    }!.measurement
}

/// Cells per model × workload of `smallSuite`.
let smallSuiteCells = MapModels.names.count * Workload.allCases.count * 4

func temporaryDirectory() -> String {
    let dir = NSTemporaryDirectory() + "bucketlab-test-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct HarnessTests {
    @Test func everyWorkloadRunsItsPhases() {
        for map in MapModels.names {
            for w in Workload.allCases {
                for s in ["go", "stale", "shrink", "compact"] {
                    let names = smallSuite.phases.filter {
                        $0.key.map == map && $0.key.workload == w.rawValue && $0.key.strategy == s
                    }.map(\.phase)
                    #expect(names == w.phases(bursts: 4, settle: true), "\(map) \(w.rawValue) \(s)")
                }
            }
        }
        #expect(smallSuite.summaries.count == smallSuiteCells)
        #expect(smallSuite.samples.count > 100)
    }

    @Test func goKeepsDrainedBucketsWhereShrinkDoesNot() {
        let peak = phase(smallSuite, "fill-drain", "go", "peak"), drained = phase(smallSuite, "fill-drain", "go", "drained")
        #expect(drained.liveKeys == 0 && drained.liveBytes == 0)
        #expect(drained.bucketBytes == peak.bucketBytes, "Go never shrinks")
        #expect(drained.heapInuseBytes >= peak.bucketBytes)
        let shrunk = phase(smallSuite, "fill-drain", "shrink", "drained")
        #expect(shrunk.bucketBytes < peak.bucketBytes / 20)
        #expect(peak.liveBytes == 6000 * 16)
    }

    @Test func staleLeaksPayloadsAndGoDoesNot() {
        #expect(phase(smallSuite, "fill-drain-ptr", "stale", "drained").leakedBytes == 6000 * 48)
        #expect(phase(smallSuite, "fill-drain-ptr", "go", "drained").leakedBytes == 0)
        let go = phase(smallSuite, "fill-drain-ptr", "go", "drained")
        let stale = phase(smallSuite, "fill-drain-ptr", "stale", "drained")
        #expect(stale.heapInuseBytes > go.heapInuseBytes)
    }

    @Test func pinsAndIteratorsRetainUntilReleased() {
        let pinned = phase(smallSuite, "leaked-interior-ref", "go", "dropped-pinned")
        let peak = phase(smallSuite, "leaked-interior-ref", "go", "peak")
        // The pinned array stays whole; being noscan, it keeps none of the
        // overflow buckets it chained (Go's too).
        #expect(pinned.liveBytes == 0 && pinned.heapInuseBytes >= peak.bucketBytes * 9 / 10)
        #expect(phase(smallSuite, "leaked-interior-ref", "go", "unpinned").heapInuseBytes == 0)
        let held = phase(smallSuite, "pinned-iterator", "go", "grown-pinned")
        let released = phase(smallSuite, "pinned-iterator", "go", "released")
        #expect(held.heapInuseBytes > released.heapInuseBytes)
    }

    /// The peak is the heap's exact high-water mark: no collection ever saw
    /// more in use than the run's peak.
    @Test func peaksCoverEveryCollection() {
        for summary in smallSuite.summaries {
            let cycles = smallSuite.gc.filter { $0.key == summary.key }
            #expect(!cycles.isEmpty)
            let most = cycles.map { max($0.cycle.inuseBeforeBytes, $0.cycle.inuseAfterBytes) }.max() ?? 0
            #expect(summary.peakHeapInuseBytes >= most, "\(summary.key): peak \(summary.peakHeapInuseBytes) < \(most)")
            let phases = smallSuite.phases.filter { $0.key == summary.key }
            #expect(phases.allSatisfy { $0.measurement.peakHeapInuseBytes >= $0.measurement.heapInuseBytes })
        }
    }

    /// Each summary row carries its workload's headline phase; the seed's
    /// leak (one interior pointer keeps a dropped map's whole array) shows
    /// there for every strategy.
    @Test func headlinesShowTheScenario() {
        for s in smallSuite.summaries {
            let w = Workload(rawValue: s.key.workload)!
            #expect(s.headlinePhase == w.headlinePhase(bursts: 4))
            let row = phase(smallSuite, s.key.workload, s.key.strategy, s.headlinePhase, map: s.key.map)
            #expect(s.headlineHeapInuseBytes == row.heapInuseBytes && s.headlineLiveBytes == row.liveBytes)
        }
        // On the Swiss map the pin keeps one table's groups (a table is at
        // most 1024 slots), not the whole map.
        let peakArray = phase(smallSuite, "leaked-interior-ref", "go", "peak").bucketBytes
        for s in smallSuite.summaries where s.key.workload == "leaked-interior-ref" && s.key.map == BucketMap.modelName {
            #expect(s.headlineHeapInuseBytes >= peakArray * 9 / 10 && s.headlineLiveBytes == 0, "\(s.key.strategy)")
            #expect(s.finalHeapInuseBytes < peakArray / 10, "unpinned, it goes")
        }
    }

    @Test func clearKeepsTheArrayAndRebuildingDropsIt() {
        let filled = phase(smallSuite, "fill-clear", "go", "filled")
        for name in ["cleared", "range-deleted"] {
            let emptied = phase(smallSuite, "fill-clear", "go", name)
            #expect(emptied.liveBytes == 0)
            #expect(emptied.bucketBytes >= filled.bucketBytes * 9 / 10, "\(name): Go keeps the array")
            #expect(emptied.heapInuseBytes < filled.heapInuseBytes, "\(name): the payloads go")
        }
        let rebuilt = phase(smallSuite, "fill-clear", "go", "rebuilt")
        #expect(rebuilt.bucketBytes < filled.bucketBytes / 50 && rebuilt.heapInuseBytes < filled.heapInuseBytes / 10)
        #expect(phase(smallSuite, "fill-clear", "compact", "cleared").bucketBytes < filled.bucketBytes / 50,
                "clearall=release lets the array go")
    }

    @Test func aStalledGrowHoldsBothArraysUntilWritesResume() {
        let stalled = phase(smallSuite, "stalled-grow", "go", "stalled")
        let finished = phase(smallSuite, "stalled-grow", "go", "finished")
        // Old array (2^B) plus new (2^(B+1)) against the new one alone.
        #expect(Double(stalled.bucketBytes) > 1.3 * Double(finished.bucketBytes))
        let compact = phase(smallSuite, "stalled-grow", "compact", "stalled")
        #expect(compact.bucketBytes < stalled.bucketBytes, "eager evacuation finishes the grow at once")
    }

    @Test func aFinishedRangeLoopKeepsDeletedPayloadsThroughTheNextGrow() {
        let mid = phase(smallSuite, "iterate-then-grow", "go", "deleted-mid-grow")
        #expect(mid.leakedBytes > 0, "deleted payloads stay reachable from old buckets the flag kept intact")
        #expect(phase(smallSuite, "iterate-then-grow", "go", "finished").leakedBytes == 0)
    }

    /// `map[string]*payload`: Go's delete clears the key, so the key strings
    /// go with the payloads; `stale` keeps both.
    @Test func deletedKeyStringsAreFreedUnlessSlotsKeepThem() {
        let peak = phase(smallSuite, "string-keys", "go", "peak")
        #expect(peak.liveBytes == 6000 * (16 + 8 + 48 + 16))
        let go = phase(smallSuite, "string-keys", "go", "drained")
        #expect(go.liveBytes == 0 && go.leakedBytes == 0)
        let stale = phase(smallSuite, "string-keys", "stale", "drained")
        #expect(stale.leakedBytes == 6000 * (48 + 16), "every payload and every key string")
        #expect(stale.heapInuseBytes > go.heapInuseBytes)
    }

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
        for e in events where e["ph"] as? String != "M" {
            let pid = try #require(e["pid"] as? Int), ts = try #require(e["ts"] as? Double)
            #expect(ts >= last[pid, default: 0], "run \(pid): time goes back at \(e["name"] ?? "")")
            last[pid] = ts
        }
        #expect(Set(last.keys).count == smallSuiteCells)
        var open: (end: Double, pid: Int)?
        var steps = 0
        for e in events where e["ph"] as? String == "X" {
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
        for map in MapModels.names {
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

    /// REPORT.md's findings come from the figures: per map model and
    /// workload the strategy named keeps least at the headline phase, its
    /// ratios are the summaries', and the leak audit is the headline phase's.
    @Test func findingsNameWhatKeepsLeast() throws {
        let dir = temporaryDirectory()
        try smallSuite.write(to: dir)
        let results = try ResultSet(directory: dir)
        let findings = Report.findings(results)
        #expect(findings.count == MapModels.names.count * Workload.allCases.count)
        for f in findings {
            let peers = results.summaries.filter { $0.key.map == f.map && $0.key.workload == f.workload }
            let least = try #require(peers.map(\.headlineHeapInuseBytes).min())
            #expect(f.bestIsGo ? Double(f.go.headlineHeapInuseBytes) <= Double(least) * 1.01
                               : f.best.headlineHeapInuseBytes == least && Double(f.go.headlineHeapInuseBytes) > Double(least) * 1.01)
            let headline = phase(smallSuite, f.workload, "go", f.go.headlinePhase, map: f.map)
            #expect(f.goHeadline?.measurement.leakedBytes == headline.leakedBytes
                    && f.goHeadline?.measurement.bucketBytes == headline.bucketBytes)
            #expect(f.text.contains("reached through live maps' live slots"), "the census's split")
            #expect(f.text.contains("**\(f.map) · \(f.workload)**"))
            #expect(f.text.contains(f.bestIsGo ? "no strategy keeps 1% less than `go`" : "`\(f.best.key.strategy)` keeps least"))
        }
        for map in MapModels.names {
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
    }

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

    @Test func csvRoundTripsAwkwardFields() throws {
        var t = CSVTable(header: ["a", "b", "c"])
        t.append(["plain", "with,comma", "with \"quotes\""])
        t.append(["multi\nline", "", "x"])
        // Found by the CSV fuzzer: "\r\n" is one Character and was not quoted.
        t.append(["crlf\r\ninside", "\r\n", "\"\r\n\""])
        t.append(["\"\u{301}combining", "e\u{301}", ","])
        let doc = try CSVDocument(text: t.text, name: "t")
        #expect(doc.header == ["a", "b", "c"])
        #expect(doc.rows == [["plain", "with,comma", "with \"quotes\""], ["multi\nline", "", "x"],
                             ["crlf\r\ninside", "\r\n", "\"\r\n\""], ["\"\u{301}combining", "e\u{301}", ","]])
    }

    @Test(arguments: [
        ("", "empty"),
        ("a,b\r\n1,2\r\n3\r\n", "fields"),
        ("a,b\r\n\"1,2\r\n", "unterminated"),
        ("a,b\r\n1\"x\",2\r\n", "quote"),
        ("a,b\r\n1,2,3\r\n", "fields"),
        // Found by the CSV fuzzer: a bare CR and a control character inside
        // quotes were accepted, then the rewritten file was refused.
        ("\r\"\u{1}\"", "carriage return"),
        ("a\r\n\"\u{1}\"\r\n", "control character"),
        ("a,b\r\n\"1\"x,2\r\n", "after a closing quote"),
    ])
    func malformedCSVIsRefused(text: String, fault: String) {
        #expect(throws: CSVError.self) { try CSVDocument(text: text, name: "bad.csv") }
        do { _ = try CSVDocument(text: text, name: "bad.csv") } catch {
            #expect("\(error)".contains(fault) && "\(error)".hasPrefix("bad.csv"))
        }
    }

    @Test func summariesWithBadNumbersAreRefused() throws {
        let dir = temporaryDirectory()
        try smallSuite.write(to: dir)
        var text = try #require(readTextFile(dir + "/summary.csv"))
        text = text.replacingOccurrences(of: "classic,fill-drain,go,6000,", with: "classic,fill-drain,go,many,")
        try text.write(toFile: dir + "/summary.csv", atomically: true, encoding: .utf8)
        #expect(throws: CSVError.self) { try ResultSet(directory: dir) }
    }

    // MARK: The Swiss map through the same harness

    /// Go 1.24+ does not shrink either: a drained Swiss map keeps every
    /// table; `shrink` rebuilds it small.
    @Test func swissKeepsDrainedTablesWhereShrinkDoesNot() {
        let swiss = SwissMap.modelName
        let peak = phase(smallSuite, "fill-drain", "go", "peak", map: swiss)
        let drained = phase(smallSuite, "fill-drain", "go", "drained", map: swiss)
        #expect(drained.liveKeys == 0 && drained.bucketBytes == peak.bucketBytes && drained.slotCapacity == peak.slotCapacity)
        #expect(phase(smallSuite, "fill-drain", "shrink", "drained", map: swiss).bucketBytes < peak.bucketBytes / 20)
        #expect(phase(smallSuite, "fill-drain-ptr", "stale", "drained", map: swiss).leakedBytes == 6000 * 48)
        #expect(phase(smallSuite, "fill-drain-ptr", "go", "drained", map: swiss).leakedBytes == 0)
    }

    /// tombstone-churn: each load's map is made for n entries and filled to
    /// that share of its slots; churn keeps the count constant. At 10% no
    /// Swiss table needs to rehash; the classic map reuses deleted slots and
    /// never has tombstones; at 87% the classic map cannot hold the fill
    /// (its limit is 6.5 of 8) and grows during it.
    @Test func tombstoneChurnHoldsItsLoads() throws {
        for map in MapModels.names {
            for load in Workload.churnLoads {
                let fill = phase(smallSuite, "tombstone-churn", "go", "fill\(load)", map: map)
                let churn = phase(smallSuite, "tombstone-churn", "go", "churn\(load)", map: map)
                #expect(churn.liveKeys == fill.liveKeys && churn.ops - fill.ops == 2 * 6000, "\(map) \(load)")
                #expect(churn.liveBytes == churn.liveKeys * 16)
                if map == BucketMap.modelName { #expect(churn.tombstones == 0) }
            }
            let low = phase(smallSuite, "tombstone-churn", "go", "churn10", map: map)
            let lowFill = phase(smallSuite, "tombstone-churn", "go", "fill10", map: map)
            #expect(low.mapRehashes == lowFill.mapRehashes && low.slotCapacity == lowFill.slotCapacity, "\(map)")
            #expect(lowFill.liveKeys == lowFill.slotCapacity / 10)
        }
        let classic87 = phase(smallSuite, "tombstone-churn", "go", "fill87")
        #expect(classic87.mapRehashes >= 1 && Double(classic87.liveKeys) / Double(classic87.slotCapacity) < 0.5)
        let swiss87 = phase(smallSuite, "tombstone-churn", "go", "churn87", map: SwissMap.modelName)
        let swiss44 = phase(smallSuite, "tombstone-churn", "go", "churn44", map: SwissMap.modelName)
        #expect(swiss87.tombstones > 0 || swiss87.mapRehashes > 0, "87% churn leaves tombstones or rehashes tables")
        #expect(swiss44.tombstones > 0, "deletes from full groups leave tombstones")
        // REPORT.md's table: one row per map × strategy × load, from phases.
        let table = TombstoneChurnRow.rows(from: smallSuite.phases)
        #expect(table.count == MapModels.names.count * 4 * Workload.churnLoads.count)
        #expect(table.allSatisfy { $0.churnOps == 2 * 6000 && $0.liveKeys > 0 })
        #expect(table.filter { $0.load == 10 && $0.strategy == "go" }.allSatisfy { $0.rehashes == 0 && $0.slotsChurned == $0.slotsFilled })
        #expect(table.filter { $0.load == 10 && $0.strategy == "shrink" }.allSatisfy { $0.slotsChurned < $0.slotsFilled },
                "10% is below shrink's quarter: the first delete shrinks the map")
        let swissRow = try #require(table.first { $0.map == SwissMap.modelName && $0.strategy == "go" && $0.load == 87 })
        #expect(swissRow.rehashes == swiss87.mapRehashes - phase(smallSuite, "tombstone-churn", "go", "fill87",
                                                                   map: SwissMap.modelName).mapRehashes)
    }
}
