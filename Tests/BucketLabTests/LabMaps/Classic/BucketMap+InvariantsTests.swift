import Foundation
import Testing
@testable import LabHeap
@testable import LabMaps

/// A corrupted classic map is caught the same way as a Swiss one
/// (LabMaps/Swiss/SwissMap+InvariantsTests.swift).
@Suite struct BucketMapInvariantsTests {
    static func filledMap(keys: Int, heap: MHeap) -> BucketMap {
        let map = BucketMap(type: .uint64ToUInt64(heap: heap), mutator: heap.makeMutator(), seed: 3)
        for k in 0..<UInt64(keys) { map.updateValue(k &* 7, forKey: k) }
        return map
    }

    @Test func aWrongCountIsCaught() throws {
        let heap = try MHeap()
        let map = Self.filledMap(keys: 3_000, heap: heap)
        #expect(map.invariantViolations() == [])
        map.h.pointee.count += 1
        #expect(map.invariantViolations() == ["count 3001 but 3000 occupied slots"])
        map.h.pointee.count -= 1
        #expect(map.invariantViolations() == [])
    }

    #if BUCKETLAB_INTERNAL_CHECKS
    /// Small maps are checked after every mutation, large ones within one
    /// sampling period (this process mutates no other map).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["BUCKETLAB_SYSTEM_PAGES"] == nil, "the plain run checks it; a sanitizer's own reports share the child's stderr"), arguments: [5, 3_000])
    func aMutationOfABrokenMapStopsTheProcess(keys: Int) async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [keys] in
            let heap = try MHeap()
            let map = BucketMapInvariantsTests.filledMap(keys: keys, heap: heap)
            map.h.pointee.count += 1
            let period = invariantSamplingPeriod(size: max(map.count, map.slotCapacity))
            for step in 0..<period { map.updateValue(UInt64(step), forKey: UInt64(step % keys)) }
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("classic map invariants broken"), "\(stderr)")
        #expect(stderr.contains("count \(keys + 1) but \(keys) occupied slots"), "\(stderr)")
    }
    #endif
}
