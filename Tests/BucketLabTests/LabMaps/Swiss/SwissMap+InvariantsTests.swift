import Foundation
import Testing
@testable import LabHeap
@testable import LabMaps

/// A corrupted Swiss map is caught: `invariantViolations()` names what broke,
/// and in debug builds the check after the next mutation stops the process.
@Suite struct SwissMapInvariantsTests {
    /// A map of `keys` word keys (≤ 8: a small map; more: tables).
    static func filledMap(keys: Int, heap: MHeap) -> SwissMap {
        let map = SwissMap(type: .uint64ToUInt64(heap: heap), mutator: heap.makeMutator(), seed: 3)
        for k in 0..<UInt64(keys) { map.updateValue(k &* 7, forKey: k) }
        return map
    }

    /// The group and slot holding `key`.
    static func slot(of key: UInt64, in map: SwissMap) -> (group: UnsafeMutableRawPointer, slot: Int) {
        withUnsafePointer(to: key) { map.findAny($0)! }
    }

    @Test(arguments: [5, 3_000])
    func aFlippedControlByteIsCaught(keys: Int) throws {
        let heap = try MHeap()
        let map = Self.filledMap(keys: keys, heap: heap)
        #expect(map.isSmall == (keys <= 8))
        #expect(map.invariantViolations() == [])
        let (g, i) = Self.slot(of: 1, in: map)
        let c = map.control(g, i)

        // Still a full slot, but under another H2: lookups miss the key.
        map.setControl(g, i, c ^ 0x01)
        var problems = map.invariantViolations()
        #expect(problems.contains { $0.contains("control \(c ^ 0x01), h2 \(c)") }, "\(problems)")
        #expect(problems.contains { $0.contains("key not found by lookup") }, "\(problems)")

        // Marked empty while the counts still hold it.
        map.setControl(g, i, ctrlEmpty)
        problems = map.invariantViolations()
        #expect(problems.contains { $0.contains("full slots, used = ") }, "\(problems)")

        map.setControl(g, i, c)
        #expect(map.invariantViolations() == [])
    }

    @Test func aWrongCountIsCaught() throws {
        let heap = try MHeap()
        let map = Self.filledMap(keys: 3_000, heap: heap)
        map.m.pointee.used += 1
        #expect(map.invariantViolations() == ["tables hold 3000 entries, used = 3001"])
        map.m.pointee.used -= 1
        #expect(map.invariantViolations() == [])
    }

    @Test func aBrokenDirectoryIsCaught() throws {
        let heap = try MHeap()
        let map = Self.filledMap(keys: 3_000, heap: heap)
        #expect(map.directoryLength >= 4)
        let first = map.directoryAt(0), second = map.directoryAt(map.directoryLength - 1)
        // A table's index off its run; then an entry pointing at a table
        // whose run is elsewhere.
        first.pointee.index += 1
        #expect(map.invariantViolations().contains { $0.contains("table at 0 has index 1") })
        first.pointee.index -= 1
        map.directorySet(0, second)
        let problems = map.invariantViolations()
        #expect(!problems.isEmpty)
        #expect(problems.contains { $0.contains("key belongs to directory entry") || $0.contains("should point at") },
                "\(problems)")
        map.directorySet(0, first)
        #expect(map.invariantViolations() == [])
    }

    @Test func aTombstoneWithoutItsFlagIsCaught() throws {
        let heap = try MHeap()
        let map = Self.filledMap(keys: 3_000, heap: heap)
        // Tombstones appear when full groups lose a key.
        for k in 0..<UInt64(3_000) where k % 3 == 0 { map.removeValue(forKey: k) }
        guard map.tombstoneCount > 0 else { Issue.record("no tombstone made"); return }
        map.m.pointee.tombstonePossible = false
        #expect(map.invariantViolations().contains { $0.contains("tombstonePossible is false") })
        map.m.pointee.tombstonePossible = true
        #expect(map.invariantViolations() == [])
    }

    #if BUCKETLAB_INTERNAL_CHECKS
    /// The check after a mutation stops the process on a broken map (a
    /// small map: every mutation is checked), naming the invariant.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["BUCKETLAB_SYSTEM_PAGES"] == nil, "the plain run checks it; a sanitizer's own reports share the child's stderr"))
    func aMutationOfABrokenMapStopsTheProcess() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = try MHeap()
            let map = SwissMapInvariantsTests.filledMap(keys: 5, heap: heap)
            map.m.pointee.used += 1
            map.updateValue(1, forKey: 100)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("swiss map invariants broken"), "\(stderr)")
        #expect(stderr.contains("small map: 6 full slots, used = 7"), "\(stderr)")
    }

    /// A large map is checked on a sample of mutations: one in every
    /// `invariantSamplingPeriod` (this process mutates no other map).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["BUCKETLAB_SYSTEM_PAGES"] == nil, "the plain run checks it; a sanitizer's own reports share the child's stderr"))
    func aLargeBrokenMapIsCaughtWithinASamplingPeriod() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = try MHeap()
            let map = SwissMapInvariantsTests.filledMap(keys: 3_000, heap: heap)
            map.m.pointee.used += 1
            let period = invariantSamplingPeriod(size: max(map.count, map.slotCapacity))
            for step in 0..<period { map.updateValue(UInt64(step), forKey: UInt64(step % 3_000)) }
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("tables hold 3000 entries, used = 3001"), "\(stderr)")
    }
    #endif
}
