// The seam's string-key entry points, once for both models: a Go string
// (address and length) becomes a string header on the stack, which each
// model's probe loops take as the key. See MapModel.swift.

import LabHeap

/// A model's probe loops for string keys, as the shared entry points below
/// call them. `header` is a Go string header (address, length).
protocol GoStringKeyProbes: MapModel {
    var type: MapType { get }
    /// The value slot of the key, or nil.
    func valueSlot(forStringHeader header: UnsafeRawPointer) -> UnsafeMutableRawPointer?
    /// The value slot of the key, inserting it if absent (Go's mapassign).
    func insertionSlot(forStringHeader header: UnsafeRawPointer) -> UnsafeMutableRawPointer
    /// Deletes the key; false when absent.
    func removeEntry(forStringHeader header: UnsafeRawPointer) -> Bool
}

extension GoStringKeyProbes {
    public func value(forString bytes: UnsafeRawPointer, count: Int) -> UInt64? {
        withStringHeader(bytes, count) { valueSlot(forStringHeader: $0)?.load(as: UInt64.self) }
    }

    public func updateValue(_ value: UInt64, forString bytes: UnsafeRawPointer, count: Int) {
        defer { _checkInvariantsAfterMutation() }
        withStringHeader(bytes, count) { insertionSlot(forStringHeader: $0).storeBytes(of: value, as: UInt64.self) }
    }

    @discardableResult
    public func removeValue(forString bytes: UnsafeRawPointer, count: Int) -> Bool {
        defer { _checkInvariantsAfterMutation() }
        return withStringHeader(bytes, count) { removeEntry(forStringHeader: $0) }
    }

    /// Calls `body` with a Go string header (address, length) for `count`
    /// bytes at `bytes`.
    private func withStringHeader<R>(_ bytes: UnsafeRawPointer, _ count: Int,
                                       _ body: (UnsafeRawPointer) -> R) -> R {
        precondition(type.keyKind == .string, "string keys on a map whose keys are not strings")
        return withUnsafeTemporaryAllocation(of: UInt.self, capacity: 2) { header in
            header[0] = UInt(bitPattern: bytes)
            header[1] = UInt(count)
            return body(UnsafeRawPointer(header.baseAddress!))
        }
    }
}
