import Testing
@testable import BucketLab
@testable import LabMaps

/// A small suite shared by the harness and output tests (run once), on
/// both map models.
let smallSuite: SuiteResult = {
    let strategies = try! Strategy.parseList("go,stale,shrink,compact")
    let config = try! SuiteConfig(strategies: strategies, keys: 6000, payloadBytes: 48, seed: 3, samples: 4)
    return try! Suite.run(config, runID: "test-run")
}()

func phase(_ r: SuiteResult, _ workload: String, _ strategy: String, _ name: String,
           map: String = BucketMap.modelName) -> RunMeasurement {
    r.phases.first {
        $0.key.map == map && $0.key.workload == workload && $0.key.strategy == strategy && $0.phase == name
    }!.measurement
}

/// Cells per model × workload of `smallSuite`.
let smallSuiteCells = MapModels.defaultNames.count * Workload.allCases.count * 4
