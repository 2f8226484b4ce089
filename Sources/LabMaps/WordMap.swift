// A typed face of the map-model seam for the shapes the workloads use:
// `UInt64` keys and one-word values. See MapModel.swift.

import LabHeap

/// A map from `UInt64` to a one-word value (`UInt64`, or a pointer to a
/// payload on the lab heap) of any map model, driven through the seam alone
/// (`MapModel`). Its accessors are inlinable, so a caller that names the
/// model reaches the model's own fast path for 8-byte keys in one call.
public struct WordMap<Model: MapModel, Value: BitwiseCopyable> {
    /// The map itself.
    public let raw: Model

    public init(type: MapType, mutator: Mutator, policy: ClearingPolicy = .go, seed: UInt64? = nil, hint: Int = 0) {
        precondition(type.isWordKey && type.valueSize == 8 && MemoryLayout<Value>.size == 8 && !type.indirectValue,
                     "WordMap needs 8-byte keys and 8-byte values")
        raw = Model(type: type, mutator: mutator, policy: policy, seed: seed, hint: hint)
    }

    @inlinable public var count: Int { raw.count }

    @inlinable
    public subscript(key: UInt64) -> Value? {
        get {
            guard let word = raw.value(forKey: key) else { return nil }
            return unsafeBitCast(word, to: Value.self)
        }
        nonmutating set {
            if let newValue {
                raw.updateValue(unsafeBitCast(newValue, to: UInt64.self), forKey: key)
            } else {
                raw.removeValue(forKey: key)
            }
        }
    }

    @inlinable
    public func contains(_ key: UInt64) -> Bool { raw.value(forKey: key) != nil }

    /// Deletes `key`; false when absent.
    @inlinable @discardableResult
    public func removeValue(forKey key: UInt64) -> Bool { raw.removeValue(forKey: key) }

    /// Go 1.21 `clear(m)`.
    public func removeAll() { raw.removeAll() }

    /// Every entry (a complete range loop).
    public func forEach(_ body: (UInt64, Value) throws -> Void) rethrows {
        try raw.forEachEntry { k, v in try body(k, unsafeBitCast(v, to: Value.self)) }
    }

    /// Opens an iteration (Go's `for k, v := range m`).
    public func makeIterator() -> Model.Iteration { raw.makeIteration() }
}
