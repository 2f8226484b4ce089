// `bucketlab ops`: operation costs measured side by side in one process, so
// ratios are comparable on a noisy shared machine.

/// One row of `ops.csv`: the median over repetitions of ns per operation.
public struct OpsRow: Sendable, Equatable {
    public var impl: String
    public var op: String
    public var keys: Int
    public var nsPerOp: Double

    public static let header = ["impl", "op", "keys", "ns_per_op"]
    public var fields: [String] { [impl, op, String(keys), formatFixed(nsPerOp, digits: 2)] }
}

public enum OpsBenchmark {
    /// Allocation of `objects` 48-byte objects, kept alive, through the lab's
    /// MCache fast path (`alloc48`) and through jemalloc's `mallocx` with its
    /// thread cache (`mallocx48`), interleaved repetition by repetition.
    /// The lab heap is swept empty between repetitions, so later repetitions
    /// reuse its retained spans the way jemalloc reuses its dirty pages.
    public static func allocation(objects: Int, repetitions: Int) throws -> [OpsRow] {
        precondition(objects > 0 && repetitions > 0)
        let heap = try MHeap()
        let type = heap.registerType(name: "blob48", size: 48)
        let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: objects)
        defer { slots.deallocate() }
        var lab: [Double] = []
        var je: [Double] = []
        var sink = 0
        for _ in 0..<repetitions {
            do {
                let mutator = heap.makeMutator()
                let t0 = monotonicNanos()
                for i in 0..<objects { slots[i] = mutator.allocate(type) }
                let t1 = monotonicNanos()
                lab.append(Double(t1 - t0) / Double(objects))
                sink &+= Int(bitPattern: slots[objects / 2])
            }
            heap.sweep()  // nothing marked: everything is freed

            let t0 = monotonicNanos()
            for i in 0..<objects { slots[i] = Jemalloc.mallocx(48) }
            let t1 = monotonicNanos()
            je.append(Double(t1 - t0) / Double(objects))
            sink &+= Int(bitPattern: slots[objects / 2])
            for i in 0..<objects { Jemalloc.sdallocx(slots[i]!, 48) }
        }
        blackHole(sink)
        return [
            OpsRow(impl: "lab", op: "alloc48", keys: objects, nsPerOp: median(lab)),
            OpsRow(impl: "jemalloc", op: "mallocx48", keys: objects, nsPerOp: median(je)),
        ]
    }
}

/// Keeps a value alive past the optimiser.
@inline(never)
public func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
