import Foundation
import Testing
@testable import BucketLab

/// "The usual advice, measured": rows taken from the run's own figures,
/// verdicts that follow them, the section only where a run can give it.
@Suite struct ReportAdviceTests {
    @Test func syncMapAndEmptyingRowsComeFromTheRunsFigures() throws {
        let dir = temporaryDirectory()
        // Enough keys that each side's difference is well over AdviceRow.floorBytes.
        let r = try bucketlab(["run", "--map", "all", "--workload", "fill-drain,fill-clear,tombstone-churn", "--strategy", "go",
                               "--keys", "20000", "--repeat", "1", "--pprof", "none", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try ResultSet(directory: dir)
        let headline = Dictionary(results.summaries.map { ("\($0.key.map)/\($0.key.workload)", $0.headlineHeapInuseBytes) }) { a, _ in a }
        let sync = results.advice.filter { $0.practice == "switch to sync.Map" }
        #expect(sync.count == 4, "fill-drain and fill-clear on both generations; tombstone-churn left out")
        for row in sync {
            let workload = String(row.workload.prefix { $0 != " " })
            #expect(row.withoutBytes == headline["\(row.without)/\(workload)"] && row.withBytes == headline["\(row.with)/\(workload)"])
        }
        // A drained hash-trie gives its nodes back; Go 1.19's sync.Map keeps
        // its read map and a box per key beside buckets of 16-byte keys.
        let drained = { (with: String) in sync.first { $0.with == with && $0.workload.hasPrefix("fill-drain") }! }
        #expect(drained("synctrie").verdict == .helps)
        #expect(drained("syncmap119").verdict == .worse)
        let emptied = results.advice.filter { $0.practice == "empty the map" }
        #expect(emptied.count == 6 && Set(emptied.map(\.generation)).count == 2, "three idioms on classic and swiss")
        for row in emptied {
            #expect(row.withBytes < row.withoutBytes && row.verdict == .helps)
        }
        // A new map keeps less than clear(m), which keeps the buckets.
        for map in ["classic", "swiss"] {
            let rows = emptied.filter { $0.generation.contains(map) }
            let made = try #require(rows.first { $0.with == "m = make(…)" }), cleared = try #require(rows.first { $0.with == "clear(m)" })
            #expect(made.withBytes < cleared.withBytes)
        }
        let report = try String(contentsOfFile: dir + "/REPORT.md", encoding: .utf8)
        #expect(report.contains("## The usual advice, measured") && report.contains("switch to sync.Map, Go ≥ 1.24"))
        // The GC-cost fit has no hash-trie heap: the findings say its figure is a lower bound.
        #expect(report.contains(Report.hashTrieCostNote))
    }

    @Test func finalizerRowsSetTheDropBesideAPlainOne() throws {
        let dir = temporaryDirectory()
        let r = try bucketlab(["run", "--workload", "fill-clear,finalizer-drop,cleanup-drop,finalizer-cycle", "--strategy", "go",
                               "--keys", "20000", "--repeat", "1", "--pprof", "none", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try ResultSet(directory: dir)
        let rows = results.advice.filter { $0.practice == "clear it in a finalizer" }
        // Classic (Go 1.19) has no AddCleanup: 3 rows; swiss 5.
        #expect(rows.filter { $0.generation.contains("classic") }.count == 3)
        #expect(rows.filter { $0.generation.contains("swiss") }.count == 5)
        let phases = try PhaseRow.read(dir + "/phases.csv")
        let bytes = { (map: String, workload: String, phase: String) in
            phases.first { $0.key.map == map && $0.key.workload == workload && $0.phase == phase }!.measurement.heapInuseBytes
        }
        for row in rows {
            let map = row.generation.contains("classic") ? "classic" : "swiss"
            #expect(row.withoutBytes == bytes(map, "fill-clear", "rebuilt"))
            let workload = String(row.workload.prefix { $0 != " " }), phase = String(row.workload.dropFirst(workload.count + 2).dropLast())
            #expect(row.withBytes == bytes(map, workload, phase))
            // One cycle after the drop the finalizer has only been queued,
            // and a map in a cycle with its finalizer is never freed: the
            // whole map is there; a cycle later it is gone.
            if phase == "gc1" || workload == "finalizer-cycle" {
                #expect(row.verdict == .worse && row.withBytes > 10 * row.withoutBytes)
            } else {
                #expect(row.withBytes * 10 < bytes(map, workload, "gc1") && row.verdict == .noChange)
            }
        }
    }

    @Test func verdictsFollowTheRatio() {
        let mib = 1 << 20
        func row(_ without: Int, _ with: Int) -> AdviceRow {
            AdviceRow(practice: "p", generation: "g", workload: "w", without: "a", with: "b", withoutBytes: without, withBytes: with)
        }
        #expect(row(100 * mib, 50 * mib).verdict == .helps)
        #expect(row(100 * mib, 95 * mib).verdict == .noChange && row(100 * mib, 108 * mib).verdict == .noChange)
        #expect(row(100 * mib, 120 * mib).verdict == .worse)
        // Near nothing on both sides: no verdict but "no change"; from near
        // nothing to a map's worth: worse, with no ratio to show.
        #expect(row(0, 0).verdict == .noChange && row(8 << 10, 0).verdict == .noChange)
        #expect(row(8 << 10, 40 * mib).verdict == .worse && row(8 << 10, 40 * mib).ratio == nil)
    }

    @Test func aRunOfMapsAloneHasNoSyncMapRows() throws {
        let dir = temporaryDirectory()
        #expect(try bucketlab(["run", "--workload", "fill-drain", "--strategy", "go", "--keys", "2000", "--repeat", "1",
                               "--pprof", "none", "--out", dir]).status == 0)
        let results = try ResultSet(directory: dir)
        #expect(results.advice.isEmpty)
        #expect(!(try String(contentsOfFile: dir + "/REPORT.md", encoding: .utf8)).contains("The usual advice"))
    }
}
