import Foundation
import Testing
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

/// The long differential: every map model, driven only through the seam,
/// against Dictionary for 10^6 random operations per seed, with a full
/// collection every tenth of the run so that what a model lets go (an old
/// `read` map, pruned trie nodes, a grown-out bucket array) is freed while
/// the map goes on. The per-model suites run shorter sequences with more
/// presets; this one is about length: many generations, promotions, grows
/// and clears in one map.
///
/// Sanitizer builds (`BUCKETLAB_SYSTEM_PAGES`) run 2×10^4 operations: they
/// look for memory errors and races, which the per-model suites' 10^5
/// operations reach too, at five to twenty times the cost per operation.
@Suite struct MapModelDifferentialTests {
    static var operations: Int {
        ProcessInfo.processInfo.environment["BUCKETLAB_SYSTEM_PAGES"] == nil ? 1_000_000 : 20_000
    }

    @Test(arguments: MapModels.names, [31, 32, 33] as [UInt64])
    func longRandomSequenceAgreesWithDictionary(model name: String, seed: UInt64) throws {
        let model = try #require(MapModels.named(name))
        // The heap laid out as the Go the model stands for, as in a run.
        let heap = try MHeap(MHeap.Configuration(spanLayout: model.spanLayout))
        let collector = Collector(heap: heap, gogc: nil)
        let map = model.init(type: .uint64ToUInt64(heap: heap), mutator: heap.makeMutator(), policy: .go, seed: seed, hint: 0)
        let ops = randomOps(count: Self.operations, keySpace: 20_000, seed: seed)
        let chunk = Self.operations / 10
        var problems: [String] = []
        var reference: [UInt64: UInt64] = [:]
        for start in stride(from: 0, to: ops.count, by: chunk) {
            let slice = Array(ops[start..<min(start + chunk, ops.count)])
            problems += differentialMismatches(slice, model: map, reference: &reference)
                .map { "ops from \(start): \($0)" }
            if !problems.isEmpty { break }
            collector.collect()
            problems += map.invariantViolations().map { "after the collection at \(start + slice.count): \($0)" }
        }
        #expect(problems == [], "\(name), seed \(seed)")
        #expect(map.count == reference.count)
        // The run freed something: a collection found garbage the model
        // had let go (all four models drop storage under this mix).
        #expect(collector.trace.reduce(0) { $0 + $1.objectsFreed } > 0, "\(name): nothing was ever freed")
    }
}
