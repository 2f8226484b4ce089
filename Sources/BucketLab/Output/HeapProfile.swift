// Heap profiles in pprof's format: what a phase end keeps, by allocation
// site and by who keeps it, for `go tool pprof`.
//
// A profile is drawn from the collector's census at a phase end
// (LabCollector/Collector+Census.swift) and written as Go writes heap
// profiles (runtime/pprof/protomem.go): sample types alloc_objects/count,
// alloc_space/bytes, inuse_objects/count, inuse_space/bytes, default
// inuse_space, a numeric label `bytes` with the object's size. Unlike Go's,
// the period is 1 — every allocation counted, not one per 512 KiB — so the
// counts are exact and need no scaling.
//
// A sample's stack is where the lab allocates, named the way a Go developer
// reads it: the runtime function Go would have called (makeBucketArray with
// its B, newoverflow, makemap, maps.newarray with the table's capacity, a
// payload's new), then the map type it belongs to, then the workload. Map
// storage that no live map uses as its current storage any more — old
// buckets of a grow, a table an iterator still walks, a dropped map's array —
// gets a frame of its own, marked as such. Live objects carry labels
// `retained_by` (map, iterator, pin or finalizer: the kind of root whose pass
// reached it first) and `leaked` (true: reachable only through deleted slots), so
// `-tagfocus retained_by=pin` or `-tags` split the heap by cause. What was
// allocated and is gone has no labels and no in-use values. One more
// sample, "free slots of in-use spans", holds the spans' unused bytes, so the
// in-use total is the phase's heap in use (Go's HeapInuse) to the byte.

import LabCollector
import LabHeap

public enum HeapProfile {
    /// Go's heap-profile sample types (protomem.go), in its order.
    static let sampleTypes = [("alloc_objects", "count"), ("alloc_space", "bytes"),
                              ("inuse_objects", "count"), ("inuse_space", "bytes")]

    /// The frame for the spans' free space.
    public static let freeSlotsFrame = "runtime.mheap (free slots of in-use spans)"

    /// The profile of `census`, encoded (profile.proto, uncompressed).
    /// - Parameters:
    ///   - types: the heap's type descriptors, by id.
    ///   - workload: the root frame of every allocation.
    ///   - comments: lines pprof shows with `-comments`.
    public static func encode(_ census: HeapCensus, types: [TypeDescriptor], workload: String,
                              comments: [String], timeNanos: Int64) -> [UInt8] {
        var profile = PprofProfile(sampleTypes: sampleTypes, defaultSampleType: "inuse_space",
                                   periodType: ("space", "bytes"), period: 1, timeNanos: timeNanos,
                                   comments: comments)
        let root = "workload " + workload
        var liveObjects: [AllocationSite: Int] = [:]
        func order(_ k: CensusKey) -> (UInt16, Int, Int, String, Int) {
            (k.site.typeID.rawValue, k.site.slotBytes, k.isCurrentStorage ? 0 : 1, k.retainedBy?.rawValue ?? "", k.leaked ? 1 : 0)
        }
        let live = census.live.sorted { order($0.key) < order($1.key) }
        for (key, value) in live {
            liveObjects[key.site, default: 0] += value.objects
            var labels = [PprofProfile.Label(key: "bytes", number: Int64(key.site.slotBytes), unit: "bytes")]
            labels.append(PprofProfile.Label(key: "retained_by", text: key.retainedBy?.rawValue ?? "none"))
            labels.append(PprofProfile.Label(key: "leaked", text: key.leaked ? "true" : "false"))
            let objects = Int64(value.objects), bytes = Int64(value.bytes)
            profile.samples.append(.init(stack: stack(key.site, current: key.isCurrentStorage, types: types) + [root],
                                         values: [objects, bytes, objects, bytes], labels: labels))
        }
        // Allocated and since freed: alloc values only.
        for (site, allocated) in census.allocations.sorted(by: { $0.key < $1.key }) {
            let freed = allocated - liveObjects[site, default: 0]
            guard freed > 0 else { continue }
            profile.samples.append(.init(stack: stack(site, current: true, types: types) + [root],
                                         values: [Int64(freed), Int64(freed * site.slotBytes), 0, 0],
                                         labels: [.init(key: "bytes", number: Int64(site.slotBytes), unit: "bytes")]))
        }
        if census.freeSlotBytes > 0 {
            profile.samples.append(.init(stack: [freeSlotsFrame], values: [0, 0, 0, Int64(census.freeSlotBytes)],
                                         labels: []))
        }
        return profile.encoded()
    }

    /// The frames of an allocation site, leaf first: the runtime function Go
    /// would have called, with what distinguishes this site (B, capacity,
    /// size), then the map type for a map's own objects.
    static func stack(_ site: AllocationSite, current: Bool, types: [TypeDescriptor]) -> [String] {
        let type = types[Int(site.typeID.rawValue)]
        // Type names are "<map type>.<part>" for a map's objects (LabMaps:
        // MapType.swift, SwissLayout.swift) and plain for the rest.
        let owner: String?, part: String
        if let dot = type.name.lastIndex(of: "."), type.name.hasPrefix("map[") {
            owner = String(type.name[..<dot])
            part = String(type.name[type.name.index(after: dot)...])
        } else {
            owner = nil
            part = type.name
        }
        let count = max(1, site.slotBytes / type.size)
        // Arrays of 2^B buckets, groups or directory entries (classic adds
        // 2^(B-4) spare overflow buckets, current Go an 8-byte malloc header;
        // size classes round up less than the next power of two).
        let log2 = Int.bitWidth - 1 - count.leadingZeroBitCount
        var leaf: String
        switch part {
        case "hmap": leaf = "runtime.makemap"
        case "mapextra": leaf = "runtime.(*hmap).createOverflow (mapextra)"
        case "[]*bmap": leaf = "runtime.(*hmap).createOverflow (overflow slice header)"
        case "*bmap": leaf = "runtime.(*hmap).newoverflow (overflow list, cap \(count))"
        case "bucket": leaf = count >= 2 ? "runtime.makeBucketArray (B=\(log2))" : "runtime.newoverflow (one bucket: an overflow, or a B=0 map's array)"
        case "key": leaf = "runtime.newobject (indirect key)"
        case "value": leaf = "runtime.newobject (indirect value)"
        case "Map": leaf = "internal/runtime/maps.NewMap"
        case "table": leaf = "internal/runtime/maps.newTable"
        case "group": leaf = count >= 2 ? "internal/runtime/maps.newarray (groups of a \((1 << log2) * 8)-slot table)" : "internal/runtime/maps.newobject (small map group)"
        case "*table": leaf = "internal/runtime/maps.(*Map) directory (\(1 << log2) entries)"
        case "payload": leaf = "main.newPayload (\(type.size) B)"
        case "string": leaf = "runtime.rawstring (\(count) B)"
        case "tiny block": leaf = "runtime.mallocgc (tiny block: small pointer-free boxes, convT64)"
        default: leaf = "runtime.newobject (\(type.name))"
        }
        // Inside the parentheses: pprof shortens a name with brackets in it
        // and drops its parenthesised part.
        if !current && (part == "bucket" || part == "group"), leaf.hasSuffix(")") {
            leaf.removeLast()
            leaf += "; old: no live map's current storage)"
        }
        return [leaf] + (owner.map { [$0] } ?? [])
    }
}
