import ArgumentParser
import BucketLab
import Foundation
import LabCollector

struct GCCostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gccost",
        abstract: "The model of Go's collection CPU (docs/gc-cost.md).",
        subcommands: [Fit.self, Check.self]
    )

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit Go's GC CPU per phase (scripts/reference) against the lab's counts (bucketlab run --strategy go); write the fit and its held-out error."
        )

        @Option(name: .customLong("fit"), help: "RUN=REF: a lab run and the Go reference at its sizes, in the fit (repeatable).")
        var fitPairs: [String] = []

        @Option(name: .customLong("hold-out"), help: "RUN=REF: a pair kept out of the fit and judged by it (repeatable).")
        var heldOutPairs: [String] = []

        @Option(name: .customLong("hold-out-workloads"), help: "Workloads kept out of the fit in every pair (comma-separated).")
        var heldOutWorkloads = ""

        @Option(name: .customLong("floor-ms"), help: "Each phase's error is taken against its Go CPU plus this (default 1).")
        var floorMs = 1.0

        @Option(help: "Output directory (gc-cost-fit.csv, gc-cost-coefficients.csv, gc-cost-totals.csv, go-gc-cpu.csv).")
        var out: String

        func validate() throws {
            guard !fitPairs.isEmpty else { throw ValidationError("--fit RUN=REF is needed at least once") }
            guard floorMs >= 0, floorMs.isFinite else { throw ValidationError("--floor-ms must be 0 or more") }
            for p in fitPairs + heldOutPairs where p.split(separator: "=").count != 2 {
                throw ValidationError("'\(p)' is not RUN=REF")
            }
        }

        func run() throws {
            func pairs(_ list: [String], heldOut: Bool) -> [GCCostFit.Pair] {
                list.map { p in
                    let parts = p.split(separator: "=").map(String.init)
                    return GCCostFit.Pair(run: parts[0], reference: parts[1], heldOut: heldOut)
                }
            }
            let all = pairs(fitPairs, heldOut: false) + pairs(heldOutPairs, heldOut: true)
            try requireRunFiles(all)
            let held = Set(heldOutWorkloads.split(separator: ",").map(String.init))
            var rows = try GCCostFit.rows(all, heldOutWorkloads: held)
            guard rows.contains(where: { $0.set == "fit" }) else {
                throw DataError(description: "no phase has both the lab's cycles and Go's gc_cpu_ns (reference written with gctrace?)")
            }
            var summaries = GCCostFit.fit(&rows, floorNs: floorMs * 1e6)
            let machines = GCCostFit.goMachines(all)
            for i in summaries.indices { summaries[i].goMachines = machines[summaries[i].goVersion] ?? "unknown" }
            try prepareOutputDirectory(out)
            try writeFileAtomically(GCCostFitRow.csv(rows), to: out + "/gc-cost-fit.csv")
            try writeFileAtomically(GCCostFitSummary.csv(summaries), to: out + "/gc-cost-coefficients.csv")
            try writeFileAtomically(GCCostTotalRow.csv(GCCostTotalRow.totals(rows)), to: out + "/gc-cost-totals.csv")
            try writeFileAtomically(GoGCCPURow.csv(try GCCostFit.goBreakdown(all)), to: out + "/go-gc-cpu.csv")
            let header = ["go version"] + GoGCCost.featureNames.map { "ns/\($0)" }
                + ["R²", "fit |err|", "held-out |err|", "held-out ok", "held-out runs ±10%"]
            let table = summaries.map { s in
                [s.goVersion] + s.coefficients.map { String(format: "%.4g", $0) }
                    + [String(format: "%.3f", s.rSquared), String(format: "%.1f%%", 100 * s.fitMedianError),
                       String(format: "%.1f%%", 100 * s.heldOutMedianError), String(format: "%.0f%%", 100 * s.heldOutWithinTarget),
                       "\(s.heldOutRunsWithin10Percent) of \(s.heldOutRuns)"]
            }
            print(renderTable(header: header, rows: table, rightAlign: Set(1..<header.count)), terminator: "")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge the committed model (no fit), or a fit's coefficients, against Go references: per phase and per run, beside Go against itself."
        )

        @Argument(help: "RUN=REF: a lab run (bucketlab run --strategy go) and the Go reference (scripts/reference) at its sizes.")
        var pairs: [String] = []

        @Option(help: "A gc-cost-coefficients.csv that 'gccost fit' wrote: judge those coefficients instead of the committed ones.")
        var coefficients: String?

        @Option(help: "Output directory (gc-cost-check.csv, gc-cost-check-phases.csv, gc-cost-totals.csv, go-gc-cpu.csv). gc-cost-check.csv names the CPU the reference's Go ran on and the one the coefficients' Go ran on.")
        var out: String

        func validate() throws {
            guard !pairs.isEmpty else { throw ValidationError("at least one RUN=REF is needed") }
            for p in pairs where p.split(separator: "=").count != 2 {
                throw ValidationError("'\(p)' is not RUN=REF")
            }
        }

        func run() throws {
            if let c = coefficients, !FileManager.default.fileExists(atPath: c) {
                throw DataError(description: "\(c): no such file")
            }
            let models = try coefficients.map { try GCCostFit.readCoefficients($0) }
            let all = pairs.map { p in
                let parts = p.split(separator: "=").map(String.init)
                return GCCostFit.Pair(run: parts[0], reference: parts[1], heldOut: true)
            }
            try requireRunFiles(all)
            let machines = try coefficients.map { try GCCostFit.readGoMachines($0) }
            let (rows, summaries) = try GCCostFit.check(all, models: models, modelMachines: machines)
            guard !summaries.isEmpty else {
                throw DataError(description: "no phase has both the lab's cycles and Go's gc_cpu_ns (reference written with gctrace?)")
            }
            try prepareOutputDirectory(out)
            try writeFileAtomically(GCCostCheckRow.csv(summaries), to: out + "/gc-cost-check.csv")
            try writeFileAtomically(GCCostFitRow.csv(rows), to: out + "/gc-cost-check-phases.csv")
            try writeFileAtomically(GCCostTotalRow.csv(GCCostTotalRow.totals(rows)), to: out + "/gc-cost-totals.csv")
            try writeFileAtomically(GoGCCPURow.csv(try GCCostFit.goBreakdown(all)), to: out + "/go-gc-cpu.csv")
            let header = ["go version", "keys", "payload", "phases", "Go runs", "|err|", "phases ok", "runs ±10%",
                          "Go run phases ok", "Go run totals ±10%"]
            let table = summaries.map { c in
                [c.goVersion, "\(c.keys)", "\(c.payloadBytes)", "\(c.phases)", "\(c.goRuns)",
                 String(format: "%.1f%%", 100 * c.medianError), String(format: "%.0f%%", 100 * c.withinTarget),
                 "\(c.runsWithin10Percent) of \(c.runs)", String(format: "%.0f%%", 100 * c.goRunPhasesWithinTarget),
                 String(format: "%.0f%%", 100 * c.goRunTotalsWithin10Percent)]
            }
            print(renderTable(header: header, rows: table, rightAlign: Set(1..<header.count)), terminator: "")
        }
    }

    /// Each pair's lab run must hold what `bucketlab run` writes; else one
    /// line, exit 65, before any output.
    static func requireRunFiles(_ pairs: [GCCostFit.Pair]) throws {
        for p in pairs {
            for path in [p.run + "/run.json", p.run + "/phases.csv", p.run + "/gc.csv"] where !FileManager.default.fileExists(atPath: path) {
                throw DataError(description: "\(path): no such file (a directory bucketlab run wrote?)")
            }
        }
    }
}
