import ArgumentParser
import BucketLab

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the workloads and the strategy presets, with what each shows."
    )

    @Option(name: .customLong("workload-file"), help: "Also list the phases of this workload file. May be repeated.")
    var workloadFile: [String] = []

    @Option(help: "Also list the phases of this map trace (docs/trace-format.md). May be repeated.")
    var trace: [String] = []

    func run() throws {
        let files = try workloadFile.map { path in
            do { return try Workload.load(file: path) } catch let e as WorkloadFileError { throw DataError(description: e.description) }
        } + trace.map { path in
            do { return try Workload.load(trace: path) } catch let e as WorkloadFileError { throw DataError(description: e.description) }
        }
        // Phase names at the default sizes (--bursts 4 names bursty's cycles).
        let sizes = WorkloadSizes(keys: SuiteConfig.defaultKeys, window: SuiteConfig.defaultKeys / 10, bursts: 4)
        for w in files {
            do { try w.validate(sizes) } catch let e as WorkloadFileError { throw DataError(description: e.description) }
        }
        print("Workloads (--workload NAME[,NAME...] or all; --workload-file FILE; 'bucketlab workload show NAME' prints a built-in's file); phases in order, the headline phase starred:\n")
        for w in Workload.allCases + files {
            let headline = w.headlinePhase(sizes)
            let phases = w.phases(sizes).map { $0 == headline ? "*\($0)" : $0 }
            print("  \(w.name)  [\(phases.joined(separator: ", "))]\((w.file ?? w.trace?.path).map { "  (\($0))" } ?? "")")
            print("    \(w.summary)\n")
        }
        print("Map models (--map NAME[,NAME...] or all): \(MapModels.names.joined(separator: ", "))\n")
        print("Strategies (--strategy: presets and/or settings joined by '+', e.g. go+evac=eager or clear=pointers+shrink=below:0.125; several separated by commas):\n")
        for preset in Strategy.presets {
            print("  \(preset.name)")
            print("    \(preset.summary ?? "")")
            print("    \(preset.policy.spec)")
            for model in MapModels.all {
                let fit = model.fit(preset.policy)
                guard !fit.unused.isEmpty else { continue }
                let what = fit.unused.map { "\($0.setting) does nothing (\($0.reason))" }.joined(separator: "; ")
                let same = fit.effective == .go ? " — the same as go there" : ""
                print("    on \(model.modelName): \(what)\(same)")
            }
            print()
        }
    }
}
