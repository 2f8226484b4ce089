import Foundation
import Testing
@testable import BucketLab

/// `bucketlab check` as CI runs it: the built binary, small sizes. Limits
/// are set from the figures a first run wrote (its --out folder), so the
/// tests follow the lab's figures instead of copying them.
@Suite(.serialized) struct CheckCommandTests {
    static let small = ["--keys", "2000", "--map", "classic"]

    /// The phase rows `dir` holds for `workload` at `phase` (one per map × strategy).
    func rows(_ dir: String, _ workload: String, _ phase: String) throws -> [PhaseRow] {
        matching(try PhaseRow.read(dir + "/phases.csv")) { $0.key.workload == workload && $0.phase == phase }
    }

    @Test func aLimitHoldsAtTheFigureAndBreaksOneByteBelowIt() throws {
        let dir = temporaryDirectory()
        let first = try bucketlab(["check", "--workload", "fill-drain", "--strategy", "go,shrink", "--max-retained-bytes", "1GiB",
                                   "--out", dir + "/run"] + Self.small)
        #expect(first.status == 0 && first.stderr.isEmpty, "\(first.stderr)")
        let drained = try rows(dir + "/run", "fill-drain", "drained")
        let go = try #require(drained.first { $0.key.strategy == "go" }).measurement.heapInuseBytes
        let shrink = try #require(drained.first { $0.key.strategy == "shrink" }).measurement.heapInuseBytes
        #expect(go > shrink, "go keeps its buckets after the drain, shrink does not")

        let holds = try bucketlab(["check", "--workload", "fill-drain", "--strategy", "go,shrink",
                                   "--max-retained-bytes", String(go)] + Self.small)
        #expect(holds.status == 0 && holds.stderr.isEmpty, "\(holds.stderr)")
        #expect(holds.stdout.contains("ok   max-retained-bytes: \(go) <= \(go) (retained bytes: heap in use) at phase drained, map classic, strategy go"),
                "\(holds.stdout)")

        let junit = dir + "/junit.xml"
        let breaks = try bucketlab(["check", "--workload", "fill-drain", "--strategy", "go,shrink",
                                    "--max-retained-bytes", String(go - 1), "--junit", junit] + Self.small)
        #expect(breaks.status == 1)
        let lines = breaks.stderr.split(whereSeparator: \.isNewline)
        #expect(lines == ["bucketlab: FAIL max-retained-bytes: \(go) > \(go - 1) (retained bytes: heap in use) at phase drained, map classic, strategy go, workload fill-drain"],
                "one line per limit broken, only go's: \(breaks.stderr)")
        #expect(breaks.stdout.contains("ok   max-retained-bytes: \(shrink) <= \(go - 1)"))
        let counts = try JUnitSchema.validate(XMLTree.parse(try #require(readTextFile(junit))))
        #expect(counts == JUnitSchema.Counts(tests: 2, failures: 1, errors: 0, skipped: 0))
    }

    /// The same options give the same heap figures, so a baseline check at
    /// 0% holds; a bigger size hint keeps a bigger bucket array after the
    /// drain, and the growth is reported against the baseline's figure.
    @Test func growthOverABaselineFolder() throws {
        let dir = temporaryDirectory()
        let args = ["check", "--workload", "fill-drain", "--strategy", "go"] + Self.small
        #expect(try bucketlab(args + ["--max-leaked-bytes", "1GiB", "--out", dir + "/base"]).status == 0)
        let same = try bucketlab(args + ["--baseline", dir + "/base", "--max-growth", "0%"])
        #expect(same.status == 0 && same.stdout.contains("ok   max-growth: +0% <= 0%"), "\(same.stdout)\(same.stderr)")

        let grown = try bucketlab(args + ["--hint", "16000", "--baseline", dir + "/base", "--max-growth", "5%", "--out", dir + "/grown"])
        let base = try #require(rows(dir + "/base", "fill-drain", "drained").first).measurement.heapInuseBytes
        let now = try #require(rows(dir + "/grown", "fill-drain", "drained").first).measurement.heapInuseBytes
        #expect(now > base + base / 20, "the hint grows the drained map's buckets by more than 5%")
        #expect(grown.status == 1)
        #expect(grown.stderr.hasPrefix("bucketlab: FAIL max-growth: +") && grown.stderr.contains("> 5% (retained bytes \(now), baseline \(base))")
                && grown.stderr.contains("at phase drained, map classic, strategy go"), "\(grown.stderr)")

        // The run's own folder serves as a baseline for itself.
        let again = try bucketlab(args + ["--hint", "16000", "--baseline", dir + "/grown", "--max-growth", "0"])
        #expect(again.status == 0, "\(again.stderr)")
    }

    /// A cell that dies is an error on each of its limits: exit 1, and the
    /// JUnit file counts it as an error, not a failure.
    @Test func aKilledCellFailsTheGate() throws {
        let dir = temporaryDirectory()
        let r = try bucketlab(["check", "--workload", "fill-drain-ptr", "--strategy", "go,stale", "--max-leaked-bytes", "1GiB",
                               "--junit", dir + "/j.xml"] + Self.small,
                              environment: ["BUCKETLAB_TEST_KILL_CELL": "classic/fill-drain-ptr/stale"])
        #expect(r.status == 1)
        #expect(r.stderr.split(whereSeparator: \.isNewline).count == 1 && r.stderr.contains("ERROR max-leaked-bytes: cell failed")
                && r.stderr.contains("signal 9") && r.stderr.contains("strategy stale"), "\(r.stderr)")
        let counts = try JUnitSchema.validate(XMLTree.parse(try #require(readTextFile(dir + "/j.xml"))))
        #expect(counts == JUnitSchema.Counts(tests: 2, failures: 0, errors: 1, skipped: 0))
    }

    /// Bad input: the right status and one line before any work, nothing on
    /// stdout, and neither the JUnit file nor the output folder written.
    @Test func badInputIsRefusedBeforeAnyWork() throws {
        let dir = temporaryDirectory()
        // A real baseline at another size, and a folder that is not one.
        #expect(try bucketlab(["check", "--workload", "fill-drain", "--strategy", "go", "--keys", "1000", "--map", "classic",
                               "--max-leaked-bytes", "1GiB", "--out", dir + "/k1000"]).status == 0)
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        try "map,workload\nclassic,fill-drain\n".write(toFile: dir + "/empty/summary.csv", atomically: true, encoding: .utf8)
        let limit = ["--max-retained-bytes", "1MiB"]
        let cases: [([String], Int32, String)] = [
            (["--workload", "nope"] + limit, 64, "unknown workload 'nope'"),
            (["--workload", "all"] + limit, 64, "not 'all'"),
            (["--workload", "fill-drain"], 64, "no limit given"),
            (["--workload", "fill-drain", "--max-retained-bytes", "lots"], 64, "not a byte count"),
            (["--workload", "fill-drain", "--max-retained-ratio", "-1"], 64, "--max-retained-ratio"),
            (["--workload", "fill-drain", "--max-growth", "5%"], 64, "--max-growth needs --baseline"),
            (["--workload", "fill-drain", "--baseline", dir + "/k1000"], 64, "--baseline needs --max-growth"),
            (["--workload", "fill-drain", "--baseline", dir + "/k1000", "--max-growth", "x"], 64, "not a percentage"),
            (["--workload", "fill-drain", "--strategy", "nope"] + limit, 64, "unknown strategy 'nope'"),
            (["--workload", "fill-drain", "--keys", "0"] + limit, 64, "--keys"),
            (["--workload", "fill-drain", "--junit", "/proc/forbidden/j.xml"] + limit, 64, "--junit"),
            (["--workload", "fill-drain,churn", "--phase", "drained"] + limit, 65, "workload churn has no phase 'drained'"),
            (["--workload", "fill-drain", "--baseline", dir + "/missing", "--max-growth", "5%"], 65, "baseline"),
            (["--workload", "fill-drain", "--baseline", dir + "/empty", "--max-growth", "5%"], 65, "baseline"),
            (["--workload", "fill-drain", "--baseline", dir + "/k1000", "--max-growth", "5%"], 65, "--keys 1000"),
            (["--workload", "fill-drain", "--keys", "1000", "--strategy", "go,shrink", "--baseline", dir + "/k1000",
              "--max-growth", "5%"], 65, "no row for classic/fill-drain/shrink"),
        ]
        for (args, status, message) in cases {
            let out = dir + "/out", junit = dir + "/j.xml"
            let r = try bucketlab(["check", "--map", "classic"] + args + ["--out", out]
                                  + (args.contains("--junit") ? [] : ["--junit", junit]))
            #expect(r.status == status, "\(args): \(r.stderr)")
            #expect(r.stderr.split(whereSeparator: \.isNewline).count == 1 && r.stderr.hasPrefix("bucketlab: ")
                    && r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args): \(r.stdout)")
            #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: junit), "\(args): nothing written")
        }
    }
}
