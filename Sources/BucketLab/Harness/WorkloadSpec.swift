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
    public var phases: [PhaseItem]

    enum CodingKeys: String, CodingKey, CaseIterable { case format, name, summary, map, headline, seed, settle, phases }

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
        phases = try c.decode([PhaseItem].self, forKey: .phases)
        guard !phases.isEmpty else { throw invalid(c, .phases, "must list at least one phase") }
    }
}

// MARK: The map's shape

public struct MapShape: Sendable, Codable, Equatable {
    public var key: KeyShape
    public var value: ValueShape
    /// Go's `make(map[K]V, hint)` for the maps the workload makes; absent:
    /// the run's `--hint`.
    public var hint: WorkloadCount?

    enum CodingKeys: String, CodingKey, CaseIterable { case key, value, hint }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(KeyShape.self, forKey: .key)
        value = try c.decode(ValueShape.self, forKey: .value)
        hint = try c.decodeIfPresent(CountField.self, forKey: .hint)?.count
        if case .string = key.kind, case .uint64 = value.kind {
            throw invalid(c, .value, "a string-keyed map holds pointers to payloads (\"pointer\") in this version")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(value, forKey: .value)
        try c.encodeIfPresent(hint.map { CountField(count: $0) }, forKey: .hint)
    }
}

public struct KeyShape: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case uint64, string }
    public var kind: Kind
    /// A string key's length in bytes (16 or more: the key's 16 hex digits,
    /// then padding).
    public var bytes: Int
    /// Each key made by `fmt.Sprintf("%016x", k)`, which boxes its argument
    /// (8 bytes from Go's tiny allocator) besides the string.
    public var sprintf: Bool

    enum CodingKeys: String, CodingKey, CaseIterable { case kind, bytes, sprintf }

    public init(from decoder: Decoder) throws {
        if let s = try? decoder.singleValueContainer().decode(String.self) {
            guard let k = Kind(rawValue: s) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                    debugDescription: "must be \"uint64\" or \"string\", or an object {\"kind\": …}; fixed-size byte keys are not supported yet"))
            }
            kind = k
            bytes = k == .string ? 16 : 8
            sprintf = false
            return
        }
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let k = try c.decode(String.self, forKey: .kind)
        guard let kk = Kind(rawValue: k) else {
            throw invalid(c, .kind, "must be \"uint64\" or \"string\"; fixed-size byte keys are not supported yet")
        }
        kind = kk
        bytes = try c.decodeIfPresent(Int.self, forKey: .bytes) ?? (kk == .string ? 16 : 8)
        sprintf = try c.decodeIfPresent(Bool.self, forKey: .sprintf) ?? false
        if kk == .uint64 && bytes != 8 { throw invalid(c, .bytes, "a uint64 key has 8 bytes") }
        if kk == .string && !(16...1024).contains(bytes) { throw invalid(c, .bytes, "a string key's length must be 16…1024") }
        if sprintf && (kk != .string || bytes != 16) {
            throw invalid(c, .sprintf, "only 16-byte string keys are made by Sprintf(\"%016x\")")
        }
    }
}

public struct ValueShape: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case uint64, pointer }
    public var kind: Kind
    /// A pointed-to payload's bytes; absent: the run's `--payload-bytes`.
    public var bytes: Int?

    enum CodingKeys: String, CodingKey, CaseIterable { case kind, bytes }

    public init(from decoder: Decoder) throws {
        if let s = try? decoder.singleValueContainer().decode(String.self) {
            guard let k = Kind(rawValue: s) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                    debugDescription: "must be \"uint64\" or \"pointer\", or an object {\"kind\": …}; inline struct values are not supported yet"))
            }
            kind = k
            bytes = nil
            return
        }
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let k = try c.decode(String.self, forKey: .kind)
        guard let kk = Kind(rawValue: k) else {
            throw invalid(c, .kind, "must be \"uint64\" or \"pointer\"; inline struct values are not supported yet")
        }
        kind = kk
        bytes = try c.decodeIfPresent(Int.self, forKey: .bytes)
        if let b = bytes {
            guard kk == .pointer else { throw invalid(c, .bytes, "only a pointer value has a payload size") }
            guard Bounds.payloadBytes.range.contains(b) else {
                throw invalid(c, .bytes, "must be \(Bounds.payloadBytes.range.lowerBound)…\(Bounds.payloadBytes.range.upperBound)")
            }
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
        case `repeat`, idle, freeos
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case op, count, first, order, which, every
        case keepEvery = "keep_every"
        case hit, window, evict, capacity, zipf, universe, fraction, hold, name
        case deleteVisited = "delete_visited"
        case hint, times, steps, bytes
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
        .clear: [], .rangeDelete: [], .drop: [], .idle: [], .freeos: [],
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

private struct AnyKey: CodingKey {
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
