// `bucketlab ops`: operation costs measured side by side in one process, so
// ratios are comparable on a noisy shared machine.

/// One row of `ops.csv`: the median over repetitions of ns per operation.
public struct OpsRow: Sendable, Equatable, ResultRow {
    public var impl: String
    public var op: String
    public var keys: Int
    /// Transparent huge pages for both sides: "on" (the lab's spans and
    /// jemalloc's mappings advised MADV_HUGEPAGE) or "off" (neither).
    public var thp: String
    public var nsPerOp: Double

    public init(impl: String, op: String, keys: Int, thp: String, nsPerOp: Double) {
        self.impl = impl
        self.op = op
        self.keys = keys
        self.thp = thp
        self.nsPerOp = nsPerOp
    }

    public static var blank: OpsRow { OpsRow(impl: "", op: "", keys: 0, thp: "", nsPerOp: 0) }

    public static var columns: [Column<OpsRow>] {
        [.name("impl", \.impl), .name("op", \.op), .int("keys", \.keys), .name("thp", \.thp),
         .double("ns_per_op", \.nsPerOp, digits: 2)]
    }
}

/// How `ops` measures: sizes, and the huge-page treatment both sides get.
public struct OpsOptions: Sendable {
    public var keys: Int
    public var repetitions: Int
    public var seed: UInt64
    /// The lab heap advises its spans MADV_HUGEPAGE; the caller has started
    /// jemalloc with the same treatment for everything else (`thp:always`
    /// or `thp:never`), so Dictionary's storage gets what the lab's does.
    public var hugePages: Bool

    public init(keys: Int, repetitions: Int, seed: UInt64 = 1, hugePages: Bool) throws {
        try Bounds.keys.check(keys)
        try Bounds.repeats.check(repetitions)
        self.keys = keys
        self.repetitions = repetitions
        self.seed = seed
        self.hugePages = hugePages
    }

    var thp: String { hugePages ? "on" : "off" }
    var heapConfiguration: MHeap.Configuration { MHeap.Configuration(hugePages: hugePages) }
}

public enum OpsBenchmark {
    /// Allocation of `objects` 48-byte objects, each kept alive and its first
    /// word written (as any program initialises what it allocates), side by
    /// side in steady state:
    ///
    /// - `alloc48`: the lab's MCache fast path on a warm heap: the heap is
    ///   swept empty between repetitions, so spans come from its pool and are
    ///   zeroed on reuse (Go's needzero), as in a long-running program;
    /// - `mallocx48`: jemalloc's `mallocx` with its thread cache, memory not
    ///   zeroed; `mallocx48_zero`: the same with MALLOCX_ZERO, the like-for-like
    ///   comparison since the lab always returns zeroed memory.
    ///
    /// One untimed warm-up round first; repetitions interleave the three so
    /// they see the same machine.
    public static func allocation(_ options: OpsOptions, summary: ([Double]) -> Double = median) throws -> [OpsRow] {
        let objects = options.keys
        let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: objects)
        defer { slots.deallocate() }
        let heap = try MHeap(options.heapConfiguration)
        let type = heap.registerType(name: "blob48", size: 48)
        var samples: [String: [Double]] = [:]
        var sink = 0
        let ops = ["alloc48", "mallocx48", "mallocx48_zero"]
        for round in 0...options.repetitions {
            func timed(_ op: String, _ body: () -> Void) {
                let t0 = monotonicNanos()
                body()
                let t1 = monotonicNanos()
                if round > 0 { samples[op, default: []].append(Double(t1 - t0) / Double(objects)) }
                sink &+= Int(bitPattern: slots[objects / 2])
            }
            // Each round starts with another of the three (rotating order).
            for op in ops.rotated(by: round) {
                if op == "alloc48" {
                    let mutator = heap.makeMutator()
                    timed(op) {
                        for i in 0..<objects {
                            let p = mutator.allocate(type)
                            p.storeBytes(of: i, as: Int.self)
                            slots[i] = p
                        }
                    }
                    heap.sweep()  // nothing marked: every object is freed, spans pooled
                } else {
                    let zero = op == "mallocx48_zero"
                    timed(op) {
                        for i in 0..<objects {
                            let p = Jemalloc.mallocx(48, zero: zero)!
                            p.storeBytes(of: i, as: Int.self)
                            slots[i] = p
                        }
                    }
                    for i in 0..<objects { Jemalloc.sdallocx(slots[i]!, 48) }
                }
            }
        }
        blackHole(sink)
        return [("lab", "alloc48"), ("jemalloc", "mallocx48"), ("jemalloc", "mallocx48_zero")]
            .map { OpsRow(impl: $0.0, op: $0.1, keys: objects, thp: options.thp, nsPerOp: summary(samples[$0.1]!)) }
    }
}

extension OpsBenchmark {
    /// The same `keys` random `UInt64` keys through the classic lab map (one
    /// row per strategy, `lab:<strategy>`), the Swiss one with Go's policy
    /// (`lab:swiss`) and `Dictionary<UInt64, UInt64>`, in one process:
    /// insert all (from empty, no size hint), look each up (hits, in a
    /// different random order), look up as many absent keys, iterate
    /// everything, delete all. Every implementation runs once per repetition,
    /// in an order that rotates from one repetition to the next, each timed
    /// the same way (the clock read around the loop only; building and
    /// tearing down outside it). Median per op.
    ///
    /// `keySets` saves a caller that measures repeatedly from drawing the
    /// same keys again; it must match `options` (count and seed). `summary`
    /// reduces each op's samples (`min` for a best-of figure).
    public static func maps(_ options: OpsOptions, strategies: [Strategy] = Strategy.presets, swiss: Bool = true,
                            keySets: OpsKeys? = nil, summary: ([Double]) -> Double = median) throws -> [OpsRow] {
        let keys = options.keys
        let keySets = keySets ?? OpsKeys(keys: keys, seed: options.seed)
        precondition(keySets.present.count == keys, "key sets drawn for another key count")
        let (present, absent, probeOrder) = (keySets.present, keySets.absent, keySets.probeOrder)
        var samples: [String: [Double]] = [:]
        var sink: UInt64 = 0
        func timed(_ name: String, _ body: () -> Void) {
            let t0 = monotonicNanos()
            body()
            samples[name, default: []].append(Double(monotonicNanos() - t0) / Double(keys))
        }
        // Each timed loop sums into a local of its own and hands it to `sink`
        // once: a captured accumulator would cost a dynamic exclusivity
        // check per operation, on whichever side captured it.
        /// The five operations on one map of a model, through the seam
        /// (specialised for the concrete model: no dynamic dispatch).
        func run<M: MapModel>(_ map: M, impl: String) {
            timed("\(impl)/insert") { for k in present { map.updateValue(k, forKey: k) } }
            timed("\(impl)/lookup_hit") {
                var s: UInt64 = 0
                for k in probeOrder { s &+= map.value(forKey: k) ?? 0 }
                sink &+= s
            }
            timed("\(impl)/lookup_miss") {
                var s: UInt64 = 0
                for k in absent { s &+= map.value(forKey: k) ?? 1 }
                sink &+= s
            }
            timed("\(impl)/iterate") {
                var s: UInt64 = 0
                map.forEachEntry { k, v in s &+= k ^ v }
                sink &+= s
            }
            timed("\(impl)/delete") { for k in probeOrder { map.removeValue(forKey: k) } }
            precondition(map.count == 0, "\(impl) did not delete everything")
        }
        func runDictionary() {
            var dict: [UInt64: UInt64] = [:]
            timed("dictionary/insert") { for k in present { dict[k] = k } }
            timed("dictionary/lookup_hit") {
                var s: UInt64 = 0
                for k in probeOrder { s &+= dict[k] ?? 0 }
                sink &+= s
            }
            timed("dictionary/lookup_miss") {
                var s: UInt64 = 0
                for k in absent { s &+= dict[k] ?? 1 }
                sink &+= s
            }
            timed("dictionary/iterate") {
                var s: UInt64 = 0
                for (k, v) in dict { s &+= k ^ v }
                sink &+= s
            }
            timed("dictionary/delete") { for k in probeOrder { dict.removeValue(forKey: k) } }
            precondition(dict.isEmpty)
        }
        enum Impl { case classic(Strategy), swiss, dictionary }
        let impls: [Impl] = strategies.map { .classic($0) } + (swiss ? [.swiss] : []) + [.dictionary]
        for rep in 0..<options.repetitions {
            for impl in impls.rotated(by: rep) {
                switch impl {
                case .dictionary:
                    runDictionary()
                case let .classic(strategy):
                    let heap = try MHeap(options.heapConfiguration)
                    run(BucketMap(type: .uint64ToUInt64(heap: heap), mutator: heap.makeMutator(), policy: strategy.policy,
                                  seed: options.seed),
                        impl: "lab:" + strategy.name)
                case .swiss:
                    let heap = try MHeap(options.heapConfiguration)
                    run(SwissMap(type: .uint64ToUInt64(heap: heap), mutator: heap.makeMutator(), policy: .go,
                                 seed: options.seed, hint: 0),
                        impl: "lab:" + SwissMap.modelName)
                }
            }
        }
        blackHole(sink)
        var rows: [OpsRow] = []
        for op in ["insert", "lookup_hit", "lookup_miss", "delete", "iterate"] {
            for impl in strategies.map({ "lab:" + $0.name }) + (swiss ? ["lab:" + SwissMap.modelName] : []) + ["dictionary"] {
                rows.append(OpsRow(impl: impl, op: op, keys: keys, thp: options.thp,
                                   nsPerOp: summary(samples["\(impl)/\(op)"]!)))
            }
        }
        return rows
    }

    /// Delete cost of `clear=full` against `clear=pointers` for 128-byte
    /// values holding one pointer word (the rest plain data): Go zeroes all
    /// 128 bytes, `pointers` one word. Rows `delete_v128`, same run.
    public static func wideValueDeletes(_ options: OpsOptions) throws -> [OpsRow] {
        let keys = min(options.keys, 250_000), seed = options.seed
        let probeOrder = OpsKeys(keys: keys, seed: seed, wantAbsent: false).probeOrder
        var samples: [SlotClearing: [Double]] = [:]
        let clearings: [SlotClearing] = [.full, .pointers]
        for rep in 0..<options.repetitions {
            for clearing in clearings.rotated(by: rep) {
                let heap = try MHeap(options.heapConfiguration)
                let mutator = heap.makeMutator()
                let type = MapType(heap: heap, keySize: 8, valueSize: 128, valuePointerWords: [0], name: "map[uint64]v128")
                let map = BucketMap(type: type, mutator: mutator, policy: ClearingPolicy(slotClearing: clearing), seed: seed)
                for k in probeOrder {
                    withUnsafePointer(to: k) { map.insertionPointer(forKey: $0).storeBytes(of: k, toByteOffset: 8, as: UInt64.self) }
                }
                let t0 = monotonicNanos()
                for k in probeOrder { withUnsafePointer(to: k) { _ = map.removeValue(forKey: $0) } }
                samples[clearing, default: []].append(Double(monotonicNanos() - t0) / Double(keys))
                precondition(map.count == 0)
            }
        }
        return clearings.map {
            OpsRow(impl: "lab:clear=\($0.rawValue)", op: "delete_v128", keys: keys, thp: options.thp,
                   nsPerOp: median(samples[$0]!))
        }
    }
}

/// `keys` distinct random keys, as many absent ones, and the present keys in
/// another random order (so lookups do not follow insertion order). The Go
/// reference (Reference/main.go, `keySets`) draws the same sets from the same
/// seed.
public struct OpsKeys: Sendable {
    public let present: [UInt64]
    public let absent: [UInt64]
    public let probeOrder: [UInt64]

    public init(keys: Int, seed: UInt64 = 1, wantAbsent: Bool = true) {
        var rng = SplitMix64(seed: seed)
        var present: [UInt64] = []
        var seen = Set<UInt64>()
        present.reserveCapacity(keys)
        while present.count < keys {
            let k = rng.next()
            if seen.insert(k).inserted { present.append(k) }
        }
        var absent: [UInt64] = []
        while wantAbsent && absent.count < keys {
            let k = rng.next()
            if !seen.contains(k) { absent.append(k) }
        }
        var probeOrder = present
        for i in stride(from: probeOrder.count - 1, to: 0, by: -1) {
            probeOrder.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        self.present = present
        self.absent = absent
        self.probeOrder = probeOrder
    }
}

extension OpsBenchmark {
    /// The Go reference's ops rows under `dir` (`dir/<go-version>/ops.csv`).
    public static func referenceRows(_ dir: String) throws -> [OpsRow] {
        try readPerVersion(dir, file: "ops.csv")
    }

    /// `extra` rows placed after the lab's rows of the same op.
    public static func interleave(_ rows: [OpsRow], _ extra: [OpsRow]) -> [OpsRow] {
        var out: [OpsRow] = []
        var placed = Set<String>()
        for (i, r) in rows.enumerated() {
            out.append(r)
            let lastOfOp = i + 1 == rows.count || rows[i + 1].op != r.op
            if lastOfOp && placed.insert(r.op).inserted { out += extra.filter { $0.op == r.op } }
        }
        return out + extra.filter { !placed.contains($0.op) }
    }
}

extension Array {
    /// The elements starting from index `k` (mod count), wrapping around.
    func rotated(by k: Int) -> [Element] {
        guard !isEmpty else { return self }
        let r = k % count
        return Array(self[r...] + self[..<r])
    }
}

/// Keeps a value alive past the optimiser.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

#if canImport(Glibc)
import Glibc
#endif
