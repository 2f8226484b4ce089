import Testing
@testable import BucketLab
@testable import LabMaps

/// The finalizer and cleanup drops through the harness (the small suite:
/// both map models, four strategies): the dropped map's storage is kept by
/// the first runtime.GC() after the drop and freed by the second, as Go
/// 1.19 and 1.27 do (docs/notes/finalizers.md); a cycle through the
/// finalizer is never freed and the census charges it to the finalizer.
@Suite struct FinalizerWorkloadTests {
    static func phases(_ workload: String, _ map: String, _ strategy: String) -> [PhaseRow] {
        smallSuite.phases.filter { $0.key.workload == workload && $0.key.map == map && $0.key.strategy == strategy }
    }

    /// The N of the first `gcN` phase whose heap in use is back to empty
    /// (the lab's heap holds only the workload), nil if none is.
    static func cyclesUntilFreed(_ rows: [PhaseRow]) -> Int? {
        rows.compactMap { row -> Int? in
            guard row.phase.hasPrefix("gc"), let n = Int(row.phase.dropFirst(2)), row.measurement.heapInuseBytes == 0 else { return nil }
            return n
        }.min()
    }

    @Test(arguments: ["finalizer-drop", "cleanup-drop"], MapModels.defaultNames)
    func aWrappedMapIsFreedByTheSecondCycleAfterItsDrop(workload: String, map: String) throws {
        for strategy in ["go", "stale", "shrink", "compact"] {
            let rows = Self.phases(workload, map, strategy)
            let filled = try #require(rows.first { $0.phase == "filled" })
            let gc1 = try #require(rows.first { $0.phase == "gc1" })
            #expect(Self.cyclesUntilFreed(rows) == 2, "\(map) \(workload) \(strategy)")
            // After the first cycle the map and its payloads are all there,
            // kept by the queued finalizer or the cleanup's arg.
            #expect(gc1.measurement.heapInuseBytes >= filled.measurement.heapInuseBytes - 8192, "\(map) \(workload) \(strategy)")
            #expect(gc1.retention.mapBytes == 0)
            #expect(gc1.retention.finalizerBytes >= filled.retention.mapBytes, "\(map) \(workload) \(strategy)")
        }
    }

    @Test(arguments: MapModels.defaultNames)
    func aCycleThroughTheFinalizerIsNeverFreed(map: String) throws {
        let rows = Self.phases("finalizer-cycle", map, "go")
        #expect(Self.cyclesUntilFreed(rows) == nil)
        let gc1 = try #require(rows.first { $0.phase == "gc1" })
        for row in rows where row.phase.hasPrefix("gc") || row.phase == "freeos" {
            #expect(row.measurement.heapInuseBytes == gc1.measurement.heapInuseBytes, "\(row.phase)")
            #expect(row.retention.finalizerBytes > 0 && row.retention.mapBytes == 0, "\(row.phase)")
        }
    }
}
