import LabHeap
import LabMaps

// Runs a workload file's steps on a WorkloadRun, through the map-model seam
// only. Keys are the run's i-th keys (WorkloadRun.key): a step says which
// indices — the next never inserted, the oldest or newest live ones, random
// live ones — and this file keeps the live set in insertion order so it can.
// What each step does and how many operations it counts is in
// docs/workload-files.md; the built-ins were written so that each runs the
// same map calls, operations and phase boundaries as the code they replaced
// (WorkloadFileTests proves it on their memory columns).

extension Workload {
    /// Runs every phase on `r`; throws when a step cannot run (a pin of an
    /// empty map), which fails the cell. `shaped`: through the seam's raw
    /// entry points even where a fast path would serve (a test's).
    func run(_ r: WorkloadRun, shaped: Bool = false) throws {
        if let trace { return try TraceReplay(r, trace).run() }
        let runner = StepRunner(r, spec: spec, shaped: shaped)
        let phases = try expandedPhases(r.config.sizes)
        // The map is made as the workload starts, unless its first step
        // makes one.
        if phases.first?.steps.first?.op != .make { _ = runner.currentMap() }
        for phase in phases {
            // Leading steps that are not operations (make, pin, a held
            // iterator) set the stage: they run before the phase begins.
            var steps = phase.steps[...]
            while let s = steps.first, s.isSetup {
                try runner.run(s)
                steps = steps.dropFirst()
            }
            let expected = try steps.reduce(0) { $0 + (try runner.expectedOps($1)) }
            r.beginPhase(phase.name, expectedOps: expected)
            for s in steps { try runner.run(s) }
            r.endPhase()
        }
        blackHole(runner.sum)
    }
}

extension Step {
    /// A step that is not an operation on the map or the heap.
    var isSetup: Bool {
        switch op {
        case .make, .pin: return true
        case .iterate: return hold != nil
        default: return false
        }
    }
}

/// The state a workload file's steps share: the current maps, the live keys
/// in insertion order, held iterators, pins, samplers.
final class StepRunner {
    let r: WorkloadRun
    let spec: WorkloadSpec
    let form: MapForm
    /// Keys and values of any other shape than the fast paths' (and several
    /// maps): through the seam's raw entry points (MapShape+Run.swift).
    let shaped: ShapedEntries?
    /// The maps the keys live in (key k in `shards[k % count]`); empty when
    /// there are none (before the first, after `drop`).
    private(set) var shards: [any MapModel] = []
    /// The next key index never inserted.
    private var next = 0
    /// Live key indices in insertion order; an entry is current when
    /// `position[index] == its position`. `head` is the oldest candidate.
    private var order: [Int] = []
    private var position: [Int32] = []
    /// A live key's payload size when an insert's `bytes` set it (0: the
    /// map's value size), by key index.
    private var payloadSize: [Int32] = []
    private var head = 0
    private var liveCount = 0
    private var iterators: [String: any MapIteration] = [:]
    private var pins: [String: UnsafeMutableRawPointer] = [:]
    private var samplers: [String: ZipfSampler] = [:]
    private var rng: SplitMix64
    private var missIndex = 1 << 52
    /// A key string built outside the lab heap, for lookups and deletes
    /// (`delete(m, fmt.Sprintf(...))` passes a string of the program's own).
    private let probe: UnsafeMutableRawPointer
    var sum: UInt64 = 0

    /// `shaped`: run even the fast paths' shapes through the raw entry
    /// points (for the test that both ways agree).
    init(_ r: WorkloadRun, spec: WorkloadSpec, shaped forced: Bool = false) {
        self.r = r
        self.spec = spec
        switch (spec.map.key.kind, spec.map.value.kind) {
        case (.uint64, .uint64): form = .words
        case (.string, _): form = .stringKeyedPayloads
        default: form = .payloads
        }
        shaped = forced || !spec.map.isFastShape ? ShapedEntries(r, shape: spec.map) : nil
        rng = SplitMix64(seed: r.seed ^ 0x57E9)
        probe = .allocate(byteCount: spec.map.key.bytes, alignment: 8)
    }

    deinit { probe.deallocate() }

    // MARK: Counts

    private func value(_ name: String) -> Int? {
        switch name {
        case "keys": return r.config.keys
        case "window": return r.config.window
        case "bursts": return r.config.bursts
        case "slots": return currentMaps().reduce(0) { $0 + $1.slotCapacity }
        case "live": return liveCount
        default: return nil
        }
    }

    func evaluate(_ c: WorkloadCount) throws -> Int {
        let v = try c.evaluate(value, threshold: threshold)
        guard v >= 0 else { throw WorkloadFileError("a count is \(v) (\(c)); counts must not be negative") }
        return v
    }

    /// `threshold(n)`: one map's growth threshold at n, or for M maps
    /// M × one map's at ⌈n/M⌉.
    private func threshold(_ n: Int) -> Int {
        let m = spec.map.maps
        return m * currentMap().growthThreshold(atLeast: (n + m - 1) / m)
    }

    /// The maps steps act on, made as Go's `make` when there are none.
    func currentMaps() -> [any MapModel] {
        if shards.isEmpty { shards = makeMaps(hint: try? spec.map.hint.map(evaluate)) }
        return shards
    }

    /// The first map (the only one unless the file spreads keys over more).
    func currentMap() -> any MapModel { currentMaps()[0] }

    /// `spec.map.maps` new maps; each after the first with a hash seed of
    /// its own, as each Go map draws one.
    private func makeMaps(hint: Int?) -> [any MapModel] {
        (0..<spec.map.maps).map { j in
            let seed = r.seed &+ UInt64(j) &* 0x9E37_79B9_7F4A_7C15
            if let shaped { return r.makeMap(type: shaped.type, hint: hint, seed: seed) }
            return r.makeMap(form, hint: hint)
        }
    }

    /// The map key `k` lives in.
    @inline(__always)
    private func shard(_ k: UInt64) -> any MapModel {
        let maps = currentMaps()
        return maps.count == 1 ? maps[0] : maps[Int(k % UInt64(maps.count))]
    }

    /// Operations `s` will count, for the phase's sampling cadence.
    func expectedOps(_ s: Step) throws -> Int {
        switch s.op {
        case .insert, .delete, .lookup, .update, .cache: return try evaluate(s.count!)
        case .churn: return 2 * (try evaluate(s.count!))
        case .iterate:
            if s.hold != nil { return 0 }
            if let c = s.count { return try evaluate(c) }
            return Int((Double(liveCount) * (s.fraction ?? 1)).rounded(.up))
        case .release, .clear, .rangeDelete, .rebuild, .unpin, .drop, .awaitFinalizers, .idle, .freeos: return 1
        case .make, .pin: return 0
        case .repeat: return try evaluate(s.times!) * (try s.steps!.reduce(0) { $0 + (try expectedOps($1)) })
        }
    }

    // MARK: Steps

    func run(_ s: Step) throws {
        switch s.op {
        case .insert:
            let count = try evaluate(s.count!)
            if s.order == .zipf {
                // Popular keys drawn again are updates, as a cache refill's.
                let universe = try s.universe.map(evaluate) ?? r.config.keys
                let bytes = shaped != nil ? s.bytes : s.bytes.flatMap { $0 == r.payloadBytes ? nil : $0 }
                try withSampler(universe, s.zipf ?? 1) { zipf in
                    for _ in 0..<count { insert(zipf.next(), bytes: bytes) }
                }
                next = max(next, universe)
                break
            }
            let start = try s.first.map(evaluate) ?? next
            let bytes = shaped != nil ? s.bytes : s.bytes.flatMap { $0 == r.payloadBytes ? nil : $0 }
            if s.order == .random {
                var indices = Array(start..<(start + count))
                indices.shuffle(using: &rng)
                for i in indices { insert(i, bytes: bytes) }
            } else {
                for i in start..<(start + count) { insert(i, bytes: bytes) }
            }
            next = max(next, start + count)
        case .delete:
            let chosen = pick(try evaluate(s.count!), s.which ?? .oldest)
            for (p, i) in chosen.enumerated() {
                if let k = s.keepEvery, p % k == 0 { continue }
                if let k = s.every, p % k != 0 { continue }
                delete(i)
            }
        case .lookup:
            let count = try evaluate(s.count!)
            let hit = s.hit ?? 1
            for _ in 0..<count {
                if liveCount > 0 && (hit >= 1 || Double(rng.next() >> 11) / Double(1 << 53) < hit) {
                    lookup(randomLive())
                } else {
                    lookup(missIndex)
                    missIndex += 1
                }
            }
        case .update:
            let count = try evaluate(s.count!)
            for _ in 0..<count where liveCount > 0 { insert(randomLive()) }
        case .churn:
            let count = try evaluate(s.count!)
            let window = try evaluate(s.window!)
            for _ in 0..<count {
                if s.evict == .before {
                    while liveCount >= window, let o = oldest() { delete(o) }
                    insert(next)
                    next += 1
                } else {
                    insert(next)
                    next += 1
                    while liveCount > window, let o = oldest() { delete(o) }
                }
            }
        case .cache:
            let count = try evaluate(s.count!)
            let capacity = try evaluate(s.capacity!)
            let universe = try s.universe.map(evaluate) ?? r.config.keys
            try withSampler(universe, s.zipf ?? 1) { zipf in
                for _ in 0..<count {
                    let rank = zipf.next()
                    if lookup(rank) { continue }
                    while liveCount >= capacity, let o = oldest() { delete(o) }
                    insert(rank)
                }
            }
            next = max(next, universe)
        case .iterate:
            let maps = currentMaps()
            if s.hold == nil && s.count == nil && (s.fraction ?? 1) >= 1 && s.deleteVisited != true {
                // A whole range loop (over every map) is one operation.
                var total: UInt64 = 0
                r.op { for m in maps { m.forEachEntry { k, _ in total &+= k } } }
                sum &+= total
                break
            }
            var steps = try s.count.map(evaluate) ?? Int((Double(liveCount) * (s.fraction ?? 1)).rounded(.up))
            // One range loop per map, in order, until the count runs out: a
            // held iterator is the one of the map it stopped in.
            for (j, map) in maps.enumerated() {
                let it = map.makeIteration()
                if let name = s.hold {
                    // Opening an iterator and taking steps is no operation
                    // on the map; releasing it is (`release`).
                    while steps > 0, let e = it.nextEntry() { sum &+= e.key; steps -= 1 }
                    if steps == 0 || j == maps.count - 1 {
                        iterators[name] = it
                        break
                    }
                    it.close()
                    continue
                }
                var visited: [Int] = []
                r.op {
                    while steps > 0, let e = it.nextEntry() {
                        steps -= 1
                        sum &+= e.key
                        if s.deleteVisited == true { visited.append(keyIndex(e)) }
                    }
                }
                // Go allows deleting during a range loop: each delete is one
                // more operation, made while the iterator is still open.
                for i in visited { delete(i) }
                r.op { it.close() }
                if steps == 0 { break }
            }
        case .release:
            let it = iterators.removeValue(forKey: s.name!)!
            r.op { it.close() }
        case .clear, .rangeDelete:
            // `for k := range m { delete(m, k) }` compiles to the same
            // runtime.mapclear as clear(m) (cmd/compile/internal/walk/range.go,
            // isMapClear).
            let maps = currentMaps()
            r.op { for m in maps { m.removeAll() } }
            forgetLive()
        case .make:
            r.maps.removeAll()
            shards = []
            forgetLive()
            shards = makeMaps(hint: try s.hint.map(evaluate) ?? spec.map.hint.map(evaluate))
        case .rebuild:
            let hint = try s.hint.map(evaluate) ?? spec.map.hint.map(evaluate)
            r.op {
                r.maps.removeAll()
                shards = makeMaps(hint: hint)
            }
            forgetLive()
        case .pin:
            guard let p = currentMap().interiorAddress else {
                throw WorkloadFileError("pin: the map has no storage to point into")
            }
            r.heap.roots.pin(p)
            pins[s.name ?? "pin"] = p
        case .unpin:
            let p = pins.removeValue(forKey: s.name ?? "pin")!
            r.op { r.heap.roots.unpin(p) }
        case .drop:
            if let via = s.via { return try dropThroughWrapper(via, cycle: s.cycle ?? false) }
            r.op {
                r.maps.removeAll()
                shards = []
                forgetLive()
            }
        case .awaitFinalizers:
            // Go's program waits on a channel the finalizer or cleanup
            // signals; the lab runs them at this operation's safe point.
            r.op {}
        case .repeat:
            let times = try evaluate(s.times!)
            for _ in 0..<times { for inner in s.steps! { try run(inner) } }
        case .idle:
            r.op { r.collector.scavengeToGoal() }
        case .freeos:
            r.op { r.collector.freeOSMemory() }
        }
    }

    /// `drop` of maps held by a wrapper object (`struct{ m map[K]V }`, one
    /// pointer word per map root) with a finalizer that clears them, or with
    /// a cleanup given the maps as its arg; with `cycle`, one more entry of
    /// the first map points back to the wrapper. The maps stop being roots;
    /// the finalizer or cleanup keeps them (Collector+Finalizers.swift).
    private func dropThroughWrapper(_ via: Step.Via, cycle: Bool) throws {
        guard iterators.isEmpty else {
            throw WorkloadFileError("drop via a \(via.rawValue): release the held iterators first")
        }
        let maps = currentMaps()
        var headers: [UnsafeRawPointer] = []
        for m in maps { m.forEachRoot { address, kind in if kind == .map { headers.append(address) } } }
        guard !headers.isEmpty else { throw WorkloadFileError("drop via a \(via.rawValue): the map has no heap header") }
        r.op {
            let wrapper = r.mutator.allocate(r.wrapperType, count: headers.count)
            for (i, h) in headers.enumerated() { wrapper.storeBytes(of: UInt(bitPattern: h), toByteOffset: i * 8, as: UInt.self) }
            if cycle {
                // `m[k] = unsafe.Pointer(w)`: the key never inserted yet.
                maps[0].updateValue(UInt64(UInt(bitPattern: wrapper)), forKey: r.key(next))
                next += 1
            }
            for m in maps { r.heap.roots.unregister(m) }
            r.maps.removeAll()
            shards = []
            forgetLive()
            let clear = { for m in maps { m.removeAll() } }
            switch via {
            case .finalizer: r.collector.setFinalizer(wrapper) { clear() }
            case .cleanup: r.collector.addCleanup(wrapper, arg: headers) { clear() }
            }
        }
    }

    /// The run's Zipf sampler over `universe` key indices: one stream per
    /// universe and exponent, continued by every step that draws from it.
    private func withSampler(_ universe: Int, _ exponent: Double, _ body: (inout ZipfSampler) throws -> Void) rethrows {
        let key = "\(universe)/\(exponent)"
        var zipf = samplers[key] ?? ZipfSampler(count: max(1, universe), exponent: exponent, seed: r.seed)
        try body(&zipf)
        samplers[key] = zipf
    }

    // MARK: Map operations

    /// Inserts key `i`, or updates it if live; a new key's payload has
    /// `bytes` bytes (nil: the map's value size), an updated key keeps its.
    private func insert(_ i: Int, bytes: Int? = nil) {
        if let shaped { return insertShaped(shaped, i, bytes: bytes) }
        let map = currentMap()
        let k = r.key(i)
        let fresh = !isLive(i)
        let size = fresh ? (bytes ?? 0) : (i < payloadSize.count ? Int(payloadSize[i]) : 0)
        let type = size == 0 ? r.payloadType : r.payloadType(bytes: size)
        switch form {
        case .words:
            r.op { map.updateValue(UInt64(i), forKey: k) }
        case .payloads:
            r.op { map.updateValue(r.makePayload(k, type: type), forKey: k) }
        case .stringKeyedPayloads:
            let sprintf = spec.map.key.sprintf
            let keyBytes = spec.map.key.bytes
            // Go: m[fmt.Sprintf("%016x", k)] = newPayload(k), Sprintf first.
            r.op {
                if sprintf { r.boxSprintfArgument() }
                let key = r.makeKeyString(k, bytes: keyBytes)
                map.updateValue(r.makePayload(k, type: type), forString: key, count: keyBytes)
            }
            if fresh { r.liveStringBytes += r.keyStringObjectBytes(keyBytes) }
        }
        if fresh {
            if form != .words {
                if size == 0 { r.livePayloads += 1 } else { r.liveOtherBytes += size }
            }
            r.liveKeys += 1
            markLive(i)
            if size != 0 {
                if payloadSize.count < position.count {
                    payloadSize.append(contentsOf: repeatElement(0, count: position.count - payloadSize.count))
                }
                payloadSize[i] = Int32(size)
            }
        }
    }

    /// `insert` for any shape: a new key's payloads have `bytes` bytes (nil:
    /// the file's size or draw), an updated key keeps its.
    private func insertShaped(_ e: ShapedEntries, _ i: Int, bytes: Int?) {
        let k = r.key(i)
        let fresh = !isLive(i)
        let override = fresh ? bytes : (i < payloadSize.count && payloadSize[i] != 0 ? Int(payloadSize[i]) : nil)
        let size = e.payloadBytes(forKey: k, override: override)
        let map = shard(k)
        r.op { e.insert(k, index: i, payloadBytes: size, into: map) }
        guard fresh else { return }
        r.liveKeys += 1
        r.liveOtherBytes += e.heldBytes(forKey: k, payloadBytes: size)
        markLive(i)
        if let bytes {
            if payloadSize.count < position.count {
                payloadSize.append(contentsOf: repeatElement(0, count: position.count - payloadSize.count))
            }
            payloadSize[i] = Int32(bytes)
        }
    }

    /// Takes key `i`'s payload out of the live figures.
    private func forgetPayload(_ i: Int) {
        guard form != .words else { return }
        if i < payloadSize.count, payloadSize[i] != 0 {
            r.liveOtherBytes -= Int(payloadSize[i])
            payloadSize[i] = 0
        } else {
            r.livePayloads -= 1
        }
    }

    private func delete(_ i: Int) {
        guard !shards.isEmpty, isLive(i) else { return }
        let k = r.key(i)
        if let shaped {
            let size = shaped.payloadBytes(forKey: k, override: i < payloadSize.count && payloadSize[i] != 0
                                            ? Int(payloadSize[i]) : nil)
            let map = shard(k)
            r.op { shaped.delete(k, from: map) }
            r.liveOtherBytes -= shaped.heldBytes(forKey: k, payloadBytes: size)
            if i < payloadSize.count { payloadSize[i] = 0 }
            r.liveKeys -= 1
            markDead(i)
            return
        }
        let map = shards[0]
        switch form {
        case .words:
            r.op { map.removeValue(forKey: k) }
        case .payloads:
            r.op { map.removeValue(forKey: k) }
            forgetPayload(i)
        case .stringKeyedPayloads:
            let bytes = spec.map.key.bytes
            WorkloadRun.writeKeyString(k, bytes: bytes, into: probe)
            r.op { map.removeValue(forString: probe, count: bytes) }
            forgetPayload(i)
            r.liveStringBytes -= r.keyStringObjectBytes(bytes)
        }
        r.liveKeys -= 1
        markDead(i)
    }

    @discardableResult
    private func lookup(_ i: Int) -> Bool {
        let k = r.key(i)
        var hit = false
        if let shaped {
            let map = shard(k)
            r.op { hit = shaped.lookup(k, in: map) }
            return hit
        }
        let map = currentMap()
        if form == .stringKeyedPayloads {
            let bytes = spec.map.key.bytes
            WorkloadRun.writeKeyString(k, bytes: bytes, into: probe)
            r.op { hit = map.value(forString: probe, count: bytes) != nil }
        } else {
            r.op { hit = map.value(forKey: k) != nil }
        }
        return hit
    }

    /// The index of the key of an entry an iteration gave back: a word value
    /// is the index; a payload's first word is the key
    /// (WorkloadRun.makePayload), and keys are SplitMix64.mix(i ^ seed),
    /// which unmix undoes. Other shapes read it from the key.
    private func keyIndex(_ e: (key: UInt64, value: UInt64)) -> Int {
        if let shaped { return shaped.keyIndex(iteratedKey: e.key) }
        if form == .words { return Int(truncatingIfNeeded: e.value) }
        let key = UnsafeRawPointer(bitPattern: UInt(e.value))!.load(as: UInt64.self)
        return Int(truncatingIfNeeded: SplitMix64.unmix(key) ^ r.seed)
    }

    // MARK: The live set

    private func isLive(_ i: Int) -> Bool {
        i >= 0 && i < position.count && position[i] >= 0
    }

    private func markLive(_ i: Int) {
        if i >= position.count {
            position.append(contentsOf: repeatElement(-1, count: max(i + 1 - position.count, position.count)))
        }
        if order.count >= Int(Int32.max) { compact() }
        position[i] = Int32(order.count)
        order.append(i)
        liveCount += 1
    }

    private func markDead(_ i: Int) {
        position[i] = -1
        liveCount -= 1
        if liveCount == 0 {
            order.removeAll(keepingCapacity: true)
            head = 0
        } else if order.count - head > 64 && liveCount * 2 < order.count - head {
            compact()
        }
    }

    private func forgetLive() {
        for i in order[head...] where isLive(i) {
            position[i] = -1
            if i < payloadSize.count { payloadSize[i] = 0 }
        }
        r.liveOtherBytes = 0
        order.removeAll(keepingCapacity: true)
        head = 0
        liveCount = 0
        r.liveKeys = 0
        r.livePayloads = 0
        r.liveStringBytes = 0
    }

    private func current(_ p: Int) -> Bool { position[order[p]] == Int32(p) }

    private func compact() {
        var kept: [Int] = []
        kept.reserveCapacity(liveCount)
        for p in head..<order.count where current(p) {
            position[order[p]] = Int32(kept.count)
            kept.append(order[p])
        }
        order = kept
        head = 0
    }

    private func oldest() -> Int? {
        while head < order.count && !current(head) { head += 1 }
        return head < order.count ? order[head] : nil
    }

    private func randomLive() -> Int {
        while true {
            let p = head + Int(rng.next() % UInt64(order.count - head))
            if current(p) { return order[p] }
        }
    }

    /// Up to `count` live keys: the oldest or newest in insertion order, or
    /// distinct random ones.
    private func pick(_ count: Int, _ which: Step.Which) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(min(count, liveCount))
        switch which {
        case .oldest:
            var p = head
            while out.count < count && p < order.count {
                if current(p) { out.append(order[p]) }
                p += 1
            }
        case .newest:
            var p = order.count - 1
            while out.count < count && p >= head {
                if current(p) { out.append(order[p]) }
                p -= 1
            }
        case .random:
            if count >= liveCount { return pick(count, .oldest).shuffled(using: &rng) }
            var chosen = Set<Int>()
            while out.count < count {
                let i = randomLive()
                if chosen.insert(i).inserted { out.append(i) }
            }
        }
        return out
    }
}

extension SplitMix64 {
    /// The inverse of `mix`: each xorshift and multiply undone in turn.
    static func unmix(_ y: UInt64) -> UInt64 {
        func inverse(_ m: UInt64) -> UInt64 {
            var x = m
            for _ in 0..<6 { x = x &* (2 &- m &* x) }
            return x
        }
        var z = y ^ (y >> 31) ^ (y >> 62)
        z = z &* inverse(0x94D0_49BB_1331_11EB)
        z = z ^ (z >> 27) ^ (z >> 54)
        z = z &* inverse(0xBF58_476D_1CE4_E5B9)
        z = z ^ (z >> 30) ^ (z >> 60)
        return z
    }
}
