import ArgumentParser
import BucketLab
import Foundation

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run workloads × strategies; print what each workload retains and write CSV, charts and a report."
    )

    @OptionGroup var suite: SuiteOptions

    @OptionGroup var repeats: RepeatOption

    @Option(help: "A folder written by scripts/reference: join the go strategy's phases with the real Go runtime's (against-go.csv, REPORT.md).")
    var reference: String?

    @Flag(name: .customLong("in-process"),
          help: "Run every cell in this process (for debugging) instead of one child process per cell.")
    var inProcess = false

    @OptionGroup var out: OutputOption

    func validate() throws {
        _ = try suite.config(repeats: repeats.count(default: 3))
        if let reference {
            // Refused before any work, like every other bad input.
            _ = try AgainstGo.readReference(reference)
        }
    }

    func run() throws {
        let config = try suite.config(repeats: repeats.count(default: 3))
        let commit = MachineInfo.gitCommit ?? "nocommit"
        let runID = MachineInfo.today + "-" + commit
        let dir = out.directory ?? "Results/" + runID
        try prepareOutputDirectory(dir)
        let runCell: ((SuiteCell) throws -> CellResult)? = inProcess ? nil : { cell in
            try CellProcess.run(cell, config: config, progress: ProgressLine.onTerminal)
        }
        let result = try Suite.run(config, runID: (dir as NSString).lastPathComponent, progress: ProgressLine.show,
                                   runCell: runCell)
        ProgressLine.end()
        try result.write(to: dir)
        let info = RunInfo(config: config, machine: MachineInfo.facts)
        try writeFileAtomically(info.json, to: dir + "/run.json")
        if let reference {
            let rows = AgainstGo.join(phases: result.phases, gc: result.gc, reference: try AgainstGo.readReference(reference))
            try writeFileAtomically(AgainstGoRow.csv(rows), to: dir + "/against-go.csv")
        }
        // The report is drawn from the files just written (see Output/).
        let results = try ResultSet(directory: dir)
        try Report.write(results, to: dir, header: info.reportHeader)
        // One screen; REPORT.md and summary.csv keep every figure.
        print(Report.glanceText(results))
        print("report:       \(dir)/REPORT.md")
        print("every figure: \(dir)/summary.csv")
        print("              (beside them: phases.csv, samples.csv, gc.csv, heap.csv, trace.json, run.json, pprof/, *.svg)")
        let failed = result.failedCells
        if !failed.isEmpty {
            let names = failed.map { "\($0.key.cellName)#\($0.key.repeatIndex) (\($0.status))" }
            writeStandardError("bucketlab: \(failed.count) cell(s) failed: \(names.joined(separator: ", "))\n")
            throw ExitCode(1)
        }
    }
}
