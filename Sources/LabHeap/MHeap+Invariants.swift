// Invariant checks of the heap. See MHeap.swift.

extension MHeap {
    /// Checks the heap's structure under the `BUCKETLAB_INTERNAL_CHECKS` flag
    /// (debug builds and tests) and costs nothing otherwise.
    @inline(__always)
    public func _checkInvariants() {
        #if BUCKETLAB_INTERNAL_CHECKS
        let violations = invariantViolations()
        precondition(violations.isEmpty, "heap invariants broken:\n" + violations.joined(separator: "\n"))
        #endif
    }

    /// Every broken invariant, described (world stopped). Empty when sound:
    /// allocation counts match the bitmaps, the alloc cache matches the bitmap,
    /// each span is on the list its state says, the page map points every page
    /// of every in-use span at it and nothing at free spans, and the byte
    /// counters add up.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        func check(_ ok: Bool, _ what: @autoclosure () -> String) { if !ok { problems.append(what()) } }

        func checkSpan(_ h: UnsafeMutablePointer<SpanHeader>, _ where_: String) {
            let s = Span(h)
            let name = "\(where_) span \(s.base) class \(s.spanClass)"
            var allocated = 0
            for i in 0..<s.nelems where s.isAllocated(i) { allocated += 1 }
            check(allocated == s.allocCount, "\(name): allocCount \(s.allocCount) but \(allocated) slots allocated")
            check(s.freeindex <= s.nelems, "\(name): freeindex \(s.freeindex) > nelems \(s.nelems)")
            check(s.collectorNote == 0, "\(name): the collector left a note on it")
            let fi = s.freeindex
            if fi < s.nelems {
                let inWord = 64 - (fi & 63)
                for j in 0..<min(inWord, s.nelems - fi) {
                    let free = h.pointee.allocCache & (1 << UInt64(j)) != 0
                    let bitSet = h.pointee.allocBits[(fi + j) >> 6] & (1 << UInt64((fi + j) & 63)) != 0
                    if free == bitSet {
                        problems.append("\(name): allocCache bit \(j) disagrees with allocBits at slot \(fi + j)")
                        break
                    }
                }
            }
            for p in 0..<s.npages {
                let addr = s.base + p * pageSize
                check(pageMap.lookup(addr) == h, "\(name): page \(p) not mapped to its span")
            }
            check(pages.isAllocated(s.base, npages: s.npages), "\(name): some of its pages are free in the page allocator")
            if !s.spanClass.isLarge {
                check(s.elemsize == SizeClasses.sizes[s.spanClass.sizeClass], "\(name): wrong elemsize")
                check(s.npages == SizeClasses.pages[s.spanClass.sizeClass], "\(name): wrong npages")
            }
            let nelems = configuration.spanLayout.objectsPerSpan(s.spanClass)
            check(s.nelems == nelems, "\(name): \(s.nelems) slots, its \(configuration.spanLayout) layout says \(nelems)")
            check(s.spanClass.isLarge || s.nelems * s.elemsize + configuration.spanLayout.reservedBytes(s.spanClass, npages: s.npages) <= s.bytes,
                  "\(name): slots overlap the span's reserved tail")
        }

        var inuse = 0
        for c in centrals {
            c.lock.withLock {
                c.partial.forEach { h in
                    check(h.pointee.state == .partial && h.pointee.spanClass == c.spanClass, "partial list holds a span in state \(h.pointee.state)")
                    check(h.pointee.allocCount < h.pointee.nelems, "partial list holds a full span")
                    checkSpan(h, "partial")
                    inuse += h.pointee.bytes
                }
                c.unswept.forEach { h in
                    check(h.pointee.state == .unswept && h.pointee.spanClass == c.spanClass, "unswept list holds a span in state \(h.pointee.state)")
                    checkSpan(h, "unswept")
                    inuse += h.pointee.bytes
                }
                c.full.forEach { h in
                    check(h.pointee.state == .full && h.pointee.spanClass == c.spanClass, "full list holds a span in state \(h.pointee.state)")
                    check(h.pointee.allocCount == h.pointee.nelems, "full list holds a span with free slots")
                    checkSpan(h, "full")
                    inuse += h.pointee.bytes
                }
            }
        }
        lock.withLock {
            for c in caches {
                for i in 0..<SizeClasses.spanClassCount {
                    let h = c.pointee.alloc[i]
                    guard h != sentinel else { continue }
                    check(h.pointee.state == .cached, "cache holds a span in state \(h.pointee.state)")
                    check(Int(h.pointee.spanClass.rawValue) == i, "cache slot \(i) holds class \(h.pointee.spanClass)")
                    checkSpan(h, "cached")
                    inuse += h.pointee.bytes
                }
            }
            largeSpans.forEach { h in
                check(h.pointee.state == .large && h.pointee.allocCount == 1, "large list holds a bad span")
                checkSpan(h, "large")
                inuse += h.pointee.bytes
            }
            check(inuse == inuseSpanBytes, "in-use bytes \(inuseSpanBytes) but spans add up to \(inuse)")
            check(inuseSpanBytes == (pages.sysPages - pages.freePages) << pageShift,
                  "in-use bytes \(inuseSpanBytes) but the page allocator has \((pages.sysPages - pages.freePages) << pageShift) allocated")
            problems += pages.invariantViolations()
            for h in spareHeaders {
                check(h.pointee.state == .free && pageMap.lookup(h.pointee.base) != h, "a spare span header is still in use")
            }
            check(sentinel.pointee.nelems == 0 && sentinel.pointee.allocCache == 0, "sentinel span was used")
        }
        return problems
    }
}
