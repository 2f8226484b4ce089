// Hooks: how a user adds a clearing behaviour without editing the probe
// loops. The built-in `overflow=reclaim` policy is written with them.

import LabHeap

/// A slot a delete just emptied (after the slot-clearing policy ran, before
/// the tophash run is fixed up).
public struct DeletedSlot {
    public let bucket: UnsafeMutableRawPointer
    public let index: Int
    /// The key and value slots (holding pointers when stored out of line).
    public let keySlot: UnsafeMutableRawPointer
    public let valueSlot: UnsafeMutableRawPointer
}

/// An overflow bucket whose eight slots are all empty after a delete.
public struct EmptiedBucket {
    /// First bucket of the chain (in the bucket array).
    public let chainHead: UnsafeMutableRawPointer
    public let bucket: UnsafeMutableRawPointer
}

/// Handlers a map calls at the moments a clearing policy acts on. Each list
/// runs in order; the map's policy may add its own in front.
public struct MapHooks {
    public var slotDeleted: [(BucketMap, DeletedSlot) -> Void] = []
    public var bucketEmptied: [(BucketMap, EmptiedBucket) -> Void] = []
    /// After the last old bucket is evacuated and the old array let go.
    public var growFinished: [(BucketMap) -> Void] = []

    public init() {}

    var isEmpty: Bool { slotDeleted.isEmpty && bucketEmptied.isEmpty && growFinished.isEmpty }

    /// `overflow=reclaim`, written as a user would write it.
    public static func reclaimEmptyOverflowBuckets(_ map: BucketMap, _ event: EmptiedBucket) {
        map.unlinkOverflowBucket(event.bucket, chainHead: event.chainHead)
    }
}
