@testable import LabHeap
@testable import LabMaps

/// A heap, a mutator and map types for one test.
struct MapFixture {
    let heap: MHeap
    let mutator: Mutator
    let wordType: MapType
    let pointerType: MapType

    init() throws {
        heap = try MHeap()
        mutator = heap.makeMutator()
        wordType = .uint64ToUInt64(heap: heap)
        pointerType = .uint64ToPointer(heap: heap)
    }

    func wordMap(seed: UInt64 = 1, policy: ClearingPolicy = .go) -> UInt64Map {
        UInt64Map(type: wordType, mutator: mutator, policy: policy, seed: seed)
    }
}
