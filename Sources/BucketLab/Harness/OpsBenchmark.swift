// `bucketlab ops`: operation costs measured side by side in one process, so
// ratios are comparable on a noisy shared machine.

/// One repetition of one implementation's operation: `ops-samples.csv`, and
/// the format of the Go reference's `-mode ops` / `-mode gc` output
/// (Reference/ops.go), so Go's rows are read with the same schema.
public struct OpsSample: Sendable, Equatable, ResultRow {
    /// `lab:<strategy>`, `lab:swiss`, `lab:go/fast64`, `dictionary`,
    /// `jemalloc`, `lab`, or a Go version (`go1.19.8`).
    public var impl: String
    public var op: String
    public var keys: Int
    /// Huge pages asked for: "on" or "off" (`anonHugeKiB` says what came).
    public var thp: String
    /// The collector during the timed loops: "off" or "on" (GOGC 100).
    public var gc: String
    /// `make(map, hint)`; 0 = grown from empty.
    public var hint: Int
    /// 0-based repetition; the same index on every implementation of a run
    /// is the same round of the rotation.
    public var rep: Int
    public var nsPerOp: Double
    /// AnonHugePages (/proc/self/smaps_rollup) the insert brought the
    /// process, in KiB; −1 where the kernel does not say.
    public var anonHugeKiB: Int

    public init(impl: String, op: String, keys: Int, thp: String, gc: String, hint: Int = 0, rep: Int,
                nsPerOp: Double, anonHugeKiB: Int = -1) {
        self.impl = impl
        self.op = op
        self.keys = keys
        self.thp = thp
        self.gc = gc
        self.hint = hint
        self.rep = rep
        self.nsPerOp = nsPerOp
        self.anonHugeKiB = anonHugeKiB
    }

    public static var blank: OpsSample { OpsSample(impl: "", op: "", keys: 0, thp: "", gc: "", rep: 0, nsPerOp: 0) }

    public static var columns: [Column<OpsSample>] {
        [.name("impl", \.impl), .name("op", \.op), .int("keys", \.keys), .name("thp", \.thp), .name("gc", \.gc),
         .int("hint", \.hint), .int("rep", \.rep), .double("ns_per_op", \.nsPerOp, digits: 2),
         .int("anon_huge_kib", \.anonHugeKiB)]
    }
}

/// One row of `ops.csv`: an implementation's op over the repetitions of one
/// run, with the conditions it ran under.
public struct OpsRow: Sendable, Equatable, ResultRow {
    public var impl: String
    public var op: String
    public var keys: Int
    public var thp: String
    public var gc: String
    public var hint: Int
    /// How each repetition starts: `fresh-heap` (a new lab heap; a new Go
    /// process), no untimed warm-up round on either side.
    public var warmup: String
    /// `this-run`: measured interleaved with every other row of the file.
    public var source: String
    public var reps: Int
    public var ns: Spread
    /// Median AnonHugePages the insert brought (KiB; −1 unknown).
    public var anonHugeKiB: Int

    public static var blank: OpsRow {
        OpsRow(impl: "", op: "", keys: 0, thp: "", gc: "", hint: 0, warmup: "", source: "", reps: 0, ns: Spread(), anonHugeKiB: 0)
    }

    public static var columns: [Column<OpsRow>] {
        [.name("impl", \.impl), .name("op", \.op), .int("keys", \.keys), .name("thp", \.thp), .name("gc", \.gc),
         .int("hint", \.hint), .name("warmup", \.warmup), .name("source", \.source), .int("reps", \.reps)]
            + Spread.columns("ns", \.ns, digits: 2) + [.int("anon_huge_kib", \.anonHugeKiB)]
    }
}

/// One row of `ops-ratios.csv`: lab / Go per repetition (the two measured in
/// the same round of the same run), summarised over the repetitions.
public struct OpsRatioRow: Sendable, Equatable, ResultRow {
    public var lab: String
    public var go: String
    public var op: String
    public var keys: Int
    public var thp: String
    public var gc: String
    public var reps: Int
    public var ratio: Spread

    public static var blank: OpsRatioRow {
        OpsRatioRow(lab: "", go: "", op: "", keys: 0, thp: "", gc: "", reps: 0, ratio: Spread())
    }

    public static var columns: [Column<OpsRatioRow>] {
        [.name("lab", \.lab), .name("go", \.go), .name("op", \.op), .int("keys", \.keys), .name("thp", \.thp),
         .name("gc", \.gc), .int("reps", \.reps)] + Spread.columns("ratio", \.ratio, digits: 3)
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
    /// Off: the caller also disabled THP for the process and its children
    /// (`HugePages.disableForProcess`), so Go gets none either.
    public var hugePages: Bool
    /// Collector settings to time: "off" (the primary figure), "on".
    public var gcModes: [String]
    /// `make(map, hint)` on every side; 0 = grown from empty.
    public var hint: Int

    public init(keys: Int, repetitions: Int, seed: UInt64 = 1, hugePages: Bool, gcModes: [String] = ["off"],
                hint: Int = 0) throws {
        try Bounds.keys.check(keys)
        try Bounds.repeats.check(repetitions)
        try Bounds.hint.check(hint)
        self.hint = hint
        self.keys = keys
        self.repetitions = repetitions
        self.seed = seed
        self.hugePages = hugePages
        self.gcModes = gcModes
    }

    var thp: String { hugePages ? "on" : "off" }
    var heapConfiguration: MHeap.Configuration { MHeap.Configuration(hugePages: hugePages) }
}

extension [OpsSample] {
    /// The median ns of `impl`'s `op` (collector `gc`).
    public func ns(_ impl: String, _ op: String, gc: String? = nil) throws -> Double {
        let xs = filter { $0.impl == impl && $0.op == op && (gc == nil || $0.gc == gc) }.map(\.nsPerOp)
        guard !xs.isEmpty else {
            throw GoReferenceError(description: "no \(impl) \(op) sample among \(Set(map { "\($0.impl) \($0.op)" }).sorted())")
        }
        return median(xs)
    }

    /// Per implementation, op and collector setting (in first-seen order):
    /// the spread over repetitions.
    public func summarised(warmup: String = "fresh-heap") -> [OpsRow] {
        var order: [String] = []
        var groups: [String: [OpsSample]] = [:]
        for s in self {
            let k = "\(s.impl)\u{1}\(s.op)\u{1}\(s.gc)"
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(s)
        }
        return order.map { k in
            let g = groups[k]!, f = g[0]
            let huge = g.map(\.anonHugeKiB)
            return OpsRow(impl: f.impl, op: f.op, keys: f.keys, thp: f.thp, gc: f.gc, hint: f.hint, warmup: warmup,
                          source: "this-run", reps: g.count, ns: Spread(g.map(\.nsPerOp)),
                          anonHugeKiB: huge.contains(-1) ? -1 : Int(median(huge.map(Double.init)).rounded()))
        }
    }

    /// lab / go per repetition for each op and collector setting both have,
    /// the repetitions paired by index.
    public func ratios(lab: String, go: String) -> [OpsRatioRow] {
        var rows: [OpsRatioRow] = []
        for gc in ["off", "on"] {
            for op in OpsBenchmark.mapOps {
                var labByRep: [Int: OpsSample] = [:]
                for s in self where s.impl == lab && s.op == op && s.gc == gc { labByRep[s.rep] = s }
                let pairs = filter { $0.impl == go && $0.op == op && $0.gc == gc }
                    .compactMap { g in labByRep[g.rep].map { ($0, g) } }
                guard let first = pairs.first?.0 else { continue }
                rows.append(OpsRatioRow(lab: lab, go: go, op: op, keys: first.keys, thp: first.thp, gc: gc,
                                        reps: pairs.count, ratio: Spread(pairs.map { $0.0.nsPerOp / $0.1.nsPerOp })))
            }
        }
        return rows
    }
}

/// A safe point in a timed loop: none when the collector is off, the lab
/// collector's (a pending pacer cycle runs there) when it is on.
protocol OpsSafePoint {
    func poll()
}

struct NoSafePoint: OpsSafePoint {
    @inline(__always) func poll() {}
}

struct CollectorSafePoint: OpsSafePoint {
    let collector: Collector
    @inline(__always) func poll() { collector.safePoint() }
}

public enum OpsBenchmark {
    /// The five map operations, in the order each repetition runs them.
    public static let mapOps = ["insert", "lookup_hit", "lookup_miss", "iterate", "delete"]

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
    public static func allocation(_ options: OpsOptions) throws -> [OpsSample] {
        let objects = options.keys
        let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: objects)
        defer { slots.deallocate() }
        let heap = try MHeap(options.heapConfiguration)
        let type = heap.registerType(name: "blob48", size: 48)
        var samples: [OpsSample] = []
        var sink = 0
        let ops = [("lab", "alloc48"), ("jemalloc", "mallocx48"), ("jemalloc", "mallocx48_zero")]
        for round in 0...options.repetitions {
            func timed(_ impl: (String, String), _ body: () -> Void) {
                let t0 = monotonicNanos()
                body()
                let t1 = monotonicNanos()
                if round > 0 {
                    samples.append(OpsSample(impl: impl.0, op: impl.1, keys: objects, thp: options.thp, gc: "off",
                                             rep: round - 1, nsPerOp: Double(t1 - t0) / Double(objects)))
                }
                sink &+= Int(bitPattern: slots[objects / 2])
            }
            // Each round starts with another of the three (rotating order).
            for impl in ops.rotated(by: round) {
                if impl.1 == "alloc48" {
                    let mutator = heap.makeMutator()
                    timed(impl) {
                        for i in 0..<objects {
                            let p = mutator.allocate(type)
                            p.storeBytes(of: i, as: Int.self)
                            slots[i] = p
                        }
                    }
                    heap.sweep()  // nothing marked: every object is freed, spans pooled
                } else {
                    let zero = impl.1 == "mallocx48_zero"
                    timed(impl) {
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
        return samples
    }
}

extension OpsBenchmark {
    /// The same `keys` random `UInt64` keys through the classic lab map (one
    /// implementation per strategy, `lab:<strategy>`), the Swiss one with
    /// Go's policy (`lab:swiss`), `Dictionary<UInt64, UInt64>` and the real
    /// Go map of every reference given (a child process per repetition:
    /// Reference/ops.go), all in one run: insert all (from empty, no size
    /// hint), look each up (hits, in another random order), look up as many
    /// absent keys, iterate everything through each map's own iterator (a
    /// random start, as Go's `range`), delete all. Each repetition runs every
    /// implementation once, in an order that rotates from one repetition to
    /// the next, each on a fresh heap (a new lab heap; a new Go process) and
    /// timed the same way (the clock read around the loop only). The
    /// classic `go` strategy also times its lookups along Go's
    /// `mapaccess1_fast64` path (`lab:go/fast64`), the two paths alternating
    /// which goes first.
    ///
    /// Collector "off" (the primary figure): the lab runs none; Go runs with
    /// `debug.SetGCPercent(-1)` after its key slices are collected. "on":
    /// GOGC 100 on both, the lab's pacer cycles run at a safe point after
    /// each insert (for `lab:go`, `lab:swiss` and Go only).
    ///
    /// `keySets` saves a caller that measures repeatedly from drawing the
    /// same keys again; it must match `options` (count and seed).
    public static func maps(_ options: OpsOptions, strategies: [Strategy] = Strategy.presets, swiss: Bool = true,
                            goReferences: [GoReference] = [], keySets: OpsKeys? = nil,
                            progress: ((String) -> Void)? = nil) throws -> [OpsSample] {
        let keys = options.keys
        let keySets = keySets ?? OpsKeys(keys: keys, seed: options.seed)
        precondition(keySets.present.count == keys, "key sets drawn for another key count")
        let (present, absent, probeOrder) = (keySets.present, keySets.absent, keySets.probeOrder)
        var samples: [OpsSample] = []
        var sink: UInt64 = 0
        var rep = 0, gc = "off", huge = -1
        func timed(_ impl: String, _ op: String, _ body: () -> Void) {
            let t0 = monotonicNanos()
            body()
            let ns = Double(monotonicNanos() - t0) / Double(keys)
            samples.append(OpsSample(impl: impl, op: op, keys: keys, thp: options.thp, gc: gc, hint: options.hint, rep: rep,
                                     nsPerOp: ns, anonHugeKiB: huge))
        }
        func insert(_ impl: String, _ body: () -> Void) {
            let before = HugePages.anonHugeKiB()
            timed(impl, "insert", body)
            let after = HugePages.anonHugeKiB()
            huge = before < 0 || after < 0 ? -1 : after - before
            samples[samples.count - 1].anonHugeKiB = huge
        }
        // Each timed loop sums into a local of its own and hands it to `sink`
        // once: a captured accumulator would cost a dynamic exclusivity
        // check per operation, on whichever side captured it.
        /// The five operations on one map of a model, through the seam
        /// (specialised for the concrete model and safe point).
        func run<M: MapModel, S: OpsSafePoint>(_ map: M, impl: String, safePoint: S) {
            insert(impl) {
                for k in present {
                    map.updateValue(k, forKey: k)
                    safePoint.poll()
                }
            }
            var lookups: [(String, () -> Void)] = [(impl, {
                timed(impl, "lookup_hit") {
                    var s: UInt64 = 0
                    for k in probeOrder { s &+= map.value(forKey: k) ?? 0 }
                    sink &+= s
                }
                timed(impl, "lookup_miss") {
                    var s: UInt64 = 0
                    for k in absent { s &+= map.value(forKey: k) ?? 1 }
                    sink &+= s
                }
            })]
            if let classic = map as? BucketMap, impl == "lab:go", gc == "off" {
                let goPath = impl + "/fast64"
                lookups.append((goPath, {
                    timed(goPath, "lookup_hit") {
                        var s: UInt64 = 0
                        for k in probeOrder { s &+= classic.valuePointerGoFast64(forWord: k)?.load(as: UInt64.self) ?? 0 }
                        sink &+= s
                    }
                    timed(goPath, "lookup_miss") {
                        var s: UInt64 = 0
                        for k in absent { s &+= classic.valuePointerGoFast64(forWord: k)?.load(as: UInt64.self) ?? 1 }
                        sink &+= s
                    }
                }))
            }
            for (_, body) in lookups.rotated(by: rep) { body() }
            timed(impl, "iterate") {
                var s: UInt64 = 0
                let it = map.makeIteration()
                while let (k, v) = it.nextEntry() { s &+= k ^ v }
                sink &+= s
            }
            timed(impl, "delete") { for k in probeOrder { map.removeValue(forKey: k) } }
            precondition(map.count == 0, "\(impl) did not delete everything")
        }
        func run<M: MapModel>(_ map: M, impl: String, collector: Collector?) {
            if let collector {
                run(map, impl: impl, safePoint: CollectorSafePoint(collector: collector))
            } else {
                run(map, impl: impl, safePoint: NoSafePoint())
            }
        }
        func runDictionary() {
            var dict: [UInt64: UInt64] = options.hint > 0 ? Dictionary(minimumCapacity: options.hint) : [:]
            insert("dictionary") { for k in present { dict[k] = k } }
            timed("dictionary", "lookup_hit") {
                var s: UInt64 = 0
                for k in probeOrder { s &+= dict[k] ?? 0 }
                sink &+= s
            }
            timed("dictionary", "lookup_miss") {
                var s: UInt64 = 0
                for k in absent { s &+= dict[k] ?? 1 }
                sink &+= s
            }
            timed("dictionary", "iterate") {
                var s: UInt64 = 0
                for (k, v) in dict { s &+= k ^ v }
                sink &+= s
            }
            timed("dictionary", "delete") { for k in probeOrder { dict.removeValue(forKey: k) } }
            precondition(dict.isEmpty)
        }
        enum Impl { case classic(Strategy), swiss, dictionary, go(GoReference) }
        var impls: [(Impl, gc: String)] = []
        for mode in options.gcModes {
            let classics = mode == "off" ? strategies : strategies.filter { $0.name == Strategy.go.name }
            impls += classics.map { (.classic($0), mode) }
            if swiss { impls.append((.swiss, mode)) }
            impls += goReferences.filter { swiss || !$0.hasSwissMaps }.map { (.go($0), mode) }
            if mode == "off" { impls.append((.dictionary, mode)) }
        }
        for r in 0..<options.repetitions {
            rep = r
            progress?("repetition \(r + 1)/\(options.repetitions)")
            for (impl, mode) in impls.rotated(by: r) {
                gc = mode
                func collector(_ heap: MHeap) -> Collector? { mode == "on" ? Collector(heap: heap, gogc: 100) : nil }
                switch impl {
                case .dictionary:
                    runDictionary()
                case let .classic(strategy):
                    let heap = try MHeap(options.heapConfiguration)
                    let c = collector(heap)
                    run(BucketMap(type: .uint64ToUInt64(heap: heap), mutator: heap.makeMutator(), policy: strategy.policy,
                                  seed: options.seed, hint: options.hint),
                        impl: "lab:" + strategy.name, collector: c)
                case .swiss:
                    let heap = try MHeap(options.heapConfiguration)
                    let c = collector(heap)
                    run(SwissMap(type: .uint64ToUInt64(heap: heap), mutator: heap.makeMutator(), policy: .go,
                                 seed: options.seed, hint: options.hint),
                        impl: "lab:" + SwissMap.modelName, collector: c)
                case let .go(reference):
                    samples += try reference.run(mode: "ops", keys: keys, rounds: 1, seed: options.seed, gc: mode,
                                                 thp: options.thp, hint: options.hint).map { s in
                        var s = s
                        s.rep = r
                        return s
                    }
                }
            }
        }
        blackHole(sink)
        return samples
    }

    /// Delete cost of `clear=full` against `clear=pointers` for 128-byte
    /// values holding one pointer word (the rest plain data): Go zeroes all
    /// 128 bytes, `pointers` one word. Op `delete_v128`, same run.
    public static func wideValueDeletes(_ options: OpsOptions) throws -> [OpsSample] {
        let keys = min(options.keys, 250_000), seed = options.seed
        let probeOrder = OpsKeys(keys: keys, seed: seed, wantAbsent: false).probeOrder
        var samples: [OpsSample] = []
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
                samples.append(OpsSample(impl: "lab:clear=\(clearing.rawValue)", op: "delete_v128", keys: keys,
                                         thp: options.thp, gc: "off", rep: rep,
                                         nsPerOp: Double(monotonicNanos() - t0) / Double(keys)))
                precondition(map.count == 0)
            }
        }
        return samples
    }

    /// The ratios `ops` reports: `lab:go` and `lab:go/fast64` against each
    /// Go with the classic map, `lab:swiss` against each Go with Swiss
    /// tables, repetition by repetition.
    public static func ratios(_ samples: [OpsSample], goVersions: [String]) -> [OpsRatioRow] {
        goVersions.flatMap { v -> [OpsRatioRow] in
            let labs = GoReference.versionHasSwissMaps(v) ? ["lab:" + SwissMap.modelName] : ["lab:go", "lab:go/fast64"]
            return labs.flatMap { samples.ratios(lab: $0, go: v) }
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
