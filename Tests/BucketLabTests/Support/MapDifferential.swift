@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

/// One step of a differential run.
enum MapOp: Equatable {
    case insert(UInt64, UInt64)   // insert or update
    case delete(UInt64)
    case lookup(UInt64)
    case clear
    case iterate
}

/// Runs `ops` against a lab map and Swift's Dictionary side by side and
/// returns every disagreement (empty = the lab map behaved as a dictionary).
/// Checks the map's invariants every `checkEvery` steps.
func differentialMismatches(_ ops: [MapOp], map: UInt64Map, checkEvery: Int = 997) -> [String] {
    differentialMismatches(ops, model: map.raw, checkEvery: checkEvery)
}

/// The same through the map-model seam, for any model.
func differentialMismatches(_ ops: [MapOp], model map: any MapModel, checkEvery: Int = 997) -> [String] {
    var reference: [UInt64: UInt64] = [:]
    return differentialMismatches(ops, model: map, reference: &reference, checkEvery: checkEvery)
}

/// The same, continuing from `reference`, the Dictionary that has seen
/// what the map has seen so far (a long sequence run in pieces).
func differentialMismatches(_ ops: [MapOp], model map: any MapModel, reference: inout [UInt64: UInt64],
                            checkEvery: Int = 997) -> [String] {
    var problems: [String] = []
    func record(_ step: Int, _ what: String) {
        if problems.count < 20 { problems.append("step \(step): \(what)") }
    }
    for (step, op) in ops.enumerated() {
        switch op {
        case let .insert(k, v):
            map.updateValue(v, forKey: k)
            reference[k] = v
        case let .delete(k):
            let removed = map.removeValue(forKey: k)
            let expected = reference.removeValue(forKey: k) != nil
            if removed != expected { record(step, "delete \(k) returned \(removed), expected \(expected)") }
        case let .lookup(k):
            let got = map.value(forKey: k)
            if got != reference[k] { record(step, "lookup \(k) gave \(String(describing: got)), expected \(String(describing: reference[k]))") }
        case .clear:
            map.removeAll()
            reference.removeAll()
        case .iterate:
            var seen: [UInt64: UInt64] = [:]
            var duplicates = 0
            map.forEachEntry { k, v in
                if seen.updateValue(v, forKey: k) != nil { duplicates += 1 }
            }
            if duplicates > 0 { record(step, "iteration saw \(duplicates) keys twice") }
            if seen != reference { record(step, "iteration saw \(seen.count) entries, expected \(reference.count)") }
        }
        if map.count != reference.count { record(step, "count \(map.count), expected \(reference.count)") }
        if step % checkEvery == 0 {
            for v in map.invariantViolations() { record(step, v) }
        }
        if problems.count >= 20 { break }
    }
    for v in map.invariantViolations() { record(ops.count, v) }
    return problems
}

/// A random operation sequence over keys below `keySpace`, with the mix of a
/// map that grows, shrinks and is cleared now and then.
func randomOps(count: Int, keySpace: UInt64, seed: UInt64) -> [MapOp] {
    var rng = SplitMix64(seed: seed)
    var ops: [MapOp] = []
    ops.reserveCapacity(count)
    // Phases bias towards inserting, then deleting, so the map grows large
    // and drains again.
    for i in 0..<count {
        let phase = (i / 20_000) % 2
        let r = rng.next() % 1000
        let key = rng.next() % keySpace
        switch r {
        case 0: ops.append(.clear)
        case 1...2: ops.append(.iterate)
        case 3..<(phase == 0 ? 500 : 250): ops.append(.insert(key, rng.next()))
        case (phase == 0 ? 500 : 250)..<(phase == 0 ? 700 : 700): ops.append(.delete(key))
        default: ops.append(.lookup(rng.next() % 2 == 0 ? key : key + keySpace))
        }
    }
    return ops
}
