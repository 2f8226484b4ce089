import Foundation
import Testing
@testable import BucketLab
@testable import LabCollector

/// GOMEMLIMIT through the harness: workload files' `memlimit` and `gogc`, the
/// `memlimit` column and the phase figures, and a container limit's kill.
@Suite struct MemoryLimitRunTests {
    static func spec(_ extra: String) throws -> Workload {
        let json = """
        {"format": "bucketlab-workload/1", "name": "limited", "map": {"key": "uint64", "value": "pointer"},
         "headline": "fill", \(extra)
         "phases": [{"name": "fill", "steps": [{"op": "insert", "count": "keys"}]},
                    {"name": "churn", "steps": [{"op": "churn", "count": "keys", "window": "keys"}]}]}
        """
        return try Workload.fromSpec(WorkloadSpec.decode(Data(json.utf8), file: "limited.json"))
    }

    @Test func aFilesLimitAndGOGCTakeThePlaceOfTheRunsAndRoundTrip() throws {
        let w = try Self.spec(#""memlimit": "max(16777216, 100 keys)", "gogc": "off","#)
        let config = try SuiteConfig(workloads: [w], strategies: [.go], mapModels: ["swiss"], keys: 300_000, gogc: 100,
                                     memlimit: 64 << 20)
        #expect(config.memlimit(for: w) == 30_000_000 && config.gogc(for: w) == nil)
        #expect(config.memlimitText(for: w) == "30000000" && config.gogcText(for: w) == "off")
        let small = try SuiteConfig(workloads: [w], strategies: [.go], mapModels: ["swiss"], keys: 1000)
        #expect(small.memlimit(for: w) == 16 << 20, "the floor")
        let again = try WorkloadSpec.decode(Data(w.spec.json.utf8), file: "again")
        #expect(again == w.spec)
        let plain = try Self.spec("")
        #expect(config.memlimit(for: plain) == 64 << 20 && config.gogc(for: plain) == 100)
    }

    @Test(arguments: [
        (#""gogc": 0,"#, "gogc"), (#""gogc": "sometimes","#, "gogc"), (#""memlimit": true,"#, "memlimit"),
    ])
    func badLimitsInAFileAreRefused(extra: String, field: String) {
        #expect(throws: (any Error).self) { try Self.spec(extra) }
        do { _ = try Self.spec(extra) } catch { #expect("\(error)".contains(field), "\(error)") }
    }

    @Test(arguments: [(#""memlimit": "live","#, "may use keys"), (#""memlimit": "keys","#, "must be between")])
    func limitsThatCannotRunAreRefusedAtTheRunsSizes(extra: String, message: String) throws {
        let w = try Self.spec(extra)
        #expect(throws: WorkloadFileError.self) { try SuiteConfig(workloads: [w], strategies: [.go], keys: 1000) }
        do { _ = try SuiteConfig(workloads: [w], strategies: [.go], keys: 1000) } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    /// Under a limit below what Go's runtime alone maps, the heap goal is
    /// the marked heap and collections run back to back; a container limit
    /// above the limit kills the cell at its first phase, which is kept.
    @Test func aContainerLimitKillsTheRunAtItsPhase() throws {
        let config = try SuiteConfig(workloads: [try Self.spec("")], strategies: [.go], mapModels: ["swiss"], keys: 20_000,
                                     samples: 2, settle: false, pprof: .none, memlimit: 1 << 20, containerLimit: 2 << 20)
        let cell = Suite.cells(config, runID: "oom")[0]
        #expect(cell.key.memlimit == String(1 << 20))
        let result = try Suite.run(cell, config: config)
        #expect(result.summary.status == RunSummary.oomStatus && result.summary.killed)
        #expect(result.summary.oomPhase == "fill")
        #expect(result.phases.map(\.phase) == ["fill"], "nothing after the kill")
        let fill = result.phases[0].limit
        #expect(fill.peakTotalMemoryBytes > 2 << 20 && fill.overshootBytes == fill.peakTotalMemoryBytes - (1 << 20))
        #expect(fill.phaseGCCycles > 10 && fill.gcCPUFraction > 0.5, "back to back")
        // The columns read back.
        let rows = try PhaseRow.rows(of: CSVDocument(text: PhaseRow.csv(result.phases), name: "p"), file: "p")
        var read = rows[0].limit
        #expect(abs(read.gcCPUFraction - fill.gcCPUFraction) < 1e-4, "written with four digits")
        read.gcCPUFraction = fill.gcCPUFraction
        #expect(read == fill && rows[0].key.memlimit == String(1 << 20))
        let summaries = try RunSummary.rows(of: CSVDocument(text: RunSummary.csv([result.summary]), name: "s"), file: "s")
        #expect(summaries[0].oomPhase == "fill" && summaries[0].killed)
    }

    /// Without a limit the phase figures are still there (GOGC's goal, the
    /// modelled GC CPU), and nothing is tracked or killed.
    @Test func withoutALimitThereIsNoOvershoot() throws {
        let config = try SuiteConfig(workloads: [try Self.spec("")], strategies: [.go], mapModels: ["classic"], keys: 20_000,
                                     samples: 2, settle: false, pprof: .none)
        let result = try Suite.run(Suite.cells(config, runID: "free")[0], config: config)
        #expect(result.summary.status == "ok" && result.phases.count == 2)
        #expect(result.phases.allSatisfy { $0.key.memlimit == "off" && $0.limit.overshootBytes == 0 && $0.limit.limiterCycles == 0 })
        #expect(result.phases.allSatisfy { $0.limit.heapGoalBytes >= Collector.heapMinimumBytes && $0.limit.phaseGCCycles >= 1 })
        #expect(result.phases.reduce(0) { $0 + $1.limit.phaseGCCycles } == result.gc.count)
    }

    /// REPORT.md's rows: the cells under a limit only, each phase's own
    /// operations and GC CPU, and each strategy's GC CPU against go's.
    @Test func theReportTableComparesEachStrategyWithGo() {
        func row(_ strategy: String, _ phase: String, memlimit: String, ops: Int, gcNs: UInt64) -> PhaseRow {
            var m = RunMeasurement()
            m.ops = ops
            m.modelledGoGCCPUNs = gcNs
            return PhaseRow(key: RunKey(runID: "r", map: "swiss", workload: "w", strategy: strategy, repeatIndex: 1, memlimit: memlimit),
                            phase: phase, measurement: m, phaseNs: 0, startNs: 0)
        }
        let phases = [row("go", "a", memlimit: "1000000", ops: 100, gcNs: 400), row("go", "b", memlimit: "1000000", ops: 300, gcNs: 1000),
                      row("compact", "a", memlimit: "1000000", ops: 100, gcNs: 300), row("compact", "b", memlimit: "1000000", ops: 300, gcNs: 600),
                      row("go", "idle", memlimit: "1000000", ops: 301, gcNs: 1100), row("go", "a", memlimit: "off", ops: 100, gcNs: 5)]
        let rows = MemoryLimitRow.rows(from: phases)
        #expect(rows.map(\.phase) == ["a", "b", "a", "b"], "settle phases and unlimited cells left out")
        #expect(rows.map(\.ops) == [100, 200, 100, 200] && rows.map(\.gcCPUNs) == [400, 600, 300, 300])
        #expect(rows[2].gcCPUAgainstGo == -0.25 && rows[3].gcCPUAgainstGo == -0.5 && rows[0].gcCPUAgainstGo == 0)
    }

    /// The per-cell totals: each strategy's GC CPU over the phases it ran
    /// against go's over the same phases; the closing note's best strategy.
    @Test func theSavingsTableSumsEachCellAndNamesTheBest() {
        func row(_ strategy: String, _ phase: String, memlimit: Int, gcNs: UInt64, cycles: Int) -> MemoryLimitRow {
            var f = PhaseLimitFigures()
            f.phaseGCCycles = cycles
            return MemoryLimitRow(map: "swiss", workload: "w", strategy: strategy, phase: phase, memlimit: memlimit, ops: 100,
                                  limit: f, heapInuseBytes: 0, gcCPUNs: gcNs, goGCCPUNs: nil)
        }
        let rows = [row("go", "a", memlimit: 1 << 20, gcNs: 4_000_000, cycles: 3), row("go", "b", memlimit: 1 << 20, gcNs: 6_000_000, cycles: 5),
                    row("compact", "a", memlimit: 1 << 20, gcNs: 3_000_000, cycles: 2), row("compact", "b", memlimit: 1 << 20, gcNs: 4_000_000, cycles: 4),
                    row("stale", "a", memlimit: 1 << 20, gcNs: 1_000_000, cycles: 1),
                    row("go", "a", memlimit: 2 << 20, gcNs: 1_000_000, cycles: 1), row("compact", "a", memlimit: 2 << 20, gcNs: 2_000_000, cycles: 1)]
        let totals = MemoryLimitSaving.totals(rows)
        #expect(totals.map(\.strategy) == ["go", "compact", "stale", "go", "compact"])
        #expect(totals[1].gcCPUNs == 7_000_000 && totals[1].goGCCPUNs == 10_000_000 && totals[1].collections == 6)
        #expect(totals[1].savedNs == 3_000_000 && totals[1].savedShare == 0.3)
        #expect(totals[2].goGCCPUNs == 4_000_000 && totals[2].phases == 1, "a killed cell against go's same phases")
        #expect(totals[4].savedNs == -1_000_000, "a strategy that spends more saves a negative amount")
        let best = MemoryLimitSaving.best(totals)
        #expect(best.map(\.best.strategy) == ["compact", "go"], "stale ran fewer phases; go wins at the second limit")
        #expect(totals[1].fields[7] == "3.0" && totals[1].fields[8] == "30.0%")
    }

    /// run.json and REPORT.md's header name the limits a run used: the
    /// command line's and the ones workload files set for themselves.
    @Test func runJSONAndTheHeaderNameTheLimits() throws {
        let limited = try Self.spec(#""memlimit": "max(16777216, 100 keys)", "gogc": "off","#)
        let config = try SuiteConfig(workloads: [limited, Workload.builtIn("churn")!], strategies: [.go], mapModels: ["swiss"], keys: 300_000,
                                     memlimit: 96 << 20, containerLimit: 106 << 20)
        let machine = MachineFacts(command: "bucketlab run", commit: "c", swift: "s", cpu: "cpu", cores: 2, memoryBytes: 1, date: "d")
        let info = RunInfo(config: config, machine: machine)
        let json = try #require(JSONSerialization.jsonObject(with: Data(info.json.utf8)) as? [String: Any])
        #expect(json["memlimit"] as? Int == 96 << 20 && json["container_limit"] as? Int == 106 << 20)
        #expect(json["workload_memlimits"] as? [String: Int] == ["limited": 30_000_000])
        #expect(json["workload_gogc"] as? [String: String] == ["limited": "off"])
        #expect(info.reportHeader.contains("GOMEMLIMIT 96.00 MiB (100663296 bytes)"), "\(info.reportHeader)")
        #expect(info.reportHeader.contains("limited: GOMEMLIMIT 28.61 MiB (30000000 bytes), GOGC off, as their files say"))
        #expect(info.reportHeader.contains("container limit 106.00 MiB"))
        let back = try JSONDecoder().decode(RunInfo.self, from: Data(info.json.utf8))
        #expect(back.memlimit == info.memlimit && back.workloadMemlimits == info.workloadMemlimits)

        let plain = RunInfo(config: try SuiteConfig(workloads: [Workload.builtIn("churn")!], strategies: [.go], keys: 1000), machine: machine)
        #expect(plain.reportHeader.contains("GOMEMLIMIT off") && plain.reportHeader.contains("container limit none"))
        #expect(plain.workloadMemlimits == nil && plain.json.contains("\"memlimit\" : \"off\""))
    }

    /// A run.json whose limit is neither bytes nor a word for none is refused.
    @Test(arguments: [#""lots""#, "true", "-1.5", "-1", "0"])
    func aBadLimitInRunJSONIsRefused(value: String) throws {
        let machine = MachineFacts(command: "c", commit: "c", swift: "s", cpu: "cpu", cores: 2, memoryBytes: 1, date: "d")
        let good = RunInfo(config: try SuiteConfig(workloads: [Workload.builtIn("churn")!], strategies: [.go], keys: 1000), machine: machine).json
        let dir = temporaryDirectory()
        try good.replacingOccurrences(of: #""memlimit" : "off""#, with: "\"memlimit\" : \(value)")
            .write(toFile: dir + "/run.json", atomically: true, encoding: .utf8)
        #expect(throws: CSVError.self) { try RunInfo.read(dir + "/run.json") }
    }
}
