import Testing
@testable import BucketLab

/// Each bound the fidelity tests apply (FidelityBounds) fails on a synthetic
/// model off by just over it and holds just under it; the median of an even
/// number of Go runs is the mean of the two middle ones.
@Suite struct FidelityBoundsTests {
    @Test func theClassicPhaseBoundIsStrict() {
        let go = 10_000_000
        #expect(FidelityBounds.classicPhaseHolds(lab: go + go / 50 - 1, go: go))
        #expect(!FidelityBounds.classicPhaseHolds(lab: go + go / 50, go: go))
        #expect(!FidelityBounds.classicPhaseHolds(lab: go - go / 50, go: go))
        // Tiny heaps: 64 KiB either way.
        #expect(FidelityBounds.classicPhaseHolds(lab: 100_000 + (64 << 10) - 1, go: 100_000))
        #expect(!FidelityBounds.classicPhaseHolds(lab: 100_000 + (64 << 10), go: 100_000))
    }

    @Test func theSwissPhaseBoundIsFifteenPercentOfTheNearestRun() {
        let runs = [10_000_000, 10_500_000, 11_000_000]
        let over = 11_000_000 + 11_000_000 * 15 / 100
        #expect(FidelityBounds.swissPhaseHolds(lab: over - 1, goRuns: runs))
        #expect(!FidelityBounds.swissPhaseHolds(lab: over, goRuns: runs))
        #expect(!FidelityBounds.swissPhaseHolds(lab: 10_000_000 - 1_500_000, goRuns: runs))
        #expect(!FidelityBounds.swissPhaseHolds(lab: 1, goRuns: []))
    }

    /// 40 phases of 10 MB whose three Go runs each sit `spread` from the
    /// others' median, the lab at `labRatio(i)` × Go's median.
    func rows(spread: Double, labRatio: (Int) -> Double) -> [AgainstGoRow] {
        (0..<40).map { i in
            var r = AgainstGoRow()
            r.map = SwissMap.modelName
            r.workload = "synthetic"
            r.phase = "p\(i)"
            r.goVersion = "go1.27.3"
            r.goHeapInuseBytes = 10_000_000
            r.labHeapInuseBytes = Int((10_000_000 * labRatio(i)).rounded())
            r.goRuns = 3
            r.goRunError = spread
            r.goRunsWithin2Percent = 1
            r.goNetMinHeapInuseBytes = 9_800_000
            r.goNetMaxHeapInuseBytes = 10_200_000
            return r
        }
    }

    @Test func theSwissMeanErrorBoundFailsJustOverIt() throws {
        // One Go run 3% from the others: the bound is 2 × 0.03 + 0.01.
        let bound = FidelityBounds.swissMeanErrorBound(goSpread: 0.03)
        #expect(abs(bound - 0.07) < 1e-12)
        #expect(abs(FidelityBounds.swissMeanErrorBound(goSpread: 0.001) - (2 * FidelityBounds.swissReferenceGoSpread + 0.01)) < 1e-12,
                "three Go runs that agree by chance do not tighten it below Go's spread across processes")
        // Errors of alternating sign: no bias, only the mean error.
        let over = try #require(FidelityBounds.swissVerdict(rows(spread: 0.03) { $0 % 2 == 0 ? 1.0702 : 0.9298 }))
        #expect(abs(over.bias) < 1e-4 && over.meanError > bound && !over.holds)
        let under = try #require(FidelityBounds.swissVerdict(rows(spread: 0.03) { $0 % 2 == 0 ? 1.0698 : 0.9302 }))
        #expect(under.meanError < bound && under.holds)
    }

    @Test func aModelUniformlyThreePercentOffFails() throws {
        // Go's spread puts the mean-error bound at 5.4%; 3% everywhere
        // passes that, and fails the bias bound.
        let over = try #require(FidelityBounds.swissVerdict(rows(spread: 0.02) { _ in 1.0302 }))
        #expect(over.meanError < over.meanErrorBound && over.bias > FidelityBounds.swissBiasBound && !over.holds)
        let low = try #require(FidelityBounds.swissVerdict(rows(spread: 0.02) { _ in 0.9698 }))
        #expect(!low.holds, "too little counts as much as too much")
        let under = try #require(FidelityBounds.swissVerdict(rows(spread: 0.02) { _ in 1.0298 }))
        #expect(under.holds)
    }

    @Test func theMedianOfAnEvenNumberOfGoRunsIsTheMeanOfTheMiddleTwo() throws {
        var phase = PhaseRow(key: RunKey(runID: "t", map: SwissMap.modelName, workload: "fill-drain", strategy: "go",
                                         repeatIndex: 1), phase: "drained", measurement: RunMeasurement(), phaseNs: 1, startNs: 0)
        phase.measurement.heapInuseBytes = 250
        let reference = [100, 400, 200, 300].map { net in
            var g = GoPhaseRow()
            g.goVersion = "go1.27.3"
            g.workload = "fill-drain"
            g.phase = "drained"
            g.baselineHeapInuseBytes = 1000
            g.heapInuseBytes = 1000 + net
            return g
        }
        let r = try #require(AgainstGo.join(phases: [phase], gc: [], reference: reference).first)
        #expect(r.goNetHeapInuseBytes == 250, "mean of 200 and 300, not the lower middle")
        #expect(r.ratio == 1.0)
    }
}
