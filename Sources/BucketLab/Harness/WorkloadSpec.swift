import Foundation

// A workload file (docs/workload-files.md): the map's shape and the phases of
// steps to run on it. The built-in workloads are such files
// (Sources/BucketLab/Workloads/); Workload.swift loads them, and
// Workload+Run.swift runs a spec on a WorkloadRun.
//
// Decoding is strict: an unknown field is an error, and every error names
// the JSON path (`phases[1].steps[3].count: must be positive`).

/// The format's name and version, the first field of every file.
public let workloadFormat = "bucketlab-workload/1"

public struct WorkloadSpec: Sendable, Codable, Equatable {
    public var format: String
    public var name: String
    public var summary: String
    public var map: MapShape
    /// The phase whose end gives the summary's headline figures; may use
    /// `{bursts}` etc. as phase names do.
    public var headline: String
    /// XORed into the run's seed for this workload's keys, hash seeds and
    /// random choices: 0 keeps the run's.
    public var seed: UInt64
    /// End with the `idle` and `freeos` phases (unless `--no-settle`).
    public var settle: Bool
    /// GOMEMLIMIT in bytes, a count in the run's sizes ("60 keys": 60 bytes
    /// per key), and GOGC for this workload (docs/memory-limit.md): they
    /// take the place of `--memlimit` and `--gogc`; absent, the run's.
    public var memlimit: WorkloadCount?
    public var gogc: GOGCSetting?
    public var phases: [PhaseItem]

    enum CodingKeys: String, CodingKey, CaseIterable { case format, name, summary, map, headline, seed, settle, memlimit, gogc, phases }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        guard format == workloadFormat else {
            throw invalid(c, .format, "must be \"\(workloadFormat)\" (this lab's workload format)")
        }
        name = try c.decode(String.self, forKey: .name)
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw invalid(c, .name, "must be letters, digits, '-', '_' or '.'")
        }
        summary = try c.decodeIfPresent(String.self, forKey: .summary) ?? ""
        map = try c.decode(MapShape.self, forKey: .map)
        headline = try c.decode(String.self, forKey: .headline)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        settle = try c.decodeIfPresent(Bool.self, forKey: .settle) ?? true
        memlimit = try c.decodeIfPresent(CountField.self, forKey: .memlimit)?.count
        gogc = try c.decodeIfPresent(GOGCSetting.self, forKey: .gogc)
        phases = try c.decode([PhaseItem].self, forKey: .phases)
        guard !phases.isEmpty else { throw invalid(c, .phases, "must list at least one phase") }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(name, forKey: .name)
        try c.encode(summary, forKey: .summary)
        try c.encode(map, forKey: .map)
        try c.encode(headline, forKey: .headline)
        try c.encode(seed, forKey: .seed)
        try c.encode(settle, forKey: .settle)
        try c.encodeIfPresent(memlimit.map(CountField.init), forKey: .memlimit)
        try c.encodeIfPresent(gogc, forKey: .gogc)
        try c.encode(phases, forKey: .phases)
    }
}

/// A workload file's `gogc`: a percent (Bounds.gogc) or "off".
public enum GOGCSetting: Sendable, Codable, Equatable {
    case percent(Int)
    case off

    /// The collector's GOGC (nil: off).
    public var value: Int? {
        if case .percent(let p) = self { return p }
        return nil
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let p = try? c.decode(Int.self), Bounds.gogc.range.contains(p) {
            self = .percent(p)
        } else if (try? c.decode(String.self)) == "off" {
            self = .off
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                "must be \"off\" or a percent between \(Bounds.gogc.range.lowerBound) and \(Bounds.gogc.range.upperBound)"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .percent(let p): try c.encode(p)
        case .off: try c.encode("off")
        }
    }
}

// MARK: The map's shape

public struct MapShape: Sendable, Codable, Equatable {
    public var key: KeyShape
    public var value: ValueShape
    /// Go's `make(map[K]V, hint)` for the maps the workload makes; absent:
    /// the run's `--hint`.
    public var hint: WorkloadCount?
    /// How many maps the keys are spread over (key k lives in map k % maps).
    public var maps: Int

    public static let mapsRange = 1...65536

    enum CodingKeys: String, CodingKey, CaseIterable { case key, value, hint, maps }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(KeyShape.self, forKey: .key)
        value = try c.decode(ValueShape.self, forKey: .value)
        hint = try c.decodeIfPresent(CountField.self, forKey: .hint)?.count
        maps = try c.decodeIfPresent(Int.self, forKey: .maps) ?? 1
        guard Self.mapsRange.contains(maps) else {
            throw invalid(c, .maps, "must be \(Self.mapsRange.lowerBound)…\(Self.mapsRange.upperBound)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(value, forKey: .value)
        try c.encodeIfPresent(hint.map { CountField(count: $0) }, forKey: .hint)
        if maps != 1 { try c.encode(maps, forKey: .maps) }
    }

    /// The three shapes the seam's word and string fast paths serve, in one
    /// map: every other shape runs through its raw entry points.
    var isFastShape: Bool {
        guard maps == 1, case .fixed = key.length else { return false }
        switch (key.kind, value.kind) {
        case (.uint64, .uint64), (.uint64, .pointer): return value.payload.isFixed
        case (.string, .pointer): return value.payload.isFixed
        default: return false
        }
    }
}

/// A size in bytes: one for every key, or drawn per key, uniformly from a
/// range, by a hash of the key (so a key keeps its size).
public enum ByteSize: Sendable, Equatable {
    case fixed(Int)
    case uniform(min: Int, max: Int)

    public var max: Int {
        switch self { case .fixed(let n): n; case .uniform(_, let hi): hi }
    }
    var isFixed: Bool { if case .fixed = self { true } else { false } }

    /// The size for the key `key` (the run's i-th key); `salt` keeps the
    /// draws of different sizes apart.
    @inline(__always)
    public func bytes(forKey key: UInt64, salt: UInt64) -> Int {
        switch self {
        case .fixed(let n): return n
        case .uniform(let lo, let hi): return lo + Int(SplitMix64.mix(key ^ salt) % UInt64(hi - lo + 1))
        }
    }

    /// Salts of the per-key draws (docs/workload-files.md; the Go reference
    /// uses the same).
    public static let keyLengthSalt: UInt64 = 0x6b65796c656e
    public static let payloadSalt: UInt64 = 0x7061796c6f6164

    enum CodingKeys: String, CodingKey, CaseIterable { case min, max }

    /// `N` or `{"min": A, "max": B}`, within `range`.
    static func decode<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K, range: ClosedRange<Int>) throws -> ByteSize? {
        guard c.contains(key) else { return nil }
        if let n = try? c.decode(Int.self, forKey: key) {
            guard range.contains(n) else { throw invalid(c, key, "must be \(range.lowerBound)…\(range.upperBound)") }
            return .fixed(n)
        }
        let r = try c.nestedContainer(keyedBy: CodingKeys.self, forKey: key)
        let unknown = try c.nestedContainer(keyedBy: AnyKey.self, forKey: key).allKeys.map(\.stringValue)
            .filter { !["min", "max"].contains($0) }.sorted()
        if let u = unknown.first {
            throw DecodingError.dataCorrupted(.init(codingPath: r.codingPath + [AnyKey(stringValue: u)],
                                                    debugDescription: "unknown field; valid here: min, max"))
        }
        let lo = try r.decode(Int.self, forKey: .min), hi = try r.decode(Int.self, forKey: .max)
        guard range.contains(lo) else { throw invalid(r, .min, "must be \(range.lowerBound)…\(range.upperBound)") }
        guard range.contains(hi) else { throw invalid(r, .max, "must be \(range.lowerBound)…\(range.upperBound)") }
        guard lo <= hi else { throw invalid(r, .max, "must not be below min (\(lo))") }
        return lo == hi ? .fixed(lo) : .uniform(min: lo, max: hi)
    }

    func encode<K: CodingKey>(_ c: inout KeyedEncodingContainer<K>, _ key: K) throws {
        switch self {
        case .fixed(let n): try c.encode(n, forKey: key)
        case .uniform(let lo, let hi):
            var r = c.nestedContainer(keyedBy: CodingKeys.self, forKey: key)
            try r.encode(lo, forKey: .min)
            try r.encode(hi, forKey: .max)
        }
    }
}

public struct KeyShape: Sendable, Codable, Equatable {
    /// `uint64`; Go's `string` (an object of its own per key); `bytes`: Go's
    /// `[N]byte`.
    public enum Kind: String, Sendable, Codable { case uint64, string, bytes }
    public var kind: Kind
    /// Bytes of the key: a string's length (16 or more: the key's 16 hex
    /// digits, then padding), or a `[N]byte`'s N.
    public var length: ByteSize
    /// Each key made by `fmt.Sprintf("%016x", k)`, which boxes its argument
    /// (8 bytes from Go's tiny allocator) besides the string.
    public var sprintf: Bool

    /// The key's bytes when they are one size (the longest otherwise).
    public var bytes: Int { length.max }

    public static let stringBytes = 16...1024
    public static let arrayBytes = 8...1024

    enum CodingKeys: String, CodingKey, CaseIterable { case kind, bytes, sprintf }
    static let kinds = "\"uint64\", \"string\" or \"bytes\""

    public init(from decoder: Decoder) throws {
        if let s = try? decoder.singleValueContainer().decode(String.self) {
            guard let k = Kind(rawValue: s), k != .bytes else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                    debugDescription: "must be \"uint64\" or \"string\", or an object {\"kind\": …, \"bytes\": …}"))
            }
            kind = k
            length = .fixed(k == .string ? 16 : 8)
            sprintf = false
            return
        }
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let kk = Kind(rawValue: try c.decode(String.self, forKey: .kind)) else {
            throw invalid(c, .kind, "must be \(Self.kinds)")
        }
        kind = kk
        sprintf = try c.decodeIfPresent(Bool.self, forKey: .sprintf) ?? false
        switch kk {
        case .uint64:
            length = try ByteSize.decode(c, .bytes, range: 8...8) ?? .fixed(8)
        case .string:
            length = try ByteSize.decode(c, .bytes, range: Self.stringBytes) ?? .fixed(16)
        case .bytes:
            guard let n = try ByteSize.decode(c, .bytes, range: Self.arrayBytes) else {
                throw invalid(c, .kind, "a [N]byte key needs \"bytes\": N (\(Self.arrayBytes.lowerBound)…\(Self.arrayBytes.upperBound))")
            }
            guard n.isFixed else { throw invalid(c, .bytes, "a [N]byte key has one size") }
            length = n
        }
        if sprintf && (kk != .string || length != .fixed(16)) {
            throw invalid(c, .sprintf, "only 16-byte string keys are made by Sprintf(\"%016x\")")
        }
    }

    public func encode(to encoder: Encoder) throws {
        if length == .fixed(kind == .string ? 16 : 8), !sprintf, kind != .bytes {
            var c = encoder.singleValueContainer()
            try c.encode(kind.rawValue)
            return
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try length.encode(&c, .bytes)
        if sprintf { try c.encode(true, forKey: .sprintf) }
    }
}

public struct ValueShape: Sendable, Codable, Equatable {
    /// `uint64`; `pointer` to a payload object; `struct`: N inline bytes,
    /// some of whose words are pointers to payloads.
    public enum Kind: String, Sendable, Codable { case uint64, pointer, `struct` }
    public var kind: Kind
    /// A pointed-to payload's bytes as the file gives them (a pointer's
    /// `bytes`, a struct's `payload`); nil: the run's `--payload-bytes`.
    public var payloadSize: ByteSize?
    /// A struct's bytes (a multiple of 8) and its pointer words.
    public var structBytes: Int
    public var pointerWords: [Int]

    /// A pointer's fixed payload size, if the file sets one (run.json
    /// records it).
    public var bytes: Int? {
        guard kind == .pointer, case .fixed(let n)? = payloadSize else { return nil }
        return n
    }
    /// Whether a value points to payloads (so an insert may size them).
    public var pointsToPayloads: Bool {
        kind == .pointer || (kind == .struct && !pointerWords.isEmpty && payloadSize != .fixed(0))
    }
    /// The payload's size, `--payload-bytes` standing in for an absent one.
    var payload: ByteSize { payloadSize ?? .fixed(0) }

    public static let structRange = 8...1024

    enum CodingKeys: String, CodingKey, CaseIterable { case kind, bytes, pointers, payload }

    public init(from decoder: Decoder) throws {
        structBytes = 0
        pointerWords = []
        if let s = try? decoder.singleValueContainer().decode(String.self) {
            guard let k = Kind(rawValue: s), k != .struct else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                    debugDescription: "must be \"uint64\" or \"pointer\", or an object {\"kind\": …}"))
            }
            kind = k
            payloadSize = nil
            return
        }
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let kk = Kind(rawValue: try c.decode(String.self, forKey: .kind)) else {
            throw invalid(c, .kind, "must be \"uint64\", \"pointer\" or \"struct\"")
        }
        kind = kk
        let payloads = Bounds.payloadBytes.range
        switch kk {
        case .uint64:
            for k in [CodingKeys.bytes, .pointers, .payload] where c.contains(k) {
                throw invalid(c, k, "a uint64 value has no \(k.stringValue)")
            }
            payloadSize = nil
        case .pointer:
            for k in [CodingKeys.pointers, .payload] where c.contains(k) {
                throw invalid(c, k, "a pointer value's payload size is its \"bytes\"")
            }
            payloadSize = try ByteSize.decode(c, .bytes, range: payloads)
        case .struct:
            guard let n = try c.decodeIfPresent(Int.self, forKey: .bytes) else {
                throw invalid(c, .kind, "a struct value needs \"bytes\": N (\(Self.structRange.lowerBound)…\(Self.structRange.upperBound), a multiple of 8)")
            }
            guard Self.structRange.contains(n), n % 8 == 0 else {
                throw invalid(c, .bytes, "must be \(Self.structRange.lowerBound)…\(Self.structRange.upperBound) and a multiple of 8")
            }
            structBytes = n
            pointerWords = try c.decodeIfPresent([Int].self, forKey: .pointers) ?? []
            for w in pointerWords where !(0..<(n / 8)).contains(w) {
                throw invalid(c, .pointers, "word \(w) is outside a \(n)-byte struct (words 0…\(n / 8 - 1))")
            }
            guard Set(pointerWords).count == pointerWords.count else {
                throw invalid(c, .pointers, "lists a word twice")
            }
            pointerWords.sort()
            if c.contains(.payload) {
                guard !pointerWords.isEmpty else { throw invalid(c, .payload, "the struct has no pointer words") }
                let p = try c.decode(Int.self, forKey: .payload)
                guard p == 0 || payloads.contains(p) else {
                    throw invalid(c, .payload, "must be 0 (nil pointers) or \(payloads.lowerBound)…\(payloads.upperBound)")
                }
                payloadSize = .fixed(p)
            } else {
                payloadSize = nil
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        if kind != .struct, payloadSize == nil {
            var c = encoder.singleValueContainer()
            try c.encode(kind.rawValue)
            return
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch kind {
        case .uint64: break
        case .pointer: try payloadSize?.encode(&c, .bytes)
        case .struct:
            try c.encode(structBytes, forKey: .bytes)
            if !pointerWords.isEmpty { try c.encode(pointerWords, forKey: .pointers) }
            if case .fixed(let p)? = payloadSize { try c.encode(p, forKey: .payload) }
        }
    }
}

// MARK: Phases and steps

/// A phase, or a block of phases repeated.
public enum PhaseItem: Sendable, Codable, Equatable {
    case phase(name: String, steps: [Step])
    case repeatPhases(times: WorkloadCount, phases: [PhaseItem])

    enum CodingKeys: String, CodingKey, CaseIterable { case name, steps, `repeat`, phases }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if c.contains(.repeat) {
            guard !c.contains(.name), !c.contains(.steps) else {
                throw invalid(c, .repeat, "a repeat block has `repeat` and `phases` only")
            }
            let times = try c.decode(CountField.self, forKey: .repeat).count
            try checkStatic(times, c, .repeat)
            let phases = try c.decode([PhaseItem].self, forKey: .phases)
            guard !phases.isEmpty else { throw invalid(c, .phases, "must list at least one phase") }
            self = .repeatPhases(times: times, phases: phases)
        } else {
            guard !c.contains(.phases) else { throw invalid(c, .phases, "only a repeat block has phases") }
            let name = try c.decode(String.self, forKey: .name)
            guard !name.isEmpty else { throw invalid(c, .name, "must not be empty") }
            let steps = try c.decode([Step].self, forKey: .steps)
            guard !steps.isEmpty else { throw invalid(c, .steps, "must list at least one step") }
            self = .phase(name: name, steps: steps)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .phase(let name, let steps):
            try c.encode(name, forKey: .name)
            try c.encode(steps, forKey: .steps)
        case .repeatPhases(let times, let phases):
            try c.encode(CountField(count: times), forKey: .repeat)
            try c.encode(phases, forKey: .phases)
        }
    }
}

/// One step of a phase (docs/workload-files.md has what each does and how
/// many operations it counts).
public struct Step: Sendable, Codable, Equatable {
    public enum Op: String, Sendable, Codable, CaseIterable {
        case insert, delete, lookup, update, churn, cache, iterate, release, clear
        case rangeDelete = "range-delete"
        case make, rebuild, pin, unpin, drop
        case awaitFinalizers = "await-finalizers"
        case `repeat`, idle, freeos
    }
    /// drop: what holds the map as it is dropped (docs/workload-files.md).
    public enum Via: String, Sendable, Codable {
        /// A wrapper with a finalizer that clears the map
        /// (`runtime.SetFinalizer(w, func(w *W) { clear(w.m) })`).
        case finalizer
        /// A wrapper with a cleanup given the map as its arg
        /// (`runtime.AddCleanup(w, func(m M) { clear(m) }, w.m)`).
        case cleanup
    }
    public enum Which: String, Sendable, Codable { case oldest, newest, random }
    public enum Order: String, Sendable, Codable { case sequential, random, zipf }
    public enum Evict: String, Sendable, Codable { case after, before }

    public var op: Op
    public var count: WorkloadCount?
    /// insert: the first key's index (keys are the run's i-th keys); absent:
    /// the next key never inserted.
    public var first: WorkloadCount?
    public var order: Order?
    public var which: Which?
    /// delete: of the keys it walks, delete the 1st of every k / keep the
    /// 1st of every k.
    public var every: Int?
    public var keepEvery: Int?
    /// lookup: the share of lookups that find their key.
    public var hit: Double?
    public var window: WorkloadCount?
    public var evict: Evict?
    public var capacity: WorkloadCount?
    public var zipf: Double?
    public var universe: WorkloadCount?
    public var fraction: Double?
    public var hold: String?
    public var name: String?
    public var deleteVisited: Bool?
    public var hint: WorkloadCount?
    public var times: WorkloadCount?
    public var steps: [Step]?
    /// insert: the payload size of the keys it makes live (default: the
    /// map's value size); an update keeps a key's size.
    public var bytes: Int?
    /// drop: through a wrapper with a finalizer or a cleanup.
    public var via: Via?
    /// drop via a wrapper: one more entry's value points back to the
    /// wrapper, a cycle through it.
    public var cycle: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case op, count, first, order, which, every
        case keepEvery = "keep_every"
        case hit, window, evict, capacity, zipf, universe, fraction, hold, name
        case deleteVisited = "delete_visited"
        case hint, times, steps, bytes, via, cycle
    }

    /// The fields each op takes besides `op`.
    static let fields: [Op: Set<CodingKeys>] = [
        .insert: [.count, .first, .order, .zipf, .universe, .bytes],
        .delete: [.count, .which, .every, .keepEvery],
        .lookup: [.count, .hit],
        .update: [.count],
        .churn: [.count, .window, .evict],
        .cache: [.count, .capacity, .zipf, .universe],
        .iterate: [.fraction, .count, .hold, .deleteVisited],
        .release: [.name],
        .clear: [], .rangeDelete: [], .drop: [.via, .cycle], .awaitFinalizers: [], .idle: [], .freeos: [],
        .make: [.hint], .rebuild: [.hint],
        .pin: [.name], .unpin: [.name],
        .repeat: [.times, .steps],
    ]

    /// The fields each op cannot do without.
    static let required: [Op: Set<CodingKeys>] = [
        .insert: [.count], .delete: [.count], .lookup: [.count], .update: [.count],
        .churn: [.count, .window], .cache: [.count, .capacity], .release: [.name],
        .repeat: [.times, .steps],
    ]

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let opName = try c.decode(String.self, forKey: .op)
        guard let op = Op(rawValue: opName) else {
            throw invalid(c, .op, "unknown step '\(opName)'; valid: \(Op.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.op = op
        let allowed = Self.fields[op]!.union([.op])
        for key in c.allKeys where !allowed.contains(key) {
            throw invalid(c, key, "'\(op.rawValue)' takes no '\(key.stringValue)'")
        }
        for key in Self.required[op] ?? [] where !c.contains(key) {
            throw DecodingError.keyNotFound(key, .init(codingPath: c.codingPath, debugDescription: "'\(op.rawValue)' needs '\(key.stringValue)'"))
        }
        func countField(_ k: CodingKeys, min: Int) throws -> WorkloadCount? {
            guard let v = try c.decodeIfPresent(CountField.self, forKey: k)?.count else { return nil }
            if case .literal(let n) = v, n < min {
                throw invalid(c, k, min == 1 ? "must be positive" : "must not be negative")
            }
            return v
        }
        count = try countField(.count, min: op == .iterate ? 1 : 0)
        first = try countField(.first, min: 0)
        order = try c.decodeIfPresent(Order.self, forKey: .order)
        which = try c.decodeIfPresent(Which.self, forKey: .which)
        every = try c.decodeIfPresent(Int.self, forKey: .every)
        keepEvery = try c.decodeIfPresent(Int.self, forKey: .keepEvery)
        for (k, v) in [(CodingKeys.every, every), (.keepEvery, keepEvery)] {
            if let v, v < 1 { throw invalid(c, k, "must be positive") }
        }
        if every != nil && keepEvery != nil { throw invalid(c, .keepEvery, "give `every` or `keep_every`, not both") }
        hit = try c.decodeIfPresent(Double.self, forKey: .hit)
        if let hit, !(0...1).contains(hit) { throw invalid(c, .hit, "must be 0…1") }
        window = try countField(.window, min: 1)
        evict = try c.decodeIfPresent(Evict.self, forKey: .evict)
        capacity = try countField(.capacity, min: 1)
        zipf = try c.decodeIfPresent(Double.self, forKey: .zipf)
        if let zipf, !(zipf > 0 && zipf <= 10) { throw invalid(c, .zipf, "the exponent must be in (0, 10]") }
        universe = try countField(.universe, min: 1)
        fraction = try c.decodeIfPresent(Double.self, forKey: .fraction)
        if let fraction, !(fraction > 0 && fraction <= 1) { throw invalid(c, .fraction, "must be in (0, 1]") }
        if fraction != nil && c.contains(.count) { throw invalid(c, .count, "give `fraction` or `count`, not both") }
        if op == .insert && order != .zipf && (zipf != nil || universe != nil) {
            throw invalid(c, zipf != nil ? .zipf : .universe, "only an insert of \"order\": \"zipf\" draws from a universe")
        }
        if op == .insert && order == .zipf && first != nil { throw invalid(c, .first, "a Zipf insert draws its keys; it has no first") }
        bytes = try c.decodeIfPresent(Int.self, forKey: .bytes)
        if let b = bytes, !Bounds.payloadBytes.range.contains(b) {
            throw invalid(c, .bytes, "must be \(Bounds.payloadBytes.range.lowerBound)…\(Bounds.payloadBytes.range.upperBound)")
        }
        hold = try c.decodeIfPresent(String.self, forKey: .hold)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        deleteVisited = try c.decodeIfPresent(Bool.self, forKey: .deleteVisited)
        if hold != nil && deleteVisited == true { throw invalid(c, .deleteVisited, "a held iterator deletes nothing") }
        hint = try countField(.hint, min: 0)
        times = try countField(.times, min: 1)
        if let times { try checkStatic(times, c, .times) }
        steps = try c.decodeIfPresent([Step].self, forKey: .steps)
        if let steps, steps.isEmpty { throw invalid(c, .steps, "must list at least one step") }
        if c.contains(.via) {
            guard let v = try? c.decode(String.self, forKey: .via), let via = Via(rawValue: v) else {
                throw invalid(c, .via, "must be \"finalizer\" or \"cleanup\"")
            }
            self.via = via
        }
        cycle = try c.decodeIfPresent(Bool.self, forKey: .cycle)
        if cycle == true && via == nil { throw invalid(c, .cycle, "a cycle goes through a wrapper: give `via`") }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(op, forKey: .op)
        try c.encodeIfPresent(count.map(CountField.init), forKey: .count)
        try c.encodeIfPresent(first.map(CountField.init), forKey: .first)
        try c.encodeIfPresent(order, forKey: .order)
        try c.encodeIfPresent(which, forKey: .which)
        try c.encodeIfPresent(every, forKey: .every)
        try c.encodeIfPresent(keepEvery, forKey: .keepEvery)
        try c.encodeIfPresent(hit, forKey: .hit)
        try c.encodeIfPresent(window.map(CountField.init), forKey: .window)
        try c.encodeIfPresent(evict, forKey: .evict)
        try c.encodeIfPresent(capacity.map(CountField.init), forKey: .capacity)
        try c.encodeIfPresent(zipf, forKey: .zipf)
        try c.encodeIfPresent(universe.map(CountField.init), forKey: .universe)
        try c.encodeIfPresent(fraction, forKey: .fraction)
        try c.encodeIfPresent(hold, forKey: .hold)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(deleteVisited, forKey: .deleteVisited)
        try c.encodeIfPresent(hint.map(CountField.init), forKey: .hint)
        try c.encodeIfPresent(times.map(CountField.init), forKey: .times)
        try c.encodeIfPresent(steps, forKey: .steps)
        try c.encodeIfPresent(bytes, forKey: .bytes)
        try c.encodeIfPresent(via, forKey: .via)
        try c.encodeIfPresent(cycle, forKey: .cycle)
    }
}

/// A count in a file: a JSON integer, or a string expression (WorkloadCount).
struct CountField: Codable, Equatable {
    var count: WorkloadCount

    init(count: WorkloadCount) { self.count = count }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) {
            count = .literal(n)
            return
        }
        guard let text = try? c.decode(String.self) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "must be a whole number or a count such as \"keys\", \"0.5 keys\" or \"threshold(keys/2) + 1\""))
        }
        do {
            count = try WorkloadCount.parse(text)
        } catch let e as WorkloadCountError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: e.description))
        }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if case .literal(let n) = count { try c.encode(n) } else { try c.encode(count.description) }
    }
}

// MARK: Strict decoding

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.intValue = intValue; stringValue = String(intValue) }
}

/// Throws at the first field `Keys` does not name.
func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: Decoder, _: Keys.Type) throws {
    let c = try decoder.container(keyedBy: AnyKey.self)
    let known = Set(Keys.allCases.map(\.stringValue))
    for key in c.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) where !known.contains(key.stringValue) {
        throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [key],
            debugDescription: "unknown field; valid here: \(Keys.allCases.map(\.stringValue).joined(separator: ", "))"))
    }
}

func invalid<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K, _ message: String) -> DecodingError {
    DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [key], debugDescription: message))
}

/// A repeat count is known before the run starts: it may use the run's
/// sizes but not the map's state.
private func checkStatic<K: CodingKey>(_ count: WorkloadCount, _ c: KeyedDecodingContainer<K>, _ key: K) throws {
    let dynamic = count.names.intersection(WorkloadCount.dynamicNames.union(["threshold"]))
    if let name = dynamic.sorted().first {
        throw invalid(c, key, "a repeat count cannot use '\(name)' (known only while the workload runs)")
    }
}

/// A workload file that cannot be used: the file, the JSON path, what is
/// wrong (exit 65 at the command line).
public struct WorkloadFileError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// `phases[1].steps[3].count`.
    static func path(_ codingPath: [CodingKey]) -> String {
        var s = ""
        for k in codingPath {
            if let i = k.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + k.stringValue }
        }
        return s.isEmpty ? "(top level)" : s
    }

    init(file: String, _ error: Error) {
        switch error {
        case let DecodingError.dataCorrupted(ctx):
            if ctx.codingPath.isEmpty, let underlying = ctx.underlyingError {
                let detail = (underlying as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(underlying)"
                self.init("\(file): not valid JSON: \(detail)")
            } else if ctx.codingPath.isEmpty {
                self.init("\(file): not valid JSON: \(ctx.debugDescription)")
            } else {
                self.init("\(file): \(Self.path(ctx.codingPath)): \(ctx.debugDescription)")
            }
        case let DecodingError.keyNotFound(key, ctx):
            let what = ctx.debugDescription.hasPrefix("'") ? ctx.debugDescription : "missing"
            self.init("\(file): \(Self.path(ctx.codingPath + [key])): \(what)")
        case let DecodingError.typeMismatch(type, ctx):
            self.init("\(file): \(Self.path(ctx.codingPath)): must be \(Self.typeName(type))")
        case let DecodingError.valueNotFound(type, ctx):
            self.init("\(file): \(Self.path(ctx.codingPath)): must be \(Self.typeName(type)), not null")
        default:
            self.init("\(file): \(error)")
        }
    }

    private static func typeName(_ t: Any.Type) -> String {
        switch t {
        case is String.Type: return "a string"
        case is Int.Type, is UInt64.Type: return "a whole number"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let s = "\(t)"
            return s.hasPrefix("Array") ? "a list" : (s.hasPrefix("Dictionary") || s.hasPrefix("KeyedDecodingContainer") ? "an object" : "a \(s)")
        }
    }
}

extension WorkloadSpec {
    /// Decodes a file's bytes; errors name `file` and the JSON path.
    public static func decode(_ data: Data, file: String) throws -> WorkloadSpec {
        do {
            return try JSONDecoder().decode(WorkloadSpec.self, from: data)
        } catch let e as WorkloadFileError {
            throw e
        } catch {
            throw WorkloadFileError(file: file, error)
        }
    }

    /// The file as it would be written: keys sorted, two-space indents.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }
}
