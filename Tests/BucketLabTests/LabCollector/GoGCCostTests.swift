import Foundation
import Testing
@testable import BucketLab
@testable import LabCollector
@testable import LabHeap
@testable import LabMaps

/// The model of Go's collection CPU: computed from counts only, so the same
/// cell gives the same figure every run; and the fit recovers coefficients
/// it is given.
@Suite struct GoGCCostTests {
    @Test func theModelledCostIsTheSameEveryRun() throws {
        let config = try SuiteConfig(workloads: [Workload.builtIn("fill-drain-ptr")!, Workload.builtIn("string-keys")!],
                                     strategies: Strategy.parseList("go,compact"), keys: 20_000, seed: 4, samples: 3, pprof: .none)
        for cell in Suite.cells(config, runID: "model") {
            let a = try Suite.run(cell, config: config), b = try Suite.run(cell, config: config)
            #expect(a.phases.map(\.measurement.modelledGoGCCPUNs) == b.phases.map(\.measurement.modelledGoGCCPUNs))
            #expect(a.summary.modelledGoGCCPUNs == b.summary.modelledGoGCCPUNs)
            let model = GoGCCost.forMapModel(cell.key.map)
            #expect(a.summary.modelledGoGCCPUNs == model.cpuNs(a.gc.map(\.cycle)))
            // A cycle that marked something counted its spans.
            #expect(a.gc.allSatisfy { $0.cycle.marks.spans > 0 || $0.cycle.objectsMarked == 0 })
        }
    }

    /// A mark's census: payloads of 48 bytes in a pointer map are marked in
    /// noscan spans; the map's buckets are the scanned objects.
    @Test func theMarkCensusCountsSpansAndScannedObjects() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil, gcWorkers: 1)
        let mutator = heap.makeMutator()
        let map = BucketMap(type: .uint64ToPointer(heap: heap), mutator: mutator, policy: .go, seed: 1, hint: 0)
        let payload = heap.registerType(name: "p", size: 48)
        for k in 0..<5_000 as Range<UInt64> {
            map.updateValue(UInt64(UInt(bitPattern: mutator.allocate(payload))), forKey: k)
        }
        let c = collector.collect()
        #expect(c.objectsMarked > 5_000)
        // The bucket array and header are the only scanned objects (overflow
        // buckets aside): few, next to 5,000 noscan payloads.
        #expect(c.marks.scanObjects < 200)
        #expect(c.marks.spans >= 5_000 * 48 / 8192)
        withExtendedLifetime(map) {}
    }

    /// Scanned objects other than map storage are counted apart: 1 KiB
    /// values with a pointer word, pointed to from a map's slots, are all of
    /// `otherBytesScanned`; the buckets are the rest of the scan work.
    @Test func scanWorkOutsideMapStorageIsCountedApart() throws {
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: nil, gcWorkers: 1)
        let mutator = heap.makeMutator()
        let map = BucketMap(type: .uint64ToPointer(heap: heap), mutator: mutator, policy: .go, seed: 1, hint: 0)
        let value = heap.registerType(name: "v", size: 1024, pointerWords: [127])
        let n = 2_000
        for k in 0..<UInt64(n) {
            map.updateValue(UInt64(UInt(bitPattern: mutator.allocate(value))), forKey: k)
        }
        let c = collector.collect()
        #expect(c.otherBytesScanned >= n * 1024)
        // What else is other: the map's header and its small bookkeeping.
        #expect(c.otherBytesScanned < n * 1024 + 4096)
        #expect(c.bytesScanned - c.otherBytesScanned >= n * 16)
        let pointerOnly = collector.collect()
        #expect(pointerOnly.otherBytesScanned == c.otherBytesScanned, "the count repeats for the same heap")
        withExtendedLifetime(map) {}
    }

    @Test func theFitRecoversCoefficientsItWasGiven() throws {
        let count = GoGCCost.featureNames.count
        var truth = [Double](repeating: 0, count: count)
        truth[0] = 20_000
        truth[1] = 0.5
        truth[2] = 0.25
        truth[3] = 12
        var rng = SplitMix64(seed: 3)
        var x: [[Double]] = []
        var y: [Double] = []
        for _ in 0..<80 {
            var row: [Double] = [Double(1 + rng.next() % 20)]
            for _ in 1..<count { row.append(Double(rng.next() % 50_000_000)) }
            x.append(row)
            var v = 0.0
            for i in 0..<count { v += truth[i] * row[i] }
            y.append(v)
        }
        let spans = try #require(GoGCCost.featureNames.firstIndex(of: "small_scan_span"))
        let allowed = Array(0..<count).filter { $0 != spans }
        let c = GCCostFit.nonNegativeRelativeLeastSquares(x, y, allowed: allowed, count: count, floor: 1e6)
        for i in 0..<count { #expect(abs(c[i] - truth[i]) <= 1e-6 * max(1, truth[i]), "\(c)") }
        #expect(c[spans] == 0, "an input the version may not use stays at 0")
        #expect(GCCostFit.usableFeatures(goVersion: "go1.19.8") == allowed)
        #expect(GCCostFit.usableFeatures(goVersion: "go1.27.3") == Array(0..<count))
    }

    /// A marked span costs its flat price up to `spanCacheSpans` spans in a
    /// mark, and log2(spans / that) times the second price beyond: the
    /// input is 0 below the knee and doubles its factor with every
    /// fourfold of spans past it.
    @Test func spansBeyondTheCachesCostMore() throws {
        let i = try #require(GoGCCost.featureNames.firstIndex(of: "marked_span_log2_spans"))
        let flat = try #require(GoGCCost.featureNames.firstIndex(of: "marked_span"))
        var c = CycleStats()
        for (spans, expected) in [(0, 0.0), (1, 0.0), (512, 0.0), (1024, 1024.0), (2048, 4096.0), (8192, 32768.0)] {
            c.marks.spans = spans
            let f = GoGCCost.features(c)
            #expect(f[i] == expected, "\(spans) spans")
            #expect(f[flat] == Double(spans))
        }
        #expect(GoGCCost.featureNames.last == "after_idle", "the pause inputs stay first and last")
        #expect(GoGCCost.pauseFeatures == [0, GoGCCost.featureNames.count - 1])
    }

    /// Go 1.19's forced cycles pay one worker's mark once per worker it
    /// keeps busy, a number that rises with the mark's length; its pacer
    /// cycles, the per-cycle part, and Go 1.27's cycles are priced as the
    /// plain sum.
    @Test func aForcedMarkPaysForTheWorkersItKeepsBusy() {
        let w = GoGCCost.MarkWorkers.go119
        for (ns, workers) in [(0.0, 1.33), (12e6, 1.33), (29e6, 1.635), (46e6, 1.94), (500e6, 1.94)] {
            #expect(abs(w.expected(markNs: ns) - workers) < 1e-12, "\(ns)")
        }
        var coefficients = [Double](repeating: 0, count: GoGCCost.featureNames.count)
        coefficients[0] = 100_000
        coefficients[3] = 10
        let model = GoGCCost(goVersion: "go1.19.8", coefficients: coefficients, markWorkers: w)
        var c = CycleStats()
        c.objectsMarked = 3_000_000
        c.heapAfterBytes = 1 << 20
        c.reason = .explicit
        // One worker: 30 ms of mark, so 1.33 + 0.61 × 18/34 workers.
        let forced = 100_000 + 30e6 * w.expected(markNs: 30e6)
        #expect(abs(Double(model.cpuNs(c)) - forced) <= 1)
        c.reason = .pacer
        #expect(model.cpuNs(c) == 30_100_000)
        #expect(model.pricedFeatures([c]) == GoGCCost.features(c))
        var plain = model
        plain.markWorkers = nil
        c.reason = .explicit
        #expect(plain.cpuNs(c) == 30_100_000)
        // The cost of a cycle after the program idled is a pause's: not
        // part of the mark, so neither scaled nor counted in its length.
        var idle = model
        idle.coefficients[coefficients.count - 1] = 300_000
        c.afterIdle = true
        #expect(abs(Double(idle.cpuNs(c)) - (forced + 300_000)) <= 1)
        c.afterIdle = false
        #expect(GoGCCost.go127.markWorkers == nil && GoGCCost.go119.markWorkers == .go119)
        #expect(GoGCCost.markWorkers(goVersion: "go1.19.8") == .go119 && GoGCCost.markWorkers(goVersion: "go1.27.3") == nil)
        var small = c
        small.objectsMarked = 1000
        #expect(model.cpuNs([c, small]) == model.cpuNs(c) + model.cpuNs(small), "a trace is priced cycle by cycle")
    }

    /// The fit of a version whose workers depend on the mark's length
    /// recovers the coefficients that priced its phases, through the
    /// workers' scaling of forced cycles.
    @Test func theFitRecoversCoefficientsThroughTheWorkers() throws {
        let count = GoGCCost.featureNames.count
        var truth = [Double](repeating: 0, count: count)
        truth[0] = 200_000
        truth[1] = 0.2
        truth[3] = 10
        truth[6] = 100
        truth[count - 1] = 300_000
        let model = GoGCCost(goVersion: "go1.19.8", coefficients: truth, markWorkers: .go119)
        var rng = SplitMix64(seed: 9)
        var rows: [GCCostFitRow] = []
        for n in 0..<120 {
            var cycles: [CycleStats] = []
            for k in 0..<(1 + Int(rng.next() % 3)) {
                var c = CycleStats()
                c.cycle = k + 1
                c.reason = (n + k) % 3 == 0 ? .pacer : .explicit
                c.heapAfterBytes = 1 << 20
                c.bytesScanned = Int(rng.next() % 100_000_000)
                c.objectsMarked = Int(rng.next() % 5_000_000)
                c.marks.spans = Int(rng.next() % 50_000)
                c.marks.scanObjects = Int(rng.next() % 1000)
                c.spansSwept = Int(rng.next() % 1000)
                c.afterIdle = rng.next() % 4 == 0
                cycles.append(c)
            }
            var r = GCCostFitRow()
            r.goVersion = "go1.19.8"
            r.set = n % 4 == 0 ? "held-out" : "fit"
            r.cycles = cycles
            r.labCycles = cycles.count
            r.goCPUNs = Int(model.cpuNs(cycles))
            r.goMinCPUNs = r.goCPUNs
            r.goMaxCPUNs = r.goCPUNs
            rows.append(r)
        }
        #expect(rows.contains { r in r.cycles.contains { $0.reason == .explicit && Double(model.cpuNs($0)) > 60e6 } },
                "some forced marks are long enough for two workers")
        let s = GCCostFit.fit(&rows)
        let c = try #require(s.first).coefficients
        for i in 0..<count { #expect(abs(c[i] - truth[i]) <= 1e-3 * max(1, truth[i]), "\(GoGCCost.featureNames[i]): \(c)") }
        #expect(rows.allSatisfy { abs($0.error) < 1e-4 }, "every phase, fitted or held out, priced as Go's was")
    }

    /// The cycle that ends a phase in which the program idled (the settle
    /// phase `idle`, a workload file's `idle` step) is marked as one after
    /// idling, in gc.csv too; no other cycle is.
    @Test func theCycleAfterAnIdleIsMarked() throws {
        let dir = temporaryDirectory()
        let o = try bucketlab(["run", "--workload", "churn", "--map", "classic", "--strategy", "go", "--keys", "3000",
                               "--repeat", "1", "--pprof", "none", "--out", dir])
        #expect(o.status == 0, "\(o.stderr)")
        let phases = try PhaseRow.read(dir + "/phases.csv")
        let cycles = try GCRow.read(dir + "/gc.csv").map(\.cycle)
        let idle = try #require(phases.firstIndex { $0.phase == "idle" })
        let first = phases[idle - 1].measurement.gcCycles + 1
        #expect(cycles.filter(\.afterIdle).map(\.cycle) == [first], "\(cycles.map { ($0.cycle, $0.afterIdle) })")
    }

    /// `run --gc-coefficients` prices every cycle with a fit's coefficients
    /// (twice the committed ones give twice every modelled figure, in the
    /// cell processes too), records the file in run.json and REPORT.md, and
    /// keeps the committed ones for a Go version the file lacks; a missing
    /// or malformed file is one line on stderr, exit 65, and no output.
    @Test func aRunPricesWithTheCoefficientsItIsGiven() throws {
        let dir = temporaryDirectory()
        let names = GoGCCost.featureNames.map { "ns_per_\($0)" }
        func line(_ version: String, _ model: GoGCCost) -> String { ([version] + model.coefficients.map { String(2 * $0) }).joined(separator: ",") }
        let header = (["go_version"] + names).joined(separator: ",")
        try [header, line("go1.19.8", .go119), line("go1.27.3", .go127)].joined(separator: "\n")
            .write(toFile: dir + "/twice.csv", atomically: true, encoding: .utf8)
        try [header, line("go1.27.3", .go127)].joined(separator: "\n").write(toFile: dir + "/only127.csv", atomically: true, encoding: .utf8)
        let base = ["run", "--workload", "fill-drain-ptr", "--map", "classic,swiss", "--strategy", "go", "--keys", "5000",
                    "--repeat", "1", "--pprof", "none"]
        func run(_ extra: [String], _ out: String) throws -> (summary: [RunSummary], gc: [GCRow]) {
            let o = try bucketlab(base + extra + ["--out", dir + "/" + out])
            #expect(o.status == 0, "\(o.stderr)")
            return (try RunSummary.read(dir + "/" + out + "/summary.csv"), try GCRow.read(dir + "/" + out + "/gc.csv"))
        }
        let committed = try run([], "committed"), twice = try run(["--gc-coefficients", dir + "/twice.csv"], "twice")
        let only127 = try run(["--gc-coefficients", dir + "/only127.csv"], "only127")
        for (a, b) in zip(committed.summary, twice.summary) {
            #expect(a.modelledGoGCCPUNs > 0)
            #expect(abs(Double(b.modelledGoGCCPUNs) - 2 * Double(a.modelledGoGCCPUNs)) <= Double(a.gcCycles) * 2, "\(a.key.map)")
        }
        for (a, b) in zip(committed.gc, twice.gc) {
            #expect(abs(Double(b.go119Ns) - 2 * Double(a.go119Ns)) <= 2 && abs(Double(b.gocurNs) - 2 * Double(a.gocurNs)) <= 2)
            #expect(a.go119Ns == GoGCCost.go119.cpuNs(a.cycle) && a.gocurNs == GoGCCost.go127.cpuNs(a.cycle))
        }
        #expect(committed.gc.count == only127.gc.count && committed.gc.count == twice.gc.count)
        for ((a, b), t) in zip(zip(committed.gc, only127.gc), twice.gc) { #expect(b.go119Ns == a.go119Ns && b.gocurNs == t.gocurNs) }
        #expect(try RunInfo.read(dir + "/twice/run.json").gcCoefficients == dir + "/twice.csv")
        #expect(try RunInfo.read(dir + "/committed/run.json").gcCoefficients == nil)
        #expect(try RunInfo.read(dir + "/twice/run.json").gcCoefficientsMachines == "go1.19.8: unknown, go1.27.3: unknown",
                "a file without go_machines says so")

        // gccost fit names the CPUs of the fitted references' Go, from
        // their machine.json; held-out references do not count.
        for (ref, cpu) in [("a", "CPU One, rev 2"), ("b", nil), ("c", "CPU Three")] {
            try FileManager.default.createDirectory(atPath: dir + "/\(ref)/go1.27.3", withIntermediateDirectories: true)
            if let cpu { try "{\"cpu\": \"\(cpu)\"}".write(toFile: dir + "/\(ref)/go1.27.3/machine.json", atomically: true, encoding: .utf8) }
        }
        let machines = GCCostFit.goMachines([GCCostFit.Pair(run: "", reference: dir + "/a", heldOut: false),
                                             GCCostFit.Pair(run: "", reference: dir + "/b", heldOut: false),
                                             GCCostFit.Pair(run: "", reference: dir + "/c", heldOut: true)])
        #expect(machines == ["go1.27.3": "CPU One  rev 2; unknown"])
        #expect(try String(contentsOfFile: dir + "/twice/REPORT.md", encoding: .utf8).contains("coefficients of \(dir)/twice.csv"))

        try "go_version,ns_per_cycle\ngo1.27.3,1\n".write(toFile: dir + "/short.csv", atomically: true, encoding: .utf8)
        try [header, line("go1.20.1", .go127)].joined(separator: "\n").write(toFile: dir + "/other.csv", atomically: true, encoding: .utf8)
        for (file, message) in [(dir + "/missing.csv", "no such file"), (dir + "/short.csv", "no column"), (dir + "/other.csv", "no coefficients for go1.19")] {
            let o = try bucketlab(base + ["--gc-coefficients", file, "--out", dir + "/bad"])
            #expect(o.status == 65 && o.stderr.split(whereSeparator: \.isNewline).count == 1 && o.stderr.contains(message), "\(file): \(o.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/bad"))
        }
    }

    /// `gccost check` prices a run's phases with the committed model (no
    /// fit) and judges them against Go's runs: a phase whose Go runs sit
    /// around the modelled figure is within target, one at twice it is not;
    /// Go against itself is judged leave-one-out beside it.
    @Test func theCheckJudgesTheCommittedModelAgainstGo() throws {
        let dir = temporaryDirectory()
        let lab = dir + "/lab", ref = dir + "/ref"
        let o = try bucketlab(["run", "--workload", "churn", "--map", "swiss", "--strategy", "go", "--keys", "3000",
                               "--repeat", "1", "--pprof", "none", "--out", lab])
        #expect(o.status == 0, "\(o.stderr)")
        let phases = try PhaseRow.read(lab + "/phases.csv")
        let cycles = try GCRow.read(lab + "/gc.csv").map(\.cycle)
        var modelled: [String: Int] = [:]
        var before = 0
        for p in phases {
            let mine = cycles.filter { $0.cycle > before && $0.cycle <= p.measurement.gcCycles }
            before = p.measurement.gcCycles
            if !mine.isEmpty { modelled[p.phase] = mine.reduce(0) { $0 + Int(GoGCCost.go127.cpuNs($1)) } }
        }
        #expect(modelled.count >= 3, "\(modelled)")
        let far = try #require(modelled.keys.sorted().first)
        var reference: [GoPhaseRow] = []
        for scale in [1.0, 1.1, 0.9] {
            for p in phases {
                var g = GoPhaseRow()
                g.goVersion = "go1.27.3"
                g.workload = "churn"
                g.phase = p.phase
                g.memlimit = "off"
                g.gogc = "100"
                g.gcCPUNs = Int(Double(modelled[p.phase] ?? 1000) * scale * (p.phase == far ? 2 : 1))
                reference.append(g)
            }
        }
        try FileManager.default.createDirectory(atPath: ref + "/go1.27.3", withIntermediateDirectories: true)
        try GoPhaseRow.csv(reference).write(toFile: ref + "/go1.27.3/phases.csv", atomically: true, encoding: .utf8)

        let (rows, summaries) = try GCCostFit.check([GCCostFit.Pair(run: lab, reference: ref, heldOut: true)])
        #expect(rows.count == modelled.count && rows.allSatisfy { $0.set == "checked" && $0.goRuns == 3 })
        for r in rows {
            #expect(r.modelledNs == modelled[r.phase], "\(r.phase): the committed model, summed over the phase's cycles")
            #expect(r.phase == far ? abs(r.error + 0.5) < 1e-3 : abs(r.error) < 1e-3, "\(r.phase) \(r.error)")
        }
        let s = try #require(summaries.first)
        #expect(summaries.count == 1 && s.goVersion == "go1.27.3" && s.keys == 3000 && s.goRuns == 3)
        #expect(s.phases == modelled.count)
        #expect(abs(s.withinTarget - Double(modelled.count - 1) / Double(modelled.count)) < 1e-9, "all but the far phase")
        #expect(s.runs == 1 && s.runsWithin10Percent == 0, "the far phase pulls the run's total out")
        #expect(s.goRunPhasesWithinTarget == 1, "each Go run is within 20% of the others' median")
        #expect(s.goMachine == "unknown" && s.modelMachine == GoGCCost.Models.committedMachine, "whose Go each side is")
        try "{\"cpu\": \"Test CPU, 2 cores\"}".write(toFile: ref + "/go1.27.3/machine.json", atomically: true, encoding: .utf8)
        let named = try GCCostFit.check([GCCostFit.Pair(run: lab, reference: ref, heldOut: true)],
                                        models: ["go1.27.3": .go127], modelMachines: ["go1.27.3": "Fit CPU"]).summaries
        #expect(named.first?.goMachine == "Test CPU  2 cores" && named.first?.modelMachine == "Fit CPU")
        // With family, model and stepping recorded, they follow the name.
        try "{\"cpu\": \"AMD EPYC\", \"cpu_id\": \"family 25 model 1 stepping 1, cache 512 KB\"}"
            .write(toFile: ref + "/go1.27.3/machine.json", atomically: true, encoding: .utf8)
        let identified = try GCCostFit.check([GCCostFit.Pair(run: lab, reference: ref, heldOut: true)]).summaries
        #expect(identified.first?.goMachine == "AMD EPYC (family 25 model 1 stepping 1  cache 512 KB)")
        try FileManager.default.removeItem(atPath: ref + "/go1.27.3/machine.json")

        // A fit's coefficients instead of the committed ones: twice every
        // cost gives twice every phase; a version they lack, or a bad cost,
        // is refused.
        let names = GoGCCost.featureNames.map { "ns_per_\($0)" }
        let doubled = GoGCCost.go127.coefficients.map { String(2 * $0) }
        try ((["go_version"] + names).joined(separator: ",") + "\n" + (["go1.27.3"] + doubled).joined(separator: ",") + "\n")
            .write(toFile: dir + "/c.csv", atomically: true, encoding: .utf8)
        let twice = try GCCostFit.check([GCCostFit.Pair(run: lab, reference: ref, heldOut: true)],
                                        models: GCCostFit.readCoefficients(dir + "/c.csv")).rows
        #expect(try GCCostFit.readGoMachines(dir + "/c.csv") == ["go1.27.3": "unknown"], "a file without go_machines")
        for r in twice { #expect(abs(r.modelledNs - 2 * (modelled[r.phase] ?? 0)) <= modelled.count, "\(r.phase)") }
        // A file from before the after-idle and span-cache inputs prices
        // them at 0, and reads the others by name.
        let later = GoGCCost.featureNames.indices.filter { GoGCCost.addedLater.contains(GoGCCost.featureNames[$0]) }
        #expect(later.count == 2)
        let kept = GoGCCost.featureNames.indices.filter { !later.contains($0) }
        try ((["go_version"] + kept.map { names[$0] }).joined(separator: ",") + "\n" + (["go1.27.3"] + kept.map { doubled[$0] }).joined(separator: ",") + "\n")
            .write(toFile: dir + "/old.csv", atomically: true, encoding: .utf8)
        let old = try #require(try GCCostFit.readCoefficients(dir + "/old.csv")["go1.27.3"]).coefficients
        for i in GoGCCost.featureNames.indices { #expect(old[i] == (later.contains(i) ? 0 : 2 * GoGCCost.go127.coefficients[i]), "\(i)") }
        try ((["go_version"] + names).joined(separator: ",") + "\n" + (["go1.19.8"] + doubled).joined(separator: ",") + "\n")
            .write(toFile: dir + "/c119.csv", atomically: true, encoding: .utf8)
        #expect(throws: CSVError.self) {
            try GCCostFit.check([GCCostFit.Pair(run: lab, reference: ref, heldOut: true)], models: GCCostFit.readCoefficients(dir + "/c119.csv"))
        }
        try ((["go_version"] + names).joined(separator: ",") + "\n" + (["go1.27.3", "-1"] + doubled.dropFirst()).joined(separator: ",") + "\n")
            .write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        #expect(throws: CSVError.self) { try GCCostFit.readCoefficients(dir + "/bad.csv") }
    }
}
