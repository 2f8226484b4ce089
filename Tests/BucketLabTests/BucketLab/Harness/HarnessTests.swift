import Foundation
import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct HarnessTests {
    @Test func everyWorkloadRunsItsPhases() {
        for map in MapModels.defaultNames {
            for w in Workload.allCases {
                for s in ["go", "stale", "shrink", "compact"] {
                    let names = smallSuite.phases.filter {
                        $0.key.map == map && $0.key.workload == w.rawValue && $0.key.strategy == s
                    }.map(\.phase)
                    #expect(names == w.phases(smallSuite.config.sizes, settle: true), "\(map) \(w.rawValue) \(s)")
                }
            }
        }
        #expect(smallSuite.summaries.count == smallSuiteCells)
        #expect(smallSuite.samples.count > 100)
    }

    @Test func goKeepsDrainedBucketsWhereShrinkDoesNot() {
        let peak = phase(smallSuite, "fill-drain", "go", "peak"), drained = phase(smallSuite, "fill-drain", "go", "drained")
        #expect(drained.liveKeys == 0 && drained.liveBytes == 0)
        #expect(drained.bucketBytes == peak.bucketBytes, "Go never shrinks")
        #expect(drained.heapInuseBytes >= peak.bucketBytes)
        let shrunk = phase(smallSuite, "fill-drain", "shrink", "drained")
        #expect(shrunk.bucketBytes < peak.bucketBytes / 20)
        #expect(peak.liveBytes == 6000 * 16)
    }

    @Test func staleLeaksPayloadsAndGoDoesNot() {
        #expect(phase(smallSuite, "fill-drain-ptr", "stale", "drained").leakedBytes == 6000 * 48)
        #expect(phase(smallSuite, "fill-drain-ptr", "go", "drained").leakedBytes == 0)
        let go = phase(smallSuite, "fill-drain-ptr", "go", "drained")
        let stale = phase(smallSuite, "fill-drain-ptr", "stale", "drained")
        #expect(stale.heapInuseBytes > go.heapInuseBytes)
    }

    @Test func pinsAndIteratorsRetainUntilReleased() {
        let pinned = phase(smallSuite, "leaked-interior-ref", "go", "dropped-pinned")
        let peak = phase(smallSuite, "leaked-interior-ref", "go", "peak")
        // The pinned array stays whole; being noscan, it keeps none of the
        // overflow buckets it chained (Go's too).
        #expect(pinned.liveBytes == 0 && pinned.heapInuseBytes >= peak.bucketBytes * 9 / 10)
        #expect(phase(smallSuite, "leaked-interior-ref", "go", "unpinned").heapInuseBytes == 0)
        let held = phase(smallSuite, "pinned-iterator", "go", "grown-pinned")
        let released = phase(smallSuite, "pinned-iterator", "go", "released")
        #expect(held.heapInuseBytes > released.heapInuseBytes)
    }

    /// The peak is the heap's exact high-water mark: no collection ever saw
    /// more in use than the run's peak.
    @Test func peaksCoverEveryCollection() {
        for summary in smallSuite.summaries {
            let cycles = smallSuite.gc.filter { $0.key == summary.key }
            #expect(!cycles.isEmpty)
            let most = cycles.map { max($0.cycle.inuseBeforeBytes, $0.cycle.inuseAfterBytes) }.max() ?? 0
            #expect(summary.peakHeapInuseBytes >= most, "\(summary.key): peak \(summary.peakHeapInuseBytes) < \(most)")
            let phases = matching(smallSuite.phases) { $0.key == summary.key }
            #expect(phases.allSatisfy { $0.measurement.peakHeapInuseBytes >= $0.measurement.heapInuseBytes })
        }
    }

    /// Each summary row carries its workload's headline phase; the seed's
    /// leak (one interior pointer keeps a dropped map's whole array) shows
    /// there for every strategy.
    @Test func headlinesShowTheScenario() {
        for s in smallSuite.summaries {
            let w = Workload.builtIn(s.key.workload)!
            #expect(s.headlinePhase == w.headlinePhase(smallSuite.config.sizes))
            let row = phase(smallSuite, s.key.workload, s.key.strategy, s.headlinePhase, map: s.key.map)
            #expect(s.headlineHeapInuseBytes == row.heapInuseBytes && s.headlineLiveBytes == row.liveBytes)
        }
        // On the Swiss map the pin keeps one table's groups (a table is at
        // most 1024 slots), not the whole map.
        let peakArray = phase(smallSuite, "leaked-interior-ref", "go", "peak").bucketBytes
        let classicPinned = matching(smallSuite.summaries) {
            $0.key.workload == "leaked-interior-ref" && $0.key.map == BucketMap.modelName
        }
        for s in classicPinned {
            #expect(s.headlineHeapInuseBytes >= peakArray * 9 / 10 && s.headlineLiveBytes == 0, "\(s.key.strategy)")
            #expect(s.finalHeapInuseBytes < peakArray / 10, "unpinned, it goes")
        }
    }

    @Test func clearKeepsTheArrayAndRebuildingDropsIt() {
        let filled = phase(smallSuite, "fill-clear", "go", "filled")
        for name in ["cleared", "range-deleted"] {
            let emptied = phase(smallSuite, "fill-clear", "go", name)
            #expect(emptied.liveBytes == 0)
            #expect(emptied.bucketBytes >= filled.bucketBytes * 9 / 10, "\(name): Go keeps the array")
            #expect(emptied.heapInuseBytes < filled.heapInuseBytes, "\(name): the payloads go")
        }
        let rebuilt = phase(smallSuite, "fill-clear", "go", "rebuilt")
        #expect(rebuilt.bucketBytes < filled.bucketBytes / 50 && rebuilt.heapInuseBytes < filled.heapInuseBytes / 10)
        #expect(phase(smallSuite, "fill-clear", "compact", "cleared").bucketBytes < filled.bucketBytes / 50,
                "clearall=release lets the array go")
    }

    @Test func aStalledGrowHoldsBothArraysUntilWritesResume() {
        let stalled = phase(smallSuite, "stalled-grow", "go", "stalled")
        let finished = phase(smallSuite, "stalled-grow", "go", "finished")
        // Old array (2^B) plus new (2^(B+1)) against the new one alone.
        #expect(Double(stalled.bucketBytes) > 1.3 * Double(finished.bucketBytes))
        let compact = phase(smallSuite, "stalled-grow", "compact", "stalled")
        #expect(compact.bucketBytes < stalled.bucketBytes, "eager evacuation finishes the grow at once")
    }

    @Test func aFinishedRangeLoopKeepsDeletedPayloadsThroughTheNextGrow() {
        let mid = phase(smallSuite, "iterate-then-grow", "go", "deleted-mid-grow")
        #expect(mid.leakedBytes > 0, "deleted payloads stay reachable from old buckets the flag kept intact")
        #expect(phase(smallSuite, "iterate-then-grow", "go", "finished").leakedBytes == 0)
    }

    /// `map[string]*payload`: Go's delete clears the key, so the key strings
    /// go with the payloads; `stale` keeps both.
    @Test func deletedKeyStringsAreFreedUnlessSlotsKeepThem() {
        let peak = phase(smallSuite, "string-keys", "go", "peak")
        #expect(peak.liveBytes == 6000 * (16 + 8 + 48 + 16))
        let go = phase(smallSuite, "string-keys", "go", "drained")
        #expect(go.liveBytes == 0 && go.leakedBytes == 0)
        let stale = phase(smallSuite, "string-keys", "stale", "drained")
        #expect(stale.leakedBytes == 6000 * (48 + 16), "every payload and every key string")
        #expect(stale.heapInuseBytes > go.heapInuseBytes)
    }

    // MARK: The Swiss map through the same harness

    /// Go 1.24+ does not shrink either: a drained Swiss map keeps every
    /// table; `shrink` rebuilds it small.
    @Test func swissKeepsDrainedTablesWhereShrinkDoesNot() {
        let swiss = SwissMap.modelName
        let peak = phase(smallSuite, "fill-drain", "go", "peak", map: swiss)
        let drained = phase(smallSuite, "fill-drain", "go", "drained", map: swiss)
        #expect(drained.liveKeys == 0 && drained.bucketBytes == peak.bucketBytes && drained.slotCapacity == peak.slotCapacity)
        #expect(phase(smallSuite, "fill-drain", "shrink", "drained", map: swiss).bucketBytes < peak.bucketBytes / 20)
        #expect(phase(smallSuite, "fill-drain-ptr", "stale", "drained", map: swiss).leakedBytes == 6000 * 48)
        #expect(phase(smallSuite, "fill-drain-ptr", "go", "drained", map: swiss).leakedBytes == 0)
    }

    /// tombstone-churn: each load's map is made for n entries and filled to
    /// that share of its slots; churn keeps the count constant. At 10% no
    /// Swiss table needs to rehash; the classic map reuses deleted slots and
    /// never has tombstones; at 87% the classic map cannot hold the fill
    /// (its limit is 6.5 of 8) and grows during it.
    @Test func tombstoneChurnHoldsItsLoads() throws {
        for map in MapModels.defaultNames {
            for load in Workload.churnLoads {
                let fill = phase(smallSuite, "tombstone-churn", "go", "fill\(load)", map: map)
                let churn = phase(smallSuite, "tombstone-churn", "go", "churn\(load)", map: map)
                #expect(churn.liveKeys == fill.liveKeys && churn.ops - fill.ops == 2 * 6000, "\(map) \(load)")
                #expect(churn.liveBytes == churn.liveKeys * 16)
                if map == BucketMap.modelName { #expect(churn.tombstones == 0) }
            }
            let low = phase(smallSuite, "tombstone-churn", "go", "churn10", map: map)
            let lowFill = phase(smallSuite, "tombstone-churn", "go", "fill10", map: map)
            #expect(low.mapRehashes == lowFill.mapRehashes && low.slotCapacity == lowFill.slotCapacity, "\(map)")
            #expect(lowFill.liveKeys == lowFill.slotCapacity / 10)
        }
        let classic87 = phase(smallSuite, "tombstone-churn", "go", "fill87")
        #expect(classic87.mapRehashes >= 1 && Double(classic87.liveKeys) / Double(classic87.slotCapacity) < 0.5)
        let swiss87 = phase(smallSuite, "tombstone-churn", "go", "churn87", map: SwissMap.modelName)
        let swiss44 = phase(smallSuite, "tombstone-churn", "go", "churn44", map: SwissMap.modelName)
        #expect(swiss87.tombstones > 0 || swiss87.mapRehashes > 0, "87% churn leaves tombstones or rehashes tables")
        #expect(swiss44.tombstones > 0, "deletes from full groups leave tombstones")
        // REPORT.md's table: one row per map × strategy × load, from phases.
        let table = TombstoneChurnRow.rows(from: smallSuite.phases)
        #expect(table.count == MapModels.defaultNames.count * 4 * Workload.churnLoads.count)
        #expect(table.allSatisfy { $0.churnOps == 2 * 6000 && $0.liveKeys > 0 })
        #expect(matching(table) { $0.load == 10 && $0.strategy == "go" }.allSatisfy { $0.rehashes == 0 && $0.slotsChurned == $0.slotsFilled })
        #expect(matching(table) { $0.load == 10 && $0.strategy == "shrink" }.allSatisfy { $0.slotsChurned < $0.slotsFilled },
                "10% is below shrink's quarter: the first delete shrinks the map")
        let swissRow = try #require(table.first { $0.map == SwissMap.modelName && $0.strategy == "go" && $0.load == 87 })
        #expect(swissRow.rehashes == swiss87.mapRehashes - phase(smallSuite, "tombstone-churn", "go", "fill87",
                                                                   map: SwissMap.modelName).mapRehashes)
    }
}
