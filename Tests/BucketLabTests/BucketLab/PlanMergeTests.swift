import Foundation
import Testing
@testable import BucketLab

/// A run spread out: `plan` prints the cells, GNU parallel runs them two at
/// a time, `merge` assembles them — the same memory columns as `run`; a
/// missing cell is listed and re-planned, a cell of another plan refused.
@Suite(.serialized) struct PlanMergeTests {
    static let parallel = ["/usr/bin/parallel", "/usr/local/bin/parallel"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let options = ["--workload", "fill-drain-ptr,churn", "--strategy", "go,compact", "--keys", "3000", "--repeat", "1",
                          "--pprof", "none"]

    @Test(.enabled(if: parallel != nil, "GNU parallel is not installed (apt-get install parallel)"))
    func aPlanRunThroughGNUParallelMergesIntoTheRunItPlanned() throws {
        let plan = temporaryDirectory() + "/plan"
        let shell = try bucketlab(["plan"] + Self.options + ["--out", plan, "--format", "shell"])
        #expect(shell.status == 0, "\(shell.stderr)")
        let commands = shell.stdout.split(separator: "\n").map(String.init)
        #expect(commands.count == 8)
        // Half the cells first: merge lists the rest and plans only them.
        let half = temporaryDirectory() + "/half.txt"
        try commands.prefix(4).joined(separator: "\n").write(toFile: half, atomically: true, encoding: .utf8)
        let first = try runProcess(Self.parallel!, ["-j", "2", "-a", half])
        #expect(first.status == 0, "\(first.stderr)")
        let early = try bucketlab(["merge", plan])
        #expect(early.status == 65 && early.stderr.contains("4 of 8 cells missing"), "\(early.stderr)")
        #expect(!FileManager.default.fileExists(atPath: plan + "/phases.csv"), "nothing written")
        let rest = try bucketlab(["plan", "--only-missing", "--out", plan, "--format", "shell"])
        #expect(rest.stdout.split(separator: "\n").count == 4)
        let restFile = temporaryDirectory() + "/rest.txt"
        try rest.stdout.write(toFile: restFile, atomically: true, encoding: .utf8)
        #expect(try runProcess(Self.parallel!, ["-j", "2", "-a", restFile]).status == 0)
        let merged = try bucketlab(["merge", plan])
        #expect(merged.status == 0, "\(merged.stderr)")
        let local = temporaryDirectory() + "/run"
        #expect(try bucketlab(["run"] + Self.options + ["--out", local]).status == 0)
        for f in ["phases.csv", "samples.csv", "gc.csv", "heap.csv", "summary.csv"] {
            let a = try String(contentsOfFile: plan + "/" + f, encoding: .utf8), b = try String(contentsOfFile: local + "/" + f, encoding: .utf8)
            #expect(WorkloadFileTests.memoryColumns(a) == WorkloadFileTests.memoryColumns(b), "\(f)")
        }
        #expect(FileManager.default.fileExists(atPath: plan + "/REPORT.md"))
    }

    @Test func aCellOfAnotherPlanIsRefused() throws {
        let a = temporaryDirectory() + "/a", b = temporaryDirectory() + "/b"
        let options = ["--workload", "fill-drain", "--strategy", "go", "--map", "classic", "--keys", "2000", "--repeat", "1",
                       "--pprof", "none", "--format", "shell"]
        for p in [a, b] {
            let o = try bucketlab(["plan"] + options + ["--out", p])
            #expect(o.status == 0, "\(o.stderr)")
            let line = o.stdout.split(separator: "\n")[0]
            #expect(try runProcess("/bin/sh", ["-c", String(line)]).status == 0)
        }
        let cellA = try FileManager.default.contentsOfDirectory(atPath: a + "/cells")[0]
        let o = try bucketlab(["merge", b, a + "/cells/" + cellA])
        #expect(o.status == 65 && o.stderr.contains("a cell of plan 'a', not of 'b'"), "\(o.stderr)")
        #expect(try bucketlab(["merge", temporaryDirectory() + "/none"]).status == 65)
        #expect(try bucketlab(["plan", "--out", a, "--format", "yaml"]).status == 64)
    }
}
