// The runtime description of a map's key and value (Go's `maptype`), shared
// by both map models: the classic bucket layout (Classic/BucketMap.swift)
// and the Swiss one it carries (Swiss/SwissLayout.swift).

import LabHeap

/// Go keeps keys and values over 128 bytes out of line (`maxKeySize`,
/// `maxElemSize` in map.go): the slot holds a pointer to a heap object.
public let maxInlineKeySize = 128
public let maxInlineValueSize = 128

/// Key and value layout of a map, the bucket layout it implies, and the heap
/// types it allocates (buckets, and out-of-line keys or values).
public struct MapType: Sendable {
    public let keySize: Int
    public let valueSize: Int
    /// 8-byte words of a key / value that hold heap pointers.
    public let keyPointerWords: [Int]
    public let valuePointerWords: [Int]
    public let indirectKey: Bool
    public let indirectValue: Bool
    /// Bytes one key / value takes in a bucket (8 when indirect).
    public let keySlotSize: Int
    public let valueSlotSize: Int
    /// tophash[8] + 8 keys + 8 values + overflow pointer.
    public let bucketSize: Int
    public let keysOffset: Int
    public let valuesOffset: Int
    public let overflowOffset: Int
    /// The heap type of one bucket (an array of them for a bucket array).
    public let bucket: ObjectType
    /// Heap types for out-of-line keys / values.
    public let keyObject: ObjectType?
    public let valueObject: ObjectType?
    public let headerType: ObjectType
    /// The same key and value in a Swiss map (Swiss/SwissLayout.swift).
    public let swiss: SwissLayout
    /// Go's `mapextra`, the `*[]*bmap` slice header and its backing array's
    /// element: what keeps a pointer-free map's overflow buckets alive
    /// (Classic/BucketMap+Extra.swift).
    let extraType: ObjectType
    let sliceHeaderType: ObjectType
    let overflowPointerType: ObjectType
    /// How keys hash and compare.
    public let keyKind: KeyKind
    /// Whether keys are one 8-byte word compared by value: the fast path.
    public var isWordKey: Bool { keyKind == .word }

    /// Whether a key (as stored in the slot) holds pointers: Go clears such
    /// keys on delete.
    public var keySlotHasPointers: Bool { indirectKey || !keyPointerWords.isEmpty }
    public var valueSlotHasPointers: Bool { indirectValue || !valuePointerWords.isEmpty }
    /// Go's `t.bucket.ptrdata != 0`. Without pointers a bucket is noscan (its
    /// overflow word is a `uintptr` to the collector; `mapextra`'s lists keep
    /// overflow buckets alive), evacuation never clears old buckets, and
    /// iterators root the overflow lists.
    public var bucketHasPointers: Bool { keySlotHasPointers || valueSlotHasPointers }

    /// How a map's keys hash and compare.
    public enum KeyKind: Sendable {
        /// One 8-byte word (Go's `*_fast64` paths).
        case word
        /// Go's `string`: pointer and length, compared by content.
        case string
        /// Any other key, by its bytes.
        case bytes
        /// Go's `any` (an interface slot: type word, data pointer), hashed
        /// and compared by the value the data word points to: sync.Map's
        /// `map[any]*entry` (Sync/InterfaceKey.swift).
        case interface
    }

    public init(heap: MHeap, keySize: Int, valueSize: Int,
                keyPointerWords: [Int] = [], valuePointerWords: [Int] = [], stringKeys: Bool = false,
                interfaceKeys: Bool = false, name: String = "map") {
        precondition(!interfaceKeys || (keySize == 16 && keyPointerWords == [1]),
                     "an interface key is a type word and a data pointer")
        precondition(!stringKeys || (keySize == 16 && keyPointerWords == [0]), "a string key is a pointer and a length")
        precondition(keySize > 0 && valueSize >= 0, "a map needs a key of at least one byte")
        precondition(keyPointerWords.isEmpty || keySize % 8 == 0, "a key with pointers must be a whole number of words")
        precondition(valuePointerWords.isEmpty || valueSize % 8 == 0, "a value with pointers must be a whole number of words")
        self.keySize = keySize
        self.valueSize = valueSize
        self.keyPointerWords = keyPointerWords.sorted()
        self.valuePointerWords = valuePointerWords.sorted()
        indirectKey = keySize > maxInlineKeySize
        indirectValue = valueSize > maxInlineValueSize
        keySlotSize = indirectKey ? 8 : keySize
        valueSlotSize = indirectValue ? 8 : valueSize
        keysOffset = 8
        valuesOffset = keysOffset + 8 * keySlotSize
        overflowOffset = Self.overflowOffset(keySlotSize: keySlotSize, valueSlotSize: valueSlotSize)
        bucketSize = overflowOffset + 8
        keyKind = interfaceKeys ? .interface : stringKeys ? .string : (keySize == 8 && !indirectKey ? .word : .bytes)

        keyObject = indirectKey
            ? heap.registerType(name: "\(name).key", size: keySize, pointerWords: keyPointerWords) : nil
        valueObject = indirectValue
            ? heap.registerType(name: "\(name).value", size: valueSize, pointerWords: valuePointerWords) : nil

        if indirectKey || indirectValue || !keyPointerWords.isEmpty || !valuePointerWords.isEmpty {
            // The bucket's pointer words: each slot's pointer words (or the
            // slot itself when out of line) and the overflow pointer.
            var words: [Int] = []
            for i in 0..<8 {
                let k = (keysOffset + i * keySlotSize)
                if indirectKey { words.append(k / 8) } else { words += keyPointerWords.map { k / 8 + $0 } }
                let v = (valuesOffset + i * valueSlotSize)
                if indirectValue { words.append(v / 8) } else { words += valuePointerWords.map { v / 8 + $0 } }
            }
            words.append(overflowOffset / 8)
            let layout = BucketLayout(
                slotCount: bucketCount, controlOffset: 0, liveness: .tophashAtLeast(minTopHash),
                keysOffset: keysOffset, keySlotBytes: keySlotSize, keyPointerWords: indirectKey ? [0] : self.keyPointerWords,
                valuesOffset: valuesOffset, valueSlotBytes: valueSlotSize,
                valuePointerWords: indirectValue ? [0] : self.valuePointerWords, overflowOffset: overflowOffset)
            bucket = heap.registerBucketType(name: "\(name).bucket", size: bucketSize, pointerWords: words, layout: layout)
        } else {
            // Go's noscan bucket: nothing in it is a pointer to the collector.
            bucket = heap.registerType(name: "\(name).bucket", size: bucketSize)
        }
        extraType = heap.registerType(name: "\(name).mapextra", size: MemoryLayout<MapExtra>.stride,
                                      pointerWords: MapExtra.pointerWords)
        sliceHeaderType = heap.registerType(name: "\(name).[]*bmap", size: MemoryLayout<SliceHeader>.stride,
                                            pointerWords: [0])
        overflowPointerType = heap.registerType(name: "\(name).*bmap", size: 8, pointerWords: [0])
        headerType = heap.registerType(name: "\(name).hmap", size: MemoryLayout<HMap>.stride,
                                       pointerWords: HMap.pointerWords)
        swiss = SwissLayout(heap: heap, name: name, keySlotSize: keySlotSize, valueSlotSize: valueSlotSize,
                            keyPointerWords: self.keyPointerWords, valuePointerWords: self.valuePointerWords,
                            indirectKey: indirectKey, indirectValue: indirectValue)
    }

    /// tophash[8], then 8 key slots, 8 value slots, the overflow word aligned.
    static func overflowOffset(keySlotSize: Int, valueSlotSize: Int) -> Int {
        (8 + 8 * keySlotSize + 8 * valueSlotSize + 7) & ~7
    }

    /// Bytes of one bucket for these slot sizes.
    public static func bucketSize(keySlotSize: Int, valueSlotSize: Int) -> Int {
        overflowOffset(keySlotSize: keySlotSize, valueSlotSize: valueSlotSize) + 8
    }

    /// `UInt64 → UInt64`: 144-byte noscan buckets.
    public static func uint64ToUInt64(heap: MHeap) -> MapType {
        MapType(heap: heap, keySize: 8, valueSize: 8, name: "map[uint64]uint64")
    }

    /// `string → pointer to a payload` (Go's `map[string]*T`): 16-byte key
    /// slots holding the bytes' address and the length.
    public static func stringToPointer(heap: MHeap) -> MapType {
        MapType(heap: heap, keySize: 16, valueSize: 8, keyPointerWords: [0], valuePointerWords: [0], stringKeys: true,
                name: "map[string]*payload")
    }

    /// `UInt64 → pointer to a payload on the lab heap`.
    public static func uint64ToPointer(heap: MHeap) -> MapType {
        MapType(heap: heap, keySize: 8, valueSize: 8, valuePointerWords: [0], name: "map[uint64]*payload")
    }
}

// MARK: Hashing

/// One word mixed with the map's seed by the lab's one finalizer
/// (`SplitMix64.mix`): every input bit affects every output bit, which the map
/// needs since it takes the bucket from the low bits and tophash from the top.
@inline(__always)
func hashWord(_ key: UInt64, seed: UInt64) -> UInt64 {
    SplitMix64.mix(key ^ seed)
}

/// Hash of `count` bytes: words folded through `hashWord`, then the length.
func hashBytes(_ p: UnsafeRawPointer, count: Int, seed: UInt64) -> UInt64 {
    var h = seed
    var i = 0
    while i + 8 <= count {
        h = hashWord(p.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ h, seed: seed)
        i += 8
    }
    if i < count {
        var tail: UInt64 = 0
        for j in i..<count { tail |= UInt64(p.load(fromByteOffset: j, as: UInt8.self)) << UInt64(8 * (j - i)) }
        h = hashWord(tail ^ h, seed: seed)
    }
    return hashWord(h ^ UInt64(count), seed: seed)
}
