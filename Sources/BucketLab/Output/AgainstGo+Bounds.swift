// The bounds the fidelity tests hold the `go` strategy to against the real
// Go runtime (Tests/…/GoFidelityTests.swift), in one place so that a unit
// test can show each one failing on a model off by just over it. Every
// comparison is strict.

public enum FidelityBounds {
    /// Classic against Go 1.19, per phase end: |lab − Go's net heap in use|
    /// under 2% of Go's (under 64 KiB where that is more: a few spans).
    public static func classicPhaseHolds(lab: Int, go: Int) -> Bool {
        abs(lab - go) < max(go / 50, 64 << 10)
    }

    /// Swiss against current Go, per phase end: within 15% of the nearest
    /// of Go's runs (or 64 KiB). Go's own runs move by several percent, so
    /// this catches gross errors only; the mean bounds below catch the rest.
    public static func swissPhaseHolds(lab: Int, goRuns: [Int]) -> Bool {
        guard let nearest = goRuns.min(by: { abs($0 - lab) < abs($1 - lab) }) else { return false }
        return abs(lab - nearest) < max(nearest * 15 / 100, 64 << 10)
    }

    /// The largest mean |lab/Go − 1| over all shared phases that passes,
    /// given one Go run's mean error against the median of the others:
    /// twice that plus 1%, with Go's spread taken as at least
    /// `swissReferenceGoSpread`. Three processes can agree by chance (some
    /// phases are bimodal across processes, as where a collection falls),
    /// and their spread alone then sets a bound tighter than Go's own.
    public static func swissMeanErrorBound(goSpread: Double) -> Double {
        2 * max(goSpread, swissReferenceGoSpread) + 0.01
    }

    /// Go 1.27.3's mean error of one run against the median of the others
    /// over the five runs at 10^6 keys of the fidelity tests' workloads
    /// (Results/swiss-fidelity-2026-12-06/against-go.csv, `go_run_error`:
    /// 0.0222 over 46 phase ends).
    public static let swissReferenceGoSpread = 0.022

    /// The largest |mean (lab/Go − 1)| that passes: Go's run-to-run noise
    /// has no sign and averages out over the phases, a model error that
    /// keeps too much (or too little) everywhere does not. A model uniformly
    /// 3% off fails this whatever Go's spread; the mean-error bound alone
    /// lets it through where one Go run is more than 1% from the others.
    public static let swissBiasBound = 0.03

    /// The verdicts over `rows` (one map model and Go version): the mean
    /// error and its bound, the bias and its bound.
    public struct SwissVerdict: Sendable, Equatable {
        public var meanError: Double
        public var meanErrorBound: Double
        public var bias: Double
        public var holds: Bool { meanError < meanErrorBound && abs(bias) < FidelityBounds.swissBiasBound }
    }

    /// Nil when no row has a ratio, or Go ran once (no spread to weigh).
    public static func swissVerdict(_ rows: [AgainstGoRow]) -> SwissVerdict? {
        let ratios = rows.compactMap(\.ratio)
        guard let summary = AgainstGo.summaries(rows).first, let spread = summary.goRunMeanError, !ratios.isEmpty else {
            return nil
        }
        let bias = ratios.reduce(0) { $0 + ($1 - 1) } / Double(ratios.count)
        return SwissVerdict(meanError: summary.labMeanError, meanErrorBound: swissMeanErrorBound(goSpread: spread), bias: bias)
    }
}
