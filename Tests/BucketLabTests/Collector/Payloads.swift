@testable import BucketLab

/// 48-byte noscan payloads that carry their own checksum: word 0 the key,
/// word 1 a serial number, words 2...5 derived from both.
struct Payloads {
    let type: ObjectType
    let mutator: Mutator
    private(set) var serial: UInt64 = 0

    init(heap: MHeap, mutator: Mutator, bytes: Int = 48) {
        type = heap.registerType(name: "payload\(bytes)", size: bytes)
        self.mutator = mutator
    }

    static func word(_ key: UInt64, _ serial: UInt64, _ i: Int) -> UInt64 {
        hashWord(key ^ (serial << 20), seed: UInt64(i))
    }

    mutating func make(key: UInt64) -> UnsafeMutableRawPointer {
        serial += 1
        let p = mutator.allocate(type)
        p.storeBytes(of: key, as: UInt64.self)
        p.storeBytes(of: serial, toByteOffset: 8, as: UInt64.self)
        for i in 2..<(type.size / 8) { p.storeBytes(of: Self.word(key, serial, i), toByteOffset: i * 8, as: UInt64.self) }
        return p
    }

    /// Whether `p` still holds the payload made for `key`.
    func isIntact(_ p: UnsafeRawPointer, key: UInt64) -> Bool {
        guard p.load(as: UInt64.self) == key else { return false }
        let serial = p.load(fromByteOffset: 8, as: UInt64.self)
        return (2..<(type.size / 8)).allSatisfy { p.load(fromByteOffset: $0 * 8, as: UInt64.self) == Self.word(key, serial, $0) }
    }
}
