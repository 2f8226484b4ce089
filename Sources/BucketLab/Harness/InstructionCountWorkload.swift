// A small fixed workload for counting instructions and cache misses under
// valgrind's callgrind (`scripts/icount-check`, Benchmarks/README.md): each
// measured region is a function of its own with a C symbol (`bl_icount_*`),
// so callgrind collects inside those alone (`--toggle-collect`) and reports
// each one's inclusive cost. Everything is fixed: keys and hash seeds, one
// mark worker, no huge pages, jemalloc never purging on a clock. Under
// `setarch -R` (no address randomisation) two runs of one binary count the
// same to the instruction, so a change of a few tenths of a percent in a hot
// path shows, where wall-clock ratios on a shared machine move by tens of
// percent.

/// The regions, in the order they run.
public enum InstructionCountWorkload {
    public static let regions = ["alloc48"]
        + MapModels.names.flatMap { m in OpsBenchmark.mapOps.map { "\(m)_\($0)" } }
        + ["collect"]

    /// Runs every region once on `keys` keys.
    public static func run(keys: Int = 20_000) throws {
        try Bounds.keys.check(keys)
        let configuration = MHeap.Configuration(dirtyDecayMs: -1, muzzyDecayMs: -1, hugePages: false)
        let context = ICountContext(keys: OpsKeys(keys: keys, seed: 1))
        let allocHeap = try MHeap(configuration)
        context.mutator = allocHeap.makeMutator()
        context.type = allocHeap.registerType(name: "blob48", size: 48)
        let classicHeap = try MHeap(configuration), swissHeap = try MHeap(configuration)
        context.classic = BucketMap(type: .uint64ToUInt64(heap: classicHeap), mutator: classicHeap.makeMutator(),
                                    policy: .go, seed: 1, hint: 0)
        context.swiss = SwissMap(type: .uint64ToUInt64(heap: swissHeap), mutator: swissHeap.makeMutator(),
                                 policy: .go, seed: 1, hint: 0)
        context.payloads = try PayloadHeap(keys: keys, model: BucketMap.self, gcWorkers: 1, hugePages: false)
        // Called through pointers the optimiser cannot see through, so each
        // region is entered by its C symbol and callgrind collects there.
        let regions: [ICountRegion] = [bl_icount_alloc48,
                                       bl_icount_classic_insert, bl_icount_classic_lookup_hit,
                                       bl_icount_classic_lookup_miss, bl_icount_classic_iterate, bl_icount_classic_delete,
                                       bl_icount_swiss_insert, bl_icount_swiss_lookup_hit,
                                       bl_icount_swiss_lookup_miss, bl_icount_swiss_iterate, bl_icount_swiss_delete,
                                       bl_icount_collect]
        precondition(regions.count == Self.regions.count)
        var sink: UInt64 = 0
        let ctx = Unmanaged.passUnretained(context).toOpaque()
        for region in opaque(regions) { sink &+= region(ctx) }
        precondition(context.classic!.count == 0 && context.swiss!.count == 0)
        blackHole(sink)
        withExtendedLifetime((allocHeap, classicHeap, swissHeap, context)) {}
    }
}

typealias ICountRegion = @convention(c) (UnsafeMutableRawPointer) -> UInt64

/// What the regions work on.
final class ICountContext {
    let keys: OpsKeys
    var mutator: Mutator?
    var type: ObjectType?
    var classic: BucketMap?
    var swiss: SwissMap?
    var payloads: PayloadHeap?

    init(keys: OpsKeys) { self.keys = keys }

    static func from(_ p: UnsafeMutableRawPointer) -> ICountContext {
        Unmanaged<ICountContext>.fromOpaque(p).takeUnretainedValue()
    }
}

/// The value, hidden from the optimiser.
@inline(never) @_optimize(none)
func opaque<T>(_ value: T) -> T { value }

// The regions: C entry points (@_cdecl) around the same generic bodies,
// specialised for each model.

@inline(__always) func insertAll<M: MapModel>(_ map: M, _ keys: OpsKeys) -> UInt64 {
    for k in keys.present { map.updateValue(k, forKey: k) }
    return UInt64(map.count)
}

@inline(__always) func lookupHits<M: MapModel>(_ map: M, _ keys: OpsKeys) -> UInt64 {
    var s: UInt64 = 0
    for k in keys.probeOrder { s &+= map.value(forKey: k) ?? 0 }
    return s
}

@inline(__always) func lookupMisses<M: MapModel>(_ map: M, _ keys: OpsKeys) -> UInt64 {
    var s: UInt64 = 0
    for k in keys.absent { s &+= map.value(forKey: k) ?? 1 }
    return s
}

@inline(__always) func iterateAll<M: MapModel>(_ map: M) -> UInt64 {
    var s: UInt64 = 0
    let it = map.makeIteration()
    while let (k, v) = it.nextEntry() { s &+= k ^ v }
    return s
}

@inline(__always) func deleteAll<M: MapModel>(_ map: M, _ keys: OpsKeys) -> UInt64 {
    for k in keys.probeOrder { map.removeValue(forKey: k) }
    return UInt64(map.count)
}

@_cdecl("bl_icount_alloc48") func bl_icount_alloc48(_ p: UnsafeMutableRawPointer) -> UInt64 {
    let c = ICountContext.from(p), mutator = c.mutator!, type = c.type!
    var s: UInt64 = 0
    for i in 0..<c.keys.present.count {
        let object = mutator.allocate(type)
        object.storeBytes(of: i, as: Int.self)
        s &+= UInt64(UInt(bitPattern: object))
    }
    return s
}

@_cdecl("bl_icount_classic_insert") func bl_icount_classic_insert(_ p: UnsafeMutableRawPointer) -> UInt64 {
    let c = ICountContext.from(p)
    return insertAll(c.classic!, c.keys)
}
@_cdecl("bl_icount_classic_lookup_hit") func bl_icount_classic_lookup_hit(_ p: UnsafeMutableRawPointer) -> UInt64 {
    let c = ICountContext.from(p)
    return lookupHits(c.classic!, c.keys)
}
@_cdecl("bl_icount_classic_lookup_miss") func bl_icount_classic_lookup_miss(_ p: UnsafeMutableRawPointer) -> UInt64 {
    let c = ICountContext.from(p)
    return lookupMisses(c.classic!, c.keys)
}
@_cdecl("bl_icount_classic_iterate") func bl_icount_classic_iterate(_ p: UnsafeMutableRawPointer) -> UInt64 {
    iterateAll(ICountContext.from(p).classic!)
}
@_cdecl("bl_icount_classic_delete") func bl_icount_classic_delete(_ p: UnsafeMutableRawPointer) -> UInt64 {
    let c = ICountContext.from(p)
    return deleteAll(c.classic!, c.keys)
}

@_cdecl("bl_icount_swiss_insert") func bl_icount_swiss_insert(_ p: UnsafeMutableRawPointer) -> UInt64 {
    let c = ICountContext.from(p)
    return insertAll(c.swiss!, c.keys)
}
@_cdecl("bl_icount_swiss_lookup_hit") func bl_icount_swiss_lookup_hit(_ p: UnsafeMutableRawPointer) -> UInt64 {
    let c = ICountContext.from(p)
    return lookupHits(c.swiss!, c.keys)
}
@_cdecl("bl_icount_swiss_lookup_miss") func bl_icount_swiss_lookup_miss(_ p: UnsafeMutableRawPointer) -> UInt64 {
    let c = ICountContext.from(p)
    return lookupMisses(c.swiss!, c.keys)
}
@_cdecl("bl_icount_swiss_iterate") func bl_icount_swiss_iterate(_ p: UnsafeMutableRawPointer) -> UInt64 {
    iterateAll(ICountContext.from(p).swiss!)
}
@_cdecl("bl_icount_swiss_delete") func bl_icount_swiss_delete(_ p: UnsafeMutableRawPointer) -> UInt64 {
    let c = ICountContext.from(p)
    return deleteAll(c.swiss!, c.keys)
}

@_cdecl("bl_icount_collect") func bl_icount_collect(_ p: UnsafeMutableRawPointer) -> UInt64 {
    UInt64(ICountContext.from(p).payloads!.collect().objectsMarked)
}
