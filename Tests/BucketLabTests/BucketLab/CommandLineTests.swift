import Foundation
import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite(.serialized) struct CommandLineTests {
    /// Every kind of bad input: the right status, one line on stderr naming
    /// the problem, no stack trace, nothing left in the output directory.
    @Test(arguments: [
        (["run", "--workload", "nope"], 64, "unknown workload 'nope'"),
        (["run", "--strategy", "nope"], 64, "unknown strategy 'nope'"),
        (["run", "--strategy", "clear=sometimes"], 64, "bad value 'sometimes'"),
        (["run", "--strategy", "shrink=below:2"], 64, "bad value"),
        (["run", "--keys", "0"], 64, "--keys"),
        (["run", "--keys", "-5"], 64, "keys"),
        (["run", "--keys", "99999999999"], 64, "--keys"),
        (["run", "--keys", "40000000", "--payload-bytes", "1000000"], 64, "free"),
        (["run", "--payload-bytes", "0"], 64, "--payload-bytes"),
        (["run", "--gogc", "fast"], 64, "--gogc"),
        (["run", "--samples", "0"], 64, "--samples"),
        (["run", "--pprof", "sometimes"], 64, "unknown --pprof 'sometimes'"),
        (["run", "--bogus"], 64, "bogus"),
        (["run", "--map", "hashbrown"], 64, "unknown map model 'hashbrown'; valid: classic, swiss, syncmap119, synctrie, all"),
        (["run", "--jobs", "0"], 64, "--jobs"),
        (["run", "--jobs", "2", "--in-process"], 64, "--in-process"),
        (["ops", "--keys", "0"], 64, "--keys"),
        (["ops", "--repeat", "0"], 64, "--repeat"),
        (["ops", "--thp", "maybe"], 64, "--thp"),
        (["ops", "--gc", "sometimes"], 64, "--gc"),
        (["gcbench", "--map", "hashbrown"], 64, "unknown map model 'hashbrown'"),
        (["stress", "--map", "hashbrown"], 64, "unknown map model 'hashbrown'"),
        (["stress", "--cycles", "0"], 64, "--cycles"),
        (["run", "--keys", "1e5,1x"], 64, "--keys: '1x' is not a whole number"),
        (["run", "--keys", "1000,1e3"], 64, "--keys: 1000 is listed twice"),
        (["run", "--keys", "1000,0"], 64, "--keys"),
        (["run", "--payload-bytes", "48,0"], 64, "--payload-bytes"),
        (["run", "--gogc", "100,fast"], 64, "--gogc"),
        (["gcbench", "--keys", "1000,2000"], 64, "lists are for 'bucketlab run'"),
        (["gccost", "fit"], 64, "--fit RUN=REF is needed"),
        (["gccost", "fit", "--fit", "lab"], 64, "'lab' is not RUN=REF"),
        (["gccost", "fit", "--fit", "/nonexistent/run=/nonexistent/ref"], 65, "/nonexistent/run/run.json: no such file"),
        (["gccost", "fit", "--fit", "a=b", "--floor-ms", "-1"], 64, "--floor-ms"),
        (["gccost", "check"], 64, "at least one RUN=REF"),
        (["gccost", "check", "lab"], 64, "'lab' is not RUN=REF"),
        (["gccost", "check", "/nonexistent/run=/nonexistent/ref"], 65, "/nonexistent/run/run.json: no such file"),
        (["gccost", "check", "a=b", "--coefficients", "/nonexistent/c.csv"], 65, "/nonexistent/c.csv: no such file"),
        (["gcbench", "--thp", "maybe"], 64, "--thp"),
        (["gcbench", "--payload-bytes", "0"], 64, "--payload-bytes"),
        (["run", "--memlimit", "lots"], 64, "--memlimit"),
        (["run", "--memlimit", "1000"], 64, "--memlimit"),
        (["run", "--container-limit", "2TiB"], 64, "--container-limit"),
        (["stress", "--gogc", "off"], 64, "needs a --memlimit"),
        (["stress", "--memlimit", "1x"], 64, "--memlimit"),
        (["check", "--workload", "churn", "--memlimit", "12"], 64, "--memlimit"),
    ] as [([String], Int32, String)])
    func badCommandLinesAreRefused(args: [String], status: Int32, message: String) throws {
        let dir = temporaryDirectory()
        let r = try bucketlab(args + ["--out", dir + "/out"])
        #expect(r.status == status)
        let lines = r.stderr.split(whereSeparator: \.isNewline)
        #expect(lines.count == 1, "one line: \(r.stderr)")
        #expect(r.stderr.hasPrefix("bucketlab: ") && r.stderr.contains(message), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"), "no output before validation passed")
    }

    /// A stress seed replays exactly in another process (Swift seeds its
    /// dictionaries' hashing per process; the stress test never lets their
    /// order choose an operation), so a violation it finds can be re-run.
    @Test func aStressSeedReplaysInAnotherProcess() throws {
        var reports: [[String]] = []
        for _ in 0..<2 {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bucketlab-stress-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let outcome = try bucketlab(["stress", "--cycles", "400", "--seed", "3", "--out", dir])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let table = try CSVDocument(path: dir + "/stress-seed3-eager.csv")
            #expect(table.rows.map { $0[0] } == MapModels.names, "a row per map model")
            reports.append(table.rows.flatMap { $0.dropLast() })  // all but elapsed_ns
            #expect(table.header.last == "elapsed_ns" && table.header[6] == "operations")
            #expect(table.rows.allSatisfy { Int($0[6])! > 1000 }, "operations")
        }
        #expect(reports[0] == reports[1])
    }

    /// Lists sweep: a run per point under points/, and sweep.csv with every
    /// point's summary rows and the point's dimensions; a point's memory
    /// columns are those of a plain run at its sizes.
    @Test func aSweepRunsEveryPointAndSetsThemSideBySide() throws {
        let dir = temporaryDirectory() + "/sweep"
        let common = ["--workload", "fill-drain-ptr", "--strategy", "go", "--map", "classic", "--repeat", "1", "--no-settle",
                      "--pprof", "none"]
        let o = try bucketlab(["run", "--keys", "1000,3e3", "--gogc", "100,50"] + common + ["--out", dir])
        #expect(o.status == 0, "\(o.stderr)")
        let sweep = try CSVDocument(path: dir + "/sweep.csv")
        #expect(sweep.header.prefix(8) == ["map", "workload", "strategy", "keys", "payload_bytes", "gogc", "memlimit", "status"])
        let keys = sweep.header.firstIndex(of: "keys")!, gogc = sweep.header.firstIndex(of: "gogc")!
        #expect(sweep.rows.map { "\($0[keys])/\($0[gogc])" } == ["1000/100", "1000/50", "3000/100", "3000/50"])
        for f in ["REPORT.md", "sweep-retained.svg", "sweep-gc.svg", "run.json",
                  "points/keys-3000-payload-48-gogc-50/summary.csv"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)")
        }
        let plain = temporaryDirectory() + "/plain"
        #expect(try bucketlab(["run", "--keys", "3000", "--gogc", "50"] + common + ["--out", plain]).status == 0)
        let a = try String(contentsOfFile: dir + "/points/keys-3000-payload-48-gogc-50/phases.csv", encoding: .utf8)
        let b = try String(contentsOfFile: plain + "/phases.csv", encoding: .utf8)
        #expect(WorkloadFileTests.memoryColumns(a) == WorkloadFileTests.memoryColumns(b))
        // Every file of a point carries the point's dimensions.
        let phases = try CSVDocument(path: dir + "/points/keys-3000-payload-48-gogc-50/phases.csv")
        let k = phases.header.firstIndex(of: "keys")!, g = phases.header.firstIndex(of: "gogc")!
        #expect(phases.rows.allSatisfy { $0[k] == "3000" && $0[g] == "50" })
    }

    @Test func unwritableOutputIsReportedBeforeAnyWork() throws {
        for out in ["/proc/forbidden/x", "/dev/null/x"] {
            let r = try bucketlab(["run", "--keys", "1000", "--out", out])
            #expect(r.status == 64 && r.stderr.split(whereSeparator: \.isNewline).count == 1, "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    @Test func plotAndCompareRefuseMissingOrBrokenResults() throws {
        let empty = temporaryDirectory()
        for args in [["plot", empty], ["plot", empty + "/missing"], ["compare", empty, empty]] {
            let r = try bucketlab(args)
            #expect(r.status == 65 && r.stderr.split(whereSeparator: \.isNewline).count == 1, "\(args): \(r.stderr)")
        }
        let dir = temporaryDirectory()
        let ok = try bucketlab(["run", "--keys", "500", "--workload", "fill-drain,churn", "--strategy", "go,stale", "--out", dir])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("fill-drain") && ok.stdout.contains("stale"))
        let summary = try #require(readTextFile(dir + "/summary.csv"))
        // Truncated mid-field, then garbled.
        for broken in [String(summary.prefix(summary.count * 2 / 3)) + "\"unterminated", "garbage\u{1}\nx"] {
            try broken.write(toFile: dir + "/summary.csv", atomically: true, encoding: .utf8)
            let before = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            for args in [["plot", dir], ["compare", dir, dir]] {
                let r = try bucketlab(args)
                #expect(r.status == 65 && r.stderr.hasPrefix("bucketlab: ") && r.stderr.split(whereSeparator: \.isNewline).count == 1,
                        "\(args): \(r.stderr)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == before, "no partial file")
        }
    }

    /// SIGKILL at several moments of a run: every CSV present is whole (it
    /// parses, its header is right), and a finished earlier run beside it is
    /// untouched.
    @Test func aKilledRunLeavesNoHalfWrittenFile() throws {
        let root = temporaryDirectory()
        let done = try bucketlab(["run", "--keys", "300", "--workload", "fill-drain", "--strategy", "go", "--out", root + "/earlier"])
        #expect(done.status == 0)
        let earlier = try #require(readTextFile(root + "/earlier/summary.csv"))
        for (i, delay) in [0.05, 0.2, 0.5, 1.0].enumerated() {
            let dir = root + "/killed\(i)"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: bucketlabPath)
            p.arguments = ["run", "--keys", "20000", "--workload", "fill-drain,churn", "--strategy", "go,stale", "--out", dir]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for f in files where f.hasSuffix(".csv") {
                let doc = try CSVDocument(path: dir + "/" + f)
                #expect(!doc.header.isEmpty, "\(f) after a kill at \(delay)s")
            }
        }
        #expect(readTextFile(root + "/earlier/summary.csv") == earlier)
    }

    /// `run` is the first run (one repeat, SuiteConfig.firstRunKeys keys);
    /// `run --full` the full suite's repeats; --keys and --repeat win.
    @Test func runIsTheFirstRunAndFullTheReference() throws {
        for (extra, repeats) in [([String](), SuiteConfig.firstRunRepeats), (["--full"], SuiteConfig.fullRepeats),
                                 (["--full", "--repeat", "2"], 2)] {
            let dir = temporaryDirectory()
            let r = try bucketlab(["run", "--keys", "600", "--workload", "fill-drain", "--strategy", "go", "--map", "classic",
                                   "--no-settle", "--pprof", "none", "--out", dir] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let info = try RunInfo.read(dir + "/run.json")
            #expect(info.repeat == repeats && info.keys == 600, "\(extra)")
        }
        let help = try bucketlab(["run", "--help"])
        #expect(help.stdout.contains("--full") && help.stdout.contains("\(SuiteConfig.firstRunKeys)"))
    }

    /// Sanitizer builds skip it (70 s under ThreadSanitizer, a fifth of CI's
    /// limit): it checks the files a run writes, which the plain build does;
    /// cells under the sanitizers run in the other CLI tests.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["BUCKETLAB_SYSTEM_PAGES"] == nil,
                   "skipped in sanitizer builds"))
    func runWritesEveryFileAndPlotRedrawsThem() throws {
        let dir = temporaryDirectory()
        let r = try bucketlab(["run", "--keys", "800", "--workload", "all", "--strategy", "go", "--strategy",
                               "clear=pointers+overflow=reclaim", "--repeat", "2", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        // One screen on the terminal (the paths aside, which are the user's):
        // the files keep everything.
        let screen = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(screen.count <= 40 && screen.allSatisfy { $0.count <= 120 || $0.contains(dir) },
                "\(screen.count) lines, \(screen.map(\.count).max() ?? 0) columns")
        #expect(r.stdout.contains(dir + "/REPORT.md") && r.stdout.contains(dir + "/summary.csv"))
        #expect(Workload.allCases.allSatisfy { w in screen.contains { $0.hasPrefix(w.rawValue + " ") } })
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        for f in ["phases.csv", "samples.csv", "gc.csv", "heap.csv", "summary.csv", "trace.json", "run.json", "REPORT.md",
                  "retained-classic.svg", "gc-time-swiss.svg", "heap-classic-fill-drain.svg",
                  "heap-swiss-tombstone-churn.svg", "maps.svg"] {
            #expect(files.contains(f), "\(f) missing")
        }
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/run.json"))) as? [String: Any]
        #expect(info?["keys"] as? Int == 800 && info?["gogc"] as? Int == 100 && info?["repeat"] as? Int == 2)
        #expect(info?["gc_workers"] as? Int == onlineCores)
        #expect(info?["strategies"] as? [String] == ["go", "clear=pointers+overflow=reclaim+shrink=never+evac=incremental+empty=keep+clearall=zero-in-place+relocate=off"])
        try FileManager.default.removeItem(atPath: dir + "/REPORT.md")
        try FileManager.default.removeItem(atPath: dir + "/retained-swiss.svg")
        let p = try bucketlab(["plot", dir])
        #expect(p.status == 0 && FileManager.default.fileExists(atPath: dir + "/REPORT.md")
                && FileManager.default.fileExists(atPath: dir + "/retained-swiss.svg"))
        let redrawn = try #require(readTextFile(dir + "/REPORT.md"))
        #expect(redrawn.contains("800 keys") && redrawn.contains("map models classic, swiss")
                && redrawn.contains("Redrawn by `bucketlab plot`"), "the run's own header, from run.json")
        let c = try bucketlab(["compare", dir, dir])
        #expect(c.status == 0 && c.stdout.contains("clear=pointers"))
        let list = try bucketlab(["list"])
        #expect(list.status == 0 && list.stdout.contains("compact") && list.stdout.contains("cache-zipf"))
        #expect(list.stdout.contains("on swiss: overflow=reclaim does nothing") && list.stdout.contains("the same as go there"))
        #expect(list.stdout.contains("tombstone-churn"))
    }

    /// The heap profiles a run writes, read by each Go toolchain's own
    /// `go tool pprof`: no warning, in-use totals equal to the phase's heap
    /// in use to the byte, the labels there, and the pinned array charged to
    /// the pin. `--pprof none` writes none, `--pprof all` one per phase end.
    /// Sanitizer builds skip it: it checks the file format against Go's
    /// tools, which the plain run already did, and CensusTests run there.
    @Test(.enabled(if: !GoReference.toolchains().isEmpty
                   && ProcessInfo.processInfo.environment["BUCKETLAB_SYSTEM_PAGES"] == nil,
                   "needs a Go toolchain (golang-1.19-go); skipped in sanitizer builds"))
    func profilesOpenInGoToolPprof() throws {
        let dir = temporaryDirectory()
        let r = try bucketlab(["run", "--keys", "3000", "--workload", "leaked-interior-ref,pinned-iterator",
                               "--strategy", "go", "--repeat", "1", "--no-settle", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let phases = try PhaseRow.read(dir + "/phases.csv")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/pprof").sorted()
        #expect(files == MapModels.defaultNames.flatMap { ["\($0)-leaked-interior-ref-go-dropped-pinned.pb",
                                                     "\($0)-pinned-iterator-go-grown-pinned.pb"] }.sorted())
        /// Sums each value column of `go tool pprof -raw`'s sample lines.
        func totals(_ raw: String) -> [Int] {
            var sums = [0, 0, 0, 0]
            for line in raw.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":"), line.first == " " else { continue }
                let numbers = line[..<colon].split(separator: " ").compactMap { Int($0) }
                guard numbers.count == 4 else { continue }
                for i in 0..<4 { sums[i] += numbers[i] }
            }
            return sums
        }
        for go in GoReference.toolchains() {
            for file in files {
                let row = try #require(phases.first { "\($0.key.map)-\($0.key.workload)-go-\($0.phase).pb" == file })
                let path = dir + "/pprof/" + file
                let raw = try runProcess(go, ["tool", "pprof", "-raw", path], environment: ["GOTOOLCHAIN": "local"])
                #expect(raw.status == 0 && raw.stderr.isEmpty, "\(go) \(file): \(raw.stderr)")
                #expect(totals(raw.stdout)[3] == row.measurement.heapInuseBytes, "\(go) \(file): inuse_space")
                let tags = try runProcess(go, ["tool", "pprof", "-tags", path], environment: ["GOTOOLCHAIN": "local"])
                #expect(tags.stdout.contains("retained_by") && tags.stdout.contains("leaked"), "\(go) \(file)")
                let pin = try runProcess(go, ["tool", "pprof", "-raw", "-tagfocus", "retained_by=pin", path],
                                         environment: ["GOTOOLCHAIN": "local"])
                #expect(totals(pin.stdout)[3] == row.retention.pinBytes, "\(go) \(file): the pin's bytes")
                if row.key.workload == "leaked-interior-ref" { #expect(row.retention.pinBytes > 0) }
            }
        }
        let none = temporaryDirectory(), all = temporaryDirectory()
        #expect(try bucketlab(["run", "--keys", "800", "--workload", "fill-clear", "--strategy", "go", "--map", "classic",
                               "--repeat", "1", "--pprof", "none", "--out", none]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: none + "/pprof"))
        #expect(try bucketlab(["run", "--keys", "800", "--workload", "fill-clear", "--strategy", "go", "--map", "classic",
                               "--repeat", "1", "--pprof", "all", "--out", all]).status == 0)
        let phaseEnds = try PhaseRow.read(all + "/phases.csv").count
        #expect(try FileManager.default.contentsOfDirectory(atPath: all + "/pprof").count == phaseEnds)
    }

    /// Every cell runs in a child process: one that is killed becomes a
    /// failed row (status and signal in summary.csv and REPORT.md), the other
    /// cells go on, and the run exits non-zero after writing everything.
    @Test func aKilledCellBecomesAFailedRowAndTheRunGoesOn() throws {
        let dir = temporaryDirectory()
        let r = try bucketlab(["run", "--keys", "600", "--workload", "fill-drain,churn", "--strategy", "go,stale",
                               "--map", "classic,swiss", "--repeat", "2", "--out", dir],
                              environment: ["BUCKETLAB_TEST_KILL_CELL": "swiss/fill-drain/stale"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("swiss/fill-drain/stale#1") && r.stderr.contains("signal 9"), "\(r.stderr)")
        let summaries = try RunSummary.read(dir + "/summary.csv")
        #expect(summaries.count == 8)
        for s in summaries {
            let killed = s.key.map == "swiss" && s.key.workload == "fill-drain" && s.key.strategy == "stale"
            #expect(s.succeeded != killed, "\(s.key.workload)/\(s.key.strategy): \(s.status)")
            if killed { #expect(s.status.contains("2 of 2") && s.status.contains("signal 9")) }
            else { #expect(s.peakRSSBytes > 0 && s.headlineHeapInuseBytes > 0) }
        }
        let report = try #require(readTextFile(dir + "/REPORT.md"))
        #expect(report.contains("signal 9"))
        let phases = try PhaseRow.read(dir + "/phases.csv")
        #expect(!phases.contains { $0.key.map == "swiss" && $0.key.workload == "fill-drain" && $0.key.strategy == "stale" })
        #expect(phases.contains { $0.key.map == "classic" && $0.key.workload == "fill-drain" && $0.key.strategy == "stale" })
        #expect(phases.contains { $0.key.workload == "churn" && $0.key.strategy == "stale" })
    }

    /// `--in-process` runs the same cells in one process, with the same
    /// heap figures.
    @Test func inProcessGivesTheSameHeapFigures() throws {
        let a = temporaryDirectory(), b = temporaryDirectory()
        let args = ["run", "--keys", "700", "--workload", "fill-drain-ptr,leaked-interior-ref", "--strategy", "go",
                    "--repeat", "1"]
        #expect(try bucketlab(args + ["--out", a]).status == 0)
        #expect(try bucketlab(args + ["--in-process", "--out", b]).status == 0)
        let x = try PhaseRow.read(a + "/phases.csv"), y = try PhaseRow.read(b + "/phases.csv")
        #expect(x.map(\.measurement.heapInuseBytes) == y.map(\.measurement.heapInuseBytes))
        #expect(x.map(\.phase) == y.map(\.phase) && !x.isEmpty)
    }

    /// Cells run two at a time give the same files as one at a time: every
    /// memory column of phases.csv and summary.csv byte for byte (the
    /// process's RSS, the kernel's resident figures, what the time-paced
    /// scavenger released and the timing columns aside), in the same order;
    /// run.json and REPORT.md say how many ran at once.
    @Test func twoJobsGiveTheMemoryColumnsOfOne() throws {
        let a = temporaryDirectory(), b = temporaryDirectory()
        let args = ["run", "--keys", "2000", "--workload", "fill-drain-ptr,churn,pinned-iterator",
                    "--strategy", "go,compact", "--repeat", "2", "--no-settle"]
        let one = try bucketlab(args + ["--jobs", "1", "--out", a])
        let two = try bucketlab(args + ["--jobs", "2", "--out", b])
        #expect(one.status == 0 && two.status == 0, "\(one.stderr)\(two.stderr)")
        let timingOrOS = ["rss", "resident", "released", "_ns", "ops_per_sec", "run_id"]
        for file in ["phases.csv", "summary.csv"] {
            let x = try CSVDocument(path: a + "/" + file), y = try CSVDocument(path: b + "/" + file)
            #expect(x.header == y.header && x.rows.count == y.rows.count && !x.rows.isEmpty, "\(file)")
            let kept = matching(Array(x.header.enumerated())) { _, name in !timingOrOS.contains { name.contains($0) } }
            #expect(kept.count >= 10, "\(file): the memory columns are compared")
            for (i, name) in kept {
                #expect(x.rows.map { $0[i] } == y.rows.map { $0[i] }, "\(file): \(name) differs between --jobs 1 and 2")
            }
        }
        let info = try #require(readTextFile(b + "/run.json"))
        #expect(info.contains("\"jobs\" : 2") || info.contains("\"jobs\":2"), "\(info)")
        #expect(try #require(readTextFile(b + "/REPORT.md")).contains("2 cell(s) at a time"))
    }
}
