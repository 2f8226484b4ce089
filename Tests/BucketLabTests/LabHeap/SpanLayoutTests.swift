import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps

/// Objects per span in each generation of Go's span layout, the heap that
/// uses them, and which layout each map model's runs get.
@Suite struct SpanLayoutTests {
    /// Go's `mheap.initSpan` for one span class, written out as the sources
    /// say it: Go 1.19 `nbytes / elemsize`; from Go 1.22 a scan span of
    /// objects of at most 512 bytes (`heapBitsInSpan`) gives up
    /// `nbytes / 8 / 8`; from Go 1.26 every span of 16- to 512-byte objects
    /// (`gcUsesSpanInlineMarkBits`) gives up 128 more.
    static func goNelems(_ layout: SpanLayout, size: Int, npages: Int, noscan: Bool) -> Int {
        let nbytes = npages * 8192
        var reserve = 0
        if layout != .go119 && size <= 512 && !noscan { reserve += nbytes / 64 }
        if layout == .go126 && size <= 512 && size >= 16 { reserve += 128 }
        return (nbytes - reserve) / size
    }

    @Test(arguments: SpanLayout.allCases)
    func everyClassHoldsWhatGosInitSpanGives(layout: SpanLayout) {
        for c in SizeClasses.all.dropFirst() {
            for noscan in [false, true] {
                let sc = SpanClass(sizeClass: c.index, noscan: noscan)
                #expect(layout.objectsPerSpan(sc) == Self.goNelems(layout, size: c.size, npages: c.npages, noscan: noscan),
                        "\(layout) class \(sc) (\(c.size) B)")
                #expect(layout.objectsPerSpan(sc) * c.size + layout.reservedBytes(sc, npages: c.npages) <= c.spanBytes)
            }
        }
        #expect(layout.objectsPerSpan(SpanClass(sizeClass: 0, noscan: false)) == 1)
        #expect(layout.objectsPerSpan(SpanClass(sizeClass: 0, noscan: true)) == 1)
    }

    /// Go 1.19's layout is the size-class table's own object count; the
    /// later ones only ever take objects away, and only from spans of
    /// objects up to 512 bytes.
    @Test func go119IsTheTableAndLaterLayoutsOnlyShrinkSmallSpans() {
        for c in SizeClasses.all.dropFirst() {
            for noscan in [false, true] {
                let sc = SpanClass(sizeClass: c.index, noscan: noscan)
                #expect(SpanLayout.go119.objectsPerSpan(sc) == c.objectsPerSpan)
                #expect(SpanLayout.go122.objectsPerSpan(sc) <= c.objectsPerSpan)
                #expect(SpanLayout.go126.objectsPerSpan(sc) <= SpanLayout.go122.objectsPerSpan(sc))
                if c.size > 512 { #expect(SpanLayout.go126.objectsPerSpan(sc) == c.objectsPerSpan, "class \(sc)") }
            }
        }
    }

    /// The classes the hash-trie sync.Map lives in, on current Go against
    /// Go 1.19 (Go's `MemStats.BySize` counts after 10^6 Stores fit these).
    @Test func theTriesClassesOnCurrentGo() {
        func n(_ layout: SpanLayout, _ size: Int, noscan: Bool) -> Int {
            layout.objectsPerSpan(SpanClass(sizeClass: SizeClasses.classIndex(forSize: size), noscan: noscan))
        }
        // Indirect nodes (160 B) and entries (48 B) hold pointers.
        #expect((n(.go126, 160, noscan: false), n(.go119, 160, noscan: false)) == (49, 51))
        #expect((n(.go126, 48, noscan: false), n(.go119, 48, noscan: false)) == (165, 170))
        // Tiny blocks (16 B) hold none: only the inline mark bits.
        #expect((n(.go126, 16, noscan: true), n(.go119, 16, noscan: true)) == (504, 512))
        // 8-byte objects have no inline mark bits; a scan one has heap bits.
        #expect((n(.go126, 8, noscan: true), n(.go126, 8, noscan: false)) == (1024, 1008))
        #expect(n(.go122, 160, noscan: false) == 50 && n(.go122, 160, noscan: true) == 51)
    }

    /// A current-Go heap fills spans to the layout's count, never into the
    /// reserved tail, and its invariants hold through a sweep.
    @Test(arguments: [SpanLayout.go119, .go126])
    func aHeapFillsSpansToItsLayout(layout: SpanLayout) throws {
        let heap = try MHeap(MHeap.Configuration(spanLayout: layout))
        do {
            let mutator = heap.makeMutator()
            for (size, pointerWords) in [(160, [0]), (48, [0]), (16, [Int]()), (8, [0]), (1024, [0])] {
                let type = heap.registerType(name: "t\(size)", size: size, pointerWords: pointerWords)
                let perSpan = layout.objectsPerSpan(type.spanClass)
                var spans: [Span: Int] = [:]
                for _ in 0..<(perSpan * 3) {
                    let p = mutator.allocate(type)
                    let object = try #require(heap.findObject(p))
                    let reserved = layout.reservedBytes(type.spanClass, npages: object.span.npages)
                    #expect(p + size <= object.span.base + object.span.bytes - reserved)
                    spans[object.span, default: 0] += 1
                }
                #expect(spans.count == 3, "\(size) B: three full spans")
                for (span, count) in spans {
                    #expect(span.nelems == perSpan && count == perSpan)
                    // The reserved tail (and any waste) holds no object.
                    let slot = SizeClasses.sizes[type.spanClass.sizeClass]
                    if perSpan * slot < span.bytes { #expect(heap.findObject(span.base + perSpan * slot) == nil) }
                }
            }
            #expect(heap.invariantViolations().isEmpty)
        }
        heap.sweep()  // nothing marked: every span empties
        #expect(heap.invariantViolations().isEmpty)
        #expect(heap.stats().liveObjects == 0)
    }

    /// Go 1.22+'s malloc header follows the layout: a pointer-holding 1 KiB
    /// object takes the 1,152-byte class on a current-Go heap (1,024 + 8
    /// bytes asked) and the 1,024-byte class on Go 1.19's; a pointer-free
    /// one takes 1,024 on both.
    @Test(arguments: [(SpanLayout.go119, 1024), (.go122, 1152), (.go126, 1152)])
    func mallocHeadersFollowTheLayout(layout: SpanLayout, scanSlot: Int) throws {
        let heap = try MHeap(MHeap.Configuration(spanLayout: layout))
        let mutator = heap.makeMutator()
        let scan = heap.registerType(name: "scan1k", size: 1024, pointerWords: [127])
        let noscan = heap.registerType(name: "noscan1k", size: 1024)
        #expect(heap.findObject(mutator.allocate(scan))?.size == scanSlot)
        #expect(heap.findObject(mutator.allocate(noscan))?.size == 1024)
        // 512 bytes and under keep no header, whatever the layout.
        let small = heap.registerType(name: "scan512", size: 512, pointerWords: [0])
        #expect(heap.findObject(mutator.allocate(small))?.size == 512)
    }

    /// Each map model's runs get the layout of the Go it stands for.
    @Test func eachModelsCellsGetItsGosLayout() throws {
        #expect(BucketMap.spanLayout == .go119 && SyncMap119.spanLayout == .go119)
        #expect(SwissMap.spanLayout == .go126 && SyncTrie.spanLayout == .go126)
        let config = try SuiteConfig(workloads: [Workload.allCases[0]], strategies: [.go], mapModels: MapModels.names,
                                         keys: 1_000, pprof: .none)
        var seen = 0
        for cell in Suite.cells(config, runID: "layout") {
                let run = try WorkloadRun(config: config, key: cell.key, workload: cell.workload, strategy: cell.strategy, progress: nil)
                #expect(run.heap.configuration.spanLayout == MapModels.named(cell.key.map)!.spanLayout)
                seen += 1
        }
        #expect(seen == MapModels.names.count)
    }
}
