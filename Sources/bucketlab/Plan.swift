import ArgumentParser
import BucketLab
import Foundation

// A run spread over machines (docs/scale.md): `plan` writes the run's cells
// as commands any scheduler can start — each `bucketlab cell` writing its
// folder under OUT/cells/ — and `merge` assembles the folders into the run
// folder `run` would have written, refusing folders of another plan or
// another version of the code.

/// OUT/plan.json: what `merge` needs to rebuild the run.
struct PlanFile: Codable {
    static let formatName = "bucketlab-plan/1"
    var format = PlanFile.formatName
    /// The run id every cell's rows carry (the plan's folder name and a
    /// stamp of the plan).
    var runID: String
    var commit: String
    /// `run`'s options as given to `plan`: `merge` parses them again.
    var arguments: [String]
    var cells: [String]

    enum CodingKeys: String, CodingKey { case format, runID = "run_id", commit, arguments, cells }

    static func read(_ dir: String) throws -> PlanFile {
        let path = dir + "/plan.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(description: "\(path): no such file (a folder 'bucketlab plan --out' wrote?)")
        }
        guard let plan = try? JSONDecoder().decode(PlanFile.self, from: data), plan.format == formatName else {
            throw DataError(description: "\(path): not a plan bucketlab wrote")
        }
        return plan
    }
}

/// A cell's folder name: its position and its cell, readable in a listing.
func cellFolder(_ index: Int, _ cell: SuiteCell) -> String {
    String(format: "%04d-", index) + "\(cell.key.map)-\(cell.key.workload)-\(cell.key.strategy)-r\(cell.key.repeatIndex)"
        .map { "/ ".contains($0) ? "_" : $0 }.map(String.init).joined()
}

/// The stamp a cell leaves beside its files (Cell.swift): which plan and
/// which code wrote it.
struct CellStamp: Codable {
    var runID: String
    var commit: String
    enum CodingKeys: String, CodingKey { case runID = "run_id", commit }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a run's cells as commands for a scheduler (GNU parallel, Slurm, Kubernetes; docs/scale.md); 'bucketlab merge' assembles them."
    )

    @OptionGroup var suite: SuiteOptions
    @OptionGroup var repeats: RepeatOption

    @Flag(help: "The full suite's sizes (as run --full).")
    var full = false

    @Option(help: "The plan's folder: plan.json, and cells/ for the cells' folders (required).")
    var out: String

    @Option(help: "How to print each cell: json (a JSON object per line: argv, folder, estimated peak memory and time) or shell (a command line per line).")
    var format = "json"

    @Flag(name: .customLong("only-missing"), help: "Re-plan only the cells of the plan in --out whose folder is missing or incomplete (the run options come from its plan.json).")
    var onlyMissing = false

    func validate() throws {
        guard ["json", "shell"].contains(format) else { throw ValidationError("--format must be json or shell") }
        try suite.sizes.requireSingle()
        if suite.gogc.contains(",") { throw ValidationError("--gogc takes one value here; sweeps are for 'bucketlab run'") }
    }

    /// `run`'s options from this command line: everything but plan's own.
    static func runArguments(_ all: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < all.count {
            let a = all[i]
            if a == "--out" || a == "--format" { i += 2; continue }
            if a.hasPrefix("--out=") || a.hasPrefix("--format=") || a == "--only-missing" { i += 1; continue }
            out.append(a)
            i += 1
        }
        return out
    }

    func run() throws {
        let plan: PlanFile
        let runCommand: Run
        if onlyMissing {
            plan = try PlanFile.read(out)
            runCommand = try Run.parse(plan.arguments + ["--out", out])
        } else {
            let arguments = Self.runArguments(Array(CommandLine.arguments.dropFirst(2)))
            runCommand = try Run.parse(arguments + ["--out", out])
            let runID = (out as NSString).lastPathComponent
            plan = PlanFile(runID: runID, commit: MachineInfo.gitCommit ?? "unknown", arguments: arguments, cells: [])
        }
        let config = try runCommand.config()
        let cells = Suite.cells(config, runID: plan.runID)
        let folders = cells.enumerated().map { cellFolder($0.offset, $0.element) }
        if !onlyMissing {
            try prepareOutputDirectory(out + "/cells")
            var written = plan
            written.cells = folders
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try writeFileAtomically(String(decoding: try encoder.encode(written), as: UTF8.self) + "\n", to: out + "/plan.json")
        }
        let executable = CommandLine.arguments[0]
        // A generous guess from the full suite (298.7 s for 468 cells at 10^6
        // keys on 2 cores): 2 s per 10^6 keys per cell, at least 1 s.
        let seconds = max(1, 2 * config.keys / 1_000_000)
        for (cell, folder) in zip(cells, folders) {
            let dir = out + "/cells/" + folder
            if onlyMissing && Merge.isComplete(dir) { continue }
            let argv = [executable, "cell"] + SuiteOptions.arguments(for: cell, of: config)
                + ["--repeat-index", String(cell.key.repeatIndex), "--run-id", plan.runID, "--out", dir]
            if format == "shell" {
                print(argv.map(shellQuoted).joined(separator: " "))
            } else {
                let line: [String: Any] = ["cell": cell.key.cellName + "#\(cell.key.repeatIndex)", "argv": argv, "out": dir,
                                           "estimated_peak_bytes": config.estimatedPeakBytes, "estimated_seconds": seconds]
                let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}

/// `s` quoted for a POSIX shell.
func shellQuoted(_ s: String) -> String {
    if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Assemble the cell folders of a plan (bucketlab plan) into its run folder: CSV, run.json, REPORT.md, charts."
    )

    @Argument(help: "The plan's folder (bucketlab plan --out): the run is written there.")
    var out: String

    @Argument(help: "Cell folders written elsewhere (default: the plan's cells/ folder).")
    var cellDirectories: [String] = []

    /// Whether a cell's folder holds everything a cell writes.
    static func isComplete(_ dir: String) -> Bool {
        ["cell.csv", "phases.csv", "samples.csv", "gc.csv", "heap.csv", "cell.json"].allSatisfy {
            FileManager.default.fileExists(atPath: dir + "/" + $0)
        }
    }

    func run() throws {
        let plan = try PlanFile.read(out)
        let commit = MachineInfo.gitCommit ?? "unknown"
        if plan.commit != "unknown" && commit != "unknown" && plan.commit != commit {
            throw DataError(description: "\(out): planned at commit \(plan.commit), this bucketlab is \(commit): merge with the code that ran the cells")
        }
        // A cell's folder: the plan's own, or one given by name.
        var given: [String: String] = [:]
        for d in cellDirectories { given[(d as NSString).lastPathComponent] = d }
        let dirs = plan.cells.map { given[$0] ?? out + "/cells/" + $0 }
        let missing = zip(plan.cells, dirs).filter { !Self.isComplete($0.1) }.map(\.0)
        guard missing.isEmpty else {
            throw DataError(description: "\(missing.count) of \(plan.cells.count) cells missing or incomplete (\(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")): re-plan them with bucketlab plan --only-missing --out \(out)")
        }
        for d in dirs {
            guard let data = FileManager.default.contents(atPath: d + "/cell.json"),
                  let stamp = try? JSONDecoder().decode(CellStamp.self, from: data) else {
                throw DataError(description: "\(d)/cell.json: not a cell's stamp")
            }
            guard stamp.runID == plan.runID else {
                throw DataError(description: "\(d): a cell of plan '\(stamp.runID)', not of '\(plan.runID)'")
            }
            if stamp.commit != "unknown" && plan.commit != "unknown" && stamp.commit != plan.commit {
                throw DataError(description: "\(d): run at commit \(stamp.commit), the plan is \(plan.commit)")
            }
        }
        let runCommand = try Run.parse(plan.arguments + ["--out", out])
        let config = try runCommand.config()
        let cells = Suite.cells(config, runID: plan.runID)
        guard cells.count == dirs.count else {
            throw DataError(description: "\(out)/plan.json: \(dirs.count) cells listed, its options make \(cells.count)")
        }
        let byName = Dictionary(uniqueKeysWithValues: zip(cells.map { $0.key.cellName + "#\($0.key.repeatIndex)" }, dirs))
        let failed = try runCommand.runSuite(config, into: out, compareWithFullSuite: false, quiet: false, gather: { cell in
            try CellResult.read(from: byName[cell.key.cellName + "#\(cell.key.repeatIndex)"]!, cell: cell)
        }, runID: plan.runID)
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
