// Go's `any` as sync.Map keeps keys and values: a 16-byte interface slot
// (type word, data word) and the boxes conversions to `any` allocate
// (src/runtime/iface.go `convT64`, `convTstring`, `convT`). Shared by the
// sync.Map models (SyncMap119.swift, SyncTrie.swift).
//
// The type word of a real `any` points at a static type descriptor, never
// into the heap, so the lab writes a small tag there instead: the kind of
// the boxed key (word, string, bytes) and its size. The data word points at
// the box on the lab heap, at a static (`staticuint64s`, `zeroVal`), or — for
// a lookup, whose key Go's escape analysis keeps on the stack — at the
// caller's own bytes. A value of pointer shape (a `*T`, Go's `isdirectiface`)
// is the data word itself, with no box.

#if canImport(Glibc)
import Glibc
#endif
import LabHeap

/// Type words of boxed keys: the kind in the top byte, the size below.
enum InterfaceTypeWord {
    static let word: UInt64 = 1 << 56
    static let string: UInt64 = 2 << 56
    static let bytes: UInt64 = 3 << 56
    /// The type word of a key of `type`'s kind.
    static func of(_ type: MapType) -> UInt64 {
        switch type.keyKind {
        case .word: word | 8
        case .string: string | 16
        case .bytes, .interface: bytes | UInt64(type.keySize)
        }
    }
    /// The type word of a boxed value (only compared, never hashed).
    static let value: UInt64 = 4 << 56
}

/// Go's `staticuint64s` (iface.go): `convT64` of a value below 256 points
/// here instead of allocating. Outside the lab heap, as Go's is in the data
/// segment. Also Go's `zeroVal` (the data word of a zero-size or empty
/// value): its first word is 0.
nonisolated(unsafe) let staticUInt64s: UnsafeMutablePointer<UInt64> = {
    let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
    for i in 0..<256 { p[i] = UInt64(i) }
    return p
}()

/// Go's `zeroVal` (runtime/map.go, iface.go): the data word of an empty
/// string or a zero-size value converted to `any`.
nonisolated(unsafe) let zeroValue: UnsafeMutableRawPointer = {
    let p = UnsafeMutableRawPointer.allocate(byteCount: 1024, alignment: 16)
    p.initializeMemory(as: UInt8.self, repeating: 0, count: 1024)
    return p
}()

/// An `any` key slot: hashed and compared by the boxed key, as Go's
/// `nilinterhash` / `efaceeq` hash and compare by the dynamic type's own
/// functions.
enum InterfaceKey: MapKeyOps {
    @inline(__always) static func parts(_ key: UnsafeRawPointer) -> (type: UInt64, data: UnsafeRawPointer) {
        (key.load(as: UInt64.self), key.load(fromByteOffset: 8, as: UnsafeRawPointer.self))
    }

    static func hash(_ key: UnsafeRawPointer, size: Int, seed: UInt64) -> UInt64 {
        let (t, data) = parts(key)
        switch t & (0xFF << 56) {
        case InterfaceTypeWord.word: return WordKey.hash(data, size: 8, seed: seed)
        case InterfaceTypeWord.string: return StringKey.hash(data, size: 16, seed: seed)
        default: return BytesKey.hash(data, size: Int(t & 0xFFFF_FFFF), seed: seed)
        }
    }

    static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, size: Int) -> Bool {
        let (ta, da) = parts(a), (tb, db) = parts(b)
        guard ta == tb else { return false }
        switch ta & (0xFF << 56) {
        case InterfaceTypeWord.word: return WordKey.equal(da, db, size: 8)
        case InterfaceTypeWord.string: return StringKey.equal(da, db, size: 16)
        default: return BytesKey.equal(da, db, size: Int(ta & 0xFFFF_FFFF))
        }
    }

    /// Go's `needkeyupdate` is true for interface keys.
    static var needsKeyUpdate: Bool { true }
}

/// How a map type's keys and values become `any`, and the heap types of
/// their boxes. Registered once per heap and map type (`MHeap.memoized`).
final class InterfaceBoxing: @unchecked Sendable {
    /// What a value of the user's map type is as an `any`.
    enum ValueShape {
        /// Pointer-shaped (Go's `isdirectiface`): the data word is the value.
        case direct
        /// Boxed in an object of this many bytes (`convT64`, `convT`).
        case boxed(Int)
        /// Zero-size: the data word is `zeroVal`.
        case zero
    }

    let keyTypeWord: UInt64
    let keySize: Int
    let keyKind: MapType.KeyKind
    /// The key's box (`convT64`'s 8 bytes, `convTstring`'s string header,
    /// `convT`'s copy of a key of any other shape).
    let keyBox: ObjectType
    let valueShape: ValueShape
    /// The value's box when it has one.
    let valueBox: ObjectType?
    let valueSize: Int
    /// Go's `any` on the heap (`&i` escaping: sync.Map's `*interface{}`):
    /// 16 bytes, the data word a pointer.
    let anyBox: ObjectType

    init(heap: MHeap, type: MapType) {
        keyTypeWord = InterfaceTypeWord.of(type)
        keySize = type.keySize
        keyKind = type.keyKind
        let name = type.bucket.id.description
        switch type.keyKind {
        case .word: keyBox = heap.registerType(name: "convT64(key)", size: 8)
        case .string: keyBox = heap.registerType(name: "convTstring(key)", size: 16, pointerWords: [0])
        case .bytes, .interface:
            keyBox = heap.registerType(name: "convT(key \(name))", size: max(1, type.keySize),
                                       pointerWords: type.keyPointerWords)
        }
        valueSize = type.valueSize
        if type.valueSize == 0 {
            valueShape = .zero
            valueBox = nil
        } else if type.valueSize == 8 && type.valuePointerWords == [0] {
            valueShape = .direct
            valueBox = nil
        } else {
            valueShape = .boxed(type.valueSize)
            valueBox = heap.registerType(name: type.valueSize == 8 && type.valuePointerWords.isEmpty
                                            ? "convT64(value)" : "convT(value \(name))",
                                         size: type.valueSize, pointerWords: type.valuePointerWords)
        }
        anyBox = heap.registerType(name: "*interface {}", size: 16, pointerWords: [1])
    }

    /// The boxing for `type` on `heap`, registered once.
    static func of(_ type: MapType, heap: MHeap) -> InterfaceBoxing {
        heap.memoized("InterfaceBoxing:\(type.bucket.id.rawValue)") { InterfaceBoxing(heap: heap, type: type) }
    }

    /// Converts the key at `key` (as a slot of the user's map holds it) to an
    /// escaping `any`: writes the type word and the data word of a box on the
    /// heap (or a static) to `slot`.
    func boxKey(_ key: UnsafeRawPointer, into slot: UnsafeMutableRawPointer, mutator: Mutator) {
        slot.storeBytes(of: keyTypeWord, as: UInt64.self)
        let data: UnsafeRawPointer
        switch keyKind {
        case .word:
            let k = key.load(as: UInt64.self)
            if k < 256 {
                data = UnsafeRawPointer(staticUInt64s + Int(k))
            } else {
                let box = allocate(keyBox, mutator)
                box.storeBytes(of: k, as: UInt64.self)
                data = UnsafeRawPointer(box)
            }
        case .string:
            if key.load(fromByteOffset: 8, as: Int.self) == 0 {
                data = UnsafeRawPointer(zeroValue)
            } else {
                let box = mutator.allocate(keyBox)
                box.copyMemory(from: key, byteCount: 16)
                data = UnsafeRawPointer(box)
            }
        case .bytes, .interface:
            let box = allocate(keyBox, mutator)
            box.copyMemory(from: key, byteCount: keySize)
            data = UnsafeRawPointer(box)
        }
        slot.storeBytes(of: data, toByteOffset: 8, as: UnsafeRawPointer.self)
    }

    /// A box as mallocgc places it: pointer-free boxes under 16 bytes (an
    /// integer's, a small array's) in a shared tiny block, others alone.
    private func allocate(_ box: ObjectType, _ mutator: Mutator) -> UnsafeMutableRawPointer {
        box.isTiny ? mutator.allocateTiny(box.size) : mutator.allocate(box)
    }

    /// Heap bytes of the box at `p`: none for a static, its own size in a
    /// shared tiny block (the block's other half is another box's), else
    /// its object's.
    func boxBytes(_ p: UnsafeRawPointer, _ box: ObjectType, heap: MHeap) -> Int {
        if Self.isStatic(p) { return 0 }
        return box.isTiny ? box.size : heap.objectBytes(UnsafeMutableRawPointer(mutating: p))
    }

    /// A non-escaping `any` of the key at `key` (a lookup's or delete's: Go
    /// keeps its data on the stack): the data word is `key` itself.
    @inline(__always)
    func probeKey(_ key: UnsafeRawPointer, into slot: UnsafeMutableRawPointer) {
        slot.storeBytes(of: keyTypeWord, as: UInt64.self)
        slot.storeBytes(of: key, toByteOffset: 8, as: UnsafeRawPointer.self)
    }

    /// The data word of a value converted to `any`: for a boxed value, a new
    /// box (or, for an 8-byte number known now and below 256, the static
    /// table); for a direct one, `word` (0 until the caller writes it).
    func valueData(_ word: UInt64?, mutator: Mutator) -> UInt64 {
        switch valueShape {
        case .direct: return word ?? 0
        case .zero: return UInt64(UInt(bitPattern: zeroValue))
        case .boxed:
            if let word, valueSize == 8, valueBox!.noscan, word < 256 {
                return UInt64(UInt(bitPattern: staticUInt64s + Int(word)))
            }
            let box = allocate(valueBox!, mutator)
            if let word { box.storeBytes(of: word, as: UInt64.self) }
            return UInt64(UInt(bitPattern: box))
        }
    }

    /// The value's storage (`valueSize` bytes) of the `any` at `slot` (two
    /// words): the data word itself for a direct value, else what it points to.
    @inline(__always)
    func valueStorage(_ slot: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        switch valueShape {
        case .direct: return slot + 8
        case .zero, .boxed: return slot.load(fromByteOffset: 8, as: UnsafeMutableRawPointer.self)
        }
    }

    /// The key's storage of the `any` key slot at `slot`: its box.
    @inline(__always)
    func keyStorage(_ slot: UnsafeRawPointer) -> UnsafeRawPointer {
        slot.load(fromByteOffset: 8, as: UnsafeRawPointer.self)
    }

    /// The seam's key word of an `any` key slot: the first word of the key
    /// as the user's map slot would hold it (a box is at least 8 bytes).
    @inline(__always)
    func keyWord(_ slot: UnsafeRawPointer) -> UInt64 {
        keyStorage(slot).load(as: UInt64.self)
    }

    /// The seam's value word of the `any` at `slot`.
    @inline(__always)
    func valueWord(_ slot: UnsafeMutableRawPointer) -> UInt64 {
        switch valueShape {
        case .direct: return slot.load(fromByteOffset: 8, as: UInt64.self)
        case .zero: return 0
        case .boxed: return valueStorage(slot).load(as: UInt64.self)
        }
    }

    /// Whether `p` is a static the boxing points at instead of a heap box.
    @inline(__always)
    static func isStatic(_ p: UnsafeRawPointer) -> Bool {
        let a = UInt(bitPattern: p)
        let table = UInt(bitPattern: staticUInt64s)
        let zero = UInt(bitPattern: zeroValue)
        return (a >= table && a < table + 256 * 8) || (a >= zero && a < zero + 1024)
    }
}
