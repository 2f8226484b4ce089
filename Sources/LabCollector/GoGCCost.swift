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
//       + perSweptSpan × spans swept         what sweep termination finishes
//                                            with the world stopped
//       + perOtherScannedByte × scanned     scanning objects other than map
//         bytes not in map storage           storage (out-of-line values,
//                                            entries, nodes), which the fit on
//                                            buckets alone does not price
//       + perSmallSpan × small scan spans    Go 1.26+'s span-based marking
//                                            (16…512-byte objects): a span's
//                                            cost, shared by its marked objects
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

    public init(goVersion: String, coefficients: [Double]) {
        precondition(coefficients.count == Self.featureNames.count)
        self.goVersion = goVersion
        self.coefficients = coefficients
    }

    /// The model's inputs for one cycle, in the order of `featureNames`.
    public static func features(_ c: CycleStats) -> [Double] {
        let heapScale = max(0, log2(Double(max(1, c.heapAfterBytes)) / Double(8 << 20)))
        return [1, Double(c.bytesScanned), c.reason == .pacer ? Double(c.bytesScanned) : 0, Double(c.objectsMarked),
                Double(c.objectsMarked) * heapScale,
                Double(c.marks.scanObjects), Double(c.marks.spans), Double(c.spansSwept), Double(c.otherBytesScanned),
                Double(c.marks.smallScanSpans)]
    }

    public static let featureNames = ["cycle", "scanned_byte", "pacer_scanned_byte", "marked_object",
                                      "marked_object_log2_heap", "scan_object", "marked_span", "swept_span", "other_scanned_byte",
                                      "small_scan_span"]

    /// Go's CPU for a cycle of these counts, in nanoseconds.
    public func cpuNs(_ c: CycleStats) -> UInt64 { cpuNs(features: Self.features(c)) }

    /// Go's CPU for inputs in the order of `featureNames` (one cycle's, or
    /// a phase's summed), in nanoseconds.
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
    // 2-core machine: Results/gc-cost-2026-12-07/shapes-refit/gc-cost-coefficients.csv
    // (docs/gc-cost.md). In the order of `featureNames`.

    /// Go 1.19's collector (the classic map's Go).
    public static let go119 = GoGCCost(goVersion: "go1.19.8", coefficients: [
        229368.270924, 0.188979, 0.089711, 9.763539, 2.434971, 71.769896, 136.427384, 1.424189, 0.165249, 0.000000])
    /// Go 1.27's (the Swiss map's Go); its fit found no cost per small scan
    /// span beyond the per-object ones.
    public static let go127 = GoGCCost(goVersion: "go1.27.3", coefficients: [
        291114.500104, 0.162632, 0.000000, 11.116734, 0.761906, 0.000000, 304.038865, 0.000000, 0.048286, 0.000000])

    /// The model of the Go version a map model stands for: classic buckets
    /// and syncmap119 are Go 1.19's, Swiss tables and synctrie Go 1.27's.
    public static func forMapModel(_ name: String) -> GoGCCost {
        MapModels.standsForGo119(name) ? go119 : go127
    }

    /// Go's CPU for every cycle of `trace`, in nanoseconds.
    public func cpuNs(_ trace: [CycleStats]) -> UInt64 { trace.reduce(0) { $0 + cpuNs($1) } }
}
