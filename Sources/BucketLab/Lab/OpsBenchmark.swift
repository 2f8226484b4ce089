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
    /// Allocation of `objects` 48-byte objects, each kept alive and its first
    /// word written (as any program initialises what it allocates), side by
    /// side in steady state:
    ///
    /// - `alloc48`: the lab's MCache fast path on a warm heap: the heap is
    ///   swept empty between repetitions, so spans come from its pool and are
    ///   zeroed on reuse (Go's needzero), as in a long-running program;
    /// - `mallocx48`: jemalloc's `mallocx` with its thread cache, memory not
    ///   zeroed; `mallocx48_zero`: the same with MALLOCX_ZERO, the like-for-like
    ///   comparison since the lab always returns zeroed memory.
    ///
    /// One untimed warm-up round first; repetitions interleave the three so
    /// they see the same machine.
    public static func allocation(objects: Int, repetitions: Int) throws -> [OpsRow] {
        precondition(objects > 0 && repetitions > 0)
        let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: objects)
        defer { slots.deallocate() }
        let heap = try MHeap()
        let type = heap.registerType(name: "blob48", size: 48)
        var samples: [String: [Double]] = [:]
        var sink = 0
        for round in 0...repetitions {
            func timed(_ op: String, _ body: () -> Void) {
                let t0 = monotonicNanos()
                body()
                let t1 = monotonicNanos()
                if round > 0 { samples[op, default: []].append(Double(t1 - t0) / Double(objects)) }
                sink &+= Int(bitPattern: slots[objects / 2])
            }
            do {
                let mutator = heap.makeMutator()
                timed("alloc48") {
                    for i in 0..<objects {
                        let p = mutator.allocate(type)
                        p.storeBytes(of: i, as: Int.self)
                        slots[i] = p
                    }
                }
            }
            heap.sweep()  // nothing marked: every object is freed, spans pooled
            for (op, zero) in [("mallocx48", false), ("mallocx48_zero", true)] {
                timed(op) {
                    for i in 0..<objects {
                        let p = Jemalloc.mallocx(48, zero: zero)!
                        p.storeBytes(of: i, as: Int.self)
                        slots[i] = p
                    }
                }
                for i in 0..<objects { Jemalloc.sdallocx(slots[i]!, 48) }
            }
        }
        blackHole(sink)
        return [("lab", "alloc48"), ("jemalloc", "mallocx48"), ("jemalloc", "mallocx48_zero")]
            .map { OpsRow(impl: $0.0, op: $0.1, keys: objects, nsPerOp: median(samples[$0.1]!)) }
    }
}

/// Keeps a value alive past the optimiser.
@inline(never)
public func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
