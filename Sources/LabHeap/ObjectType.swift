// Object types: what the heap records per object so a collector can mark
// precisely (Go keeps a type per span or heap bitmap; the lab keeps a type id
// per slot). See MHeap.swift.

/// Index into the heap's type table, stored with every object.
public struct TypeID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    public var description: String { "type#\(rawValue)" }
}

/// The heap's record of a type: its size and which 8-byte words hold pointers
/// into the heap. An object allocated with `count` > 1 is an array of it.
public struct TypeDescriptor: Sendable, Hashable {
    public let id: TypeID
    public let name: String
    /// Bytes of one element.
    public let size: Int
    /// Word offsets (in 8-byte words from the element start) that hold
    /// pointers, ascending. Empty means noscan.
    public let pointerWords: [Int]
    /// Set for a map's bucket type: where its slots are.
    public let bucketLayout: BucketLayout?

    public var noscan: Bool { pointerWords.isEmpty }
}

/// How a slotted object's control bytes say that a slot holds an entry.
public enum SlotLiveness: Sendable, Hashable {
    /// A classic map's tophash: a byte at or above the minimum is an entry;
    /// below it the slot is empty, deleted or evacuated.
    case tophashAtLeast(UInt8)
    /// A Swiss group's control byte: full when its high bit is clear (an
    /// H2); empty (0x80) and deleted (0xFE) have it set.
    case controlHighBitClear
}

/// Where a map's bucket keeps its slots: the collector reads each slot's
/// control byte to tell live entries from deleted ones (the leak audit), and
/// follows only the pointer words named here. Which map writes it is the map
/// tier's business; the heap only records it with the type.
public struct BucketLayout: Sendable, Hashable {
    /// Slots per bucket, and where their control bytes start (one byte each).
    public let slotCount: Int
    public let controlOffset: Int
    public let liveness: SlotLiveness
    public let keysOffset: Int
    public let keySlotBytes: Int
    /// Pointer words within one key slot / value slot. `keySlotBytes` and
    /// `valueSlotBytes` are the strides from one slot's key (value) to the
    /// next: a classic bucket keeps its keys together, a Swiss group
    /// interleaves key and value per slot.
    public let keyPointerWords: [Int]
    public let valuesOffset: Int
    public let valueSlotBytes: Int
    public let valuePointerWords: [Int]
    /// The overflow pointer's offset, or nil when the bucket has none the
    /// collector must follow.
    public let overflowOffset: Int?

    public init(slotCount: Int, controlOffset: Int, liveness: SlotLiveness, keysOffset: Int, keySlotBytes: Int,
                keyPointerWords: [Int], valuesOffset: Int, valueSlotBytes: Int, valuePointerWords: [Int],
                overflowOffset: Int?) {
        self.slotCount = slotCount
        self.controlOffset = controlOffset
        self.liveness = liveness
        self.keysOffset = keysOffset
        self.keySlotBytes = keySlotBytes
        self.keyPointerWords = keyPointerWords
        self.valuesOffset = valuesOffset
        self.valueSlotBytes = valueSlotBytes
        self.valuePointerWords = valuePointerWords
        self.overflowOffset = overflowOffset
    }
}

/// What the allocation fast path needs of a type, resolved once at
/// registration so allocating costs no table look-up.
public struct ObjectType: Sendable, Hashable {
    /// Go's maxTinySize: pointer-free objects below it may share a block
    /// (Mutator.allocateTiny).
    public static let maxTinySize = 16
    /// Whether Go would place objects of this type in tiny blocks.
    public var isTiny: Bool { noscan && size < Self.maxTinySize }
    public let id: TypeID
    /// Bytes of one element (not rounded to its class).
    public let size: Int
    /// Span class of a single element.
    public let spanClass: SpanClass
    public let noscan: Bool
    /// Allocated as Go 1.22+ allocates: a pointer-holding object over 512
    /// bytes carries an 8-byte type header in its slot (`MallocHeader`).
    public let mallocHeader: Bool

    init(id: TypeID, size: Int, noscan: Bool, mallocHeader: Bool) {
        self.id = id
        self.size = size
        self.noscan = noscan
        self.mallocHeader = mallocHeader
        spanClass = SpanClass(sizeClass: MallocHeader.sizeClass(forBytes: max(size, 1), noscan: noscan,
                                                                 headers: mallocHeader).sizeClass, noscan: noscan)
    }
}

/// Go 1.22's allocation headers (runtime/malloc.go, mallocgc; the constants in
/// internal/runtime/gc/malloc.go): an object that holds pointers and is
/// larger than 512 bytes (`minSizeForMallocHeader` = pointer size × 64)
/// keeps its type in an 8-byte header at the start of its slot, so it asks
/// for 8 bytes more; objects too big for the largest size class with it are
/// large objects, whose span keeps the type instead. Go 1.19 had a heap
/// bitmap and no headers: a heap laid out as a later Go
/// (`SpanLayout.hasMallocHeaders`) gives every type headers, and the Swiss
/// map's own types ask for them on any heap.
public enum MallocHeader {
    @inlinable public static var size: Int { 8 }
    @inlinable public static var minObjectSize: Int { 512 }

    /// The size class (0: large) of an object of `bytes` and the bytes it
    /// asks of it. With `headers` (Go 1.22+, mallocgc): a pointer-holding
    /// object over 512 bytes asks 8 more, and anything over 32,760 bytes is
    /// large, even a noscan one of exactly 32 KiB (Go 1.19: class 67).
    @inlinable
    public static func sizeClass(forBytes bytes: Int, noscan: Bool, headers: Bool) -> (sizeClass: Int, bytes: Int) {
        guard headers else { return (SizeClasses.classIndex(forSize: bytes), bytes) }
        if bytes > maxSmallSize - size { return (0, bytes) }
        let asked = !noscan && bytes > minObjectSize ? bytes + size : bytes
        return (SizeClasses.classIndex(forSize: asked), asked)
    }
}

/// The registered types of one heap. Registration is rare and locked; lookups
/// by the collector happen with the world stopped.
final class TypeTable: @unchecked Sendable {
    private let lock = LabLock()
    private var descriptors: [TypeDescriptor] = []

    func register(name: String, size: Int, pointerWords: [Int], bucketLayout: BucketLayout?,
                  mallocHeader: Bool) -> ObjectType {
        precondition(size > 0, "a type needs a positive size")
        precondition(pointerWords.allSatisfy { $0 >= 0 && ($0 + 1) * 8 <= size },
                     "pointer words must lie inside the type")
        return lock.withLock {
            precondition(descriptors.count < AllocationSite.maxTypes, "too many types")
            let id = TypeID(rawValue: UInt16(descriptors.count))
            let words = Array(Set(pointerWords)).sorted()
            descriptors.append(TypeDescriptor(id: id, name: name, size: size, pointerWords: words,
                                              bucketLayout: bucketLayout))
            return ObjectType(id: id, size: size, noscan: words.isEmpty, mallocHeader: mallocHeader)
        }
    }

    subscript(id: TypeID) -> TypeDescriptor {
        lock.withLock { descriptors[Int(id.rawValue)] }
    }

    var all: [TypeDescriptor] { lock.withLock { descriptors } }

    var count: Int { lock.withLock { descriptors.count } }
}
