import Histogram

// One workload × strategy × repeat: its heap, collector and maps, the op
// loop with sampling and latency, and the phase ends. See Suite.swift.

/// The key and value types of a workload's map.
public enum MapForm: Sendable {
    /// `UInt64 → UInt64` (Go's `map[uint64]uint64`): no pointers.
    case words
    /// `UInt64 → *payload` (Go's `map[uint64]*T`): each value points at a
    /// payload object of `--payload-bytes` on the lab heap.
    case payloads
    /// `string → *payload` (the seed's `map[string]*T`): each key a 16-byte
    /// string whose bytes are an object of their own on the lab heap.
    case stringKeyedPayloads
}

/// Everything a workload needs while it runs, and what it records.
public final class WorkloadRun {
    public let config: SuiteConfig
    public let key: RunKey
    public let workload: Workload
    public let strategy: Strategy
    public let heap: MHeap
    public let collector: Collector
    public let mutator: Mutator
    public let model: any MapModel.Type
    public let wordMapType: MapType
    public let payloadMapType: MapType
    public let stringMapType: MapType
    public let payloadType: ObjectType
    /// A string's bytes (Go's `rawstring`: noscan, one object per string).
    public let stringBytesType: ObjectType
    /// The maps to measure (bucket bytes, overflow buckets); a workload
    /// removes a map it drops.
    public var maps: [any MapModel] = []
    public var liveKeys = 0
    public var livePayloads = 0
    /// Live string keys' bytes (each rounded to its size class).
    public var liveStringBytes = 0
    /// Other live bytes the counts above do not cover: a replayed trace's
    /// payloads, each of its recorded size.
    public var liveOtherBytes = 0
    /// Bytes of key + value slot per live key, of the maps this run made.
    public private(set) var slotBytes = 16

    private(set) var ops = 0
    private var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .two)
    private var phaseName = ""
    private var phaseStart: UInt64 = 0
    private var phaseOps = 0
    private var sampleEvery = Int.max
    private var nextSample = Int.max
    private var sampleIndex = 0
    private let progress: ((String) -> Void)?

    var phases: [PhaseRow] = []
    var samples: [SampleRow] = []
    var heapRows: [HeapClassRow] = []
    var profiles: [ProfileFile] = []
    /// Where the cell's time went, outside the operations (ns): see
    /// docs/notes/cell-time.md.
    public var times = CellTimes()

    init(config: SuiteConfig, key: RunKey, workload: Workload, strategy: Strategy, progress: ((String) -> Void)?) throws {
        self.config = config
        self.key = key
        self.workload = workload
        self.strategy = strategy
        self.progress = progress
        model = MapModels.named(key.map)!
        heap = try MHeap(MHeap.Configuration(spanLayout: model.spanLayout))
        collector = Collector(heap: heap, gogc: config.gogc(for: workload), gcWorkers: config.gcWorkers)
        mutator = heap.makeMutator()
        collector.concurrentMark = config.concurrentMark ? .calibrated : nil
        memlimit = config.memlimit(for: workload)
        limitModel = MemoryLimit.forMapModel(key.map, limitBytes: memlimit ?? .max, gcCost: config.gcCost)
        if memlimit != nil || config.containerLimit != nil { collector.memoryLimit = limitModel }
        wordMapType = .uint64ToUInt64(heap: heap)
        payloadMapType = .uint64ToPointer(heap: heap)
        stringMapType = .stringToPointer(heap: heap)
        stringBytesType = heap.registerType(name: "string", size: 1)
        payloadBytes = workload.spec.map.value.bytes ?? config.payloadBytes
        payloadType = heap.registerType(name: "payload", size: payloadBytes)
        seed = config.seed ^ workload.spec.seed
    }

    /// The model of Go's collection CPU for this map model's Go version.
    var goGCCost: GoGCCost { config.gcCost.forMapModel(key.map) }

    /// GOMEMLIMIT for this run (nil: none), and the memory-limit model of
    /// this map model's Go version: the collector's when there is a limit or
    /// a container limit, else only its constants (the mutator's CPU per
    /// operation, Go's runtime memory) for the phase figures.
    public let memlimit: Int?
    let limitModel: MemoryLimit
    /// The phase a container limit killed the run at (status `oom`); the
    /// workload runs on, but nothing after that phase is recorded.
    public private(set) var killedAt: String?
    /// Cumulative figures at the phase's start.
    private var phaseStartFigures = (cycles: 0, gcNs: UInt64(0), ops: 0, limitedCycles: 0)

    /// Bytes of each payload: the workload file's, or the run's.
    public let payloadBytes: Int
    /// The run's seed with the workload file's mixed in: keys, hash seeds and
    /// random choices come from it.
    public let seed: UInt64

    /// The i-th key of the run: a bijection of i (the lab's mix of i with the
    /// seed), so keys are distinct and spread like random ones, reproducible.
    @inline(__always)
    public func key(_ i: Int) -> UInt64 { SplitMix64.mix(UInt64(i) ^ seed) }

    /// A new map of the run's model and strategy, measured from now on, made
    /// as Go's `make(map[K]V, hint)` with `hint` or else the suite's.
    public func makeMap(_ form: MapForm, hint: Int? = nil) -> any MapModel {
        switch form {
        case .words: return makeMap(type: wordMapType, hint: hint)
        case .payloads: return makeMap(type: payloadMapType, hint: hint)
        case .stringKeyedPayloads: return makeMap(type: stringMapType, hint: hint)
        }
    }

    /// A new map of `type` (see `makeMap(_:hint:)`); `seed` (default the
    /// run's) fixes its hash seed, so that shards of one workload differ.
    public func makeMap(type: MapType, hint: Int? = nil, seed: UInt64? = nil) -> any MapModel {
        slotBytes = type.keySlotSize + type.valueSlotSize
        let m = model.init(type: type, mutator: mutator, policy: strategy.policy, seed: seed ?? self.seed,
                           hint: hint ?? config.hint)
        maps.append(m)
        return m
    }

    /// The payload type of `bytes` bytes for payloads of a size other than
    /// the run's (a workload file's `bytes`, a trace's recorded sizes),
    /// registered once per size.
    public func payloadType(bytes: Int) -> ObjectType {
        if let t = payloadTypes[bytes] { return t }
        let t = heap.registerType(name: "payload\(bytes)", size: bytes)
        payloadTypes[bytes] = t
        return t
    }
    private var payloadTypes: [Int: ObjectType] = [:]

    /// A wrapper around a map (`struct{ m map[K]V }`: one pointer word), for
    /// a drop through a finalizer or cleanup; registered when first used.
    public private(set) lazy var wrapperType = heap.registerType(name: "wrapper", size: 8, pointerWords: [0])

    /// A payload whose first word is its key, as a map value word.
    @inline(__always)
    public func makePayload(_ key: UInt64, type: ObjectType? = nil) -> UInt64 {
        let p = mutator.allocate(type ?? payloadType)
        p.storeBytes(of: key, as: UInt64.self)
        return UInt64(UInt(bitPattern: p))
    }

    /// The i-th key as a string of `bytes` bytes: its 16 lower-case hex
    /// digits (Go's `fmt.Sprintf("%016x", key)`), then '.' to the length.
    @inline(__always)
    public static func writeKeyString(_ key: UInt64, bytes: Int = keyStringBytes, into p: UnsafeMutableRawPointer) {
        let digits: StaticString = "0123456789abcdef"
        for i in 0..<16 {
            let nibble = Int((key >> UInt64(60 - 4 * i)) & 0xF)
            p.storeBytes(of: digits.utf8Start[nibble], toByteOffset: i, as: UInt8.self)
        }
        for i in 16..<max(16, bytes) { p.storeBytes(of: UInt8(ascii: "."), toByteOffset: i, as: UInt8.self) }
    }

    /// What `fmt.Sprintf("%016x", key)` allocates besides the string: its
    /// `uint64` argument boxed in an interface (runtime.convT64: 8 noscan
    /// bytes), which Go's tiny allocator packs two to a 16-byte block
    /// (Mutator.allocateTiny) in the same size class as the key strings. The
    /// boxes are garbage as soon as Sprintf returns, so after the next
    /// collection every third 16-byte slot of the spans filled meanwhile is
    /// free: part of what Go's `string-keys` heap holds at `peak`.
    public func boxSprintfArgument() {
        _ = mutator.allocateTiny(8, stored: false)
    }

    /// The key string of `key` as a new object on the lab heap.
    public func makeKeyString(_ key: UInt64, bytes: Int = keyStringBytes) -> UnsafeMutableRawPointer {
        let p = mutator.allocate(stringBytesType, count: bytes)
        Self.writeKeyString(key, bytes: bytes, into: p)
        return p
    }

    /// Bytes of a key string (the built-ins'), and of a string's object.
    public static let keyStringBytes = 16
    public var keyStringObjectBytes: Int { keyStringObjectBytes(Self.keyStringBytes) }
    public func keyStringObjectBytes(_ bytes: Int) -> Int { SizeClasses.roundUpSize(bytes) }

    // MARK: Phases and operations

    /// Starts a phase of about `expectedOps` operations.
    public func beginPhase(_ name: String, expectedOps: Int) {
        phaseName = name
        heap.resetPeakInuse()
        collector.resetPeakTotal()
        phaseStartFigures = (collector.trace.count, goGCCost.cpuNs(collector.trace), ops,
                             collector.limitState?.limitedCycles ?? 0)
        phaseStart = monotonicNanos()
        phaseOps = 0
        sampleIndex = 0
        sampleEvery = max(1, expectedOps / max(1, config.samples))
        nextSample = sampleEvery
        progress?("\(key.workload) \(key.strategy) \(name) 0%")
    }

    /// Runs `body` outside the phase's time (a replayed trace's decoding:
    /// the phase times the maps, not the reader).
    public func untimed<T>(_ body: () throws -> T) rethrows -> T {
        let t0 = monotonicNanos()
        defer { phaseStart &+= monotonicNanos() - t0 }
        return try body()
    }

    /// Runs one operation: one in eight is timed for the latency histogram
    /// (clock reads cost about as much as a lookup); a pending collection runs
    /// at the safe point after it.
    @inline(__always)
    public func op(_ body: () -> Void) {
        if ops & 7 == 0 {
            let t0 = monotonicNanos()
            body()
            collector.safePoint()
            histogram.record(max(1, monotonicNanos() - t0))
        } else {
            body()
            collector.safePoint()
        }
        ops += 1
        phaseOps += 1
        if phaseOps >= nextSample { takeSample() }
    }

    private func takeSample() {
        guard killedAt == nil else { return }
        let t0 = monotonicNanos()
        defer { times.samplesNs += monotonicNanos() - t0 }
        sampleIndex += 1
        nextSample += sampleEvery
        samples.append(SampleRow(key: key, phase: phaseName, sample: sampleIndex,
                                 elapsedNs: monotonicNanos() - phaseStart, measurement: measure()))
        if let progress, sampleEvery != Int.max {
            let pct = min(100, sampleIndex * 100 / max(1, config.samples))
            progress("\(key.workload) \(key.strategy) \(phaseName) \(pct)%")
        }
    }

    /// Ends the phase as Go's `runtime.GC(); runtime.ReadMemStats` would:
    /// a full collection, then a measurement, then the census of who keeps
    /// what (outside the phase's time and every cycle's) and, if asked, its
    /// heap profile.
    public func endPhase() {
        guard killedAt == nil else { return }
        let t0 = monotonicNanos()
        collector.collect()
        let now = monotonicNanos()
        times.phaseEndCollectNs += now - t0
        let measurement = measure()
        let limit = limitFigures(measurement)
        if let c = config.containerLimit, limit.peakTotalMemoryBytes > c { killedAt = phaseName }
        let t1 = monotonicNanos()
        let census = config.census ? collector.census() : nil
        let t2 = monotonicNanos()
        times.censusNs += t2 - t1
        phases.append(PhaseRow(key: key, phase: phaseName, measurement: measurement, phaseNs: now - phaseStart,
                               startNs: phaseStart, retention: census.map(Retention.init) ?? Retention(), limit: limit))
        var t3 = monotonicNanos()
        if let census, wantsProfile(of: phaseName) {
            let name = "\(key.map)-\(key.workload)-\(key.strategy)-\(phaseName)"
            let comments = [
                "bucketlab \(key.runID): map \(key.map), workload \(key.workload), strategy \(key.strategy), repeat \(key.repeatIndex)",
                "phase \(phaseName), after a full collection: heap in use \(census.inuseBytes) bytes",
                "\(config.keys) keys, \(payloadBytes)-byte payloads, seed \(config.seed)",
            ]
            profiles.append(ProfileFile(
                name: name.replacingOccurrences(of: "/", with: "_") + ".pb",
                bytes: HeapProfile.encode(census, types: heap.typeDescriptors, workload: key.workload,
                                          comments: comments, timeNanos: Int64(wallClockNanos()))))
            let t = monotonicNanos()
            times.profileNs += t - t3
            t3 = t
        }
        defer { times.heapClassesNs += monotonicNanos() - t3 }
        for c in heap.sizeClassCensus() {
            heapRows.append(HeapClassRow(key: key, phase: phaseName, sizeClass: c.sizeClass, spans: c.spans,
                                         objects: c.objects, inuseBytes: c.inuseBytes))
        }
    }

    private func wantsProfile(of phase: String) -> Bool {
        guard key.repeatIndex == 1 else { return false }
        switch config.pprof {
        case .none: return false
        case .all: return true
        case .headline: return phase == workload.headlinePhase(config.sizes)
        }
    }

    /// The phases a process reaches when the workload is over: `idle`, once
    /// the background scavenger has reached its goal, and `freeos`, after
    /// `debug.FreeOSMemory` (a collection, then every free page released).
    func settle() {
        guard killedAt == nil else { return }
        beginPhase("idle", expectedOps: 1)
        op { collector.scavengeToGoal() }
        endPhase()
        beginPhase("freeos", expectedOps: 1)
        op { collector.freeOSMemory() }
        endPhase()
    }

    func measure() -> RunMeasurement {
        let st = heap.stats()
        var m = RunMeasurement()
        m.ops = ops
        m.liveKeys = liveKeys
        m.liveBytes = liveKeys * slotBytes + livePayloads * payloadBytes + liveStringBytes + liveOtherBytes
        m.heapInuseBytes = st.inuseBytes
        m.heapSysBytes = st.sysBytes
        m.heapIdleBytes = st.idleBytes
        m.heapReleasedBytes = st.releasedBytes
        m.heapResidentBytes = st.residentBytes
        m.arenaActiveBytes = st.arena.activeBytes
        m.arenaResidentBytes = st.arena.residentBytes
        m.rssBytes = st.rssBytes
        m.allocBytesTotal = st.allocatedBytesTotal
        m.leakedBytes = collector.trace.last?.leakedBytes ?? 0
        for map in maps {
            let memory = map.memory
            m.bucketBytes += memory.storageBytes
            m.overflowBuckets += memory.overflowBucketCount
            m.slotCapacity += map.slotCapacity
            m.tombstones += map.tombstoneCount
            m.mapRehashes += map.rehashCount
        }
        m.gcCycles = collector.trace.count
        m.gcMarkNs = collector.totalMarkNs
        m.gcSweepNs = collector.totalSweepNs
        m.modelledGoGCCPUNs = goGCCost.cpuNs(collector.trace)
        m.peakHeapInuseBytes = heap.peakInuseBytes
        return m
    }

    /// The phase's memory-limit figures (PhaseLimitFigures), after its
    /// closing collection.
    func limitFigures(_ m: RunMeasurement) -> PhaseLimitFigures {
        var f = PhaseLimitFigures()
        let start = phaseStartFigures
        f.phaseGCCycles = m.gcCycles - start.cycles
        let gcNs = Double(m.modelledGoGCCPUNs - start.gcNs)
        let mutatorNs = Double(m.ops - start.ops) * limitModel.mutatorNsPerOp
        f.gcCPUFraction = gcNs + mutatorNs > 0 ? gcNs / (gcNs + mutatorNs) : 0
        let goal = collector.heapGoal()
        f.heapGoalBytes = goal == .max ? 0 : goal
        f.totalMemoryBytes = collector.memoryLimit == nil ? collector.totalMemoryBytes + limitModel.runtimeBytes
            : collector.totalMemoryBytes
        if let state = collector.limitState {
            f.peakTotalMemoryBytes = max(state.peakTotalBytes, f.totalMemoryBytes)
            f.limiterCycles = state.limitedCycles - start.limitedCycles
        } else {
            f.peakTotalMemoryBytes = f.totalMemoryBytes
        }
        if let memlimit { f.overshootBytes = max(0, f.peakTotalMemoryBytes - memlimit) }
        return f
    }

    /// This run's summary figures.
    func summary() -> RunSummary {
        var s = RunSummary(key: key, keys: config.keys)
        if let killedAt {
            s.status = RunSummary.oomStatus
            s.oomPhase = killedAt
        }
        let all = phases.map(\.measurement) + samples.map(\.measurement)
        // Each phase's high-water mark covers the phase, its collections
        // included; the run's is the largest.
        s.peakHeapInuseBytes = phases.map(\.measurement.peakHeapInuseBytes).max() ?? 0
        s.peakRSSBytes = all.map(\.rssBytes).max() ?? 0
        s.headlinePhase = workload.headlinePhase(config.sizes)
        if let headline = phases.first(where: { $0.phase == s.headlinePhase })?.measurement {
            s.headlineHeapInuseBytes = headline.heapInuseBytes
            s.headlineLiveBytes = headline.liveBytes
            s.headlineResidentBytes = headline.heapResidentBytes
        }
        s.idleResidentBytes = phases.first { $0.phase == "idle" }?.measurement.heapResidentBytes ?? 0
        s.freeosResidentBytes = phases.first { $0.phase == "freeos" }?.measurement.heapResidentBytes ?? 0
        if let last = phases.last?.measurement {
            s.finalHeapInuseBytes = last.heapInuseBytes
            s.finalLiveBytes = last.liveBytes
            s.gcCycles = last.gcCycles
            s.gcTotalNs = last.gcMarkNs + last.gcSweepNs + collector.totalRelocateNs
            s.modelledGoGCCPUNs = last.modelledGoGCCPUNs
            s.leakedBytesFinal = last.leakedBytes
        }
        let totalNs = phases.reduce(0) { $0 + $1.phaseNs }
        s.opsPerSecond = totalNs == 0 ? 0 : Double(ops) / (Double(totalNs) / 1e9)
        s.p50OpNs = Int(histogram.valueAtPercentile(50))
        s.p99OpNs = Int(histogram.valueAtPercentile(99))
        return s
    }
}

/// Where a cell's time went (ns), for `BUCKETLAB_CELL_TIMES=1`.
public struct CellTimes: Sendable {
    public var phaseEndCollectNs: UInt64 = 0
    public var censusNs: UInt64 = 0
    public var profileNs: UInt64 = 0
    public var heapClassesNs: UInt64 = 0
    public var samplesNs: UInt64 = 0
    public var settleNs: UInt64 = 0
    public var workloadNs: UInt64 = 0
    public init() {}
}
