// Go's small-object size classes, computed from the one description Go's own
// generator uses (src/runtime/mksizeclasses.go, Go 1.19), never typed in:
//
//   * sizes step by 8 bytes, then by 16 from 32 B, by size/8 from 128 B, and by
//     256 from 2048 B (alignment bumps at each power of two);
//   * each class takes the fewest 8 KiB pages whose tail waste is at most 1/8;
//   * a size that gives the same pages and object count as the previous class
//     replaces it;
//   * finally each class grows to the largest 128-byte-aligned size that still
//     fits the same number of objects in its span.
//
// That yields 68 classes counting class 0 (large objects, a span each), 8 B to
// 32768 B. The test suite checks every class against Go's published table.

/// Bytes per heap page (Go's `_PageSize`).
public let pageSize = 8192
/// log2 of `pageSize` (Go's `_PageShift`).
public let pageShift = 13
/// Objects above this size get a span of their own (Go's `_MaxSmallSize`).
public let maxSmallSize = 32768
/// The largest allocation Go can make on 64-bit Linux (runtime/malloc.go
/// `maxAlloc`, 1 << heapAddrBits): `make(map, hint)` ignores a hint whose
/// storage would pass it.
public let goMaxAllocBytes = 1 << 48

/// One row of the size-class table.
public struct SizeClass: Sendable, Hashable {
    /// Class number, 1...67 (0 is "large").
    public let index: Int
    /// Bytes per object.
    public let size: Int
    /// Pages per span.
    public let npages: Int

    public var spanBytes: Int { npages * pageSize }
    /// Objects per span as Go's table lists them (every byte holds objects,
    /// Go 1.19's layout); a heap's own count is its `SpanLayout`'s.
    public var objectsPerSpan: Int { spanBytes / size }
    /// Bytes at the end of a span that no object can use.
    public var tailWaste: Int { spanBytes - objectsPerSpan * size }
}

/// The table and the size → class lookups, as in Go's `sizeclasses.go`.
public enum SizeClasses {
    // Go's lookup granularities: below 1024 B classes are found in steps of 8,
    // above in steps of 128.
    static let smallSizeDiv = 8
    static let smallSizeMax = 1024
    static let largeSizeDiv = 128

    /// All classes, `all[0]` being the placeholder for large objects.
    public static let all: [SizeClass] = computeClasses()

    /// Number of classes, counting class 0 (68 as in Go).
    public static var count: Int { all.count }

    /// Span classes: size class × {scan, noscan} (136 as in Go).
    public static var spanClassCount: Int { all.count * 2 }

    /// Bytes per object of class `c`, as a flat table for fast paths.
    static let sizes: [Int] = all.map(\.size)
    static let pages: [Int] = all.map(\.npages)

    // size_to_class8[(size+7)/8] and size_to_class128[(size-1024+127)/128].
    static let sizeToClass8: [UInt8] = {
        (0...(smallSizeMax / smallSizeDiv)).map { i in
            UInt8(classFitting(i * smallSizeDiv))
        }
    }()
    static let sizeToClass128: [UInt8] = {
        (0...((maxSmallSize - smallSizeMax) / largeSizeDiv)).map { i in
            UInt8(classFitting(smallSizeMax + i * largeSizeDiv))
        }
    }()

    /// The smallest class whose objects hold `size` bytes; 0 when `size` is
    /// above `maxSmallSize` (a large object). `size` 0 maps to class 0 too,
    /// callers round it up to 1 first.
    @inline(__always)
    public static func classIndex(forSize size: Int) -> Int {
        if size <= smallSizeMax - 8 {
            return Int(sizeToClass8[(size + smallSizeDiv - 1) / smallSizeDiv])
        }
        if size <= maxSmallSize {
            return Int(sizeToClass128[(size - smallSizeMax + largeSizeDiv - 1) / largeSizeDiv])
        }
        return 0
    }

    /// Bytes the heap really gives a request of `size` bytes (Go's
    /// `roundupsize`): its class size, or whole pages for a large object.
    public static func roundUpSize(_ size: Int) -> Int {
        let c = classIndex(forSize: max(size, 1))
        return c != 0 ? sizes[c] : (size + pageSize - 1) & ~(pageSize - 1)
    }

    /// Worst-case share of a span lost to rounding and tail, as Go's table
    /// prints it: an object one byte larger than the previous class, in every
    /// slot, plus the tail.
    public static func maxWaste(_ c: SizeClass) -> Double {
        let previous = c.index > 1 ? all[c.index - 1].size : 0
        let wasted = (c.size - previous - 1) * c.objectsPerSpan + c.tailWaste
        return Double(wasted) / Double(c.spanBytes)
    }

    private static func classFitting(_ size: Int) -> Int {
        if size == 0 { return 0 }
        for c in all.dropFirst() where c.size >= size { return c.index }
        return 0
    }

    private static func computeClasses() -> [SizeClass] {
        var rows: [(size: Int, npages: Int)] = [(0, 0)]
        var align = 8
        var size = align
        while size <= maxSmallSize {
            if size & (size - 1) == 0 {
                if size >= 2048 {
                    align = 256
                } else if size >= 128 {
                    align = size / 8
                } else if size >= 32 {
                    align = 16
                }
            }
            // Fewest pages with at most 1/8 tail waste.
            var allocBytes = pageSize
            while allocBytes % size > allocBytes / 8 { allocBytes += pageSize }
            let npages = allocBytes / pageSize
            if rows.count > 1, let last = rows.last, last.npages == npages,
               allocBytes / size == allocBytes / last.size {
                rows[rows.count - 1].size = size
            } else {
                rows.append((size, npages))
            }
            size += align
        }
        // Grow each class to the largest size with the same object count.
        for i in 1..<rows.count {
            let spanBytes = rows[i].npages * pageSize
            let grown = (spanBytes / (spanBytes / rows[i].size)) & ~(largeSizeDiv - 1)
            if grown > rows[i].size { rows[i].size = grown }
        }
        return rows.enumerated().map { SizeClass(index: $0.offset, size: $0.element.size, npages: $0.element.npages) }
    }
}

/// A size class together with whether its objects hold pointers (Go's
/// `spanClass`: `sizeclass << 1 | noscan`).
public struct SpanClass: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8

    @inlinable @inline(__always)
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    @inlinable @inline(__always)
    public init(sizeClass: Int, noscan: Bool) {
        rawValue = UInt8(truncatingIfNeeded: sizeClass << 1) | (noscan ? 1 : 0)
    }

    public var sizeClass: Int { Int(rawValue >> 1) }
    @inlinable public var noscan: Bool { rawValue & 1 != 0 }
    @inlinable public var isLarge: Bool { rawValue >> 1 == 0 }

    public var description: String { "\(sizeClass)\(noscan ? "n" : "s")" }
}
