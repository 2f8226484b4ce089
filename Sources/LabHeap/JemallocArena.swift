#if canImport(CJemalloc)
import CJemalloc
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Errors from jemalloc's control interface.
public enum JemallocError: Error, CustomStringConvertible {
    case mallctl(name: String, code: Int32)

    public var description: String {
        switch self {
        case let .mallctl(name, code): return "jemalloc mallctl(\"\(name)\") failed with error \(code)"
        }
    }
}

/// What jemalloc says about one arena (after an `epoch` refresh).
public struct ArenaStats: Sendable, Equatable {
    /// `stats.arenas.<i>.pactive` × page: bytes in active extents.
    public var activeBytes: Int
    /// `pdirty` × page: unused, not yet returned to the OS.
    public var dirtyBytes: Int
    /// `pmuzzy` × page: returned lazily (MADV_FREE), may still be resident.
    public var muzzyBytes: Int
    /// `resident`: upper bound of physically resident bytes (active + dirty + metadata).
    public var residentBytes: Int
}

#if canImport(CJemalloc)
/// One jemalloc arena created for one lab heap (`arenas.create`), so that its
/// statistics are the heap's alone. All requests bypass the thread cache.
/// Facts from the jemalloc 5.3 manual (MALLCTL NAMESPACE).
struct JemallocArena: @unchecked Sendable {
    let index: UInt32
    let chunkFlags: Int32
    /// Destroying the arena discards every span in it at once.
    static let destroyFreesEverything = true

    init(dirtyDecayMs: Int?, muzzyDecayMs: Int?) throws {
        var arena: UInt32 = 0
        var size = MemoryLayout<UInt32>.size
        let rc = mallctl("arenas.create", &arena, &size, nil, 0)
        guard rc == 0 else { throw JemallocError.mallctl(name: "arenas.create", code: rc) }
        index = arena
        chunkFlags = bl_chunk_flags(arena)
        if let ms = dirtyDecayMs { try setDecay("dirty_decay_ms", ms) }
        if let ms = muzzyDecayMs { try setDecay("muzzy_decay_ms", ms) }
    }

    private func setDecay(_ key: String, _ ms: Int) throws {
        var value = ssize_t(ms)
        let name = "arena.\(index).\(key)"
        let rc = mallctl(name, nil, nil, &value, MemoryLayout<ssize_t>.size)
        guard rc == 0 else { throw JemallocError.mallctl(name: name, code: rc) }
    }

    /// A page-allocator chunk: `bytes` aligned to 2 MiB, zero-filled.
    func allocateChunk(bytes: Int) -> UnsafeMutableRawPointer? {
        mallocx(bytes, chunkFlags | bl_mallocx_zero())
    }

    func deallocateChunk(_ p: UnsafeMutableRawPointer, bytes: Int) {
        sdallocx(p, bytes, chunkFlags)
    }

    /// Returns the arena's unused dirty and muzzy pages to the OS now.
    func purge() {
        _ = mallctl("arena.\(index).purge", nil, nil, nil, 0)
    }

    /// Discards every allocation of the arena and the arena itself.
    func destroy() {
        _ = mallctl("arena.\(index).destroy", nil, nil, nil, 0)
    }

    func stats() -> ArenaStats {
        Jemalloc.refreshEpoch()
        let page = Jemalloc.pageBytes
        return ArenaStats(
            activeBytes: Self.readSize("stats.arenas.\(index).pactive") * page,
            dirtyBytes: Self.readSize("stats.arenas.\(index).pdirty") * page,
            muzzyBytes: Self.readSize("stats.arenas.\(index).pmuzzy") * page,
            residentBytes: Self.readSize("stats.arenas.\(index).resident")
        )
    }

    func decayMs() -> (dirty: Int, muzzy: Int) {
        var d = ssize_t(0), m = ssize_t(0)
        var size = MemoryLayout<ssize_t>.size
        _ = mallctl("arena.\(index).dirty_decay_ms", &d, &size, nil, 0)
        size = MemoryLayout<ssize_t>.size
        _ = mallctl("arena.\(index).muzzy_decay_ms", &m, &size, nil, 0)
        return (Int(d), Int(m))
    }

    static func readSize(_ name: String) -> Int {
        var value = 0
        var size = MemoryLayout<Int>.size
        return mallctl(name, &value, &size, nil, 0) == 0 ? value : 0
    }
}

/// Process-wide jemalloc facts.
public enum Jemalloc {
    /// Whether jemalloc backs the lab heap (false in sanitizer builds).
    public static let isLinked = true

    /// jemalloc's own page (4 KiB here), the unit of `pactive` and friends.
    public static let pageBytes: Int = JemallocArena.readSize("arenas.page")

    /// jemalloc's version string (`version`).
    public static var version: String {
        var p: UnsafePointer<CChar>? = nil
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &p, &size, nil, 0) == 0, let p else { return "unknown" }
        return String(cString: p)
    }

    /// jemalloc's transparent-huge-page mode (`opt.thp`: "always", "never"
    /// or "default"), set at start-up from `MALLOC_CONF=thp:…`.
    public static var thpMode: String {
        var p: UnsafePointer<CChar>? = nil
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("opt.thp", &p, &size, nil, 0) == 0, let p else { return "unknown" }
        return String(cString: p)
    }

    /// Number of arena slots jemalloc has handed out (`arenas.narenas`).
    public static var arenaCount: Int {
        var n: UInt32 = 0
        var size = MemoryLayout<UInt32>.size
        _ = mallctl("arenas.narenas", &n, &size, nil, 0)
        return Int(n)
    }

    /// jemalloc caches its statistics; writing `epoch` refreshes them.
    static func refreshEpoch() {
        var newEpoch: UInt64 = 1
        var oldEpoch: UInt64 = 0
        var size = MemoryLayout<UInt64>.size
        _ = mallctl("epoch", &oldEpoch, &size, &newEpoch, MemoryLayout<UInt64>.size)
    }

    /// jemalloc's `mallocx` with the thread cache on: the baseline the lab's
    /// fast path is measured against.
    @inline(__always)
    public static func mallocx(_ bytes: Int, zero: Bool = false) -> UnsafeMutableRawPointer? {
        CJemalloc.mallocx(bytes, zero ? bl_mallocx_zero() : 0)
    }

    @inline(__always)
    public static func sdallocx(_ p: UnsafeMutableRawPointer, _ bytes: Int) {
        CJemalloc.sdallocx(p, bytes, 0)
    }

    /// `mallocx` of a block that starts on a cache line (the heap's span
    /// metadata, read by every mark of an object in the span).
    static func mallocLines(_ bytes: Int, alignment: Int = 64) -> UnsafeMutableRawPointer {
        CJemalloc.mallocx(bytes, bl_mallocx_lg_align(UInt32(alignment.trailingZeroBitCount)))!
    }

    /// Frees a `mallocLines` block (sized deallocation takes the same
    /// alignment flag).
    static func freeLines(_ p: UnsafeMutableRawPointer, _ bytes: Int, alignment: Int = 64) {
        CJemalloc.sdallocx(p, bytes, bl_mallocx_lg_align(UInt32(alignment.trailingZeroBitCount)))
    }
}

#else
/// Sanitizer builds (`BUCKETLAB_SYSTEM_PAGES=1`, see Package.swift) do not
/// link jemalloc, whose malloc cannot share a process with a sanitizer's: spans
/// then come from `aligned_alloc` and the "arena" figures are the heap's own
/// count of the bytes it holds from the system.
struct JemallocArena: @unchecked Sendable {
    let index: UInt32 = 0
    /// Without an arena to destroy, the heap frees its spans one by one.
    static let destroyFreesEverything = false
    private let held = UnsafeMutablePointer<Int>.allocate(capacity: 1)

    init(dirtyDecayMs: Int?, muzzyDecayMs: Int?) throws { held.initialize(to: 0) }

    /// Zeroed by releasing it rather than by writing it: a fresh chunk's
    /// pages are counted as released, and must not be resident.
    func allocateChunk(bytes: Int) -> UnsafeMutableRawPointer? {
        guard let p = aligned_alloc(PageAlloc.chunkAlignment, bytes) else { return nil }
        _ = madvise(p, bytes, MADV_DONTNEED)
        held.pointee += bytes
        return p
    }

    func deallocateChunk(_ p: UnsafeMutableRawPointer, bytes: Int) {
        free(p)
        held.pointee -= bytes
    }

    func purge() {}
    func destroy() { held.deallocate() }

    func stats() -> ArenaStats {
        ArenaStats(activeBytes: held.pointee, dirtyBytes: 0, muzzyBytes: 0, residentBytes: held.pointee)
    }

    func decayMs() -> (dirty: Int, muzzy: Int) { (-1, -1) }
}

/// Process-wide allocator facts (system allocator build).
public enum Jemalloc {
    public static let isLinked = false
    public static let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))
    public static var version: String { "not linked (system pages)" }
    public static var thpMode: String { "system" }
    public static var arenaCount: Int { 0 }
    public static func mallocx(_ bytes: Int, zero: Bool = false) -> UnsafeMutableRawPointer? {
        zero ? calloc(1, bytes) : malloc(bytes)
    }
    public static func sdallocx(_ p: UnsafeMutableRawPointer, _ bytes: Int) { free(p) }
    static func mallocLines(_ bytes: Int, alignment: Int = 64) -> UnsafeMutableRawPointer {
        aligned_alloc(alignment, (bytes + alignment - 1) & ~(alignment - 1))!
    }
    static func freeLines(_ p: UnsafeMutableRawPointer, _ bytes: Int, alignment: Int = 64) { free(p) }
}
#endif

/// Resident set size of this process, from `/proc/self/statm`.
public func processResidentBytes() -> Int {
    guard let f = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(f) }
    var size = 0, resident = 0
    guard withUnsafeMutablePointer(to: &size, { s in
        withUnsafeMutablePointer(to: &resident) { r in
            withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
        }
    }) == 2 else { return 0 }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
}
