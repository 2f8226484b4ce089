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

    @Option(help: "Cells to run at once, each in its own process (default: the cores, fewer when that many cells' estimated peak memory would not fit in free memory). Memory columns do not depend on it; timing columns (GC ms, ops/s, p99) are disturbed by neighbours: use --jobs 1 when timings matter.")
    var jobs: Int?

    @Flag(help: "The full suite, the reference run: \(SuiteConfig.defaultKeys) keys, \(SuiteConfig.fullRepeats) repeats (without it: \(SuiteConfig.firstRunKeys) keys, \(SuiteConfig.firstRunRepeats) repeat, checked against \(Run.fullSuiteSummary)). --keys and --repeat override either.")
    var full = false

    @OptionGroup var out: OutputOption

    /// The committed full suite's summary the first run's REPORT.md checks
    /// its best strategies against (relative to the working directory).
    static let fullSuiteSummary = "Results/full-2026-12-07/summary.csv"

    /// The suite this command runs: the first run, or with --full the full
    /// one; `point`: one point of a sweep.
    func config(point: SuiteOptions.Point? = nil) throws -> SuiteConfig {
        try suite.config(repeats: repeats.count(default: full ? SuiteConfig.fullRepeats : SuiteConfig.firstRunRepeats),
                         defaultKeys: defaultKeys, point: point)
    }

    var defaultKeys: Int { full ? SuiteConfig.defaultKeys : SuiteConfig.firstRunKeys }

    /// `--jobs`, or the default for `config`.
    func jobCount(_ config: SuiteConfig) -> Int {
        if let jobs { return jobs }
        if inProcess { return 1 }
        let fit = Bounds.availableMemoryBytes().map { max(1, $0 / max(1, config.estimatedPeakBytes)) } ?? 1
        return max(1, min(onlineCores, fit))
    }

    func validate() throws {
        do {
            _ = try config()
        } catch is DataError {
            // A bad workload file: run() reports it before any work, with
            // the data-error status ArgumentParser's validation would lose.
        }
        if let jobs {
            try validated { try Bounds.jobs.check(jobs) }
            if jobs > 1 && inProcess { throw ValidationError("--jobs \(jobs) needs a process per cell; drop --in-process") }
        }
        if let reference {
            // Refused before any work, like every other bad input.
            _ = try AgainstGo.readReference(reference)
        }
    }

    func run() throws {
        let commit = MachineInfo.gitCommit ?? "nocommit"
        let runID = MachineInfo.today + "-" + commit
        let dir = out.directory ?? "Results/" + runID
        let points = suite.points(defaultKeys: defaultKeys)
        if points.count > 1 { return try sweep(points, into: dir) }
        let config = try config()
        try prepareOutputDirectory(dir)
        let failed = try runSuite(config, into: dir, compareWithFullSuite: !full, quiet: false)
        if !failed.isEmpty {
            let names = failed.map { "\($0.key.cellName)#\($0.key.repeatIndex) (\($0.status))" }
            writeStandardError("bucketlab: \(failed.count) cell(s) failed: \(names.joined(separator: ", "))\n")
            throw ExitCode(1)
        }
    }

    /// Runs the suite at every point into `dir/points/<point>/`, then writes
    /// the sweep's sweep.csv, charts and REPORT.md (Output/Sweep.swift).
    func sweep(_ points: [SuiteOptions.Point], into dir: String) throws {
        let configs = try points.map { try config(point: $0) }
        try prepareOutputDirectory(dir)
        var rows: [RunSummary] = []
        var folders: [String] = []
        var failed: [RunSummary] = []
        for (n, (p, config)) in zip(points, configs).enumerated() {
            let folder = Sweep.folder(keys: p.keys, payloadBytes: p.payloadBytes, gogc: p.gogc)
            print("point \(n + 1) of \(points.count): \(folder)")
            let pointDir = dir + "/points/" + folder
            try prepareOutputDirectory(pointDir)
            failed += try runSuite(config, into: pointDir, compareWithFullSuite: false, quiet: true)
            folders.append(folder)
            rows += try RunSummary.read(pointDir + "/summary.csv")
        }
        try writeFileAtomically(RunSummary.csv(rows), to: dir + "/sweep.csv")
        let info = RunInfo(config: configs[0], machine: MachineInfo.facts, jobs: jobCount(configs[0]))
        let charts = Sweep.charts(rows)
        for c in charts { try writeFileAtomically(c.svg, to: dir + "/" + c.file) }
        try writeFileAtomically(info.json, to: dir + "/run.json")
        let header = "`\(CommandLine.arguments.joined(separator: " "))` at commit \(MachineInfo.gitCommit ?? "nocommit"): "
            + "\(points.count) points (keys × payload bytes × GOGC), each a run under `points/`; run.json is the first point's."
        try writeFileAtomically(Sweep.markdown(rows, header: header, folders: folders, charts: charts), to: dir + "/REPORT.md")
        print("report:       \(dir)/REPORT.md")
        print("every figure: \(dir)/sweep.csv (each point's run: \(dir)/points/)")
        if !failed.isEmpty {
            let names = failed.map { "\($0.key.cellName)#\($0.key.repeatIndex) (\($0.status))" }
            writeStandardError("bucketlab: \(failed.count) cell(s) failed: \(names.joined(separator: ", "))\n")
            throw ExitCode(1)
        }
    }

    /// One suite into `dir`: its files, run.json, REPORT.md and charts;
    /// returns the cells that failed. `gather`: where each cell's result
    /// comes from instead of running it (`merge`: the folders a plan's cells
    /// left).
    func runSuite(_ config: SuiteConfig, into dir: String, compareWithFullSuite: Bool, quiet: Bool,
                  gather: (@Sendable (SuiteCell) throws -> CellResult)? = nil, runID: String? = nil) throws -> [RunSummary] {
        let jobs = gather == nil ? jobCount(config) : 1
        // One job: the cell's own phase-by-phase line; several: a count here.
        let cellProgress = ProgressLine.onTerminal && jobs == 1
        let runCell: (@Sendable (SuiteCell) throws -> CellResult)?
        if let gather {
            runCell = gather
        } else if inProcess {
            runCell = nil
        } else {
            runCell = { @Sendable cell in try CellProcess.run(cell, config: config, progress: cellProgress) }
        }
        let started = monotonicNanos()
        var cellDone: (@Sendable (Int, Int) -> Void)?
        if ProgressLine.onTerminal && jobs > 1 {
            let cells = config.mapModels.count * config.workloads.count * config.strategies.count * config.repeats
            ProgressLine.show?("cells 0/\(cells), \(jobs) at a time")
            cellDone = { @Sendable done, total in
                let elapsed = Double(monotonicNanos() - started) / 1e9
                let eta = elapsed / Double(done) * Double(total - done)
                ProgressLine.show?("cells \(done)/\(total), \(jobs) at a time, about \(Int(eta.rounded())) s left")
            }
        }
        let result = try Suite.run(config, runID: runID ?? (dir as NSString).lastPathComponent, progress: ProgressLine.show,
                                   runCell: runCell, jobs: jobs, cellDone: cellDone)
        ProgressLine.end()
        try result.write(to: dir)
        let info = RunInfo(config: config, machine: MachineInfo.facts, jobs: jobs)
        try writeFileAtomically(info.json, to: dir + "/run.json")
        if let reference {
            let rows = AgainstGo.join(phases: result.phases, gc: result.gc, reference: try AgainstGo.readReference(reference))
            try writeFileAtomically(AgainstGoRow.csv(rows), to: dir + "/against-go.csv")
        }
        // The report is drawn from the files just written (see Output/).
        var results = try ResultSet(directory: dir)
        if compareWithFullSuite, FileManager.default.fileExists(atPath: Self.fullSuiteSummary) {
            results.fullSuite = FullSuiteReference(path: Self.fullSuiteSummary,
                                                   summaries: try RunSummary.read(Self.fullSuiteSummary))
        }
        try Report.write(results, to: dir, header: info.reportHeader)
        if quiet { return result.failedCells }
        // One screen; REPORT.md and summary.csv keep every figure.
        print(Report.glanceText(results))
        if let line = Report.fullSuiteLine(results) { print(line) }
        print("report:       \(dir)/REPORT.md")
        print("every figure: \(dir)/summary.csv")
        print("              (beside them: phases.csv, samples.csv, gc.csv, heap.csv, trace.json, run.json, pprof/, *.svg)")
        return result.failedCells
    }
}
