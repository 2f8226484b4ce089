// What a collection would cost Go: the CPU Go's collector spends on a cycle
// of the same shape, modelled from the counts the lab's cycle took — never
// from this machine's clock — so a seed gives the same figure every run.
//
// Go's own accounting of a cycle (gctrace's "ms cpu", runtime/metrics'
// /cpu/classes/gc/*) is the stop-the-world phases (sweep termination and
// mark termination, wall time × GOMAXPROCS) plus the mark (assists,
// dedicated and fractional background workers, idle workers). Sweeping is
// not in it: Go sweeps in the background sweeper and in allocating
// goroutines, outside every GC CPU class. The model follows that split:
//
//   cpu = perCycle                        roots, stacks, globals, both STWs
//       + perScannedByte × bytes scanned     scanobject's loop over the words
//       + perPacerScannedByte × those of     marking beside a running mutator:
//         pacer cycles                       assists, write barriers, shared caches
//       + perMarkedObject × objects marked   greyobject: find the span, set the bit
//       + perMarkedObjectLog2Heap × objects  the same, dearer as the marked heap
//         × log2(marked heap / 8 MiB)        outgrows the caches (0 below 8 MiB)
//       + perScanObject × scanned objects    one scanobject call each
//       + perMarkedSpan × spans with a mark  the span metadata marking touches:
//                                            the same objects spread over more
//                                            spans miss the cache more
//       + perMarkedSpanLog2 × spans with a   the same, dearer once the spans a
//         mark × log2(those spans / 512)     mark touches outgrow the caches
//         (0 up to 512 spans)                (a pointer-free map's few spans
//                                            cost Go almost nothing; 10^5
//                                            scattered 1 KiB objects do)
//       + perSweptSpan × spans swept         what sweep termination finishes
//                                            with the world stopped
//       + perOtherScannedByte × scanned     scanning objects other than map
//         bytes not in map storage           storage (out-of-line values,
//                                            entries, nodes), which the fit on
//                                            buckets alone does not price
//       + perSmallSpan × small scan spans    Go 1.26+'s span-based marking
//                                            (16…512-byte objects): a span's
//                                            cost, shared by its marked objects
//       + perAfterIdle × 1 if the program    stopping the world wakes Ps that
//         idled before the cycle             slept: gctrace's sweep termination
//                                            takes 0.2–0.6 ms more after a
//                                            second of sleep
//
// The sum after perCycle (and perAfterIdle) is one mark worker's time. A
// forced cycle of Go 1.19 pays it once per worker that marks, and how many
// do depends on how long the mark lasts: with the program's goroutine blocked in
// runtime.GC(), one P marks from the start and the other's idle worker
// joins only once something wakes that P (enlistWorker does not wake idle
// Ps), so short marks mostly run on one worker and long ones on two, each
// no faster for the other (gctrace's mark CPU over mark wall time). The
// model multiplies a forced cycle's mark by `MarkWorkers.expected`, the
// mean that scripts/go-mark-workers measured, rising from 1.33 workers in
// marks up to 12 ms to 1.94 from 46 ms on. Go 1.27 keeps two workers busy
// in every forced mark measured, so its coefficients carry the second
// worker and it has no `markWorkers`. Pacer cycles, whose mutator holds a
// P, keep the plain sum.
//
// Each Go version has its coefficients, fitted by `bucketlab gccost fit` on
// the Go reference's measured CPU per phase (gctrace) against the lab's
// counts for the same workloads: docs/gc-cost.md has the calibration set,
// the fit, the held-out error and the commands.

import Foundation
import LabHeap
import LabMaps

/// A Go version's collection cost per unit of work, in nanoseconds of CPU.
public struct GoGCCost: Sendable, Equatable {
    /// The Go version whose runtime the coefficients describe.
    public var goVersion: String
    /// Nanoseconds per unit of each input of `features`, in its order.
    public var coefficients: [Double]

    /// How many mark workers a forced cycle keeps busy, where that depends
    /// on the mark's length (nil: the coefficients carry the workers).
    public var markWorkers: MarkWorkers?

    public init(goVersion: String, coefficients: [Double], markWorkers: MarkWorkers? = nil) {
        precondition(coefficients.count == Self.featureNames.count)
        self.goVersion = goVersion
        self.coefficients = coefficients
        self.markWorkers = markWorkers
    }

    /// Go's mark workers busy in a forced cycle, on average, against one
    /// worker's mark time: `short` up to `shortNs`, `long` from `longNs`,
    /// linear between (the means scripts/go-mark-workers measured).
    public struct MarkWorkers: Sendable, Equatable {
        public var short: Double
        public var long: Double
        public var shortNs: Double
        public var longNs: Double

        public init(short: Double, long: Double, shortNs: Double, longNs: Double) {
            precondition(shortNs < longNs && short > 0 && long > 0)
            self.short = short
            self.long = long
            self.shortNs = shortNs
            self.longNs = longNs
        }

        public func expected(markNs: Double) -> Double {
            short + (long - short) * min(1, max(0, (markNs - shortNs) / (longNs - shortNs)))
        }

        /// Go 1.19.8 on this 2-core machine:
        /// Results/gc-cost-2026-12-07/mark-workers/workers.csv (the mean of
        /// mean_workers over the sizes whose median mark is at most 12 ms,
        /// and over those from 46 ms).
        public static let go119 = MarkWorkers(short: 1.33, long: 1.94, shortNs: 12e6, longNs: 46e6)
    }

    /// The workers of a Go version, where they depend on the mark's length:
    /// Go 1.19's (the only Go 1.x < 1.27 measured); nil for the others.
    public static func markWorkers(goVersion: String) -> MarkWorkers? {
        goVersion.hasPrefix("go1.19") ? .go119 : nil
    }

    /// The inputs of `cycles` as this model prices them, summed: each
    /// forced cycle's mark inputs (all but `pauseFeatures`) scaled by the
    /// workers its mark keeps busy. Without `markWorkers`, the plain sum.
    public func pricedFeatures(_ cycles: [CycleStats]) -> [Double] {
        var sum = [Double](repeating: 0, count: Self.featureNames.count)
        for c in cycles {
            let f = Self.features(c)
            var scale = 1.0
            if let markWorkers, c.reason != .pacer {
                let mark = f.indices.reduce(0.0) { Self.pauseFeatures.contains($1) ? $0 : $0 + coefficients[$1] * f[$1] }
                scale = markWorkers.expected(markNs: mark)
            }
            for i in f.indices { sum[i] += Self.pauseFeatures.contains(i) ? f[i] : f[i] * scale }
        }
        return sum
    }

    /// The model's inputs for one cycle, in the order of `featureNames`.
    public static func features(_ c: CycleStats) -> [Double] {
        let heapScale = max(0, log2(Double(max(1, c.heapAfterBytes)) / Double(8 << 20)))
        let spans = Double(c.marks.spans)
        let spanScale = max(0, log2(max(1, spans) / spanCacheSpans))
        return [1, Double(c.bytesScanned), c.reason == .pacer ? Double(c.bytesScanned) : 0, Double(c.objectsMarked),
                Double(c.objectsMarked) * heapScale,
                Double(c.marks.scanObjects), spans, Double(c.spansSwept), Double(c.otherBytesScanned),
                Double(c.marks.smallScanSpans), spans * spanScale, c.afterIdle ? 1 : 0]
    }

    /// Marked spans up to which a span costs its flat price only: the knee
    /// of `marked_span_log2_spans`, chosen on the fit set's loss (both
    /// versions' summed, over 64…16384 spans; docs/notes/gc-cost-fit.md).
    public static let spanCacheSpans = 512.0

    public static let featureNames = ["cycle", "scanned_byte", "pacer_scanned_byte", "marked_object",
                                      "marked_object_log2_heap", "scan_object", "marked_span", "swept_span", "other_scanned_byte",
                                      "small_scan_span", "marked_span_log2_spans", "after_idle"]

    /// Inputs added after coefficient files were first written: a file
    /// without their column prices them at 0.
    public static let addedLater: Set<String> = ["after_idle", "marked_span_log2_spans"]

    /// Inputs that are not part of a worker's mark (the stop-the-world
    /// parts), so never scaled by `markWorkers`.
    static let pauseFeatures: Set<Int> = [0, featureNames.count - 1]

    /// Go's CPU for a cycle of these counts, in nanoseconds.
    public func cpuNs(_ c: CycleStats) -> UInt64 { cpuNs(features: pricedFeatures([c])) }

    /// Go's CPU for inputs in the order of `featureNames` as
    /// `pricedFeatures` gives them (one cycle's, or a phase's summed), in
    /// nanoseconds.
    public func cpuNs(features: [Double]) -> UInt64 {
        let v = zip(coefficients, features).reduce(0) { $0 + $1.0 * $1.1 }
        return UInt64(max(0, v).rounded())
    }
}

extension GoGCCost {
    // Fitted by `bucketlab gccost fit` on the built-ins at 10^5, 3×10^5 and
    // 10^6 keys (48-byte payloads), cache-zipf, string-keys and
    // tombstone-churn held out, and three value shapes at 2×10^5 keys
    // (docs/gc-cost-workloads/), against three Go runs per size on this
    // 2-core machine, Go 1.19's with its forced cycles' mark workers
    // (`MarkWorkers.go119`), both with the cost of a cycle after the
    // program idled and of spans beyond the caches:
    // Results/gc-cost-2026-12-07/span-refit/gc-cost-coefficients.csv
    // (docs/gc-cost.md). In the order of `featureNames`.

    /// Go 1.19's collector (the classic map's Go).
    public static let go119 = GoGCCost(goVersion: "go1.19.8", coefficients: [
        218990.837800, 0.140293, 0.208407, 7.651822, 1.363244, 51.584765, 80.683520, 4.483823, 0.053018, 0.000000, 7.721776, 132336.172983],
        markWorkers: .go119)
    /// Go 1.27's (the Swiss map's Go); its fit found no cost per small scan
    /// span beyond the per-object ones, and no flat cost per marked span:
    /// all of a span's is in how many spans the mark touches.
    public static let go127 = GoGCCost(goVersion: "go1.27.3", coefficients: [
        309697.469446, 0.163446, 0.000000, 12.497118, 0.321547, 0.000000, 0.000000, 0.000000, 0.037986, 0.000000, 76.607509, 299028.710264])

    /// The model of the Go version a map model stands for: classic buckets
    /// and syncmap119 are Go 1.19's, Swiss tables and synctrie Go 1.27's.
    public static func forMapModel(_ name: String) -> GoGCCost {
        Models.committed.forMapModel(name)
    }

    /// Go's CPU for every cycle of `trace`, in nanoseconds.
    public func cpuNs(_ trace: [CycleStats]) -> UInt64 { trace.reduce(0) { $0 + cpuNs($1) } }

    /// The two models a run prices with: the committed ones, or a `gccost
    /// fit` file's (`bucketlab run --gc-coefficients`), since the
    /// coefficients belong to the machine Go ran on (docs/gc-cost.md,
    /// "Which machine").
    public struct Models: Sendable, Equatable {
        /// Go 1.19's (classic, syncmap119) and current Go's (swiss, synctrie).
        public var go119: GoGCCost
        public var gocur: GoGCCost
        /// The coefficient file they came from; nil: the committed ones.
        public var file: String?
        /// Which CPU each file version's Go ran on, as the file says
        /// ("go1.27.3: Intel(R) Xeon(R) Processor"; nil: the committed ones,
        /// `committedMachine`).
        public var goMachines: String?

        public init(go119: GoGCCost = .go119, gocur: GoGCCost = .go127, file: String? = nil) {
            self.go119 = go119
            self.gocur = gocur
            self.file = file
        }

        public static let committed = Models()

        /// Where the Go runs the committed coefficients were fitted on ran:
        /// the references recorded no machine; the lab's run.json files of
        /// the same day name this CPU (docs/gc-cost.md, "Which machine").
        public static let committedMachine = "a 2-core AMD EPYC"

        /// The model of the Go version `name` stands for.
        public func forMapModel(_ name: String) -> GoGCCost {
            MapModels.standsForGo119(name) ? go119 : gocur
        }
    }
}
