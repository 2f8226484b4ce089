// The collector stress: randomly mixed operations on several maps (one per
// strategy), with pins and open iterators, collections from the pacer and on
// demand, and after every cycle a check of every live payload's checksum, of
// each map against a reference Dictionary (count, keys, deletes) and of the
// heap's books. `bucketlab stress` runs the long form; the tests a
// short one.

/// Payloads that carry their own checksum: word 0 the key, word 1 a serial
/// number, the rest derived from both.
public struct ChecksummedPayloads {
    public let type: ObjectType
    let mutator: Mutator
    private(set) var serial: UInt64 = 0

    public init(heap: MHeap, mutator: Mutator, bytes: Int = 48) {
        precondition(bytes >= 16 && bytes % 8 == 0)
        type = heap.registerType(name: "payload\(bytes)", size: bytes)
        self.mutator = mutator
    }

    static func word(_ key: UInt64, _ serial: UInt64, _ i: Int) -> UInt64 {
        SplitMix64.mix(key ^ (serial << 20) ^ UInt64(i))
    }

    public mutating func make(key: UInt64) -> UnsafeMutableRawPointer {
        serial += 1
        let p = mutator.allocate(type)
        p.storeBytes(of: key, as: UInt64.self)
        p.storeBytes(of: serial, toByteOffset: 8, as: UInt64.self)
        for i in 2..<(type.size / 8) { p.storeBytes(of: Self.word(key, serial, i), toByteOffset: i * 8, as: UInt64.self) }
        return p
    }

    /// Whether `p` still holds the payload made for `key`.
    public func isIntact(_ p: UnsafeRawPointer, key: UInt64) -> Bool {
        guard p.load(as: UInt64.self) == key else { return false }
        let serial = p.load(fromByteOffset: 8, as: UInt64.self)
        return (2..<(type.size / 8)).allSatisfy { p.load(fromByteOffset: $0 * 8, as: UInt64.self) == Self.word(key, serial, $0) }
    }
}

/// What a stress run did and found (a row of stress.csv).
public struct StressReport: Sendable, ResultRow {
    public var map = ""
    public var seed: UInt64 = 0
    public var sweepMode = SweepMode.eager
    public var keySpace = 0
    public var cycles = 0
    public var pacerCycles = 0
    public var operations = 0
    public var payloadsVerified = 0
    public var relocated = 0
    public var violations: [String] = []
    public var violationCount = 0
    public var elapsedNs: UInt64 = 0

    public static var blank: StressReport { StressReport() }

    public static var columns: [Column<StressReport>] {
        [.name("map", \.map), .uint64("seed", \.seed), .choice("sweep", \.sweepMode), .int("keys", \.keySpace), .int("cycles", \.cycles),
         .int("pacer_cycles", \.pacerCycles), .int("operations", \.operations),
         .int("payloads_verified", \.payloadsVerified), .int("relocated", \.relocated),
         .int("violations", \.violationCount), .uint64("elapsed_ns", \.elapsedNs)]
    }
}

public enum StressTest {
    /// Runs until `cycles` collections have happened, on one map of `model`
    /// per strategy, driven through the map-model seam. Stops at the first 20
    /// violations. `gogc` (default 1, a cycle every few operations) and
    /// `memlimit` (GOMEMLIMIT, MemoryLimit.swift) pace the collections; GOGC
    /// off needs a limit.
    public static func run(cycles target: Int, seed: UInt64 = 1, sweepMode: SweepMode = .eager,
                           strategies: [Strategy] = Strategy.presets, model: any MapModel.Type = BucketMap.self,
                           keySpace: Int = 300, gcWorkers: Int = onlineCores, concurrentMark: Bool = true,
                           gogc: Int? = 1, memlimit: Int? = nil,
                           progress: ((Int) -> Void)? = nil) throws -> StressReport {
        try Bounds.cycles.check(target)
        try Bounds.stressKeys.check(keySpace)
        try Bounds.gcWorkers.check(gcWorkers)
        if let gogc { try Bounds.gogc.check(gogc) }
        if let memlimit { try Bounds.memlimit.check(memlimit) }
        guard gogc != nil || memlimit != nil else { throw ConfigError("--gogc off needs a --memlimit: nothing would collect") }
        let heap = try MHeap()
        let collector = Collector(heap: heap, gogc: gogc, sweepMode: sweepMode, gcWorkers: gcWorkers)
        collector.memoryLimit = memlimit.map { .forMapModel(model.modelName, limitBytes: $0) }
        collector.concurrentMark = concurrentMark ? .calibrated : nil
        let mutator = heap.makeMutator()
        var payloads = ChecksummedPayloads(heap: heap, mutator: mutator)
        let type = MapType.uint64ToPointer(heap: heap)
        var rng = SplitMix64(seed: seed)
        func next() -> UInt64 { rng.next() }
        func makeMap(_ m: Int, seed: UInt64) -> any MapModel {
            model.init(type: type, mutator: mutator, policy: strategies[m].policy, seed: seed, hint: 0)
        }
        func address(_ word: UInt64) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: UInt(word))! }
        var maps = strategies.indices.map { makeMap($0, seed: UInt64($0) &+ seed) }
        var reference: [[UInt64: UnsafeMutableRawPointer]] = Array(repeating: [:], count: maps.count)
        var pinned: [(address: UnsafeMutableRawPointer, key: UInt64)] = []
        var iterators: [any MapIteration] = []
        var report = StressReport()
        report.map = model.modelName
        report.seed = seed
        report.sweepMode = sweepMode
        report.keySpace = keySpace
        let start = monotonicNanos()

        func violation(_ what: String) {
            report.violationCount += 1
            if report.violations.count < 20 { report.violations.append("cycle \(report.cycles): \(what)") }
        }

        func verify(_ cycle: CycleStats) {
            report.cycles += 1
            if cycle.reason == .pacer { report.pacerCycles += 1 }
            report.relocated += cycle.objectsRelocated
            checkPayloads()
            for problem in checkBooks(heap) { violation(problem) }
            progress?(report.cycles)
        }

        /// Every payload in a map or pinned is allocated and intact; the
        /// reference follows the payloads relocation moved. Run after every
        /// mark: relocation moves payloads there, also when the cycle's sweep
        /// comes later (Collector+ConcurrentMark.swift).
        func checkPayloads() {
            for (m, ref) in reference.enumerated() {
                // Differential against the reference Dictionary: the same
                // count, and nothing in the map that the reference lacks.
                if maps[m].count != ref.count { violation("map \(m) counts \(maps[m].count), the reference \(ref.count)") }
                var extra = 0
                maps[m].forEachEntry { k, _ in if ref[k] == nil { extra += 1 } }
                if extra > 0 { violation("map \(m) iterates \(extra) keys the reference does not have") }
                for (k, p) in ref {
                    // Relocation may move a payload: the map has its address.
                    guard let word = maps[m].value(forKey: k), word != 0 else { violation("map \(m) lost key \(k)"); continue }
                    let current = address(word)
                    if current != p && pinned.contains(where: { $0.address == p }) { violation("a pinned payload moved") }
                    reference[m][k] = current
                    guard heap.findObject(current)?.isAllocated == true, payloads.isIntact(current, key: k) else {
                        violation("payload of key \(k) in map \(m) damaged or freed")
                        continue
                    }
                    report.payloadsVerified += 1
                }
            }
            for (p, k) in pinned where heap.findObject(p)?.isAllocated != true || !payloads.isIntact(p, key: k) {
                violation("pinned payload \(k) damaged or freed")
            }
        }

        while report.cycles < target && report.violations.isEmpty {
            let m = Int(next() % UInt64(maps.count))
            let key = next() % UInt64(keySpace)
            report.operations += 1
            // Per mille: mostly inserts and deletes, so maps grow and shrink
            // through several grows; clears and drops are rare.
            switch next() % 1000 {
            case 0..<450:
                let p = payloads.make(key: key)
                maps[m].updateValue(UInt64(UInt(bitPattern: p)), forKey: key)
                reference[m][key] = p
            case 450..<750:
                if maps[m].removeValue(forKey: key) != (reference[m].removeValue(forKey: key) != nil) {
                    violation("delete of \(key) in map \(m) disagrees with the reference")
                }
            case 750..<790:
                var g = SplitMix64(seed: next())
                // Keys are chosen in key order, not the dictionary's (Swift
                // seeds its hashing per process): a seed replays exactly.
                if pinned.count < 16, let k = reference[m].keys.sorted().randomElement(using: &g) {
                    let p = address(maps[m].value(forKey: k)!)
                    heap.roots.pin(p + 3)  // an interior pointer
                    pinned.append((p, k))
                }
            case 790..<830:
                if !pinned.isEmpty {
                    let (p, _) = pinned.remove(at: Int(next() % UInt64(pinned.count)))
                    heap.roots.unpin(p + 3)
                }
            case 830..<850:
                iterators.append(maps[m].makeIteration())
                _ = iterators.last!.nextEntry()
            case 850..<880:
                if !iterators.isEmpty { iterators.removeFirst().close() }
            case 880..<882:
                maps[m].removeAll()
                reference[m] = [:]
            case 882:
                maps[m] = makeMap(m, seed: next())
                reference[m] = [:]
            case 883..<920:
                if let (k, p) = reference[m].min(by: { $0.key < $1.key }), maps[m].value(forKey: k) != UInt64(UInt(bitPattern: p)) {
                    violation("lookup of \(k) disagrees")
                }
            default:
                let marking = collector.isMarking
                if let cycle = collector.safePoint() {
                    verify(cycle)
                } else if !marking && collector.isMarking {
                    checkPayloads()
                }
            }
            if next() % 1000 == 0 { verify(collector.collect()) }
        }
        for (i, m) in maps.enumerated() {
            for v in m.invariantViolations() { violation("map \(i): \(v)") }
        }
        withExtendedLifetime(iterators) {}
        report.elapsedNs = monotonicNanos() - start
        return report
    }

    /// The heap's books: invariants, objects × size = object bytes per class,
    /// in-use ≤ held, and jemalloc's active ≥ in-use.
    public static func checkBooks(_ heap: MHeap) -> [String] {
        var problems = heap.invariantViolations()
        let st = heap.stats()
        var objects = 0, bytes = 0
        heap.forEachInUseSpan { span in
            objects += span.allocCount
            bytes += span.allocCount * span.elemsize
        }
        if objects != st.liveObjects || bytes != st.objectBytes { problems.append("object counts do not add up") }
        if !(st.inuseBytes <= st.residentBytes && st.residentBytes <= st.sysBytes) {
            problems.append("in-use \(st.inuseBytes), resident \(st.residentBytes), sys \(st.sysBytes) out of order")
        }
        if st.idleBytes != st.sysBytes - st.inuseBytes || st.releasedBytes > st.idleBytes {
            problems.append("idle \(st.idleBytes) or released \(st.releasedBytes) does not add up")
        }
        if st.arena.activeBytes < st.sysBytes { problems.append("arena active \(st.arena.activeBytes) < sys \(st.sysBytes)") }
        return problems
    }
}
