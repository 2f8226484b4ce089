// The seam's entry points for keys of any shape, once for both models: the
// key as a slot holds it inline in, the value's storage out — Go's mapaccess
// and mapassign for any `maptype`. A Go string (address and length) becomes
// a string header on the stack, which each model's probe loops take as the
// key. See MapModel.swift.

import LabHeap

/// A model's probe loops, generic over how keys hash and compare
/// (`MapKeyOps`), as the shared entry points below call them. `key` is
/// `type.keySize` bytes as a slot holds them inline: the key itself (also
/// when the slot keeps it out of line), or a Go string header (address,
/// length) for string keys.
protocol RawKeyProbes: MapModel {
    var type: MapType { get }
    /// The value's storage for the key, or nil.
    func valueSlot<K: MapKeyOps>(found key: UnsafeRawPointer, _: K.Type) -> UnsafeMutableRawPointer?
    /// The value's storage for the key, inserting it (zeroed) if absent.
    func assign<K: MapKeyOps>(_ key: UnsafeRawPointer, _: K.Type) -> UnsafeMutableRawPointer
    /// Deletes the key; false when absent.
    func delete<K: MapKeyOps>(_ key: UnsafeRawPointer, _: K.Type) -> Bool
}

extension RawKeyProbes {
    // The probe loops for this map type's kind of key.

    func probeValueSlot(_ key: UnsafeRawPointer) -> UnsafeMutableRawPointer? {
        switch type.keyKind {
        case .word: valueSlot(found: key, WordKey.self)
        case .string: valueSlot(found: key, StringKey.self)
        case .bytes: valueSlot(found: key, BytesKey.self)
        case .interface: valueSlot(found: key, InterfaceKey.self)
        }
    }

    func probeInsertionSlot(_ key: UnsafeRawPointer) -> UnsafeMutableRawPointer {
        switch type.keyKind {
        case .word: assign(key, WordKey.self)
        case .string: assign(key, StringKey.self)
        case .bytes: assign(key, BytesKey.self)
        case .interface: assign(key, InterfaceKey.self)
        }
    }

    func probeRemove(_ key: UnsafeRawPointer) -> Bool {
        switch type.keyKind {
        case .word: delete(key, WordKey.self)
        case .string: delete(key, StringKey.self)
        case .bytes: delete(key, BytesKey.self)
        case .interface: delete(key, InterfaceKey.self)
        }
    }

    public func valueSlot(forKeyAt key: UnsafeRawPointer) -> UnsafeMutableRawPointer? {
        probeValueSlot(key)
    }

    public func insertionSlot(forKeyAt key: UnsafeRawPointer) -> UnsafeMutableRawPointer {
        defer { _checkInvariantsAfterMutation() }
        return probeInsertionSlot(key)
    }

    @discardableResult
    public func removeEntry(forKeyAt key: UnsafeRawPointer) -> Bool {
        defer { _checkInvariantsAfterMutation() }
        return probeRemove(key)
    }

    public func value(forString bytes: UnsafeRawPointer, count: Int) -> UInt64? {
        withGoStringHeader(type, bytes, count) { probeValueSlot($0)?.load(as: UInt64.self) }
    }

    public func updateValue(_ value: UInt64, forString bytes: UnsafeRawPointer, count: Int) {
        defer { _checkInvariantsAfterMutation() }
        withGoStringHeader(type, bytes, count) { probeInsertionSlot($0).storeBytes(of: value, as: UInt64.self) }
    }

    @discardableResult
    public func removeValue(forString bytes: UnsafeRawPointer, count: Int) -> Bool {
        defer { _checkInvariantsAfterMutation() }
        return withGoStringHeader(type, bytes, count) { probeRemove($0) }
    }
}

/// Calls `body` with a Go string header (address, length) for `count` bytes
/// at `bytes`, as a key slot of a string-keyed map holds it.
func withGoStringHeader<R>(_ type: MapType, _ bytes: UnsafeRawPointer, _ count: Int,
                           _ body: (UnsafeRawPointer) -> R) -> R {
    precondition(type.keyKind == .string, "string keys on a map whose keys are not strings")
    return withUnsafeTemporaryAllocation(of: UInt.self, capacity: 2) { header in
        header[0] = UInt(bitPattern: bytes)
        header[1] = UInt(count)
        return body(UnsafeRawPointer(header.baseAddress!))
    }
}
