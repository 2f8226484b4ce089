// The census: who keeps each live object, for the heap profile and the
// `retained_by_*` columns. See Collector.swift for the overview.
//
// A collection's mark answers "is it reachable?" on several workers in any
// order, so which root reached an object first is not defined there. The
// census asks the other question, after a collection, with the world
// stopped and the heap swept: it marks again on one thread, one kind of
// root at a time — maps, then open iterators, then pins, then finalizers and
// cleanups (what finalizable objects point to, queued finalizers' objects,
// cleanups' arguments: Collector+Finalizers.swift) — and charges each
// newly marked object to the kind whose pass reached it. Deleted slots are
// set aside as in the collector's audit; a last pass per kind follows them,
// and what it adds is reachable only through deleted slots (`leaked`),
// charged to the kind of root whose deleted slots hold it. Then it clears
// the mark bits it set: it frees nothing and moves nothing, and its time is
// no cycle's. Objects that no root reaches are reported as such (none,
// right after a collection).

import LabHeap
import LabMaps

/// Live objects of one site, kept for one reason.
public struct CensusKey: Hashable, Sendable {
    public var site: AllocationSite
    /// The kind of root whose pass first reached the object; nil: none did.
    public var retainedBy: RootKind?
    /// Reachable only through deleted (or evacuated) slots.
    public var leaked: Bool
    /// One of a live map's current storage objects (`MapModel.storageObjects`:
    /// its bucket array and overflow buckets, its tables' groups). Storage
    /// that is not — old buckets of a grow, a table a split replaced that an
    /// iterator still walks, a dropped map's array — is told apart by this.
    public var isCurrentStorage: Bool
}

/// The heap at one moment: every allocated object by site and reason, the
/// free space of in-use spans, and the allocations so far.
public struct HeapCensus: Sendable {
    public var live: [CensusKey: (objects: Int, bytes: Int)] = [:]
    /// Bytes of in-use spans (Go's HeapInuse): the objects' slots plus
    /// `freeSlotBytes`.
    public var inuseBytes = 0
    /// Free slots and tail waste of in-use spans.
    public var freeSlotBytes = 0
    /// Cumulative allocations per site (alloc_objects).
    public var allocations: [AllocationSite: Int] = [:]

    /// Live bytes kept through live slots by roots of `kind`.
    public func bytes(retainedBy kind: RootKind) -> Int {
        live.reduce(0) { $0 + ($1.key.retainedBy == kind && !$1.key.leaked ? $1.value.bytes : 0) }
    }

    /// Live bytes reachable only through deleted slots.
    public var leakedBytes: Int { live.reduce(0) { $0 + ($1.key.leaked ? $1.value.bytes : 0) } }

    /// Allocated bytes no root reaches.
    public var unreachedBytes: Int { live.reduce(0) { $0 + ($1.key.retainedBy == nil ? $1.value.bytes : 0) } }
}

extension Collector {
    /// Charges every allocated object to the kind of root that keeps it
    /// (world stopped; after `collect()`, so nothing is waiting to be swept).
    public func census() -> HeapCensus {
        heap.releaseAllCaches()
        precondition(!heap.hasUnsweptSpans, "a census needs a swept heap: run it after collect()")
        var census = HeapCensus()
        census.allocations = heap.allocationsBySite()
        var roots: [RootKind: [UInt]] = [:]
        heap.roots.forEachRoot { address, kind in roots[kind, default: []].append(UInt(bitPattern: address)) }
        roots[.finalizer, default: []] += specials.roots

        let table = ScanTable(heap.typeDescriptors)
        var current = Set<UInt>()
        for map in rootMaps { for object in map.storageObjects { current.insert(UInt(bitPattern: object)) } }

        // Storage objects in address order: a span none falls in skips the
        // per-object lookup.
        let storage = current.sorted()
        func mayHoldStorage(_ low: UInt, _ high: UInt) -> Bool {
            var lo = 0, hi = storage.count
            while lo < hi { let mid = (lo + hi) / 2; if storage[mid] < low { lo = mid + 1 } else { hi = mid } }
            return lo < storage.count && storage[lo] < high
        }

        // Mark bits already charged, per span: what a pass adds is the rest.
        // Objects are counted in runs of one key (neighbours mostly share a
        // type), so the table is touched once a run, not once an object
        // (docs/notes/cell-time.md).
        var charged: [UnsafeMutablePointer<SpanHeader>: [UInt64]] = [:]
        func charge(_ reason: RootKind?, leaked: Bool, marked: Bool) {
            heap.forEachInUseSpan { span in
                let h = span.header
                let words = span.bitmapWordCount
                let elemsize = span.elemsize
                let base = UInt(bitPattern: span.objectAddress(0))
                let checkStorage = mayHoldStorage(base, base + UInt(words * 64 * elemsize))
                var done = charged.removeValue(forKey: h) ?? [UInt64](repeating: 0, count: words)
                var runType: UInt16 = 0, runIsStorage = false, runCount = 0
                func flush() {
                    guard runCount > 0 else { return }
                    let key = CensusKey(site: AllocationSite(typeID: TypeID(rawValue: runType), slotBytes: elemsize),
                                        retainedBy: reason, leaked: leaked, isCurrentStorage: runIsStorage)
                    census.live[key, default: (0, 0)].objects += runCount
                    census.live[key, default: (0, 0)].bytes += runCount * elemsize
                    runCount = 0
                }
                for w in 0..<words {
                    let allocated = span.allocatedWord(w)
                    var new = (marked ? span.markedWord(w) & allocated : allocated) & ~done[w]
                    done[w] |= new
                    while new != 0 {
                        let i = w << 6 | new.trailingZeroBitCount
                        new &= new - 1
                        let type = span.typeID(i).rawValue
                        let isStorage = checkStorage && current.contains(UInt(bitPattern: span.objectAddress(i)))
                        if runCount > 0 && (type != runType || isStorage != runIsStorage) { flush() }
                        runType = type
                        runIsStorage = isStorage
                        runCount += 1
                    }
                }
                flush()
                charged[h] = done
            }
        }

        var marker = Marker(pageMap: heap.pageMap, table: table)
        var deferred: [RootKind: [UInt]] = [:]
        for kind in RootKind.allCases {
            marker.markFrom(roots[kind] ?? [], scanning: kind == .finalizer ? specials.finalizable : [],
                            workers: 1, on: markThreads)
            charge(kind, leaked: false, marked: true)
            deferred[kind] = marker.deferred
            marker.deferred = []
        }
        marker.auditing = true
        for kind in RootKind.allCases {
            marker.markFrom(deferred[kind] ?? [], workers: 1, on: markThreads)
            charge(kind, leaked: true, marked: true)
        }
        charge(nil, leaked: false, marked: false)
        heap.clearMarkBits()

        var objectBytes = 0
        for value in census.live.values { objectBytes += value.bytes }
        census.inuseBytes = heap.objectCensus().inuseBytes
        census.freeSlotBytes = census.inuseBytes - objectBytes
        return census
    }
}
