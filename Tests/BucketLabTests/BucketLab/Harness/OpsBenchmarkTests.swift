import Foundation
import Testing
@testable import BucketLab

/// `bucketlab ops`: ratios pair the lab and Go repetition by repetition, and
/// every Go figure in ops.csv was measured in the same run as the lab's.
@Suite struct OpsBenchmarkTests {
    func sample(_ impl: String, _ op: String, rep: Int, ns: Double, gc: String = "off") -> OpsSample {
        OpsSample(impl: impl, op: op, keys: 10, thp: "off", gc: gc, rep: rep, nsPerOp: ns, anonHugeKiB: 0)
    }

    @Test func ratiosPairTheSameRepetition() throws {
        let samples = [sample("lab:swiss", "insert", rep: 0, ns: 100), sample("lab:swiss", "insert", rep: 1, ns: 200),
                       sample("go1.27.3", "insert", rep: 1, ns: 400), sample("go1.27.3", "insert", rep: 0, ns: 50),
                       sample("go1.27.3", "insert", rep: 2, ns: 7),  // no lab repetition 2: unpaired
                       sample("lab:swiss", "insert", rep: 0, ns: 1, gc: "on")]  // no Go row with the collector on
        let ratios = OpsBenchmark.ratios(samples, goVersions: ["go1.27.3"])
        let r = try #require(ratios.first)
        #expect(ratios.count == 1 && r.lab == "lab:swiss" && r.go == "go1.27.3" && r.gc == "off" && r.reps == 2)
        // 100/50 = 2 and 200/400 = 0.5; medians of the sides would say 150/225.
        #expect(r.ratio.median == 1.25 && r.ratio.min == 0.5 && r.ratio.max == 2)
        #expect(OpsBenchmark.ratios(samples, goVersions: ["go1.19.8"]).isEmpty, "Go 1.19 pairs with the classic rows")
        let rows = samples.summarised()
        #expect(rows.map(\.impl) == ["lab:swiss", "go1.27.3", "lab:swiss"])
        #expect(rows[1].reps == 3 && rows[1].ns.median == 50 && rows[1].ns.min == 7 && rows[1].source == "this-run")
        #expect(GoReference.versionHasSwissMaps("go1.24") && GoReference.versionHasSwissMaps("go1.27.3")
                && !GoReference.versionHasSwissMaps("go1.19.8") && !GoReference.versionHasSwissMaps("go1.23.4"))
    }

    /// A small run with every Go toolchain installed: each Go row comes from
    /// this run (as many repetitions as the lab's), each ratio is the
    /// median of the per-repetition ratios in ops-samples.csv, and with
    /// `--thp off` no process got a huge page.
    @Test(.enabled(if: !GoReference.toolchains().isEmpty && ProcessInfo.processInfo.environment["BUCKETLAB_SYSTEM_PAGES"] == nil,
                   "needs a Go toolchain; skipped in sanitizer builds"))
    func goIsMeasuredInTheSameRun() throws {
        let dir = temporaryDirectory()
        let r = try bucketlab(["ops", "--keys", "3000", "--repeat", "3", "--gc", "both", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let samples = try OpsSample.read(dir + "/ops-samples.csv")
        let rows = try OpsRow.read(dir + "/ops.csv")
        let ratios = try OpsRatioRow.read(dir + "/ops-ratios.csv")
        let goVersions = Set(samples.map(\.impl).filter { $0.hasPrefix("go1.") })
        #expect(goVersions.count == GoReference.toolchains().count)
        for row in rows {
            #expect(row.reps == 3 && row.source == "this-run" && row.warmup == "fresh-heap", "\(row.impl) \(row.op)")
            if row.anonHugeKiB >= 0 { #expect(row.anonHugeKiB == 0, "\(row.impl) \(row.op): thp off") }
        }
        #expect(Set(rows.filter { goVersions.contains($0.impl) }.map(\.gc)) == ["off", "on"])
        #expect(!ratios.isEmpty)
        for ratio in ratios {
            let lab = samples.filter { $0.impl == ratio.lab && $0.op == ratio.op && $0.gc == ratio.gc }
            let go = samples.filter { $0.impl == ratio.go && $0.op == ratio.op && $0.gc == ratio.gc }
            let perRep = lab.compactMap { l in go.first { $0.rep == l.rep }.map { l.nsPerOp / $0.nsPerOp } }
            #expect(perRep.count == 3)
            #expect(abs(median(perRep) - ratio.ratio.median) < 0.001 + ratio.ratio.median * 0.001, "\(ratio.lab) \(ratio.op)")
        }
    }
}
