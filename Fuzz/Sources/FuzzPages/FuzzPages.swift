// The page heap under random span sizes, frees and releases: bytes decode
// into allocations of small and large objects (spans of 1 to hundreds of
// pages), sweeps that keep a random part, scavenger units and FreeOSMemory;
// after every step the heap's invariants (page bitmaps, counts, the page map)
// must hold and every kept object must still carry its tag.
import BucketLab

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPages(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let heap = try! MHeap(MHeap.Configuration(hugePages: false))
    let mutator = heap.makeMutator()
    let sizes = [16, 48, 144, 1024, 8192, 20_000, 40_000, 300_000, 2_000_000]
    let types = sizes.map { heap.registerType(name: "t\($0)", size: $0) }
    var live: [(UnsafeMutableRawPointer, UInt64)] = []
    var tag: UInt64 = 0
    var i = 0
    while i + 1 < size {
        let op = bytes[i] % 6
        let arg = Int(bytes[i + 1])
        i += 2
        switch op {
        case 0, 1, 2:
            for _ in 0..<(arg % 16 + 1) {
                tag &+= 1
                let p = mutator.allocate(types[arg % types.count])
                p.storeBytes(of: tag, as: UInt64.self)
                live.append((p, tag))
            }
        case 3:
            // Keep every object whose index has this residue; sweep the rest.
            let keep = live.enumerated().filter { $0.offset % (arg % 4 + 1) == 0 }.map(\.element)
            for (p, _) in keep { heap.mark(p) }
            heap.sweep()
            live = keep
        case 4:
            heap.releaseFreePages(maxBytes: (arg + 1) * 8192)
        default:
            heap.scavenge()
        }
        let problems = heap.invariantViolations()
        precondition(problems.isEmpty, "heap invariants: \(problems)")
        let st = heap.stats()
        precondition(st.inuseBytes <= st.residentBytes && st.residentBytes <= st.sysBytes, "accounting out of order")
        for (p, t) in live { precondition(p.load(as: UInt64.self) == t, "a kept object lost its tag") }
    }
    return 0
}
