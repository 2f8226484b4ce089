// REPORT.md's tombstone-churn table: what constant-size delete+insert churn
// costs each map model at each load (Workload.tombstoneChurn), read from
// phases.csv (repeat 1). See Report.swift.

/// One map model × strategy × load of tombstone-churn: the map as its fill
/// left it, and after the churn.
public struct TombstoneChurnRow: Sendable, Equatable {
    public var map: String
    public var strategy: String
    /// Percent of the slots the map was made with (Workload.churnLoads).
    public var load: Int
    public var liveKeys: Int
    public var slotsFilled: Int
    public var slotsChurned: Int
    /// Delete + insert operations of the churn phase.
    public var churnOps: Int
    /// Rehashes (grows, same-size grows, splits) during the churn.
    public var rehashes: Int
    public var tombstones: Int
    public var overflowBuckets: Int
    public var storageBytesFilled: Int
    public var storageBytesChurned: Int

    /// Rehashes per 10^6 churn operations.
    public var rehashesPerMillionOps: Double {
        churnOps == 0 ? 0 : Double(rehashes) * 1e6 / Double(churnOps)
    }

    /// The rows of `phases` (every map and strategy that ran the workload).
    public static func rows(from phases: [PhaseRow]) -> [TombstoneChurnRow] {
        let workload = Workload.tombstoneChurn.rawValue
        let mine = phases.filter { $0.key.workload == workload && $0.key.repeatIndex == 1 }
        var rows: [TombstoneChurnRow] = []
        for churn in mine where churn.phase.hasPrefix("churn") {
            guard let load = Int(churn.phase.dropFirst("churn".count)),
                  let fill = mine.first(where: { $0.key == churn.key && $0.phase == "fill\(load)" })
            else { continue }
            let (f, c) = (fill.measurement, churn.measurement)
            rows.append(TombstoneChurnRow(
                map: churn.key.map, strategy: churn.key.strategy, load: load, liveKeys: c.liveKeys,
                slotsFilled: f.slotCapacity, slotsChurned: c.slotCapacity, churnOps: c.ops - f.ops,
                rehashes: c.mapRehashes - f.mapRehashes, tombstones: c.tombstones, overflowBuckets: c.overflowBuckets,
                storageBytesFilled: f.bucketBytes, storageBytesChurned: c.bucketBytes))
        }
        return rows
    }

    public static let header = ["map", "strategy", "load %", "live keys", "slots filled", "slots churned",
                                "rehashes / 10^6 ops", "tombstones", "overflow buckets", "storage MiB filled",
                                "storage MiB churned"]

    public var fields: [String] {
        [map, strategy, String(load), String(liveKeys), String(slotsFilled), String(slotsChurned),
         formatFixed(rehashesPerMillionOps, digits: 1), String(tombstones), String(overflowBuckets),
         Report.mib(storageBytesFilled), Report.mib(storageBytesChurned)]
    }
}
