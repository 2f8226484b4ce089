import LabHeap
import LabMaps

// Keys and values of any shape a workload file may give its map
// (docs/workload-files.md, "The map's shape"), written through the seam's raw
// entry points: `[N]byte` keys, strings of many lengths, struct values with
// pointer words, anything over Go's 128-byte out-of-line limit, several maps.
// The three shapes the built-ins use (`uint64 → uint64`, `uint64 → *T`,
// `string → *T`, one map) take the seam's word and string fast paths in
// Workload+Run.swift instead; WorkloadFileTests proves both ways give the same
// memory columns.

/// How key i and its value are written for a map of a file's shape.
final class ShapedEntries {
    let r: WorkloadRun
    let shape: MapShape
    let type: MapType
    /// The key as a slot holds it inline (a string header for strings), for
    /// every call: off the lab heap, as a Go program's own variable is.
    private let keyBuf: UnsafeMutableRawPointer
    /// A probe's string bytes (a lookup's or delete's key is the program's
    /// own string, never kept).
    private let chars: UnsafeMutableRawPointer
    /// The value being built, copied into the slot once Go's mapassign has
    /// found it (Go evaluates the right-hand side first).
    private let staged: UnsafeMutableRawPointer
    /// Payload bytes when the file names none: `--payload-bytes`.
    private let defaultPayload: Int

    init(_ r: WorkloadRun, shape: MapShape) {
        self.r = r
        self.shape = shape
        type = Self.mapType(shape, heap: r.heap)
        keyBuf = .allocate(byteCount: max(16, type.keySize), alignment: 8)
        keyBuf.initializeMemory(as: UInt8.self, repeating: 0, count: max(16, type.keySize))
        chars = .allocate(byteCount: max(16, shape.key.bytes), alignment: 8)
        staged = .allocate(byteCount: max(8, type.valueSize), alignment: 8)
        defaultPayload = r.payloadBytes
    }

    deinit {
        keyBuf.deallocate()
        chars.deallocate()
        staged.deallocate()
    }

    /// The Go map type of the shape: `map[[N]byte]struct{...}` and the like.
    static func mapType(_ shape: MapShape, heap: MHeap) -> MapType {
        let keySize: Int, keyName: String
        switch shape.key.kind {
        case .uint64: (keySize, keyName) = (8, "uint64")
        case .string: (keySize, keyName) = (16, "string")
        case .bytes: (keySize, keyName) = (shape.key.bytes, "[\(shape.key.bytes)]byte")
        }
        let valueSize: Int, valueWords: [Int], valueName: String
        switch shape.value.kind {
        case .uint64: (valueSize, valueWords, valueName) = (8, [], "uint64")
        case .pointer: (valueSize, valueWords, valueName) = (8, [0], "*payload")
        case .struct:
            let v = shape.value
            (valueSize, valueWords) = (v.structBytes, v.pointerWords)
            valueName = "struct{\(v.structBytes)B" + (v.pointerWords.isEmpty ? "}" : "; ptr@\(v.pointerWords.map(String.init).joined(separator: ","))}")
        }
        return MapType(heap: heap, keySize: keySize, valueSize: valueSize,
                       keyPointerWords: shape.key.kind == .string ? [0] : [], valuePointerWords: valueWords,
                       stringKeys: shape.key.kind == .string, name: "map[\(keyName)]\(valueName)")
    }

    // MARK: Sizes

    @inline(__always)
    func keyLength(_ k: UInt64) -> Int { shape.key.length.bytes(forKey: k, salt: ByteSize.keyLengthSalt) }

    /// Bytes of each payload key `k`'s value points to: the insert step's
    /// override, else the file's size or draw, else `--payload-bytes`.
    func payloadBytes(forKey k: UInt64, override: Int?) -> Int {
        if let override { return override }
        return shape.value.payloadSize?.bytes(forKey: k, salt: ByteSize.payloadSalt) ?? defaultPayload
    }

    /// Heap bytes a live key holds besides its slots: its string, its
    /// out-of-line key and value objects, its payloads (for `live_bytes`).
    func heldBytes(forKey k: UInt64, payloadBytes size: Int) -> Int {
        var b = 0
        if shape.key.kind == .string { b += r.keyStringObjectBytes(keyLength(k)) }
        if type.indirectKey { b += type.keySize }
        if type.indirectValue { b += type.valueSize }
        switch shape.value.kind {
        case .uint64: break
        case .pointer: b += size
        case .struct: b += size * shape.value.pointerWords.count
        }
        return b
    }

    // MARK: Operations (each inside one `r.op`)

    /// Go's `m[key] = value`: the key (a string is made, Sprintf's box
    /// first), then the value (its payloads), then mapassign, which may
    /// allocate out-of-line key and value objects, then the copy.
    func insert(_ k: UInt64, index i: Int, payloadBytes size: Int, into map: any MapModel) {
        switch shape.key.kind {
        case .uint64, .bytes:
            keyBuf.storeBytes(of: k, as: UInt64.self)
        case .string:
            if shape.key.sprintf { r.boxSprintfArgument() }
            let n = keyLength(k)
            writeHeader(r.makeKeyString(k, bytes: n), n)
        }
        switch shape.value.kind {
        case .uint64:
            staged.storeBytes(of: UInt64(i), as: UInt64.self)
        case .pointer:
            staged.storeBytes(of: r.makePayload(k, type: payloadType(size)), as: UInt64.self)
        case .struct:
            staged.initializeMemory(as: UInt8.self, repeating: 0, count: type.valueSize)
            if size > 0 {
                let t = payloadType(size)
                for w in shape.value.pointerWords {
                    staged.storeBytes(of: r.makePayload(k, type: t), toByteOffset: 8 * w, as: UInt64.self)
                }
            }
        }
        map.insertionSlot(forKeyAt: keyBuf).copyMemory(from: staged, byteCount: type.valueSize)
    }

    func lookup(_ k: UInt64, in map: any MapModel) -> Bool {
        writeProbe(k)
        return map.valueSlot(forKeyAt: keyBuf) != nil
    }

    func delete(_ k: UInt64, from map: any MapModel) {
        writeProbe(k)
        map.removeEntry(forKeyAt: keyBuf)
    }

    /// The index of the key an iteration gave back as its first word: the
    /// key itself, or for a string the address of its 16 hex digits.
    func keyIndex(iteratedKey word: UInt64) -> Int {
        var k = word
        if shape.key.kind == .string {
            let p = UnsafeRawPointer(bitPattern: UInt(word))!
            k = 0
            for d in 0..<16 {
                let c = p.load(fromByteOffset: d, as: UInt8.self)
                k = k << 4 | UInt64(c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : c - UInt8(ascii: "a") + 10)
            }
        }
        return Int(truncatingIfNeeded: SplitMix64.unmix(k) ^ r.seed)
    }

    private func writeProbe(_ k: UInt64) {
        if shape.key.kind == .string {
            let n = keyLength(k)
            WorkloadRun.writeKeyString(k, bytes: n, into: chars)
            writeHeader(chars, n)
        } else {
            keyBuf.storeBytes(of: k, as: UInt64.self)
        }
    }

    private func writeHeader(_ p: UnsafeRawPointer, _ n: Int) {
        keyBuf.storeBytes(of: UInt(bitPattern: p), as: UInt.self)
        keyBuf.storeBytes(of: UInt(n), toByteOffset: 8, as: UInt.self)
    }

    private func payloadType(_ size: Int) -> ObjectType {
        size == r.payloadBytes ? r.payloadType : r.payloadType(bytes: size)
    }
}
