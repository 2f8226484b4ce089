// How a generation of Go lays out a small-object span: which bytes at the
// span's end hold the runtime's metadata rather than objects, and so how many
// objects a span of each class holds. The size-class table itself
// (SizeClasses.swift) is the same in every generation modelled: Go 1.27's
// internal/runtime/gc/sizeclasses.go lists the classes, span sizes and pages
// of Go 1.19's runtime/sizeclasses.go.

/// A generation of Go's span layout (Go's `mheap.initSpan`, which sets
/// `nelems`).
public enum SpanLayout: String, Sendable, CaseIterable {
    /// Go 1.19 to 1.21: the heap bitmap lives beside the arena, so every byte
    /// of a span holds objects (`nelems = nbytes / elemsize`).
    case go119
    /// Go 1.22 to 1.25 (allocation headers): a span of pointer-holding
    /// objects of at most 512 bytes keeps their pointer/scalar bitmap at its
    /// end, one bit per word (runtime/mbitmap.go `heapBitsInSpan`; mheap.go
    /// `initSpan` reserves `nbytes / PtrSize / 8`).
    case go122
    /// Go 1.26 and later (the Green Tea collector by default): as `go122`,
    /// and every span of 16- to 512-byte objects, pointer-holding or not,
    /// also keeps the collector's inline mark bits at its end
    /// (runtime/mgcmark_greenteagc.go `gcUsesSpanInlineMarkBits`,
    /// `spanInlineMarkBits`; reserved by `initSpan`).
    case go126

    /// Whether a pointer-holding object over 512 bytes carries Go 1.22's
    /// 8-byte type header in its slot (`MallocHeader`): every layout after
    /// Go 1.19's, which kept a heap bitmap instead.
    public var hasMallocHeaders: Bool { self != .go119 }

    /// The largest object whose pointer bitmap sits in its span
    /// (`gc.MinSizeForMallocHeader` = pointer size × bits per pointer word).
    static let maxHeapBitsInSpanSize = 512
    /// The smallest object whose span has inline mark bits
    /// (`gcUsesSpanInlineMarkBits`: `size >= 16`).
    static let minInlineMarkBitsSize = 16
    /// `unsafe.Sizeof(spanInlineMarkBits{})`: scans [63]uint8, owned uint8,
    /// marks [63]uint8, class uint8.
    static let inlineMarkBitsBytes = 128

    /// Bytes at the end of a span of `npages` for `spanClass` that hold
    /// metadata (0 for a large object's span).
    public func reservedBytes(_ spanClass: SpanClass, npages: Int) -> Int {
        guard !spanClass.isLarge, self != .go119 else { return 0 }
        let size = SizeClasses.sizes[spanClass.sizeClass]
        let heapBitsInSpan = size <= Self.maxHeapBitsInSpanSize
        var reserve = 0
        if self == .go126 && heapBitsInSpan && size >= Self.minInlineMarkBitsSize {
            reserve += Self.inlineMarkBitsBytes
        }
        if heapBitsInSpan && !spanClass.noscan {
            // One bit per 8-byte word of the span.
            reserve += (npages << pageShift) / 8 / 8
        }
        return reserve
    }

    /// Objects in one span of `spanClass` (1 for a large object).
    public func objectsPerSpan(_ spanClass: SpanClass) -> Int {
        if spanClass.isLarge { return 1 }
        let npages = SizeClasses.pages[spanClass.sizeClass]
        return ((npages << pageShift) - reservedBytes(spanClass, npages: npages)) / SizeClasses.sizes[spanClass.sizeClass]
    }

    /// `objectsPerSpan` of every span class, indexed by its raw value.
    func objectsPerSpanTable() -> [Int] {
        (0..<SizeClasses.spanClassCount).map { objectsPerSpan(SpanClass(rawValue: UInt8($0))) }
    }
}
