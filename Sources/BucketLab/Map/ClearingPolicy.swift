// What the map does to memory when entries go away. Go 1.19's behaviour is
// one value; the strategies work composes others. See BucketMap.swift.

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

/// The map's clearing behaviour, consulted outside the probe loops.
public struct ClearingPolicy: Sendable, Equatable {
    public var slotClearing: SlotClearing

    public init(slotClearing: SlotClearing = .go) {
        self.slotClearing = slotClearing
    }

    /// Go 1.19.
    public static let go = ClearingPolicy(slotClearing: .go)
}
