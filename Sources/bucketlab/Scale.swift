import ArgumentParser
import BucketLab
import Foundation

/// `bucketlab scale`: a big cell beside the real Go runtime (Output/ScaleRows.swift).
struct Scale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one workload's go strategy at one size on the lab and on the real Go runtime, in pairs of processes; write scale.csv, scale.md and the run's files with against-go.csv.",
        discussion: """
        For each pair and map model: a lab cell (its own process) and the Go \
        reference at the same size, on the Go version the model stands for \
        (classic: Go 1.19, swiss: current Go), one after the other, the first \
        alternating from pair to pair. Wall time and peak resident set are \
        per process (wait4); lab/Go ratios are per pair, summarised by their \
        median and extremes. Heap in use at every phase end is joined as \
        compare-go joins it. Each side runs alone: nothing else of the lab \
        runs beside it.
        """
    )

    @Option(help: "A built-in workload (bucketlab list).")
    var workload = "fill-drain-ptr"

    @Option(name: .customLong("workload-file"), help: "A workload file to run instead of --workload.")
    var workloadFile: String?

    @Option(help: "Map models: comma-separated, or 'all'.")
    var map = "all"

    @OptionGroup var sizes: SizeOptions

    @Option(help: "Pairs of processes per map model (lab and Go each run this many times).")
    var runs = 3

    @Option(help: "Seed for keys and hash seeds.")
    var seed: UInt64 = 1

    @Flag(help: "End with the idle and freeos phases. Left out by default: on Go, idle waits for the scavenger (1 to 10 s of sleep), in the lab it is modelled time, so wall times would not compare work with work.")
    var settle = false

    @Flag(name: .customLong("no-go"), help: "Run the lab's cells only, even where a Go toolchain is installed.")
    var noGo = false

    @OptionGroup var out: OutputOption

    /// The run options these pairs share with `bucketlab run`.
    var runArguments: [String] {
        (workloadFile.map { ["--workload-file", $0] } ?? ["--workload", workload])
            + ["--strategy", "go", "--map", map, "--keys", String(sizes.keys), "--payload-bytes", String(sizes.payloadBytes),
               "--seed", String(seed), "--pprof", "none", "--repeat", String(runs), "--jobs", "1"]
            + (settle ? [] : ["--no-settle"])
    }

    func validate() throws {
        if sizes.isSweep { throw ValidationError("scale takes one --keys and one --payload-bytes value") }
        guard Bounds.repeats.range.contains(runs) else {
            throw ValidationError("--runs must be between \(Bounds.repeats.range.lowerBound) and \(Bounds.repeats.range.upperBound)")
        }
        do {
            _ = try Run.parse(runArguments)
        } catch {
            throw ValidationError(Run.message(for: error))
        }
    }

    func run() throws {
        let dir = out.directory ?? "Results/scale/keys-\(sizes.keys)"
        let runID = (dir as NSString).lastPathComponent
        let probe = try Run.parse(runArguments)
        let config = try probe.config()
        guard let workload = config.workloads.first, let specFile = workload.specFile else {
            throw ValidationError("scale needs a built-in workload or a workload file")
        }
        // The Go each model stands for, built once.
        var goFor: [String: GoReference] = [:]
        if !noGo {
            for map in config.mapModels {
                let toolchain = MapModels.standsForGo119(map) ? GoReference.go119Toolchain() : GoReference.currentToolchain()
                if let toolchain { goFor[map] = try GoReference(go: toolchain) }
                if toolchain == nil { print("scale: no Go toolchain for \(map); lab cells only") }
            }
        }
        try prepareOutputDirectory(dir)
        let referenceDir = dir + "/reference"
        var rows: [ScaleRow] = []
        var results: [String: CellResult] = [:]
        let cells = Suite.cells(config, runID: runID)
        for run in 1...runs {
            for map in config.mapModels {
                guard let cell = cells.first(where: { $0.map == map && $0.key.repeatIndex == run }) else { continue }
                let go = goFor[map]
                let labFirst = run % 2 == 1 || go == nil
                let syncMap = MapModels.isSyncMap(map)
                var base = ScaleRow()
                base.map = map
                base.goVersion = go.map { $0.version + (syncMap ? AgainstGo.syncMapVersionSuffix : "") } ?? "none"
                base.workload = workload.name
                base.keys = config.keys
                base.payloadBytes = config.payloadBytes
                base.run = run
                func lab() throws {
                    print("pair \(run) of \(runs), \(map): lab cell")
                    let started = monotonicNanos()
                    let result = try CellProcess.run(cell, config: config, progress: false)
                    guard result.summary.status == "ok" else {
                        throw OutputError(description: "scale: the lab cell \(cell.key.cellName) failed: \(result.summary.status)")
                    }
                    results[cell.key.cellName + "#\(run)"] = result
                    var row = base
                    row.side = "lab"
                    row.first = labFirst ? 1 : 0
                    row.wallNs = Int(monotonicNanos() - started)
                    row.peakRSSBytes = result.summary.peakRSSBytes
                    row.peakPhaseHeapInuseBytes = result.phases.map(\.measurement.heapInuseBytes).max() ?? 0
                    rows.append(row)
                }
                func goSide(_ go: GoReference) throws {
                    print("pair \(run) of \(runs), \(map): \(go.version)")
                    let file = referenceDir + "/\(go.version)\(syncMap ? AgainstGo.syncMapVersionSuffix : "")/phases.csv"
                    let one = dir + "/.go-\(run)-\(map).csv"
                    try? FileManager.default.removeItem(atPath: one)
                    let (wall, rss) = try go.runPhases(workloadFile: specFile, config: config, out: one, syncMap: syncMap)
                    let goRows = try GoPhaseRow.read(one)
                    try FileManager.default.removeItem(atPath: one)
                    var row = base
                    row.side = "go"
                    row.first = labFirst ? 0 : 1
                    row.wallNs = Int(wall)
                    row.peakRSSBytes = rss
                    row.peakPhaseHeapInuseBytes = goRows.map(\.netHeapInuseBytes).max() ?? 0
                    rows.append(row)
                    var all = (try? GoPhaseRow.read(file)) ?? []
                    all += goRows
                    try FileManager.default.createDirectory(atPath: referenceDir + "/\(go.version)", withIntermediateDirectories: true)
                    try writeFileAtomically(GoPhaseRow.csv(all), to: file)
                }
                if labFirst {
                    try lab()
                    if let go { try goSide(go) }
                } else {
                    try goSide(go!)
                    try lab()
                }
            }
        }
        // The lab's cells assembled as `run` assembles them, joined with
        // the Go processes of this run.
        let gathered = results
        let assemble = try Run.parse(runArguments + ["--out", dir] + (goFor.isEmpty ? [] : ["--reference", referenceDir]))
        let failed = try assemble.runSuite(config, into: dir, compareWithFullSuite: false, quiet: true, gather: { cell in
            guard let r = gathered[cell.key.cellName + "#\(cell.key.repeatIndex)"] else {
                throw OutputError(description: "scale: no result for \(cell.key.cellName)#\(cell.key.repeatIndex)")
            }
            return r
        }, runID: runID)
        if !failed.isEmpty { throw ExitCode(1) }
        let against = goFor.isEmpty ? [] : try AgainstGoRow.read(dir + "/against-go.csv")
        let summaries = ScaleSummary.summarise(rows, against: against)
        let conditions = """
        `\(CommandLine.arguments.joined(separator: " "))` at commit \(MachineInfo.gitCommit ?? "nocommit"): \
        \(workload.name), go strategy, \(config.keys) keys, \(config.payloadBytes)-byte payloads, seed \(seed), \
        \(runs) pair(s) per map model\(settle ? "" : ", without the idle and freeos phases (--settle)"); Go: \(goFor.isEmpty ? "none" : goFor.values.map(\.version).sorted().joined(separator: ", ")); \
        huge pages: system \(HugePages.systemMode), the lab's spans and Go 1.19 advised, Go 1.21.4+ not (the reference's -thp on).
        """
        try writeFileAtomically(ScaleRow.csv(rows), to: dir + "/scale.csv")
        try writeFileAtomically(ScaleSummary.markdown(summaries, rows: rows, conditions: conditions), to: dir + "/scale.md")
        print(conditions)
        print(renderTable(header: ScaleSummary.header, rows: summaries.map(\.fields), rightAlign: Set(3...12)), terminator: "")
        print("wrote \(dir)/ (scale.csv, scale.md, against-go.csv, REPORT.md, reference/)")
    }
}
