import ArgumentParser
import BucketLab

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the workloads and the strategy presets, with what each shows."
    )

    func run() {
        print("Workloads (--workload NAME[,NAME...] or all); phases in order, the headline phase starred:\n")
        for w in Workload.allCases {
            let headline = w.headlinePhase(bursts: 4)
            let phases = w.phases(bursts: 4).map { $0 == headline ? "*\($0)" : $0 }
            print("  \(w.rawValue)  [\(phases.joined(separator: ", "))]")
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
