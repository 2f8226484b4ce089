// Bucket clearing strategies: what a map does to memory when entries go
// away. Each policy is independent; presets name useful combinations
// (`Strategy.presets`, Strategy.swift); hooks let a user add behaviour
// without touching the probe loops (MapHooks.swift). Go 1.19's behaviour is
// `ClearingPolicy.go`.

import LabHeap

/// What a delete does to the key and value words of the slot it empties.
public enum SlotClearing: String, Sendable, CaseIterable {
    /// Only the tophash changes: stale key and value words stay, and whatever
    /// they point to stays reachable (the leak the seed article describes).
    case none
    /// Go 1.19 `mapdelete`: clear the key if it holds pointers, always clear
    /// the value.
    case go
    /// Zero the whole key and value.
    case full
    /// Zero only the words that hold pointers, by the map type's masks.
    case pointers
}

/// What happens to an overflow bucket once its last entry is deleted.
public enum OverflowPolicy: String, Sendable, CaseIterable {
    /// Go: it stays in its chain until the map is dropped.
    case keep
    /// Unlink it from its chain (no iterator open) so the next collection
    /// frees it; implemented as a `MapHooks` handler, as a user policy would be.
    case reclaim
}

/// Whether a map ever gets smaller.
public enum ShrinkPolicy: Sendable, Equatable {
    /// Go (golang/go#20135).
    case never
    /// When a delete leaves count < f × 6.5 × 2^B, halve B — repeatedly while
    /// that still holds — and rehash into the smaller array, unless growing or
    /// iterated. With f ≤ 0.25 a shrunk map sits at most half-way to its next
    /// grow, so a count hovering at the threshold cannot thrash.
    case below(Double)

    public static let maxFraction = 0.25
}

/// How a grow moves entries.
public enum EvacuationPolicy: String, Sendable, CaseIterable {
    /// Go: two old buckets per insert or delete.
    case incremental
    /// All at once, in the insert that triggered the grow.
    case eager
}

/// What a map does when deletes bring its count to 0.
public enum EmptyMapPolicy: String, Sendable, CaseIterable {
    /// Go: keep every bucket.
    case keep
    /// Let go of the bucket array (B back to 0); the next insert allocates
    /// a new one.
    case release
}

/// What `removeAll()` does.
public enum ClearAllPolicy: String, Sendable, CaseIterable {
    /// Go 1.21 `clear(m)`: zero the array in place, keep B.
    case zeroInPlace = "zero-in-place"
    /// Let go of the array (B back to 0).
    case release
}

/// Moving sparse payloads at collection time (no runtime map does this).
public enum RelocationPolicy: Sendable, Equatable {
    case off
    /// During a collection, payloads referenced only from this map's live
    /// slots (not pinned, not reached otherwise) whose span is below
    /// occupancy t are copied into dense spans and the slots updated.
    case sparse(Double)
}

/// A bucket clearing strategy: one choice per policy.
public struct ClearingPolicy: Sendable, Equatable {
    public var slotClearing: SlotClearing
    public var overflow: OverflowPolicy
    public var shrink: ShrinkPolicy
    public var evacuation: EvacuationPolicy
    public var emptyMap: EmptyMapPolicy
    public var clearAll: ClearAllPolicy
    public var relocation: RelocationPolicy

    public init(slotClearing: SlotClearing = .go, overflow: OverflowPolicy = .keep, shrink: ShrinkPolicy = .never,
                evacuation: EvacuationPolicy = .incremental, emptyMap: EmptyMapPolicy = .keep,
                clearAll: ClearAllPolicy = .zeroInPlace, relocation: RelocationPolicy = .off) {
        self.slotClearing = slotClearing
        self.overflow = overflow
        self.shrink = shrink
        self.evacuation = evacuation
        self.emptyMap = emptyMap
        self.clearAll = clearAll
        self.relocation = relocation
    }

    /// Go 1.19 (with Go 1.21's `clear`).
    public static let go = ClearingPolicy()
}
