// What a slot-clearing policy does to the words of a slot a delete empties,
// for every map model. See ClearingPolicy.swift.

extension SlotClearing {
    /// Clears the key slot `k` and value slot `v` of a deleted entry of a
    /// map of `type` (slots hold a pointer when the key or value is out of
    /// line).
    @inline(__always)
    func clear(key k: UnsafeMutableRawPointer, value v: UnsafeMutableRawPointer, of type: MapType) {
        switch self {
        case .none:
            break
        case .go:
            if type.indirectKey { k.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self) }
            else if type.keySlotHasPointers { zeroSlot(k, bytes: type.keySlotSize) }
            zeroSlot(v, bytes: type.valueSlotSize)
        case .full:
            zeroSlot(k, bytes: type.keySlotSize)
            zeroSlot(v, bytes: type.valueSlotSize)
        case .pointers:
            if type.indirectKey { k.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self) }
            else { for w in type.keyPointerWords { k.storeBytes(of: 0, toByteOffset: w * 8, as: UInt64.self) } }
            if type.indirectValue { v.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self) }
            else { for w in type.valuePointerWords { v.storeBytes(of: 0, toByteOffset: w * 8, as: UInt64.self) } }
        }
    }
}
