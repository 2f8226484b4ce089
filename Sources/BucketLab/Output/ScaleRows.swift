// `bucketlab scale`: one workload at one size on the lab and on the real Go
// runtime whose map each model stands for, process against process, in one
// run — alternating which side goes first from one run to the next — so
// that the wall time and peak resident set of a lab cell are set beside
// Go's, measured moments apart under the same machine load. Each run is a
// pair; a ratio is taken per pair and summarised over the pairs (median,
// extremes). Heap in use per phase is joined as `compare-go` joins it
// (against-go.csv).

/// One process of a scale run: a lab cell or a Go reference process.
public struct ScaleRow: Sendable, ResultRow {
    /// `lab` or `go`.
    public var side = ""
    public var map = ""
    /// The Go version the model stands for, `none` in a run without Go.
    public var goVersion = ""
    public var workload = ""
    public var keys = 0
    public var payloadBytes = 0
    /// The pair this process belongs to (1…runs), and 1 when it went first.
    public var run = 0
    public var first = 0
    /// Spawn to exit, and the process's peak resident set (wait4's ru_maxrss).
    public var wallNs = 0
    public var peakRSSBytes = 0
    /// The highest heap in use at a phase end: the lab heap's, Go's net of
    /// its start-up heap.
    public var peakPhaseHeapInuseBytes = 0

    public init() {}

    public static var blank: ScaleRow { ScaleRow() }

    public static var columns: [Column<ScaleRow>] {
        [.name("side", \.side), .name("map", \.map), .name("go_version", \.goVersion), .name("workload", \.workload),
         .int("keys", \.keys), .int("payload_bytes", \.payloadBytes), .int("run", \.run), .int("first", \.first),
         .int("wall_ns", \.wallNs), .int("peak_rss_bytes", \.peakRSSBytes),
         .int("peak_phase_heap_inuse_bytes", \.peakPhaseHeapInuseBytes)]
    }
}

/// Lab over Go for one map model: per-pair ratios summarised, and the heap
/// per phase from against-go.csv.
public struct ScaleSummary: Sendable {
    public var map: String
    public var goVersion: String
    public var workload: String
    public var keys: Int
    public var pairs: Int
    public var labWallNs: Double
    public var goWallNs: Double
    public var wallRatio: Spread
    public var labPeakRSSBytes: Double
    public var goPeakRSSBytes: Double
    public var rssRatio: Spread
    public var phases: Int
    public var phasesWithin2Percent: Int
    public var maxHeapError: Double

    /// Median and extremes of a ratio over the pairs.
    public struct Spread: Sendable {
        public var median: Double
        public var min: Double
        public var max: Double
    }

    public static func summarise(_ rows: [ScaleRow], against: [AgainstGoRow]) -> [ScaleSummary] {
        let maps = Report.orderedUnique(rows.map(\.map))
        return maps.compactMap { map in
            let lab = rows.filter { $0.map == map && $0.side == "lab" }
            let go = rows.filter { $0.map == map && $0.side == "go" }
            let pairs = lab.compactMap { l in go.first { $0.run == l.run }.map { (l, $0) } }
            guard let firstPair = pairs.first else { return nil }
            let heap = against.filter { $0.map == map && $0.goVersion == firstPair.1.goVersion && $0.ratio != nil }
            return ScaleSummary(
                map: map, goVersion: firstPair.1.goVersion, workload: firstPair.0.workload, keys: firstPair.0.keys,
                pairs: pairs.count,
                labWallNs: median(pairs.map { Double($0.0.wallNs) }), goWallNs: median(pairs.map { Double($0.1.wallNs) }),
                wallRatio: spread(pairs.map { Double($0.0.wallNs) / Double(max(1, $0.1.wallNs)) }),
                labPeakRSSBytes: median(pairs.map { Double($0.0.peakRSSBytes) }),
                goPeakRSSBytes: median(pairs.map { Double($0.1.peakRSSBytes) }),
                rssRatio: spread(pairs.map { Double($0.0.peakRSSBytes) / Double(max(1, $0.1.peakRSSBytes)) }),
                phases: heap.count, phasesWithin2Percent: heap.filter { abs($0.ratio! - 1) <= 0.02 }.count,
                maxHeapError: heap.map { abs($0.ratio! - 1) }.max() ?? 0)
        }
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func spread(_ xs: [Double]) -> Spread {
        Spread(median: median(xs), min: xs.min() ?? 0, max: xs.max() ?? 0)
    }

    public static let header = ["map", "Go", "workload", "keys", "pairs", "lab wall s", "Go wall s", "wall lab/Go (min–max)",
                                "lab peak RSS MB", "Go peak RSS MB", "peak RSS lab/Go (min–max)",
                                "phases within 2% of Go", "max |heap lab/Go − 1|"]

    public var fields: [String] {
        let ratio = { (s: Spread) in "\(formatFixed(s.median, digits: 2)) (\(formatFixed(s.min, digits: 2))–\(formatFixed(s.max, digits: 2)))" }
        return [map, goVersion, workload, String(keys), String(pairs),
                formatFixed(labWallNs / 1e9, digits: 1), formatFixed(goWallNs / 1e9, digits: 1), ratio(wallRatio),
                formatFixed(labPeakRSSBytes / 1e6, digits: 0), formatFixed(goPeakRSSBytes / 1e6, digits: 0), ratio(rssRatio),
                "\(phasesWithin2Percent) of \(phases)", formatFixed(maxHeapError, digits: 4)]
    }

    /// scale.md: the conditions, the summary and every process.
    public static func markdown(_ summaries: [ScaleSummary], rows: [ScaleRow], conditions: String) -> String {
        var out = "# bucketlab scale\n\n\(conditions)\n\n"
        out += Report.markdownTable(header: header, rows: summaries.map(\.fields))
        out += "\nEach ratio is taken per pair (a lab cell and a Go process run one after the other, "
            + "the first of the two alternating from pair to pair); the median and the extremes over the pairs are shown. "
            + "Heap: the lab's heap in use against Go's median run, net of Go's start-up heap, at every shared phase end "
            + "(against-go.csv).\n\n## Every process\n\n"
        out += Report.markdownTable(
            header: ["side", "map", "Go", "run", "first", "wall s", "peak RSS MB", "peak heap in use MB"],
            rows: rows.map { r in
                [r.side, r.map, r.goVersion, String(r.run), r.first == 1 ? "yes" : "", formatFixed(Double(r.wallNs) / 1e9, digits: 1),
                 formatFixed(Double(r.peakRSSBytes) / 1e6, digits: 0), formatFixed(Double(r.peakPhaseHeapInuseBytes) / 1e6, digits: 0)]
            })
        return out
    }
}
