import Foundation
@testable import BucketLab
import LabMaps

// The built-in workloads as Swift code, as they were before they became
// workload files: the oracle WorkloadFileTests compares the files against.
// Kept verbatim but for the enum's cases becoming names and one fix: the
// old tombstone-churn left the live count alone between its delete and its
// insert, so a sample taken between them (samples.csv only) counted the
// deleted key. A change to the interpreter that changes what a built-in
// does shows up here.
enum LegacyWorkloads {
    /// Runs `name`'s phases on `r` as the code before workload files did.
    static func run(_ name: String, _ r: WorkloadRun) {
        let n = r.config.keys
        switch name {
        case "fill-drain":
            let map = r.makeMap(.words)
            r.beginPhase("peak", expectedOps: n)
            for i in 0..<n { r.op { map.updateValue(UInt64(i), forKey: r.key(i)) }; r.liveKeys += 1 }
            r.endPhase()
            r.beginPhase("drained", expectedOps: n)
            for i in 0..<n { r.op { map.removeValue(forKey: r.key(i)) }; r.liveKeys -= 1 }
            r.endPhase()
            r.beginPhase("refill10", expectedOps: n / 10)
            for i in n..<(n + n / 10) { r.op { map.updateValue(UInt64(i), forKey: r.key(i)) }; r.liveKeys += 1 }
            r.endPhase()

        case "fill-drain-ptr", "sparse-survivors":
            let map = r.makeMap(.payloads)
            r.beginPhase("peak", expectedOps: n)
            for i in 0..<n { fillPayload(r, map, i) }
            r.endPhase()
            let sparse = name == "sparse-survivors"
            r.beginPhase(sparse ? "kept1pct" : "drained", expectedOps: n)
            for i in 0..<n where !sparse || i % 100 != 0 { dropPayload(r, map, i) }
            r.endPhase()

        case "churn":
            let map = r.makeMap(.payloads)
            let w = r.config.window
            let bounds = [("warm", w), ("half", max(w, n / 2)), ("end", n)]
            var i = 0
            for (name, end) in bounds {
                r.beginPhase(name, expectedOps: 2 * max(0, end - i))
                while i < end {
                    fillPayload(r, map, i)
                    if i >= w { dropPayload(r, map, i - w) }
                    i += 1
                }
                r.endPhase()
            }

        case "pinned-iterator":
            let map = r.makeMap(.words)
            // Fill to exactly the growth threshold nearest n/2 (no grow yet).
            let threshold = map.growthThreshold(atLeast: n / 2)
            r.beginPhase("before-grow", expectedOps: threshold)
            for i in 0..<threshold { r.op { map.updateValue(UInt64(i), forKey: r.key(i)) }; r.liveKeys += 1 }
            r.endPhase()
            let it = map.makeIteration()
            _ = it.nextEntry()
            // Insert past the trigger until the grow has surely finished: each
            // insert during a grow evacuates at least one old bucket, and
            // threshold/4 = 1.6 × 2^B inserts exceed the 2^B old buckets. A
            // fixed count, so the Go reference (Reference/) inserts as many.
            let more = threshold / 4 + 1
            r.beginPhase("grown-pinned", expectedOps: more)
            for i in threshold..<(threshold + more) {
                r.op { map.updateValue(UInt64(i), forKey: r.key(i)) }
                r.liveKeys += 1
            }
            r.endPhase()
            r.beginPhase("released", expectedOps: 1)
            r.op { it.close() }
            r.endPhase()

        case "leaked-interior-ref":
            var map: (any MapModel)? = r.makeMap(.words)
            r.beginPhase("peak", expectedOps: n)
            for i in 0..<n { r.op { map!.updateValue(UInt64(i), forKey: r.key(i)) }; r.liveKeys += 1 }
            r.endPhase()
            // The seed's leak: an outside pointer into one bucket's value.
            let interior = map!.interiorAddress!
            r.beginPhase("dropped-pinned", expectedOps: 1)
            r.op {
                r.heap.roots.pin(interior)
                r.maps.removeAll()
                map = nil
                r.liveKeys = 0
            }
            r.endPhase()
            r.beginPhase("unpinned", expectedOps: 1)
            r.op { r.heap.roots.unpin(interior) }
            r.endPhase()

        case "cache-zipf":
            let map = r.makeMap(.payloads)
            let capacity = r.config.window
            var zipf = ZipfSampler(count: n, exponent: 1.0, seed: r.config.seed)
            var fifo = [Int](repeating: 0, count: capacity)
            var head = 0, size = 0
            for (phase, ops) in [("warm", n / 2), ("end", n - n / 2)] {
                r.beginPhase(phase, expectedOps: ops)
                for _ in 0..<ops {
                    let rank = zipf.next()
                    let k = r.key(rank)
                    var hit = false
                    r.op { hit = map.value(forKey: k) != nil }
                    if hit { continue }
                    if size == capacity {
                        dropPayload(r, map, fifo[head])
                        head = (head + 1) % capacity
                        size -= 1
                    }
                    fillPayload(r, map, rank)
                    fifo[(head + size) % capacity] = rank
                    size += 1
                }
                r.endPhase()
            }

        case "fill-clear":
            var map = r.makeMap(.payloads)
            func fill(_ phase: String) {
                r.beginPhase(phase, expectedOps: n)
                for i in 0..<n { fillPayload(r, map, i) }
                r.endPhase()
            }
            func emptied() {
                r.liveKeys = 0
                r.livePayloads = 0
            }
            fill("filled")
            // Go 1.21's clear(m): the array is kept, zeroed.
            r.beginPhase("cleared", expectedOps: 1)
            r.op { map.removeAll() }
            emptied()
            r.endPhase()
            fill("refilled")
            // `for k := range m { delete(m, k) }`: Go's compiler turns the
            // idiom into runtime.mapclear (cmd/compile/internal/walk/range.go,
            // isMapClear), the same call as clear(m): the array is kept,
            // overflow and old buckets go.
            r.beginPhase("range-deleted", expectedOps: 1)
            r.op { map.removeAll() }
            emptied()
            r.endPhase()
            fill("refilled-again")
            // m = make(map[uint64]*payload): the old map is garbage.
            r.beginPhase("rebuilt", expectedOps: 1)
            r.op {
                r.maps.removeAll()
                map = r.makeMap(.payloads)
            }
            emptied()
            r.endPhase()

        case "stalled-grow":
            let map = r.makeMap(.payloads)
            let threshold = map.growthThreshold(atLeast: n / 2)
            // Fill to the trigger and one past it: the grow starts (two old
            // buckets evacuated), then writes stop.
            r.beginPhase("stalled", expectedOps: threshold + 1)
            var i = 0
            while i <= threshold {
                fillPayload(r, map, i)
                i += 1
            }
            r.endPhase()
            // A few writes again: each evacuates up to two old buckets, so
            // threshold/40 (0.16 × 2^B) move at most a third of them.
            r.beginPhase("resumed", expectedOps: threshold / 40)
            for _ in 0..<(threshold / 40) {
                fillPayload(r, map, i)
                i += 1
            }
            r.endPhase()
            // threshold/4 more (1.6 × 2^B) surely finish the grow.
            r.beginPhase("finished", expectedOps: threshold / 4)
            for _ in 0..<(threshold / 4) {
                fillPayload(r, map, i)
                i += 1
            }
            r.endPhase()

        case "iterate-then-grow":
            let map = r.makeMap(.payloads)
            let threshold = map.growthThreshold(atLeast: n / 2)
            r.beginPhase("filled", expectedOps: threshold)
            for i in 0..<threshold { fillPayload(r, map, i) }
            r.endPhase()
            // A complete range loop: Go sets the map's sticky iterator flag.
            r.beginPhase("ranged", expectedOps: threshold)
            var sum: UInt64 = 0
            r.op { map.forEachEntry { k, _ in sum &+= k } }
            r.endPhase()
            // One insert starts the grow; then deletes — each evacuates at
            // most two old buckets, so threshold/16 (0.4 × 2^B) leave the grow
            // unfinished. The flag keeps old buckets intact, so a deleted
            // payload stays reachable from its old slot.
            r.beginPhase("deleted-mid-grow", expectedOps: threshold / 16 + 1)
            fillPayload(r, map, threshold)
            for d in 0..<(threshold / 16) { dropPayload(r, map, d) }
            r.endPhase()
            r.beginPhase("finished", expectedOps: threshold / 4)
            for i in (threshold + 1)..<(threshold + 1 + threshold / 4) { fillPayload(r, map, i) }
            r.endPhase()
            blackHole(sum)

        case "string-keys":
            let map = r.makeMap(.stringKeyedPayloads)
            let stringBytes = r.keyStringObjectBytes
            r.beginPhase("peak", expectedOps: n)
            for i in 0..<n {
                let k = r.key(i)
                // Go: m[fmt.Sprintf("%016x", k)] = newPayload(k), Sprintf first.
                r.op {
                    r.boxSprintfArgument()
                    let key = r.makeKeyString(k)
                    map.updateValue(r.makePayload(k), forString: key, count: WorkloadRun.keyStringBytes)
                }
                r.liveKeys += 1
                r.livePayloads += 1
                r.liveStringBytes += stringBytes
            }
            r.endPhase()
            r.beginPhase("drained", expectedOps: n)
            // Deletes look up with a string of the program's own (not on the
            // map's heap), as `delete(m, fmt.Sprintf(...))` would.
            withUnsafeTemporaryAllocation(byteCount: WorkloadRun.keyStringBytes, alignment: 8) { buffer in
                let probe = buffer.baseAddress!
                for i in 0..<n {
                    WorkloadRun.writeKeyString(r.key(i), into: probe)
                    r.op { map.removeValue(forString: probe, count: WorkloadRun.keyStringBytes) }
                    r.liveKeys -= 1
                    r.livePayloads -= 1
                    r.liveStringBytes -= stringBytes
                }
            }
            r.endPhase()

        case "tombstone-churn":
            // For each load: a new map made for n entries (Go's make(map, n)),
            // filled to that share of the slots it was given, then n loops of
            // delete-oldest + insert-new at constant size. Deletes leave
            // tombstones where the Swiss map must; when they use up a
            // table's growth allowance the table rehashes — to twice the
            // size (Go 1.24), or in place after pruning (Go 1.25+). The
            // classic map reuses deleted slots but chains overflow buckets,
            // and cannot hold 87% at all (its limit is 6.5 of 8): the fill
            // grows it first.
            var next = 0
            for load in Workload.churnLoads {
                r.maps.removeAll()
                r.liveKeys = 0
                let map = r.makeMap(.words, hint: n)
                let size = max(1, map.slotCapacity * load / 100)
                let first = next
                r.beginPhase("fill\(load)", expectedOps: size)
                for i in first..<(first + size) {
                    r.op { map.updateValue(UInt64(i), forKey: r.key(i)) }
                    r.liveKeys += 1
                }
                next = first + size
                r.endPhase()
                r.beginPhase("churn\(load)", expectedOps: 2 * n)
                for oldest in first..<(first + n) {
                    r.op { map.removeValue(forKey: r.key(oldest)) }
                    r.liveKeys -= 1
                    r.op { map.updateValue(UInt64(next), forKey: r.key(next)) }
                    r.liveKeys += 1
                    next += 1
                }
                r.endPhase()
            }

        case "bursty":
            let map = r.makeMap(.payloads)
            let perCycle = max(1, n / r.config.bursts)
            for c in 0..<r.config.bursts {
                r.beginPhase("cycle\(c + 1)", expectedOps: 2 * perCycle)
                let base = c * perCycle
                for i in base..<(base + perCycle) { fillPayload(r, map, i) }
                for i in base..<(base + perCycle) { dropPayload(r, map, i) }
                r.endPhase()
            }
        default:
            preconditionFailure("no legacy code for \(name)")
        }
    }

    private static func fillPayload(_ r: WorkloadRun, _ map: any MapModel, _ i: Int) {
        let k = r.key(i)
        r.op { map.updateValue(r.makePayload(k), forKey: k) }
        r.liveKeys += 1
        r.livePayloads += 1
    }

    private static func dropPayload(_ r: WorkloadRun, _ map: any MapModel, _ i: Int) {
        r.op { map.removeValue(forKey: r.key(i)) }
        r.liveKeys -= 1
        r.livePayloads -= 1
    }
}
