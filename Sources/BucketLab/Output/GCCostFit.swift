import Foundation
import LabCollector

// Fitting the model of Go's collection CPU (LabCollector/GoGCCost.swift):
// the lab's counts per phase (its go strategy's cycles, gc.csv) against the
// CPU Go's collector spent in the same phase of the same workload
// (scripts/reference, from gctrace), per Go version. `bucketlab gccost fit`
// writes what this computes; docs/gc-cost.md has the calibration set and
// the result.
//
// A phase's figures: the lab's cycles that ended in it (the pacer's and its
// closing collection), their model inputs summed as the model prices them
// (`GoGCCost.pricedFeatures`: Go 1.19's forced cycles scaled by their mark
// workers, which depend on the coefficients, so that version's fit is
// repeated until they settle), and the median over Go's runs of the CPU
// its cycles cost, with the smallest and largest run.
// The fit minimises the squared relative error over the fitted phases, each
// phase's error taken against its figure plus a floor (1 ms by default): a
// phase of a few hundred microseconds is mostly one forced cycle whose
// runs spread by half their median, and would otherwise weigh as much as
// a 100 ms fill. Every coefficient is non-negative (each is a cost per unit
// of work): the best of the least-squares solutions over subsets of the
// inputs whose coefficients all come out non-negative.

/// One phase of the calibration or hold-out set.
public struct GCCostFitRow: Sendable, ResultRow {
    public var goVersion = ""
    public var map = ""
    public var workload = ""
    public var keys = 0
    public var payloadBytes = 0
    public var phase = ""
    /// `fit` or `held-out`.
    public var set = ""
    public var labCycles = 0
    public var goCycles = 0
    public var goRuns = 0
    public var goCPUNs = 0
    public var goMinCPUNs = 0
    public var goMaxCPUNs = 0
    /// The lab's cycles that ended in the phase (the model prices them
    /// with `GoGCCost.pricedFeatures`).
    public var cycles: [CycleStats] = []
    public var modelledNs = 0

    public static var blank: GCCostFitRow { GCCostFitRow() }

    /// Modelled over Go's median, − 1.
    public var error: Double { goCPUNs > 0 ? Double(modelledNs) / Double(goCPUNs) - 1 : 0 }
    /// Whether the modelled figure lies within Go's runs' range.
    public var withinGoRange: Bool { modelledNs >= goMinCPUNs && modelledNs <= goMaxCPUNs }

    public static var columns: [Column<GCCostFitRow>] {
        [.name("go_version", \.goVersion), .name("map", \.map), .name("workload", \.workload), .int("keys", \.keys),
         .int("payload_bytes", \.payloadBytes), .name("phase", \.phase), .name("set", \.set),
         .int("lab_cycles", \.labCycles), .int("go_cycles", \.goCycles), .int("go_runs", \.goRuns),
         .int("go_gc_cpu_ns", \.goCPUNs), .int("go_min_gc_cpu_ns", \.goMinCPUNs), .int("go_max_gc_cpu_ns", \.goMaxCPUNs),
         .int("modelled_gc_cpu_ns", \.modelledNs),
         .derivedRatio("error", digits: 4) { $0.error }]
    }
}

/// One workload run's phases summed: the model's total against Go's (the
/// sum of its phases' medians).
public struct GCCostTotalRow: Sendable, ResultRow {
    public var goVersion = ""
    public var map = ""
    public var workload = ""
    public var keys = 0
    public var payloadBytes = 0
    public var set = ""
    public var phases = 0
    public var goCPUNs = 0
    public var modelledNs = 0

    public static var blank: GCCostTotalRow { GCCostTotalRow() }

    public var error: Double { goCPUNs > 0 ? Double(modelledNs) / Double(goCPUNs) - 1 : 0 }

    public static var columns: [Column<GCCostTotalRow>] {
        [.name("go_version", \.goVersion), .name("map", \.map), .name("workload", \.workload), .int("keys", \.keys),
         .int("payload_bytes", \.payloadBytes), .name("set", \.set), .int("phases", \.phases),
         .int("go_gc_cpu_ns", \.goCPUNs), .int("modelled_gc_cpu_ns", \.modelledNs),
         .derivedRatio("error", digits: 4) { $0.error }]
    }

    /// The rows' runs: phases summed per version, workload and sizes.
    public static func totals(_ rows: [GCCostFitRow]) -> [GCCostTotalRow] {
        var order: [String] = []
        var out: [String: GCCostTotalRow] = [:]
        for r in rows where r.goCPUNs > 0 && r.labCycles > 0 {
            let id = "\(r.goVersion)\u{1}\(r.workload)\u{1}\(r.keys)\u{1}\(r.payloadBytes)"
            var t = out[id] ?? GCCostTotalRow(goVersion: r.goVersion, map: r.map, workload: r.workload, keys: r.keys,
                                              payloadBytes: r.payloadBytes, set: r.set)
            if out[id] == nil { order.append(id) }
            t.phases += 1
            t.goCPUNs += r.goCPUNs
            t.modelledNs += r.modelledNs
            out[id] = t
        }
        return order.map { out[$0]! }
    }
}

/// What Go's measured GC CPU is made of, per Go version and reference run
/// (all its phases and processes): the parts' shares of gctrace's total,
/// runtime/metrics' total over gctrace's (Go 1.20+), and how far Go's own
/// runs spread.
public struct GoGCCPURow: Sendable, ResultRow {
    public var goVersion = ""
    public var keys = 0
    public var payloadBytes = 0
    public var phases = 0
    public var runs = 0
    public var gcCPUNs = 0
    public var pauseShare = 0.0
    public var assistShare = 0.0
    public var backgroundShare = 0.0
    public var idleShare = 0.0
    /// Σ metrics_gc_cpu_ns / Σ gc_cpu_ns over the rows that have both.
    public var metricsOverGctrace: Double?
    /// The median over phases of (max − min) / median of the runs' GC CPU.
    public var medianRunSpread = 0.0
    /// Go against itself, as the model is judged: each run's phase against
    /// the median of the other runs — the share within ±20% of it or within
    /// their range; and each run's total over a workload's phases — the
    /// share within ±10% of the others' median total.
    public var runPhasesWithinTarget = 0.0
    public var runTotalsWithin10Percent = 0.0

    public static var blank: GoGCCPURow { GoGCCPURow() }

    public static var columns: [Column<GoGCCPURow>] {
        [.name("go_version", \.goVersion), .int("keys", \.keys), .int("payload_bytes", \.payloadBytes),
         .int("phases", \.phases), .int("runs", \.runs), .int("gc_cpu_ns", \.gcCPUNs),
         .double("pause_share", \.pauseShare, digits: 4), .double("assist_share", \.assistShare, digits: 4),
         .double("background_share", \.backgroundShare, digits: 4), .double("idle_share", \.idleShare, digits: 4),
         .derivedRatio("metrics_over_gctrace", digits: 4) { $0.metricsOverGctrace },
         .double("median_run_spread", \.medianRunSpread, digits: 4),
         .double("run_phases_within_target", \.runPhasesWithinTarget, digits: 4),
         .double("run_totals_within_10pct", \.runTotalsWithin10Percent, digits: 4)]
    }
}

/// A version's fitted coefficients and how well they fit.
public struct GCCostFitSummary: Sendable, ResultRow {
    public var goVersion = ""
    public var coefficients: [Double] = []
    public var fitPhases = 0
    public var heldOutPhases = 0
    /// R² of the fit on the fitted phases (absolute figures).
    public var rSquared = 0.0
    /// Median |error| per phase, fitted and held out; share of held-out
    /// phases within ±20% or within Go's range.
    public var fitMedianError = 0.0
    public var heldOutMedianError = 0.0
    public var heldOutWithinTarget = 0.0
    /// Held-out workload runs whose total (all phases) is within ±10%.
    public var heldOutRuns = 0
    public var heldOutRunsWithin10Percent = 0
    /// The CPUs the fitted references' Go ran on (their machine.json; "unknown"
    /// for references written before scripts/reference recorded it).
    public var goMachines = "unknown"

    public static var blank: GCCostFitSummary { GCCostFitSummary() }

    public static var columns: [Column<GCCostFitSummary>] {
        var c: [Column<GCCostFitSummary>] = [.name("go_version", \.goVersion)]
        for (i, name) in GoGCCost.featureNames.enumerated() {
            c.append(.derivedRatio("ns_per_\(name)", digits: 6) { $0.coefficients.indices.contains(i) ? $0.coefficients[i] : nil })
        }
        return c + [.int("fit_phases", \.fitPhases), .int("held_out_phases", \.heldOutPhases),
                    .double("r_squared", \.rSquared, digits: 4), .double("fit_median_abs_error", \.fitMedianError, digits: 4),
                    .double("held_out_median_abs_error", \.heldOutMedianError, digits: 4),
                    .double("held_out_within_target", \.heldOutWithinTarget, digits: 4),
                    .int("held_out_runs", \.heldOutRuns), .int("held_out_runs_within_10pct", \.heldOutRunsWithin10Percent),
                    Column<GCCostFitSummary>.name("go_machines", \.goMachines).addedLater()]
    }
}

/// The committed model judged against one Go reference (`bucketlab gccost
/// check`): per Go version and sizes, how close the model comes per phase
/// and per workload run, beside how close Go's own runs come to each other
/// judged the same way (one run against the median of the others).
public struct GCCostCheckRow: Sendable, ResultRow {
    public var goVersion = ""
    public var keys = 0
    public var payloadBytes = 0
    public var phases = 0
    public var goRuns = 0
    public var medianError = 0.0
    /// Share of phases within ±20% of Go's median or within Go's range.
    public var withinTarget = 0.0
    public var runs = 0
    public var runsWithin10Percent = 0
    /// Go against itself (GoGCCPURow's leave-one-out figures).
    public var goRunPhasesWithinTarget = 0.0
    public var goRunTotalsWithin10Percent = 0.0
    /// The CPU the reference's Go ran on (its machine.json), and the one the
    /// judged coefficients' Go ran on: Go's cost is one machine's.
    public var goMachine = "unknown"
    public var modelMachine = "unknown"

    public static var blank: GCCostCheckRow { GCCostCheckRow() }

    public static var columns: [Column<GCCostCheckRow>] {
        [.name("go_version", \.goVersion), .int("keys", \.keys), .int("payload_bytes", \.payloadBytes),
         .int("phases", \.phases), .int("go_runs", \.goRuns), .double("median_abs_error", \.medianError, digits: 4),
         .double("within_target", \.withinTarget, digits: 4), .int("runs", \.runs),
         .int("runs_within_10pct", \.runsWithin10Percent),
         .double("go_run_phases_within_target", \.goRunPhasesWithinTarget, digits: 4),
         .double("go_run_totals_within_10pct", \.goRunTotalsWithin10Percent, digits: 4),
         Column<GCCostCheckRow>.name("go_machine", \.goMachine).addedLater(),
         Column<GCCostCheckRow>.name("model_machine", \.modelMachine).addedLater()]
    }
}

public enum GCCostFit {
    /// A lab run and the Go reference run at the same sizes; `heldOut`: kept
    /// out of the fit.
    public struct Pair: Sendable {
        public var run: String
        public var reference: String
        public var heldOut: Bool
        public init(run: String, reference: String, heldOut: Bool) {
            self.run = run
            self.reference = reference
            self.heldOut = heldOut
        }
    }

    /// Every phase both sides have, with Go's figures, for each pair.
    public static func rows(_ pairs: [Pair], heldOutWorkloads: Set<String>) throws -> [GCCostFitRow] {
        var out: [GCCostFitRow] = []
        for pair in pairs {
            let info = try RunInfo.read(pair.run + "/run.json")
            let phases = try PhaseRow.read(pair.run + "/phases.csv").filter { $0.key.strategy == Strategy.go.name && $0.key.repeatIndex == 1 }
            let gc = try GCRow.read(pair.run + "/gc.csv").filter { $0.key.strategy == Strategy.go.name && $0.key.repeatIndex == 1 }
            var cycles: [RunKey: [CycleStats]] = [:]
            for g in gc { cycles[g.key, default: []].append(g.cycle) }
            let reference = try AgainstGo.readReference(pair.reference)
            var goRuns: [String: [(cpu: Int, cycles: Int)]] = [:]
            for g in reference where g.gcCPUNs != nil {
                goRuns[g.goVersion + "\u{1}" + g.workload + "\u{1}" + g.phase, default: []].append((g.gcCPUNs!, g.gcCycles ?? 0))
            }
            let versions = Set(reference.map(\.goVersion))
            var previous: [RunKey: Int] = [:]
            for p in phases {
                let before = previous[p.key] ?? 0
                previous[p.key] = p.measurement.gcCycles
                let mine = (cycles[p.key] ?? []).filter { $0.cycle > before && $0.cycle <= p.measurement.gcCycles }
                for version in versions where AgainstGo.mapModel(ofGoVersion: version) == p.key.map {
                    guard let runs = goRuns[version + "\u{1}" + p.key.workload + "\u{1}" + p.phase], !runs.isEmpty else { continue }
                    let cpus = runs.map(\.cpu).sorted()
                    var row = GCCostFitRow()
                    row.goVersion = version
                    row.map = p.key.map
                    row.workload = p.key.workload
                    row.keys = info.keys
                    row.payloadBytes = info.workloadPayloadBytes?[p.key.workload] ?? info.payloadBytes
                    row.phase = p.phase
                    row.set = pair.heldOut || heldOutWorkloads.contains(p.key.workload) ? "held-out" : "fit"
                    row.labCycles = mine.count
                    row.goCycles = runs.map(\.cycles).sorted()[runs.count / 2]
                    row.goRuns = runs.count
                    row.goCPUNs = cpus[(cpus.count - 1) / 2]
                    row.goMinCPUNs = cpus.first!
                    row.goMaxCPUNs = cpus.last!
                    row.cycles = mine
                    out.append(row)
                }
            }
        }
        return out
    }

    /// What Go's measured CPU is made of, per reference of `pairs`.
    public static func goBreakdown(_ pairs: [Pair]) throws -> [GoGCCPURow] {
        var out: [GoGCCPURow] = []
        for pair in pairs {
            let info = try RunInfo.read(pair.run + "/run.json")
            let reference = try AgainstGo.readReference(pair.reference).filter { $0.gcCPUNs != nil }
            for version in Set(reference.map(\.goVersion)).sorted() {
                let rows = reference.filter { $0.goVersion == version }
                var r = GoGCCPURow()
                r.goVersion = version
                r.keys = info.keys
                r.payloadBytes = info.payloadBytes
                let total = Double(rows.reduce(0) { $0 + $1.gcCPUNs! })
                r.gcCPUNs = Int(total)
                func share(_ f: (GoPhaseRow) -> Int?) -> Double { total > 0 ? Double(rows.reduce(0) { $0 + (f($1) ?? 0) }) / total : 0 }
                r.pauseShare = share(\.gcPauseCPUNs)
                r.assistShare = share(\.gcAssistCPUNs)
                r.backgroundShare = share(\.gcBackgroundCPUNs)
                r.idleShare = share(\.gcIdleCPUNs)
                let both = rows.filter { $0.metricsGCCPUNs != nil }
                let gt = both.reduce(0) { $0 + $1.gcCPUNs! }
                r.metricsOverGctrace = both.isEmpty || gt == 0 ? nil : Double(both.reduce(0) { $0 + $1.metricsGCCPUNs! }) / Double(gt)
                var byPhase: [String: [Double]] = [:]
                for g in rows { byPhase[g.workload + "\u{1}" + g.phase, default: []].append(Double(g.gcCPUNs!)) }
                r.phases = byPhase.count
                r.runs = byPhase.values.map(\.count).min() ?? 0
                r.medianRunSpread = median(byPhase.values.compactMap { v in
                    let m = median(v)
                    return v.count >= 2 && m > 0 ? (v.max()! - v.min()!) / m : nil
                })
                // Leave one out: runs are the k-th row of each phase.
                var within = 0, judged = 0
                var totals: [String: [Int: Double]] = [:]
                for (id, v) in byPhase {
                    let workload = String(id.split(separator: "\u{1}")[0])
                    for (i, x) in v.enumerated() {
                        totals[workload, default: [:]][i, default: 0] += x
                        var others = v
                        others.remove(at: i)
                        let m = median(others)
                        guard m > 0 else { continue }
                        judged += 1
                        if abs(x / m - 1) <= 0.2 || (x >= others.min()! && x <= others.max()!) { within += 1 }
                    }
                }
                r.runPhasesWithinTarget = judged == 0 ? 0 : Double(within) / Double(judged)
                var totalsWithin = 0, totalsJudged = 0
                for runs in totals.values {
                    let v = runs.keys.sorted().map { runs[$0]! }
                    for (i, x) in v.enumerated() {
                        var others = v
                        others.remove(at: i)
                        let m = median(others)
                        guard m > 0 else { continue }
                        totalsJudged += 1
                        if abs(x / m - 1) <= 0.1 { totalsWithin += 1 }
                    }
                }
                r.runTotalsWithin10Percent = totalsJudged == 0 ? 0 : Double(totalsWithin) / Double(totalsJudged)
                out.append(r)
            }
        }
        return out
    }

    /// Inputs a version's model may use: span-based marking only from Go
    /// 1.26, where it became the default.
    public static func usableFeatures(goVersion: String) -> [Int] {
        let parts = goVersion.dropFirst(2).split(separator: ".").compactMap { Int($0.prefix { $0.isNumber }) }
        let spans = parts.count >= 2 && (parts[0] > 1 || parts[1] >= 26)
        return Array(GoGCCost.featureNames.indices).filter { spans || GoGCCost.featureNames[$0] != "small_scan_span" }
    }

    /// Fits each Go version on its `fit` rows; fills `modelledNs` of every
    /// row and returns the coefficients with how well they fit.
    public static func fit(_ rows: inout [GCCostFitRow], floorNs: Double = 1e6) -> [GCCostFitSummary] {
        var summaries: [GCCostFitSummary] = []
        for version in Set(rows.map(\.goVersion)).sorted() {
            let fitted = rows.indices.filter { rows[$0].goVersion == version && rows[$0].set == "fit" && rows[$0].goCPUNs > 0 && rows[$0].labCycles > 0 }
            let usable = usableFeatures(goVersion: version)
            // Where a forced cycle's workers depend on its mark's length,
            // which the coefficients price, fit again on the inputs the
            // last fit's coefficients scale, until they stop moving.
            var model = GoGCCost(goVersion: version, coefficients: [Double](repeating: 0, count: GoGCCost.featureNames.count),
                                 markWorkers: GoGCCost.markWorkers(goVersion: version))
            for _ in 0..<(model.markWorkers == nil ? 1 : 50) {
                let next = nonNegativeRelativeLeastSquares(fitted.map { model.pricedFeatures(rows[$0].cycles) },
                                                           fitted.map { Double(rows[$0].goCPUNs) },
                                                           allowed: usable, count: GoGCCost.featureNames.count, floor: floorNs)
                let settled = zip(next, model.coefficients).allSatisfy { abs($0 - $1) <= 1e-9 * max(abs($0), 1e-12) }
                model.coefficients = next
                if settled { break }
            }
            let coefficients = model.coefficients
            for i in rows.indices where rows[i].goVersion == version {
                rows[i].modelledNs = Int(model.cpuNs(rows[i].cycles))
            }
            var s = GCCostFitSummary()
            s.goVersion = version
            s.coefficients = coefficients
            let fitRows = fitted.map { rows[$0] }
            let held = rows.filter { $0.goVersion == version && $0.set == "held-out" && $0.goCPUNs > 0 && $0.labCycles > 0 }
            s.fitPhases = fitRows.count
            s.heldOutPhases = held.count
            let mean = fitRows.reduce(0.0) { $0 + Double($1.goCPUNs) } / Double(max(1, fitRows.count))
            let total = fitRows.reduce(0.0) { $0 + pow(Double($1.goCPUNs) - mean, 2) }
            let residual = fitRows.reduce(0.0) { $0 + pow(Double($1.goCPUNs - $1.modelledNs), 2) }
            s.rSquared = total > 0 ? 1 - residual / total : 0
            s.fitMedianError = median(fitRows.map { abs($0.error) })
            s.heldOutMedianError = median(held.map { abs($0.error) })
            s.heldOutWithinTarget = held.isEmpty ? 0 : Double(held.filter { abs($0.error) <= 0.2 || $0.withinGoRange }.count) / Double(held.count)
            let runs = GCCostTotalRow.totals(held)
            s.heldOutRuns = runs.count
            s.heldOutRunsWithin10Percent = runs.filter { abs($0.error) <= 0.1 }.count
            summaries.append(s)
        }
        return summaries
    }

    /// Coefficients a `gccost fit` wrote (gc-cost-coefficients.csv), by Go
    /// version: to judge a refit with `check` as the committed model is.
    public static func readCoefficients(_ path: String) throws -> [String: GoGCCost] {
        let doc = try CSVDocument(path: path)
        let version = try doc.column("go_version", in: path)
        // A file from before an input was added prices it at 0.
        let columns = try GoGCCost.featureNames.map { name -> Int? in
            GoGCCost.addedLater.contains(name) && !doc.header.contains("ns_per_\(name)") ? nil : try doc.column("ns_per_\(name)", in: path)
        }
        var out: [String: GoGCCost] = [:]
        for (n, row) in doc.rows.enumerated() {
            let values = try columns.map { column -> Double in
                guard let c = column else { return 0 }
                guard let v = Double(row[c]), v.isFinite, v >= 0 else {
                    throw CSVError(description: "\(path): row \(n + 2): '\(row[c])' is not a cost (a number, 0 or more)")
                }
                return v
            }
            out[row[version]] = GoGCCost(goVersion: row[version], coefficients: values,
                                         markWorkers: GoGCCost.markWorkers(goVersion: row[version]))
        }
        guard !out.isEmpty else { throw CSVError(description: "\(path): no coefficients") }
        return out
    }

    /// The CPUs Go ran on for the fitted pairs' references, by Go version:
    /// each `<reference>/<version>/machine.json`'s cpu, "unknown" where a
    /// reference has none; several joined by "; ".
    public static func goMachines(_ pairs: [Pair]) -> [String: String] {
        var seen: [String: Set<String>] = [:]
        for pair in pairs where !pair.heldOut {
            let versions = (try? FileManager.default.contentsOfDirectory(atPath: pair.reference)) ?? []
            for version in versions where version.hasPrefix("go") {
                seen[version, default: []].insert(goMachine(reference: pair.reference, version: version))
            }
        }
        return seen.mapValues { $0.sorted().joined(separator: "; ") }
    }

    /// The cpu of `<reference>/<version>/machine.json`, with its family,
    /// model and stepping where recorded (a VM may name only "AMD EPYC"),
    /// "unknown" without one (commas dropped: a CSV cell).
    static func goMachine(reference: String, version: String) -> String {
        let machine = (try? Data(contentsOf: URL(fileURLWithPath: reference + "/" + version + "/machine.json")))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        guard let cpu = machine?["cpu"] as? String else { return "unknown" }
        let id = (machine?["cpu_id"] as? String).map { " (\($0))" } ?? ""
        return (cpu + id).replacingOccurrences(of: ",", with: " ")
    }

    /// A coefficient file's `go_machines` by Go version ("unknown" for a
    /// file written before the column).
    public static func readGoMachines(_ path: String) throws -> [String: String] {
        let doc = try CSVDocument(path: path)
        let version = try doc.column("go_version", in: path)
        let machines = doc.header.firstIndex(of: "go_machines")
        return Dictionary(doc.rows.map { row in (row[version], machines.map { row[$0] } ?? "unknown") }) { a, _ in a }
    }

    /// The models a run prices with from a coefficient file (`bucketlab
    /// run --gc-coefficients`): its Go 1.19 row for the classic map's Go,
    /// its newest row from Go 1.24 on for current Go's; a version the file
    /// lacks keeps the committed coefficients. A file with neither is refused.
    public static func models(fromFile path: String) throws -> GoGCCost.Models {
        let read = try readCoefficients(path)
        let machines = try readGoMachines(path)
        func newest(_ versions: [String]) -> String? { versions.max { $0.compare($1, options: .numeric) == .orderedAscending } }
        let go119 = newest(read.keys.filter { $0.hasPrefix("go1.19") })
        let current = newest(read.keys.filter(GoReference.versionHasSwissMaps))
        guard go119 != nil || current != nil else {
            throw CSVError(description: "\(path): no coefficients for go1.19 or a Go from 1.24 on (it has \(read.keys.sorted().joined(separator: ", ")))")
        }
        var models = GoGCCost.Models(file: path)
        if let go119 { models.go119 = read[go119]! }
        if let current { models.gocur = read[current]! }
        models.goMachines = [go119, current].compactMap { $0 }.map { "\($0): \(machines[$0] ?? "unknown")" }.joined(separator: ", ")
        return models
    }

    /// Judges the committed model of each Go version (no fit), or `models`'
    /// coefficients by Go version, on every pair: the phase rows, marked
    /// `checked`, with their modelled CPU; and one
    /// summary per pair and Go version, beside `goBreakdown`'s figures for
    /// Go against itself.
    public static func check(_ pairs: [Pair], models: [String: GoGCCost]? = nil, modelMachines: [String: String]? = nil) throws
        -> (rows: [GCCostFitRow], summaries: [GCCostCheckRow]) {
        var allRows: [GCCostFitRow] = [], out: [GCCostCheckRow] = []
        for pair in pairs {
            let info = try RunInfo.read(pair.run + "/run.json")
            var rows = try Self.rows([pair], heldOutWorkloads: [])
            for i in rows.indices {
                guard let model = models.map({ $0[rows[i].goVersion] }) ?? GoGCCost.forMapModel(rows[i].map) else {
                    throw CSVError(description: "the coefficients have no row for \(rows[i].goVersion), which \(pair.reference) holds")
                }
                rows[i].set = "checked"
                rows[i].modelledNs = Int(model.cpuNs(rows[i].cycles))
            }
            let go = try goBreakdown([pair])
            for version in Set(rows.map(\.goVersion)).sorted() {
                let mine = rows.filter { $0.goVersion == version && $0.goCPUNs > 0 && $0.labCycles > 0 }
                guard !mine.isEmpty else { continue }
                var c = GCCostCheckRow()
                c.goVersion = version
                c.keys = info.keys
                c.payloadBytes = info.payloadBytes
                c.phases = mine.count
                c.goRuns = mine.map(\.goRuns).min() ?? 0
                c.medianError = median(mine.map { abs($0.error) })
                c.withinTarget = Double(mine.filter { abs($0.error) <= 0.2 || $0.withinGoRange }.count) / Double(mine.count)
                let totals = GCCostTotalRow.totals(mine)
                c.runs = totals.count
                c.runsWithin10Percent = totals.filter { abs($0.error) <= 0.1 }.count
                if let g = go.first(where: { $0.goVersion == version }) {
                    c.goRunPhasesWithinTarget = g.runPhasesWithinTarget
                    c.goRunTotalsWithin10Percent = g.runTotalsWithin10Percent
                }
                c.goMachine = goMachine(reference: pair.reference, version: version)
                c.modelMachine = models == nil ? GoGCCost.Models.committedMachine : modelMachines?[version] ?? "unknown"
                out.append(c)
            }
            allRows += rows
        }
        return (allRows, out)
    }

    static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// argmin Σ ((x·c − y) / (y + floor))² over c ≥ 0 with c zero outside
    /// `allowed`: least squares on each subset of the allowed inputs,
    /// keeping the best whose coefficients are all non-negative.
    static func nonNegativeRelativeLeastSquares(_ x: [[Double]], _ y: [Double], allowed: [Int], count: Int,
                                                floor: Double = 0) -> [Double] {
        var best = [Double](repeating: 0, count: count), bestLoss = Double.infinity
        for mask in 1..<(1 << allowed.count) {
            let subset = allowed.indices.filter { mask & (1 << $0) != 0 }.map { allowed[$0] }
            // Rows scaled by 1/y: ordinary least squares on the scaled system.
            let a = zip(x, y).map { row, yy in subset.map { row[$0] / (yy + floor) } }
            let b = y.map { $0 / ($0 + floor) }
            guard let c = solveLeastSquares(a, b), c.allSatisfy({ $0 >= 0 }) else { continue }
            var full = [Double](repeating: 0, count: count)
            for (i, f) in subset.enumerated() { full[f] = c[i] }
            let loss = zip(x, y).reduce(0.0) { acc, p in
                let pred = zip(full, p.0).reduce(0) { $0 + $1.0 * $1.1 }
                return acc + pow((pred - p.1) / (p.1 + floor), 2)
            }
            if loss < bestLoss { bestLoss = loss; best = full }
        }
        return best
    }

    /// Least squares through the normal equations, columns scaled to unit
    /// size first (the inputs span ten orders of magnitude); nil when
    /// singular.
    static func solveLeastSquares(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        guard let n = a.first?.count, n > 0, a.count >= n else { return nil }
        let scale = (0..<n).map { j in max(1e-300, a.map { abs($0[j]) }.max() ?? 1) }
        var m = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n)
        for (row, bb) in zip(a, b) {
            let r = (0..<n).map { row[$0] / scale[$0] }
            for i in 0..<n {
                for j in 0..<n { m[i][j] += r[i] * r[j] }
                m[i][n] += r[i] * bb
            }
        }
        // Gaussian elimination with partial pivoting.
        for col in 0..<n {
            guard let pivot = (col..<n).max(by: { abs(m[$0][col]) < abs(m[$1][col]) }), abs(m[pivot][col]) > 1e-12 else { return nil }
            m.swapAt(col, pivot)
            for r in 0..<n where r != col {
                let f = m[r][col] / m[col][col]
                if f != 0 { for c in col...n { m[r][c] -= f * m[col][c] } }
            }
        }
        return (0..<n).map { m[$0][n] / m[$0][$0] / scale[$0] }
    }
}
