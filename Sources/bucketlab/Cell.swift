import ArgumentParser
import BucketLab
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One cell of a suite, in a process of its own: `bucketlab run` starts one
/// per workload × strategy × repeat (CellProcess.swift) and gathers the files
/// it leaves. Not meant to be typed by hand.
struct Cell: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one workload × strategy × repeat and write its rows (used by 'run').",
        shouldDisplay: false
    )

    @OptionGroup var suite: SuiteOptions

    @Option(name: .customLong("repeat-index"), help: "Which repeat this is (1-based).")
    var repeatIndex = 1

    @Option(name: .customLong("run-id"), help: "The suite's run id.")
    var runID = "cell"

    @Flag(help: "Draw a progress line on stderr.")
    var progress = false

    @Option(name: .customLong("out"), help: "Directory for the cell's files.")
    var directory: String

    func run() throws {
        let t0 = monotonicNanos()
        let config = try suite.config(repeats: 1)
        guard config.mapModels.count == 1, config.workloads.count == 1, config.strategies.count == 1 else {
            throw ValidationError("a cell is one map model, one workload and one strategy")
        }
        let cell = SuiteCell(workload: config.workloads[0], strategy: config.strategies[0],
                             key: RunKey(runID: runID, map: config.mapModels[0], workload: config.workloads[0].rawValue,
                                         strategy: config.strategies[0].name, repeatIndex: repeatIndex, keys: config.keys,
                                         payloadBytes: config.payloadBytes, gogc: config.gogcText(for: config.workloads[0]),
                                         memlimit: config.memlimitText(for: config.workloads[0])))
        // Test hook: the crash-handling tests kill chosen cells this way
        // (workload/strategy on every map model, or map/workload/strategy).
        if let victim = getenv("BUCKETLAB_TEST_KILL_CELL").map({ String(cString: $0) }),
           victim == "\(cell.key.workload)/\(cell.key.strategy)" || victim == cell.key.cellName {
            kill(getpid(), SIGKILL)
        }
        let show: ((String) -> Void)? = progress ? { writeStandardError("\r\u{1B}[K" + $0) } : nil
        try prepareOutputDirectory(directory)
        let t1 = monotonicNanos()
        let result = try Suite.run(cell, config: config, progress: show)
        let t2 = monotonicNanos()
        try result.write(to: directory)
        // Which plan and which code wrote these files (bucketlab merge checks).
        let stamp = try JSONEncoder().encode(CellStamp(runID: runID, commit: MachineInfo.gitCommit ?? "unknown"))
        try writeFileAtomically(String(decoding: stamp, as: UTF8.self) + "\n", to: directory + "/cell.json")
        let t3 = monotonicNanos()
        if getenv("BUCKETLAB_CELL_TIMES") != nil {
            let t = result.times
            func ms(_ ns: UInt64) -> String { String(format: "%.1f", Double(ns) / 1e6) }
            writeStandardError("cell-times \(cell.key.cellName) config=\(ms(t1 - t0)) run=\(ms(t2 - t1)) workload=\(ms(t.workloadNs)) "
                + "settle=\(ms(t.settleNs)) endcollect=\(ms(t.phaseEndCollectNs)) census=\(ms(t.censusNs)) "
                + "profile=\(ms(t.profileNs)) heapclasses=\(ms(t.heapClassesNs)) samples=\(ms(t.samplesNs)) "
                + "gc=\(ms(result.summary.gcTotalNs)) write=\(ms(t3 - t2)) inside=\(ms(t3 - t0))\n")
        }
    }
}
