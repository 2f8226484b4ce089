import Foundation

// The workloads: each a sequence of phases that reproduces one way a map
// keeps memory. A workload is data — a workload file (WorkloadSpec.swift,
// docs/workload-files.md); the built-in ones ship as files in
// Sources/BucketLab/Workloads/ (NN-name.json, in the order they run), so one
// file adds one. Workload+Run.swift runs a file's steps. See Suite.swift.

public struct Workload: Sendable, Hashable {
    public let spec: WorkloadSpec
    /// The file a user's workload came from (nil for a built-in), so a cell
    /// run in a process of its own reads the same file.
    public let file: String?
    /// The recorded trace a workload replays (TraceReplay.swift), if it is one.
    public let trace: TraceSource?

    public var name: String { spec.name }
    /// What the workload shows, for `bucketlab list`.
    public var summary: String { spec.summary }
    public var rawValue: String { spec.name }

    public static func == (a: Workload, b: Workload) -> Bool { a.name == b.name && a.file == b.file && a.trace?.path == b.trace?.path }
    public func hash(into h: inout Hasher) { h.combine(name) }

    init(spec: WorkloadSpec, file: String?, trace: TraceSource? = nil) {
        self.spec = spec
        self.file = file
        self.trace = trace
    }

    // MARK: Built-ins

    /// The built-in workloads, in the order a suite runs them.
    public static let allCases: [Workload] = loadBuiltIns()

    /// A built-in by name.
    public static func builtIn(_ name: String) -> Workload? { allCases.first { $0.name == name } }

    /// The built-in file's text, for `bucketlab workload show`.
    public static func builtInText(_ name: String) -> String? {
        builtInFiles().first { $0.name == name }.flatMap { try? String(contentsOf: $0.url, encoding: .utf8) }
    }

    /// The file this workload's spec was read from: the user's, or the
    /// built-in's package resource (what the Go reference runs); nil for a
    /// trace.
    public var specFile: String? {
        if trace != nil { return nil }
        return file ?? Self.builtInFiles().first { $0.name == name }?.url.path
    }

    private static func builtInFiles() -> [(name: String, url: URL)] {
        guard let dir = Bundle.module.url(forResource: "Workloads", withExtension: nil),
              let files = try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
        else { return [] }
        return files.filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map { url in
                let base = url.deletingPathExtension().lastPathComponent
                let name = base.drop { $0.isNumber }.drop { $0 == "-" }
                return (String(name), url)
            }
    }

    private static func loadBuiltIns() -> [Workload] {
        builtInFiles().map { file in
            do {
                let spec = try WorkloadSpec.decode(try Data(contentsOf: file.url), file: file.url.lastPathComponent)
                precondition(spec.name == file.name, "\(file.url.lastPathComponent) names itself \(spec.name)")
                return Workload(spec: spec, file: nil)
            } catch {
                preconditionFailure("built-in workload \(file.url.lastPathComponent): \(error)")
            }
        }
    }

    // The built-ins other code names.
    public static let tombstoneChurn = builtIn("tombstone-churn")!
    public static let leakedInteriorRef = builtIn("leaked-interior-ref")!

    /// The loads (percent of the map's slots) tombstone-churn holds its maps
    /// at: golang/go#70886's three cases (a table of 128 slots with 13, 56
    /// and 111 entries — low, just after a grow, just before one).
    public static let churnLoads = [10, 44, 87]

    // MARK: Files

    /// Reads and checks a user's workload file; errors name the file and the
    /// JSON path (exit 65 at the command line).
    public static func load(file path: String) throws -> Workload {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw WorkloadFileError("\(path): cannot read: \(exists ? (error as NSError).localizedDescription : "no such file")")
        }
        let spec = try WorkloadSpec.decode(data, file: path)
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return Workload(spec: spec, file: absolute)
    }

    /// A workload of a spec decoded elsewhere (a fuzz target, a tool).
    public static func fromSpec(_ spec: WorkloadSpec) throws -> Workload { Workload(spec: spec, file: "(spec)") }

    // MARK: Phases

    /// The phases every workload ends with unless told not to settle: `idle`
    /// (the background scavenger has reached its goal) and `freeos` (after
    /// `debug.FreeOSMemory`).
    public static let settlePhases = ["idle", "freeos"]

    /// Every phase of a run, in order.
    public func phases(_ sizes: WorkloadSizes, settle: Bool) -> [String] {
        phases(sizes) + (settle && spec.settle ? Self.settlePhases : [])
    }

    /// The workload's own phases at these sizes.
    public func phases(_ sizes: WorkloadSizes) -> [String] {
        (try? expandedPhases(sizes).map(\.name)) ?? []
    }

    /// The phase that shows what the workload is about: the summary's
    /// headline figures come from its end.
    public func headlinePhase(_ sizes: WorkloadSizes) -> String {
        (try? Self.expandName(spec.headline, sizes.lookup(i: nil))) ?? spec.headline
    }

    /// The phases with their steps, repeat blocks unrolled and names filled in.
    func expandedPhases(_ sizes: WorkloadSizes) throws -> [(name: String, steps: [Step], path: String)] {
        var out: [(String, [Step], String)] = []
        func walk(_ items: [PhaseItem], path: String, i: Int?) throws {
            for (n, item) in items.enumerated() {
                let p = "\(path)[\(n)]"
                switch item {
                case .phase(let name, let steps):
                    out.append((try Self.expandName(name, sizes.lookup(i: i)), steps, p))
                case .repeatPhases(let times, let phases):
                    let count = try times.evaluate(sizes.lookup(i: i), threshold: { $0 })
                    guard count >= 1 && count <= 10_000 else {
                        throw WorkloadFileError("\(p).repeat: is \(count) here; must be 1…10000")
                    }
                    for k in 1...count { try walk(phases, path: p + ".phases", i: k) }
                }
            }
        }
        try walk(spec.phases, path: "phases", i: nil)
        return out
    }

    /// A name with `{count}` parts filled in (`cycle{i}`, `cycle{bursts}`).
    static func expandName(_ template: String, _ lookup: (String) -> Int?) throws -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { throw WorkloadFileError("'{' without '}' in '\(template)'") }
            let expr = try WorkloadCount.parse(String(rest[rest.index(after: open)..<close]))
            out += String(try expr.evaluate(lookup, threshold: { $0 }))
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// Checks the file at these sizes before any work: phase names unique,
    /// the headline one of them, static counts within the command line's
    /// bounds, iterators and pins released only once held.
    /// The file's GOMEMLIMIT at these sizes (nil: none); checked against
    /// `Bounds.memlimit`.
    public func memlimit(_ sizes: WorkloadSizes) throws -> Int? {
        guard let count = spec.memlimit else { return nil }
        let where_ = file ?? "built-in \(name)"
        guard count.names.isDisjoint(with: WorkloadCount.dynamicNames.union(["threshold", "i"])) else {
            throw WorkloadFileError("\(where_): memlimit: may use keys, window and bursts only")
        }
        let bytes: Int
        do { bytes = try count.evaluate(sizes.lookup(i: nil), threshold: { $0 }) } catch {
            throw WorkloadFileError("\(where_): memlimit: \(error)")
        }
        guard Bounds.memlimit.range.contains(bytes) else {
            throw WorkloadFileError("\(where_): memlimit: \(bytes) bytes at these sizes; must be between \(Bounds.memlimit.range.lowerBound) and \(Bounds.memlimit.range.upperBound)")
        }
        return bytes
    }

    public func validate(_ sizes: WorkloadSizes) throws {
        let where_ = file ?? "built-in \(name)"
        _ = try memlimit(sizes)
        let phases: [(name: String, steps: [Step], path: String)]
        do { phases = try expandedPhases(sizes) } catch let e as WorkloadFileError {
            throw WorkloadFileError("\(where_): \(e.description)")
        } catch { throw WorkloadFileError("\(where_): \(error)") }
        var seen = Set<String>()
        for p in phases {
            guard !Self.settlePhases.contains(p.name) else {
                throw WorkloadFileError("\(where_): \(p.path).name: '\(p.name)' is the name of a settle phase")
            }
            guard seen.insert(p.name).inserted else {
                throw WorkloadFileError("\(where_): \(p.path).name: phase '\(p.name)' appears twice")
            }
        }
        let headline = headlinePhase(sizes)
        guard seen.contains(headline) || (spec.settle && Self.settlePhases.contains(headline)) else {
            throw WorkloadFileError("\(where_): headline: '\(headline)' is not one of the phases (\(phases.map(\.name).joined(separator: ", ")))")
        }
        var held = Set<String>(), pinned = Set<String>()
        func check(_ steps: [Step], path: String) throws {
            for (n, s) in steps.enumerated() {
                let p = "\(path)[\(n)]"
                for (field, count) in [("count", s.count), ("first", s.first), ("window", s.window),
                                       ("capacity", s.capacity), ("universe", s.universe), ("hint", s.hint)] {
                    guard let count, count.names.isDisjoint(with: WorkloadCount.dynamicNames.union(["threshold"])) else { continue }
                    let v: Int
                    do { v = try count.evaluate(sizes.lookup(i: 1), threshold: { $0 }) } catch {
                        throw WorkloadFileError("\(where_): \(p).\(field): \(error)")
                    }
                    let bound = Bounds.keys.range.upperBound
                    if v < 0 || v > bound { throw WorkloadFileError("\(where_): \(p).\(field): is \(v) here; must be 0…\(bound)") }
                    if v == 0 && ["window", "capacity", "universe"].contains(field) {
                        throw WorkloadFileError("\(where_): \(p).\(field): must be positive (is 0 at --keys \(sizes.keys))")
                    }
                }
                if s.bytes != nil && !spec.map.value.pointsToPayloads {
                    throw WorkloadFileError("\(where_): \(p).bytes: the map's values do not point to payloads")
                }
                switch s.op {
                case .iterate: if let h = s.hold { guard held.insert(h).inserted else {
                    throw WorkloadFileError("\(where_): \(p).hold: iterator '\(h)' is already held") } }
                case .release:
                    guard held.remove(s.name!) != nil else {
                        throw WorkloadFileError("\(where_): \(p).name: no iterator '\(s.name!)' is held here")
                    }
                case .pin: guard pinned.insert(s.name ?? "pin").inserted else {
                    throw WorkloadFileError("\(where_): \(p): '\(s.name ?? "pin")' is already pinned") }
                case .unpin:
                    guard pinned.remove(s.name ?? "pin") != nil else {
                        throw WorkloadFileError("\(where_): \(p): nothing pinned as '\(s.name ?? "pin")'")
                    }
                case .drop where s.via != nil:
                    guard held.isEmpty else {
                        throw WorkloadFileError("\(where_): \(p).via: release the held iterators first")
                    }
                    if s.cycle == true {
                        guard spec.map.key.kind == .uint64, spec.map.value.kind == .pointer, spec.map.maps == 1 else {
                            throw WorkloadFileError("\(where_): \(p).cycle: a value points back to the wrapper only in one map of uint64 keys to pointers")
                        }
                    }
                case .repeat:
                    if s.steps!.contains(where: { [.iterate, .release, .pin, .unpin].contains($0.op) && ($0.hold != nil || $0.op != .iterate) }) {
                        throw WorkloadFileError("\(where_): \(p).steps: a repeated block cannot hold, release, pin or unpin")
                    }
                    try check(s.steps!, path: p + ".steps")
                default: break
                }
            }
        }
        for ph in phases { try check(ph.steps, path: ph.path + ".steps") }
    }

    // MARK: Names on the command line

    /// Names for error messages: every workload, and `all`.
    public static var validNames: String { allCases.map(\.name).joined(separator: ", ") + ", all" }

    /// A comma-separated list of workload names, or `all`.
    public static func parseList(_ text: String) throws -> [Workload] {
        if text == "all" { return allCases }
        if text.isEmpty { return [] }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { name in
            guard let w = builtIn(String(name)) else {
                throw ConfigError("unknown workload '\(name)'; valid: \(validNames)")
            }
            return w
        }
    }
}

/// The run's sizes a workload's counts and phase names may use.
public struct WorkloadSizes: Sendable {
    public var keys: Int
    public var window: Int
    public var bursts: Int

    public init(keys: Int, window: Int, bursts: Int) {
        self.keys = keys
        self.window = window
        self.bursts = bursts
    }

    func lookup(i: Int?) -> (String) -> Int? {
        { name in
            switch name {
            case "keys": return keys
            case "window": return window
            case "bursts": return bursts
            case "i": return i
            default: return nil
            }
        }
    }
}

extension SuiteConfig {
    /// GOGC as Go's environment variable spells it.
    public var gogcText: String { gogc.map(String.init) ?? "off" }

    /// GOGC and GOMEMLIMIT for `workload`: its file's, else the run's.
    public func gogc(for workload: Workload) -> Int? {
        if let g = workload.spec.gogc { return g.value }
        return gogc
    }
    public func memlimit(for workload: Workload) -> Int? { (try? workload.memlimit(sizes)) ?? memlimit }
    public func gogcText(for workload: Workload) -> String { gogc(for: workload).map(String.init) ?? "off" }
    public func memlimitText(for workload: Workload) -> String { memlimit(for: workload).map(String.init) ?? "off" }

    /// The sizes workload files see.
    public var sizes: WorkloadSizes { WorkloadSizes(keys: keys, window: window, bursts: bursts) }
}

/// Zipf-distributed ranks 0..<count (rank 0 most popular), by inverse CDF.
struct ZipfSampler {
    private var cdf: [Double]
    private var rng: SplitMix64

    init(count: Int, exponent: Double, seed: UInt64) {
        var acc = 0.0
        cdf = (1...count).map { k in
            acc += 1 / pow(Double(k), exponent)
            return acc
        }
        let total = acc
        for i in cdf.indices { cdf[i] /= total }
        rng = SplitMix64(seed: seed ^ 0x5A1F)
    }

    mutating func next() -> Int {
        let u = Double(rng.next() >> 11) / Double(1 << 53)
        var lo = 0, hi = cdf.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cdf[mid] < u { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
