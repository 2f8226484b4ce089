import Foundation
import Testing
@testable import BucketLab

/// `bucketlab scale`: pairs of processes, the lab's memory columns those of
/// a plain run, Go's rows joined per phase; bad input refused.
@Suite(.serialized) struct ScaleCommandTests {
    static let sizes = ["--keys", "4000", "--payload-bytes", "32"]

    @Test func theLabSideIsAPlainRunOfTheGoStrategy() throws {
        let dir = temporaryDirectory() + "/scale"
        let r = try bucketlab(["scale", "--workload", "churn", "--map", "classic", "--runs", "2", "--no-go", "--out", dir] + Self.sizes)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try ScaleRow.read(dir + "/scale.csv")
        #expect(rows.map(\.side) == ["lab", "lab"] && rows.map(\.run) == [1, 2])
        #expect(rows.allSatisfy { $0.wallNs > 0 && $0.peakRSSBytes > 0 && $0.peakPhaseHeapInuseBytes > 0 && $0.keys == 4000 })
        let phases = try PhaseRow.read(dir + "/phases.csv")
        #expect(rows.map(\.peakPhaseHeapInuseBytes) == [1, 2].map { rep in
            phases.filter { $0.key.repeatIndex == rep }.map(\.measurement.heapInuseBytes).max()! })
        let plain = temporaryDirectory() + "/run"
        #expect(try bucketlab(["run", "--workload", "churn", "--map", "classic", "--strategy", "go", "--repeat", "2",
                               "--pprof", "none", "--no-settle", "--out", plain] + Self.sizes).status == 0)
        for f in ["phases.csv", "gc.csv", "heap.csv"] {
            let a = try String(contentsOfFile: dir + "/" + f, encoding: .utf8), b = try String(contentsOfFile: plain + "/" + f, encoding: .utf8)
            #expect(WorkloadFileTests.memoryColumns(a) == WorkloadFileTests.memoryColumns(b), "\(f)")
        }
    }

    @Test(.enabled(if: GoReference.go119Toolchain() != nil
                   && ProcessInfo.processInfo.environment["BUCKETLAB_SYSTEM_PAGES"] == nil,
                   "needs Go 1.19 (golang-1.19-go); skipped in sanitizer builds"))
    func eachPairSetsALabCellBesideAGoProcess() throws {
        let dir = temporaryDirectory() + "/scale"
        let r = try bucketlab(["scale", "--map", "classic", "--runs", "2", "--out", dir] + Self.sizes)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try ScaleRow.read(dir + "/scale.csv")
        #expect(rows.map(\.side) == ["lab", "go", "go", "lab"], "the first alternates")
        #expect(rows.map(\.first) == [1, 0, 1, 0])
        #expect(rows.allSatisfy { $0.goVersion.hasPrefix("go1.19") && $0.wallNs > 0 && $0.peakRSSBytes > 0 })
        let reference = try AgainstGo.readReference(dir + "/reference")
        #expect(reference.count == 2 * Set(reference.map(\.phase)).count, "one row per phase from each Go process")
        let against = try AgainstGoRow.read(dir + "/against-go.csv")
        #expect(!against.isEmpty && against.allSatisfy { $0.goRuns == 2 })
        let md = try String(contentsOfFile: dir + "/scale.md", encoding: .utf8)
        #expect(md.contains("| classic | go1.19") && md.contains("of \(against.count)"))
    }

    @Test func badInputIsRefusedBeforeAnyWork() throws {
        for (args, status, message) in [
            (["--keys", "1e4,1e5"], Int32(64), "one --keys"),
            (["--runs", "0"], 64, "--runs must be between"),
            (["--keys", "2e8"], 64, "--keys"),
            (["--workload", "nosuch"], 64, "unknown workload"),
            (["--workload-file", "/nonexistent.json"], 65, "/nonexistent.json"),
        ] {
            let dir = temporaryDirectory() + "/scale"
            let r = try bucketlab(["scale", "--no-go", "--out", dir] + args)
            #expect(r.status == status, "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir), "\(args): nothing written")
        }
    }
}
