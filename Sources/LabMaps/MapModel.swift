// The map-model seam: everything the harness and the collector may ask of a
// map, whichever generation of Go's map it models. The harness (BucketLab)
// drives maps through this protocol alone — it never sees a bucket, a
// tophash or a header field — so a second model plugs in by adding one type
// that conforms and listing it in `MapModels.all`.
//
// The seam speaks in 8-byte words where it can: keys are `UInt64` (or Go
// strings), values `UInt64` words (a plain number, or the address of a
// payload on the lab heap when the map type's value is a pointer) — the
// built-in workloads' shapes, on each model's fast paths. Keys and values of
// any other shape (`[N]byte` keys, struct values, out-of-line ones) go
// through raw entry points: the key's bytes in, the value's storage out, as
// Go's mapaccess / mapassign take them. `WordMap` (WordMap.swift) types the
// words for any model; the raw and string entry points are shared by both
// models (MapModel+RawKeys.swift).

import LabHeap

/// The heap bytes a map holds, by kind of storage (size-class rounded, as the
/// heap counts them).
public struct MapMemory: Sendable, Equatable {
    /// The map's header object (Go's `hmap` / `Map`) and what hangs off it
    /// for bookkeeping (classic: `mapextra` and its overflow lists).
    public var headerBytes = 0
    /// The current storage: the bucket array (classic), or the tables' groups.
    public var bucketBytes = 0
    /// Storage a grow has replaced but not yet let go (classic: the old array
    /// during incremental evacuation).
    public var oldBucketBytes = 0
    /// Overflow buckets allocated as heap objects of their own (classic).
    public var overflowBytes = 0
    /// Directory and table headers (Swiss).
    public var directoryBytes = 0
    /// Objects a map allocates per key beside its storage (sync.Map: key
    /// boxes, entries, value `any`s; the hash-trie: entries).
    public var entryBytes = 0
    /// Overflow buckets chained in the current storage (spares of the array
    /// included; classic).
    public var overflowBucketCount = 0

    public init() {}

    /// Storage bytes without the header: what a `bucket_bytes` column reports.
    public var storageBytes: Int { bucketBytes + oldBucketBytes + overflowBytes + directoryBytes + entryBytes }
}

/// How a clearing policy fits a map model.
public struct PolicyFit: Sendable {
    /// The settings the model has no use for, each with why.
    public var unused: [(setting: String, reason: String)] = []
    /// The policy as the model acts on it: unused settings at Go's values.
    public var effective: ClearingPolicy

    public init(_ policy: ClearingPolicy) { effective = policy }
}

/// An open iteration through the seam.
public protocol MapIteration: AnyObject {
    /// The next entry, or nil at the end (which closes the iteration).
    func nextEntry() -> (key: UInt64, value: UInt64)?
    /// Ends the iteration early: the storage it held is no longer a root.
    func close()
    var isOpen: Bool { get }
}

/// A map on the lab heap, as the harness and the collector see it. Maps are
/// roots of their heap for as long as they live (`RootHolder`).
public protocol MapModel: AnyObject, RootHolder {
    associatedtype Iteration: MapIteration

    /// The model's name in result files and on the command line.
    static var modelName: String { get }

    /// The span layout of the Go version the model stands for: a heap made
    /// for this model's runs lays out its spans as that Go does.
    static var spanLayout: SpanLayout { get }

    /// Heap bytes per entry of a `UInt64 → UInt64` map at its worst: just
    /// after a grow, with the old storage still held (for sizing a run
    /// before it starts).
    static var worstCaseBytesPerWordEntry: Int { get }

    /// What of `policy` this model uses (`bucketlab list` prints the rest,
    /// so a preset never silently does nothing).
    static func fit(_ policy: ClearingPolicy) -> PolicyFit

    /// A new, empty map of `type` allocating through `mutator`.
    /// - Parameters:
    ///   - seed: fixes the hash seed and every random choice of the map
    ///     (reproducible runs); nil draws them from the system.
    ///   - hint: Go's `make(map[K]V, hint)`: storage sized for `hint` entries
    ///     up front; 0 = none.
    init(type: MapType, mutator: Mutator, policy: ClearingPolicy, seed: UInt64?, hint: Int)

    var count: Int { get }
    /// The value stored for `key`, or nil.
    func value(forKey key: UInt64) -> UInt64?
    /// Inserts `key` or overwrites its value (Go's `m[k] = v`).
    func updateValue(_ value: UInt64, forKey key: UInt64)
    /// Deletes `key` (Go's `delete(m, k)`); false when it was absent.
    @discardableResult func removeValue(forKey key: UInt64) -> Bool
    /// Go 1.21's `clear(m)`, or what the policy says instead.
    func removeAll()

    // String keys (a map of `MapType.stringToPointer`): Go's `string` is the
    // address of its bytes and a length; the slot keeps both and keys compare
    // by content.

    /// The value for the `count` bytes at `bytes`, or nil.
    func value(forString bytes: UnsafeRawPointer, count: Int) -> UInt64?
    /// Inserts or overwrites; the map keeps `bytes` — an object on the lab
    /// heap, as Go keeps the string it was given — as the key.
    func updateValue(_ value: UInt64, forString bytes: UnsafeRawPointer, count: Int)
    /// Deletes the key equal to the `count` bytes at `bytes`.
    @discardableResult func removeValue(forString bytes: UnsafeRawPointer, count: Int) -> Bool

    // Keys of any shape: `key` points at `type.keySize` bytes as a slot holds
    // the key inline (a Go string header for string keys; the key's own
    // bytes when the map keeps it out of line). The result is the value's
    // storage, `type.valueSize` bytes: the slot, or the value's own object
    // when the map keeps values out of line.

    /// The value's storage for the key at `key`, or nil.
    func valueSlot(forKeyAt key: UnsafeRawPointer) -> UnsafeMutableRawPointer?
    /// The value's storage for the key, inserting the key with a zeroed
    /// value if absent (Go's mapassign: the caller writes the value). An
    /// out-of-line key or value is allocated here, as Go allocates it.
    func insertionSlot(forKeyAt key: UnsafeRawPointer) -> UnsafeMutableRawPointer
    /// Deletes the key at `key`; false when it was absent.
    @discardableResult func removeEntry(forKeyAt key: UnsafeRawPointer) -> Bool
    /// Opens an iteration (Go's `for k, v := range m`). It is a root of the
    /// storage it walks until it ends or is closed.
    func makeIteration() -> Iteration
    /// Calls `body` with every entry (a complete range loop); a model may
    /// walk its storage more directly than through `makeIteration`.
    func forEachEntry(_ body: (UInt64, UInt64) throws -> Void) rethrows

    /// What the map holds on the heap now.
    var memory: MapMemory { get }
    /// An address inside the map's main storage, past its start (the seed's
    /// leaked reference into one bucket's value); nil while it has none.
    var interiorAddress: UnsafeMutableRawPointer? { get }
    /// The count at which a map grown by inserts from empty grows next, for
    /// the smallest storage whose limit is at least `n`: fill to it, and the
    /// next insert starts a grow.
    func growthThreshold(atLeast n: Int) -> Int
    /// Whether a grow has started and not finished (incremental evacuation).
    var isGrowing: Bool { get }
    /// Grows, same-size grows and shrinks so far: each rehashes the map.
    var rehashCount: Int { get }
    /// Slots of the current storage (classic: 8 per bucket of the array,
    /// overflow buckets not counted; swiss: every table's capacity, or a
    /// small map's 8): `count / slotCapacity` is the map's load.
    var slotCapacity: Int { get }
    /// Deleted slots that no insert may reuse until a rehash or a prune
    /// (swiss: control byte 0xFE); 0 for classic, where any insert into a
    /// bucket reuses its deleted (emptyOne) slots.
    var tombstoneCount: Int { get }
    /// Every broken structural invariant, described; empty when sound.
    /// Debug builds check it after mutations (MapModel+Invariants.swift).
    func invariantViolations() -> [String]

    // For the collector.

    /// The occupancy threshold below which a collection may move this map's
    /// payloads out of their spans now (`relocate=sparse:T`), or nil: off,
    /// growing, or iterated.
    var relocationThreshold: Double? { get }
    /// The heap objects that hold the map's slots (for relocation).
    var storageObjects: [UnsafeMutableRawPointer] { get }
}

extension MapModel {
    /// A complete range loop through `makeIteration`.
    public func forEachEntry(_ body: (UInt64, UInt64) throws -> Void) rethrows {
        let it = makeIteration()
        defer { it.close() }
        while let (k, v) = it.nextEntry() { try body(k, v) }
    }
}

/// The map models the lab knows, by name.
public enum MapModels {
    public static var all: [any MapModel.Type] { [BucketMap.self, SwissMap.self, SyncMap119.self, SyncTrie.self] }

    public static var names: [String] { all.map { $0.modelName } }

    /// What `--map` runs unless told: Go's map of each generation. The
    /// sync.Map models run when named (or with `all`): they answer another
    /// question, and would double every run's time.
    public static var defaults: [any MapModel.Type] { [BucketMap.self, SwissMap.self] }
    public static var defaultNames: [String] { defaults.map { $0.modelName } }

    /// Names for error messages: every model, and `all`.
    public static var validNames: String { (names + ["all"]).joined(separator: ", ") }

    public static func named(_ name: String) -> (any MapModel.Type)? {
        all.first { $0.modelName == name }
    }

    /// Whether the named model stands for Go 1.19 (the classic map and Go
    /// 1.19's sync.Map) rather than current Go (Swiss tables, the hash-trie
    /// sync.Map): the runtime models calibrated per Go version (GC cost,
    /// memory limit) take that Go's figures. The span layout says it.
    public static func standsForGo119(_ name: String) -> Bool {
        named(name)?.spanLayout == .go119
    }

    /// Whether the named model is a sync.Map (the Go reference runs those
    /// with `-map syncmap`).
    public static func isSyncMap(_ name: String) -> Bool {
        named(name) is any SyncMapOperations.Type
    }

    /// The most any model needs per `UInt64 → UInt64` entry.
    public static var worstCaseBytesPerWordEntry: Int { all.map { $0.worstCaseBytesPerWordEntry }.max()! }
}

extension MHeap {
    /// Heap bytes of the object at `address` (size-class rounded; nil: 0).
    func objectBytes(_ address: UnsafeMutableRawPointer?) -> Int {
        address.flatMap { findObject($0)?.size } ?? 0
    }
}
