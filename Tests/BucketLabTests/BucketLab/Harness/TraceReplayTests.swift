import Foundation
import Testing
@testable import BucketLab
@testable import LabMaps

/// Replaying a recorded trace runs its operations on the lab's maps: the
/// same operations as a workload file give the same memory, replays repeat,
/// and bad traces are refused before any work.
@Suite struct TraceReplayTests {
    static func write(_ t: TraceBytes, name: String) throws -> String {
        let path = temporaryDirectory() + "/" + name
        try Data(t.bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// fill-drain as a trace whose hashes are the run's keys (WorkloadRun.key).
    /// `make`: the map's make record (default: word keys, word values).
    static func fillDrainTrace(keys: Int, seed: UInt64, make: ((inout TraceBytes) -> Void)? = nil) -> TraceBytes {
        var t = TraceBytes()
        if let make { make(&t) } else { t.make(0) }
        let key = { (i: Int) in SplitMix64.mix(UInt64(i) ^ seed) }
        for i in 0..<keys { t.key(0x02, map: 0, hash: key(i)) }
        t.op(0x0D); t.text("peak")
        for i in 0..<keys { t.key(0x06, map: 0, hash: key(i)) }
        t.op(0x0D); t.text("drained")
        for i in keys..<(keys + keys / 10) { t.key(0x02, map: 0, hash: key(i)) }
        t.op(0x0D); t.text("refill10")
        t.end()
        return t
    }

    @Test(arguments: ["classic", "swiss"])
    func replayMatchesTheSameOperationsFromAWorkloadFile(map: String) throws {
        let keys = 5_000, seed: UInt64 = 7
        let trace = try Workload.load(trace: try Self.write(Self.fillDrainTrace(keys: keys, seed: seed), name: "fd.bltrace"))
        #expect(trace.name == "fd")
        #expect(trace.phases(WorkloadSizes(keys: keys, window: 1, bursts: 1)) == ["peak", "drained", "refill10"])
        let builtIn = Workload.builtIn("fill-drain")!
        let config = try SuiteConfig(workloads: [builtIn, trace], strategies: Strategy.parseList("go"),
                                     mapModels: [map], keys: keys, seed: seed, samples: 4, pprof: .none)
        let cells = Suite.cells(config, runID: "t")
        let file = try Suite.run(cells[0], config: config), replay = try Suite.run(cells[1], config: config)
        func rows(_ r: CellResult) -> [[String]] {
            // Without map, workload, strategy.
            (WorkloadFileTests.memoryColumns(PhaseRow.csv(r.phases)) + WorkloadFileTests.memoryColumns(SampleRow.csv(r.samples)))
                .map { Array($0.dropFirst(3)) }
        }
        #expect(rows(file).count == 1 + 5 + 1 + 4 * 3 + 2)
        #expect(rows(file) == rows(replay))
        #expect(file.phases.map(\.measurement.bucketBytes) == replay.phases.map(\.measurement.bucketBytes))
        #expect(replay.phases[0].measurement.liveKeys == keys)
        #expect(replay.phases[1].measurement.bucketBytes > 0, "the drained map keeps its buckets")
    }

    /// Every record kind, string keys and payloads: the live figures follow
    /// the trace and two replays' memory columns are identical.
    @Test func replayOfEveryRecordKindRepeats() throws {
        let path = try Self.write(sampleTrace(), name: "every-kind.bltrace")
        let w = try Workload.load(trace: path)
        #expect(w.headlinePhase(WorkloadSizes(keys: 1, window: 1, bursts: 1)) == "end")
        let config = try SuiteConfig(workloads: [w], strategies: Strategy.parseList("go"), keys: 1_000, seed: 3, pprof: .none)
        for cell in Suite.cells(config, runID: "t") {
            let a = try Suite.run(cell, config: config), b = try Suite.run(cell, config: config)
            #expect(a.phases.map(\.phase) == ["filled", "end", "idle", "freeos"])
            // filled: map 0 holds hash 2; end: map 0 cleared, map 1 dropped.
            #expect(a.phases.map(\.measurement.liveKeys) == [1, 0, 0, 0])
            #expect(a.phases[0].measurement.liveBytes == 16)
            #expect(WorkloadFileTests.memoryColumns(PhaseRow.csv(a.phases)) == WorkloadFileTests.memoryColumns(PhaseRow.csv(b.phases)))
        }
    }

    /// String keys of every length and payloads of varying sizes: live bytes
    /// count each key's object and each payload's recorded bytes.
    @Test func stringKeysAndPayloadsAreCountedAtTheirRecordedSizes() throws {
        var t = TraceBytes()
        t.make(0, strings: true)
        // Lengths 0, 3 (short: numbered), 3 again (a distinct key), 40.
        t.key(0x02, map: 0, hash: 10, extra: [0, 48])
        t.key(0x02, map: 0, hash: 11, extra: [3, 48])
        t.key(0x02, map: 0, hash: 12, extra: [3, 100])
        t.key(0x02, map: 0, hash: 13, extra: [40, 0])
        t.key(0x04, map: 0, hash: 12, extra: [3])
        t.key(0x05, map: 0, hash: 14, extra: [3])
        t.op(0x0D); t.text("four")
        t.key(0x03, map: 0, hash: 11, extra: [3, 200])
        t.key(0x06, map: 0, hash: 12, extra: [3])
        t.op(0x0C, [0, 3])
        t.op(0x0D); t.text("three")
        t.end()
        let w = try Workload.load(trace: try Self.write(t, name: "strings.bltrace"))
        let config = try SuiteConfig(workloads: [w], strategies: Strategy.parseList("go"), mapModels: ["classic"],
                                     keys: 1_000, seed: 3, settle: false, pprof: .none)
        let r = try Suite.run(Suite.cells(config, runID: "t")[0], config: config)
        let slot = 16 + 8
        let strings = SizeClasses.roundUpSize(3) * 2 + SizeClasses.roundUpSize(40)
        #expect(r.phases.map(\.measurement.liveKeys) == [4, 3])
        #expect(r.phases[0].measurement.liveBytes == 4 * slot + strings + 48 + 48 + 100)
        #expect(r.phases[1].measurement.liveBytes == 3 * slot + strings - SizeClasses.roundUpSize(3) + 48 + 200)
    }

    /// A `map[[16]byte]struct{...24 bytes}` trace replays at the recorded
    /// layout: the same memory columns as a workload file of that shape
    /// running the same operations on the same keys.
    @Test(arguments: ["classic", "swiss"])
    func recordedLayoutsReplayAtTheirSizes(map: String) throws {
        let keys = 3_000, seed: UInt64 = 7
        // The same records, made by a map of 16-byte byte keys and 24-byte
        // inline values with no pointers.
        let t = Self.fillDrainTrace(keys: keys, seed: seed) { t in
            t.op(0x01, [0]); t.bytes.append(3); t.uvarint(16); t.uvarint(0); t.bytes.append(1); t.uvarint(24); t.uvarint(0); t.uvarint(0)
        }
        let trace = try Workload.load(trace: try Self.write(t, name: "bytes.bltrace"))
        var spec = Workload.builtIn("fill-drain")!.spec
        spec.name = "fill-drain-bytes"
        spec.map = try JSONDecoder().decode(MapShape.self, from: Data(#"{"key": {"kind": "bytes", "bytes": 16}, "value": {"kind": "struct", "bytes": 24}}"#.utf8))
        let file = Workload(spec: spec, file: "fdb.json")
        let config = try SuiteConfig(workloads: [file, trace], strategies: Strategy.parseList("go"),
                                     mapModels: [map], keys: keys, seed: seed, samples: 4, pprof: .none)
        let cells = Suite.cells(config, runID: "t")
        let a = try Suite.run(cells[0], config: config), b = try Suite.run(cells[1], config: config)
        func rows(_ r: CellResult) -> [[String]] {
            (WorkloadFileTests.memoryColumns(PhaseRow.csv(r.phases)) + WorkloadFileTests.memoryColumns(HeapClassRow.csv(r.heap)))
                .map { Array($0.dropFirst(3)) }
        }
        #expect(rows(a) == rows(b))
        // Wider slots than a map[uint64]uint64's: more bucket bytes.
        let words = try Suite.run(Suite.cells(try SuiteConfig(workloads: [Workload.builtIn("fill-drain")!], strategies: Strategy.parseList("go"),
                                                              mapModels: [map], keys: keys, seed: seed, samples: 4, pprof: .none), runID: "w")[0],
                                  config: config)
        #expect(b.phases[0].measurement.bucketBytes > words.phases[0].measurement.bucketBytes)
    }

    /// `map[int32]struct{}`: 4-byte keys and no value bytes, as Go lays
    /// them out (a classic bucket of 8 + 8 × 4 + 8 = 48 bytes).
    @Test func smallKeysAndEmptyValuesKeepTheirSizes() throws {
        var t = TraceBytes()
        t.op(0x01, [0]); t.bytes.append(1); t.uvarint(4); t.uvarint(0); t.bytes.append(1); t.uvarint(0); t.uvarint(0); t.uvarint(0)
        for i in 0..<1_000 { t.key(0x02, map: 0, hash: SplitMix64.mix(UInt64(i))) }
        for i in 0..<1_000 { t.key(0x04, map: 0, hash: SplitMix64.mix(UInt64(i))) }
        t.op(0x0D); t.text("filled")
        for i in 0..<500 { t.key(0x06, map: 0, hash: SplitMix64.mix(UInt64(i))) }
        t.op(0x0C, [0, 500])
        t.op(0x0D); t.text("halved")
        t.end()
        let w = try Workload.load(trace: try Self.write(t, name: "set.bltrace"))
        let config = try SuiteConfig(workloads: [w], strategies: Strategy.parseList("go"), mapModels: ["classic"],
                                     keys: 1_000, seed: 3, settle: false, pprof: .none)
        let r = try Suite.run(Suite.cells(config, runID: "t")[0], config: config)
        #expect(r.phases.map(\.measurement.liveKeys) == [1_000, 500])
        #expect(r.phases[0].measurement.liveBytes == 1_000 * 4)
        // 1,000 keys: B = 8 (256 buckets of 48 bytes, plus 2^(8-4) spare
        // overflow buckets allocated with the array).
        #expect(r.phases[0].measurement.bucketBytes == SizeClasses.roundUpSize((256 + 16) * 48))
    }

    @Test func markerNamesBecomeUniquePhaseNames() throws {
        var t = TraceBytes()
        t.make(0)
        for name in ["a", "a", "idle", "x{i}"] {
            t.key(0x02, map: 0, hash: UInt64(name.count + 100 * t.records))
            t.op(0x0D); t.text(name)
        }
        t.end()
        let w = try Workload.load(trace: try Self.write(t, name: "my trace.v1.bltrace"))
        #expect(w.name == "my-trace.v1")
        #expect(w.phases(WorkloadSizes(keys: 1, window: 1, bursts: 1)) == ["a", "a-2", "trace-idle", "x_i_"])
        try w.validate(WorkloadSizes(keys: 1, window: 1, bursts: 1))
    }

    @Test func aBadTraceIsRefusedWithItsByteOffset() throws {
        var bytes = sampleTrace().bytes
        bytes.removeLast(2)
        let path = temporaryDirectory() + "/cut.bltrace"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: WorkloadFileError.self) { try Workload.load(trace: path) }
        do { _ = try Workload.load(trace: path) } catch let e as WorkloadFileError {
            #expect(e.description.hasPrefix("\(path): byte "))
        }
        let out = temporaryDirectory() + "/out"
        for command in [["run", "--trace", path, "--out", out], ["check", "--trace", path, "--max-retained-bytes", "1MiB", "--out", out]] {
            let o = try bucketlab(command)
            #expect(o.status == 65, "\(command[0]): \(o.stderr)")
            #expect(o.stderr.split(separator: "\n").count == 1)
            #expect(o.stderr.contains("byte "))
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// A trace workload runs in a cell process of its own (run's default) and
    /// is judged by check at its headline phase.
    @Test func runAndCheckReplayInCellProcesses() throws {
        let path = try Self.write(Self.fillDrainTrace(keys: 2_000, seed: 1), name: "cells.bltrace")
        let dir = temporaryDirectory() + "/run"
        let o = try bucketlab(["run", "--trace", path, "--workload", "fill-drain", "--strategy", "go", "--map", "classic",
                               "--keys", "2000", "--repeat", "1", "--no-settle", "--out", dir])
        #expect(o.status == 0, "\(o.stderr)")
        let phases = try String(contentsOfFile: dir + "/phases.csv", encoding: .utf8)
        #expect(phases.split(separator: "\n").contains { $0.contains(",cells,go,1,2000,") && $0.contains(",refill10,") })
        let report = try String(contentsOfFile: dir + "/REPORT.md", encoding: .utf8)
        #expect(report.contains("cells"))
        let c = try bucketlab(["check", "--trace", path, "--map", "classic", "--keys", "2000", "--max-retained-bytes", "1KiB"])
        #expect(c.status == 1, "a replay keeps more than 1 KiB at refill10")
        #expect(c.stderr.contains("cells"))
    }
}
