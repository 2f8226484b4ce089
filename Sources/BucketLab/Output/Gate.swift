// The retention gate behind `bucketlab check`: limits on what each cell of a
// run keeps at one phase end, judged from its phase rows (phases.csv), and
// optionally against a baseline folder an earlier run wrote.
//
// What the figures mean (the phase end is after a full collection, as Go's
// `runtime.GC(); runtime.ReadMemStats` would be):
//   retained bytes  heap_inuse_bytes — Go's HeapInuse: spans in use, so live
//                   objects, what deleted slots keep, and free slots of
//                   those spans (README's "retained MiB")
//   retained ratio  heap_inuse_bytes / live_bytes (the program's lower
//                   bound); undefined when nothing is live, and then skipped
//   leaked bytes    leaked_bytes — reachable only through deleted or
//                   evacuated map slots
//   resident bytes  rss_bytes — the cell process's resident set; it depends
//                   on the kernel's transparent huge pages and jemalloc's
//                   purging, so it moves between machines
//   growth          retained bytes over the baseline's at the same cell and
//                   phase (median over the baseline's repeats)

/// One kind of limit, named as its command-line option.
public enum GateLimit: String, Sendable, CaseIterable {
    case retainedBytes = "max-retained-bytes"
    case retainedRatio = "max-retained-ratio"
    case leakedBytes = "max-leaked-bytes"
    case residentBytes = "max-resident-bytes"
    case growth = "max-growth"
}

/// The limits a check applies; nil = not checked.
public struct GateLimits: Sendable, Equatable {
    public var maxRetainedBytes: Int?
    public var maxRetainedRatio: Double?
    public var maxLeakedBytes: Int?
    public var maxResidentBytes: Int?
    /// Largest growth of retained bytes over the baseline, as a fraction
    /// (0.05 = 5%); needs a baseline.
    public var maxGrowth: Double?

    public init(maxRetainedBytes: Int? = nil, maxRetainedRatio: Double? = nil, maxLeakedBytes: Int? = nil,
                maxResidentBytes: Int? = nil, maxGrowth: Double? = nil) {
        self.maxRetainedBytes = maxRetainedBytes
        self.maxRetainedRatio = maxRetainedRatio
        self.maxLeakedBytes = maxLeakedBytes
        self.maxResidentBytes = maxResidentBytes
        self.maxGrowth = maxGrowth
    }

    /// The limits given, in the order results are reported.
    public var given: [GateLimit] {
        var all: [GateLimit] = []
        if maxRetainedBytes != nil { all.append(.retainedBytes) }
        if maxRetainedRatio != nil { all.append(.retainedRatio) }
        if maxLeakedBytes != nil { all.append(.leakedBytes) }
        if maxResidentBytes != nil { all.append(.residentBytes) }
        if maxGrowth != nil { all.append(.growth) }
        return all
    }
}

/// How one limit fared on one cell.
public enum GateOutcome: Sendable, Equatable {
    case held
    case broken
    /// The figure is undefined (a ratio with nothing live).
    case skipped(String)
    /// The cell did not finish or has no row at the phase.
    case error(String)
}

/// One limit on one map × workload × strategy at one phase.
public struct GateResult: Sendable {
    public var cell: RunKey
    public var phase: String
    public var limit: GateLimit
    public var outcome: GateOutcome
    /// "40132608 > 1048576 (retained bytes)": the figure against the limit.
    public var detail: String
    /// The cell's run time (its phases), for the JUnit suite.
    public var cellSeconds: Double

    /// One line for a person or a CI log: the limit, the figure against it,
    /// the phase, map, strategy and workload.
    public var line: String {
        let tag: String
        switch outcome {
        case .held: tag = "ok  "
        case .broken: tag = "FAIL"
        case .skipped: tag = "skip"
        case .error: tag = "ERROR"
        }
        return "\(tag) \(limit.rawValue): \(detail) at phase \(phase), map \(cell.map), strategy \(cell.strategy), workload \(cell.workload)"
    }
}

/// The figures of one cell at one phase (median over its repeats).
struct GateFigures {
    var heapInuseBytes: Int
    var liveBytes: Int
    var leakedBytes: Int
    var rssBytes: Int

    init?(_ rows: [PhaseRow]) {
        guard !rows.isEmpty else { return nil }
        func mid(_ f: (RunMeasurement) -> Int) -> Int { Int(median(rows.map { Double(f($0.measurement)) })) }
        heapInuseBytes = mid(\.heapInuseBytes)
        liveBytes = mid(\.liveBytes)
        leakedBytes = mid(\.leakedBytes)
        rssBytes = mid(\.rssBytes)
    }
}

/// A result folder to compare against: its phase rows and the size it ran at.
public struct GateBaseline: Sendable {
    public var directory: String
    public var phases: [PhaseRow]
    /// `keys` of its summary.csv (every cell's).
    public var keys: Int

    public init(directory: String, phases: [PhaseRow], keys: Int) {
        self.directory = directory
        self.phases = phases
        self.keys = keys
    }

    /// Reads `dir`'s phases.csv and summary.csv (as `bucketlab run` or
    /// `bucketlab check --out` wrote them); a missing or malformed file, or
    /// cells of different sizes, is a CSVError.
    public static func read(_ dir: String) throws -> GateBaseline {
        let summaries: [RunSummary], phases: [PhaseRow]
        do {
            summaries = try RunSummary.read(dir + "/summary.csv")
            phases = try PhaseRow.read(dir + "/phases.csv")
        } catch let e as CSVError {
            throw CSVError(description: "baseline: " + e.description)
        }
        let sizes = Set(summaries.map(\.keys))
        guard sizes.count == 1, let keys = sizes.first else {
            throw CSVError(description: "baseline \(dir)/summary.csv: " + (sizes.isEmpty ? "no cells" : "cells of different --keys"))
        }
        return GateBaseline(directory: dir, phases: phases, keys: keys)
    }

    /// The baseline's rows for `cell` (any repeat) at `phase`.
    func rows(_ cell: RunKey, phase: String) -> [PhaseRow] {
        phases.filter {
            $0.key.map == cell.map && $0.key.workload == cell.workload && $0.key.strategy == cell.strategy && $0.phase == phase
        }
    }

    /// Refuses a baseline that cannot answer for every cell: another size,
    /// or a cell or phase it does not have.
    public func check(covers cells: [(cell: RunKey, phase: String)], keys: Int) throws {
        guard self.keys == keys else {
            throw CSVError(description: "baseline \(directory) ran --keys \(self.keys), this check --keys \(keys): growth would compare different sizes")
        }
        for (cell, phase) in cells where rows(cell, phase: phase).isEmpty {
            throw CSVError(description: "baseline \(directory)/phases.csv has no row for \(cell.cellName) at phase \(phase)")
        }
    }
}

public enum Gate {
    /// Every given limit on every cell of `summaries` at `phase(workload)`,
    /// in cell order then limit order.
    public static func evaluate(summaries: [RunSummary], phases: [PhaseRow], limits: GateLimits,
                                phase: (String) -> String, baseline: GateBaseline? = nil) -> [GateResult] {
        var results: [GateResult] = []
        for s in Suite.medianSummaries(summaries) {
            let cell = s.key.cell
            let at = phase(cell.workload)
            let rows = phases.filter { $0.key.cell == cell && $0.phase == at }
            let seconds = Double(phases.filter { $0.key.cell == cell }.reduce(0) { $0 + $1.phaseNs }) / 1e9
            for limit in limits.given {
                var r = GateResult(cell: cell, phase: at, limit: limit, outcome: .held, detail: "", cellSeconds: seconds)
                if !s.succeeded {
                    r.outcome = .error("cell failed: \(s.status)")
                    r.detail = "cell failed: \(s.status)"
                } else if let figures = GateFigures(rows) {
                    (r.outcome, r.detail) = judge(limit, figures, limits: limits,
                                                  baseline: baseline.flatMap { GateFigures($0.rows(cell, phase: at)) })
                } else {
                    r.outcome = .error("no phase row")
                    r.detail = "no row at this phase in the run"
                }
                results.append(r)
            }
        }
        return results
    }

    /// One limit against one cell's figures.
    static func judge(_ limit: GateLimit, _ f: GateFigures, limits: GateLimits,
                      baseline: GateFigures?) -> (GateOutcome, String) {
        func bytes(_ figure: Int, _ max: Int, _ what: String) -> (GateOutcome, String) {
            figure > max ? (.broken, "\(figure) > \(max) (\(what))") : (.held, "\(figure) <= \(max) (\(what))")
        }
        switch limit {
        case .retainedBytes:
            return bytes(f.heapInuseBytes, limits.maxRetainedBytes ?? 0, "retained bytes: heap in use")
        case .leakedBytes:
            return bytes(f.leakedBytes, limits.maxLeakedBytes ?? 0, "leaked bytes")
        case .residentBytes:
            return bytes(f.rssBytes, limits.maxResidentBytes ?? 0, "process resident bytes")
        case .retainedRatio:
            let max = limits.maxRetainedRatio ?? 0
            guard f.liveBytes > 0 else {
                let why = "nothing live (\(f.heapInuseBytes) bytes retained); the ratio is undefined"
                return (.skipped(why), why)
            }
            let ratio = Double(f.heapInuseBytes) / Double(f.liveBytes)
            let text = "\(decimal(ratio, 3)) \(ratio > max ? ">" : "<=") \(decimal(max, 3)) (retained / live: \(f.heapInuseBytes) / \(f.liveBytes) bytes)"
            return (ratio > max ? .broken : .held, text)
        case .growth:
            let max = limits.maxGrowth ?? 0
            guard let base = baseline else { return (.error("no baseline"), "no baseline row") }
            let change = base.heapInuseBytes == 0
                ? (f.heapInuseBytes == 0 ? 0 : Double.infinity)
                : Double(f.heapInuseBytes - base.heapInuseBytes) / Double(base.heapInuseBytes)
            let shown = change.isInfinite ? "+inf%" : (change >= 0 ? "+" : "") + decimal(change * 100, 2) + "%"
            let text = "\(shown) \(change > max ? ">" : "<=") \(decimal(max * 100, 2))% (retained bytes \(f.heapInuseBytes), baseline \(base.heapInuseBytes))"
            return (change > max ? .broken : .held, text)
        }
    }

    /// `x` with `digits` decimals, trailing zeros dropped.
    static func decimal(_ x: Double, _ digits: Int) -> String {
        var s = formatFixed(x, digits: digits)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
}

/// Byte counts and percentages as `check` accepts them.
public enum GateParse {
    /// "1048576", "512KiB", "40MiB", "2GiB" (also K, M, G: powers of 1024);
    /// nil when not a non-negative count.
    public static func bytes(_ text: String) -> Int? {
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let n = Double(text.dropLast(suffix.count)), n >= 0, n.isFinite, n * Double(scale) < 0x1p62 else { return nil }
            return Int((n * Double(scale)).rounded())
        }
        guard let n = Int(text), n >= 0 else { return nil }
        return n
    }

    /// "5%" or "5" (percent) as a fraction (0.05); nil when not a
    /// non-negative number.
    public static func percent(_ text: String) -> Double? {
        let digits = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let n = Double(digits), n >= 0, n.isFinite else { return nil }
        return n / 100
    }
}
