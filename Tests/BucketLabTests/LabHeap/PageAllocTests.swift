import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import LabHeap

/// The page allocator against a plain model: an array of page states.
@Suite struct PageAllocTests {
    /// Random allocations and frees of 1 … 700 pages over growing chunks:
    /// every allocation is the lowest-addressed fit (so runs split and
    /// coalesce exactly as the model's), every page is accounted for, a run
    /// is clean (needs no zeroing) exactly when all its pages were scavenged,
    /// and releasing takes the highest dirty pages — with 2 MiB huge pages
    /// grown down to a huge page the dirty run covers (Go's
    /// findScavengeCandidate), with none exactly as many as asked.
    @Test(arguments: zip([1, 2, 3] as [UInt64], [0, 2 << 20, 2 << 20]))
    func lowestFitSplitsAndCoalescesLikeAPageArray(seed: UInt64, hugePageBytes: Int) throws {
        var alloc = PageAlloc(hugePages: false, hugePageBytes: hugePageBytes, keepsHugePagesWhole: true)
        var memory: [UnsafeMutableRawPointer] = []
        defer { for m in memory { free(m) }; alloc.destroy() }
        // The model: per chunk (in address order) a state per page.
        enum State: Equatable { case used, dirty, scavenged }
        var model: [(base: UnsafeMutableRawPointer, pages: [State])] = []
        var live: [(base: UnsafeMutableRawPointer, npages: Int)] = []
        var rng = SplitMix64(seed: seed)
        func grow(_ npages: Int) {
            let pages = PageAlloc.chunkSize(for: npages)
            let m = aligned_alloc(2 << 20, pages << pageShift)!
            memory.append(m)
            alloc.addChunk(base: m, pages: pages)
            model.append((m, Array(repeating: .scavenged, count: pages)))
            model.sort { $0.base < $1.base }
        }
        func modelFit(_ n: Int) -> (chunk: Int, first: Int)? {
            for (c, chunk) in model.enumerated() {
                var run = 0
                for (i, s) in chunk.pages.enumerated() {
                    run = s == .used ? 0 : run + 1
                    if run == n { return (c, i - n + 1) }
                }
            }
            return nil
        }
        // Highest dirty runs first, each its top pages up to what is still
        // wanted, then grown down to the huge page boundary below when they
        // reach the one above their start and the run covers the huge page.
        let perHuge = hugePageBytes >> pageShift
        var grown = 0
        func modelRelease(_ want: Int) -> Int {
            var released = 0
            for c in model.indices.reversed() {
                var top = model[c].pages.count - 1
                while released < want {
                    while top >= 0 && model[c].pages[top] != .dirty { top -= 1 }
                    if top < 0 { break }
                    var bottom = top
                    while bottom > 0 && model[c].pages[bottom - 1] == .dirty { bottom -= 1 }
                    let end = top + 1
                    var start = end - min(end - bottom, want - released)
                    if perHuge > 0 {
                        let first = Int(UInt(bitPattern: model[c].base) >> UInt(pageShift))
                        let above = (first + start + perHuge - 1) / perHuge * perHuge - first
                        let below = (first + start) / perHuge * perHuge - first
                        if above <= end && below >= bottom && below < start {
                            start = below
                            grown += 1
                        }
                    }
                    for i in start..<end { model[c].pages[i] = .scavenged }
                    released += end - start
                    top = start - 1
                }
            }
            return released
        }
        grow(1)
        for step in 0..<3000 {
            let r = rng.next() % 100
            if r < 55 || live.isEmpty {
                let n = rng.next() % 10 == 0 ? Int(rng.next() % 700) + 1 : Int(rng.next() % 8) + 1
                var expected = modelFit(n)
                if expected == nil { grow(n); expected = modelFit(n) }
                let (c, first) = try #require(expected)
                let taken = alloc.allocate(n)
                let got = try #require(taken, "step \(step): no fit for \(n)")
                #expect(got.base == model[c].base + first << pageShift, "step \(step): not the lowest fit")
                let clean = model[c].pages[first..<(first + n)].allSatisfy { $0 == .scavenged }
                #expect(got.needsZeroing == !clean, "step \(step)")
                for i in first..<(first + n) { model[c].pages[i] = .used }
                live.append((got.base, n))
            } else if r < 92 {
                let (base, n) = live.remove(at: Int(rng.next() % UInt64(live.count)))
                alloc.free(base, npages: n)
                let c = model.firstIndex { $0.base <= base && base < $0.base + $0.pages.count << pageShift }!
                let first = (base - model[c].base) >> pageShift
                for i in first..<(first + n) { model[c].pages[i] = .dirty }
            } else {
                let want = Int(rng.next() % 64) + 1
                let dirtyBefore = model.reduce(0) { $0 + $1.pages.filter { $0 == .dirty }.count }
                let released = alloc.release(maxPages: want)
                let expected = modelRelease(want)
                #expect(released == expected, "step \(step): released \(released) of \(want)")
                #expect(released >= min(want, dirtyBefore), "step \(step)")
                if hugePageBytes == 0 { #expect(released == min(want, dirtyBefore), "step \(step)") }
            }
            #expect(alloc.invariantViolations() == [], "step \(step)")
            let pages = model.reduce(0) { $0 + $1.pages.count }
            let free = model.reduce(0) { $0 + $1.pages.filter { $0 != .used }.count }
            let scavenged = model.reduce(0) { $0 + $1.pages.filter { $0 == .scavenged }.count }
            #expect(alloc.sysPages == pages && alloc.freePages == free && alloc.scavengedPages == scavenged)
            if alloc.freePages != free { break }
        }
        // The random heap did reach the huge-page rule.
        if hugePageBytes > 0 { #expect(grown > 0) }
    }
}
