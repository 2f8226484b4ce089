// The workloads: each a sequence of phases that reproduces one way a map
// keeps memory. See Suite.swift.

public enum Workload: String, Sendable, CaseIterable {
    case fillDrain = "fill-drain"
    case fillDrainPtr = "fill-drain-ptr"
    case sparseSurvivors = "sparse-survivors"
    case churn
    case pinnedIterator = "pinned-iterator"
    case leakedInteriorRef = "leaked-interior-ref"
    case cacheZipf = "cache-zipf"
    case bursty
    case fillClear = "fill-clear"
    case stalledGrow = "stalled-grow"
    case iterateThenGrow = "iterate-then-grow"
    case stringKeys = "string-keys"
    case tombstoneChurn = "tombstone-churn"

    /// What the workload shows, for `bucketlab list`.
    public var summary: String {
        switch self {
        case .fillDrain: return "UInt64→UInt64: fill N, delete all, refill 10% — buckets outlive their keys."
        case .fillDrainPtr: return "UInt64→payload: fill N, delete all — payloads are freed, buckets kept."
        case .sparseSurvivors: return "Keep every 100th key — payload spans fragment and the map does not shrink."
        case .churn: return "Sliding window W over N inserts — steady state, overflow growth, same-size grows."
        case .pinnedIterator: return "An iterator held across a grow keeps the old bucket array alive."
        case .leakedInteriorRef: return "A pin into one bucket keeps the whole array after the map is dropped."
        case .cacheZipf: return "A bounded cache with Zipf-popular keys and FIFO evictions (a service cache)."
        case .bursty: return "Repeated fill/drain cycles with fresh keys — is memory reused or does it creep?"
        case .fillClear:
            return "UInt64→payload: fill, then empty it three ways — clear(m), the range-delete idiom, m = make(...)."
        case .stalledGrow: return "Fill just past a growth trigger and stop writing: both arrays stay until writes resume."
        case .iterateThenGrow:
            return "A finished range loop, then deletes during the next grow: Go's sticky flag keeps deleted payloads."
        case .stringKeys: return "The seed's map[string]*payload: fill, delete all — are the key strings freed too?"
        case .tombstoneChurn:
            return "A map held at 10%, 44%, 87% of its slots by delete+insert churn: does it grow anyway (Go #70886)?"
        }
    }

    /// The phase that shows what the workload is about: the summary's
    /// headline figures come from its end.
    public func headlinePhase(bursts: Int) -> String {
        switch self {
        case .fillDrain, .fillDrainPtr: return "drained"
        case .sparseSurvivors: return "kept1pct"
        case .churn, .cacheZipf: return "end"
        case .pinnedIterator: return "grown-pinned"
        case .leakedInteriorRef: return "dropped-pinned"
        case .bursty: return "cycle\(bursts)"
        case .fillClear: return "cleared"
        case .stalledGrow: return "stalled"
        case .iterateThenGrow: return "deleted-mid-grow"
        case .stringKeys: return "drained"
        case .tombstoneChurn: return "churn\(Self.churnLoads.last!)"
        }
    }

    /// The loads (percent of the map's slots) tombstone-churn holds its maps
    /// at: golang/go#70886's three cases (a table of 128 slots with 13, 56
    /// and 111 entries — low, just after a grow, just before one).
    public static let churnLoads = [10, 44, 87]

    /// The phases every workload ends with unless told not to settle: `idle`
    /// (the background scavenger has reached its goal) and `freeos` (after
    /// `debug.FreeOSMemory`).
    public static let settlePhases = ["idle", "freeos"]

    /// Every phase of a run, in order.
    public func phases(bursts: Int, settle: Bool) -> [String] {
        phases(bursts: bursts) + (settle ? Self.settlePhases : [])
    }

    /// The workload's own phases.
    public func phases(bursts: Int) -> [String] {
        switch self {
        case .fillDrain: return ["peak", "drained", "refill10"]
        case .fillDrainPtr: return ["peak", "drained"]
        case .sparseSurvivors: return ["peak", "kept1pct"]
        case .churn: return ["warm", "half", "end"]
        case .pinnedIterator: return ["before-grow", "grown-pinned", "released"]
        case .leakedInteriorRef: return ["peak", "dropped-pinned", "unpinned"]
        case .cacheZipf: return ["warm", "end"]
        case .bursty: return (1...bursts).map { "cycle\($0)" }
        case .fillClear: return ["filled", "cleared", "refilled", "range-deleted", "refilled-again", "rebuilt"]
        case .stalledGrow: return ["stalled", "resumed", "finished"]
        case .iterateThenGrow: return ["filled", "ranged", "deleted-mid-grow", "finished"]
        case .stringKeys: return ["peak", "drained"]
        case .tombstoneChurn: return Self.churnLoads.flatMap { ["fill\($0)", "churn\($0)"] }
        }
    }

    /// Names for error messages: every workload, and `all`.
    public static var validNames: String { allCases.map(\.rawValue).joined(separator: ", ") + ", all" }

    /// A comma-separated list of workload names, or `all`.
    public static func parseList(_ text: String) throws -> [Workload] {
        if text == "all" { return allCases }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { name in
            guard let w = Workload(rawValue: String(name)) else {
                throw ConfigError("unknown workload '\(name)'; valid: \(validNames)")
            }
            return w
        }
    }

    /// Runs every phase on `run`, driving its maps through the seam only.
    func run(_ r: WorkloadRun) {
        let n = r.config.keys
        switch self {
        case .fillDrain:
            let map = r.makeMap(.words)
            r.beginPhase("peak", expectedOps: n)
            for i in 0..<n { r.op { map.updateValue(UInt64(i), forKey: r.key(i)) }; r.liveKeys += 1 }
            r.endPhase()
            r.beginPhase("drained", expectedOps: n)
            for i in 0..<n { r.op { map.removeValue(forKey: r.key(i)) }; r.liveKeys -= 1 }
            r.endPhase()
            r.beginPhase("refill10", expectedOps: n / 10)
            for i in n..<(n + n / 10) { r.op { map.updateValue(UInt64(i), forKey: r.key(i)) }; r.liveKeys += 1 }
            r.endPhase()

        case .fillDrainPtr, .sparseSurvivors:
            let map = r.makeMap(.payloads)
            r.beginPhase("peak", expectedOps: n)
            for i in 0..<n { fillPayload(r, map, i) }
            r.endPhase()
            let sparse = self == .sparseSurvivors
            r.beginPhase(sparse ? "kept1pct" : "drained", expectedOps: n)
            for i in 0..<n where !sparse || i % 100 != 0 { dropPayload(r, map, i) }
            r.endPhase()

        case .churn:
            let map = r.makeMap(.payloads)
            let w = r.config.window
            let bounds = [("warm", w), ("half", max(w, n / 2)), ("end", n)]
            var i = 0
            for (name, end) in bounds {
                r.beginPhase(name, expectedOps: 2 * max(0, end - i))
                while i < end {
                    fillPayload(r, map, i)
                    if i >= w { dropPayload(r, map, i - w) }
                    i += 1
                }
                r.endPhase()
            }

        case .pinnedIterator:
            let map = r.makeMap(.words)
            // Fill to exactly the growth threshold nearest n/2 (no grow yet).
            let threshold = map.growthThreshold(atLeast: n / 2)
            r.beginPhase("before-grow", expectedOps: threshold)
            for i in 0..<threshold { r.op { map.updateValue(UInt64(i), forKey: r.key(i)) }; r.liveKeys += 1 }
            r.endPhase()
            let it = map.makeIteration()
            _ = it.nextEntry()
            // Insert past the trigger until the grow has surely finished: each
            // insert during a grow evacuates at least one old bucket, and
            // threshold/4 = 1.6 × 2^B inserts exceed the 2^B old buckets. A
            // fixed count, so the Go reference (Reference/) inserts as many.
            let more = threshold / 4 + 1
            r.beginPhase("grown-pinned", expectedOps: more)
            for i in threshold..<(threshold + more) {
                r.op { map.updateValue(UInt64(i), forKey: r.key(i)) }
                r.liveKeys += 1
            }
            r.endPhase()
            r.beginPhase("released", expectedOps: 1)
            r.op { it.close() }
            r.endPhase()

        case .leakedInteriorRef:
            var map: (any MapModel)? = r.makeMap(.words)
            r.beginPhase("peak", expectedOps: n)
            for i in 0..<n { r.op { map!.updateValue(UInt64(i), forKey: r.key(i)) }; r.liveKeys += 1 }
            r.endPhase()
            // The seed's leak: an outside pointer into one bucket's value.
            let interior = map!.interiorAddress!
            r.beginPhase("dropped-pinned", expectedOps: 1)
            r.op {
                r.heap.roots.pin(interior)
                r.maps.removeAll()
                map = nil
                r.liveKeys = 0
            }
            r.endPhase()
            r.beginPhase("unpinned", expectedOps: 1)
            r.op { r.heap.roots.unpin(interior) }
            r.endPhase()

        case .cacheZipf:
            let map = r.makeMap(.payloads)
            let capacity = r.config.window
            var zipf = ZipfSampler(count: n, exponent: 1.0, seed: r.config.seed)
            var fifo = [Int](repeating: 0, count: capacity)
            var head = 0, size = 0
            for (phase, ops) in [("warm", n / 2), ("end", n - n / 2)] {
                r.beginPhase(phase, expectedOps: ops)
                for _ in 0..<ops {
                    let rank = zipf.next()
                    let k = r.key(rank)
                    var hit = false
                    r.op { hit = map.value(forKey: k) != nil }
                    if hit { continue }
                    if size == capacity {
                        dropPayload(r, map, fifo[head])
                        head = (head + 1) % capacity
                        size -= 1
                    }
                    fillPayload(r, map, rank)
                    fifo[(head + size) % capacity] = rank
                    size += 1
                }
                r.endPhase()
            }

        case .fillClear:
            var map = r.makeMap(.payloads)
            func fill(_ phase: String) {
                r.beginPhase(phase, expectedOps: n)
                for i in 0..<n { fillPayload(r, map, i) }
                r.endPhase()
            }
            func emptied() {
                r.liveKeys = 0
                r.livePayloads = 0
            }
            fill("filled")
            // Go 1.21's clear(m): the array is kept, zeroed.
            r.beginPhase("cleared", expectedOps: 1)
            r.op { map.removeAll() }
            emptied()
            r.endPhase()
            fill("refilled")
            // `for k := range m { delete(m, k) }`: Go's compiler turns the
            // idiom into runtime.mapclear (cmd/compile/internal/walk/range.go,
            // isMapClear), the same call as clear(m): the array is kept,
            // overflow and old buckets go.
            r.beginPhase("range-deleted", expectedOps: 1)
            r.op { map.removeAll() }
            emptied()
            r.endPhase()
            fill("refilled-again")
            // m = make(map[uint64]*payload): the old map is garbage.
            r.beginPhase("rebuilt", expectedOps: 1)
            r.op {
                r.maps.removeAll()
                map = r.makeMap(.payloads)
            }
            emptied()
            r.endPhase()

        case .stalledGrow:
            let map = r.makeMap(.payloads)
            let threshold = map.growthThreshold(atLeast: n / 2)
            // Fill to the trigger and one past it: the grow starts (two old
            // buckets evacuated), then writes stop.
            r.beginPhase("stalled", expectedOps: threshold + 1)
            var i = 0
            while i <= threshold {
                fillPayload(r, map, i)
                i += 1
            }
            r.endPhase()
            // A few writes again: each evacuates up to two old buckets, so
            // threshold/40 (0.16 × 2^B) move at most a third of them.
            r.beginPhase("resumed", expectedOps: threshold / 40)
            for _ in 0..<(threshold / 40) {
                fillPayload(r, map, i)
                i += 1
            }
            r.endPhase()
            // threshold/4 more (1.6 × 2^B) surely finish the grow.
            r.beginPhase("finished", expectedOps: threshold / 4)
            for _ in 0..<(threshold / 4) {
                fillPayload(r, map, i)
                i += 1
            }
            r.endPhase()

        case .iterateThenGrow:
            let map = r.makeMap(.payloads)
            let threshold = map.growthThreshold(atLeast: n / 2)
            r.beginPhase("filled", expectedOps: threshold)
            for i in 0..<threshold { fillPayload(r, map, i) }
            r.endPhase()
            // A complete range loop: Go sets the map's sticky iterator flag.
            r.beginPhase("ranged", expectedOps: threshold)
            var sum: UInt64 = 0
            r.op { map.forEachEntry { k, _ in sum &+= k } }
            r.endPhase()
            // One insert starts the grow; then deletes — each evacuates at
            // most two old buckets, so threshold/16 (0.4 × 2^B) leave the grow
            // unfinished. The flag keeps old buckets intact, so a deleted
            // payload stays reachable from its old slot.
            r.beginPhase("deleted-mid-grow", expectedOps: threshold / 16 + 1)
            fillPayload(r, map, threshold)
            for d in 0..<(threshold / 16) { dropPayload(r, map, d) }
            r.endPhase()
            r.beginPhase("finished", expectedOps: threshold / 4)
            for i in (threshold + 1)..<(threshold + 1 + threshold / 4) { fillPayload(r, map, i) }
            r.endPhase()
            blackHole(sum)

        case .stringKeys:
            let map = r.makeMap(.stringKeyedPayloads)
            let stringBytes = r.keyStringObjectBytes
            r.beginPhase("peak", expectedOps: n)
            for i in 0..<n {
                let k = r.key(i)
                // Go: m[fmt.Sprintf("%016x", k)] = newPayload(k), Sprintf first.
                r.op {
                    r.boxSprintfArgument()
                    let key = r.makeKeyString(k)
                    map.updateValue(r.makePayload(k), forString: key, count: WorkloadRun.keyStringBytes)
                }
                r.liveKeys += 1
                r.livePayloads += 1
                r.liveStringBytes += stringBytes
            }
            r.endPhase()
            r.beginPhase("drained", expectedOps: n)
            // Deletes look up with a string of the program's own (not on the
            // map's heap), as `delete(m, fmt.Sprintf(...))` would.
            withUnsafeTemporaryAllocation(byteCount: WorkloadRun.keyStringBytes, alignment: 8) { buffer in
                let probe = buffer.baseAddress!
                for i in 0..<n {
                    WorkloadRun.writeKeyString(r.key(i), into: probe)
                    r.op { map.removeValue(forString: probe, count: WorkloadRun.keyStringBytes) }
                    r.liveKeys -= 1
                    r.livePayloads -= 1
                    r.liveStringBytes -= stringBytes
                }
            }
            r.endPhase()

        case .tombstoneChurn:
            // For each load: a new map made for n entries (Go's make(map, n)),
            // filled to that share of the slots it was given, then n loops of
            // delete-oldest + insert-new at constant size. Deletes leave
            // tombstones where the Swiss map must; when they use up a
            // table's growth allowance the table rehashes — to twice the
            // size (Go 1.24), or in place after pruning (Go 1.25+). The
            // classic map reuses deleted slots but chains overflow buckets,
            // and cannot hold 87% at all (its limit is 6.5 of 8): the fill
            // grows it first.
            var next = 0
            for load in Self.churnLoads {
                r.maps.removeAll()
                r.liveKeys = 0
                let map = r.makeMap(.words, hint: n)
                let size = max(1, map.slotCapacity * load / 100)
                let first = next
                r.beginPhase("fill\(load)", expectedOps: size)
                for i in first..<(first + size) {
                    r.op { map.updateValue(UInt64(i), forKey: r.key(i)) }
                    r.liveKeys += 1
                }
                next = first + size
                r.endPhase()
                r.beginPhase("churn\(load)", expectedOps: 2 * n)
                for oldest in first..<(first + n) {
                    r.op { map.removeValue(forKey: r.key(oldest)) }
                    r.op { map.updateValue(UInt64(next), forKey: r.key(next)) }
                    next += 1
                }
                r.endPhase()
            }

        case .bursty:
            let map = r.makeMap(.payloads)
            let perCycle = max(1, n / r.config.bursts)
            for c in 0..<r.config.bursts {
                r.beginPhase("cycle\(c + 1)", expectedOps: 2 * perCycle)
                let base = c * perCycle
                for i in base..<(base + perCycle) { fillPayload(r, map, i) }
                for i in base..<(base + perCycle) { dropPayload(r, map, i) }
                r.endPhase()
            }
        }
    }

    private func fillPayload(_ r: WorkloadRun, _ map: any MapModel, _ i: Int) {
        let k = r.key(i)
        r.op { map.updateValue(r.makePayload(k), forKey: k) }
        r.liveKeys += 1
        r.livePayloads += 1
    }

    private func dropPayload(_ r: WorkloadRun, _ map: any MapModel, _ i: Int) {
        r.op { map.removeValue(forKey: r.key(i)) }
        r.liveKeys -= 1
        r.livePayloads -= 1
    }
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

#if canImport(Glibc)
import Glibc
#endif
