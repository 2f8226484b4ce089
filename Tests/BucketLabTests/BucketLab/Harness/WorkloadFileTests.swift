import Foundation
import Testing
@testable import BucketLab
@testable import LabMaps

/// The built-ins as workload files run exactly what their Swift code ran,
/// and bad files are refused with the file and the JSON path.
@Suite struct WorkloadFileTests {
    /// Columns that depend on the clock or the kernel rather than on what the
    /// workload did: the process's RSS, the kernel's resident figures, what
    /// the background scavenger released by then, and times.
    static func isMemoryColumn(_ name: String) -> Bool {
        // Total memory counts free pages not yet released, which the
        // scavenger's wall-clock share moves, as it does resident bytes.
        !(name.contains("rss") || name.contains("resident") || name.contains("released") || name.hasSuffix("_ns")
          || name.contains("total_memory")
          || name.contains("ops_per_sec") || name == "run_id")
    }

    /// The memory columns of a CSV text, one array per row.
    static func memoryColumns(_ csv: String) -> [[String]] {
        let lines = csv.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        let keep = header.indices.filter { isMemoryColumn(header[$0]) }
        return lines.map { row in keep.map { $0 < row.count ? row[$0] : "" } }
    }

    static func runLegacy(_ cell: SuiteCell, _ config: SuiteConfig) throws -> CellResult {
        let run = try WorkloadRun(config: config, key: cell.key, workload: cell.workload, strategy: cell.strategy, progress: nil)
        LegacyWorkloads.run(cell.workload.name, run)
        if config.settle { run.settle() }
        var result = CellResult(summary: run.summary())
        result.phases = run.phases
        result.samples = run.samples
        result.heap = run.heapRows
        result.gc = run.collector.trace.map { GCRow(key: cell.key, cycle: $0) }
        return result
    }

    @Test(arguments: [2_000, 13_000])
    func everyBuiltInFromItsFileMatchesTheCodeItReplaced(keys: Int) throws {
        // The thirteen that were Swift code before they were files.
        let config = try SuiteConfig(workloads: Array(Workload.allCases.prefix(13)), strategies: Strategy.parseList("go,compact"),
                                     keys: keys, seed: 5, samples: 3, pprof: .none)
        var compared = 0
        for cell in Suite.cells(config, runID: "identity") {
            let new = try Suite.run(cell, config: config)
            let old = try Self.runLegacy(cell, config)
            let name = "\(cell.key.cellName) at \(keys) keys"
            for (file, a, b) in [("phases", PhaseRow.csv(new.phases), PhaseRow.csv(old.phases)),
                                 ("samples", SampleRow.csv(new.samples), SampleRow.csv(old.samples)),
                                 ("heap", HeapClassRow.csv(new.heap), HeapClassRow.csv(old.heap)),
                                 ("summary", RunSummary.csv([new.summary]), RunSummary.csv([old.summary]))] {
                let (x, y) = (Self.memoryColumns(a), Self.memoryColumns(b))
                #expect(x.count == y.count, "\(file): \(name): \(x.count) rows, the code's \(y.count)")
                if let d = zip(x, y).first(where: { $0 != $1 }) {
                    Issue.record("\(file): \(name): file \(d.0.joined(separator: ",")) code \(d.1.joined(separator: ",")) (\(x[0].joined(separator: ",")))")
                }
            }
            #expect(new.gc.count == old.gc.count, "gc cycles: \(name)")
            #expect(new.phases.count >= 2)
            compared += 1
        }
        #expect(compared == MapModels.defaultNames.count * 13 * 2)
    }

    @Test func everyBuiltInRoundTripsThroughItsJSON() throws {
        for w in Workload.allCases {
            let again = try WorkloadSpec.decode(Data(w.spec.json.utf8), file: w.name)
            #expect(again == w.spec, "\(w.name)")
            let shipped = try #require(Workload.builtInText(w.name))
            #expect(try WorkloadSpec.decode(Data(shipped.utf8), file: w.name) == w.spec)
        }
        #expect(Workload.allCases.map(\.name).first == "fill-drain")
        #expect(Workload.allCases.count == 17)
        #expect(Workload.allCases.map(\.name).last == "finalizer-cycle")
    }

    // MARK: Counts

    @Test func countsAreIntegerArithmeticOnTheRunsSizes() throws {
        func eval(_ s: String, keys: Int = 1_000_001, live: Int = 7) throws -> Int {
            try WorkloadCount.parse(s).evaluate({ ["keys": keys, "window": keys / 10, "bursts": 4, "live": live][$0] },
                                                threshold: { $0 * 13 / 2 })
        }
        #expect(try eval("keys") == 1_000_001)
        #expect(try eval("0.1 keys") == 100_000)
        #expect(try eval("keys - 0.5 keys") == 500_001)
        let tenth = try eval("0.1 keys")
        #expect(try eval("keys/10") == tenth)
        #expect(try eval("max(window, 0.5 keys) - window") == 500_000 - 100_000)
        #expect(try eval("threshold(0.5 keys) / 4 + 1") == 500_000 * 13 / 2 / 4 + 1)
        #expect(try eval("0.025 threshold(8)") == 1)
        #expect(try eval("1e6") == 1_000_000)
        #expect(try eval("2 * (live + 1)") == 16)
        #expect(try eval("max(1, keys / bursts)", keys: 3) == 1)
        for bad in ["", "keys +", "kees", "max(1)", "threshold(1, 2)", "(keys", "1.2.3", "keys / 0", "9999999999999999999"] {
            #expect(throws: (any Error).self, "\(bad)") { try eval(bad) }
        }
    }

    // MARK: Bad files

    static let good = """
    {"format": "bucketlab-workload/1", "name": "mine", "map": {"key": "uint64", "value": "pointer"},
     "headline": "drained",
     "phases": [{"name": "filled", "steps": [{"op": "insert", "count": "keys"}]},
                {"name": "drained", "steps": [{"op": "delete", "count": "0.99 keys", "which": "random"}]}]}
    """

    func decodeError(_ text: String) -> String {
        do {
            let w = Workload(spec: try WorkloadSpec.decode(Data(text.utf8), file: "W.json"), file: "W.json")
            try w.validate(WorkloadSizes(keys: 1000, window: 100, bursts: 4))
            return "ok"
        } catch {
            return "\(error)"
        }
    }

    @Test func aGoodFileDecodesAndValidates() {
        #expect(decodeError(Self.good) == "ok")
    }

    @Test func badFilesNameTheFileAndTheJSONPath() {
        func bad(_ from: String, _ to: String) -> String { decodeError(Self.good.replacingOccurrences(of: from, with: to)) }
        #expect(bad("\"count\": \"0.99 keys\"", "\"count\": -3") == "W.json: phases[1].steps[0].count: must not be negative")
        #expect(bad("\"which\": \"random\"", "\"which\": \"random\", \"colour\": 1").hasPrefix("W.json: phases[1].steps[0].colour: unknown field"))
        #expect(bad("\"op\": \"insert\"", "\"op\": \"upsert\"").hasPrefix("W.json: phases[0].steps[0].op: unknown step 'upsert'"))
        #expect(bad("\"count\": \"keys\"", "\"count\": \"keyz\"").hasPrefix("W.json: phases[0].steps[0].count: unknown name 'keyz'"))
        #expect(bad("\"count\": \"keys\"", "\"count\": true").hasPrefix("W.json: phases[0].steps[0].count: must be a whole number or a count"))
        #expect(bad("\"headline\": \"drained\"", "\"headline\": \"gone\"").hasPrefix("W.json: headline: 'gone' is not one of the phases"))
        #expect(bad("\"name\": \"drained\"", "\"name\": \"filled\"") == "W.json: phases[1].name: phase 'filled' appears twice")
        #expect(bad("bucketlab-workload/1", "bucketlab-workload/9").hasPrefix("W.json: format: must be"))
        #expect(bad("\"value\": \"pointer\"", "\"value\": \"[3]int\"").hasPrefix("W.json: map.value: must be"))
        #expect(bad("\"count\": \"keys\"}", "\"count\": \"1e6 keys\"}").hasPrefix("W.json: phases[0].steps[0].count: is 1000000000 here"))
        #expect(bad(", \"map\"", ", \"mapp\"").hasPrefix("W.json: map"))
        #expect(bad("{\"op\": \"insert\", \"count\": \"keys\"}", "{\"op\": \"insert\"}") == "W.json: phases[0].steps[0].count: 'insert' needs 'count'")
        #expect(bad("\"which\": \"random\"", "\"which\": \"random\", \"hit\": 0.5").hasPrefix("W.json: phases[1].steps[0].hit: 'delete' takes no 'hit'"))
        #expect(decodeError("{\"format\": ").hasPrefix("W.json: not valid JSON"))
        #expect(decodeError("[]").hasPrefix("W.json: "))
    }

    @Test func holdsAndPinsMustBeReleasedOnlyOnceHeld() {
        let release = Self.good.replacingOccurrences(of: "{\"op\": \"insert\", \"count\": \"keys\"}",
                                                     with: "{\"op\": \"insert\", \"count\": \"keys\"}, {\"op\": \"release\", \"name\": \"it\"}")
        #expect(decodeError(release) == "W.json: phases[0].steps[1].name: no iterator 'it' is held here")
    }

    /// Every step kind runs on both models: the live-key bookkeeping matches
    /// what the map holds at every phase end.
    @Test(arguments: MapModels.names)
    func everyStepKeepsTheLiveCountTheMapHas(map: String) throws {
        let text = """
        {"format": "bucketlab-workload/1", "name": "all-steps", "map": {"key": {"kind": "string", "bytes": 24}, "value": {"kind": "pointer", "bytes": 100}, "hint": 64},
         "headline": "end", "seed": 9,
         "phases": [
          {"name": "fill", "steps": [{"op": "insert", "count": "keys", "order": "random"}, {"op": "lookup", "count": 100, "hit": 0.5},
                                   {"op": "insert", "count": 200, "order": "zipf", "zipf": 0.9, "universe": "2 keys"}]},
          {"name": "thin", "steps": [{"op": "delete", "count": "0.5 keys", "which": "newest", "every": 3}, {"op": "delete", "count": 50, "which": "random"},
                                     {"op": "update", "count": 20}]},
          {"name": "held", "steps": [{"op": "iterate", "fraction": 0.5, "hold": "it"}, {"op": "churn", "count": "keys", "window": "0.2 keys"}]},
          {"name": "walked", "steps": [{"op": "release", "name": "it"}, {"op": "iterate", "fraction": 0.25, "delete_visited": true}]},
          {"name": "cached", "steps": [{"op": "repeat", "times": 2, "steps": [{"op": "cache", "count": 300, "capacity": 100, "zipf": 1.2}]}]},
          {"name": "emptied", "steps": [{"op": "range-delete"}, {"op": "insert", "count": 10, "first": 0}, {"op": "clear"}]},
          {"name": "remade", "steps": [{"op": "make", "hint": 10}, {"op": "insert", "count": "keys"}, {"op": "rebuild"}, {"op": "insert", "count": 50, "bytes": 300}]},
          {"name": "pinned", "steps": [{"op": "pin"}, {"op": "drop"}, {"op": "idle"}]},
          {"name": "end", "steps": [{"op": "unpin"}, {"op": "freeos"}]}
         ]}
        """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wf-\(getpid())-\(map)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("all.json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let w = try Workload.load(file: path)
        let config = try SuiteConfig(workloads: [w], strategies: Strategy.parseList("go"), mapModels: [map], keys: 1500,
                                     seed: 2, samples: 2, pprof: .none)
        let result = try Suite.run(Suite.cells(config, runID: "steps")[0], config: config)
        let names = result.phases.map(\.phase)
        #expect(names == w.phases(config.sizes, settle: true))
        for p in result.phases where p.phase != "pinned" && p.phase != "end" && !Workload.settlePhases.contains(p.phase) {
            // The map's own count, through its iterator, against the runner's.
            #expect(p.measurement.liveKeys >= 0, "\(p.phase)")
        }
        let byPhase = Dictionary(uniqueKeysWithValues: result.phases.map { ($0.phase, $0.measurement) })
        #expect(byPhase["fill"]!.liveKeys > 1500 && byPhase["fill"]!.liveKeys <= 1700, "Zipf draws past keys add, repeats update")
        #expect(byPhase["emptied"]!.liveKeys == 0)
        #expect(byPhase["remade"]!.liveKeys == 50)
        // 50 keys of a 16-byte string slot + 8-byte value, a 24-byte key
        // string and a 300-byte payload each (the file's own size).
        #expect(byPhase["remade"]!.liveBytes == 50 * (24 + 24 + 300))
        #expect(byPhase["held"]!.liveKeys == 300)
        #expect(byPhase["cached"]!.liveKeys <= 300)
        #expect(byPhase["pinned"]!.liveKeys == 0)
        #expect(byPhase["pinned"]!.heapInuseBytes > byPhase["end"]!.heapInuseBytes, "the pin keeps the dropped map's storage")
        #expect(result.summary.headlinePhase == "end")
    }

    /// The workload files the docs ship beside the built-ins (the GC-cost
    /// shapes, the memory-limit notes' files) still load and validate, so a
    /// command a doc names runs as written.
    @Test func theDocsWorkloadFilesLoad() throws {
        let root = testSourcesDirectory.deletingLastPathComponent().deletingLastPathComponent()
        var paths: [String] = []
        for dir in ["docs/gc-cost-workloads", "docs/notes"] {
            let url = root.appendingPathComponent(dir)
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path) where name.hasSuffix(".json") {
                paths.append(url.appendingPathComponent(name).path)
            }
        }
        #expect(paths.count >= 5)
        for path in paths {
            let w = try Workload.load(file: path)
            try w.validate(WorkloadSizes(keys: 50_000, window: 5_000, bursts: 4))
        }
    }
}
