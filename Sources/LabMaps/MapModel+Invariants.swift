// Invariant checks of either map model, and how their mutating entry points
// run them in debug builds. See MapModel.swift.
//
// As in swift-collections, every public mutating entry point ends with a
// check (`defer { _checkInvariantsAfterMutation() }`) that exists only under
// `BUCKETLAB_INTERNAL_CHECKS` (debug builds, so `swift test` and CI): release
// builds compile it out. A full check walks the whole map, so after a
// mutation it runs on a sample: on every mutation while the map is small
// (≤ 64 slots and entries), then on one mutation in every
// `invariantSamplingFactor` × (the map's slots, rounded up to a power of
// two): on average a quarter of a slot walked per mutation at any size, so
// tests take about as long as without checks, and a map is checked about
// once per such period (exactly once when no other map is being mutated).

#if BUCKETLAB_INTERNAL_CHECKS
import Synchronization
#endif

extension MapModel {
    /// Checks the whole structure (`invariantViolations()`) under the
    /// `BUCKETLAB_INTERNAL_CHECKS` flag and stops the process, naming every
    /// broken invariant, if one is; costs nothing otherwise.
    @inline(__always)
    public func _checkInvariants() {
        #if BUCKETLAB_INTERNAL_CHECKS
        let violations = invariantViolations()
        if !violations.isEmpty {
            preconditionFailure("\(Self.modelName) map invariants broken:\n" + violations.joined(separator: "\n"))
        }
        #endif
    }

    /// `_checkInvariants()` on a sample of mutations (see the top of this
    /// file); called last by every public mutating entry point.
    @inline(__always)
    func _checkInvariantsAfterMutation() {
        #if BUCKETLAB_INTERNAL_CHECKS
        if sampleMutation(size: Swift.max(count, slotCapacity)) { _checkInvariants() }
        #endif
    }
}

#if BUCKETLAB_INTERNAL_CHECKS
/// How sparsely large maps are checked: one mutation in `factor` × 2^⌈log₂ slots⌉.
let invariantSamplingFactor = 4
/// Below this many slots (and entries) every mutation is checked.
let invariantCheckEveryMutationUpTo = 64

/// A ticket per mutation of any map. One counter for all maps: a counter of
/// each map's own would need a stored property in each model's class, and
/// the sampling only needs to be regular, not per map. Relaxed: the tickets
/// order nothing.
private let mutationTickets = Atomic<Int>(0)

/// Of how many mutations of a map of `size` slots (or entries) one is checked.
func invariantSamplingPeriod(size: Int) -> Int {
    guard size > invariantCheckEveryMutationUpTo else { return 1 }
    return 1 << (Int.bitWidth - (invariantSamplingFactor * size - 1).leadingZeroBitCount)
}

/// Whether the mutation just made on a map of `size` slots is one to check.
@inline(__always)
func sampleMutation(size: Int) -> Bool {
    let ticket = mutationTickets.wrappingAdd(1, ordering: .relaxed).oldValue
    return ticket & (invariantSamplingPeriod(size: size) - 1) == 0
}
#endif
