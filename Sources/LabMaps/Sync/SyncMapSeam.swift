// The seam's key entry points, once for both sync.Map models: each keeps
// `any` keys (16-byte interface slots, InterfaceKey.swift) and has one
// Load, Store and Delete taking the key as a slot holds it; these wrap a
// word or a Go string into that slot. See MapModel.swift.

import LabHeap

/// A sync.Map model's Load, Store and Delete. `key` is the key as an
/// interface slot would box it: a word, or a Go string header.
protocol SyncMapOperations: MapModel {
    var type: MapType { get }
    /// The value's storage for the key, or nil.
    func load(_ key: UnsafeRawPointer) -> UnsafeMutableRawPointer?
    /// Stores `word` (nil: a zeroed value) for the key; returns the value's storage.
    func store(_ key: UnsafeRawPointer, word: UInt64?) -> UnsafeMutableRawPointer
    /// Deletes the key; false when absent.
    func delete(_ key: UnsafeRawPointer) -> Bool
}

extension SyncMapOperations {
    public func value(forKey key: UInt64) -> UInt64? {
        withUnsafePointer(to: key) { load($0)?.load(as: UInt64.self) }
    }

    public func updateValue(_ value: UInt64, forKey key: UInt64) {
        defer { _checkInvariantsAfterMutation() }
        withUnsafePointer(to: key) { _ = store($0, word: value) }
    }

    @discardableResult
    public func removeValue(forKey key: UInt64) -> Bool {
        defer { _checkInvariantsAfterMutation() }
        return withUnsafePointer(to: key) { delete($0) }
    }

    public func value(forString bytes: UnsafeRawPointer, count: Int) -> UInt64? {
        withGoStringHeader(type, bytes, count) { load($0)?.load(as: UInt64.self) }
    }

    public func updateValue(_ value: UInt64, forString bytes: UnsafeRawPointer, count: Int) {
        defer { _checkInvariantsAfterMutation() }
        withGoStringHeader(type, bytes, count) { _ = store($0, word: value) }
    }

    @discardableResult
    public func removeValue(forString bytes: UnsafeRawPointer, count: Int) -> Bool {
        defer { _checkInvariantsAfterMutation() }
        return withGoStringHeader(type, bytes, count) { delete($0) }
    }

    public func valueSlot(forKeyAt key: UnsafeRawPointer) -> UnsafeMutableRawPointer? { load(key) }

    public func insertionSlot(forKeyAt key: UnsafeRawPointer) -> UnsafeMutableRawPointer {
        defer { _checkInvariantsAfterMutation() }
        return store(key, word: nil)
    }

    @discardableResult
    public func removeEntry(forKeyAt key: UnsafeRawPointer) -> Bool {
        defer { _checkInvariantsAfterMutation() }
        return delete(key)
    }
}
